//! What extract found, held for reconcile under a memory budget: in memory while it fits,
//! else spilled to partition files in a temporary directory (see `spill.rs`).

use super::spill::{Item, Partitions};
use super::Order;
use crate::extract::{Extracted, MetricPoint, SpanLink, Tally};
use crate::model::Observation;
use std::path::PathBuf;

/// How much memory what is held may take, and where it goes beyond that.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Bytes of observations and span links held in memory before they are spilled.
    pub memory: usize,
    /// Where the spill directory is made (`$TMPDIR` by default).
    pub temp_dir: PathBuf,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory: usize::MAX, temp_dir: std::env::temp_dir() }
    }
}

/// Everything extracted from the inputs, ready for [`super::reconcile`].
#[derive(Default)]
pub struct Store {
    limits: Limits,
    pub(super) held: Vec<(Order, Observation)>,
    pub(super) links: Vec<SpanLink>,
    /// Estimated bytes the held observations own on the heap (not counting `held` itself).
    held_bytes: usize,
    pub(super) metric_points: Vec<(Order, MetricPoint)>,
    pub tally: Tally,
    /// Records with usage, and usage metric points, seen (for `inspect`).
    pub usage_records: u64,
    pub usage_points: u64,
    pub(super) spill: Option<Spill>,
    /// The first spill that failed: nothing is reconciled after it.
    pub(super) failure: Option<String>,
    next_source: u32,
    /// What decides whether rule 1 runs across traces (see `across_traces`).
    spans: SpanLayers,
}

/// The layers of the model-call spans held, and whether one is a trace root.
#[derive(Clone, Copy, Default)]
struct SpanLayers {
    first: Option<u64>,
    several: bool,
    root: bool,
}

/// The spill directory and its partitions.
pub(super) struct Spill {
    pub dir: crate::temp::Dir,
    pub partitions: Option<Partitions>,
    /// Bytes of observations and links written, as held in memory.
    pub bytes: u64,
}

impl Store {
    pub fn new(limits: Limits) -> Store {
        Store { limits, ..Default::default() }
    }

    /// Numbers for `count` more sources (files, or a live session): the first of them.
    /// Their records come after those of every source numbered before.
    pub fn sources(&mut self, count: usize) -> u32 {
        let first = self.next_source;
        self.next_source = first.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
        first
    }

    /// Adds what extract found in chunk `chunk` of source `source` (its problems are the
    /// caller's). Chunks may come in any order: reconcile puts them back in input order.
    pub fn add(&mut self, source: u32, chunk: u64, extracted: Extracted) {
        let Extracted { observations, metric_points, links, tally, problems: _ } = extracted;
        self.usage_records += observations.len() as u64;
        self.usage_points += metric_points.len() as u64;
        self.tally.merge(tally);
        let order = |index: usize| Order { source, chunk, index: u32::try_from(index).unwrap_or(u32::MAX) };
        for (index, o) in observations.into_iter().enumerate() {
            // Spilled before the vector doubles past the limit, not after.
            if self.held.len() == self.held.capacity()
                && self.holding(self.held.capacity().max(4) * 2) > self.limits.memory
            {
                self.spill_held();
            }
            self.held_bytes += owned_size(&o);
            self.spans.note(&o);
            self.held.push((order(index), o));
        }
        self.links.extend(links);
        self.metric_points.extend(metric_points.into_iter().enumerate().map(|(i, p)| (order(i), p)));
        if self.holding(self.held.capacity()) > self.limits.memory {
            self.spill_held();
        }
    }

    /// A copy of everything, while it is all in memory and takes at most `max_bytes`.
    pub fn copy_held(&self, max_bytes: usize) -> Option<Store> {
        if self.spill.is_some() || self.failure.is_some() || self.holding(self.held.capacity()) > max_bytes {
            return None;
        }
        Some(Store {
            limits: self.limits.clone(),
            held: self.held.clone(),
            links: self.links.clone(),
            held_bytes: self.held_bytes,
            metric_points: self.metric_points.clone(),
            tally: self.tally.clone(),
            usage_records: self.usage_records,
            usage_points: self.usage_points,
            spill: None,
            failure: None,
            next_source: self.next_source,
            spans: self.spans,
        })
    }

    /// What is held takes in memory with room for `capacity` observations: the vectors as
    /// allocated (they grow by doubling), and what the observations own.
    fn holding(&self, capacity: usize) -> usize {
        capacity * std::mem::size_of::<(Order, Observation)>()
            + self.links.capacity() * std::mem::size_of::<SpanLink>()
            + self.held_bytes
    }

    /// Why spilling failed, if it did: nothing added since can be counted.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Whether anything went to disk, and how much (as held in memory).
    pub fn spilled(&self) -> Option<u64> {
        self.spill.as_ref().map(|s| s.bytes)
    }

    /// Whether the spill went to a file system kept in memory (tmpfs).
    pub fn spilled_to_memory(&self) -> bool {
        self.spill.as_ref().is_some_and(|s| s.dir.in_memory())
    }

    /// Whether rule 1 must also compare model-call spans across the traces of a process:
    /// only when one of them is a trace root and they come from two layers or more (one
    /// layer's spans are never one call).
    pub(super) fn across_traces(&self) -> bool {
        self.spans.several && self.spans.root
    }

    pub(super) fn limit(&self) -> usize {
        self.limits.memory
    }

    /// Moves everything held to the partition files.
    pub(super) fn spill_held(&mut self) {
        if self.failure.is_some() {
            // Nothing more is kept: the run fails rather than report a part.
        } else if let Err(e) = self.try_spill() {
            self.failure = Some(format!(
                "cannot spill to disk: {e} (choose another place with --temp-dir, or allow more memory with --memory-limit)"
            ));
        }
        self.held = Vec::new();
        self.links = Vec::new();
        self.held_bytes = 0;
    }

    fn try_spill(&mut self) -> std::io::Result<()> {
        if self.spill.is_none() {
            let dir = crate::temp::Dir::new_in(&self.limits.temp_dir, "otelcost-spill-")
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", self.limits.temp_dir.display())))?;
            let partitions = Partitions::create(dir.path(), "held", 0)?;
            self.spill = Some(Spill { dir, partitions: Some(partitions), bytes: 0 });
        }
        let Some(spill) = self.spill.as_mut() else { return Ok(()) };
        let Some(partitions) = spill.partitions.as_mut() else { return Ok(()) };
        for (order, o) in std::mem::take(&mut self.held) {
            let bytes = held_size(&o);
            spill.bytes += bytes as u64;
            partitions.push(&Item::Observation(order, o), bytes)?;
        }
        for link in std::mem::take(&mut self.links) {
            let bytes = std::mem::size_of::<SpanLink>();
            spill.bytes += bytes as u64;
            partitions.push(&Item::Link(link), bytes)?;
        }
        Ok(())
    }
}

impl SpanLayers {
    fn note(&mut self, o: &Observation) {
        if !super::crosses_traces(o) {
            return;
        }
        self.root |= o.root;
        match self.first {
            None => self.first = Some(o.layer),
            Some(first) => self.several |= first != o.layer,
        }
    }
}

/// What an observation takes in memory, near enough to keep to a budget.
pub(super) fn held_size(o: &Observation) -> usize {
    std::mem::size_of::<(Order, Observation)>() + owned_size(o)
}

/// What an observation owns on the heap: each allocation as the allocator rounds it, with
/// its header.
fn owned_size(o: &Observation) -> usize {
    let block = |bytes: usize| if bytes == 0 { 0 } else { (bytes + 8).next_multiple_of(16).max(32) };
    let text = |t: &Option<String>| t.as_ref().map_or(0, |s| block(s.capacity()));
    [&o.model, &o.provider, &o.operation, &o.service, &o.session, &o.instance].into_iter().map(text).sum::<usize>()
        + o.address.as_ref().map_or(0, |a| block(a.len()))
        + block(o.dims.capacity() * std::mem::size_of::<Option<String>>())
        + o.dims.iter().map(text).sum::<usize>()
}

//! Reconcile stage: every real LLM call counted exactly once.
//!
//! Entry point: [`reconcile`]. Three rules, in order:
//! 1. **Same identity, same call**, by the identity spec below. The record kept is the
//!    most direct one: a record stating usage over one stating none, a record with the
//!    call's whole usage over one with part of it, a span over a log event about it, the provider's own record over a wrapper's
//!    re-report; among equals, the first in input order.
//! 2. **Parents do not repeat children.** A span whose usage is not a model call of its
//!    own (an agent or workflow span) counts only when no span below it carries usage;
//!    otherwise it is summing its children, which are counted instead.
//! 3. **Per-call records over metrics.** Metric points (turned into deltas per series,
//!    see `metrics.rs`) count only for a session (or, without one, an emitting process)
//!    that has no per-call record at all, kept or recognised as a duplicate, on its route:
//!    e.g. a session that exported only metrics.
//!
//! Every observation not counted is tallied with its reason (and a duplicate with what
//! matched it, [`Match`]).
//!
//! # Identities
//!
//! Records are compared only within a *scope* (`Observation::scope`): a trace, or, for
//! agents that log a call outside its span and records outside any trace, the emitting
//! process (`service.instance.id` within `service.namespace` and `service.name`; not the
//! route, so a copy sent to a second route meets its original). Within a scope:
//!
//! - **Strong** ([`KeyKind::Strong`]): a span (trace id + span id), shared by the span,
//!   its repeats (a retried export, a second dump, a second route) and the events emitted
//!   inside it; and an id an emitter gives one model response only (Google ADK's event
//!   id). Records sharing one are one call, always.
//! - **Hints** ([`KeyKind::Hint`]): a provider's response id (`gen_ai.response.id`, within
//!   the trace), an emitter's request id (within the session), identical counts within
//!   seconds (Codex, Gemini CLI). Servers reuse ids (Ollama answers `chatcmpl-` and a
//!   number below 1000; proxies send constants), so a hint joins two records only when
//!   nothing they say tells them apart. They are **two calls** when:
//!   - they come from the same *layer* (`Observation::layer`: emitter, instrumentation
//!     scope and signal) and are not the very same record (same times, counts and span):
//!     one instrumentation records one call once;
//!   - their times do not overlap (a span's interval; an event's instant, give or take
//!     `INSTANT_SLACK_NS`);
//!   - both name a session, and not the same one.
//! - **Sibling** ([`KeyKind::Sibling`]): a model-call span's model family (no date or
//!   version suffix) and output count within its trace. Two instrumentation layers of one
//!   call (LangChain's span and the Anthropic SDK's own) share it even when one lost the
//!   response id and the input (LangChain's streamed span states input 0). A hint as
//!   above that also needs the same input, unless one of them states none.
//!
//! A record is compared with the record kept for each call it shares an identity with,
//! and joins the one it shares most identities with. The records kept are decided first
//! (in precedence order), so a lesser record that matched the wrong call of two that
//! cannot be told apart only drops itself: the count stays right, and the usage counted
//! is each call's most direct record's.
//!
//! - **Process sibling** ([`KeyKind::ProcessSibling`]): a model-call span's model family
//!   and output count within its *process*, for two spans in two traces of which one at
//!   least is a trace root: a layer that does not take its parent from the context (a bare
//!   LangChain model call and the SDK's span of it; CrewAI's event listener beside the
//!   OpenAI instrumentation; LangChain JS beside the OpenAI module) makes its span of each
//!   call the root of a trace of its own. A sibling key as above, compared in a second
//!   round (see "Across traces").
//!
//! # Across traces
//!
//! Once every scope is reconciled, the model-call spans kept meet again, in scopes of one
//! process (`service.instance.id` within namespace and name) and one time slot of their
//! start (`PROCESS_SLOT_NS`: a process with millions of calls is still reconciled a slot
//! at a time, spilled by slot like any scope). A second round on slots offset by half a
//! slot follows, so two spans that start less than half a slot apart (siblings start
//! milliseconds apart) share a slot on one grid or the other. Only process sibling keys
//! join records there, by the rules above (one layer's spans are never one call), and the
//! span kept among equals is the inner one, which starts last (a wrapper opens its span
//! before it calls the SDK). The rounds run only when the input has a trace-root
//! model-call span and model-call spans of two layers, and a slot with no trace root
//! passes its spans as they are.
//!
//! # Unmeasured spans
//!
//! A model-call span that states no usage at all (OpenLLMetry's anthropic span of a
//! stream, ended before the stream is read) or that its layer may have estimated
//! (`Observation::estimated`) shares no identity with its call's other records. Last in
//! each round, each one kept is joined to another layer's measured span, overlapping, of
//! the same model family and no other session, in its scope (within a trace; across
//! traces, one of the two a root), which is kept (`unmeasured.rs`). Such spans also go
//! to the rounds across traces. In precedence, a record stating no usage, or an
//! estimate, comes after every record that measured usage. Left alone, they count as
//! they are (a 0-token request; an estimate, tallied for a warning).
//!
//! What no identity reaches: records with no identity at all (an event with no span, id
//! or counts slot) cannot be matched.

mod metrics;
mod spill;
mod store;
mod unmeasured;

pub use store::{Limits, Store};

use crate::extract::SpanLink;
use crate::model::{
    stable_hash, Call, CallKey, CallKeys, FingerprintMap, KeyKind, Location, Observation, Role, ServiceTier, Signal,
    TokenBuckets,
};
use spill::{Item, Merge, Partitions, Reader};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// Where a record comes in the input: its source (file, or live session), the chunk of
/// that source, the record's place among the chunk's observations. Every tie is broken
/// by it, so results do not depend on which thread read what first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Order {
    pub source: u32,
    pub chunk: u64,
    pub index: u32,
}

/// Why observations were not counted, for the summary and `inspect`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decisions {
    /// Another record of the same call was counted.
    pub duplicates: u64,
    /// The duplicates by what matched them to the record counted (indexed by `Match`).
    pub matches: [u64; Match::ALL.len()],
    /// A parent span whose usage its descendants already carry.
    pub aggregates: u64,
    /// Metric usage of a session (or process) whose calls per-call records already count.
    pub metrics_covered: u64,
    /// Metric points exported more than once.
    pub metric_repeats: u64,
    /// The first few records (in input order) of each kind not counted, so a user can go
    /// and look at them.
    pub examples: Vec<Example>,
    /// Calls counted from usage their instrumentation may have estimated itself
    /// (`Observation::estimated`): no other layer's record states the API's.
    pub estimates: u64,
    /// The first of them in input order.
    pub first_estimate: Option<(Order, Location)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Duplicate,
    AggregateParent,
    MetricsCovered,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Duplicate => "the same call as a record counted instead",
            Reason::AggregateParent => "a parent span repeating the usage of spans below it",
            Reason::MetricsCovered => "metric usage of a session whose calls are counted from per-call records",
        }
    }
}

/// What made a duplicate the same call as the record counted (see the spec above).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// A strong identity: the same span, or an event emitted inside it.
    SameSpan,
    /// The same record again (a retried export, two dumps, two routes).
    SameRecord,
    /// A response or request id, or identical counts within seconds, from another
    /// instrumentation or signal at the same time.
    SharedId,
    /// Another instrumentation layer's span of the call in the same trace: overlapping,
    /// same model family, same output and input.
    SiblingLayer,
    /// Another instrumentation layer's span of the call in another trace of the same
    /// process, one of the two a trace root: overlapping, same model family, same output
    /// and input.
    SiblingAcrossTraces,
    /// Another layer's span of the call that measured its usage, where this span states
    /// none (a stream's span ended before the stream was read) or its own estimate:
    /// overlapping, same model family, in the same trace or (one a root) the process.
    UnmeasuredLayer,
}

impl Match {
    pub const ALL: [Match; 6] = [
        Match::SameSpan,
        Match::SameRecord,
        Match::SharedId,
        Match::SiblingLayer,
        Match::SiblingAcrossTraces,
        Match::UnmeasuredLayer,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Match::SameSpan => "the same span (or an event emitted inside it)",
            Match::SameRecord => "the same record again (a retried export, another dump or route)",
            Match::SharedId => {
                "the same response or request id (or counts) from another instrumentation or signal, at the same time"
            }
            Match::SiblingLayer => {
                "another instrumentation layer's span of the call: same trace, overlapping, same model family and usage"
            }
            Match::SiblingAcrossTraces => {
                "another instrumentation layer's span of the call in another trace (one of them a root): same process, overlapping, same model family and usage"
            }
            Match::UnmeasuredLayer => {
                "a span that states no usage (or its layer's own estimate), and another layer's span of the call that measured it: overlapping, same model family, same trace or process"
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    pub reason: Reason,
    /// For duplicates, what matched them.
    pub matched: Option<Match>,
    pub record: Location,
    /// The record counted in its place, for duplicates.
    pub kept: Option<Location>,
    order: Order,
}

impl Decisions {
    const EXAMPLES_PER_REASON: usize = 3;

    /// Keeps the first examples in input order, however the records were taken.
    fn example(&mut self, reason: Reason, order: Order, record: &Location, kept: Option<(&Location, Match)>) {
        let same = self.examples.iter().filter(|e| e.reason == reason);
        if same.clone().count() >= Self::EXAMPLES_PER_REASON {
            let Some(last) = same.map(|e| e.order).max().filter(|last| order < *last) else { return };
            self.examples.retain(|e| !(e.reason == reason && e.order == last));
        }
        let (kept, matched) = kept.map(|(k, m)| (k.clone(), m)).unzip();
        self.examples.push(Example { reason, matched, record: record.clone(), kept, order });
        self.examples.sort_by_key(|e| (e.reason, e.order));
    }

    /// Tallies the estimates among calls counted.
    fn estimates(&mut self, kept: &[(Order, Observation)]) {
        for (order, o) in kept.iter().filter(|(_, o)| o.estimated) {
            self.estimates += 1;
            if self.first_estimate.as_ref().is_none_or(|(first, _)| order < first) {
                self.first_estimate = Some((*order, o.location.clone()));
            }
        }
    }
}

/// The calls counted, and why the other records were not.
pub struct Reconciled {
    pub calls: Calls,
    pub decisions: Decisions,
}

/// The calls, in input order (those from metrics last): from memory, or merged back from
/// the spill files.
pub struct Calls {
    source: CallSource,
    metric_calls: std::vec::IntoIter<Call>,
    /// Set when reading the spilled calls back failed: what was read is then incomplete.
    failure: Option<String>,
    /// Kept until the calls are read: dropping it removes the spill files.
    _spill: Option<crate::temp::Dir>,
}

enum CallSource {
    Memory(std::vec::IntoIter<Call>),
    Spilled(Merge),
}

impl Calls {
    /// After the calls were read (by reference): an error if reading spilled calls back
    /// failed, so that what was read is incomplete.
    pub fn complete(&self) -> Result<(), String> {
        self.failure.clone().map_or(Ok(()), Err)
    }
}

impl Iterator for Calls {
    type Item = Call;

    fn next(&mut self) -> Option<Call> {
        let next = match &mut self.source {
            CallSource::Memory(calls) => calls.next(),
            CallSource::Spilled(merge) => match merge.next_call() {
                Ok(call) => call.map(Call::from),
                Err(e) => {
                    self.failure.get_or_insert_with(|| format!("cannot read spilled calls back: {e}"));
                    self.source = CallSource::Memory(Vec::new().into_iter());
                    None
                }
            },
        };
        next.or_else(|| self.metric_calls.next())
    }
}

/// Precedence of signals for the same call: the per-call span first.
fn rank(signal: Signal) -> u8 {
    match signal {
        Signal::Traces => 0,
        Signal::Logs => 1,
        Signal::Metrics => 2,
    }
}

/// Reconciles everything in the store: in memory, or partition by partition when it was
/// spilled (the same calls in the same order either way: every rule works within a scope,
/// and a scope is never split between partitions). Fails only when the spill files fail.
pub fn reconcile(mut store: Store) -> Result<Reconciled, String> {
    if let Some(failure) = store.failure.take() {
        return Err(failure);
    }
    let mut decisions = Decisions::default();
    let mut points = std::mem::take(&mut store.metric_points);
    points.sort_by_key(|(order, _)| *order);
    let (metric_observations, repeats) = metrics::observations(points.into_iter().map(|(_, p)| p).collect());
    decisions.metric_repeats = repeats;
    // Rule 3 needs what the calls cover only when there is metric usage to cover.
    let mut covers = (!metric_observations.is_empty()).then(Covers::default);

    let across = store.across_traces();
    let (source, spill) = if store.spill.is_none() {
        let kept = reconcile_scopes(
            std::mem::take(&mut store.held),
            &store.links,
            Round::Scopes,
            &mut decisions,
            covers.as_mut(),
        );
        let kept = match across {
            true => reconcile_across_traces(kept, &mut decisions, covers.as_mut()),
            false => kept,
        };
        decisions.estimates(&kept);
        let calls: Vec<Call> = kept.into_iter().map(|(_, o)| Call::from(o)).collect();
        (CallSource::Memory(calls.into_iter()), None)
    } else {
        store.spill_held();
        if let Some(failure) = store.failure.take() {
            return Err(failure);
        }
        let limit = store.limit();
        let Some(mut spill) = store.spill.take() else { return Err("the spill files are gone".into()) };
        let written =
            spill.partitions.take().map(Partitions::finish).transpose().map_err(spill_error)?.unwrap_or_default();
        let dir = spill.dir.path().to_owned();
        let mut calls_files = Vec::new();
        // Model-call spans go on to the rounds across traces, one per grid of time slots.
        let mut slotted = match across {
            true => Some(Partitions::create(&dir, "slots0", 0).map_err(spill_error)?),
            false => None,
        };
        each_partition(written, &dir, "held", limit, |held, links| {
            let mut kept = reconcile_scopes(held, &links, Round::Scopes, &mut decisions, covers.as_mut());
            if let Some(slotted) = slotted.as_mut() {
                let spans;
                (spans, kept) = kept.into_iter().partition(|(_, o)| crosses_traces(o));
                push_slotted(slotted, spans, 0)?;
            }
            decisions.estimates(&kept);
            write_calls_file(&dir, &mut calls_files, &kept)
        })?;
        for grid in 0..SLOT_GRIDS {
            let Some(round) = slotted.take() else { break };
            let written = round.finish().map_err(spill_error)?;
            if grid + 1 < SLOT_GRIDS {
                slotted = Some(Partitions::create(&dir, &format!("slots{}", grid + 1), 0).map_err(spill_error)?);
            }
            each_partition(written, &dir, &format!("slots{grid}"), limit, |held, _| {
                let mut kept = reconcile_slots(held, &mut decisions, covers.as_mut());
                match slotted.as_mut() {
                    Some(next) => push_slotted(next, kept, grid + 1),
                    None => {
                        kept.sort_unstable_by_key(|(order, _)| *order);
                        decisions.estimates(&kept);
                        write_calls_file(&dir, &mut calls_files, &kept)
                    }
                }
            })?;
        }
        let merge = Merge::open(&calls_files).map_err(spill_error)?;
        (CallSource::Spilled(merge), Some(spill.dir))
    };

    // Rule 3: a call record covers its session, and its process, within its route (two
    // senders on two routes are two sessions, however alike their names).
    let mut metric_calls = Vec::new();
    let covers = covers.unwrap_or_default();
    for o in metric_observations {
        let is_covered = match (&o.session, &o.instance) {
            (Some(s), _) => covers.sessions.contains(&Covers::key(&o.route, s)),
            (None, Some(i)) => covers.instances.contains(&Covers::key(&o.route, i)),
            (None, None) => covers.routes.contains(&Covers::key(&o.route, "")),
        };
        if is_covered {
            decisions.metrics_covered += 1;
            decisions.example(Reason::MetricsCovered, Order::default(), &o.location, None);
        } else {
            metric_calls.push(Call::from(o));
        }
    }
    let calls = Calls { source, metric_calls: metric_calls.into_iter(), failure: None, _spill: spill };
    Ok(Reconciled { calls, decisions })
}

/// How many times a partition over the budget is split again (64^4 partitions in all).
const MAX_SPLITS: u32 = 3;

/// Reads spilled partitions back one at a time and hands each to `each` whole. A partition
/// still over the budget is split again, unless its scopes no longer divide (one huge
/// trace), which is then handed over whole.
fn each_partition(
    written: Vec<spill::Written>,
    dir: &std::path::Path,
    name: &str,
    limit: usize,
    mut each: impl FnMut(Vec<(Order, Observation)>, Vec<SpanLink>) -> Result<(), String>,
) -> Result<(), String> {
    let remove = |file: &spill::SpillFile| std::fs::remove_file(&file.path).map_err(spill_error);
    let mut work: Vec<(spill::Written, u32)> = written.into_iter().map(|w| (w, 0)).collect();
    let mut made = 0usize;
    while let Some((part, level)) = work.pop() {
        if part.bytes == 0 {
            remove(&part.file)?;
            continue;
        }
        if part.bytes > limit && level < MAX_SPLITS {
            made += 1;
            let mut parts = Partitions::create(dir, &format!("{name}-split{made}"), level + 1).map_err(spill_error)?;
            let mut reader = Reader::open(&part.file).map_err(spill_error)?;
            while let Some(item) = reader.next_item().map_err(spill_error)? {
                let bytes = match &item {
                    Item::Observation(_, o) => store::held_size(o),
                    Item::Link(_) => std::mem::size_of::<SpanLink>(),
                };
                parts.push(&item, bytes).map_err(spill_error)?;
            }
            remove(&part.file)?;
            let parts = parts.finish().map_err(spill_error)?;
            // All in one again: one scope (or scopes that hash alike) that no split divides.
            let divided = parts.iter().filter(|w| w.bytes > 0).count() > 1;
            let level = if divided { level + 1 } else { MAX_SPLITS };
            work.extend(parts.into_iter().map(|w| (w, level)));
            continue;
        }
        let (mut held, mut links) = (Vec::new(), Vec::new());
        let mut reader = Reader::open(&part.file).map_err(spill_error)?;
        while let Some(item) = reader.next_item().map_err(spill_error)? {
            match item {
                Item::Observation(order, o) => held.push((order, o)),
                Item::Link(link) => links.push(link),
            }
        }
        remove(&part.file)?;
        each(held, links)?;
    }
    Ok(())
}

/// Writes calls kept to one more calls file for the merge.
fn write_calls_file(
    dir: &std::path::Path,
    files: &mut Vec<spill::SpillFile>,
    kept: &[(Order, Observation)],
) -> Result<(), String> {
    let path = dir.join(format!("calls-{}", files.len()));
    files.push(spill::write_calls(&path, kept).map_err(spill_error)?);
    Ok(())
}

/// Model-call spans to the partitions of the round on `grid`, in their scope on it.
fn push_slotted(slotted: &mut Partitions, calls: Vec<(Order, Observation)>, grid: u64) -> Result<(), String> {
    for (order, mut o) in calls {
        o.scope = process_slot(&o, grid);
        let bytes = store::held_size(&o);
        slotted.push(&Item::Observation(order, o), bytes).map_err(spill_error)?;
    }
    Ok(())
}

/// Width of the time slots in which the model-call spans of one process are compared
/// across traces: a scope holds one process's spans of one minute, however many it makes.
/// Siblings start milliseconds to a second or so apart (CrewAI's listener span opens 1.4 s
/// before the openai span of the call), well within the half slot the grids allow.
const PROCESS_SLOT_NS: u64 = 60_000_000_000;
/// Rounds across traces, each on a grid of slots offset by `PROCESS_SLOT_NS / SLOT_GRIDS`:
/// two spans that start less than half a slot apart share a slot on one grid or the other.
const SLOT_GRIDS: u64 = 2;

/// Whether a call kept is a model-call span that another layer may have recorded in
/// another trace (it has a process sibling key, or states no measured usage).
fn crosses_traces(o: &Observation) -> bool {
    o.keys.iter().any(|k| CallKeys::kind(*k) == KeyKind::ProcessSibling) || unmeasured::is_unmeasured(o)
}

/// A model-call span's scope on `grid`: its process and its start's time slot.
fn process_slot(o: &Observation, grid: u64) -> u64 {
    let slot = o.start_ns.saturating_add(grid * (PROCESS_SLOT_NS / SLOT_GRIDS)) / PROCESS_SLOT_NS;
    stable_hash(&(3u8, o.instance.as_deref(), grid, slot))
}

/// Rule 1 across the traces of a process (see "Across traces"), in memory: the model-call
/// spans kept meet in (process, time slot) scopes, round after round on the grids.
fn reconcile_across_traces(
    kept: Vec<(Order, Observation)>,
    decisions: &mut Decisions,
    mut covers: Option<&mut Covers>,
) -> Vec<(Order, Observation)> {
    let (mut spans, mut calls): (Vec<_>, Vec<_>) = kept.into_iter().partition(|(_, o)| crosses_traces(o));
    for grid in 0..SLOT_GRIDS {
        spans.iter_mut().for_each(|(_, o)| o.scope = process_slot(o, grid));
        spans = reconcile_slots(spans, decisions, covers.as_deref_mut());
    }
    calls.append(&mut spans);
    calls.sort_unstable_by_key(|(order, _)| *order);
    calls
}

/// One round across traces, on spans in their slot scopes: a pair across traces needs a
/// trace root (see `Member::matches`), so the spans of a slot with none pass as they are.
/// The spans kept, in no particular order.
fn reconcile_slots(
    held: Vec<(Order, Observation)>,
    decisions: &mut Decisions,
    covers: Option<&mut Covers>,
) -> Vec<(Order, Observation)> {
    let rooted: HashSet<u64> = held.iter().filter(|(_, o)| o.root).map(|(_, o)| o.scope).collect();
    let (slots, mut passed): (Vec<_>, Vec<_>) = held.into_iter().partition(|(_, o)| rooted.contains(&o.scope));
    let mut kept = reconcile_scopes(slots, &[], Round::AcrossTraces, decisions, covers);
    kept.append(&mut passed);
    kept
}

fn spill_error(e: std::io::Error) -> String {
    format!("cannot use the spill files: {e} (choose another place with --temp-dir, or allow more memory with --memory-limit)")
}

/// The sessions, processes and routes calls were counted for (as hashes: there may be
/// millions).
#[derive(Default)]
struct Covers {
    sessions: HashSet<u64>,
    instances: HashSet<u64>,
    routes: HashSet<u64>,
}

impl Covers {
    fn key(route: &Option<crate::model::route::Route>, name: &str) -> u64 {
        stable_hash(&(route.as_deref().unwrap_or(""), name))
    }

    /// What a call counted covers.
    fn add(&mut self, o: &Observation) {
        if let Some(s) = &o.session {
            self.sessions.insert(Self::key(&o.route, s));
        }
        if let Some(i) = &o.instance {
            self.instances.insert(Self::key(&o.route, i));
        }
        self.routes.insert(Self::key(&o.route, ""));
    }
}

/// Which round of rule 1 a reconcile is: within the scopes, or across the traces of a
/// process (see "Across traces").
#[derive(Clone, Copy, PartialEq, Eq)]
enum Round {
    Scopes,
    AcrossTraces,
}

impl Round {
    /// Whether the round compares records by `key`: process sibling keys only across
    /// traces, every other key within scopes.
    fn compares(self, key: u128) -> bool {
        (CallKeys::kind(key) == KeyKind::ProcessSibling) == (self == Round::AcrossTraces)
    }
}

/// Rules 1 and 2 on whole scopes: the observations counted as calls, in input order.
/// Every record of a call counted, kept or not, is added to `covers` (rule 3).
fn reconcile_scopes(
    mut held: Vec<(Order, Observation)>,
    links: &[SpanLink],
    round: Round,
    decisions: &mut Decisions,
    mut covers: Option<&mut Covers>,
) -> Vec<(Order, Observation)> {
    held.sort_unstable_by_key(|(order, _)| *order);
    // Rule 1, in order of precedence (whole usage, signal, first-hand; across traces the
    // later start, the span a wrapper's span is around), input order among equals.
    // Indices are sorted, not the observations: no copy of them all.
    let mut slots: Vec<Option<(Order, Observation)>> = held.into_iter().map(Some).collect();
    let inner = |o: &Observation| std::cmp::Reverse(if round == Round::AcrossTraces { o.start_ns } else { 0 });
    // A record that states no usage, or its layer's estimate, never stands for one that
    // measured it.
    let key = |o: &Option<(Order, Observation)>| {
        o.as_ref().map(|(_, o)| (o.tokens.is_zero(), o.estimated, o.partial, rank(o.signal), o.secondhand, inner(o)))
    };
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&i| key(&slots[i]));
    let mut calls = Groups::new(slots.len(), round);
    for i in order {
        let Some((scope, keys)) = slots[i].as_ref().map(|(_, o)| (o.scope, o.keys)) else { continue };
        // The same identity in two scopes is two calls (e.g. two processes' equal counts).
        let scoped = |id: &u128| id ^ u128::from(scope).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
        let joined = slots[i].as_ref().and_then(|(_, o)| calls.find(o, scoped, &slots));
        match joined {
            Some((first, matched)) => {
                let Some((dup_order, dup)) = slots[i].take() else { continue };
                decisions.duplicates += 1;
                decisions.matches[matched as usize] += 1;
                if let Some(covers) = covers.as_deref_mut() {
                    covers.add(&dup);
                }
                if let Some((_, kept)) = slots[first].as_mut() {
                    decisions.example(Reason::Duplicate, dup_order, &dup.location, Some((&kept.location, matched)));
                    fill_missing(kept, dup);
                }
            }
            None => calls.found(i, keys.iter().filter(|k| round.compares(**k)).map(scoped)),
        }
    }
    drop(calls);
    unmeasured::join(&mut slots, round, decisions, covers.as_deref_mut());
    let parents = Parents::new(links);
    inherit_models(&mut slots, &parents);

    // Rule 2: mark every ancestor of a span with usage.
    let covered = spans_with_usage_below(&slots, &parents);
    let mut calls = Vec::with_capacity(slots.len());
    for (order, o) in slots.into_iter().flatten() {
        let summed_children =
            o.role == Role::MaybeAggregate && o.span.is_some_and(|(t, s)| covered.contains(&(o.scope, t, s)));
        if summed_children {
            decisions.aggregates += 1;
            decisions.example(Reason::AggregateParent, order, &o.location, None);
        } else {
            if let Some(covers) = covers.as_deref_mut() {
                covers.add(&o);
            }
            calls.push((order, o));
        }
    }
    calls
}

/// A record of a call as rule 1 compares it with the record kept for a call it shares an
/// identity with.
#[derive(Clone, Copy)]
struct Member {
    layer: u64,
    /// When the record says the call ran: a span's interval, or an instant widened by
    /// `INSTANT_SLACK_NS` (an event about a call is logged around its end).
    from: u64,
    to: u64,
    /// The session's hash, 0 when the record names none.
    session: u64,
    tokens: TokenBuckets,
    /// The record's own times and span (a hash, 0 for none), to tell the same record seen
    /// again.
    times: (u64, u64),
    span: u64,
    /// A span at the root of its trace.
    root: bool,
}

/// How far from a call an event about it may be logged.
const INSTANT_SLACK_NS: u64 = CallKey::USAGE_SLOT_NS;

impl Member {
    fn of(o: &Observation) -> Member {
        let (from, to) = if o.start_ns < o.time_ns {
            (o.start_ns, o.time_ns)
        } else {
            (o.time_ns.saturating_sub(INSTANT_SLACK_NS), o.time_ns.saturating_add(INSTANT_SLACK_NS))
        };
        fn hash(value: Option<impl Hash>) -> u64 {
            value.map_or(0, |v| stable_hash(&v) | 1)
        }
        Member {
            layer: o.layer,
            from,
            to,
            session: hash(o.session.as_deref()),
            tokens: o.tokens,
            times: (o.start_ns, o.time_ns),
            span: hash(o.span),
            root: o.root,
        }
    }

    /// Whether `self`, sharing an identity of kind `kind` with `other`, may be the same call:
    /// `Some(SameRecord)` if it is `other` again, `None` if the two are told apart.
    fn matches(&self, other: &Member, kind: KeyKind) -> Option<Match> {
        if self.layer == other.layer {
            // One instrumentation records one call once: two of its records are two calls,
            // unless they are the very same record.
            let same = self.times == other.times && self.tokens == other.tokens && self.span == other.span;
            return same.then_some(Match::SameRecord);
        }
        let input = |t: &TokenBuckets| t.total_input();
        let sibling = matches!(kind, KeyKind::Sibling | KeyKind::ProcessSibling);
        let usage_differs = sibling
            && input(&self.tokens) != input(&other.tokens)
            && input(&self.tokens) != 0
            && input(&other.tokens) != 0;
        if usage_differs || !self.may_share_a_call(other, kind == KeyKind::ProcessSibling) {
            return None;
        }
        Some(match kind {
            KeyKind::Sibling => Match::SiblingLayer,
            KeyKind::ProcessSibling => Match::SiblingAcrossTraces,
            _ => Match::SharedId,
        })
    }

    /// Whether two records of two layers may be of one call by when and where they ran:
    /// their times overlap, they name no two sessions, and `across_traces`, one of the two
    /// took no parent from the context (a trace root).
    fn may_share_a_call(&self, other: &Member, across_traces: bool) -> bool {
        let sessions_differ = self.session != 0 && other.session != 0 && self.session != other.session;
        let apart = self.to < other.from || other.to < self.from;
        let traced_apart = across_traces && !self.root && !other.root;
        !(sessions_differ || apart || traced_apart)
    }
}

/// The calls of rule 1 so far, each known by the identities of the record kept for it.
struct Groups {
    /// Which keys the round compares.
    round: Round,
    /// Identity → the latest entry of its chain in `chains`.
    seen: FingerprintMap<u32>,
    /// (kept slot, previous entry with the same identity): one identity may name several
    /// calls (an Ollama server's ids repeat), each is tried in turn.
    chains: Vec<(u32, u32)>,
}

const END: u32 = u32::MAX;

impl Groups {
    fn new(n: usize, round: Round) -> Groups {
        Groups {
            round,
            seen: FingerprintMap::with_capacity_and_hasher(n * 2, Default::default()),
            chains: Vec::with_capacity(n * 2),
        }
    }

    /// The call a record belongs to, and why: among the kept records it shares an identity
    /// with and that do not refute it, the one it shares most identities with (the first
    /// found among equals). A record is compared with the kept record only, so a wrong
    /// match never keeps the right one from being found.
    fn find(
        &self,
        record: &Observation,
        scoped: impl Fn(&u128) -> u128,
        slots: &[Option<(Order, Observation)>],
    ) -> Option<(usize, Match)> {
        let calls_by = |key: &u128| {
            let mut at = self.seen.get(&scoped(key)).copied().unwrap_or(END);
            std::iter::from_fn(move || {
                let (slot, previous) = *self.chains.get(at as usize)?;
                at = previous;
                Some(slot as usize)
            })
        };
        let keys = || record.keys.iter().filter(|k| self.round.compares(**k));
        let strong = keys().filter(|k| CallKeys::kind(**k) == KeyKind::Strong);
        if let Some(slot) = strong.flat_map(calls_by).next() {
            return Some((slot, Match::SameSpan));
        }
        let member = Member::of(record);
        let mut best: Option<(usize, Match, usize)> = None;
        for key in keys() {
            for slot in calls_by(key) {
                let Some((_, kept)) = slots[slot].as_ref() else { continue };
                let Some(why) = member.matches(&Member::of(kept), CallKeys::kind(*key)) else { continue };
                let shared = keys().filter(|k| kept.keys.iter().any(|own| own == *k)).count();
                if best.is_none_or(|(_, _, most)| shared > most) {
                    best = Some((slot, why, shared));
                }
            }
        }
        best.map(|(slot, why, _)| (slot, why))
    }

    /// A new call, kept at `slot`, known by `ids`.
    fn found(&mut self, slot: usize, ids: impl Iterator<Item = u128>) {
        for id in ids {
            let previous = self.seen.insert(id, self.chains.len() as u32).unwrap_or(END);
            self.chains.push((slot as u32, previous));
        }
    }
}

/// A span within its scope: (scope, trace id, span id).
type SpanRef = (u64, [u8; 16], [u8; 8]);

/// The record kept for a call may lack what a repeat of it says: a span without the
/// model or the emitter's cost that its event carries (Codex, Claude Code), or without a
/// dimension's attribute.
fn fill_missing(kept: &mut Observation, other: Observation) {
    kept.model = kept.model.take().or(other.model);
    kept.provider = kept.provider.take().or(other.provider);
    kept.address = kept.address.take().or(other.address);
    if kept.tier == ServiceTier::Standard {
        kept.tier = other.tier;
    }
    kept.operation = kept.operation.take().or(other.operation);
    kept.session = kept.session.take().or(other.session);
    kept.reported_cost = kept.reported_cost.or(other.reported_cost);
    // Another layer stating the very same counts shows they are the API's.
    kept.estimated &= other.estimated || other.tokens != kept.tokens;
    // E.g. the user id that only ADK 1's generate_content span states, not its call_llm.
    for (mine, theirs) in kept.dims.iter_mut().zip(other.dims) {
        if mine.is_none() {
            *mine = theirs;
        }
    }
}

/// Each span's parent, built on first use: only dumps with model-less or aggregate spans
/// need it.
struct Parents<'l> {
    links: &'l [SpanLink],
    map: std::cell::OnceCell<HashMap<SpanRef, [u8; 8]>>,
}

impl<'l> Parents<'l> {
    fn new(links: &'l [SpanLink]) -> Self {
        Parents { links, map: std::cell::OnceCell::new() }
    }

    /// The ancestors of a span, nearest first. Bounded: a malformed dump may hold a cycle.
    fn ancestors(&self, (scope, trace, span): SpanRef) -> impl Iterator<Item = SpanRef> + '_ {
        let map = self.map.get_or_init(|| {
            // Sorted first: a span given two parents (a malformed dump) keeps the same one
            // whatever order its links came in.
            let mut links = self.links.to_vec();
            links.sort_unstable();
            links.into_iter().map(|l| ((l.scope, l.trace_id, l.span_id), l.parent_span_id)).collect()
        });
        let mut at = span;
        std::iter::from_fn(move || {
            let up = *map.get(&(scope, trace, at))?;
            at = up;
            Some((scope, trace, up))
        })
        .take(map.len())
    }
}

fn span_ref(o: &Observation) -> Option<SpanRef> {
    o.span.map(|(t, s)| (o.scope, t, s))
}

/// A span that names no model takes the model of its nearest ancestor span with usage
/// that does (Codex's `handle_responses` under its `session_task.turn`).
fn inherit_models(slots: &mut [Option<(Order, Observation)>], parents: &Parents<'_>) {
    let kept = || slots.iter().flatten().map(|(_, o)| o);
    if !kept().any(|o| o.model.is_none() && o.span.is_some()) {
        return;
    }
    let models: HashMap<SpanRef, String> = kept().filter_map(|o| Some((span_ref(o)?, o.model.clone()?))).collect();
    if models.is_empty() {
        return;
    }
    for (_, o) in slots.iter_mut().flatten().filter(|(_, o)| o.model.is_none()) {
        let Some(span) = span_ref(o) else { continue };
        o.model = parents.ancestors(span).find_map(|up| models.get(&up)).cloned();
    }
}

/// The spans that have a usage-bearing span somewhere below them.
fn spans_with_usage_below(slots: &[Option<(Order, Observation)>], parents: &Parents<'_>) -> HashSet<SpanRef> {
    let kept = || slots.iter().flatten().map(|(_, o)| o);
    let mut covered = HashSet::new();
    if !kept().any(|o| o.role == Role::MaybeAggregate && o.span.is_some()) {
        return covered;
    }
    for span in kept().filter_map(span_ref) {
        for up in parents.ancestors(span) {
            if !covered.insert(up) {
                break;
            }
        }
    }
    covered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Extracted;
    use crate::model::{CallKey, CallKeys, Emitter, Location, Position, TokenBuckets};

    /// What reconcile made of it, read whole.
    struct Done {
        calls: Vec<Call>,
        decisions: Decisions,
    }

    fn reconcile(ex: Extracted) -> Done {
        let mut store = Store::default();
        store.add(0, 0, ex);
        let r = super::reconcile(store).unwrap();
        Done { calls: r.calls.collect(), decisions: r.decisions }
    }

    fn obs(signal: Signal, role: Role, span: Option<u8>, keys: Vec<CallKey>, input: u64) -> Observation {
        Observation {
            emitter: Emitter::Semconv,
            signal,
            role,
            time_ns: 0,
            model: Some("m".into()),
            provider: None,
            address: None,
            tier: Default::default(),
            operation: None,
            service: None,
            tokens: TokenBuckets { input, ..Default::default() },
            requests: 1,
            reported_cost: None,
            session: None,
            instance: None,
            keys: {
                let mut k = CallKeys::default();
                k.extend(keys);
                k
            },
            scope: 0,
            secondhand: false,
            partial: false,
            span: span.map(|s| ([1; 16], [s; 8])),
            dims: vec![],
            route: None,
            location: Location { file: "f".into(), at: Position::Whole },
            start_ns: 0,
            layer: u64::from(rank(signal)),
            root: false,
            estimated: false,
            unmeasured_joined: 0,
        }
    }

    fn span_key(s: u8) -> CallKey {
        CallKey::Span([1; 16], [s; 8])
    }

    fn link(span: u8, parent: u8) -> SpanLink {
        SpanLink { scope: 0, trace_id: [1; 16], span_id: [span; 8], parent_span_id: [parent; 8] }
    }

    fn total(r: &Done) -> u64 {
        r.calls.iter().map(|c| c.tokens.input).sum()
    }

    use proptest::prelude::*;

    /// An observation of a small world: few scopes, spans and keys, so records collide.
    fn arbitrary_observation() -> impl Strategy<Value = Observation> {
        let flags = (any::<bool>(), any::<bool>(), 0u8..4);
        (0u64..3, 0u8..4, prop::collection::vec(0u8..6, 0..3), 0u8..3, flags, 1u64..50).prop_map(
            |(scope, span, keys, kind, (partial, secondhand, measured), input)| {
                let signal = [Signal::Traces, Signal::Logs, Signal::Traces][kind as usize];
                let role = if kind == 2 { Role::MaybeAggregate } else { Role::ModelCall };
                let keys = keys.into_iter().map(|k| match k {
                    0..3 => span_key(k),
                    5 => CallKey::ProcessSibling("m".into(), 1),
                    _ => CallKey::Response([1; 16], k.to_string()),
                });
                let mut o = obs(signal, role, (signal == Signal::Traces).then_some(span), keys.collect(), input);
                o.scope = scope;
                o.partial = partial;
                o.secondhand = secondhand;
                o.model = (input % 3 != 0).then(|| format!("m{}", input % 2));
                // Spans that measured no usage, or their layer's estimate, now and then.
                (o.tokens.input, o.estimated) = match measured {
                    0 => (0, false),
                    1 => (input, true),
                    _ => (input, false),
                };
                o.location = Location { file: "f".into(), at: Position::Line(input) };
                // Few layers and times, so hints meet records that refute them; times on
                // both sides of a slot boundary of the rounds across traces.
                o.layer = input % 3;
                (o.start_ns, o.time_ns) = ((input % 4) * 4_000_000_000, (input % 5) * 5_000_000_000);
                o.start_ns = o.start_ns.min(o.time_ns) + PROCESS_SLOT_NS - 8_000_000_000;
                o.time_ns += PROCESS_SLOT_NS - 8_000_000_000;
                (o.root, o.instance) = (input % 2 == 0, Some(format!("p{}", input % 2)));
                o
            },
        )
    }

    proptest! {
        // Each case writes and removes hundreds of files.
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Spilled (in partitions, split again, chunks in any order) or not, reconcile
        /// gives the same calls in the same order and the same decisions.
        #[test]
        fn spilled_or_not_the_result_is_the_same(
            chunks in prop::collection::vec(
                (prop::collection::vec(arbitrary_observation(), 0..6),
                 prop::collection::vec((0u64..3, 0u8..4, 0u8..4), 0..4)),
                1..6),
            limit in prop::sample::select(vec![0usize, 1500, 6000]),
            reversed in any::<bool>(),
        ) {
            let fill = |limit: usize, reversed: bool| {
                let mut store = Store::new(Limits { memory: limit, temp_dir: std::env::temp_dir() });
                let mut numbered: Vec<_> = chunks.iter().enumerate().collect();
                if reversed {
                    numbered.reverse();
                }
                for (n, (observations, links)) in numbered {
                    let links =
                        links.iter().map(|&(scope, span, parent)| SpanLink { scope, ..link(span, parent) }).collect();
                    store.add(0, n as u64, Extracted { observations: observations.clone(), links, ..Default::default() });
                }
                let spilled = store.spilled().is_some();
                let r = super::reconcile(store).unwrap();
                let decisions = r.decisions;
                let calls: Vec<String> = r.calls.map(|c| format!("{c:?}")).collect();
                (calls, decisions, spilled)
            };
            let (calls, decisions, _) = fill(usize::MAX, false);
            let (spilled_calls, spilled_decisions, spilled) = fill(limit, reversed);
            prop_assert!(spilled || limit > 0 || chunks.iter().all(|(o, l)| o.is_empty() && l.is_empty()));
            prop_assert_eq!(calls, spilled_calls);
            prop_assert_eq!(decisions, spilled_decisions);
        }
    }

    /// A span of one call in `layer`, running from `start` to `end` (seconds).
    fn span_call(layer: u64, span: u8, keys: Vec<CallKey>, (start, end): (u64, u64), input: u64) -> Observation {
        let mut keys = keys;
        keys.insert(0, span_key(span));
        let mut o = obs(Signal::Traces, Role::ModelCall, Some(span), keys, input);
        (o.layer, o.start_ns, o.time_ns) = (layer, start * 1_000_000_000, end * 1_000_000_000);
        o
    }

    fn count(observations: Vec<Observation>) -> (usize, u64) {
        let r = reconcile(Extracted { observations, ..Default::default() });
        (r.calls.len(), total(&r))
    }

    #[test]
    fn a_shared_response_id_is_a_hint_that_records_can_refute() {
        let id = || CallKey::Response([1; 16], "chatcmpl-7".into());
        // One layer records a call once: its two spans are two calls, even at one time.
        assert_eq!(
            count(vec![span_call(1, 2, vec![id()], (0, 5), 10), span_call(1, 3, vec![id()], (0, 5), 20)]),
            (2, 30)
        );
        // Two layers, times apart: two calls.
        assert_eq!(
            count(vec![span_call(1, 2, vec![id()], (0, 5), 10), span_call(2, 3, vec![id()], (6, 9), 10)]),
            (2, 20)
        );
        // Two layers, overlapping: one call.
        assert_eq!(
            count(vec![span_call(1, 2, vec![id()], (0, 5), 10), span_call(2, 3, vec![id()], (1, 4), 10)]),
            (1, 10)
        );
        // Two sessions: two calls.
        let mut a = span_call(1, 2, vec![id()], (0, 5), 10);
        let mut b = span_call(2, 3, vec![id()], (1, 4), 10);
        (a.session, b.session) = (Some("main".into()), Some("subagent".into()));
        assert_eq!(count(vec![a, b]), (2, 20));
        // A third record that one call's records refute is not joined through the other.
        let event = |input| {
            let mut e = obs(Signal::Logs, Role::ModelCall, None, vec![id()], input);
            (e.layer, e.start_ns, e.time_ns) = (3, 5_000_000_000, 5_000_000_000);
            e
        };
        let first = span_call(1, 2, vec![id()], (0, 5), 10);
        let second = span_call(1, 3, vec![id()], (4, 6), 20);
        assert_eq!(count(vec![first, second, event(10), event(20)]).0, 2);
    }

    #[test]
    fn the_same_record_again_counts_once_and_its_copy_covers_its_route() {
        let mut a = obs(Signal::Logs, Role::ModelCall, None, vec![CallKey::Request("s".into(), "req".into())], 10);
        a.route = Some("route-a".into());
        let b = Observation { route: Some("route-b".into()), ..a.clone() };
        let r = reconcile(Extracted { observations: vec![a.clone(), b], ..Default::default() });
        assert_eq!((total(&r), r.decisions.matches[Match::SameRecord as usize]), (10, 1));
        // A record of the same layer at another time is another call.
        let later = Observation { time_ns: 1, ..a.clone() };
        assert_eq!(count(vec![a, later]), (2, 20));
    }

    #[test]
    fn a_sibling_layer_that_lost_id_and_input_is_the_same_call() {
        let sibling = |model: &str, output| CallKey::Sibling([1; 16], crate::model::model_family(model), output);
        let mut sdk = span_call(1, 2, vec![sibling("claude-sonnet-4-5-20250929", 27)], (1, 4), 1279);
        sdk.tokens.output = 27;
        let mut chain = span_call(2, 3, vec![sibling("claude-sonnet-4-5", 27)], (0, 5), 0);
        (chain.tokens.output, chain.secondhand) = (27, true);
        let r = reconcile(Extracted { observations: vec![chain.clone(), sdk.clone()], ..Default::default() });
        assert_eq!((total(&r), r.decisions.matches[Match::SiblingLayer as usize]), (1279, 1));
        // Stated inputs that differ: two calls.
        chain.tokens.input = 900;
        assert_eq!(count(vec![chain, sdk]).0, 2);
    }

    /// A model-call span of `layer`, the root of trace `trace` (or not) in process `process`.
    fn traced_call(layer: u64, trace: u8, root: bool, (start, end): (u64, u64), input: u64) -> Observation {
        let mut o =
            span_call(layer, trace, vec![CallKey::ProcessSibling("claude-haiku-4-5".into(), 47)], (start, end), input);
        let base = PROCESS_SLOT_NS - 2_000_000_000;
        (o.scope, o.root, o.instance, o.tokens.output) = (u64::from(trace), root, Some("process".into()), 47);
        (o.start_ns, o.time_ns) = (o.start_ns + base, o.time_ns + base);
        o
    }

    #[test]
    fn a_sibling_layer_in_another_trace_of_the_process_is_the_same_call() {
        // LangChain's span (layer 2, input unknown) around the SDK's (layer 1), each the
        // root of its trace, across a slot boundary: one call, the SDK's.
        let sdk = traced_call(1, 1, true, (1, 3), 121);
        let chain = traced_call(2, 2, true, (0, 4), 0);
        let r = reconcile(Extracted { observations: vec![chain.clone(), sdk.clone()], ..Default::default() });
        assert_eq!((r.calls.len(), total(&r)), (1, 121));
        assert_eq!(r.decisions.matches[Match::SiblingAcrossTraces as usize], 1);
        assert_eq!(r.calls[0].span, sdk.span);
        // One of the two may sit inside a trace (CrewAI's listener span).
        let listener = Observation { root: false, ..chain.clone() };
        assert_eq!(count(vec![listener.clone(), sdk.clone()]), (1, 121));
        // Told apart: neither a root, another process, one layer, times apart, inputs.
        let nested = Observation { root: false, ..sdk.clone() };
        assert_eq!(count(vec![listener, nested]).0, 2);
        let elsewhere = Observation { instance: Some("other".into()), ..chain.clone() };
        assert_eq!(count(vec![elsewhere, sdk.clone()]).0, 2);
        assert_eq!(count(vec![Observation { layer: 1, ..chain.clone() }, sdk.clone()]).0, 2);
        assert_eq!(count(vec![traced_call(2, 2, true, (5, 6), 0), sdk.clone()]).0, 2);
        assert_eq!(count(vec![traced_call(2, 2, true, (0, 4), 120), sdk]).0, 2);
    }

    #[test]
    fn a_span_that_measured_no_usage_is_the_call_another_layer_measured() {
        // OpenLLMetry's span of a stream (layer 2, 0 of everything) beside the SDK's.
        let sdk = traced_call(1, 1, true, (1, 3), 121);
        let unmeasured = |layer, trace, (start, end)| {
            let mut o = traced_call(layer, trace, true, (start, end), 0);
            (o.tokens, o.keys) = (TokenBuckets::default(), CallKeys::default());
            o.keys.push(span_key(trace));
            o
        };
        let stream = unmeasured(2, 2, (0, 1));
        let r = reconcile(Extracted { observations: vec![stream.clone(), sdk.clone()], ..Default::default() });
        assert_eq!((r.calls.len(), total(&r), r.calls[0].span), (1, 121, sdk.span));
        assert_eq!(r.decisions.matches[Match::UnmeasuredLayer as usize], 1);
        // In one trace too.
        let mut inner = Observation { scope: sdk.scope, root: false, ..stream.clone() };
        inner.span = Some(([1; 16], [9; 8]));
        assert_eq!(count(vec![inner, Observation { root: false, ..sdk.clone() }]), (1, 121));
        // Alone, or told apart, it stays a request of no tokens: one layer, times apart,
        // another model family, two sessions, neither of two traces a root.
        assert_eq!(count(vec![stream.clone()]), (1, 0));
        assert_eq!(count(vec![Observation { layer: 1, ..stream.clone() }, sdk.clone()]), (2, 121));
        assert_eq!(count(vec![unmeasured(2, 2, (4, 5)), sdk.clone()]), (2, 121));
        let other_model = Observation { model: Some("gpt-4o".into()), ..stream.clone() };
        assert_eq!(count(vec![other_model, sdk.clone()]), (2, 121));
        let mut sessions = (stream.clone(), sdk.clone());
        (sessions.0.session, sessions.1.session) = (Some("a".into()), Some("b".into()));
        assert_eq!(count(vec![sessions.0, sessions.1]), (2, 121));
        let nested = (Observation { root: false, ..stream.clone() }, Observation { root: false, ..sdk.clone() });
        assert_eq!(count(vec![nested.0, nested.1]), (2, 121));
        // One layer records one call once: a measured span takes one of its spans.
        let twice = unmeasured(2, 3, (1, 2));
        assert_eq!(count(vec![stream.clone(), twice, sdk.clone()]), (2, 121));
        // It never stands for a record of the call that states usage (its event).
        let mut event = obs(Signal::Logs, Role::ModelCall, None, vec![span_key(2)], 50);
        event.scope = stream.scope;
        assert_eq!(count(vec![stream, event]), (1, 50));
    }

    #[test]
    fn an_estimate_gives_way_to_the_usage_another_layer_measured() {
        // Traceloop JS: the openai span's estimate (5 in) inside LangChain's span (89 in).
        let estimate = || {
            let mut o = traced_call(1, 1, true, (1, 3), 5);
            (o.estimated, o.tokens.output) = (true, 15);
            o
        };
        let chain = traced_call(2, 2, true, (0, 4), 89);
        let r = reconcile(Extracted { observations: vec![estimate(), chain.clone()], ..Default::default() });
        assert_eq!((r.calls.len(), total(&r), r.decisions.estimates), (1, 89, 0));
        assert_eq!(r.decisions.matches[Match::UnmeasuredLayer as usize], 1);
        // Matched by an identity (its response id), the measured record is kept.
        let id = CallKey::Response([1; 16], "chatcmpl-4".into());
        let mut own = span_call(1, 2, vec![id.clone()], (1, 3), 5);
        own.estimated = true;
        let other = span_call(3, 3, vec![id], (0, 4), 89);
        let r = reconcile(Extracted { observations: vec![own.clone(), other.clone()], ..Default::default() });
        assert_eq!((r.calls.len(), total(&r), r.calls[0].span, r.decisions.estimates), (1, 89, other.span, 0));
        // Matched by a layer stating the same counts, it is no estimate.
        let same = Observation { tokens: own.tokens, ..other };
        let r = reconcile(Extracted { observations: vec![own, same], ..Default::default() });
        assert_eq!((r.calls.len(), r.decisions.estimates), (1, 0));
        // Alone, it counts, and is said to be an estimate.
        let r = reconcile(Extracted { observations: vec![estimate()], ..Default::default() });
        assert_eq!((total(&r), r.decisions.estimates), (5, 1));
    }

    #[test]
    fn model_families_leave_dates_and_versions_out() {
        use crate::model::model_family;
        for (model, family) in [
            ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
            ("Claude-Sonnet-4-5", "claude-sonnet-4-5"),
            ("gpt-4o-2024-08-06", "gpt-4o"),
            ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
            ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5"),
            ("o4-mini", "o4-mini"),
            ("llama3.2:3b", "llama3.2:3b"),
        ] {
            assert_eq!(model_family(model), family, "{model}");
        }
    }

    /// One real call of a generated world, and the records its layers make of it.
    #[derive(Clone, Debug)]
    struct TrueCall {
        trace: u8,
        start: u64,
        duration: u64,
        model: u8,
        input: u64,
        output: u64,
        id: Option<u8>,
        session: Option<u8>,
        /// A wrapper layer's span too; streamed, it lost the response id and the input.
        wrapper: Option<bool>,
        /// An event about the call, inside its span or (false) outside any span.
        event: Option<bool>,
        /// The wrapper does not pass the context on: its span and the provider's are each
        /// the root of a trace of their own.
        apart: bool,
        /// A streaming layer's span too, ended before the stream was read: it states no
        /// usage (true), or its own estimate with the response id (false).
        unmeasured: Option<bool>,
    }

    fn true_call() -> impl Strategy<Value = TrueCall> {
        (
            (0u8..2, 0u64..40, 1u64..10, 0u8..2),
            (prop::sample::select(vec![0u64, 100, 1279]), 1u64..4),
            (prop::option::of(0u8..3), prop::option::of(0u8..2)),
            (prop::option::of(any::<bool>()), prop::option::of(any::<bool>()), any::<bool>()),
            prop::option::of(any::<bool>()),
        )
            .prop_map(
                |(
                    (trace, start, duration, model),
                    (input, output),
                    (id, session),
                    (wrapper, event, apart),
                    unmeasured,
                )| TrueCall {
                    trace,
                    start,
                    duration,
                    model,
                    input,
                    output,
                    id,
                    session,
                    wrapper,
                    event,
                    apart,
                    unmeasured,
                },
            )
    }

    /// The records of generated calls: the provider's own span for each (layer 1), maybe a
    /// wrapper's span around it (layer 2) in its trace or in one of its own, maybe an event
    /// (layer 3). All in one process, on both sides of a slot boundary.
    fn records(calls: &[TrueCall]) -> Vec<Observation> {
        let mut out = Vec::new();
        for (n, c) in calls.iter().enumerate() {
            let own_trace = [c.trace + 1; 16];
            let model = format!("m{}{}", c.model, if n % 2 == 0 { "-20250929" } else { "" });
            let record = |layer: u64, signal: Signal, span: Option<u64>, input: u64, with_id: bool| {
                // The wrapper's span apart is the root of a trace of its own.
                let trace = if c.apart && layer.is_multiple_of(2) { [100 + n as u8; 16] } else { own_trace };
                let response = c.id.map(|id| CallKey::Response(trace, format!("chatcmpl-{id}")));
                let mut o = obs(signal, Role::ModelCall, None, vec![], input);
                let ns = 1_000_000_000;
                (o.layer, o.tokens.output, o.model) = (layer, c.output, Some(model.clone()));
                (o.start_ns, o.time_ns) = match signal {
                    Signal::Traces => ((c.start + 1 - layer % 2) * ns, (c.start + c.duration + layer % 2) * ns),
                    _ => ((c.start + c.duration) * ns, (c.start + c.duration) * ns),
                };
                o.session = c.session.map(|s| format!("s{s}"));
                o.scope = u64::from(trace[0]);
                (o.instance, o.root) = (Some("process".into()), c.apart);
                let base = PROCESS_SLOT_NS - 20 * ns;
                (o.start_ns, o.time_ns) = (o.start_ns + base, o.time_ns + base);
                if let Some(span) = span {
                    o.span = Some((trace, span.to_le_bytes()));
                    o.keys.push(CallKey::Span(trace, span.to_le_bytes()));
                }
                if with_id {
                    o.keys.extend(response.clone());
                }
                if signal == Signal::Traces {
                    o.keys.extend(CallKey::siblings(trace, o.model.as_deref(), c.output).into_iter().flatten());
                }
                o
            };
            let own = 2 * n as u64 + 1;
            out.push(record(1, Signal::Traces, Some(own), c.input, true));
            if let Some(streamed) = c.wrapper {
                let mut wrapper =
                    record(2, Signal::Traces, Some(own + 1), if streamed { 0 } else { c.input }, !streamed);
                wrapper.secondhand = true;
                out.push(wrapper);
            }
            if let Some(zero) = c.unmeasured {
                // Span ids of their own, above every other record's.
                let span = Some(1000 + n as u64);
                let mut stream = match zero {
                    true => record(4, Signal::Traces, span, 0, false),
                    false => record(4, Signal::Traces, span, c.input / 2 + 1, true),
                };
                stream.estimated = !zero;
                stream.tokens.output = if zero { 0 } else { c.output + 7 };
                stream.keys = CallKeys::default();
                let (trace, id) = stream.span.unwrap_or_default();
                stream.keys.push(CallKey::Span(trace, id));
                if !zero {
                    stream.keys.extend(c.id.map(|id| CallKey::Response(trace, format!("chatcmpl-{id}"))));
                    let siblings = CallKey::siblings(trace, stream.model.as_deref(), stream.tokens.output);
                    stream.keys.extend(siblings.into_iter().flatten());
                }
                out.push(stream);
            }
            // An event outside any span with no id has no identity at all: none is made.
            if let Some(in_span) = c.event.filter(|in_span| *in_span || c.id.is_some()) {
                out.push(record(3, Signal::Logs, in_span.then_some(own), c.input, true));
            }
        }
        out
    }

    proptest! {
        /// Whatever ids collide, however calls overlap, streamed or not, in one trace or
        /// two: every call the provider's own layer recorded counts once, with its own usage.
        #[test]
        fn every_call_counts_once_whatever_ids_collide(calls in prop::collection::vec(true_call(), 0..12)) {
            let r = reconcile(Extracted { observations: records(&calls), ..Default::default() });
            prop_assert_eq!(r.calls.len(), calls.len());
            prop_assert_eq!(total(&r), calls.iter().map(|c| c.input).sum::<u64>());
            let output: u64 = r.calls.iter().map(|c| c.tokens.output).sum();
            prop_assert_eq!(output, calls.iter().map(|c| c.output).sum::<u64>());
            prop_assert_eq!(r.decisions.estimates, 0);
        }
    }

    #[test]
    fn metric_usage_is_covered_only_within_its_route() {
        use crate::extract::{InputCache, Measure, MetricPoint, UsageField};
        let point = |route: &str| MetricPoint {
            emitter: Emitter::Semconv,
            stream: 1,
            group: 1,
            cumulative: false,
            start_ns: 0,
            time_ns: 5,
            value: rust_decimal::Decimal::from(7),
            measure: Measure::Tokens(UsageField::Input),
            input_cache: InputCache::Excludes,
            model: Some("m".into()),
            provider: None,
            session: Some("s".into()),
            instance: None,
            service: None,
            dims: vec![],
            route: Some(route.into()),
            location: Location { file: "f".into(), at: Position::Whole },
        };
        let mut call = obs(Signal::Traces, Role::ModelCall, Some(1), vec![span_key(1)], 10);
        call.session = Some("s".into());
        call.route = Some("team-a".into());
        let with = |route: &str| Extracted {
            observations: vec![call.clone()],
            metric_points: vec![point(route)],
            ..Default::default()
        };
        // The same session name on another route is another sender's: its metrics count.
        assert_eq!(total(&reconcile(with("team-a"))), 10);
        assert_eq!(total(&reconcile(with("team-b"))), 17);
    }

    #[test]
    fn a_span_and_its_event_count_once_as_the_span() {
        let ex = Extracted {
            observations: vec![
                obs(Signal::Logs, Role::ModelCall, None, vec![span_key(2)], 10),
                obs(Signal::Traces, Role::ModelCall, Some(2), vec![span_key(2)], 10),
            ],
            ..Default::default()
        };
        let r = reconcile(ex);
        assert_eq!((r.calls.len(), r.calls[0].signal, r.decisions.duplicates), (1, Signal::Traces, 1));
    }

    #[test]
    fn a_retried_export_counts_once() {
        let o = obs(
            Signal::Traces,
            Role::ModelCall,
            Some(2),
            vec![span_key(2), CallKey::Response([1; 16], "r".into())],
            10,
        );
        let r = reconcile(Extracted { observations: vec![o.clone(), o], ..Default::default() });
        assert_eq!(total(&r), 10);
    }

    #[test]
    fn sibling_spans_of_one_response_count_once() {
        let a = obs(
            Signal::Traces,
            Role::ModelCall,
            Some(2),
            vec![span_key(2), CallKey::Response([1; 16], "r".into())],
            10,
        );
        let mut b = obs(
            Signal::Traces,
            Role::ModelCall,
            Some(3),
            vec![span_key(3), CallKey::Response([1; 16], "r".into())],
            10,
        );
        b.layer = 7;
        let r = reconcile(Extracted { observations: vec![a, b], ..Default::default() });
        assert_eq!((total(&r), r.decisions.matches[Match::SharedId as usize]), (10, 1));
    }

    #[test]
    fn the_providers_own_span_wins_over_a_wrappers_rereport() {
        let response = CallKey::Response([1; 16], "r".into());
        let mut wrapper = obs(Signal::Traces, Role::ModelCall, Some(2), vec![span_key(2), response.clone()], 17);
        wrapper.secondhand = true;
        wrapper.layer = 7;
        let own = obs(Signal::Traces, Role::ModelCall, Some(3), vec![span_key(3), response], 16);
        let r = reconcile(Extracted { observations: vec![wrapper, own], ..Default::default() });
        assert_eq!((total(&r), r.decisions.duplicates), (16, 1));
    }

    #[test]
    fn an_agent_span_summing_a_grandchild_is_not_counted() {
        // agent(1) -> cycle(2, no usage) -> chat(3)
        let agent = obs(Signal::Traces, Role::MaybeAggregate, Some(1), vec![span_key(1)], 30);
        let chat = obs(Signal::Traces, Role::ModelCall, Some(3), vec![span_key(3)], 30);
        let ex =
            Extracted { observations: vec![agent, chat], links: vec![link(2, 1), link(3, 2)], ..Default::default() };
        let r = reconcile(ex);
        assert_eq!((total(&r), r.decisions.aggregates), (30, 1));
    }

    #[test]
    fn an_agent_span_with_no_usage_below_is_counted() {
        let agent = obs(Signal::Traces, Role::MaybeAggregate, Some(1), vec![span_key(1)], 30);
        let other = obs(Signal::Traces, Role::ModelCall, Some(5), vec![span_key(5)], 7);
        let ex = Extracted { observations: vec![agent, other], links: vec![link(5, 4)], ..Default::default() };
        assert_eq!(total(&reconcile(ex)), 37);
    }

    #[test]
    fn a_parent_cycle_terminates() {
        let agent = obs(Signal::Traces, Role::MaybeAggregate, Some(1), vec![span_key(1)], 30);
        let ex = Extracted { observations: vec![agent], links: vec![link(1, 2), link(2, 1)], ..Default::default() };
        // 1's ancestor chain loops back to 1: it "has usage below" only through itself.
        let r = reconcile(ex);
        assert_eq!(r.calls.len() + r.decisions.aggregates as usize, 1);
    }

    #[test]
    fn a_kept_span_takes_what_its_dropped_event_knows_and_children_inherit_a_model() {
        let key = CallKey::Request("s".into(), "req".into());
        let mut span = obs(Signal::Traces, Role::ModelCall, Some(3), vec![span_key(3), key.clone()], 10);
        span.model = None;
        let mut event = obs(Signal::Logs, Role::ModelCall, None, vec![key], 10);
        event.reported_cost = Some(rust_decimal::Decimal::new(5, 2));
        let r = reconcile(Extracted { observations: vec![event, span], ..Default::default() });
        assert_eq!(r.calls.len(), 1);
        let c = &r.calls[0];
        assert_eq!(
            (c.signal, c.model.as_deref(), c.reported_cost),
            (Signal::Traces, Some("m"), Some(rust_decimal::Decimal::new(5, 2)))
        );

        // turn(1, model "turn-model", usage) -> step(2) -> response(3, no model)
        let mut turn = obs(Signal::Traces, Role::MaybeAggregate, Some(1), vec![span_key(1)], 10);
        turn.model = Some("turn-model".into());
        let mut response = obs(Signal::Traces, Role::ModelCall, Some(3), vec![span_key(3)], 10);
        response.model = None;
        let ex =
            Extracted { observations: vec![turn, response], links: vec![link(2, 1), link(3, 2)], ..Default::default() };
        let r = reconcile(ex);
        assert_eq!((r.calls.len(), r.calls[0].model.as_deref()), (1, Some("turn-model")));
    }
}

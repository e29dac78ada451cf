//! Files and stdin as a source: input → decode → extract over many files on all cores.
//!
//! Reader threads (one per file, a few files at a time) read and decompress the sources
//! into chunks of whole records; worker threads decode and extract chunks as they come,
//! through a bounded channel, so memory stays a few chunks deep however large the dump.
//! What they find goes to the reconcile store (which spills beyond its budget), numbered
//! by its place in the input, so every later decision is deterministic.

use super::unit::process_unit;
use crate::extract::{self, Extracted};
use crate::input::{self, Chunk, InputStats};
use crate::model::{Problem, Problems, UnorderedProblems};
use crate::reconcile::Store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// What reading all sources produced.
pub struct Collected {
    pub store: Store,
    pub problems: Problems,
    pub stats: InputStats,
    /// The receiver's account of a live session (`None` for files and stdin).
    pub session: Option<crate::receiver::Session>,
}

/// Reads, decodes and extracts every source into `store`. `threads` = 0 uses every core.
pub fn collect(sources: &[PathBuf], config: &extract::Config, threads: usize, mut store: Store) -> Collected {
    let first_source = store.sources(sources.len());
    let store = Mutex::new(store);
    let workers = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    let (tx, rx) = crossbeam_channel::bounded::<(Seq, Chunk)>(workers * 2);
    // As many as can be in flight: queued, being worked on, being filled.
    let spares = input::Spares::new(workers * 5);
    let problems = Mutex::new(UnorderedProblems::default());
    let consumed = AtomicU64::new(0);
    let progress = progress_bar(sources);

    let stats = std::thread::scope(|scope| {
        for _ in 0..workers {
            let rx = rx.clone();
            let (problems, store, spares) = (&problems, &store, &spares);
            scope.spawn(move || {
                for (seq, chunk) in rx {
                    let mut out = Extracted::default();
                    let mut found = Vec::new();
                    process(&chunk, config, &mut out, &mut found);
                    spares.give(chunk.data);
                    if !found.is_empty() {
                        let mut problems = problems.lock().expect("problem list");
                        found.into_iter().zip(0..).for_each(|(p, n)| problems.add((seq, 0, n), p));
                    }
                    let (file, chunk) = seq;
                    let source = first_source.saturating_add(u32::try_from(file).unwrap_or(u32::MAX));
                    store.lock().expect("store").add(source, chunk, out);
                }
            });
        }
        drop(rx);
        let sink_for = |file| ChannelSink {
            tx: tx.clone(),
            file,
            chunks: 0,
            problems: &problems,
            progress: &progress,
            consumed: &consumed,
            spares: &spares,
        };
        let stats = input::read(sources, workers, sink_for, &consumed);
        drop(tx);
        stats
    });
    progress.finish_and_clear();

    let problems = problems.into_inner().expect("problem list").finish();
    let store = store.into_inner().expect("store");
    Collected { store, problems, stats, session: None }
}

impl Collected {
    /// Reads more sources into what was collected (files a wrapped agent wrote during a
    /// live session), after what is there in input order.
    pub fn read_more(&mut self, sources: &[PathBuf], config: &extract::Config) {
        let read = collect(sources, config, 0, std::mem::take(&mut self.store));
        self.store = read.store;
        self.problems.append(read.problems);
        self.stats.files += read.stats.files;
        self.stats.bytes += read.stats.bytes;
        self.stats.readable += read.stats.readable;
        self.stats.unreadable.extend(read.stats.unreadable);
        self.stats.skipped_not_otlp.extend(read.stats.skipped_not_otlp);
    }

    /// Whether no input could be read at all (every source missing, unreadable or not
    /// telemetry): then there is nothing to report, not an empty report.
    pub fn read_nothing(&self) -> bool {
        self.stats.readable == 0 && !(self.problems.is_empty() && self.stats.skipped_not_otlp.is_empty())
    }
}

/// Where a chunk or problem comes in input order: the file's place, then the number of
/// chunks of that file before it.
type Seq = (usize, u64);

/// One file's way to the workers.
struct ChannelSink<'a> {
    tx: crossbeam_channel::Sender<(Seq, Chunk)>,
    file: usize,
    chunks: u64,
    /// Keyed by place: the chunk, then 0 for the workers' problems in it and 1 for the
    /// reader's after it, then their order.
    problems: &'a Mutex<UnorderedProblems<(Seq, u8, u64)>>,
    progress: &'a ProgressBar,
    consumed: &'a AtomicU64,
    spares: &'a input::Spares,
}

impl input::Sink for ChannelSink<'_> {
    fn chunk(&mut self, chunk: Chunk) {
        self.chunks += 1;
        // Workers only stop when the channel closes, so a send cannot fail while they run.
        let _ = self.tx.send(((self.file, self.chunks), chunk));
        self.progress.set_position(self.consumed.load(Ordering::Relaxed));
    }

    fn problem(&mut self, problem: Problem) {
        // After the records of the last chunk sent, whichever thread reports first.
        let mut problems = self.problems.lock().expect("problem list");
        let n = problems.count();
        problems.add(((self.file, self.chunks), 1, n), problem);
    }

    fn spare(&mut self) -> Option<Vec<u8>> {
        self.spares.take()
    }
}

fn progress_bar(sources: &[PathBuf]) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(input::total_size(sources)), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {bytes_per_sec} {wide_bar} {eta}")
            .expect("valid template"),
    );
    bar
}

/// Decodes and extracts every record of a chunk.
fn process(chunk: &Chunk, config: &extract::Config, out: &mut Extracted, problems: &mut Vec<Problem>) {
    chunk.for_each_unit(|unit| match unit {
        Ok(unit) => {
            if let Err(message) = process_unit(&unit, config, out) {
                problems.push(Problem { location: unit.location.clone(), message });
            }
            // Values the record's readers could not use, in input order with the rest.
            problems.append(&mut out.problems);
        }
        Err(problem) => problems.push(problem),
    });
}

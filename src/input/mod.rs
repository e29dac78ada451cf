//! Input stage: files, directories and stdin into chunks of whole records.
//!
//! Entry point: [`read`]. It opens each source, undoes gzip/zstd, recognises the layout
//! by content (JSON lines, one JSON document, a Collector file-exporter protobuf stream,
//! a single protobuf request body) and hands out [`Chunk`]s of a few MiB that end on
//! record boundaries, so workers can decode them in parallel while the file streams.
//! Several files are read at once, so decompression is spread over cores too.
//! Anything it cannot read becomes a [`Problem`] naming the file and line or offset.

mod block;
pub(crate) mod chunk;
mod sniff;
mod values;

pub use block::Spares;
pub use chunk::{Chunk, Layout, Unit, UnitPayload};
pub use values::TextLines;

use crate::model::{Location, Position, Problem};
pub(crate) use block::Sizes;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Target size of one chunk handed to a worker.
pub const CHUNK_BYTES: usize = 4 << 20;
/// The largest single record (line, frame or document) accepted.
pub const MAX_RECORD_BYTES: u64 = 512 << 20;
/// The capacity of the reader's buffer: a read at least this large bypasses it.
const READ_BUFFER: usize = 1 << 20;

/// Files that were looked at and passed over, not errors (e.g. a README in a dump folder).
#[derive(Clone, Debug, Default)]
pub struct InputStats {
    pub files: u64,
    pub bytes: u64,
    /// Files read as telemetry (OTLP, an SDK's or agent's file; empty ones too).
    pub readable: u64,
    /// Sources named on the command line that could not be read at all: missing, not
    /// permitted, not telemetry. Each is also a problem.
    pub unreadable: Vec<String>,
    pub skipped_not_otlp: Vec<String>,
    /// Lines of text between the JSON records of a file (a program's own output beside
    /// a console exporter's), skipped: per file, in input order.
    pub text_lines: Vec<(String, TextLines)>,
}

pub trait Sink {
    fn chunk(&mut self, chunk: Chunk);
    fn problem(&mut self, problem: Problem);
    /// The buffer of a chunk already done with, to read the next chunk into (see [`Spares`]).
    fn spare(&mut self) -> Option<Vec<u8>> {
        None
    }
}

/// Total size of the regular files the sources name (for a progress bar); stdin counts 0.
pub fn total_size(sources: &[PathBuf]) -> u64 {
    expand(sources)
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .filter_map(|(p, _)| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Reads every source, up to `readers` files at a time. Each file's chunks and problems go
/// to the sink `sink_for(n)` makes for it, `n` being the file's place in input order (so
/// results can be put back in that order). `consumed` counts the bytes read from the
/// sources as they are (compressed or not), for progress.
pub fn read<S: Sink>(
    sources: &[PathBuf],
    readers: usize,
    sink_for: impl Fn(usize) -> S + Sync,
    consumed: &AtomicU64,
) -> InputStats {
    let entries = expand(sources);
    let next = AtomicUsize::new(0);
    let stats = Mutex::new((InputStats::default(), Vec::new(), Vec::new(), Vec::new()));
    let read_files = || loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let Some(entry) = entries.get(n) else { break };
        let mut sink = sink_for(n);
        let (read, named) = match entry {
            Ok((path, named)) => {
                let route = file_route(path, &mut sink);
                (read_file(path, *named, &mut Routed { inner: &mut sink, route, chunks: 0 }, consumed), *named)
            }
            Err(problem) => {
                sink.problem(problem.clone());
                continue;
            }
        };
        let mut stats = stats.lock().expect("input stats");
        stats.0.files += 1;
        stats.0.bytes += read.bytes;
        if read.readable {
            stats.0.readable += 1;
        } else if named {
            stats.3.push((n, read.name.to_string()));
        }
        stats.1.extend(read.skipped.then(|| (n, read.name.to_string())));
        stats.2.extend(read.text.map(|t| (n, (read.name.to_string(), t))));
    };
    std::thread::scope(|scope| {
        for _ in 1..readers.clamp(1, entries.len().max(1)) {
            scope.spawn(read_files);
        }
        // The calling thread reads too: one file alone is read as before, with no thread
        // (and no malloc arena) of its own: a new arena costs ~30 MB of peak memory.
        read_files();
    });
    let (mut stats, mut skipped, mut text, mut unreadable) = stats.into_inner().expect("input stats");
    unreadable.sort();
    stats.unreadable = unreadable.into_iter().map(|(_, name)| name).collect();
    skipped.sort();
    stats.skipped_not_otlp = skipped.into_iter().map(|(_, name)| name).collect();
    text.sort_by_key(|(n, _)| *n);
    stats.text_lines = text.into_iter().map(|(_, t)| t).collect();
    stats
}

/// What reading one file gave.
struct FileRead {
    name: Arc<str>,
    bytes: u64,
    /// Read as telemetry, at least in part.
    readable: bool,
    /// Passed over as not OTLP (in a directory; a file named on the command line that is
    /// not telemetry is a problem).
    skipped: bool,
    /// The lines of text skipped between its records.
    text: Option<TextLines>,
}

/// Reads one file (or stdin, `-`).
fn read_file(path: &Path, named: bool, sink: &mut Routed<'_, impl Sink>, consumed: &AtomicU64) -> FileRead {
    let name: Arc<str> = if path.as_os_str() == "-" { "<stdin>".into() } else { path.display().to_string().into() };
    let opened: io::Result<Box<dyn Read + Send>> =
        if path.as_os_str() == "-" { Ok(Box::new(io::stdin())) } else { File::open(path).map(|f| Box::new(f) as _) };
    let reader = match opened {
        Ok(r) => r,
        Err(e) => {
            sink.problem(Problem { location: whole(&name), message: format!("cannot open: {e}") });
            return FileRead { name, bytes: 0, readable: false, skipped: false, text: None };
        }
    };
    let mut counted = CountingReader { inner: reader, count: 0, consumed };
    let mut text = TextLines::default();
    let outcome = read_one(name.clone(), &mut counted, sink, &mut text);
    // A stream that broke off after some records was read in part.
    let readable = matches!(outcome, Ok(Outcome::Read)) || sink.chunks > 0;
    let skipped = matches!(outcome, Ok(Outcome::NotOtlp)) && !named;
    match outcome {
        Ok(Outcome::Read) => {}
        Ok(Outcome::NotOtlp) if !named => {}
        Ok(Outcome::NotOtlp) => sink.problem(Problem {
            location: whole(&name),
            message: "not telemetry data (expected OTLP/JSON, a protobuf request, a Collector file-exporter dump, or an agent's or SDK's telemetry file)".into(),
        }),
        Err(problem) => sink.problem(problem),
    }
    let text = (text.count > 0).then_some(text);
    FileRead { name, bytes: counted.count, readable, skipped, text }
}

/// The route of a file below a `--save` route directory (`route=team-a/`); a directory so
/// named that is no valid route is a problem, and the file is read without one.
fn file_route(path: &Path, sink: &mut dyn Sink) -> Option<crate::model::Route> {
    if path.as_os_str() == "-" {
        return None;
    }
    match crate::model::route::of_file(path)? {
        Ok(route) => Some(route),
        Err(message) => {
            let name: Arc<str> = path.display().to_string().into();
            sink.problem(Problem { location: whole(&name), message: format!("{message}; read without a route") });
            None
        }
    }
}

/// A file's sink that tags its chunks with the file's route, and counts them.
struct Routed<'s, S> {
    inner: &'s mut S,
    route: Option<crate::model::Route>,
    chunks: u64,
}

impl<S: Sink> Sink for Routed<'_, S> {
    fn chunk(&mut self, mut chunk: Chunk) {
        self.chunks += 1;
        chunk.route = self.route.clone();
        self.inner.chunk(chunk);
    }

    fn problem(&mut self, problem: Problem) {
        self.inner.problem(problem);
    }

    fn spare(&mut self) -> Option<Vec<u8>> {
        self.inner.spare()
    }
}

fn whole(name: &Arc<str>) -> Location {
    Location { file: name.clone(), at: Position::Whole }
}

/// Sources with directories expanded (recursively, sorted, hidden entries skipped).
/// The flag says whether the user named the file itself. In a directory, an entry that
/// cannot be read (a dangling symlink, a symlink loop), a directory already walked (a
/// symlink back up the tree) and anything but a regular file (a FIFO would block the run)
/// is a problem, never a hang or a silent skip.
fn expand(sources: &[PathBuf]) -> Vec<Result<(PathBuf, bool), Problem>> {
    fn problem(path: &Path, message: String) -> Result<(PathBuf, bool), Problem> {
        Err(Problem { location: Location { file: path.display().to_string().into(), at: Position::Whole }, message })
    }
    fn walk(
        dir: &Path,
        seen: &mut std::collections::HashSet<PathBuf>,
        out: &mut Vec<Result<(PathBuf, bool), Problem>>,
    ) {
        match std::fs::canonicalize(dir) {
            Ok(real) if seen.contains(&real) => {
                out.push(problem(dir, format!("skipped: a link to {}, which is already read", real.display())));
                return;
            }
            Ok(real) => {
                seen.insert(real);
            }
            Err(e) => return out.push(problem(dir, format!("cannot read directory: {e}"))),
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return out.push(problem(dir, format!("cannot read directory: {e}"))),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        paths.sort();
        for p in paths {
            match std::fs::metadata(&p) {
                Err(e) => out.push(problem(&p, format!("cannot open: {e}"))),
                Ok(m) if m.is_dir() => walk(&p, seen, out),
                Ok(m) if m.is_file() => out.push(Ok((p, false))),
                Ok(_) => out.push(problem(&p, "skipped: not a regular file (a FIFO, socket or device)".into())),
            }
        }
    }
    let mut out = Vec::new();
    for s in sources {
        if s.is_dir() {
            walk(s, &mut Default::default(), &mut out);
        } else {
            out.push(Ok((s.clone(), true)));
        }
    }
    out
}

pub(crate) enum Outcome {
    Read,
    NotOtlp,
}

pub(crate) fn read_one(
    name: Arc<str>,
    raw: &mut dyn Read,
    sink: &mut dyn Sink,
    text: &mut TextLines,
) -> Result<Outcome, Problem> {
    let mut reader: Box<dyn BufRead + '_> = Box::new(BufReader::with_capacity(READ_BUFFER, raw));
    // Undo whole-stream compression (possibly nested, e.g. a .json.gz inside nothing else).
    loop {
        let head = peek(&mut reader, &name)?;
        reader = match sniff::compression(&head) {
            Some(sniff::Compression::Gzip) => {
                Box::new(BufReader::with_capacity(READ_BUFFER, flate2::bufread::MultiGzDecoder::new(reader)))
            }
            Some(sniff::Compression::Zstd) => {
                let dec = zstd::stream::read::Decoder::with_buffer(reader)
                    .map_err(|e| Problem { location: whole(&name), message: format!("zstd: {e}") })?;
                Box::new(BufReader::with_capacity(READ_BUFFER, dec))
            }
            None => break,
        };
    }
    let head = peek(&mut reader, &name)?;
    let hint = sniff::signal_from_name(&name);
    match sniff::layout(&head) {
        sniff::Detected::Empty => Ok(Outcome::Read),
        // The Collector's own log lines may come first: look further than the head.
        sniff::Detected::NotOtlp if sniff::collector_debug_output(reader.fill_buf().unwrap_or_default()) => Err(Problem {
            location: whole(&name),
            message: "the Collector's debug exporter output (console text, not OTLP: types and ids are lost) is not an \
                      input: write a file with the file exporter (format: json or proto) or send OTLP to `otelcost listen`"
                .into(),
        }),
        sniff::Detected::NotOtlp => Ok(Outcome::NotOtlp),
        sniff::Detected::Json => chunk::json(name, reader, sink, text, Sizes::FILES),
        sniff::Detected::Frames => chunk::frames(name, reader, hint, sink, Sizes::FILES).map(|_| Outcome::Read),
        sniff::Detected::Body => chunk::body(name, reader, hint, sink).map(|_| Outcome::Read),
    }
}

/// The first bytes of the stream (what one read gave, up to 64 KiB), without consuming
/// them. Decompression and read errors surface here with the file name.
fn peek(reader: &mut Box<dyn BufRead + '_>, name: &Arc<str>) -> Result<Vec<u8>, Problem> {
    let buf = reader.fill_buf().map_err(|e| Problem { location: whole(name), message: read_error(&e) })?;
    Ok(buf[..buf.len().min(64 << 10)].to_vec())
}

pub(crate) fn read_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
            format!("corrupt compressed data: {e}")
        }
        io::ErrorKind::UnexpectedEof => format!("truncated: {e}"),
        _ => format!("read error: {e}"),
    }
}

struct CountingReader<'c, R> {
    inner: R,
    count: u64,
    consumed: &'c AtomicU64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

//! Observations and span links on disk, partitioned by scope, for when they do not fit
//! the memory budget: reconcile then takes one partition at a time (the way sort(1) and
//! DuckDB go out of core) and writes the calls it keeps, in input order, to one more
//! file per partition, which [`Merge`] reads back in input order.
//!
//! The files are this process's own, in a temporary directory removed when it is dropped
//! (and on Ctrl-C, see `temp.rs`). They are not synced (nothing needs them after a crash),
//! so each file's count of records is kept and checked when it is read back: a record
//! that does not read back is an error, never a call skipped.

use super::Order;
use crate::extract::SpanLink;
use crate::model::record::{Decoder, Encoder, Names};
use crate::model::Observation;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Files a spill writes at once: enough that 100 M calls make partitions of a few hundred
/// MB at most before they are split again, few enough for one open file each.
pub(super) const FAN_OUT: usize = 64;
const BUFFER: usize = 32 * 1024;
/// The merge reads every partition's calls at once (thousands of files after splits):
/// smaller buffers, so they add up to little.
const MERGE_BUFFER: usize = 8 * 1024;

/// One record in a spill file.
// Read and written one at a time, never stored as items: boxing would cost an allocation each.
#[allow(clippy::large_enum_variant)]
pub(super) enum Item {
    Observation(Order, Observation),
    Link(SpanLink),
}

impl Item {
    fn scope(&self) -> u64 {
        match self {
            Item::Observation(_, o) => o.scope,
            Item::Link(l) => l.scope,
        }
    }
}

/// A spill file written: its path and how many records it holds.
#[derive(Clone, Debug)]
pub(super) struct SpillFile {
    pub path: PathBuf,
    pub records: u64,
}

/// A partition written, and what its records take in memory (estimated).
pub(super) struct Written {
    pub file: SpillFile,
    pub bytes: usize,
}

/// `FAN_OUT` files being written, a record going to the one its scope hashes to.
pub(super) struct Partitions {
    files: Vec<(SpillFile, BufWriter<File>, usize)>,
    /// Which hash picks the partition: a partition split again uses the next one.
    level: u32,
    frame: Vec<u8>,
}

impl Partitions {
    pub fn create(dir: &Path, name: &str, level: u32) -> io::Result<Partitions> {
        let files = (0..FAN_OUT)
            .map(|n| {
                let path = dir.join(format!("{name}-{n:02}"));
                let file = File::create(&path).map_err(|e| at(&path, e))?;
                Ok((SpillFile { path, records: 0 }, BufWriter::with_capacity(BUFFER, file), 0))
            })
            .collect::<io::Result<_>>()?;
        Ok(Partitions { files, level, frame: Vec::new() })
    }

    pub fn push(&mut self, item: &Item, bytes: usize) -> io::Result<()> {
        let n = partition(item.scope(), self.level);
        let (spilled, file, size) = &mut self.files[n];
        *size += bytes;
        spilled.records += 1;
        write_frame(file, &mut self.frame, item).map_err(|e| at(&spilled.path, e))
    }

    pub fn finish(self) -> io::Result<Vec<Written>> {
        self.files
            .into_iter()
            .map(|(file, out, bytes)| {
                out.into_inner().map_err(|e| at(&file.path, e.into_error()))?;
                Ok(Written { file, bytes })
            })
            .collect()
    }
}

/// A scope's partition at a level: a different mix of the same scope per level, so a
/// partition split again spreads over all of its new files.
fn partition(scope: u64, level: u32) -> usize {
    let mut x = scope ^ u64::from(level).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((x ^ (x >> 31)) % FAN_OUT as u64) as usize
}

fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// The calls kept from one partition, in input order.
pub(super) fn write_calls(path: &Path, calls: &[(Order, Observation)]) -> io::Result<SpillFile> {
    let mut file = BufWriter::with_capacity(BUFFER, File::create(path).map_err(|e| at(path, e))?);
    let mut frame = Vec::new();
    for (order, o) in calls {
        write_observation_frame(&mut file, &mut frame, *order, o).map_err(|e| at(path, e))?;
    }
    file.into_inner().map_err(|e| at(path, e.into_error()))?;
    Ok(SpillFile { path: path.to_owned(), records: calls.len() as u64 })
}

/// Reads a spill file from the start.
pub(super) struct Reader {
    path: PathBuf,
    /// Records written, and read so far.
    records: u64,
    read: u64,
    file: BufReader<File>,
    frame: Vec<u8>,
    /// File names and routes, shared between the records that name them.
    names: Names,
}

impl Reader {
    pub fn open(spilled: &SpillFile) -> io::Result<Reader> {
        Reader::with_buffer(spilled, BUFFER)
    }

    fn with_buffer(spilled: &SpillFile, capacity: usize) -> io::Result<Reader> {
        let path = &spilled.path;
        let file = File::open(path).map_err(|e| at(path, e))?;
        Ok(Reader {
            path: path.to_owned(),
            records: spilled.records,
            read: 0,
            file: BufReader::with_capacity(capacity, file),
            frame: Vec::new(),
            names: Names::default(),
        })
    }

    /// The next record, `None` at the end of the file.
    pub fn next_item(&mut self) -> io::Result<Option<Item>> {
        let mut len = [0u8; 4];
        match self.file.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && self.read == self.records => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                let lost = format!("{} records written, {} read back", self.records, self.read);
                return Err(at(&self.path, io::Error::new(io::ErrorKind::InvalidData, lost)));
            }
            Err(e) => return Err(at(&self.path, e)),
        }
        self.frame.resize(u32::from_le_bytes(len) as usize, 0);
        self.file.read_exact(&mut self.frame).map_err(|e| at(&self.path, e))?;
        let mut dec = Decoder { buf: &self.frame, names: &mut self.names };
        self.read += 1;
        let item = read_item(&mut dec);
        item.map(Some)
            .ok_or_else(|| at(&self.path, io::Error::new(io::ErrorKind::InvalidData, "a spilled record is corrupt")))
    }
}

/// The calls of every partition, merged back into input order.
pub(super) struct Merge {
    readers: Vec<Reader>,
    heads: BinaryHeap<std::cmp::Reverse<(Order, usize)>>,
    pending: Vec<Option<Observation>>,
}

impl Merge {
    pub fn open(files: &[SpillFile]) -> io::Result<Merge> {
        let mut merge = Merge { readers: Vec::new(), heads: BinaryHeap::new(), pending: Vec::new() };
        for file in files {
            merge.readers.push(Reader::with_buffer(file, MERGE_BUFFER)?);
            merge.pending.push(None);
            merge.advance(merge.readers.len() - 1)?;
        }
        Ok(merge)
    }

    fn advance(&mut self, n: usize) -> io::Result<()> {
        match self.readers[n].next_item()? {
            Some(Item::Observation(order, o)) => {
                self.pending[n] = Some(o);
                self.heads.push(std::cmp::Reverse((order, n)));
            }
            Some(Item::Link(_)) => {
                return Err(at(&self.readers[n].path, io::Error::new(io::ErrorKind::InvalidData, "not a calls file")))
            }
            None => {}
        }
        Ok(())
    }

    /// The next call in input order.
    pub fn next_call(&mut self) -> io::Result<Option<Observation>> {
        let Some(std::cmp::Reverse((_, n))) = self.heads.pop() else { return Ok(None) };
        let call = self.pending[n].take();
        self.advance(n)?;
        Ok(call)
    }
}

fn write_frame(out: &mut impl Write, frame: &mut Vec<u8>, item: &Item) -> io::Result<()> {
    match item {
        Item::Observation(order, o) => write_observation_frame(out, frame, *order, o),
        Item::Link(link) => {
            frame.clear();
            frame.push(LINK);
            frame.extend_from_slice(&link.scope.to_le_bytes());
            frame.extend_from_slice(&link.trace_id);
            frame.extend_from_slice(&link.span_id);
            frame.extend_from_slice(&link.parent_span_id);
            emit(out, frame)
        }
    }
}

fn write_observation_frame(out: &mut impl Write, frame: &mut Vec<u8>, order: Order, o: &Observation) -> io::Result<()> {
    frame.clear();
    let mut enc = Encoder(frame);
    enc.0.push(OBSERVATION);
    enc.uint(u64::from(order.source));
    enc.uint(order.chunk);
    enc.uint(u64::from(order.index));
    o.encode(&mut enc);
    emit(out, frame)
}

fn emit(out: &mut impl Write, frame: &[u8]) -> io::Result<()> {
    let len = u32::try_from(frame.len()).map_err(|_| io::Error::other("a record too large to spill"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(frame)
}

const OBSERVATION: u8 = 0;
const LINK: u8 = 1;

/// Reads one frame: an item, or `None` for a frame that is not what was written.
fn read_item(dec: &mut Decoder<'_, '_>) -> Option<Item> {
    let item = match dec.byte()? {
        OBSERVATION => {
            let order = Order {
                source: u32::try_from(dec.uint()?).ok()?,
                chunk: dec.uint()?,
                index: u32::try_from(dec.uint()?).ok()?,
            };
            Item::Observation(order, Observation::decode(dec)?)
        }
        LINK => Item::Link(SpanLink {
            scope: u64::from_le_bytes(dec.array()?),
            trace_id: dec.array()?,
            span_id: dec.array()?,
            parent_span_id: dec.array()?,
        }),
        _ => return None,
    };
    dec.buf.is_empty().then_some(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CallKey, CallKeys, Emitter, Location, Position, Role, ServiceTier, Signal, TokenBuckets};
    use rust_decimal::Decimal;

    fn observation() -> Observation {
        let mut keys = CallKeys::default();
        keys.extend([CallKey::Span([1; 16], [2; 8]), CallKey::Request("s".into(), "r".into())]);
        Observation {
            emitter: Emitter::Codex,
            signal: Signal::Logs,
            role: Role::MaybeAggregate,
            time_ns: 1_764_000_000_123_456_789,
            model: Some("gpt-5".into()),
            provider: Some(String::new()),
            address: Some("llm.internal:8080".into()),
            tier: ServiceTier::Flex,
            operation: None,
            service: Some("svc".into()),
            tokens: TokenBuckets {
                input: 1,
                cache_read: u64::MAX,
                cache_write_5m: 300,
                cache_write_1h: 0,
                output: 1 << 40,
                reasoning: 7,
            },
            requests: 1,
            reported_cost: Some(Decimal::new(-12345, 9)),
            session: Some("ses ☃".into()),
            instance: None,
            keys,
            scope: u64::MAX - 3,
            secondhand: true,
            partial: false,
            span: Some(([9; 16], [8; 8])),
            dims: vec![None, Some("team-a".into()), Some(String::new())],
            route: Some("team-a".into()),
            location: Location { file: "dump.jsonl".into(), at: Position::Offset(99) },
            start_ns: 1_764_000_000_000_000_001,
            layer: u64::MAX - 9,
            root: true,
            estimated: false,
            unmeasured_joined: 0,
        }
    }

    #[test]
    fn what_is_spilled_reads_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let o = observation();
        let order = Order { source: 3, chunk: 1 << 33, index: 17 };
        let link = SpanLink { scope: o.scope, trace_id: [1; 16], span_id: [2; 8], parent_span_id: [3; 8] };
        let mut parts = Partitions::create(dir.path(), "p", 0).unwrap();
        parts.push(&Item::Observation(order, o.clone()), 1).unwrap();
        parts.push(&Item::Link(link), 1).unwrap();
        let written = parts.finish().unwrap();
        // The same scope, the same partition.
        let full: Vec<_> = written.iter().filter(|w| w.bytes > 0).collect();
        assert_eq!(full.len(), 1);
        assert_eq!(full[0].file.records, 2);
        let mut reader = Reader::open(&full[0].file).unwrap();
        match reader.next_item().unwrap() {
            Some(Item::Observation(back, read)) => assert!(back == order && read == o),
            _ => panic!("not the observation"),
        }
        assert!(matches!(reader.next_item().unwrap(), Some(Item::Link(l)) if l == link));
        assert!(reader.next_item().unwrap().is_none());
    }

    #[test]
    fn a_corrupt_or_cut_file_is_an_error_not_a_call() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calls");
        let calls = [(Order::default(), observation()), (Order::default(), observation())];
        let file = write_calls(&path, &calls).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let read_all = || {
            let mut reader = Reader::open(&file)?;
            while reader.next_item()?.is_some() {}
            Ok::<_, io::Error>(())
        };
        read_all().unwrap();
        // Cut anywhere, even between two records (a write that never reached the disk).
        for cut in [bytes.len() - 1, bytes.len() / 2, 10, 5, 0] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(read_all().is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[4] = 7; // not a record kind
        std::fs::write(&path, &flipped).unwrap();
        assert!(read_all().is_err());
    }

    #[test]
    fn names_read_back_do_not_pile_up() {
        // A live session names every request apart: "request 1 (http)", "request 2 (http)"…
        let dir = tempfile::tempdir().unwrap();
        let calls: Vec<_> = (0..2000)
            .map(|n| {
                let location = Location { file: format!("request {n} (http)").into(), at: Position::Whole };
                (Order { source: 0, chunk: n, index: 0 }, Observation { location, ..observation() })
            })
            .collect();
        let file = write_calls(&dir.path().join("calls"), &calls).unwrap();
        let mut reader = Reader::open(&file).unwrap();
        let mut last = None;
        while let Some(Item::Observation(_, o)) = reader.next_item().unwrap() {
            last = Some(o.location.file);
        }
        assert_eq!(last.as_deref(), Some("request 1999 (http)"));
        assert!(reader.names.kept() <= 256);
    }

    #[test]
    fn the_merge_gives_every_call_in_input_order() {
        let dir = tempfile::tempdir().unwrap();
        let at = |chunk| Order { source: 0, chunk, index: 0 };
        let files: Vec<SpillFile> = [vec![1, 4, 5], vec![], vec![2, 3, 6]]
            .iter()
            .enumerate()
            .map(|(n, chunks)| {
                let path = dir.path().join(format!("calls-{n}"));
                let calls: Vec<_> =
                    chunks.iter().map(|c| (at(*c), Observation { time_ns: *c, ..observation() })).collect();
                write_calls(&path, &calls).unwrap()
            })
            .collect();
        let mut merge = Merge::open(&files).unwrap();
        let mut times = Vec::new();
        while let Some(o) = merge.next_call().unwrap() {
            times.push(o.time_ns);
        }
        assert_eq!(times, [1, 2, 3, 4, 5, 6]);
    }
}

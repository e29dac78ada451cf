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
use crate::model::route::Route;
use crate::model::{CallKeys, Emitter, Location, Observation, Position, Role, ServiceTier, Signal, TokenBuckets};
use rust_decimal::Decimal;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
        let item = dec.item();
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
    enc.0.extend_from_slice(&o.scope.to_le_bytes());
    enc.0.extend_from_slice(&[
        index_of(Emitter::ALL, o.emitter),
        index_of(&SIGNALS, o.signal),
        index_of(&ROLES, o.role),
        index_of(&TIERS, o.tier),
        u8::from(o.secondhand) | u8::from(o.partial) << 1,
    ]);
    enc.uint(o.time_ns);
    for text in [&o.model, &o.provider, &o.operation, &o.service, &o.session, &o.instance] {
        enc.text(text.as_deref());
    }
    enc.text(o.address.as_deref());
    let t = &o.tokens;
    for n in [t.input, t.cache_read, t.cache_write_5m, t.cache_write_1h, t.output, t.reasoning, o.requests] {
        enc.uint(n);
    }
    match o.reported_cost {
        Some(cost) => {
            enc.0.push(1);
            enc.0.extend_from_slice(&cost.serialize());
        }
        None => enc.0.push(0),
    }
    enc.uint(o.keys.ids().len() as u64);
    for id in o.keys.ids() {
        enc.0.extend_from_slice(&id.to_le_bytes());
    }
    match o.span {
        Some((trace, span)) => {
            enc.0.push(1);
            enc.0.extend_from_slice(&trace);
            enc.0.extend_from_slice(&span);
        }
        None => enc.0.push(0),
    }
    enc.uint(o.dims.len() as u64);
    for d in &o.dims {
        enc.text(d.as_deref());
    }
    enc.text(o.route.as_deref());
    enc.text(Some(&o.location.file));
    let (tag, n) = match o.location.at {
        Position::Line(n) => (0, n),
        Position::Offset(n) => (1, n),
        Position::Whole => (2, 0),
    };
    enc.0.push(tag);
    enc.uint(n);
    enc.uint(o.time_ns - o.start_ns.min(o.time_ns));
    enc.0.extend_from_slice(&o.layer.to_le_bytes());
    emit(out, frame)
}

fn emit(out: &mut impl Write, frame: &[u8]) -> io::Result<()> {
    let len = u32::try_from(frame.len()).map_err(|_| io::Error::other("a record too large to spill"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(frame)
}

const OBSERVATION: u8 = 0;
const LINK: u8 = 1;
const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];
const ROLES: [Role; 3] = [Role::ModelCall, Role::MaybeAggregate, Role::MetricTotal];
const TIERS: [ServiceTier; 5] =
    [ServiceTier::Standard, ServiceTier::Flex, ServiceTier::Priority, ServiceTier::Batch, ServiceTier::Other];

fn index_of<T: PartialEq>(all: &[T], value: T) -> u8 {
    all.iter().position(|v| *v == value).unwrap_or(0) as u8
}

struct Encoder<'b>(&'b mut Vec<u8>);

impl Encoder<'_> {
    /// LEB128: most numbers here are small.
    fn uint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    /// Absent, or present with its length (so `Some("")` reads back as itself).
    fn text(&mut self, text: Option<&str>) {
        match text {
            None => self.uint(0),
            Some(t) => {
                self.uint(t.len() as u64 + 1);
                self.0.extend_from_slice(t.as_bytes());
            }
        }
    }
}

/// Reads one frame; `None` for a frame that is not what was written.
struct Decoder<'b, 'n> {
    buf: &'b [u8],
    names: &'n mut Names,
}

/// Names read back, each kept once while few; the last one is tried first (records of one
/// file mostly follow each other). A live session names every request apart, so the map is
/// emptied when full: it must not grow with the input.
#[derive(Default)]
struct Names {
    all: HashMap<Box<str>, Arc<str>>,
    last: Option<Arc<str>>,
}

impl Names {
    const MAX: usize = 256;
}

impl<'b> Decoder<'b, '_> {
    fn item(&mut self) -> Option<Item> {
        match self.byte()? {
            OBSERVATION => self.observation(),
            LINK => Some(Item::Link(SpanLink {
                scope: u64::from_le_bytes(self.array()?),
                trace_id: self.array()?,
                span_id: self.array()?,
                parent_span_id: self.array()?,
            })),
            _ => None,
        }
    }

    fn observation(&mut self) -> Option<Item> {
        let order = Order {
            source: u32::try_from(self.uint()?).ok()?,
            chunk: self.uint()?,
            index: u32::try_from(self.uint()?).ok()?,
        };
        let scope = u64::from_le_bytes(self.array()?);
        let [emitter, signal, role, tier, flags] = self.array()?;
        let time_ns = self.uint()?;
        let mut texts = [(); 6].map(|_| None);
        for t in &mut texts {
            *t = self.text()?;
        }
        let [model, provider, operation, service, session, instance] = texts;
        let address = self.text()?.map(String::into_boxed_str);
        let mut n = [0u64; 7];
        for v in &mut n {
            *v = self.uint()?;
        }
        let [input, cache_read, cache_write_5m, cache_write_1h, output, reasoning, requests] = n;
        let reported_cost = match self.byte()? {
            0 => None,
            _ => Some(Decimal::deserialize(self.array()?)),
        };
        let key_count = usize::try_from(self.uint()?).ok().filter(|n| *n <= CallKeys::MAX)?;
        let mut ids = [0u128; CallKeys::MAX];
        for id in ids.iter_mut().take(key_count) {
            *id = u128::from_le_bytes(self.array()?);
        }
        let span = match self.byte()? {
            0 => None,
            _ => Some((self.array()?, self.array()?)),
        };
        let dim_count = usize::try_from(self.uint()?).ok().filter(|n| *n <= self.buf.len())?;
        let dims = (0..dim_count).map(|_| self.text()).collect::<Option<Vec<_>>>()?;
        let route: Option<Route> = self.name()?;
        let file = self.name()??;
        let at = match (self.byte()?, self.uint()?) {
            (0, n) => Position::Line(n),
            (1, n) => Position::Offset(n),
            (2, _) => Position::Whole,
            _ => return None,
        };
        let start_ns = time_ns.checked_sub(self.uint()?)?;
        let layer = u64::from_le_bytes(self.array()?);
        let o = Observation {
            emitter: *Emitter::ALL.get(usize::from(emitter))?,
            signal: *SIGNALS.get(usize::from(signal))?,
            role: *ROLES.get(usize::from(role))?,
            time_ns,
            model,
            provider,
            address,
            tier: *TIERS.get(usize::from(tier))?,
            operation,
            service,
            tokens: TokenBuckets { input, cache_read, cache_write_5m, cache_write_1h, output, reasoning },
            requests,
            reported_cost,
            session,
            instance,
            keys: CallKeys::from_ids(&ids[..key_count]),
            scope,
            secondhand: flags & 1 != 0,
            partial: flags & 2 != 0,
            span,
            dims,
            route,
            location: Location { file, at },
            start_ns,
            layer,
        };
        self.buf.is_empty().then_some(Item::Observation(order, o))
    }

    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.buf.split_first()?;
        self.buf = rest;
        Some(*b)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.buf.split_first_chunk::<N>()?;
        self.buf = rest;
        Some(*head)
    }

    fn uint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }

    /// `Some(None)` for an absent text, `None` for a frame cut short.
    fn text(&mut self) -> Option<Option<String>> {
        Some(self.str()?.map(str::to_owned))
    }

    fn str(&mut self) -> Option<Option<&'b str>> {
        let len = usize::try_from(self.uint()?).ok()?;
        if len == 0 {
            return Some(None);
        }
        let buf: &'b [u8] = self.buf;
        let bytes = buf.get(..len - 1)?;
        self.buf = &buf[len - 1..];
        Some(Some(std::str::from_utf8(bytes).ok()?))
    }

    /// A text many records share (a file name, a route), without a copy per record.
    fn name(&mut self) -> Option<Option<Arc<str>>> {
        let Some(text) = self.str()? else { return Some(None) };
        let names = &mut *self.names;
        if let Some(last) = names.last.as_ref().filter(|last| ***last == *text) {
            return Some(Some(Arc::clone(last)));
        }
        let name = match names.all.get(text) {
            Some(name) => Arc::clone(name),
            None => {
                let name: Arc<str> = Arc::from(text);
                if names.all.len() >= Names::MAX {
                    names.all.clear();
                }
                names.all.insert(text.into(), Arc::clone(&name));
                name
            }
        };
        names.last = Some(Arc::clone(&name));
        Some(Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CallKey;

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
        }
    }

    fn same(a: &Observation, b: &Observation) -> bool {
        // Observation has no PartialEq (nothing else compares them): its Debug is every field.
        format!("{a:?}") == format!("{b:?}")
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
            Some(Item::Observation(back, read)) => assert!(back == order && same(&read, &o)),
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
        assert!(reader.names.all.len() <= Names::MAX);
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

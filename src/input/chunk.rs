//! Cutting a stream into chunks of whole records, and records back out of a chunk.

use super::values::{self, First, TextLines};
use super::{read_error, sniff, Outcome, Sink, CHUNK_BYTES, MAX_RECORD_BYTES};
use crate::decode;
use crate::model::Problem;
use crate::model::Route;
use crate::model::{Location, Position, Signal};
use std::io::{BufRead, Read};
use std::sync::Arc;

/// Whole records from one source, ready for a worker.
pub struct Chunk {
    pub file: Arc<str>,
    pub data: Vec<u8>,
    pub layout: Layout,
    /// The route of the file's `route=…` directory (set by the reader of the file).
    pub route: Option<Route>,
    /// What the file's lines before the chunk said that its lines need (Codex transcripts).
    pub context: decode::LineContext,
}

#[derive(Clone, Copy, Debug)]
pub enum Layout {
    /// Complete lines; the first is line `first_line` (1-based) of the file.
    JsonLines { first_line: u64 },
    /// Whole JSON values one after another (pretty-printed records), possibly between
    /// lines of text; the chunk starts at line `first_line` (1-based) of the file.
    JsonValues { first_line: u64 },
    /// Complete length-prefixed frames; the first prefix is at byte `first_offset`.
    Frames { first_offset: u64, hint: Option<Signal> },
    /// The whole file: one protobuf request.
    Body { hint: Option<Signal> },
}

/// One record: a request in some encoding, and where it is.
pub struct Unit<'a> {
    pub location: Location,
    pub payload: UnitPayload<'a>,
    /// The route it was sent to.
    pub route: Option<&'a Route>,
    /// What the lines before it in its file said that it needs (see `decode::LineContext`).
    pub context: Option<&'a decode::LineContext>,
}

pub enum UnitPayload<'a> {
    Json(&'a [u8]),
    Proto(&'a [u8], Option<Signal>),
    /// A zstd-compressed frame (the file exporter's legacy per-message compression).
    Zstd(&'a [u8], Option<Signal>),
}

impl Chunk {
    /// Calls `f` for every record of the chunk, or with a problem for the parts that are
    /// not records (a document that does not parse).
    pub fn for_each_unit(&self, mut f: impl FnMut(Result<Unit<'_>, Problem>)) {
        let at = |position| Location { file: self.file.clone(), at: position };
        let route = self.route.as_ref();
        match self.layout {
            Layout::JsonLines { first_line } => {
                let ends = memchr::memchr_iter(b'\n', &self.data).chain([self.data.len()]);
                let mut start = 0;
                let mut context = self.context.clone();
                for (i, end) in ends.enumerate() {
                    let line = &self.data[start..end];
                    start = end + 1;
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    context.advance(line);
                    f(Ok(Unit {
                        location: at(Position::Line(first_line + i as u64)),
                        payload: UnitPayload::Json(line),
                        route,
                        context: Some(&context),
                    }));
                }
            }
            Layout::JsonValues { first_line } => values::each_value(&self.data, first_line, |value| match value {
                Ok((text, line)) => f(Ok(Unit {
                    location: at(Position::Line(line)),
                    payload: UnitPayload::Json(text),
                    route,
                    context: None,
                })),
                Err(line) => f(Err(Problem {
                    location: at(Position::Line(line)),
                    message: "the file ends inside this JSON value".into(),
                })),
            }),
            Layout::Frames { first_offset, hint } => {
                let mut pos = 0usize;
                while let Some(prefix) = self.data.get(pos..pos + 4) {
                    let location = at(Position::Offset(first_offset + pos as u64));
                    let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
                    // The chunker cuts whole frames; a chunk built otherwise is reported, not read past.
                    let Some(body) = self.data.get(pos + 4..pos + 4 + len) else {
                        let message = format!("truncated frame: {} of {len} bytes", self.data.len() - pos - 4);
                        f(Err(Problem { location, message }));
                        break;
                    };
                    let payload = if body.starts_with(&sniff::ZSTD_MAGIC) {
                        UnitPayload::Zstd(body, hint)
                    } else if body.first() == Some(&b'{') {
                        UnitPayload::Json(body)
                    } else {
                        UnitPayload::Proto(body, hint)
                    };
                    f(Ok(Unit { location, payload, route, context: None }));
                    pos += 4 + len;
                }
            }
            Layout::Body { hint } => {
                let payload = UnitPayload::Proto(&self.data, hint);
                f(Ok(Unit { location: at(Position::Whole), payload, route, context: None }))
            }
        }
    }
}

/// JSON: lines when the first line is a whole JSON value, else values one after another
/// (pretty-printed), possibly after lines of text. Judged by the first record: OTLP, or
/// another telemetry shape the decoder knows; any other JSON file is passed over.
pub(crate) fn json(
    name: Arc<str>,
    mut reader: Box<dyn BufRead + '_>,
    sink: &mut dyn Sink,
    text: &mut TextLines,
) -> Result<Outcome, Problem> {
    let whole = || Location { file: name.clone(), at: Position::Whole };
    let mut first = Vec::new();
    (&mut reader)
        .take(MAX_RECORD_BYTES)
        .read_until(b'\n', &mut first)
        .map_err(|e| Problem { location: whole(), message: read_error(&e) })?;
    match decode::is_telemetry(&first) {
        Some(true) => return json_lines(name, first, reader, sink).map(|_| Outcome::Read),
        Some(false) => return Ok(Outcome::NotOtlp),
        None => {}
    }
    let mut data = first;
    let found = values::first_value(&mut reader, &mut data)
        .map_err(|e| Problem { location: whole(), message: read_error(&e) })?;
    match found {
        First::Value(start, end) if decode::is_telemetry(&data[start..end]) != Some(true) => Ok(Outcome::NotOtlp),
        First::Nothing => Ok(Outcome::NotOtlp),
        // A telemetry record, or a file cut inside its first value: the reader says where.
        _ => values::chunks(name, data, reader, sink, text),
    }
}

fn json_lines(
    name: Arc<str>,
    first: Vec<u8>,
    mut reader: Box<dyn BufRead + '_>,
    sink: &mut dyn Sink,
) -> Result<(), Problem> {
    let mut context = decode::LineContext::for_file(&first);
    let mut data = first;
    let mut first_line = 1u64;
    let mut eof = false;
    while !eof {
        // Room for the chunk and the end of its last line from the start: growing a Vec
        // to 4 MiB copies it over and over, and past its capacity once more.
        data.reserve((CHUNK_BYTES + LINE_SLACK).saturating_sub(data.len()));
        // Fill to about CHUNK_BYTES, then to the end of the line in progress.
        while data.len() < CHUNK_BYTES {
            let before = data.len();
            let wanted = (CHUNK_BYTES - before) as u64;
            if let Err(e) = (&mut reader).take(wanted).read_to_end(&mut data) {
                return Err(cut_short(&name, data, first_line, &mut context, &e, sink));
            }
            if data.len() == before {
                eof = true;
                break;
            }
        }
        if !eof && data.last() != Some(&b'\n') {
            let before = data.len();
            let res = (&mut reader).take(MAX_RECORD_BYTES).read_until(b'\n', &mut data);
            match res {
                Err(e) => return Err(cut_short(&name, data, first_line, &mut context, &e, sink)),
                Ok(0) => eof = true,
                Ok(_) if data.last() != Some(&b'\n') && (data.len() - before) as u64 >= MAX_RECORD_BYTES => {
                    return Err(Problem {
                        location: Location { file: name.clone(), at: Position::Line(first_line) },
                        message: "a line longer than 512 MiB; the rest of the file is skipped".into(),
                    });
                }
                Ok(_) => {}
            }
        }
        flush_lines(&name, &mut data, &mut first_line, &mut context, sink);
    }
    Ok(())
}

/// Room kept in a chunk's buffer beyond [`CHUNK_BYTES`] for its last record.
const LINE_SLACK: usize = 1 << 20;

/// A stream that failed (a cut or corrupt compressed file): the complete lines read so far
/// are sent; the line in progress is part of the one problem, not a second one.
fn cut_short(
    name: &Arc<str>,
    mut data: Vec<u8>,
    mut first_line: u64,
    context: &mut decode::LineContext,
    e: &std::io::Error,
    sink: &mut dyn Sink,
) -> Problem {
    let complete = data.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
    let partial = complete < data.len();
    data.truncate(complete);
    flush_lines(name, &mut data, &mut first_line, context, sink);
    let lost = if partial { format!("; line {first_line} is incomplete and not read") } else { String::new() };
    Problem {
        location: Location { file: name.clone(), at: Position::Line(first_line) },
        message: format!("{}{lost}", read_error(e)),
    }
}

/// Sends the complete lines of `data` as a chunk (all of it at the end of the stream),
/// with the context its lines start from; `context` is then the next chunk's.
fn flush_lines(
    name: &Arc<str>,
    data: &mut Vec<u8>,
    first_line: &mut u64,
    context: &mut decode::LineContext,
    sink: &mut dyn Sink,
) {
    if data.is_empty() {
        return;
    }
    let chunk = std::mem::take(data);
    let lines = memchr::memchr_iter(b'\n', &chunk).count() as u64;
    let layout = Layout::JsonLines { first_line: *first_line };
    *first_line += lines;
    let starts_from = context.clone();
    context.advance_lines(&chunk);
    sink.chunk(Chunk { file: name.clone(), data: chunk, layout, route: None, context: starts_from });
}

/// The Collector file exporter's `format: proto` stream: a 4-byte big-endian length, then
/// the message, repeated. A bad length cannot be resynchronised: the rest is reported.
pub(crate) fn frames(
    name: Arc<str>,
    mut reader: Box<dyn BufRead + '_>,
    hint: Option<Signal>,
    sink: &mut dyn Sink,
) -> Result<(), Problem> {
    let mut data = Vec::with_capacity(CHUNK_BYTES + 4096);
    let mut chunk_start = 0u64;
    let mut offset = 0u64;
    let send = |data: &mut Vec<u8>, start: u64, sink: &mut dyn Sink| {
        if !data.is_empty() {
            let data = std::mem::replace(data, Vec::with_capacity(CHUNK_BYTES + 4096));
            sink.chunk(Chunk {
                file: name.clone(),
                data,
                layout: Layout::Frames { first_offset: start, hint },
                route: None,
                context: Default::default(),
            });
        }
    };
    loop {
        let at = Location { file: name.clone(), at: Position::Offset(offset) };
        let mut prefix = [0u8; 4];
        let got =
            read_full(&mut reader, &mut prefix).map_err(|e| Problem { location: at.clone(), message: read_error(&e) });
        let got = match got {
            Ok(n) => n,
            Err(p) => {
                send(&mut data, chunk_start, sink);
                return Err(p);
            }
        };
        if got == 0 {
            break;
        }
        if got < 4 {
            send(&mut data, chunk_start, sink);
            return Err(Problem { location: at, message: format!("truncated frame: {got} of 4 length bytes") });
        }
        let len = u32::from_be_bytes(prefix) as u64;
        if len > MAX_RECORD_BYTES {
            send(&mut data, chunk_start, sink);
            return Err(Problem {
                location: at,
                message: format!("frame length {len} exceeds the 512 MiB limit: corrupt, or not a length-prefixed stream; the rest of the file is skipped"),
            });
        }
        // A frame that would not fit goes to the next chunk: growing the buffer would copy it.
        if data.len() + 4 + len as usize > data.capacity() {
            send(&mut data, chunk_start, sink);
            chunk_start = offset;
        }
        let start = data.len();
        data.extend_from_slice(&prefix);
        let body_got = (&mut reader).take(len).read_to_end(&mut data);
        match body_got {
            Ok(n) if n as u64 == len => {}
            Ok(n) => {
                data.truncate(start);
                send(&mut data, chunk_start, sink);
                return Err(Problem { location: at, message: format!("truncated frame: {n} of {len} bytes") });
            }
            Err(e) => {
                data.truncate(start);
                send(&mut data, chunk_start, sink);
                return Err(Problem { location: at, message: read_error(&e) });
            }
        }
        offset += 4 + len;
        if data.len() >= CHUNK_BYTES {
            send(&mut data, chunk_start, sink);
            chunk_start = offset;
        }
    }
    send(&mut data, chunk_start, sink);
    Ok(())
}

fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// A single protobuf request body (as an OTLP/HTTP client sends it).
pub(crate) fn body(
    name: Arc<str>,
    reader: Box<dyn BufRead + '_>,
    hint: Option<Signal>,
    sink: &mut dyn Sink,
) -> Result<(), Problem> {
    let mut data = Vec::new();
    reader.take(MAX_RECORD_BYTES).read_to_end(&mut data).map_err(|e| Problem {
        location: Location { file: name.clone(), at: Position::Whole },
        message: read_error(&e),
    })?;
    sink.chunk(Chunk { file: name, data, layout: Layout::Body { hint }, route: None, context: Default::default() });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_past_the_end_of_its_chunk_is_a_problem_not_a_panic() {
        let chunk = Chunk {
            file: "t.pb".into(),
            data: vec![0, 0, 0, 2, 8, 1, 0, 0, 0, 10, 1, 2],
            layout: Layout::Frames { first_offset: 100, hint: None },
            route: None,
            context: Default::default(),
        };
        let mut seen = Vec::new();
        chunk.for_each_unit(|unit| seen.push(unit.map(|u| u.location.at).map_err(|p| (p.location.at, p.message))));
        assert_eq!(
            seen,
            [Ok(Position::Offset(100)), Err((Position::Offset(106), "truncated frame: 2 of 10 bytes".to_string()))]
        );
    }
}

//! Cutting a stream into chunks of whole records, and records back out of a chunk.

use super::block::{Block, Sizes};
use super::values::{self, First, TextLines};
use super::{read_error, sniff, Outcome, Sink, MAX_RECORD_BYTES};
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
    sizes: Sizes,
) -> Result<Outcome, Problem> {
    let whole = || Location { file: name.clone(), at: Position::Whole };
    let mut first = Vec::new();
    (&mut reader)
        .take(MAX_RECORD_BYTES)
        .read_until(b'\n', &mut first)
        .map_err(|e| Problem { location: whole(), message: read_error(&e) })?;
    match decode::is_telemetry(&first) {
        Some(true) => return json_lines(name, first, reader, sink, sizes).map(|_| Outcome::Read),
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
    sizes: Sizes,
) -> Result<(), Problem> {
    let mut context = decode::LineContext::for_file(&first);
    let mut block = Block::new(sink.spare(), &first, sizes);
    let mut first_line = 1u64;
    let mut eof = false;
    while !eof {
        // Fill to about a chunk, then to the end of the line in progress.
        while block.data().len() < sizes.chunk {
            match block.fill(&mut reader, sizes.chunk) {
                Ok(0) => eof = true,
                Ok(_) => continue,
                Err(e) => return Err(cut_short(&name, block.into_data(), first_line, &mut context, &e, sink)),
            }
            break;
        }
        if !eof && block.data().last() != Some(&b'\n') {
            let before = block.data().len();
            match block.fill_through(&mut reader, b'\n', MAX_RECORD_BYTES as usize) {
                Err(e) => return Err(cut_short(&name, block.into_data(), first_line, &mut context, &e, sink)),
                Ok(0) => eof = true,
                Ok(_) if block.data().last() != Some(&b'\n') && (block.data().len() - before) as u64 >= MAX_RECORD_BYTES => {
                    return Err(Problem {
                        location: Location { file: name.clone(), at: Position::Line(first_line) },
                        message: "a line longer than 512 MiB; the rest of the file is skipped".into(),
                    });
                }
                Ok(_) => {}
            }
        }
        let lines = block.data().len();
        if lines > 0 {
            block.send(lines, sink, |data| lines_chunk(&name, data, &mut first_line, &mut context));
        }
    }
    Ok(())
}

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
    let complete = memchr::memrchr(b'\n', &data).map_or(0, |at| at + 1);
    let partial = complete < data.len();
    data.truncate(complete);
    if !data.is_empty() {
        sink.chunk(lines_chunk(name, data, &mut first_line, context));
    }
    let lost = if partial { format!("; line {first_line} is incomplete and not read") } else { String::new() };
    Problem {
        location: Location { file: name.clone(), at: Position::Line(first_line) },
        message: format!("{}{lost}", read_error(e)),
    }
}

/// A chunk of complete lines (all that is left at the end of the stream), with the
/// context its lines start from; `context` is then the next chunk's.
fn lines_chunk(
    name: &Arc<str>,
    data: Vec<u8>,
    first_line: &mut u64,
    context: &mut decode::LineContext,
) -> Chunk {
    let lines = memchr::memchr_iter(b'\n', &data).count() as u64;
    let layout = Layout::JsonLines { first_line: *first_line };
    *first_line += lines;
    let starts_from = context.clone();
    context.advance_lines(&data);
    Chunk { file: name.clone(), data, layout, route: None, context: starts_from }
}

/// The Collector file exporter's `format: proto` stream: a 4-byte big-endian length, then
/// the message, repeated. A bad length cannot be resynchronised: the rest is reported.
/// Read in blocks; a chunk is cut after the first frame that reaches `sizes.chunk` bytes,
/// or before a frame that would end more than `sizes.frame_slack` past that.
pub(crate) fn frames(
    name: Arc<str>,
    mut reader: Box<dyn BufRead + '_>,
    hint: Option<Signal>,
    sink: &mut dyn Sink,
    sizes: Sizes,
) -> Result<(), Problem> {
    let mut block = Block::new(sink.spare(), &[], sizes);
    // The stream offset of the block's first byte, and the end of its whole frames.
    let (mut chunk_start, mut whole) = (0u64, 0usize);
    // How the stream ended, once it has: at its end, or with an error.
    let mut ended: Option<Option<std::io::Error>> = None;
    let send = |block: &mut Block, at: usize, chunk_start: &mut u64, sink: &mut dyn Sink| {
        if at > 0 {
            let layout = Layout::Frames { first_offset: *chunk_start, hint };
            block.send(at, sink, |data| Chunk { file: name.clone(), data, layout, route: None, context: Default::default() });
            *chunk_start += at as u64;
        }
    };
    loop {
        let offset = chunk_start + whole as u64;
        let rest = &block.data()[whole..];
        let frame = match rest.get(..4) {
            None => None,
            Some(prefix) => {
                let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as u64;
                if len > MAX_RECORD_BYTES {
                    send(&mut block, whole, &mut chunk_start, sink);
                    return Err(Problem {
                        location: Location { file: name.clone(), at: Position::Offset(offset) },
                        message: format!("frame length {len} exceeds the 512 MiB limit: corrupt, or not a length-prefixed stream; the rest of the file is skipped"),
                    });
                }
                Some(4 + len as usize)
            }
        };
        if let Some(size) = frame {
            if whole > 0 && whole + size > sizes.chunk + sizes.frame_slack {
                send(&mut block, whole, &mut chunk_start, sink);
                whole = 0;
                continue;
            }
            if rest.len() >= size {
                whole += size;
                if whole >= sizes.chunk {
                    send(&mut block, whole, &mut chunk_start, sink);
                    whole = 0;
                }
                continue;
            }
        }
        let Some(end) = ended.take() else {
            // Up to where a chunk is cut at the latest, or the end of a frame larger than that.
            let end = (sizes.chunk + sizes.frame_slack).max(whole + frame.unwrap_or(4));
            match block.fill(&mut reader, end) {
                Ok(0) => ended = Some(None),
                Ok(_) => {}
                Err(e) => ended = Some(Some(e)),
            }
            continue;
        };
        let got = rest.len();
        send(&mut block, whole, &mut chunk_start, sink);
        let message = match (end, frame) {
            (Some(e), _) => read_error(&e),
            (None, None) if got == 0 => return Ok(()),
            (None, None) => format!("truncated frame: {got} of 4 length bytes"),
            (None, Some(size)) => format!("truncated frame: {} of {} bytes", got - 4, size - 4),
        };
        return Err(Problem { location: Location { file: name.clone(), at: Position::Offset(offset) }, message });
    }
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

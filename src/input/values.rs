//! Concatenated JSON values: pretty-printed records one after another, as a pretty OTLP
//! request, the Gemini CLI / Qwen Code outfile or the OpenTelemetry Python console
//! exporters write them, possibly between lines of other text (a program's own prints).
//!
//! One scanner over the bytes, whose state survives between reads: the reader cuts
//! chunks where a line starts outside every value, and the worker finds the values of a
//! chunk with it. A line outside values whose first visible character opens no value is
//! text, skipped whole (its braces are not counted).

use super::{read_error, Chunk, Layout, Outcome, Sink, CHUNK_BYTES, MAX_RECORD_BYTES};
use crate::model::Problem;
use crate::model::{Location, Position};
use std::io::{BufRead, Read};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Mode {
    /// Outside values, at the start of a line (only blanks seen on it so far).
    #[default]
    LineStart,
    /// Inside a value.
    Value,
    /// Outside values, after a value that closed on this line.
    AfterValue,
    /// A line of text: skipped to its end.
    Text,
}

/// What one byte did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    Nothing,
    /// A value opens at this byte.
    ValueStart,
    /// The value closes with this byte.
    ValueEnd,
    /// A line of text starts at this byte.
    TextStart,
    /// A newline outside every value: the next line may start a chunk.
    LineEnd,
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Scanner {
    mode: Mode,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl Scanner {
    /// Whether the scan is inside a value.
    pub(super) fn in_value(&self) -> bool {
        self.mode == Mode::Value
    }

    pub(super) fn step(&mut self, b: u8) -> Step {
        match self.mode {
            Mode::Value => {
                if self.in_string {
                    if self.escaped {
                        self.escaped = false;
                    } else if b == b'\\' {
                        self.escaped = true;
                    } else if b == b'"' {
                        self.in_string = false;
                    }
                    return Step::Nothing;
                }
                match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth = self.depth.saturating_add(1),
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            self.mode = Mode::AfterValue;
                            return Step::ValueEnd;
                        }
                    }
                    _ => {}
                }
                Step::Nothing
            }
            Mode::Text => {
                if b == b'\n' {
                    self.mode = Mode::LineStart;
                    return Step::LineEnd;
                }
                Step::Nothing
            }
            Mode::LineStart | Mode::AfterValue => match b {
                b'\n' => {
                    self.mode = Mode::LineStart;
                    Step::LineEnd
                }
                b' ' | b'\t' | b'\r' => Step::Nothing,
                b'{' | b'[' => {
                    self.mode = Mode::Value;
                    self.depth = 1;
                    Step::ValueStart
                }
                _ => {
                    self.mode = Mode::Text;
                    Step::TextStart
                }
            },
        }
    }
}

/// Lines of text passed over in one file: how many, and the first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextLines {
    pub count: u64,
    pub first_line: u64,
}

/// Streams concatenated values as chunks that start at a line outside every value. The
/// text lines between values are counted for a note. `data` holds what was already read
/// (the first value, which told what the file is).
pub(super) fn chunks(
    name: Arc<str>,
    mut data: Vec<u8>,
    mut reader: Box<dyn BufRead + '_>,
    sink: &mut dyn Sink,
    text: &mut TextLines,
) -> Result<Outcome, Problem> {
    let mut scanner = Scanner::default();
    let mut scanned = 0usize;
    // Line number of data[0], and the newlines scanned since, up to the last cut point.
    let mut first_line = 1u64;
    let mut line = 1u64;
    let mut cut: Option<(usize, u64)> = None;
    let mut eof = false;
    loop {
        for (i, &b) in data.iter().enumerate().skip(scanned) {
            match scanner.step(b) {
                Step::TextStart => {
                    if text.count == 0 {
                        text.first_line = line;
                    }
                    text.count += 1;
                }
                Step::LineEnd => cut = Some((i + 1, line + 1)),
                _ => {}
            }
            if b == b'\n' {
                line += 1;
            }
        }
        scanned = data.len();
        if eof {
            break;
        }
        if data.len() >= CHUNK_BYTES {
            if let Some((at, at_line)) = cut.take() {
                let rest = data.split_off(at);
                let chunk = std::mem::replace(&mut data, rest);
                sink.chunk(Chunk {
                    file: name.clone(),
                    data: chunk,
                    layout: Layout::JsonValues { first_line },
                    route: None,
                    context: Default::default(),
                });
                first_line = at_line;
                scanned = data.len();
            } else if data.len() as u64 >= MAX_RECORD_BYTES {
                return Err(Problem {
                    location: Location { file: name.clone(), at: Position::Line(first_line) },
                    message: "a JSON value larger than 512 MiB; the rest of the file is skipped".into(),
                });
            }
        }
        let before = data.len();
        if let Err(e) = (&mut reader).take(1 << 20).read_to_end(&mut data) {
            data.truncate(before);
            send_rest(&name, data, first_line, sink);
            return Err(Problem {
                location: Location { file: name, at: Position::Line(line) },
                message: read_error(&e),
            });
        }
        eof = data.len() == before;
    }
    send_rest(&name, data, first_line, sink);
    Ok(Outcome::Read)
}

fn send_rest(name: &Arc<str>, data: Vec<u8>, first_line: u64, sink: &mut dyn Sink) {
    if !data.iter().all(u8::is_ascii_whitespace) {
        let layout = Layout::JsonValues { first_line };
        sink.chunk(Chunk { file: name.clone(), data, layout, route: None, context: Default::default() });
    }
}

/// The values of a chunk, each with its 1-based line; `Err` for a value the chunk ends
/// inside (the file ended in the middle of it).
pub(super) fn each_value(data: &[u8], first_line: u64, mut f: impl FnMut(Result<(&[u8], u64), u64>)) {
    let mut scanner = Scanner::default();
    let mut line = first_line;
    let mut start = None;
    for (i, &b) in data.iter().enumerate() {
        match scanner.step(b) {
            Step::ValueStart => start = Some((i, line)),
            Step::ValueEnd => {
                if let Some((s, at)) = start.take() {
                    f(Ok((&data[s..=i], at)));
                }
            }
            _ => {}
        }
        if b == b'\n' {
            line += 1;
        }
    }
    if scanner.in_value() {
        if let Some((_, at)) = start {
            f(Err(at));
        }
    }
}

/// What a stream opens with.
pub(super) enum First {
    /// A whole value at `data[start..end]`.
    Value(usize, usize),
    /// A value the stream ends inside (or one larger than the record limit).
    Unclosed,
    /// No value at all.
    Nothing,
}

/// Reads the first value of a stream (after any text lines) whole, with everything read
/// before it, into `data`: enough to tell what the file is.
pub(super) fn first_value(reader: &mut Box<dyn BufRead + '_>, data: &mut Vec<u8>) -> std::io::Result<First> {
    let mut scanner = Scanner::default();
    let mut start = None;
    let mut scanned = 0;
    loop {
        for (i, &b) in data.iter().enumerate().skip(scanned) {
            match scanner.step(b) {
                Step::ValueStart => start = Some(i),
                Step::ValueEnd => return Ok(start.map_or(First::Nothing, |s| First::Value(s, i + 1))),
                _ => {}
            }
        }
        scanned = data.len();
        let ended = data.len() as u64 >= MAX_RECORD_BYTES || (&mut *reader).take(1 << 20).read_to_end(data)? == 0;
        if ended {
            return Ok(if scanner.in_value() { First::Unclosed } else { First::Nothing });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct Collect(Vec<Chunk>, Vec<Problem>);

    impl Sink for Collect {
        fn chunk(&mut self, chunk: Chunk) {
            self.0.push(chunk);
        }
        fn problem(&mut self, problem: Problem) {
            self.1.push(problem);
        }
    }

    #[test]
    fn chunks_cut_between_values_and_keep_line_numbers() {
        let record = include_str!("../../testdata/agent-files/gemini-cli-0.61.0-outfile.log");
        let mut text = String::new();
        while text.len() < 2 * CHUNK_BYTES + 12345 {
            text.push_str("a line the program printed } {\n");
            text.push_str(record);
        }
        let mut whole = Vec::new();
        each_value(text.as_bytes(), 1, |v| whole.push(v.map(|(b, l)| (b.to_vec(), l))));
        let reader: Box<dyn BufRead> = Box::new(text.as_bytes());
        let mut sink = Collect(Vec::new(), Vec::new());
        let mut lines = TextLines::default();
        chunks("f".into(), Vec::new(), reader, &mut sink, &mut lines).unwrap();
        assert!(sink.0.len() >= 3, "{} chunks", sink.0.len());
        let mut pieces = Vec::new();
        for chunk in &sink.0 {
            let Layout::JsonValues { first_line } = chunk.layout else { panic!("layout") };
            each_value(&chunk.data, first_line, |v| pieces.push(v.map(|(b, l)| (b.to_vec(), l))));
        }
        assert_eq!(pieces, whole);
        assert_eq!(whole.len(), 12 * (text.matches("a line the program").count()));
        assert_eq!(lines, TextLines { count: text.matches("a line the program").count() as u64, first_line: 1 });
        assert!(sink.1.is_empty());
    }

    proptest! {
        #[test]
        fn any_bytes_scan_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut n = 0;
            each_value(&bytes, 1, |_| n += 1);
            let mut data = bytes.clone();
            let mut reader: Box<dyn BufRead> = Box::new(&b""[..]);
            let _ = first_value(&mut reader, &mut data);
        }
    }

    fn values(text: &str) -> Vec<Result<(String, u64), u64>> {
        let mut out = Vec::new();
        each_value(text.as_bytes(), 1, |v| out.push(v.map(|(b, l)| (String::from_utf8_lossy(b).into_owned(), l))));
        out
    }

    #[test]
    fn values_between_text_lines() {
        let text = "hello {not json\n{\n  \"a\": \"}{\\\"\",\n  \"b\": [1]\n}\nprint: done }\n  {\"c\":1}{\"d\":2} tail\n{\"e\":";
        let got = values(text);
        assert_eq!(got[0], Ok(("{\n  \"a\": \"}{\\\"\",\n  \"b\": [1]\n}".into(), 2)));
        assert_eq!(got[1], Ok(("{\"c\":1}".into(), 7)));
        assert_eq!(got[2], Ok(("{\"d\":2}".into(), 7)));
        assert_eq!(got[3], Err(8));
        assert_eq!(got.len(), 4);
    }
}

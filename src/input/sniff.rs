//! Recognising compression and layout from the first bytes of a stream.

use crate::model::Signal;

pub enum Compression {
    Gzip,
    Zstd,
}

pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

pub fn compression(head: &[u8]) -> Option<Compression> {
    if head.starts_with(&[0x1F, 0x8B]) {
        Some(Compression::Gzip)
    } else if head.starts_with(&ZSTD_MAGIC) {
        Some(Compression::Zstd)
    } else {
        None
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Detected {
    Empty,
    /// OTLP/JSON: one request per line, or one (pretty-printed) document.
    Json,
    /// A stream of 4-byte big-endian length prefixes, each followed by a request
    /// (protobuf, JSON, or either zstd-compressed).
    Frames,
    /// A single protobuf request body.
    Body,
    NotOtlp,
}

pub fn layout(head: &[u8]) -> Detected {
    let first = head.iter().position(|b| !b.is_ascii_whitespace());
    match first {
        None if head.is_empty() => Detected::Empty,
        None => Detected::NotOtlp,
        Some(i) if head[i] == b'{' => Detected::Json,
        // Field 1 (resource_spans/metrics/logs), length-delimited: a request body. A frame
        // prefix cannot start so (it would announce a frame of over 160 MiB).
        Some(_) if head[0] == 0x0A => Detected::Body,
        Some(_) if head.len() >= 5 && frame_start(&head[4..]) => Detected::Frames,
        Some(_) if text_then_json(head) => Detected::Json,
        _ => Detected::NotOtlp,
    }
}

/// Lines of text, then a line that opens a JSON object: a console exporter's records after
/// a program's own output (the JSON reader decides from the first record what it is).
fn text_then_json(head: &[u8]) -> bool {
    // UTF-8 text, allowing a character cut at the end of the head.
    let is_text = std::str::from_utf8(head).map_or_else(|e| e.error_len().is_none(), |_| true);
    is_text && !head.contains(&0) && head.split(|&b| b == b'\n').skip(1).any(|line| line.starts_with(b"{"))
}

/// Whether bytes right after a length prefix look like the start of a framed request.
fn frame_start(after_prefix: &[u8]) -> bool {
    after_prefix[0] == 0x0A || after_prefix[0] == b'{' || after_prefix.starts_with(&ZSTD_MAGIC)
}

/// Whether text not OTLP is the Collector's debug exporter output (its log lines, at any
/// verbosity): a console rendering that drops types and ids, so it is refused with a hint.
pub fn collector_debug_output(head: &[u8]) -> bool {
    const MARKS: [&[u8]; 6] = [
        b"ResourceSpans #",
        b"ResourceMetrics #",
        b"ResourceLogs #",
        b"\"resource spans\": ",
        b"\"resource metrics\": ",
        b"\"resource logs\": ",
    ];
    MARKS.iter().any(|mark| memchr::memmem::find(head, mark).is_some())
}

/// The Collector and the capture tools name files by signal (`traces.pb`, `0004-metrics.pb`).
pub fn signal_from_name(name: &str) -> Option<Signal> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| base.contains(w));
    match (has(&["trace", "span"]), has(&["metric"]), has(&["log"])) {
        (true, false, false) => Some(Signal::Traces),
        (false, true, false) => Some(Signal::Metrics),
        (false, false, true) => Some(Signal::Logs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        assert_eq!(layout(b""), Detected::Empty);
        assert_eq!(layout(b"  \n{\"resourceSpans\":[]}"), Detected::Json);
        assert_eq!(layout(&[0, 0, 1, 2, 0x0A, 7]), Detected::Frames);
        assert_eq!(layout(&[0, 0, 1, 2, 0x28, 0xB5, 0x2F, 0xFD]), Detected::Frames);
        assert_eq!(layout(&[0x0A, 0x80, 0x01, 0x0A]), Detected::Body);
        // A body whose fifth byte happens to look like a frame start is still a body.
        assert_eq!(layout(&[0x0A, 0xBD, 0x8F, 0x01, 0x0A, 0x9B]), Detected::Body);
        assert_eq!(layout(b"# README\n"), Detected::NotOtlp);
        assert_eq!(layout(b"starting\n{\n    \"name\": \"chat\""), Detected::Json);
    }

    #[test]
    fn collector_debug_exporter_output() {
        let detailed = b"2026-11-26T14:17:52.937Z\tinfo\tResourceSpans #0\nResource SchemaURL: \n";
        let basic = b"2026-11-26T14:17:52.937Z\tinfo\tTraces\t{\"otelcol.signal\": \"traces\", \"resource spans\": 1, \"spans\": 2}";
        assert!(collector_debug_output(detailed) && collector_debug_output(basic));
        assert!(!collector_debug_output(b"model,cost\ngpt-4o,1.00\n"));
    }

    #[test]
    fn names() {
        assert_eq!(signal_from_name("dump/0004-metrics.pb"), Some(Signal::Metrics));
        assert_eq!(signal_from_name("/x/traces.pb"), Some(Signal::Traces));
        assert_eq!(signal_from_name("logs.pb.zst"), Some(Signal::Logs));
        assert_eq!(signal_from_name("otel.pb"), None);
    }
}

//! Entry points for the coverage-guided fuzz targets in `fuzz/` (not an API: hidden from
//! the docs, may change at any time). Each takes arbitrary bytes and must never panic;
//! the targets are one-line calls into these, so they type-check with every build.

use crate::extract::{self, Extracted};
use crate::input::{self, chunk, Chunk};
use crate::model::Problem;
use crate::model::Signal;
use crate::pipeline;
use crate::price::Catalog;
use std::io::BufReader;
use std::sync::{Arc, OnceLock};

/// Keeps what the input stage hands out.
#[derive(Default)]
struct Collect {
    chunks: Vec<Chunk>,
    problems: Vec<Problem>,
    /// Hands out spare buffers full of bytes (newlines among them) that must never be read.
    dirty_spares: bool,
}

impl input::Sink for Collect {
    fn chunk(&mut self, chunk: Chunk) {
        self.chunks.push(chunk);
    }
    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }
    fn spare(&mut self) -> Option<Vec<u8>> {
        self.dirty_spares.then(|| (0..=255).cycle().take(300).collect())
    }
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

/// The OTLP/JSON decoder and the SDK-file decoder (agents' and SDKs' own JSON), then
/// extract on what they accept; the hand-written OTLP/JSON reader must read as serde reads.
pub fn json_request(data: &[u8]) {
    if let Some((fast, serde)) = crate::decode::json_scan_against_serde(data) {
        assert_eq!(fast, serde, "the hand-written OTLP/JSON reader and serde disagree");
    }
    if let Ok(Some(request)) = crate::decode::json(data) {
        extract::extract(&request, &location(), None, &extract::Config::default(), &mut Extracted::default());
    }
    if let Ok(Some(request)) = crate::decode::sdk_json(data, None) {
        extract::extract(&request, &location(), None, &extract::Config::default(), &mut Extracted::default());
    }
}

/// The protobuf decoder as each signal, then extract on what it accepts.
pub fn protobuf_request(data: &[u8]) {
    let _ = crate::decode::sniff_signal(data);
    for signal in SIGNALS {
        if let Ok(request) = crate::decode::protobuf(data, signal) {
            extract::extract(&request, &location(), None, &extract::Config::default(), &mut Extracted::default());
        }
    }
}

/// The chunker: the first byte picks the layout (JSON, file-exporter frames, one protobuf
/// body, or sniffed from the content with decompression, as for a file) and, for JSON lines
/// and frames, chunks of a few bytes filled by short reads into recycled buffers left dirty,
/// so records are cut across reads and chunks at every offset. Every record of every chunk
/// is then enumerated; chunks of lines or frames must be the input's bytes, in order.
pub fn chunker(data: &[u8]) {
    let Some((&pick, data)) = data.split_first() else { return };
    let name: Arc<str> = "fuzz".into();
    let sizes = input::Sizes { chunk: 1 + usize::from(pick >> 2), frame_slack: usize::from(pick >> 5) };
    let reader = Box::new(BufReader::with_capacity(1 + usize::from(pick >> 3 & 7), Trickle(data)));
    let mut sink = Collect { dirty_spares: true, ..Collect::default() };
    let _ = match pick % 4 {
        0 => chunk::json(name, reader, &mut sink, &mut Default::default(), sizes).map(drop),
        1 => chunk::frames(name, reader, None, &mut sink, sizes),
        2 => chunk::body(name, reader, Some(Signal::Traces), &mut sink),
        _ => input::read_one(name, &mut { data }, &mut sink, &mut Default::default()).map(drop),
    };
    let cut = |c: &Chunk| matches!(c.layout, input::Layout::JsonLines { .. } | input::Layout::Frames { .. });
    if sink.chunks.iter().all(cut) {
        let read: Vec<u8> = sink.chunks.iter().flat_map(|c| c.data.iter().copied()).collect();
        assert!(data.starts_with(&read), "the chunks are not the input's bytes");
    }
    for chunk in &sink.chunks {
        chunk.for_each_unit(|unit| drop(unit));
    }
}

/// A reader that gives at most 7 bytes a read.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(7);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// The whole path on one input: sniff and chunk, decode and extract every record,
/// reconcile, price with the bundled catalog.
pub fn whole_path(data: &[u8]) {
    let mut sink = Collect::default();
    let _ = input::read_one("fuzz".into(), &mut { data }, &mut sink, &mut Default::default());
    let mut out = Extracted::default();
    for chunk in &sink.chunks {
        chunk.for_each_unit(|unit| {
            if let Ok(unit) = unit {
                let _ = pipeline::process_unit(&unit, &extract::Config::default(), &mut out);
            }
        });
    }
    let mut store = crate::reconcile::Store::default();
    store.add(0, 0, out);
    if let Ok(reconciled) = crate::reconcile::reconcile(store) {
        crate::price::price_calls(catalog(), reconciled.calls, true).for_each(drop);
    }
}

/// A `--prices` overrides TOML file.
pub fn price_overrides(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = crate::price::parse_overrides("fuzz.toml", text);
}

/// A `--rules` file (lookup files it names are looked for in a folder that does not exist).
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = crate::allocate::Rules::parse("fuzz.toml", text, std::path::Path::new("/nonexistent"));
}

/// A `--usage-map` file, then (when it parses) extract with it on a span whose usage is
/// in a JSON string and an attribute (issue 19's acme example), so its paths are followed.
pub fn usage_map(data: &[u8]) {
    const ACME: &str = r#"{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"acme.llm"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat","attributes":[{"key":"acme.llm.usage","value":{"stringValue":"{\"prompt_tokens\":1200,\"completion_tokens\":80,\"d\":[{\"x\":1.5},null,\"7\"]}"}},{"key":"acme.tokens.in","value":{"intValue":"1200"}}]}]}]}]}"#;
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(maps) = extract::usage_map::parse("fuzz.toml", text) else { return };
    let config = extract::Config { dim_keys: Vec::new(), usage_maps: maps.into() };
    if let Ok(Some(request)) = crate::decode::json(ACME.as_bytes()) {
        extract::extract(&request, &location(), None, &config, &mut Extracted::default());
    }
}

/// The receiver's body handling: the first byte picks a compression, the rest is
/// decompressed under a small limit.
pub fn http_body(data: &[u8]) {
    use crate::receiver::compression::Coding;
    const CODINGS: [Coding; 6] =
        [Coding::Gzip, Coding::Zlib, Coding::Zstd, Coding::Snappy, Coding::SnappyFramed, Coding::Lz4];
    let Some((&pick, body)) = data.split_first() else { return };
    if let Ok(plain) = CODINGS[usize::from(pick) % CODINGS.len()].decompress(body, 1 << 16) {
        assert!(plain.len() <= 1 << 16, "the limit was not kept");
    }
}

fn location() -> crate::model::Location {
    crate::model::Location { file: "fuzz".into(), at: crate::model::Position::Whole }
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::embedded().unwrap_or_else(|e| panic!("the bundled catalog: {e:#}")))
}

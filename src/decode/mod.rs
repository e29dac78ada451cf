//! Decode stage: bytes of one OTLP request (JSON or protobuf) into borrowed views.
//!
//! Entry points: [`json`] and [`protobuf`] for OTLP, [`sdk_json`] for the files that are
//! not OTLP (agents' outfiles, SDK console exporters, see `sdk.rs`; agents' own log and
//! session files, see `agent.rs`). All return a
//! [`Request`] whose strings borrow from the input; attribute values are decoded only
//! when asked for.

mod agent;
mod json_scan;
mod proto;
mod rollout;
mod sdk;
mod value;
mod view;

pub use proto::sniff_signal;
pub use rollout::{LineContext, REPEATED};
pub use value::{BadNumber, LazyValue, MAX_COST_USD, MAX_COUNT};
pub use view::*;

use crate::model::Signal;
use serde::de::IgnoredAny;
use serde::Deserialize;

/// Why a request could not be decoded, with a byte offset inside it where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DecodeError {
    pub offset: Option<u64>,
    pub message: String,
}

impl DecodeError {
    pub fn at(offset: u64, message: String) -> Self {
        DecodeError { offset: Some(offset), message }
    }
}

/// Decodes an OTLP/JSON request; the signal is named by its top-level key.
/// `Ok(None)`: valid JSON, but not an OTLP request (no `resourceSpans`/`resourceMetrics`/`resourceLogs`).
pub fn json(text: &[u8]) -> Result<Option<Request<'_>>, DecodeError> {
    match json_scan::request(text) {
        Some(request) => Ok(Some(request)),
        None => json_by_serde(text),
    }
}

/// The general OTLP/JSON reader: every shape, alias and error message.
fn json_by_serde(text: &[u8]) -> Result<Option<Request<'_>>, DecodeError> {
    let text = std::str::from_utf8(text)
        .map_err(|e| DecodeError::at(e.valid_up_to() as u64, format!("invalid UTF-8: {e}")))?;
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Top<'a> {
        #[serde(borrow, alias = "resource_spans")]
        resource_spans: Option<Vec<ResourceSpans<'a>>>,
        #[serde(borrow, alias = "resource_metrics")]
        resource_metrics: Option<Vec<ResourceMetrics<'a>>>,
        #[serde(borrow, alias = "resource_logs")]
        resource_logs: Option<Vec<ResourceLogs<'a>>>,
    }
    let top: Top =
        serde_json::from_str(text).map_err(|e| DecodeError { offset: None, message: format!("JSON: {e}") })?;
    Ok(match (top.resource_spans, top.resource_metrics, top.resource_logs) {
        (Some(s), None, None) => Some(Request::Traces(s)),
        (None, Some(m), None) => Some(Request::Metrics(m)),
        (None, None, Some(l)) => Some(Request::Logs(l)),
        (None, None, None) => None,
        _ => return Err(DecodeError { offset: None, message: "a request holds more than one signal".into() }),
    })
}

/// What the hand-written reader and serde each make of a text (rendered with `Debug`),
/// where the hand-written one answers: they must be equal (its tests and the fuzz target).
#[doc(hidden)]
pub fn json_scan_against_serde(text: &[u8]) -> Option<(String, String)> {
    let fast = json_scan::request(text)?;
    Some((format!("{:?}", Ok::<_, DecodeError>(Some(fast))), format!("{:?}", json_by_serde(text))))
}

/// Decodes one record of a file that is not OTLP (a JS SDK object, a Copilot CLI line, a
/// Python console exporter record, a line of an agent's log or session file) as a request
/// of that one record, with what the file's earlier lines said (`context`, for the files
/// whose lines need it). `Ok(None)`: JSON, but none of those shapes.
pub fn sdk_json<'a>(text: &'a [u8], context: Option<&'a LineContext>) -> Result<Option<Request<'a>>, DecodeError> {
    match sdk::decode(text)? {
        Some(request) => Ok(Some(request)),
        None => agent::decode(std::str::from_utf8(text).unwrap_or_default(), context),
    }
}

/// Whether a JSON text is telemetry this stage reads, judged by its top-level keys:
/// `None` when it is not a JSON value at all.
pub fn is_telemetry(text: &[u8]) -> Option<bool> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Keys {
        resource_spans: Option<IgnoredAny>,
        resource_metrics: Option<IgnoredAny>,
        resource_logs: Option<IgnoredAny>,
    }
    let keys: Keys = match serde_json::from_slice(text) {
        Ok(keys) => keys,
        // Valid JSON that is not an object (an array, a number) is not telemetry.
        Err(_) => return serde_json::from_slice::<IgnoredAny>(text).is_ok().then_some(false),
    };
    Some(
        keys.resource_spans.is_some()
            || keys.resource_metrics.is_some()
            || keys.resource_logs.is_some()
            || sdk::is_record(text)
            || agent::is_record(text),
    )
}

/// Decodes a protobuf `Export*ServiceRequest` of the given signal.
pub fn protobuf(bytes: &[u8], signal: Signal) -> Result<Request<'_>, DecodeError> {
    proto::decode(bytes, signal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];
    const TRACES_PB: &[u8] = include_bytes!("../../testdata/protobuf/b_openllmetry/traces.pb");
    const METRICS_PB: &[u8] = include_bytes!("../../testdata/protobuf/b_openllmetry/metrics.pb");
    const TRACES_JSON: &[u8] = include_bytes!("../../testdata/emitters/f_vercel_ai/traces.jsonl");
    const GEMINI_OUTFILE: &[u8] = include_bytes!("../../testdata/agent-files/gemini-cli-0.61.0-outfile.log");
    const COPILOT_FILE: &[u8] = include_bytes!("../../testdata/agent-files/copilot-cli-1.0.102-openai-byok.jsonl");
    const PYTHON_CONSOLE: &[u8] = include_bytes!("../../testdata/emitters/i_openlit_console/stdout.txt");

    /// The records of a file of pretty-printed records (each opens with `{` at column 0).
    fn pretty_records(file: &[u8]) -> Vec<&[u8]> {
        let text = std::str::from_utf8(file).unwrap();
        let starts: Vec<usize> = text.match_indices("\n{").map(|(i, _)| i + 1).chain([0]).collect();
        let mut starts: Vec<usize> = starts.into_iter().filter(|&i| file[i] == b'{').collect();
        starts.sort();
        starts.dedup();
        let ends = starts.iter().skip(1).copied().chain([file.len()]);
        starts.iter().zip(ends).map(|(&a, b)| &file[a..b]).collect()
    }

    #[test]
    fn every_record_of_the_real_sdk_files_decodes() {
        let gemini = pretty_records(GEMINI_OUTFILE);
        assert_eq!(gemini.len(), 12);
        let mut signals = Vec::new();
        for record in gemini {
            let request = sdk_json(record, None).unwrap().unwrap();
            walk(&request);
            signals.push(match request {
                Request::Traces(_) => 't',
                Request::Logs(_) => 'l',
                Request::Metrics(_) => 'm',
            });
        }
        assert_eq!(signals.iter().collect::<String>(), "tllllllllllm");
        for line in COPILOT_FILE.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            assert!(json(line).unwrap().is_none(), "not OTLP");
            walk(&sdk_json(line, None).unwrap().unwrap());
        }
    }

    #[test]
    fn a_gemini_span_reads_like_otlp() {
        let span = pretty_records(GEMINI_OUTFILE)[0];
        let Request::Traces(rs) = sdk_json(span, None).unwrap().unwrap() else { panic!("a span") };
        let s = &rs[0].scope_spans[0].spans[0];
        assert_eq!(s.name, "llm_call");
        assert_eq!(s.start_time_unix_nano, 1_795_694_216_405_000_000);
        assert_eq!(s.end_time_unix_nano, 1_795_694_216_566_199_590);
        assert_eq!(s.span_id, parse_hex_id::<8>("30718d9be0403240").unwrap());
        assert_eq!(rs[0].scope_spans[0].scope.name, "gemini-cli");
        let service = rs[0].resource.attributes.iter().find(|kv| kv.key == "service.name").unwrap();
        assert_eq!(service.value.unwrap().get(), Value::Str("gemini-cli".into()));
        // `host.id` is an async attribute written as null: no value.
        let host = rs[0].resource.attributes.iter().find(|kv| kv.key == "host.id").unwrap();
        assert_eq!(host.value.unwrap().get(), Value::Empty);
    }

    #[test]
    fn circular_end_times_take_the_batchs_collection_time() {
        let batch = *pretty_records(GEMINI_OUTFILE).last().unwrap();
        let Request::Metrics(rm) = sdk_json(batch, None).unwrap().unwrap() else { panic!("metrics") };
        let metrics = &rm[0].scope_metrics[0].metrics;
        let usage = metrics.iter().find(|m| m.name == "gemini_cli.token.usage").unwrap();
        let sum = usage.sum.as_ref().unwrap();
        // JS cumulative (1) is OTLP's 2.
        assert_eq!((sum.aggregation_temporality, sum.is_monotonic), (2, true));
        assert!(sum.data_points.iter().all(|p| p.time_unix_nano == 1_795_694_216_583_000_000));
        assert_eq!(sum.data_points.iter().map(|p| p.as_int.unwrap()).collect::<Vec<_>>(), [1200, 50, 1000, 30, 7]);
    }

    /// The first framed request of a file-exporter protobuf stream.
    fn first_frame(stream: &[u8]) -> &[u8] {
        let len = u32::from_be_bytes(stream[..4].try_into().unwrap()) as usize;
        &stream[4..4 + len]
    }

    /// Touches every decoded value, so lazy decoding is exercised too.
    fn walk(request: &Request<'_>) {
        let touch = |attrs: &[KeyValue<'_>]| attrs.iter().for_each(|kv| drop(kv.value.map(|v| v.get().render())));
        match request {
            Request::Traces(r) => r.iter().for_each(|rs| {
                touch(&rs.resource.attributes);
                rs.scope_spans.iter().flat_map(|s| &s.spans).for_each(|s| touch(&s.attributes))
            }),
            Request::Logs(r) => r.iter().flat_map(|rl| &rl.scope_logs).flat_map(|s| &s.log_records).for_each(|l| {
                touch(&l.attributes);
                drop(l.body.map(|b| b.get()));
            }),
            Request::Metrics(r) => r.iter().flat_map(|rm| &rm.scope_metrics).flat_map(|s| &s.metrics).for_each(|m| {
                if let Some(s) = &m.sum {
                    s.data_points.iter().for_each(|p| {
                        touch(&p.attributes);
                        let _ = p.as_double.map(|d| d.to_decimal());
                    })
                }
            }),
        }
    }

    #[test]
    fn real_requests_sniff_as_their_signal() {
        assert_eq!(sniff_signal(first_frame(TRACES_PB)), Some(Signal::Traces));
        assert_eq!(sniff_signal(first_frame(METRICS_PB)), Some(Signal::Metrics));
        let logs = include_bytes!("../../testdata/bodies/claude-http-protobuf-3/0002-logs.pb");
        assert_eq!(sniff_signal(logs), Some(Signal::Logs));
        let spans = include_bytes!("../../testdata/bodies/claude-http-protobuf-3/0001-traces.pb");
        assert_eq!(sniff_signal(spans), Some(Signal::Traces));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for s in SIGNALS {
                if let Ok(r) = protobuf(&bytes, s) { walk(&r) }
            }
            let _ = sniff_signal(&bytes);
            if let Ok(Some(r)) = json(&bytes) { walk(&r) }
            if let Ok(Some(r)) = sdk_json(&bytes, None) { walk(&r) }
            let _ = is_telemetry(&bytes);
        }

        #[test]
        fn mutated_sdk_records_never_panic(
            which in 0usize..15, cut in 0usize..8192, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8)
        ) {
            let gemini = pretty_records(GEMINI_OUTFILE);
            let python = pretty_records(PYTHON_CONSOLE);
            let copilot: Vec<&[u8]> = COPILOT_FILE.split(|&b| b == b'\n').collect();
            let source = match which {
                0..=11 => gemini[which],
                12 => copilot[which % copilot.len()],
                13 => python[cut % python.len()],
                _ => *python.last().unwrap(),
            };
            let mut bytes = source[..cut.min(source.len())].to_vec();
            if cut >= source.len() { bytes = source.to_vec(); }
            for (at, byte) in &flips {
                if !bytes.is_empty() {
                    let i = at % bytes.len();
                    bytes[i] = *byte;
                }
            }
            if let Ok(Some(r)) = sdk_json(&bytes, None) { walk(&r) }
            let _ = is_telemetry(&bytes);
        }

        #[test]
        fn mutated_real_requests_never_panic(
            which in 0usize..2, cut in 0usize..4096, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8)
        ) {
            let source = if which == 0 { first_frame(TRACES_PB) } else { first_frame(METRICS_PB) };
            let mut bytes = source[..cut.min(source.len())].to_vec();
            for (at, byte) in &flips {
                if !bytes.is_empty() {
                    let i = at % bytes.len();
                    bytes[i] = *byte;
                }
            }
            for s in SIGNALS {
                if let Ok(r) = protobuf(&bytes, s) { walk(&r) }
            }
            let line = TRACES_JSON.split(|&b| b == b'\n').next().unwrap();
            let mut text = line[..cut.min(line.len())].to_vec();
            for (at, byte) in &flips {
                if !text.is_empty() {
                    let i = at % text.len();
                    text[i] = *byte;
                }
            }
            if let Ok(Some(r)) = json(&text) { walk(&r) }
        }
    }
}

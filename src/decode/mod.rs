//! Decode stage: bytes of one OTLP request (JSON or protobuf) into borrowed views.
//!
//! Entry points: [`json`] and [`protobuf`]. Both return a [`Request`] whose strings
//! borrow from the input; attribute values are decoded only when asked for.

mod proto;
mod value;
mod view;

pub use proto::sniff_signal;
pub use value::{BadNumber, LazyValue, MAX_COST_USD, MAX_COUNT};
pub use view::*;

use crate::model::Signal;
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
    let text = std::str::from_utf8(text)
        .map_err(|e| DecodeError::at(e.valid_up_to() as u64, format!("invalid UTF-8: {e}")))?;
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

//! One OTLP export request from protobuf to OTLP/JSON and back, for `--save-format`.
//!
//! The messages are opentelemetry-proto's prost types; the JSON side is written here
//! rather than with that crate's `with-serde`, whose JSON is not OTLP/JSON: it writes
//! default values and `null`s, and refuses valid input such as `{"arrayValue":{}}` (an
//! empty array, its `values` omitted as a default), which real Claude Code logs contain.
//! Errors are messages: the caller keeps such a request in its own encoding.

mod from_json;
mod to_json;

use crate::model::Signal;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

/// Trace and span ids have these sizes; OTLP/JSON readers (the Collector's, `decode::json`)
/// refuse ids of any other length, so a request holding one is not converted.
const TRACE_ID: usize = 16;
const SPAN_ID: usize = 8;

/// Appends the OTLP/JSON text (one line, no newline) of a protobuf request of `signal`.
pub fn proto_to_json(signal: Signal, body: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let start = out.len();
    let mut writer = to_json::Writer::new(out);
    let decoded = match signal {
        Signal::Traces => ExportTraceServiceRequest::decode(body).map(|r| writer.traces(&r)),
        Signal::Metrics => ExportMetricsServiceRequest::decode(body).map(|r| writer.metrics(&r)),
        Signal::Logs => ExportLogsServiceRequest::decode(body).map(|r| writer.logs(&r)),
    };
    let result = decoded.map_err(|e| format!("protobuf: {e}")).and_then(|()| writer.finish());
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Appends the protobuf encoding of an OTLP/JSON request of `signal`.
pub fn json_to_proto(signal: Signal, text: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| format!("JSON: {e}"))?;
    match signal {
        Signal::Traces => from_json::traces(&value)?.encode(out),
        Signal::Metrics => from_json::metrics(&value)?.encode(out),
        Signal::Logs => from_json::logs(&value)?.encode(out),
    }
    .expect("a Vec grows as needed");
    Ok(())
}

#[cfg(test)]
mod tests;

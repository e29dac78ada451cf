//! Decode stage: bytes of one OTLP request (JSON or protobuf) into borrowed views.
//!
//! Entry points: [`json`] and [`protobuf`]. Both return a [`Request`] whose strings
//! borrow from the input; attribute values are decoded only when asked for.

mod proto;
mod value;
mod view;

pub use proto::sniff_signal;
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
    let text = std::str::from_utf8(text).map_err(|e| DecodeError::at(e.valid_up_to() as u64, format!("invalid UTF-8: {e}")))?;
    let top: Top = serde_json::from_str(text).map_err(|e| DecodeError {
        offset: None,
        message: format!("JSON: {e}"),
    })?;
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

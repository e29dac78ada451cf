//! One unit of input (a JSON line, a protobuf frame, a request body) through decode and
//! extract: the same for a file's records and for a request the receiver took.

use crate::decode::{self, DecodeError};
use crate::extract::{self, Extracted};
use crate::input::{Unit, UnitPayload, MAX_RECORD_BYTES};
use crate::model::Position;
use std::io::Read;

/// Decodes and extracts one record (a request in any encoding). The error is the message
/// for a problem at the unit's location. Used for files and for the live receiver.
pub fn process_unit(unit: &Unit<'_>, config: &extract::Config, out: &mut Extracted) -> Result<(), String> {
    let describe = |e: DecodeError| match (e.offset, unit.location.at) {
        (Some(off), Position::Offset(_) | Position::Whole) => {
            format!("{} (byte {off} of the request)", e.message)
        }
        _ => e.message,
    };
    match unit.payload {
        UnitPayload::Json(text) => {
            // OTLP first (nearly every record); a record it cannot read may be one of the
            // other files' (Python's metrics share OTLP's `resource_metrics` key).
            let request = match decode::json(text) {
                Ok(Some(request)) => request,
                Ok(None) => decode::sdk_json(text, unit.context).map_err(describe)?.ok_or(
                    "JSON, but not telemetry (no resourceSpans, resourceMetrics or resourceLogs, and not an SDK's span, log record or metrics)",
                )?,
                Err(otlp) => match decode::sdk_json(text, unit.context) {
                    Ok(Some(request)) => request,
                    _ => return Err(describe(otlp)),
                },
            };
            extract::extract(&request, &unit.location, unit.route, config, out);
        }
        UnitPayload::Proto(bytes, hint) => {
            let Some(signal) = hint.or_else(|| decode::sniff_signal(bytes)) else {
                if bytes.is_empty() || decode::protobuf(bytes, crate::model::Signal::Traces).is_ok_and(|r| is_empty(&r))
                {
                    return Ok(()); // an empty request: nothing to count
                }
                return Err(
                    "protobuf request of unknown signal (name the file after its signal: traces, metrics or logs)"
                        .into(),
                );
            };
            let request = decode::protobuf(bytes, signal).map_err(describe)?;
            extract::extract(&request, &unit.location, unit.route, config, out);
        }
        UnitPayload::Zstd(bytes, hint) => {
            let mut plain = Vec::new();
            zstd::stream::read::Decoder::new(bytes)
                .and_then(|d| d.take(MAX_RECORD_BYTES).read_to_end(&mut plain))
                .map_err(|e| format!("zstd frame: {e}"))?;
            let payload =
                if plain.first() == Some(&b'{') { UnitPayload::Json(&plain) } else { UnitPayload::Proto(&plain, hint) };
            let unit = Unit { location: unit.location.clone(), payload, route: unit.route, context: unit.context };
            return process_unit(&unit, config, out);
        }
    }
    Ok(())
}

fn is_empty(request: &decode::Request<'_>) -> bool {
    match request {
        decode::Request::Traces(r) => r.iter().all(|rs| rs.scope_spans.iter().all(|s| s.spans.is_empty())),
        _ => false,
    }
}

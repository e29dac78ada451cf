//! Kilo Code CLI (`@kilocode/cli`, an OpenCode fork): its OTLP spans and logs carry no
//! usage at all (it calls the AI SDK with telemetry turned off in its code), so nothing
//! is counted from them; its HTTP server spans, which name Kilo in a header attribute, are
//! claimed so that this is said. Its usage is only in its own database (`kilo export`).

use super::{Claim, Module, Record};
use crate::decode::Span;
use crate::model::Emitter;

/// The header attribute only Kilo's server spans have.
const KILO_HEADER: &str = "http.request.header.x-kilo-directory";

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Kilo,
    owns_scope: None,
    span_keys: &[KILO_HEADER],
    span: Some(span),
    log: None,
    metric: None,
    by_process: true,
    losses: Some(
        "Kilo Code's telemetry carries no token usage at all (its AI SDK telemetry is off in its code): \
         its calls are not in it; `kilo stats` and `kilo export` show what it recorded",
    ),
};

fn span(span: &Span<'_>, _: &Record<'_, '_>) -> Claim {
    if span.attributes.iter().any(|kv| kv.key == KILO_HEADER) {
        Claim::Mine(None)
    } else {
        Claim::NotMine
    }
}

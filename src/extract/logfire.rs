//! Logfire's own instrumentation of the provider SDKs (`logfire.instrument_openai()`,
//! `instrument_anthropic()`; scopes `logfire.openai`, `logfire.anthropic`), both attribute
//! versions: the conventions' names plus pydantic-ai's (`operation.cost`, with the optional
//! genai-prices package), read as pydantic-ai's are.
//!
//! Input includes the cache for both providers; cache counts are written only when not
//! zero; reasoning is only in `gen_ai.usage.raw`, the provider's usage object. A streamed
//! call's usage is on a sibling `streaming response from …` record (a zero-length span),
//! not on the request span, which has none: each call still has one span with usage.

use super::{pydantic_ai, Claim, Module, Record};
use crate::decode::Span;
use crate::model::Emitter;

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Logfire,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: None,
    metric: None,
    by_process: false,
    losses: None,
};

fn owns_scope(record: &Record<'_, '_>) -> bool {
    matches!(record.scope, "logfire.openai" | "logfire.anthropic")
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !owns_scope(record) {
        return Claim::NotMine;
    }
    pydantic_ai::chat_span(span, record, Emitter::Logfire)
}

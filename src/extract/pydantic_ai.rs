//! pydantic-ai's instrumentation (scope `pydantic-ai`), also as sent through Logfire.
//!
//! `chat` spans follow the conventions and add `gen_ai.usage.details.*`: the reasoning
//! count is only there; `details.cache_read_tokens` repeats `cache_read.input_tokens`
//! (one count, never added). `operation.cost` is pydantic-ai's own price (genai-prices).
//! `invoke_agent` spans carry the run's sum as `gen_ai.aggregated_usage.*`: never a call.
//! With the legacy names the agent span repeats `gen_ai.usage.*` instead; not being a
//! model-call operation, it is then a possible aggregate, as in the conventions.

use super::semconv::{self, fields_with, fill};
use super::usage::InputCache;
use super::usage_object;
use super::{Claim, MetricPoint, Module, Record};
use crate::decode::{Metric, Span};
use crate::model::{Emitter, Role};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::PydanticAi,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: None,
    metric: Some(metric),
    by_process: false,
    losses: None,
};

fn owns_scope(record: &Record<'_, '_>) -> bool {
    is_mine(record)
}

fn is_mine(record: &Record<'_, '_>) -> bool {
    matches!(record.scope, "pydantic-ai" | "pydantic_ai") || record.scope.starts_with("logfire")
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !is_mine(record) {
        return Claim::NotMine;
    }
    chat_span(span, record, Emitter::PydanticAi)
}

/// A span of pydantic-ai's or Logfire's (they share the names), read for `emitter`.
pub(super) fn chat_span(span: &Span<'_>, record: &Record<'_, '_>, emitter: Emitter) -> Claim {
    let (mut cost, mut raw) = (None, None);
    let mut f = fields_with(&span.attributes, |f, key, value| {
        let u = &mut f.usage;
        match key {
            "gen_ai.usage.details.reasoning_tokens" => fill(&mut u.reasoning, value),
            "gen_ai.usage.details.cache_read_tokens" => fill(&mut u.cache_read, value),
            "gen_ai.usage.details.cache_write_tokens" => fill(&mut u.cache_write, value),
            "gen_ai.usage.raw" => raw = Some(value.get().clone()),
            "operation.cost" => cost = value.as_cost(1),
            _ => return false,
        }
        true
    });
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    // Logfire states reasoning only in the provider's raw usage object.
    if f.usage.reasoning.is_none() {
        let raw = raw.as_ref().and_then(|v| v.as_str());
        f.usage.reasoning = raw.and_then(|json| usage_object::read(json, InputCache::Excludes)?.usage.reasoning);
    }
    let role = if f.is_model_call() { Role::ModelCall } else { Role::MaybeAggregate };
    let mut o = f.span_observation(emitter, span, role, record, InputCache::Infer);
    o.reported_cost = cost;
    Claim::Mine(Some(o))
}

/// `gen_ai.client.token.usage` and the `operation.cost` histogram, both cumulative.
fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if !is_mine(record) {
        return false;
    }
    match &*metric.name {
        semconv::TOKEN_USAGE => semconv::token_usage(metric, record, Emitter::PydanticAi, out),
        "operation.cost" => semconv::cost_histogram(metric, record, Emitter::PydanticAi, out),
        _ => false,
    }
}

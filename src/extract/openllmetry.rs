//! OpenLLMetry / Traceloop: instrumentations of scope `opentelemetry.instrumentation.*`
//! plus the traceloop SDK's workflow/task/agent/tool spans (scope `traceloop.tracer`).
//!
//! Three naming eras: `llm.usage.prompt_tokens`/`completion_tokens` (≤ Apr 2024, with
//! `llm.request.model`, `llm.response.model`, `llm.vendor` and the token metrics
//! `llm.openai.chat_completions.tokens` / `llm.anthropic.completion.tokens`),
//! `gen_ai.usage.prompt_tokens`… with underscore cache names and
//! `llm.usage.reasoning_tokens` (2024–2025), the conventions' names (semconv_ai ≥ 0.5).
//! Workflow/task/agent/tool spans are never calls: their `traceloop.entity.output` may
//! hold a raw response with its usage block, which is text, not a count.
//! The anthropic SDK traces itself too (`com.anthropic.sdk.*`): every Anthropic call then
//! has two sibling spans with one response id. OpenLLMetry's over-reports a streamed
//! call's output (it adds `message_start`'s count to the already cumulative
//! `message_delta`), so its spans are marked second-hand and the SDK's own span is kept.

use super::metric::{MetricPoint, UsageField};
use super::semconv::{self, fields_with, fill, text};
use super::usage::InputCache;
use super::{Claim, Module, Record};
use crate::decode::{Metric, Span};
use crate::model::{Emitter, Role};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::OpenLlmetry,
    owns_scope: Some(owns_scope),
    span_keys: SPAN_KEYS,
    span: Some(span),
    log: None,
    metric: Some(metric),
    by_process: false,
    losses: None,
};

const SPAN_KIND: &str = "traceloop.span.kind";

/// OpenLLMetry's spans: the SDK's own scope, or an instrumentation span with its
/// attributes (the official `openai_v2` instrumentation shares the scope prefix).
fn owns_scope(record: &Record<'_, '_>) -> bool {
    record.scope == "traceloop.tracer" || record.scope == "opentelemetry.instrumentation.openai.v1"
}

/// Its own names (every era); its `gen_ai.*` names are semconv's.
const SPAN_KEYS: &[&str] = &["traceloop.", "llm."];

fn is_mine(span: &Span<'_>, record: &Record<'_, '_>) -> bool {
    owns_scope(record)
        || (record.scope.starts_with("opentelemetry.instrumentation.")
            && span.attributes.iter().any(|kv| {
                kv.key.starts_with("traceloop.") || kv.key.starts_with("llm.usage.") || kv.key == "llm.request.type"
            }))
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !is_mine(span, record) {
        return Claim::NotMine;
    }
    if record.text(SPAN_KIND).is_some_and(|k| k != "unknown") {
        return Claim::Mine(None);
    }
    let (mut request_model, mut response_model, mut vendor) = (None, None, None);
    let f = fields_with(&span.attributes, |f, key, value| {
        let u = &mut f.usage;
        match key {
            "llm.usage.prompt_tokens" => fill(&mut u.input, value),
            "llm.usage.completion_tokens" => fill(&mut u.output, value),
            "llm.usage.reasoning_tokens" => fill(&mut u.reasoning, value),
            "llm.usage.cache_read_input_tokens" => fill(&mut u.cache_read, value),
            "llm.usage.cache_creation_input_tokens" => fill(&mut u.cache_write, value),
            "llm.request.model" => request_model = Some(value.get().clone()),
            "llm.response.model" => response_model = Some(value.get().clone()),
            "llm.vendor" => vendor = Some(value.get().clone()),
            _ => return false,
        }
        true
    });
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    // Before Oct 2024 the Anthropic instrumentation left cache tokens out of input:
    // inclusion is read from the numbers.
    let mut o = f.span_observation(Emitter::OpenLlmetry, span, Role::ModelCall, record, InputCache::Infer);
    // The first era's names, where the conventions' are absent (`OpenAI` → `openai`).
    o.model = o.model.or_else(|| text(&response_model)).or_else(|| text(&request_model));
    o.provider = o.provider.or_else(|| text(&vendor).map(|v| v.to_ascii_lowercase()));
    o.session = record.text("traceloop.association.properties.session_id").or(o.session);
    o.secondhand = true;
    Claim::Mine(Some(o))
}

/// The first era's token counters (cumulative sums split by `llm.usage.token_type`):
/// prompt as the provider counts it, completion with reasoning. Later eras send
/// `gen_ai.client.token.usage`, read by the conventions.
fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if !matches!(&*metric.name, "llm.openai.chat_completions.tokens" | "llm.anthropic.completion.tokens") {
        return false;
    }
    semconv::each_point(metric, |attrs, value, cumulative, _| {
        let field = match super::lookup(attrs, "llm.usage.token_type").and_then(|v| v.render()).as_deref() {
            Some("prompt") => UsageField::Input,
            Some("completion") => UsageField::Output,
            _ => return,
        };
        let model = super::lookup(attrs, "llm.response.model").and_then(|v| v.render());
        // One recording per call, but a sum has no count: the calls are not known.
        let mut point = record.metric_point(
            Emitter::OpenLlmetry,
            &metric.name,
            attrs,
            Some("llm.usage.token_type"),
            cumulative,
            &value,
            super::Measure::Tokens(field),
            InputCache::Infer,
        );
        point.model = model.filter(|m| !m.is_empty());
        point.provider = metric.name.split('.').nth(1).map(str::to_owned);
        out.push(point);
    })
}

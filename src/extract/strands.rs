//! Strands Agents' own telemetry: tracer scope `strands.telemetry.tracer`, meter scope
//! `strands.telemetry.metrics`.
//!
//! Spans: `invoke_agent <name>` → `execute_event_loop_cycle` → `chat` (one model call) and
//! `execute_tool`. `chat` spans use the conventions' names, each count written twice
//! (`prompt_tokens` = `input_tokens`, `cache_read.input_tokens` = `cache_read_input_tokens`:
//! one count, read once), input including cache reads. `invoke_agent` repeats the usage
//! of the Agent object's whole life so far (`accumulated_usage`: a second invocation
//! reports both), so it is a parent that never counts over the `chat` spans below it.
//! `gen_ai.system` / `gen_ai.provider.name` is `strands-agents`, the framework: not a
//! provider, so none is stated. Reasoning tokens are not exported (they stay inside output).
//!
//! Metrics: `strands.event_loop.{input,output,cache_read.input,cache_write.input}.tokens`,
//! histograms recorded once per model call, with no model: usage that is counted (and
//! left unpriced) only when no span of the process is.

use super::metric::{MetricPoint, UsageField};
use super::semconv::{self, fields};
use super::usage::InputCache;
use super::{Claim, Module, Record};
use crate::decode::{Metric, Span};
use crate::model::{Emitter, Role};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Strands,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: None,
    metric: Some(metric),
    by_process: false,
    losses: None,
};

/// What Strands writes where a provider belongs.
const FRAMEWORK: &str = "strands-agents";

fn owns_scope(record: &Record<'_, '_>) -> bool {
    record.scope == "strands.telemetry.tracer"
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !owns_scope(record) {
        return Claim::NotMine;
    }
    let f = fields(&span.attributes);
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let role = if f.is_model_call() { Role::ModelCall } else { Role::MaybeAggregate };
    let mut o = f.span_observation(Emitter::Strands, span, role, record, InputCache::Infer);
    o.provider = o.provider.filter(|p| p != FRAMEWORK);
    Claim::Mine(Some(o))
}

fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if record.scope != "strands.telemetry.metrics" {
        return false;
    }
    let field = match &*metric.name {
        "strands.event_loop.input.tokens" => UsageField::Input,
        "strands.event_loop.output.tokens" => UsageField::Output,
        "strands.event_loop.cache_read.input.tokens" => UsageField::CacheRead,
        "strands.event_loop.cache_write.input.tokens" => UsageField::CacheWrite,
        // Its other metrics (cycles, latencies, tool calls) are not usage.
        _ => return true,
    };
    semconv::each_point(metric, |attrs, value, cumulative, _| {
        semconv::push_tokens(field, value, out, |measure, value| {
            // The provider's input count: cache-inclusive for OpenAI, exclusive for Bedrock.
            record.metric_point(
                Emitter::Strands,
                &metric.name,
                attrs,
                None,
                cumulative,
                value,
                measure,
                InputCache::Infer,
            )
        })
    });
    true
}

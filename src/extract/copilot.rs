//! GitHub Copilot: the Copilot CLI (`@github/copilot`, scope `github.copilot`, service
//! `github-copilot`) and the VS Code Copilot Chat extension (service `copilot-chat`).
//!
//! CLI: each model call is a `chat <model>` span whose `gen_ai.usage.input_tokens`
//! includes the cache reads *and* the cache writes (1100 = 100 + 800 + 200 with an
//! Anthropic backend) and whose output includes reasoning; the `invoke_agent` span above
//! them repeats their sum (an aggregate, never counted over them). Its stated cost is
//! `github.copilot.nano_aiu` (AI credits × 10⁹, a credit being $0.01) or
//! `github.copilot.cost`: kept as the emitter's own figure, never added to ours. The
//! `gen_ai.client.inference.usage.*` counters carry the same tokens per model.
//!
//! VS Code: the same `chat` spans (read by the conventions) plus the
//! `copilot_chat.agent.turn` event, a turn's total, which repeats them.

use super::metric::{is_cumulative, number_value, Measure, MetricPoint, UsageField};
use super::semconv::fields_with;
use super::usage::InputCache;
use super::{lookup, Claim, Module, Record};
use crate::decode::{KeyValue, LogRecord, Metric, Span};
use crate::model::{Emitter, Role};
use rust_decimal::Decimal;

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Copilot,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: Some(log),
    metric: Some(metric),
    by_process: true,
    losses: None,
};

fn is_copilot(record: &Record<'_, '_>) -> bool {
    record.scope == "github.copilot"
        || matches!(record.resource.service.as_deref(), Some("github-copilot" | "copilot-chat"))
}

fn owns_scope(record: &Record<'_, '_>) -> bool {
    is_copilot(record)
}

/// The cost Copilot states for a call, in USD.
fn reported_cost(attrs: &[KeyValue<'_>]) -> Option<Decimal> {
    // 10⁹ nano-credits per credit, $0.01 per credit.
    let credits = lookup(attrs, "github.copilot.nano_aiu").and_then(|v| v.as_cost(1_000_000_000));
    credits
        .map(|c| c / Decimal::ONE_HUNDRED)
        .or_else(|| lookup(attrs, "github.copilot.cost").and_then(|v| v.as_cost(1)))
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !is_copilot(record) {
        return Claim::NotMine;
    }
    let f = fields_with(&span.attributes, |_, _, _| false);
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let role = if f.is_model_call() { Role::ModelCall } else { Role::MaybeAggregate };
    // The CLI's input includes cache reads and writes; the VS Code extension's is not
    // documented either way: its numbers tell.
    let input_cache = if record.resource.service.as_deref() == Some("copilot-chat") {
        InputCache::Infer
    } else {
        InputCache::Includes
    };
    let mut o = f.span_observation(Emitter::Copilot, span, role, record, input_cache);
    o.reported_cost = reported_cost(&span.attributes);
    Claim::Mine(Some(o))
}

/// VS Code's `copilot_chat.agent.turn` repeats its turn's calls; the extension's other
/// events (the conventions' details event among them) are read as such.
fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    let name = lookup(&log.attributes, "event.name").and_then(|v| v.as_str().map(str::to_owned));
    let name = name.unwrap_or_else(|| log.event_name.to_string());
    if name.starts_with("copilot_chat.") && (is_copilot(record) || name == "copilot_chat.agent.turn") {
        return Claim::Mine(None);
    }
    Claim::NotMine
}

/// `gen_ai.client.inference.usage.*`: one counter per kind of token, input including
/// cache reads and writes. The per-operation histograms repeat input and output.
fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if !is_copilot(record) {
        return false;
    }
    let field = match metric.name.strip_prefix("gen_ai.client.inference.usage.") {
        Some("input_tokens") => UsageField::Input,
        Some("output_tokens") => UsageField::Output,
        Some("cache_read.input_tokens") => UsageField::CacheRead,
        Some("cache_write.input_tokens") => UsageField::CacheWrite,
        Some("reasoning.output_tokens") => UsageField::Reasoning,
        _ => return true,
    };
    let Some(sum) = metric.sum.as_ref() else { return true };
    let cumulative = is_cumulative(sum.aggregation_temporality).unwrap_or(true);
    for p in &sum.data_points {
        let Some(mut value) = number_value(p) else { continue };
        // Each counter of one export is timed apart by microseconds: on the whole second,
        // the kinds of token of one export join into one observation.
        value.time_ns -= value.time_ns % 1_000_000_000;
        let mut point = record.metric_point(
            Emitter::Copilot,
            &metric.name,
            &p.attributes,
            None,
            cumulative,
            &value,
            Measure::Tokens(field),
            InputCache::Includes,
        );
        let f = super::semconv::fields(&p.attributes);
        point.model = f.model();
        point.provider = f.provider();
        out.push(point);
    }
    true
}

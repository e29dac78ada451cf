//! Continue CLI (`@continuedev/cli`, `cn`): OTLP metrics only (service `continue-cli`),
//! no spans or logs, no session id. `continue_cli_token_usage` counts tokens per `model`
//! and `type` (`input`, `output`, `cacheRead`, `cacheCreation`, the last two only once
//! non-zero); `continue_cli_cost_usage` is Continue's own estimate. With an Anthropic
//! backend `input` excludes the cache; with OpenAI it includes the cached tokens, which
//! Continue never states apart, and output includes reasoning, never stated either.

use super::metric::{is_cumulative, number_value, Measure, MetricPoint, UsageField};
use super::usage::InputCache;
use super::{lookup, Module, Record};
use crate::decode::Metric;
use crate::model::Emitter;

pub(super) const MODULE: Module = Module {
    emitter: Emitter::ContinueCli,
    owns_scope: None,
    span_keys: &[],
    span: None,
    log: None,
    metric: Some(metric),
    by_process: true,
    losses: Some(
        "Continue CLI exports only token counters: its calls are counted without a number of requests, \
         and with an OpenAI backend its input includes cache reads it does not state (priced as uncached input)",
    ),
};

fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if record.resource.service.as_deref() != Some("continue-cli") {
        return false;
    }
    let cost = match &*metric.name {
        "continue_cli_token_usage" => false,
        "continue_cli_cost_usage" => true,
        _ => return true,
    };
    let Some(sum) = metric.sum.as_ref() else { return true };
    let cumulative = is_cumulative(sum.aggregation_temporality).unwrap_or(true);
    for p in &sum.data_points {
        let Some(value) = number_value(p) else { continue };
        let token_type = lookup(&p.attributes, "type").and_then(|v| v.render());
        let measure = match (cost, token_type.as_deref()) {
            (true, _) => Measure::CostUsd,
            (false, Some("input")) => Measure::Tokens(UsageField::Input),
            (false, Some("output")) => Measure::Tokens(UsageField::Output),
            (false, Some("cacheRead")) => Measure::Tokens(UsageField::CacheRead),
            (false, Some("cacheCreation")) => Measure::Tokens(UsageField::CacheWrite),
            _ => continue,
        };
        // Input with cache (OpenAI) or without (Anthropic): the counts tell.
        let mut point = record.metric_point(
            Emitter::ContinueCli,
            &metric.name,
            &p.attributes,
            Some("type"),
            cumulative,
            &value,
            measure,
            InputCache::Infer,
        );
        point.model = Record { attrs: &p.attributes, ..*record }.text("model");
        out.push(point);
    }
    true
}

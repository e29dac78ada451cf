//! OpenLIT (the `openlit` Python SDK): spans of its instrumentations, told by the
//! resource's `telemetry.sdk.name=openlit`, and its `gen_ai.usage.cost` histogram.
//!
//! Its spans use the conventions' names plus its own: `gen_ai.usage.cost` (USD from its
//! own price table: the emitter's figure, kept beside ours, never added),
//! `gen_ai.usage.reasoning_tokens`, and `gen_ai.client.token.usage` written as a span
//! attribute (input + output: a metric's name, not a count to add). Input follows each
//! provider's API: OpenAI's prompt count includes cache reads, Anthropic's `input_tokens`
//! excludes cache reads and writes.

use super::metric::MetricPoint;
use super::semconv::{cost_histogram, fields_with};
use super::usage::InputCache;
use super::{lookup, Claim, Record};
use crate::decode::{Metric, Span};
use crate::model::{Emitter, Role};

fn is_openlit(record: &Record<'_, '_>) -> bool {
    lookup(record.resource.attrs, "telemetry.sdk.name").and_then(|v| v.as_str().map(str::to_owned)).as_deref()
        == Some("openlit")
}

pub(super) fn owns_scope(record: &Record<'_, '_>) -> bool {
    is_openlit(record)
}

pub fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !is_openlit(record) {
        return Claim::NotMine;
    }
    let mut cost = None;
    let f = fields_with(&span.attributes, |_, key, value| match key {
        "gen_ai.usage.cost" => {
            cost = value.as_decimal();
            true
        }
        // A metric's name used as an attribute: input + output again.
        "gen_ai.client.token.usage" => true,
        _ => false,
    });
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let anthropic = f.provider().is_some_and(|p| p.eq_ignore_ascii_case("anthropic"));
    let input_cache = if anthropic { InputCache::Excludes } else { InputCache::Includes };
    let role = if f.is_model_call() { Role::ModelCall } else { Role::MaybeAggregate };
    let mut o = f.span_observation(Emitter::OpenLit, span, role, record, input_cache);
    o.reported_cost = cost;
    Claim::Mine(Some(o))
}

/// `gen_ai.usage.cost`, a histogram of its cost per call; its token histogram is the
/// conventions' `gen_ai.client.token.usage`.
pub fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    is_openlit(record) && metric.name == "gen_ai.usage.cost" && cost_histogram(metric, record, Emitter::OpenLit, out)
}

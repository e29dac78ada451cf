//! OpenLIT (the `openlit` Python SDK): spans of its instrumentations, told by the
//! resource's `telemetry.sdk.name=openlit`, and its `gen_ai.usage.cost` histogram.
//!
//! Its spans use the conventions' names plus its own: `gen_ai.usage.cost` (USD from its
//! own price table: the emitter's figure, kept beside ours, never added),
//! `gen_ai.usage.reasoning_tokens`, and `gen_ai.client.token.usage` written as a span
//! attribute (input + output: a metric's name, not a count to add). Input follows each
//! provider's API: OpenAI's prompt count includes cache reads, Anthropic's `input_tokens`
//! excludes cache reads and writes.
//!
//! Beside each span it sends the conventions' `gen_ai.client.inference.operation.details`
//! event with the same usage; for a streamed call the event is sent after its span ended,
//! outside any trace. Both carry the response id, which identifies the call across them.

use super::metric::MetricPoint;
use super::semconv::{cost_histogram, fields_with, text, Fields, DETAILS_EVENT};
use super::usage::InputCache;
use super::{lookup, Claim, Module, Record};
use crate::decode::{KeyValue, LogRecord, Metric, Span};
use crate::model::{CallKey, Emitter, Role, Signal};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::OpenLit,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: Some(log),
    metric: Some(metric),
    by_process: true,
    losses: None,
};

fn is_openlit(record: &Record<'_, '_>) -> bool {
    lookup(record.resource.attrs, "telemetry.sdk.name").and_then(|v| v.as_str().map(str::to_owned)).as_deref()
        == Some("openlit")
}

fn owns_scope(record: &Record<'_, '_>) -> bool {
    is_openlit(record)
}

/// The response id at the record's time, as an identity the span and the event of one
/// call share (the event follows its span by milliseconds). Within a second, on two grids
/// half a second apart: a fake or self-hosted server's ids repeat across the runs a user
/// may combine.
fn response_keys(f: &Fields<'_>, time_ns: u64) -> Vec<CallKey> {
    const SLOT_NS: u64 = 1_000_000_000;
    let Some(id) = text(&f.response_id) else { return Vec::new() };
    (0..2u64)
        .map(|grid| {
            let slot = time_ns.saturating_add(grid * SLOT_NS / 2) / SLOT_NS;
            CallKey::Request(id.clone(), format!("{grid}:{slot}"))
        })
        .collect()
}

/// The provider: stated, else the instrumentation's scope (`openlit.instrumentation.anthropic`;
/// its events state none).
fn provider(f: &Fields<'_>, record: &Record<'_, '_>) -> Option<String> {
    f.provider().or_else(|| record.scope.strip_prefix("openlit.instrumentation.").map(str::to_owned))
}

/// Its input counts are the provider's: Anthropic's leave cache tokens out, the others'
/// include them; with no provider known, the numbers tell.
fn input_cache(provider: Option<&str>) -> InputCache {
    match provider {
        Some(p) if p.eq_ignore_ascii_case("anthropic") => InputCache::Excludes,
        Some(_) => InputCache::Includes,
        None => InputCache::Infer,
    }
}

fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if !is_openlit(record) {
        return Claim::NotMine;
    }
    let f = usage_fields(&log.attributes).0;
    let is_details = log.event_name == DETAILS_EVENT || text(&f.event_name).as_deref() == Some(DETAILS_EVENT);
    if !is_details || !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let time = if log.time_unix_nano != 0 { log.time_unix_nano } else { log.observed_time_unix_nano };
    let provider = provider(&f, record);
    let input_cache = input_cache(provider.as_deref());
    let mut o = f.observation(Emitter::OpenLit, Signal::Logs, Role::ModelCall, time, log.trace_id, record, input_cache);
    o.provider = provider;
    if log.trace_id == [0; 16] {
        // Outside any trace, the response id alone would join this event to another run's.
        o.keys = Default::default();
    }
    if log.span_id != [0; 8] {
        o.keys.push(CallKey::Span(log.trace_id, log.span_id));
    }
    o.keys.extend(response_keys(&f, time));
    Claim::Mine(Some(o))
}

/// The conventions' fields without OpenLIT's own, and its stated cost.
fn usage_fields<'a>(attrs: &[KeyValue<'a>]) -> (Fields<'a>, Option<rust_decimal::Decimal>) {
    let mut cost = None;
    let f = fields_with(attrs, |_, key, value| match key {
        "gen_ai.usage.cost" => {
            cost = value.as_cost(1);
            true
        }
        // A metric's name used as an attribute: input + output again.
        "gen_ai.client.token.usage" => true,
        _ => false,
    });
    (f, cost)
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !is_openlit(record) {
        return Claim::NotMine;
    }
    let (f, cost) = usage_fields(&span.attributes);
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let role = if f.is_model_call() { Role::ModelCall } else { Role::MaybeAggregate };
    let provider = provider(&f, record);
    let mut o = f.span_observation(Emitter::OpenLit, span, role, record, input_cache(provider.as_deref()));
    o.provider = provider;
    o.reported_cost = cost;
    o.keys.extend(response_keys(&f, o.time_ns));
    Claim::Mine(Some(o))
}

/// `gen_ai.usage.cost`, a histogram of its cost per call; its token histogram is the
/// conventions' `gen_ai.client.token.usage`.
fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    is_openlit(record) && metric.name == "gen_ai.usage.cost" && cost_histogram(metric, record, Emitter::OpenLit, out)
}

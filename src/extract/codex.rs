//! OpenAI Codex CLI: the `codex.sse_event` log (`event.kind=response.completed`), the
//! `handle_responses` span's usage, the `session_task.turn` span's turn totals, and the
//! `codex.turn.token_usage` / `codex.turn.cost_microusd` metrics.
//!
//! Counts are OpenAI's: input includes cached reads and cache writes, output includes
//! reasoning. `tool_token_count` is really `total_tokens` (every caller passes it there)
//! and the `total` token type is a sum: neither is a bucket.
//!
//! Identity: the completed event has no response id and no trace context, and the span
//! has neither the model nor the conversation. What both carry is the exact usage of
//! the response, a few milliseconds apart, so they share `CallKey::UsageAt` keys.
//! Metrics carry no conversation: reconcile counts them only for a process (service)
//! with no per-call record.
//!
//! Codex's session transcript (`rollout-*.jsonl`, see decode's `rollout.rs`): each
//! `event_msg` / `token_count` line holds the last response's usage (`last_token_usage`,
//! the same counts as the completed event) and the session's running total
//! (`total_token_usage`). Codex writes the line again with nothing new (a rate-limit
//! refresh): the running total then stays, so the session and running total are one
//! call's strong identity (a fork replays its parent's history after the parent's
//! `session_meta`: those are the parent's calls), and the counts at a time its hint, shared with the completed
//! event and span of the same response (the transcript's service is the `originator`,
//! Codex's OpenTelemetry service name, so both meet in one scope). The newer
//! `token_usage_record` line repeats the same responses and is not counted. Older Codex
//! writes only the running total: each line's growth over the file's previous total is
//! then the call (a line written again has none).

use super::metric::{histogram_value, is_cumulative, number_value, Measure, MetricPoint, PointValue, UsageField};
use super::usage::{InputCache, RawUsage};
use super::{lookup, Claim, Module, Record};
use crate::decode::{KeyValue, LogRecord, Metric, Span, REPEATED};
use crate::model::{CallKey, Emitter, Observation, Role, Signal};
use rust_decimal::Decimal;

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Codex,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: Some(log),
    metric: Some(metric),
    by_process: true,
    losses: None,
};

const PROVIDER: &str = "openai";

const EVENT_USAGE: &[(&str, UsageField)] = &[
    ("input_token_count", UsageField::Input),
    ("output_token_count", UsageField::Output),
    ("cached_token_count", UsageField::CacheRead),
    ("cache_write_token_count", UsageField::CacheWrite),
    ("reasoning_token_count", UsageField::Reasoning),
];

/// `handle_responses` (per response, semconv names plus Codex's reasoning).
const SPAN_USAGE: &[(&str, UsageField)] = &[
    ("gen_ai.usage.input_tokens", UsageField::Input),
    ("gen_ai.usage.output_tokens", UsageField::Output),
    ("gen_ai.usage.cache_read.input_tokens", UsageField::CacheRead),
    ("gen_ai.usage.cache_write.input_tokens", UsageField::CacheWrite),
    ("gen_ai.usage.cache_creation.input_tokens", UsageField::CacheWrite),
    ("codex.usage.reasoning_output_tokens", UsageField::Reasoning),
    ("gen_ai.usage.reasoning.output_tokens", UsageField::Reasoning),
];

/// A transcript's `token_count` line: the last response (`total_token_usage` has the
/// same keys, for the session so far).
const ROLLOUT_USAGE: &[(&str, UsageField)] = &[
    ("payload.info.last_token_usage.input_tokens", UsageField::Input),
    ("payload.info.last_token_usage.output_tokens", UsageField::Output),
    ("payload.info.last_token_usage.cached_input_tokens", UsageField::CacheRead),
    ("payload.info.last_token_usage.cache_write_input_tokens", UsageField::CacheWrite),
    ("payload.info.last_token_usage.reasoning_output_tokens", UsageField::Reasoning),
];
const RUNNING_TOTAL: &str = "payload.info.total_token_usage";
/// The growth of a running total (see decode's `rollout.rs`), for a line without the last
/// response's usage.
const GROWTH: &str = "rollout.total_growth";
const GROWTH_USAGE: &[(&str, UsageField)] = &[
    ("rollout.total_growth.input_tokens", UsageField::Input),
    ("rollout.total_growth.output_tokens", UsageField::Output),
    ("rollout.total_growth.cached_input_tokens", UsageField::CacheRead),
    ("rollout.total_growth.cache_write_input_tokens", UsageField::CacheWrite),
    ("rollout.total_growth.reasoning_output_tokens", UsageField::Reasoning),
];
/// The scope decode gives a transcript's lines.
const ROLLOUT: &str = "codex.rollout";

/// `session_task.turn`: the whole turn, every response of it.
const TURN_USAGE: &[(&str, UsageField)] = &[
    ("codex.turn.token_usage.input_tokens", UsageField::Input),
    ("codex.turn.token_usage.output_tokens", UsageField::Output),
    ("codex.turn.token_usage.cached_input_tokens", UsageField::CacheRead),
    ("codex.turn.token_usage.cache_write_input_tokens", UsageField::CacheWrite),
    ("codex.turn.token_usage.reasoning_output_tokens", UsageField::Reasoning),
];

/// Codex's service (`codex_exec`, `codex_tui`, `codex-cli`…) or scopes (`codex_otel.*`,
/// `codex`, `codex_exec`).
fn owns_scope(record: &Record<'_, '_>) -> bool {
    is_codex(record)
}

fn is_codex(record: &Record<'_, '_>) -> bool {
    let codexy =
        |s: &str| s == "codex" || s.starts_with("codex_") || s.starts_with("codex-") || s.starts_with("codex.");
    codexy(record.scope) || record.resource.service.as_deref().is_some_and(codexy)
}

fn own_text(attrs: &[KeyValue<'_>], key: &str) -> Option<String> {
    lookup(attrs, key).and_then(|v| v.render()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// One response (or turn) of usage, with the model when the record or resource names it.
fn observation(
    record: &Record<'_, '_>,
    signal: Signal,
    role: Role,
    time_ns: u64,
    usage: &RawUsage,
    attrs: &[KeyValue<'_>],
) -> Observation {
    let tokens = usage.buckets(InputCache::Includes);
    let mut o = record.observation(Emitter::Codex, signal, role, time_ns, tokens);
    o.model = own_text(attrs, "model")
        .or_else(|| own_text(attrs, "gen_ai.response.model"))
        .or_else(|| own_text(attrs, "gen_ai.request.model"))
        .or_else(|| record.text("model"));
    o.provider = Some(PROVIDER.into());
    o.session = own_text(attrs, "conversation.id").or_else(|| own_text(attrs, "gen_ai.conversation.id"));
    o
}

/// `codex.sse_event` with `response.completed` and token counts: one model response.
/// Every other Codex event (and the completed event without counts) carries none.
fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if record.scope == ROLLOUT {
        return rollout(log, record);
    }
    let name = own_text(&log.attributes, "event.name");
    let named = name.as_deref().is_some_and(|n| n.starts_with("codex."));
    if !named && !is_codex(record) {
        return Claim::NotMine;
    }
    let completed = name.as_deref() == Some("codex.sse_event")
        && own_text(&log.attributes, "event.kind").as_deref() == Some("response.completed");
    let usage = RawUsage::read(&log.attributes, EVENT_USAGE);
    if !completed || !usage.is_present() {
        return Claim::Mine(None);
    }
    let time = if log.time_unix_nano != 0 { log.time_unix_nano } else { log.observed_time_unix_nano };
    let mut o = observation(record, Signal::Logs, Role::ModelCall, time, &usage, &log.attributes);
    o.keys.extend(CallKey::usage_at(time, &o.tokens));
    Claim::Mine(Some(o))
}

/// A transcript line: a `token_count` with the last response's usage is one call; with
/// only the running total (older Codex), the total's growth since the file's previous one
/// (decode carries it) is.
fn rollout(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    let mut usage = RawUsage::read(&log.attributes, ROLLOUT_USAGE);
    let token_count = record.text("payload.type").as_deref() == Some("token_count");
    if token_count && !usage.is_present() && record.text(&format!("{RUNNING_TOTAL}.total_tokens")).is_some() {
        usage = RawUsage::read(&log.attributes, GROWTH_USAGE);
        let repeated = record.text(GROWTH).is_some_and(|g| g == REPEATED.trim_matches('"'));
        if !usage.is_present() && !repeated {
            // A total that went down: not read, so the usage nothing reads is told.
            return Claim::NotMine;
        }
    }
    if !token_count || !usage.is_present() {
        return Claim::Mine(None);
    }
    let time = log.time_unix_nano;
    let mut o = observation(record, Signal::Logs, Role::ModelCall, time, &usage, &[]);
    // The model of the turn (decode carries it from the `turn_context` line before).
    o.model = record.text("payload.info.model").or_else(|| record.text("turn_context.model"));
    o.session = record.text("rollout.session");
    o.keys.extend(CallKey::usage_at(time, &o.tokens));
    let total: Vec<String> = log
        .attributes
        .iter()
        .filter(|kv| kv.key.strip_prefix(RUNNING_TOTAL).is_some_and(|k| k.starts_with('.')))
        .map(|kv| format!("{}={}", kv.key, kv.value.and_then(|v| v.get().render()).unwrap_or_default()))
        .collect();
    // The session whose running total it is: a fork's replay of its parent's history is
    // the parent's calls (one call each beside the parent's own file).
    if let (false, Some(thread)) = (total.is_empty(), record.text("rollout.thread")) {
        o.keys.push(CallKey::Event([0; 16], format!("{thread}\0{}", total.join(" "))));
    }
    Claim::Mine(Some(o))
}

/// A span with a response's usage is one call; one with a turn's totals repeats its
/// responses (counted only when no span below it has usage).
fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !is_codex(record) {
        return Claim::NotMine;
    }
    let time = if span.end_time_unix_nano != 0 { span.end_time_unix_nano } else { span.start_time_unix_nano };
    let response = RawUsage::read(&span.attributes, SPAN_USAGE);
    let turn = RawUsage::read(&span.attributes, TURN_USAGE);
    let (usage, role) = match (response.is_present(), turn.is_present()) {
        (true, _) => (response, Role::ModelCall),
        (false, true) => (turn, Role::MaybeAggregate),
        (false, false) => return Claim::Mine(None),
    };
    let mut o = observation(record, Signal::Traces, role, time, &usage, &span.attributes);
    if span.span_id != [0; 8] {
        o.keys.push(CallKey::Span(span.trace_id, span.span_id));
        o.span = Some((span.trace_id, span.span_id));
    }
    if role == Role::ModelCall {
        o.keys.extend(CallKey::usage_at(time, &o.tokens));
    }
    Claim::Mine(Some(o))
}

/// `codex.turn.token_usage` (histogram sums by `token_type`), `codex.turn.cost_microusd`
/// and the count of completed responses (`codex.sse_event`, `kind=response.completed`).
fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if !metric.name.starts_with("codex.") {
        return false;
    }
    let name = &*metric.name;
    let mut push = |attrs: &[KeyValue<'_>], split: &str, cumulative, value: &PointValue, measure| {
        let mut point = record.metric_point(
            Emitter::Codex,
            name,
            attrs,
            Some(split),
            cumulative,
            value,
            measure,
            InputCache::Includes,
        );
        point.model = Record { attrs, ..*record }.text("model");
        point.provider = Some(PROVIDER.into());
        point.session = own_text(attrs, "conversation.id");
        out.push(point);
    };
    match name {
        "codex.turn.token_usage" => {
            let Some(h) = metric.histogram.as_ref() else { return true };
            // Codex builds its OTLP exporters with delta temporality.
            let cumulative = is_cumulative(h.aggregation_temporality).unwrap_or(false);
            for p in &h.data_points {
                let field = match own_text(&p.attributes, "token_type").as_deref() {
                    Some("input") => UsageField::Input,
                    Some("cached_input") => UsageField::CacheRead,
                    Some("cache_write_input") => UsageField::CacheWrite,
                    Some("output") => UsageField::Output,
                    Some("reasoning_output") => UsageField::Reasoning,
                    _ => continue, // `total` and unknown types are sums of the others
                };
                if let Some(value) = histogram_value(p) {
                    push(&p.attributes, "token_type", cumulative, &value, Measure::Tokens(field));
                }
            }
        }
        "codex.turn.cost_microusd" => {
            let micros = Decimal::from(1_000_000);
            let as_usd = |v: PointValue| PointValue { value: v.value / micros, ..v };
            if let Some(s) = metric.sum.as_ref() {
                let cumulative = is_cumulative(s.aggregation_temporality).unwrap_or(false);
                for p in &s.data_points {
                    if let Some(v) = number_value(p) {
                        push(&p.attributes, "token_type", cumulative, &as_usd(v), Measure::CostUsd);
                    }
                }
            } else if let Some(h) = metric.histogram.as_ref() {
                let cumulative = is_cumulative(h.aggregation_temporality).unwrap_or(false);
                for p in &h.data_points {
                    if let Some(v) = histogram_value(p) {
                        push(&p.attributes, "token_type", cumulative, &as_usd(v), Measure::CostUsd);
                    }
                }
            }
        }
        // The turn histogram counts turns, not calls: completed responses do.
        "codex.sse_event" => {
            let Some(s) = metric.sum.as_ref() else { return true };
            let cumulative = is_cumulative(s.aggregation_temporality).unwrap_or(false);
            for p in &s.data_points {
                let completed = own_text(&p.attributes, "kind").as_deref() == Some("response.completed")
                    && own_text(&p.attributes, "success").as_deref() != Some("false");
                if let (true, Some(v)) = (completed, number_value(p)) {
                    push(&p.attributes, "kind", cumulative, &v, Measure::Calls);
                }
            }
        }
        _ => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::extract::{extract, Config, Extracted};
    use crate::model::{Location, Position};

    #[test]
    fn tool_token_count_is_a_total_and_only_completed_counts() {
        let line = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"codex_tui"}}]},"scopeLogs":[{"scope":{"name":"codex_otel.log_only"},"logRecords":[
            {"observedTimeUnixNano":"9","attributes":[{"key":"event.name","value":{"stringValue":"codex.sse_event"}},
             {"key":"event.kind","value":{"stringValue":"response.completed"}},{"key":"model","value":{"stringValue":"gpt-5.5"}},
             {"key":"input_token_count","value":{"stringValue":"2013"}},{"key":"cached_token_count","value":{"intValue":"1509"}},
             {"key":"output_token_count","value":{"stringValue":"65"}},{"key":"reasoning_token_count","value":{"intValue":22}},
             {"key":"tool_token_count","value":{"stringValue":"2078"}},{"key":"conversation.id","value":{"stringValue":"c1"}}]},
            {"attributes":[{"key":"event.name","value":{"stringValue":"codex.sse_event"}},{"key":"event.kind","value":{"stringValue":"response.completed"}}]},
            {"attributes":[{"key":"event.name","value":{"stringValue":"codex.sse_event"}},{"key":"event.kind","value":{"stringValue":"response.output_text.delta"}},
             {"key":"input_token_count","value":{"stringValue":"1"}}]}]}]}]}"#
            .replace('\n', "");
        let request = crate::decode::json(line.as_bytes()).unwrap().unwrap();
        let mut out = Extracted::default();
        extract(&request, &Location { file: "t".into(), at: Position::Whole }, None, &Config::default(), &mut out);
        assert_eq!(out.observations.len(), 1);
        let o = &out.observations[0];
        let t = o.tokens;
        assert_eq!((t.input, t.cache_read, t.output, t.reasoning), (504, 1509, 65, 22));
        assert_eq!((o.model.as_deref(), o.session.as_deref()), (Some("gpt-5.5"), Some("c1")));
        assert_eq!(out.tally.claimed.get(&crate::model::Emitter::Codex), Some(&3));
    }
}

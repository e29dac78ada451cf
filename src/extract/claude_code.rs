//! Claude Code (Anthropic's coding agent): the `claude_code.api_request` event, the
//! `claude_code.token.usage` / `claude_code.cost.usage` counters and the beta
//! `claude_code.llm_request` span.
//!
//! One API call can appear three times (event, span, metric points). The event and the
//! span share the `request_id`; the metrics carry the session, so reconcile counts them
//! only for sessions no event or span covers. Token counts are Anthropic's: input
//! excludes cache reads and writes. Numbers arrived as strings before v2.1.122, as
//! numbers since; both are read. `subagent_completed.total_tokens`,
//! `compaction.pre_tokens`/`post_tokens` and the tool span's `result_tokens` look like
//! usage but are not: those records are claimed with nothing.

use super::metric::{is_cumulative, number_value, Measure, MetricPoint, UsageField};
use super::usage::{InputCache, RawUsage};
use super::{lookup, Claim, Module, Record};
use crate::decode::{KeyValue, LogRecord, Metric, Span};
use crate::model::{CallKey, Emitter, Observation, Role, Signal};
use rust_decimal::Decimal;

pub(super) const MODULE: Module = Module {
    emitter: Emitter::ClaudeCode,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: Some(log),
    metric: Some(metric),
    by_process: true,
    losses: None,
};

const PREFIX: &str = "claude_code.";
/// The scope decode gives the lines of a transcript file.
const TRANSCRIPT: &str = "claude_code.transcript";

/// The usage of a transcript's assistant line (the Messages API's own names).
const TRANSCRIPT_USAGE: &[(&str, UsageField)] = &[
    ("message.usage.input_tokens", UsageField::Input),
    ("message.usage.output_tokens", UsageField::Output),
    ("message.usage.cache_read_input_tokens", UsageField::CacheRead),
    ("message.usage.cache_creation_input_tokens", UsageField::CacheWrite),
    ("message.usage.cache_creation.ephemeral_1h_input_tokens", UsageField::CacheWrite1h),
    ("message.usage.output_tokens_details.thinking_tokens", UsageField::Reasoning),
];
const PROVIDER: &str = "anthropic";

/// The per-call usage attributes of the event and the span (same names on both).
const USAGE: &[(&str, UsageField)] = &[
    ("input_tokens", UsageField::Input),
    ("output_tokens", UsageField::Output),
    ("cache_read_tokens", UsageField::CacheRead),
    ("cache_creation_tokens", UsageField::CacheWrite),
    ("cache_creation_1h_tokens", UsageField::CacheWrite1h),
];

/// Claude Code's own scope (`com.anthropic.claude_code`, `….events`, `….tracing`) or service.
fn owns_scope(record: &Record<'_, '_>) -> bool {
    is_claude_code(record)
}

fn is_claude_code(record: &Record<'_, '_>) -> bool {
    record.scope.starts_with("com.anthropic.claude_code")
        || matches!(record.resource.service.as_deref(), Some("claude-code" | "claude-code-desktop"))
}

/// Usage of one call; the 5m/1h split completes the total when only the split is sent.
fn usage(attrs: &[KeyValue<'_>]) -> RawUsage {
    let mut u = RawUsage::read(attrs, USAGE);
    if u.cache_write.is_none() {
        let part = |k| lookup(attrs, k).and_then(|v| v.as_count());
        if let Some(n) = part("cache_creation_5m_tokens").or(u.cache_write_1h) {
            u.cache_write = Some(n.saturating_add(u.cache_write_1h.unwrap_or(0)));
        }
    }
    u
}

/// What event and span say about their call beyond tokens: model, session, identity.
fn call(mut o: Observation, attrs: &[KeyValue<'_>], record: &Record<'_, '_>) -> Observation {
    let own = |k| lookup(attrs, k).and_then(|v| v.render()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    o.model = own("model").or_else(|| own("gen_ai.response.model")).or_else(|| own("gen_ai.request.model"));
    o.provider = Some(PROVIDER.into());
    o.session = record.text("session.id");
    let session = o.session.clone().unwrap_or_default();
    for id in [own("request_id"), own("gen_ai.response.id")].into_iter().flatten() {
        let key = CallKey::Request(session.clone(), id);
        if !o.keys.contains(&key) {
            o.keys.push(key);
        }
    }
    o
}

/// The event's name without the `claude_code.` prefix, from the body, the OTLP
/// `event_name` field or the `event.name` attribute (which drops the prefix).
fn event_name(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Option<String> {
    let body = log.body.and_then(|b| b.get().as_str().map(str::to_owned));
    for name in [body, Some(log.event_name.to_string())].into_iter().flatten() {
        if let Some(short) = name.trim().strip_prefix(PREFIX) {
            return Some(short.to_string());
        }
    }
    let attr = lookup(&log.attributes, "event.name").and_then(|v| v.as_str().map(str::trim).map(str::to_owned))?;
    match attr.strip_prefix(PREFIX) {
        Some(short) => Some(short.to_string()),
        None if is_claude_code(record) => Some(attr),
        None => None,
    }
}

/// `api_request` is the per-call record, with the cost Claude Code computed.
fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if record.scope == TRANSCRIPT && is_claude_code(record) {
        return transcript(log, record);
    }
    let Some(name) = event_name(log, record) else {
        return if is_claude_code(record) { Claim::Mine(None) } else { Claim::NotMine };
    };
    if name != "api_request" {
        return Claim::Mine(None);
    }
    let time = if log.time_unix_nano != 0 { log.time_unix_nano } else { log.observed_time_unix_nano };
    let tokens = usage(&log.attributes).buckets(InputCache::Excludes);
    let o = record.observation(Emitter::ClaudeCode, Signal::Logs, Role::ModelCall, time, tokens);
    // No span key: the event's span is the interaction, which holds several requests.
    let mut o = call(o, &log.attributes, record);
    o.reported_cost = reported_cost(&log.attributes);
    Claim::Mine(Some(o))
}

/// A transcript line: an `assistant` line is (a content block of) one call.
fn transcript(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    let usage = RawUsage::read(&log.attributes, TRANSCRIPT_USAGE);
    if record.text("type").as_deref() != Some("assistant") || !usage.is_present() {
        return Claim::Mine(None);
    }
    let tokens = usage.buckets(InputCache::Excludes);
    let mut o = record.observation(Emitter::ClaudeCode, Signal::Logs, Role::ModelCall, log.time_unix_nano, tokens);
    o.model = record.text("message.model");
    o.provider = Some(PROVIDER.into());
    o.session = record.text("sessionId");
    let session = o.session.clone().unwrap_or_default();
    let (request, message) = (record.text("requestId"), record.text("message.id"));
    // The lines of one call's content blocks repeat its request and message ids: within a
    // session, the very same call (a strong identity, unlike an id a server may reuse).
    if request.is_some() || message.is_some() {
        let both = format!("{session}\0{}\0{}", request.as_deref().unwrap_or(""), message.as_deref().unwrap_or(""));
        o.keys.push(CallKey::Event([0; 16], both));
    }
    // The api_request event names the call by its request id; a line without one, by its message id.
    if let Some(id) = request.or(message) {
        o.keys.push(CallKey::Request(session, id));
    }
    Claim::Mine(Some(o))
}

/// `cost_usd` as sent (exact decimal text or a double), else `cost_usd_micros`.
fn reported_cost(attrs: &[KeyValue<'_>]) -> Option<Decimal> {
    let usd = lookup(attrs, "cost_usd").and_then(|v| v.as_cost(1));
    usd.or_else(|| lookup(attrs, "cost_usd_micros").and_then(|v| v.as_cost(1_000_000)))
}

/// `claude_code.llm_request` is one call; every other Claude Code span carries none.
fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !span.name.starts_with(PREFIX) && !is_claude_code(record) {
        return Claim::NotMine;
    }
    if span.name != "claude_code.llm_request" {
        return Claim::Mine(None);
    }
    let time = if span.end_time_unix_nano != 0 { span.end_time_unix_nano } else { span.start_time_unix_nano };
    let tokens = usage(&span.attributes).buckets(InputCache::Excludes);
    let mut o = record.observation(Emitter::ClaudeCode, Signal::Traces, Role::ModelCall, time, tokens);
    if span.span_id != [0; 8] {
        o.keys.push(CallKey::Span(span.trace_id, span.span_id));
        o.span = Some((span.trace_id, span.span_id));
    }
    Claim::Mine(Some(call(o, &span.attributes, record)))
}

/// The token counter (split by `type`) and the cost counter: points of one group and
/// time join into one observation. Other `claude_code.*` metrics carry no usage.
fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if !metric.name.starts_with(PREFIX) {
        return false;
    }
    let name = &*metric.name;
    if name != "claude_code.token.usage" && name != "claude_code.cost.usage" {
        return true;
    }
    let Some(sum) = metric.sum.as_ref() else { return true };
    // Unspecified temporality is not valid OTLP; Claude Code's default is delta.
    let cumulative = is_cumulative(sum.aggregation_temporality).unwrap_or(false);
    for p in &sum.data_points {
        let Some(value) = number_value(p) else { continue };
        let measure = if name == "claude_code.cost.usage" {
            Measure::CostUsd
        } else {
            let token_type = lookup(&p.attributes, "type").and_then(|v| v.render());
            match token_type.as_deref() {
                Some("input") => Measure::Tokens(UsageField::Input),
                Some("output") => Measure::Tokens(UsageField::Output),
                Some("cacheRead") => Measure::Tokens(UsageField::CacheRead),
                Some("cacheCreation") => Measure::Tokens(UsageField::CacheWrite),
                _ => continue,
            }
        };
        let mut point = record.metric_point(
            Emitter::ClaudeCode,
            name,
            &p.attributes,
            Some("type"),
            cumulative,
            &value,
            measure,
            InputCache::Excludes,
        );
        let point_record = Record { attrs: &p.attributes, ..*record };
        point.model = point_record.text("model");
        point.provider = Some(PROVIDER.into());
        point.session = point_record.text("session.id");
        out.push(point);
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::extract::{extract, Config, Extracted};
    use crate::model::{Location, Position};
    use rust_decimal::Decimal;

    fn logs(records: &str) -> Extracted {
        let line = format!(
            r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"claude-code"}}}}]}},"scopeLogs":[{{"scope":{{"name":"com.anthropic.claude_code.events"}},"logRecords":[{records}]}}]}}]}}"#
        );
        let request = crate::decode::json(line.as_bytes()).unwrap().unwrap();
        let mut out = Extracted::default();
        extract(&request, &Location { file: "t".into(), at: Position::Whole }, None, &Config::default(), &mut out);
        out
    }

    #[test]
    fn string_numbers_prefixless_names_and_exact_cost() {
        // Before v2.1.122 every number was a string; `event.name` drops the prefix.
        let out = logs(
            r#"{"timeUnixNano":"5","attributes":[{"key":"event.name","value":{"stringValue":"api_request"}},
            {"key":"model","value":{"stringValue":"claude-sonnet-4-5"}},{"key":"input_tokens","value":{"stringValue":"10"}},
            {"key":"output_tokens","value":{"intValue":"7"}},{"key":"cache_read_tokens","value":{"doubleValue":100}},
            {"key":"cache_creation_tokens","value":{"stringValue":"40"}},{"key":"cache_creation_1h_tokens","value":{"stringValue":"30"}},
            {"key":"cost_usd","value":{"stringValue":"0.018515250000000001"}},{"key":"request_id","value":{"stringValue":"req_1"}}]}"#,
        );
        let o = &out.observations[0];
        let t = o.tokens;
        assert_eq!((t.input, t.cache_read, t.cache_write_5m, t.cache_write_1h, t.output), (10, 100, 10, 30, 7));
        assert_eq!(o.reported_cost, Some("0.018515250000000001".parse::<Decimal>().unwrap()));
        assert_eq!(o.keys.len(), 1);
    }

    #[test]
    fn malformed_values_and_lookalike_usage_are_not_counted() {
        // Desktop's `{"doubleValue": {}}` bug; subagent totals and compaction sizes are not usage.
        let out = logs(
            r#"{"body":{"stringValue":"claude_code.api_request"},"attributes":[{"key":"input_tokens","value":{"doubleValue":{}}},
            {"key":"output_tokens","value":{"intValue":"3"}},{"key":"cost_usd_micros","value":{"intValue":"18339"}}]},
            {"body":{"stringValue":"claude_code.subagent_completed"},"attributes":[{"key":"total_tokens","value":{"intValue":"99999"}},
            {"key":"input_tokens","value":{"intValue":"99999"}}]},
            {"attributes":[{"key":"event.name","value":{"stringValue":"compaction"}},{"key":"pre_tokens","value":{"intValue":"5000"}}]}"#,
        );
        assert_eq!(out.observations.len(), 1);
        let o = &out.observations[0];
        assert_eq!((o.tokens.input, o.tokens.output), (0, 3));
        assert_eq!(o.reported_cost, Some(Decimal::new(18339, 6)));
        assert_eq!(out.tally.claimed.get(&crate::model::Emitter::ClaudeCode), Some(&3));
    }
}

//! Gemini CLI (`@google/gemini-cli`): the `gemini_cli.api_response` log event, the
//! `llm_call` span and the `gemini_cli.token.usage` counter (scope and service
//! `gemini-cli`).
//!
//! One call is seen up to four times: the `api_response` event (the whole usage), the
//! `gen_ai.client.inference.operation.details` event the CLI sends for the same call
//! (input and output only), the `llm_call` span when traces are on (input and output
//! only), and the counters. The event is the record counted; the details event is never
//! counted (the same logger always sends `api_response` beside it); the span is counted
//! only when its event is missing (traces read alone), and then lacks the cache and
//! thoughts split. Event and span share no id: what both carry is the prompt and
//! candidates counts, milliseconds apart (`CallKey::UsageAt`).
//!
//! Counts are Gemini's: `input_token_count` includes `cached_content_token_count`,
//! `output_token_count` excludes `thoughts_token_count`, and `tool_token_count` (the
//! tool-use prompt) is input on top of both. Qwen Code, a fork, writes the same event
//! (see [`api_response_usage`]).
//!
//! Its chat recording (`~/.gemini/tmp/<project>/chats/*.jsonl`, see decode's agent files)
//! states each call again, without telemetry: a `gemini` message's `tokens` (`input`,
//! `output`, `cached`, `thoughts`, `tool`, `total`, counted as the event's), a few
//! milliseconds from its `api_response` event, so the two share `CallKey::UsageAt`; a
//! message is written again whenever it changes (its tool calls added): its `id` counts it
//! once.

use super::metric::{is_cumulative, number_value, Measure, MetricPoint, UsageField};
use super::semconv::fields;
use super::usage::{InputCache, RawUsage};
use super::{lookup, Claim, Module, Record};
use crate::decode::{KeyValue, LogRecord, Metric, Span};
use crate::model::{CallKey, Emitter, Observation, Role, Signal, TokenBuckets};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::GeminiCli,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: Some(log),
    metric: Some(metric),
    by_process: true,
    losses: None,
};

const SERVICE: &str = "gemini-cli";
const PREFIX: &str = "gemini_cli.";
const PROVIDER: &str = "google";

fn is_gemini_cli(record: &Record<'_, '_>) -> bool {
    record.scope == SERVICE || record.resource.service.as_deref() == Some(SERVICE)
}

fn owns_scope(record: &Record<'_, '_>) -> bool {
    is_gemini_cli(record)
}

fn count(attrs: &[KeyValue<'_>], key: &str) -> Option<u64> {
    lookup(attrs, key).and_then(|v| v.as_count())
}

/// The usage of an `api_response` event (Gemini CLI's or Qwen Code's), in exclusive
/// buckets, and the prompt and candidates counts as sent (what the call's span repeats).
/// Thoughts are outside the output count when the total says so (Gemini:
/// total = input + output + thoughts + tool), inside it when the total is input + output
/// (Qwen Code with an OpenAI-compatible backend); without a total, Gemini's rule.
/// Without a `tool_token_count` (Qwen Code never writes one), the tool-use prompt is what
/// a Gemini-style total holds beyond input, output and thoughts.
pub(crate) fn api_response_usage(attrs: &[KeyValue<'_>]) -> Option<(TokenBuckets, (u64, u64))> {
    usage_of(attrs, &EVENT_COUNTS)
}

/// Where a record states Gemini's counts (Qwen Code's files too).
pub(crate) struct CountKeys {
    pub input: &'static str,
    pub output: &'static str,
    pub thoughts: &'static str,
    pub total: &'static str,
    pub tool: &'static str,
    pub cached: &'static str,
}

const EVENT_COUNTS: CountKeys = CountKeys {
    input: "input_token_count",
    output: "output_token_count",
    thoughts: "thoughts_token_count",
    total: "total_token_count",
    tool: "tool_token_count",
    cached: "cached_content_token_count",
};

const CHAT_COUNTS: CountKeys = CountKeys {
    input: "tokens.input",
    output: "tokens.output",
    thoughts: "tokens.thoughts",
    total: "tokens.total",
    tool: "tokens.tool",
    cached: "tokens.cached",
};

/// See [`api_response_usage`].
pub(crate) fn usage_of(attrs: &[KeyValue<'_>], keys: &CountKeys) -> Option<(TokenBuckets, (u64, u64))> {
    let input = count(attrs, keys.input);
    let output = count(attrs, keys.output);
    if input.is_none() && output.is_none() {
        return None;
    }
    let (input, output) = (input.unwrap_or(0), output.unwrap_or(0));
    let thoughts = count(attrs, keys.thoughts).unwrap_or(0);
    let total = count(attrs, keys.total);
    let stated_tool = count(attrs, keys.tool);
    let thoughts_inside = total == Some(input.saturating_add(output).saturating_add(stated_tool.unwrap_or(0)));
    let tool = match (stated_tool, total) {
        (Some(tool), _) => tool,
        (None, Some(total)) if !thoughts_inside => {
            total.saturating_sub(input.saturating_add(output).saturating_add(thoughts))
        }
        _ => 0,
    };
    let usage = RawUsage {
        input: Some(input.saturating_add(tool)),
        cache_read: count(attrs, keys.cached),
        output: Some(if thoughts_inside { output } else { output.saturating_add(thoughts) }),
        reasoning: Some(thoughts),
        ..Default::default()
    };
    Some((usage.buckets(InputCache::Includes), (input, output)))
}

/// The key an event and the call's span share: the prompt and candidates counts at
/// nearly the same time.
pub(crate) fn call_keys(time_ns: u64, (input, output): (u64, u64)) -> [CallKey; 2] {
    CallKey::usage_at(time_ns, &TokenBuckets { input, output, ..Default::default() })
}

pub(crate) fn event_name(log: &LogRecord<'_>) -> Option<String> {
    let attr = lookup(&log.attributes, "event.name").and_then(|v| v.as_str().map(str::to_owned));
    attr.or_else(|| (!log.event_name.is_empty()).then(|| log.event_name.to_string()))
}

fn model(attrs: &[KeyValue<'_>]) -> Option<String> {
    lookup(attrs, "model").and_then(|v| v.as_str().map(str::trim).map(str::to_owned)).filter(|m| !m.is_empty())
}

fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if record.is_agent_file("gemini_cli.chat", SERVICE) {
        return chat_message(log, record);
    }
    let name = event_name(log);
    if !is_gemini_cli(record) && !name.as_deref().is_some_and(|n| n.starts_with(PREFIX)) {
        return Claim::NotMine;
    }
    if name.as_deref() != Some("gemini_cli.api_response") {
        // Other events carry no usage, and the details event repeats `api_response`'s.
        return Claim::Mine(None);
    }
    let Some((tokens, sent)) = api_response_usage(&log.attributes) else { return Claim::Mine(None) };
    let time = if log.time_unix_nano != 0 { log.time_unix_nano } else { log.observed_time_unix_nano };
    Claim::Mine(Some(event_observation(
        Emitter::GeminiCli,
        record,
        &log.attributes,
        time,
        tokens,
        sent,
        Some(PROVIDER),
    )))
}

/// A line of the chat recording: a `gemini` message with `tokens` is one call.
fn chat_message(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if log.event_name != "gemini" {
        return Claim::Mine(None);
    }
    let Some((tokens, sent)) = usage_of(&log.attributes, &CHAT_COUNTS) else { return Claim::Mine(None) };
    let attrs = &log.attributes;
    let mut o = event_observation(Emitter::GeminiCli, record, attrs, log.time_unix_nano, tokens, sent, Some(PROVIDER));
    o.session = record.text("sessionId");
    if let Some(id) = record.text("id") {
        o.keys.push(CallKey::Request(o.session.clone().unwrap_or_default(), id));
    }
    Claim::Mine(Some(o))
}

/// An `api_response` event's observation (Gemini CLI's or Qwen Code's).
pub(crate) fn event_observation(
    emitter: Emitter,
    record: &Record<'_, '_>,
    attrs: &[KeyValue<'_>],
    time: u64,
    tokens: TokenBuckets,
    sent: (u64, u64),
    provider: Option<&str>,
) -> Observation {
    let mut o = record.observation(emitter, Signal::Logs, Role::ModelCall, time, tokens);
    o.model = model(attrs);
    o.provider = provider.map(str::to_owned);
    o.session = record.text("session.id");
    o.keys.extend(call_keys(time, sent));
    o
}

/// `llm_call` is one call; the CLI's other spans (agent, tool, prompt) carry none.
fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !is_gemini_cli(record) {
        return Claim::NotMine;
    }
    let f = fields(&span.attributes);
    if span.name != "llm_call" || !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let sent = (f.usage.input.unwrap_or(0), f.usage.output.unwrap_or(0));
    let mut o = f.span_observation(Emitter::GeminiCli, span, Role::ModelCall, record, InputCache::Includes);
    o.provider = Some(PROVIDER.into());
    o.session = record.text("gen_ai.conversation.id").or_else(|| record.text("session.id"));
    o.keys.extend(call_keys(o.time_ns, sent));
    o.partial = true;
    Claim::Mine(Some(o))
}

/// `gemini_cli.token.usage` (a counter split by `type`); the CLI's
/// `gen_ai.client.token.usage` histogram repeats its input and output and is not read.
fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if !metric.name.starts_with(PREFIX) && !is_gemini_cli(record) {
        return false;
    }
    if metric.name == "gemini_cli.token.usage" {
        token_counter(metric, record, Emitter::GeminiCli, Some(PROVIDER), |_| true, out);
    }
    true
}

/// A `<cli>.token.usage` counter of Gemini CLI or Qwen Code: `input` includes `cache`,
/// `tool` is input on top; `thought` is reasoning, and output on top of `output` when
/// `thoughts_outside` says so of the point's model (Gemini's counts; Qwen Code's depend
/// on the backend, which the counter does not say).
pub(crate) fn token_counter(
    metric: &Metric<'_>,
    record: &Record<'_, '_>,
    emitter: Emitter,
    provider: Option<&str>,
    thoughts_outside: fn(model: Option<&str>) -> bool,
    out: &mut Vec<MetricPoint>,
) {
    let Some(sum) = metric.sum.as_ref() else { return };
    let cumulative = is_cumulative(sum.aggregation_temporality).unwrap_or(true);
    for p in &sum.data_points {
        let Some(value) = number_value(p) else { continue };
        let point_record = Record { attrs: &p.attributes, ..*record };
        let model = point_record.text("model");
        let fields: &[UsageField] = match lookup(&p.attributes, "type").and_then(|v| v.render()).as_deref() {
            Some("input" | "tool") => &[UsageField::Input],
            Some("output") => &[UsageField::Output],
            Some("cache") => &[UsageField::CacheRead],
            Some("thought") if thoughts_outside(model.as_deref()) => &[UsageField::Output, UsageField::Reasoning],
            Some("thought") => &[UsageField::Reasoning],
            _ => continue,
        };
        for field in fields {
            let mut point = record.metric_point(
                emitter,
                &metric.name,
                &p.attributes,
                Some("type"),
                cumulative,
                &value,
                Measure::Tokens(*field),
                InputCache::Includes,
            );
            point.model = model.clone();
            point.provider = provider.map(str::to_owned);
            point.session = point_record.text("session.id");
            out.push(point);
        }
    }
}

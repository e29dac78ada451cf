//! Qwen Code (`@qwen-code/qwen-code`, a Gemini CLI fork): the `qwen-code.api_response`
//! log event, the `qwen-code.llm_request` span and the `qwen-code.token.usage` counter
//! (scope and service `qwen-code`).
//!
//! The event is Gemini CLI's (see `gemini_cli`), without `tool_token_count`; whether its
//! thoughts are inside the output count depends on the backend (an OpenAI-compatible or
//! Anthropic one puts reasoning inside, native Gemini outside, with Gemini's tool-use
//! prompt too), which its `total_token_count` tells.
//! The span always comes with it and names the response id the event also carries. The
//! event is kept over it (the span has no total), except when the span states the cache
//! writes (Anthropic backends), which the event leaves inside its input count. Span and
//! counter say nothing of the tool-use prompt: read alone, they lack it. Over OTLP/HTTP,
//! Qwen Code also exports every log event as a span named after the event (its
//! log-to-span bridge): those spans repeat the events and are never counted. Subagent
//! calls are ordinary calls.
//!
//! Its own files (see decode's agent files) state each call again with the same counts:
//! a chat recording's model turn (`usageMetadata`, Gemini's names; a subagent's turn
//! names no model) and a line of its usage ledger (`inputTokens`, `outputTokens`,
//! `cachedTokens`, `thoughtsTokens`, `totalTokens`), milliseconds from the call's event,
//! so they share its `CallKey::UsageAt` keys.

use super::gemini_cli::{
    api_response_usage, call_keys, event_name, event_observation, token_counter, usage_of, CountKeys,
};
use super::metric::MetricPoint;
use super::semconv::{fields_with, fill, text};
use super::usage::InputCache;
use super::{lookup, Claim, Module, Record};
use crate::decode::{LogRecord, Metric, Span};
use crate::model::{CallKey, Emitter, Role};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::QwenCode,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: Some(log),
    metric: Some(metric),
    by_process: true,
    losses: None,
};

const SERVICE: &str = "qwen-code";
const PREFIX: &str = "qwen-code.";

fn is_qwen_code(record: &Record<'_, '_>) -> bool {
    record.scope == SERVICE || record.resource.service.as_deref() == Some(SERVICE)
}

fn owns_scope(record: &Record<'_, '_>) -> bool {
    is_qwen_code(record)
}

/// Google's Gemini APIs (`gcp.gemini`, `gcp.vertex_ai`, `gcp.gen_ai`), whose counts Qwen
/// Code passes on as they are: thoughts on top of the output count.
fn is_gemini_provider(provider: &str) -> bool {
    provider.starts_with("gcp.")
}

/// The counter names no provider, only the model: Gemini's own models are read with
/// Gemini's counts (thoughts on top of output), every other model with reasoning inside.
fn is_gemini_model(model: Option<&str>) -> bool {
    model.is_some_and(|m| m.starts_with("gemini-"))
}

/// The response id within the session: the event's `response_id`, the span's
/// `gen_ai.response.id`.
fn response_key(session: &Option<String>, id: Option<String>) -> Option<CallKey> {
    Some(CallKey::Request(session.clone().unwrap_or_default(), id?))
}

const CHAT_COUNTS: CountKeys = CountKeys {
    input: "usageMetadata.promptTokenCount",
    output: "usageMetadata.candidatesTokenCount",
    thoughts: "usageMetadata.thoughtsTokenCount",
    total: "usageMetadata.totalTokenCount",
    tool: "usageMetadata.toolUsePromptTokenCount",
    cached: "usageMetadata.cachedContentTokenCount",
};

const LEDGER_COUNTS: CountKeys = CountKeys {
    input: "inputTokens",
    output: "outputTokens",
    thoughts: "thoughtsTokens",
    total: "totalTokens",
    tool: "toolTokens",
    cached: "cachedTokens",
};

/// A call in Qwen Code's chat recording or usage ledger.
fn own_file(log: &LogRecord<'_>, record: &Record<'_, '_>, counts: &CountKeys) -> Claim {
    let Some((tokens, sent)) = usage_of(&log.attributes, counts) else { return Claim::Mine(None) };
    let mut o = event_observation(Emitter::QwenCode, record, &log.attributes, log.time_unix_nano, tokens, sent, None);
    o.session = record.text("sessionId");
    Claim::Mine(Some(o))
}

fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if record.is_agent_file("qwen_code.chat", SERVICE) {
        return own_file(log, record, &CHAT_COUNTS);
    }
    if record.is_agent_file("qwen_code.usage", SERVICE) {
        return own_file(log, record, &LEDGER_COUNTS);
    }
    let name = event_name(log);
    if !is_qwen_code(record) && !name.as_deref().is_some_and(|n| n.starts_with(PREFIX)) {
        return Claim::NotMine;
    }
    if name.as_deref() != Some("qwen-code.api_response") {
        return Claim::Mine(None);
    }
    let Some((tokens, sent)) = api_response_usage(&log.attributes) else { return Claim::Mine(None) };
    let time = if log.time_unix_nano != 0 { log.time_unix_nano } else { log.observed_time_unix_nano };
    let mut o = event_observation(Emitter::QwenCode, record, &log.attributes, time, tokens, sent, None);
    let id = lookup(&log.attributes, "response_id").and_then(|v| v.as_str().map(str::to_owned));
    o.keys.extend(response_key(&o.session, id));
    Claim::Mine(Some(o))
}

/// `qwen-code.llm_request` is one call; every other span (the interaction, subagents, the
/// bridged log events) is not.
fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !is_qwen_code(record) && !span.name.starts_with(PREFIX) {
        return Claim::NotMine;
    }
    if span.name != "qwen-code.llm_request" {
        return Claim::Mine(None);
    }
    let mut f = fields_with(&span.attributes, |f, key, value| {
        if key == "thoughts_token_count" {
            fill(&mut f.usage.reasoning, value);
            return true;
        }
        false
    });
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let sent = (f.usage.input.unwrap_or(0), f.usage.output.unwrap_or(0));
    // Input counts cache reads and writes (Qwen normalises every backend to Gemini's
    // prompt count). Thoughts are inside output, except with a Gemini provider (and
    // whenever larger than output: they can only be outside it).
    if f.provider().as_deref().is_some_and(is_gemini_provider) {
        f.usage.output = Some(sent.1.saturating_add(f.usage.reasoning.unwrap_or(0)));
    }
    let mut o = f.span_observation(Emitter::QwenCode, span, Role::ModelCall, record, InputCache::Includes);
    o.session = record.text("session.id").or(o.session);
    o.keys.extend(call_keys(o.time_ns, sent));
    o.keys.extend(response_key(&o.session, text(&f.response_id)));
    // The event's total also tells Gemini's tool-use prompt; only the span tells the
    // cache writes.
    o.partial = f.usage.cache_write.is_none();
    Claim::Mine(Some(o))
}

fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if !metric.name.starts_with(PREFIX) && !is_qwen_code(record) {
        return false;
    }
    if metric.name == "qwen-code.token.usage" {
        token_counter(metric, record, Emitter::QwenCode, None, is_gemini_model, out);
    }
    true
}

//! LiteLLM's `otel` callback: spans of scope `litellm`, metrics of scope
//! `litellm.integrations.opentelemetry`.
//!
//! The `litellm_request` span (or the proxy's request span) carries `gen_ai.usage.*` with
//! input INCLUDING cache tokens (LiteLLM's OpenAI-style `prompt_tokens`), and its own cost
//! in `gen_ai.cost.total_cost`. In the default mode the cache and reasoning counts are
//! only inside `metadata.usage_object`, a Python repr (not JSON). The child
//! `raw_gen_ai_request` repeats the provider's raw response: not a call. Duplicate
//! request spans (litellm#31121) share `litellm.call_id`. Streamed calls report the
//! request model as `gen_ai.response.model`.

use super::semconv::{self, fields_with};
use super::usage::{InputCache, RawUsage};
use super::{Claim, MetricPoint, Module, Record};
use crate::decode::{Metric, Span};
use crate::model::{CallKey, Emitter, Role};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::LiteLlm,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: None,
    metric: Some(metric),
    by_process: false,
    losses: None,
};

fn owns_scope(record: &Record<'_, '_>) -> bool {
    record.scope == "litellm"
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !owns_scope(record) {
        return Claim::NotMine;
    }
    if span.name == "raw_gen_ai_request" {
        return Claim::Mine(None);
    }
    let mut usage_object = None;
    let mut cost = None;
    let mut call_id = None;
    let mut f = fields_with(&span.attributes, |_, key, value| {
        match key {
            "metadata.usage_object" => usage_object = value.as_str().map(usage_from_repr),
            "gen_ai.cost.total_cost" => cost = value.as_cost(1),
            "litellm.call_id" => call_id = value.render(),
            _ => return false,
        }
        true
    });
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    // Numeric attributes (the `gen_ai_latest_experimental` mode) first, the repr after.
    if let Some(u) = usage_object {
        f.usage.cache_read = f.usage.cache_read.or(u.cache_read);
        f.usage.cache_write = f.usage.cache_write.or(u.cache_write);
        f.usage.cache_write_1h = f.usage.cache_write_1h.or(u.cache_write_1h);
        f.usage.reasoning = f.usage.reasoning.or(u.reasoning);
    }
    // LiteLLM's spans are one call each whatever the operation (embeddings say `chat`).
    let mut o = f.span_observation(Emitter::LiteLlm, span, Role::ModelCall, record, InputCache::Includes);
    // LiteLLM's own id of the call (not a server's, which may be reused): the duplicate
    // request spans of one call share it, a strong identity within the trace.
    if let Some(id) = call_id.filter(|id| !id.is_empty()) {
        o.keys.push(CallKey::Event(span.trace_id, id));
    }
    o.reported_cost = cost;
    Claim::Mine(Some(o))
}

/// `gen_ai.client.token.usage` (input incl. cache, no cache type) and LiteLLM's cost
/// histogram (`gen_ai.client.token.cost`; `gen_ai.usage.cost` in the capture). The
/// `hidden_params` attribute makes nearly every request its own cumulative series.
fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    if !record.scope.starts_with("litellm") {
        return false;
    }
    match &*metric.name {
        semconv::TOKEN_USAGE => semconv::token_usage(metric, record, Emitter::LiteLlm, out),
        "gen_ai.client.token.cost" | "gen_ai.usage.cost" => {
            semconv::cost_histogram(metric, record, Emitter::LiteLlm, out)
        }
        _ => false,
    }
}

/// The cache and reasoning counts in a usage object's text, whether Python repr
/// (`{'cached_tokens': 1408}`), JSON or a pydantic repr (`cached_tokens=1408`).
fn usage_from_repr(s: &str) -> RawUsage {
    let int = |key: &str| integer_after_key(s, key);
    RawUsage {
        // Anthropic's names first; OpenAI's details carry the same reads.
        cache_read: int("cache_read_input_tokens").or_else(|| int("cached_tokens")),
        cache_write: int("cache_creation_input_tokens")
            .or_else(|| int("cache_creation_tokens"))
            .or_else(|| int("cache_write_tokens")),
        cache_write_1h: int("ephemeral_1h_input_tokens"),
        reasoning: int("reasoning_tokens"),
        ..RawUsage::default()
    }
}

/// The first integer value of `key` in a Python/JSON-ish dump; `None` when the key is
/// absent or its value is not an integer (`None`, a dict).
fn integer_after_key(s: &str, key: &str) -> Option<u64> {
    let mut rest = s;
    while let Some(at) = rest.find(key) {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + key.len()..];
        rest = after;
        // A whole key: quoted, or a keyword argument.
        let quoted = matches!(before, Some('\'' | '"')) && after.starts_with(['\'', '"']);
        let keyword = !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after.starts_with('=');
        let value = if quoted {
            after[1..].trim_start().strip_prefix(':')
        } else if keyword {
            after.strip_prefix('=')
        } else {
            continue;
        };
        let Some(value) = value.map(str::trim_start) else { continue };
        let digits: &str = &value[..value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len())];
        return digits.parse().ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_python_repr_json_and_keyword_forms() {
        let repr = "{'completion_tokens': 26, 'completion_tokens_details': {'reasoning_tokens': 0}, \
                    'prompt_tokens_details': {'cache_write_tokens': None, 'cached_tokens': 1536, \
                    'cache_creation_tokens': 0}, 'cache_creation_input_tokens': 0, 'cache_read_input_tokens': 1536}";
        let u = usage_from_repr(repr);
        assert_eq!((u.cache_read, u.cache_write, u.reasoning), (Some(1536), Some(0), Some(0)));
        let json = r#"{"prompt_tokens_details": {"cached_tokens": 1408}, "completion_tokens_details": {"reasoning_tokens": 320}}"#;
        let u = usage_from_repr(json);
        assert_eq!((u.cache_read, u.cache_write, u.reasoning), (Some(1408), None, Some(320)));
        let kw = "Usage(completion_tokens=5, prompt_tokens_details=PromptTokensDetails(cached_tokens=7))";
        assert_eq!(usage_from_repr(kw).cache_read, Some(7));
    }

    #[test]
    fn none_values_and_partial_keys_are_not_counts() {
        assert_eq!(integer_after_key("{'cached_tokens': None}", "cached_tokens"), None);
        // `xcached_tokens` is another key; the real one follows.
        assert_eq!(integer_after_key("{'xcached_tokens': 5, 'cached_tokens': 9}", "cached_tokens"), Some(9));
        assert_eq!(integer_after_key("{'cached_tokens': ", "cached_tokens"), None);
        assert_eq!(integer_after_key("{'cached_tokens': 99999999999999999999999}", "cached_tokens"), None);
        assert_eq!(usage_from_repr("not a usage object"), RawUsage::default());
    }
}

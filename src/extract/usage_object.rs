//! A provider's usage object written as JSON text into one attribute (MLflow's
//! `mlflow.chat.tokenUsage`, Langfuse's `usage_details`, Logfire's `gen_ai.usage.raw`):
//! the shapes OpenAI, Anthropic and Langfuse give it, read with their meaning.
//!
//! Counts are read as JSON integers only: a negative, fractional or quoted count makes the
//! whole object unreadable (`None`), so the record is left to the unread-usage check
//! rather than counted with part of its usage.

use super::usage::{InputCache, RawUsage};
use crate::decode::{Double, Value};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Every name the three shapes use; absent and `null` counts are `None`.
#[derive(Debug, Default, Deserialize)]
struct Object {
    // OpenAI chat completions: prompt includes cached, completion includes reasoning.
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<Details>,
    completion_tokens_details: Option<Details>,
    // Anthropic (input excludes cache) and OpenAI responses (input includes cached).
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    input_tokens_details: Option<Details>,
    output_tokens_details: Option<Details>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    // Langfuse's own names (its generations' `usage_details`).
    input: Option<u64>,
    output: Option<u64>,
    input_cached_tokens: Option<u64>,
    input_cache_read: Option<u64>,
    input_cache_creation: Option<u64>,
    output_reasoning_tokens: Option<u64>,
    output_reasoning: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct Details {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
}

/// The counts of a usage object and how its input relates to its cache counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UsageObject {
    pub usage: RawUsage,
    pub input_cache: InputCache,
}

/// Reads a usage object. `input_tokens` beside Anthropic's cache names is taken as
/// `anthropic_input` says: the API's own object excludes cache, but an emitter may have
/// added the cache in (MLflow does). `None` when the text is not such an object.
pub(crate) fn read(json: &str, anthropic_input: InputCache) -> Option<UsageObject> {
    let o: Object = serde_json::from_str(json).ok()?;
    let cached = |d: &Option<Details>| d.as_ref().and_then(|d| d.cached_tokens);
    let reasoning = |d: &Option<Details>| d.as_ref().and_then(|d| d.reasoning_tokens);
    let (usage, input_cache) = if o.prompt_tokens.is_some() || o.completion_tokens.is_some() {
        let usage = RawUsage {
            input: o.prompt_tokens,
            output: o.completion_tokens,
            cache_read: cached(&o.prompt_tokens_details),
            reasoning: reasoning(&o.completion_tokens_details),
            ..RawUsage::default()
        };
        (usage, InputCache::Includes)
    } else if o.input_tokens.is_some() || o.output_tokens.is_some() {
        let usage = RawUsage {
            input: o.input_tokens,
            output: o.output_tokens,
            cache_read: o.cache_read_input_tokens.or(cached(&o.input_tokens_details)),
            cache_write: o.cache_creation_input_tokens,
            reasoning: reasoning(&o.output_tokens_details),
            ..RawUsage::default()
        };
        // OpenAI's responses object states its cached part as a detail of input.
        let includes = o.input_tokens_details.is_some();
        (usage, if includes { InputCache::Includes } else { anthropic_input })
    } else if o.input.is_some() || o.output.is_some() {
        let usage = RawUsage {
            input: o.input,
            output: o.output,
            cache_read: o.input_cached_tokens.or(o.cache_read_input_tokens).or(o.input_cache_read),
            cache_write: o.cache_creation_input_tokens.or(o.input_cache_creation),
            reasoning: o.output_reasoning_tokens.or(o.output_reasoning),
            ..RawUsage::default()
        };
        // Langfuse leaves it to whoever fills the object: read from the numbers.
        (usage, InputCache::Infer)
    } else {
        return None;
    };
    Some(UsageObject { usage, input_cache })
}

/// The `total` of a cost object (`{"input": 0.0005, …, "total": 0.0055}`), else the sum of
/// its entries, as exact decimals from the JSON text; `None` when it has no usable cost.
pub(crate) fn cost_total(json: &str) -> Option<Decimal> {
    let entries: std::collections::BTreeMap<&str, &RawValue> = serde_json::from_str(json).ok()?;
    let cost = |raw: &RawValue| Value::Double(Double::Text(raw.get())).as_cost(1);
    match entries.get("total") {
        Some(total) => cost(total),
        None => entries.values().map(|raw| cost(raw)).sum(),
    }
}

/// A JSON-encoded string attribute (`"\"gpt-4.1\""`, as MLflow writes every value) as its
/// text; text that is not a JSON string is taken as it is.
pub(crate) fn json_text(s: &str) -> String {
    serde_json::from_str::<String>(s).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_as(json: &str) -> (RawUsage, InputCache) {
        let o = read(json, InputCache::Excludes).unwrap();
        (o.usage, o.input_cache)
    }

    #[test]
    fn openai_chat_usage_includes_cache_and_reasoning() {
        let (u, ic) = read_as(
            r#"{"completion_tokens": 362, "prompt_tokens": 1266, "completion_tokens_details":
            {"reasoning_tokens": 320, "audio_tokens": null}, "prompt_tokens_details": {"cached_tokens": 1152}}"#,
        );
        assert_eq!(
            (u.input, u.output, u.cache_read, u.reasoning, ic),
            (Some(1266), Some(362), Some(1152), Some(320), InputCache::Includes)
        );
        let b = u.buckets(ic);
        assert_eq!((b.input, b.cache_read, b.output, b.reasoning), (114, 1152, 362, 320));
    }

    #[test]
    fn anthropic_usage_as_the_emitter_says_and_responses_usage_includes() {
        let anthropic = r#"{"input_tokens": 171, "output_tokens": 47, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 1152}"#;
        let (u, ic) = read_as(anthropic);
        assert_eq!((u.input, u.cache_write, ic), (Some(171), Some(1152), InputCache::Excludes));
        assert_eq!(read(anthropic, InputCache::Includes).unwrap().input_cache, InputCache::Includes);
        let responses = r#"{"input_tokens": 99, "input_tokens_details": {"cached_tokens": 64}, "output_tokens": 30,
            "output_tokens_details": {"reasoning_tokens": 20}}"#;
        let (u, ic) = read_as(responses);
        assert_eq!((u.cache_read, u.reasoning, ic), (Some(64), Some(20), InputCache::Includes));
    }

    #[test]
    fn langfuse_names_and_what_is_not_a_usage_object() {
        let (u, ic) = read_as(r#"{"input": 182, "output": 52, "cache_read_input_tokens": 1152, "total": 1386}"#);
        assert_eq!((u.input, u.output, u.cache_read, ic), (Some(182), Some(52), Some(1152), InputCache::Infer));
        assert_eq!(
            read_as(r#"{"input": 5, "input_cached_tokens": 3, "output_reasoning_tokens": 2}"#).0.reasoning,
            Some(2)
        );
        for bad in [
            r#"{"prompt_tokens": -3}"#,
            r#"{"prompt_tokens": 1.5}"#,
            r#"{"input": "12"}"#,
            "[1, 2]",
            "{}",
            "<anthropic.Stream object>",
            r#"{"total_tokens": 5}"#,
        ] {
            assert_eq!(read(bad, InputCache::Excludes), None, "{bad}");
        }
    }

    #[test]
    fn costs_are_exact_and_total_wins() {
        let c = r#"{"input": 0.000513, "output": 0.000705, "cache_creation_input_tokens": 0.00432, "total": 0.005538}"#;
        assert_eq!(cost_total(c), Some(Decimal::new(5538, 6)));
        assert_eq!(cost_total(r#"{"input": 0.1, "output": 2e-1}"#), Some(Decimal::new(3, 1)));
        assert_eq!(cost_total(r#"{"total": -1}"#), None);
        assert_eq!(cost_total("not json"), None);
    }

    #[test]
    fn json_strings_are_unquoted() {
        assert_eq!(json_text("\"CHAT_MODEL\""), "CHAT_MODEL");
        assert_eq!(json_text("gpt-4.1"), "gpt-4.1");
    }
}

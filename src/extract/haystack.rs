//! Haystack's OpenTelemetry tracer (`opentelemetry-haystack`, scope `haystack`).
//!
//! Haystack writes no token attribute. With content tracing on
//! (`HAYSTACK_CONTENT_TRACING_ENABLED=true`) a component's inputs and outputs are JSON
//! strings, and a chat generator's output holds each reply's `meta`: the response model
//! and the provider's usage object. Without content tracing there is no usage at all.
//!
//! The model calls are the chat generator components (`haystack.component.run` whose
//! `haystack.component.type` is a `…ChatGenerator`: `haystack.component.output`) and an
//! Agent's LLM steps (`haystack.agent.step.llm`: `haystack.agent.step.llm.output`; an
//! Agent's generator gets no component span of its own). The same usage is repeated
//! around them and never counted there: in the pipeline's `output_data`, the Agent's
//! outputs (every assistant message again, plus a `token_usage` sum) and the next step's
//! input (the history).
//!
//! The usage object is OpenAI's: `prompt_tokens` includes the cached tokens, and
//! `completion_tokens` the reasoning. The request model and the provider are not traced:
//! the provider is read from the generator's type (`OpenAIChatGenerator`); an Agent's
//! step names none.

use super::semconv::Fields;
use super::usage::{InputCache, RawUsage};
use super::{lookup, Claim, Module, Record};
use crate::decode::Span;
use crate::model::{Emitter, Role};
use serde::Deserialize;

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Haystack,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: None,
    metric: None,
    by_process: false,
    losses: None,
};

const COMPONENT_TYPE: &str = "haystack.component.type";

fn owns_scope(record: &Record<'_, '_>) -> bool {
    record.scope == "haystack"
}

/// A chat generator's output: `{"replies": [ChatMessage…]}`.
#[derive(Deserialize)]
struct Output {
    replies: Vec<Reply>,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    meta: Meta,
}

#[derive(Default, Deserialize)]
struct Meta {
    model: Option<String>,
    usage: Option<Usage>,
}

/// OpenAI's usage object, as Haystack copies it into a reply's `meta`.
#[derive(Debug, Default, Deserialize, PartialEq)]
struct Usage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<PromptDetails>,
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
struct PromptDetails {
    cached_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
struct CompletionDetails {
    reasoning_tokens: Option<u64>,
}

/// The model and usage of a chat generator's output. With several choices (`n` > 1) every
/// reply carries the one usage of the whole call: the first reply with usage is the call.
fn reply_usage(json: &str) -> Option<(Option<String>, Usage)> {
    let output: Output = serde_json::from_str(json).ok()?;
    output.replies.into_iter().find_map(|r| Some((r.meta.model, r.meta.usage?)))
}

/// The provider a generator's type names (`OpenAIChatGenerator` → `openai`).
fn provider(component_type: &str) -> Option<&'static str> {
    component_type.starts_with("OpenAI").then_some("openai")
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !owns_scope(record) {
        return Claim::NotMine;
    }
    let component_type = lookup(&span.attributes, COMPONENT_TYPE).and_then(|v| v.render());
    let output_key = match &*span.name {
        "haystack.agent.step.llm" => "haystack.agent.step.llm.output",
        "haystack.component.run" if component_type.as_deref().is_some_and(|t| t.ends_with("ChatGenerator")) => {
            "haystack.component.output"
        }
        // Pipelines, Agents and other components only repeat their generators' usage.
        _ => return Claim::Mine(None),
    };
    let found = lookup(&span.attributes, output_key).and_then(|v| v.as_str().and_then(reply_usage));
    let Some((model, usage)) = found else { return Claim::Mine(None) };
    let f = Fields {
        usage: RawUsage {
            input: usage.prompt_tokens,
            output: usage.completion_tokens,
            cache_read: usage.prompt_tokens_details.and_then(|d| d.cached_tokens),
            reasoning: usage.completion_tokens_details.and_then(|d| d.reasoning_tokens),
            ..Default::default()
        },
        ..Default::default()
    };
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let mut o = f.span_observation(Emitter::Haystack, span, Role::ModelCall, record, InputCache::Includes);
    o.model = model.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
    o.provider = component_type.as_deref().and_then(provider).map(str::to_string);
    o.operation = Some("chat".into());
    Claim::Mine(Some(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reply_with_usage_is_the_call() {
        let json = r#"{"replies": [{"role": "assistant", "meta": {"model": "o4-mini-2025-04-16", "usage":
            {"completion_tokens": 251, "prompt_tokens": 76, "total_tokens": 327,
             "completion_tokens_details": {"reasoning_tokens": 224, "text_tokens": null},
             "prompt_tokens_details": {"cache_write_tokens": null, "cached_tokens": 0}}}},
            {"role": "assistant", "meta": {"model": "o4-mini-2025-04-16", "usage": {"prompt_tokens": 76}}}]}"#;
        let (model, usage) = reply_usage(json).unwrap();
        assert_eq!(model.as_deref(), Some("o4-mini-2025-04-16"));
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (Some(76), Some(251)));
        assert_eq!(usage.completion_tokens_details, Some(CompletionDetails { reasoning_tokens: Some(224) }));
    }

    #[test]
    fn a_stream_without_usage_and_other_outputs_have_none() {
        assert!(reply_usage(r#"{"replies": [{"meta": {"model": "gpt-4.1-mini", "usage": null}}]}"#).is_none());
        // A prompt builder's output, a text generator's replies (strings), not JSON.
        assert!(reply_usage(r#"{"prompt": [{"role": "system"}]}"#).is_none());
        assert!(reply_usage(r#"{"replies": ["text"], "meta": [{"usage": {"prompt_tokens": 3}}]}"#).is_none());
        assert!(reply_usage("<not serializable>").is_none());
    }

    #[test]
    fn only_openai_generators_name_their_provider() {
        assert_eq!(provider("OpenAIChatGenerator"), Some("openai"));
        assert_eq!(provider("HuggingFaceAPIChatGenerator"), None);
    }
}

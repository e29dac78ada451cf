//! Google ADK's own tracer (scope `gcp.vertex.agent`), ADK 1 and 2.
//!
//! One model call is a `generate_content <model>` span and, in the legacy telemetry schema
//! (ADK 1; ADK 2 with `ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1`), also the `call_llm` span
//! above it. Both carry its usage and share `gcp.vertex.agent.event_id`, so they are one
//! call, and `call_llm` is the record kept: ADK 1's `generate_content` lacks the thinking
//! and cache counts. Agent and workflow spans carry no usage.
//!
//! Traps:
//! - Gemini reports thinking (`thoughts_token_count`) apart from candidates; both bill as
//!   output. ADK 2 exports output = candidates + thoughts with `reasoning.output_tokens`
//!   = thoughts; ADK 1 exports candidates only, thoughts apart in
//!   `gen_ai.usage.experimental.reasoning_tokens` (`call_llm` only).
//! - Through `LiteLlm` (model ids like `openai/o4-mini`), candidates are LiteLLM's
//!   completion tokens, reasoning included, and thoughts its reasoning tokens: ADK 2's
//!   output counts reasoning twice.
//! - ADK 1 exports no cache count. `call_llm`'s `gcp.vertex.agent.llm_response` (content
//!   capture, on by default) holds the response's whole `usage_metadata`: read first.
//! - `gen_ai.system` is `gcp.vertex.agent` (the framework) on `call_llm`, and `gemini` on
//!   ADK 1's `generate_content` spans whatever the model: a LiteLLM id's prefix names the
//!   provider instead.

use super::semconv::fields_with;
use super::usage::{InputCache, RawUsage};
use super::{Claim, Module, Record};
use crate::decode::Span;
use crate::model::{CallKey, Emitter, Role};
use serde::Deserialize;

pub(super) const MODULE: Module = Module {
    emitter: Emitter::GoogleAdk,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: None,
    metric: None,
    by_process: false,
    losses: None,
};

/// What ADK writes where a provider belongs.
const FRAMEWORK: &str = "gcp.vertex.agent";

/// First segments of model ids that are not a LiteLLM provider prefix: resource paths
/// (`projects/…/models/…`, `tunedModels/…`), as ADK reads them, and Apigee's proxy,
/// which serves Gemini with Gemini's usage.
const NOT_LITELLM: &[&str] = &["endpoints", "locations", "models", "projects", "publishers", "tunedmodels", "apigee"];

fn owns_scope(record: &Record<'_, '_>) -> bool {
    record.scope == FRAMEWORK
}

/// A model response's usage, Gemini's way: prompt includes cached content, thoughts are
/// apart from candidates.
#[derive(Debug, Default, Deserialize, PartialEq)]
struct UsageMetadata {
    prompt_token_count: Option<u64>,
    tool_use_prompt_token_count: Option<u64>,
    cached_content_token_count: Option<u64>,
    candidates_token_count: Option<u64>,
    thoughts_token_count: Option<u64>,
}

#[derive(Deserialize)]
struct LlmResponse {
    usage_metadata: Option<UsageMetadata>,
}

fn usage_metadata(json: &str) -> Option<UsageMetadata> {
    serde_json::from_str::<LlmResponse>(json).ok()?.usage_metadata
}

/// The provider prefix of a LiteLLM model id (`openai/o4-mini` → `openai`).
fn litellm_provider(model: &str) -> Option<String> {
    let (prefix, rest) = model.split_once('/')?;
    let prefix = prefix.to_ascii_lowercase();
    (!prefix.is_empty() && !rest.is_empty() && !NOT_LITELLM.contains(&prefix.as_str())).then_some(prefix)
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !owns_scope(record) {
        return Claim::NotMine;
    }
    let (mut thoughts_apart, mut response, mut event_id) = (None, None, None);
    let mut f = fields_with(&span.attributes, |_, key, value| {
        match key {
            "gen_ai.usage.experimental.reasoning_tokens" => thoughts_apart = value.as_count(),
            "gcp.vertex.agent.llm_response" => response = value.as_str().and_then(usage_metadata),
            "gcp.vertex.agent.event_id" => event_id = value.render(),
            _ => return false,
        }
        true
    });
    if !f.usage.is_present() && response.is_none() {
        return Claim::Mine(None);
    }
    let usage = response.unwrap_or_else(|| {
        // ADK 1 states thoughts apart; ADK 2 inside output, as reasoning.
        let output = f.usage.output.unwrap_or(0);
        let (candidates, thoughts) = match thoughts_apart {
            Some(t) => (output, Some(t)),
            None => (output.saturating_sub(f.usage.reasoning.unwrap_or(0)), f.usage.reasoning),
        };
        UsageMetadata {
            prompt_token_count: f.usage.input,
            cached_content_token_count: f.usage.cache_read,
            candidates_token_count: Some(candidates),
            thoughts_token_count: thoughts,
            ..Default::default()
        }
    });
    let via_litellm = f.model().as_deref().and_then(litellm_provider);
    let candidates = usage.candidates_token_count.unwrap_or(0);
    f.usage = RawUsage {
        input: Some(usage.prompt_token_count.unwrap_or(0) + usage.tool_use_prompt_token_count.unwrap_or(0)),
        cache_read: usage.cached_content_token_count,
        // LiteLLM's candidates already hold the reasoning.
        output: Some(if via_litellm.is_some() {
            candidates
        } else {
            candidates + usage.thoughts_token_count.unwrap_or(0)
        }),
        reasoning: usage.thoughts_token_count,
        ..Default::default()
    };
    let role = if span.name == "call_llm" || f.is_model_call() { Role::ModelCall } else { Role::MaybeAggregate };
    let mut o = f.span_observation(Emitter::GoogleAdk, span, role, record, InputCache::Includes);
    o.provider = via_litellm.or(o.provider.filter(|p| p != FRAMEWORK));
    if let Some(id) = event_id {
        o.keys.push(CallKey::Event(span.trace_id, id));
    }
    // Where `call_llm` and its `generate_content` both exist, `call_llm` knows more.
    o.secondhand = span.name != "call_llm";
    Claim::Mine(Some(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn litellm_prefixes_are_providers_and_resource_paths_are_not() {
        assert_eq!(litellm_provider("openai/o4-mini").as_deref(), Some("openai"));
        assert_eq!(litellm_provider("Anthropic/claude-sonnet-4-5").as_deref(), Some("anthropic"));
        assert_eq!(litellm_provider("gemini-2.5-flash"), None);
        assert_eq!(litellm_provider("projects/p/locations/l/publishers/google/models/gemini-2.5-flash"), None);
        assert_eq!(litellm_provider("tunedModels/abc"), None);
        assert_eq!(litellm_provider("apigee/gemini-2.5-flash"), None);
    }

    #[test]
    fn the_response_json_gives_the_whole_usage() {
        let json = r#"{"model_version":"gemini-2.5-flash","content":{"parts":[{"text":"hi"}]},
            "usage_metadata":{"cached_content_token_count":1152,"candidates_token_count":62,
            "prompt_token_count":1402,"thoughts_token_count":448,"total_token_count":1912}}"#;
        let u = usage_metadata(json).unwrap();
        assert_eq!(
            (u.prompt_token_count, u.cached_content_token_count, u.candidates_token_count, u.thoughts_token_count),
            (Some(1402), Some(1152), Some(62), Some(448))
        );
        // Content capture off: ADK writes an empty object.
        assert_eq!(usage_metadata("{}"), None);
        assert_eq!(usage_metadata("<not serializable>"), None);
    }
}

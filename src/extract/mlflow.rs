//! MLflow tracing exported over OTLP (scope `mlflow.tracing.provider`): autolog spans of
//! the OpenAI, Anthropic… SDKs, in its default mode and its GenAI-conventions mode
//! (`MLFLOW_ENABLE_OTEL_GENAI_SEMCONV=true`).
//!
//! Default mode: every attribute value is JSON text (`mlflow.spanType` is `"\"CHAT_MODEL\""`).
//! Usage is `mlflow.chat.tokenUsage`, MLflow's own object: `input_tokens` INCLUDES the
//! cache reads and writes for every provider (it adds Anthropic's back in), and
//! `output_tokens` includes reasoning, which it does not split: the reasoning count is only
//! in the raw response, `mlflow.spanOutputs` `$.usage`. `mlflow.llm.model` is the model
//! that answered; `mlflow.llm.provider` is absent on OpenAI spans.
//! GenAI mode: every `mlflow.*` attribute is dropped and only `gen_ai.usage.input_tokens` /
//! `output_tokens` remain (cache and reasoning lost), read as the conventions say.
//! Streamed Anthropic calls carry no usage in either mode (MLflow does not wrap streams).

use super::semconv::fields_with;
use super::usage::InputCache;
use super::usage_object::{self, json_text};
use super::{Claim, Module, Record};
use crate::decode::{Span, Value};
use crate::model::{Emitter, Role};
use serde::Deserialize;

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Mlflow,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: None,
    metric: None,
    by_process: false,
    losses: None,
};

fn owns_scope(record: &Record<'_, '_>) -> bool {
    record.scope == "mlflow.tracing.provider"
}

/// Span types that are one call to a model; others (`AGENT`, `CHAIN`…) may sum them.
const MODEL_CALLS: &[&str] = &["CHAT_MODEL", "LLM", "EMBEDDING"];

/// The raw response MLflow records as the span's output, for its usage.
#[derive(Deserialize)]
struct Output<'a> {
    #[serde(borrow)]
    usage: Option<&'a serde_json::value::RawValue>,
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !owns_scope(record) {
        return Claim::NotMine;
    }
    let (mut usage, mut outputs, mut span_type, mut model, mut provider) = (None, None, None, None, None);
    let mut f = fields_with(&span.attributes, |_, key, value| {
        let slot = match key {
            "mlflow.chat.tokenUsage" => &mut usage,
            "mlflow.spanOutputs" => &mut outputs,
            "mlflow.spanType" => &mut span_type,
            "mlflow.llm.model" => &mut model,
            "mlflow.llm.provider" => &mut provider,
            _ => return false,
        };
        *slot = Some(value.get().clone());
        true
    });
    let as_text = |v: Option<Value<'_>>| v.as_ref().and_then(Value::as_str).map(json_text).filter(|s| !s.is_empty());
    let span_type = as_text(span_type);
    if let Some(json) = usage.as_ref().and_then(Value::as_str) {
        // Unreadable usage is not taken for none: the record stays unclaimed, for the
        // check of usage nobody read.
        let Some(object) = usage_object::read(json, InputCache::Includes) else { return Claim::NotMine };
        f.usage = object.usage;
        if f.usage.reasoning.is_none() {
            f.usage.reasoning = outputs.as_ref().and_then(Value::as_str).and_then(reasoning_in_output);
        }
    }
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let model_call = match &span_type {
        Some(t) => MODEL_CALLS.contains(&t.as_str()),
        None => f.is_model_call(),
    };
    let span_type = span_type.filter(|_| model_call);
    let role = if model_call { Role::ModelCall } else { Role::MaybeAggregate };
    // MLflow's usage, and the conventions' input in its GenAI mode, count the cache in.
    let mut o = f.span_observation(Emitter::Mlflow, span, role, record, InputCache::Includes);
    o.model = as_text(model).or(o.model);
    o.provider = as_text(provider).or(o.provider);
    if o.operation.is_none() {
        o.operation = span_type.map(|t| if t == "EMBEDDING" { "embeddings" } else { "chat" }.to_string());
    }
    Claim::Mine(Some(o))
}

/// The reasoning count of the raw response's usage (OpenAI's completion details).
fn reasoning_in_output(json: &str) -> Option<u64> {
    let usage = serde_json::from_str::<Output<'_>>(json).ok()?.usage?;
    usage_object::read(usage.get(), InputCache::Excludes)?.usage.reasoning
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasoning_comes_from_the_raw_response() {
        let out = r#"{"id": "chatcmpl-1", "choices": [], "usage": {"completion_tokens": 362, "prompt_tokens": 109,
            "completion_tokens_details": {"reasoning_tokens": 320}, "prompt_tokens_details": {"cached_tokens": 0}}}"#;
        assert_eq!(reasoning_in_output(out), Some(320));
        assert_eq!(reasoning_in_output("\"<anthropic.Stream object at 0x7f>\""), None);
        assert_eq!(reasoning_in_output(r#"{"usage": null}"#), None);
    }
}

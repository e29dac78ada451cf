//! Vercel AI SDK (`ai` package) spans, scope `ai`.
//!
//! Each call is a parent (`ai.generateText`, `ai.streamText`, `ai.embedMany`, …) whose
//! `ai.usage.*` is the sum of its steps, and one child per provider call
//! (`….doGenerate`, `….doStream`, `….doEmbed`): only the children are counted.
//! `ai.usage.inputTokens` includes cache reads and writes; the exclusive split is in
//! `ai.usage.inputTokenDetails.*` (AI SDK 6); `ai.usage.cachedInputTokens` is the older
//! name of the read part; AI SDK ≤ 4 wrote `promptTokens`/`completionTokens`.
//! `gen_ai.system` is the SDK's provider id (`openai.chat`): the price stage maps it.

use super::semconv::{fields_with, fill, text};
use super::usage::{InputCache, RawUsage};
use super::{Claim, Module, Record};
use crate::decode::Span;
use crate::model::{CallKey, Emitter, Role};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::VercelAi,
    owns_scope: Some(owns_scope),
    span_keys: SPAN_KEYS,
    span: Some(span),
    log: None,
    metric: None,
    by_process: false,
    losses: None,
};

const PROVIDER_CALLS: &[&str] = &[".doGenerate", ".doStream", ".doEmbed"];

fn owns_scope(record: &Record<'_, '_>) -> bool {
    record.scope == "ai"
}

/// `ai.operationId` names an AI SDK span outside its own scope.
const SPAN_KEYS: &[&str] = &["ai."];

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    let operation_id = record.text("ai.operationId");
    if record.scope != "ai" && operation_id.is_none() {
        return Claim::NotMine;
    }
    let operation = operation_id.unwrap_or_else(|| span.name.to_string());
    if !PROVIDER_CALLS.iter().any(|suffix| operation.ends_with(suffix)) {
        // Parents repeat their steps' usage; tool calls carry none.
        return Claim::Mine(None);
    }
    // `ai.usage.*` read apart from `gen_ai.usage.*`, which only the children carry and
    // without the cache split: used when the SDK's own names are absent.
    let mut ai = RawUsage::default();
    let mut split = RawUsage::default();
    let (mut response_model, mut model_id, mut sdk_provider, mut response_id, mut session) =
        (None, None, None, None, None);
    let f = fields_with(&span.attributes, |_, key, value| {
        match key {
            "ai.usage.inputTokens" | "ai.usage.promptTokens" => fill(&mut ai.input, value),
            "ai.usage.cachedInputTokens" => fill(&mut ai.cache_read, value),
            "ai.usage.inputTokenDetails.noCacheTokens" => fill(&mut split.input, value),
            "ai.usage.inputTokenDetails.cacheReadTokens" => fill(&mut split.cache_read, value),
            "ai.usage.inputTokenDetails.cacheWriteTokens" => fill(&mut split.cache_write, value),
            "ai.usage.outputTokens" | "ai.usage.completionTokens" => fill(&mut ai.output, value),
            "ai.usage.outputTokenDetails.reasoningTokens" | "ai.usage.reasoningTokens" => {
                fill(&mut ai.reasoning, value)
            }
            // Embeddings: input only.
            "ai.usage.tokens" => fill(&mut ai.input, value),
            "ai.response.model" => response_model = Some(value.get().clone()),
            "ai.model.id" => model_id = Some(value.get().clone()),
            "ai.model.provider" => sdk_provider = Some(value.get().clone()),
            "ai.response.id" => response_id = Some(value.get().clone()),
            "ai.telemetry.metadata.sessionId" => session = Some(value.get().clone()),
            _ => return false,
        }
        true
    });
    let (usage, input_cache) = if split.input.is_some() {
        let usage = RawUsage {
            input: split.input,
            cache_read: split.cache_read.or(ai.cache_read),
            cache_write: split.cache_write,
            output: ai.output.or(f.usage.output),
            reasoning: ai.reasoning.or(f.usage.reasoning),
            cache_write_1h: None,
        };
        (usage, InputCache::Excludes)
    } else if ai.is_present() {
        (ai, InputCache::Includes)
    } else {
        (f.usage, InputCache::Infer)
    };
    if !usage.is_present() {
        return Claim::Mine(None);
    }
    let mut o = f.span_observation(Emitter::VercelAi, span, Role::ModelCall, record, input_cache);
    o.tokens = usage.buckets(input_cache);
    o.model = text(&f.response_model)
        .or_else(|| text(&response_model))
        .or_else(|| text(&f.request_model))
        .or_else(|| text(&model_id));
    o.provider = o.provider.or_else(|| text(&sdk_provider));
    if f.response_id.is_none() {
        if let Some(id) = text(&response_id) {
            o.keys.push(CallKey::Response(span.trace_id, id));
        }
    }
    o.operation = Some(if operation.ends_with(".doEmbed") { "embeddings" } else { "chat" }.into());
    o.session = text(&session).or(o.session);
    Claim::Mine(Some(o))
}

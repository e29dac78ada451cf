//! OpenInference (Arize / Phoenix): `llm.token_count.*` and `llm.model_name`, no `gen_ai.*`.
//!
//! `llm.token_count.prompt` includes cache reads and writes, `.completion` includes
//! reasoning (OpenAI's meaning, and the Anthropic instrumentation adds cache tokens in).
//! Only `LLM` and `EMBEDDING` spans are calls: framework instrumentations (LangChain,
//! smolagents, CrewAI) also put token counts on `CHAIN`/`AGENT` spans that sum their LLM
//! children. Those are possible aggregates: counted only when nothing below them carries
//! usage (Phoenix counts LLM spans only; this keeps usage no LLM span reports).

use super::semconv::{fields_with, fill, text};
use super::usage::InputCache;
use super::{Claim, Module, Record};
use crate::decode::Span;
use crate::model::{Emitter, Role};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::OpenInference,
    owns_scope: None,
    span_keys: SPAN_KEYS,
    span: Some(span),
    log: None,
    metric: None,
    by_process: false,
    losses: None,
};

const KIND: &str = "openinference.span.kind";

const SPAN_KEYS: &[&str] = &["openinference.", "llm.", "embedding."];

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    // Every OpenInference span states its kind: without it, not ours (no full scan).
    if !span.attributes.iter().any(|kv| kv.key == KIND) {
        return Claim::NotMine;
    }
    let mut kind = None;
    let mut model = None;
    let mut provider = None;
    let mut cost = None;
    let f = fields_with(&span.attributes, |f, key, value| {
        let u = &mut f.usage;
        match key {
            KIND => kind = Some(value.get().clone()),
            "llm.token_count.prompt" => fill(&mut u.input, value),
            "llm.token_count.completion" => fill(&mut u.output, value),
            "llm.token_count.prompt_details.cache_read" => fill(&mut u.cache_read, value),
            "llm.token_count.prompt_details.cache_write" => fill(&mut u.cache_write, value),
            "llm.token_count.completion_details.reasoning" => fill(&mut u.reasoning, value),
            // The answering model; the request model only when no other is stated.
            "llm.response.model_name" => model = Some(value.get().clone()),
            "llm.model_name" | "embedding.model_name" => {
                model.get_or_insert_with(|| value.get().clone());
            }
            "llm.request.model_name" => {
                f.request_model = Some(value.get().clone());
            }
            "llm.provider" => provider = Some(value.get().clone()),
            "llm.system" => {
                provider.get_or_insert_with(|| value.get().clone());
            }
            "llm.cost.total" => cost = value.as_cost(1),
            _ => return false,
        }
        true
    });
    let Some(kind) = text(&kind) else { return Claim::NotMine };
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let kind = kind.to_ascii_uppercase();
    let role = if matches!(kind.as_str(), "LLM" | "EMBEDDING") { Role::ModelCall } else { Role::MaybeAggregate };
    let mut o = f.span_observation(Emitter::OpenInference, span, role, record, InputCache::Includes);
    o.model = text(&model).or(o.model);
    o.provider = text(&provider).or(o.provider);
    if kind == "EMBEDDING" {
        o.operation.get_or_insert_with(|| "embeddings".into());
    }
    o.reported_cost = cost;
    o.session = record.text("session.id").or(o.session);
    Claim::Mine(Some(o))
}

//! Laminar (`lmnr`): every span it exports, its own and other libraries', is re-scoped to
//! `lmnr.tracer` (the original scope kept in `lmnr.span.instrumentation_scope.name`).
//!
//! Its LLM spans (`lmnr.span.type = LLM`; `openai.chat`, `anthropic.chat`) come from its
//! bundled forks of the OpenLLMetry instrumentations: the conventions' counts with the
//! underscore cache names (`cache_read_input_tokens`, `cache_creation_input_tokens`),
//! `gen_ai.usage.reasoning_tokens`, `gen_ai.system`, and no operation name. Input includes
//! the cache for both providers. Like OpenLLMetry's, they are a wrapper's re-report: where
//! the anthropic SDK traces itself too (a sibling span, same response id), its span is kept.

use super::semconv::fields;
use super::usage::InputCache;
use super::{Claim, Module, Record};
use crate::decode::Span;
use crate::model::{Emitter, Role};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Laminar,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: None,
    metric: None,
    by_process: false,
    losses: None,
};

fn owns_scope(record: &Record<'_, '_>) -> bool {
    record.scope == "lmnr.tracer"
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !owns_scope(record) {
        return Claim::NotMine;
    }
    let f = fields(&span.attributes);
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let llm = record.text("lmnr.span.type").is_some_and(|t| t == "LLM");
    let role = if llm || f.is_model_call() { Role::ModelCall } else { Role::MaybeAggregate };
    let mut o = f.span_observation(Emitter::Laminar, span, role, record, InputCache::Includes);
    o.operation.get_or_insert_with(|| "chat".into());
    o.secondhand = true;
    Claim::Mine(Some(o))
}

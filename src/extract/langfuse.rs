//! The Langfuse SDK (3.x to 5.x, built on OpenTelemetry): spans of scope `langfuse-sdk`,
//! whose values are JSON text.
//!
//! A generation (`langfuse.observation.type`) states its usage as
//! `langfuse.observation.usage_details`, in whatever shape it was given: the OpenAI
//! integration passes OpenAI's raw usage object (nested details, prompt including cached),
//! `@observe` generations what the program passed (Langfuse's `input`/`output`/cache names,
//! or a provider's object). `langfuse.observation.model.name` is the model (the OpenAI
//! integration's is the one that answered); no provider is stated. `cost_details` is the
//! cost given to Langfuse (its `total`, else the sum of its entries): kept as the stated cost.
//!
//! Langfuse installs a global tracer provider, so a provider SDK that traces itself (the
//! anthropic SDK's `anthropic.messages.create`) adds a child span for the same call, with
//! the provider's own counts. A generation is therefore a possible aggregate: it counts
//! only when no span below it carries usage.

use super::semconv::{fields_with, text};
use super::usage::InputCache;
use super::usage_object;
use super::{Claim, Module, Record};
use crate::decode::{Span, Value};
use crate::model::{Emitter, Role};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Langfuse,
    owns_scope: Some(owns_scope),
    span_keys: &[],
    span: Some(span),
    log: None,
    metric: None,
    by_process: false,
    losses: None,
};

fn owns_scope(record: &Record<'_, '_>) -> bool {
    record.scope == "langfuse-sdk"
}

fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    if !owns_scope(record) {
        return Claim::NotMine;
    }
    let (mut usage, mut cost, mut model) = (None, None, None);
    let mut f = fields_with(&span.attributes, |_, key, value| {
        let slot = match key {
            "langfuse.observation.usage_details" => &mut usage,
            "langfuse.observation.cost_details" => &mut cost,
            "langfuse.observation.model.name" => &mut model,
            _ => return false,
        };
        *slot = Some(value.get().clone());
        true
    });
    let mut input_cache = InputCache::Infer;
    if let Some(json) = usage.as_ref().and_then(Value::as_str) {
        // Unreadable usage stays unclaimed, for the check of usage nobody read.
        let Some(object) = usage_object::read(json, InputCache::Excludes) else { return Claim::NotMine };
        (f.usage, input_cache) = (object.usage, object.input_cache);
    }
    if !f.usage.is_present() {
        return Claim::Mine(None);
    }
    let mut o = f.span_observation(Emitter::Langfuse, span, Role::MaybeAggregate, record, input_cache);
    o.model = text(&model).or(o.model);
    o.operation.get_or_insert_with(|| "chat".into());
    o.reported_cost = cost.as_ref().and_then(Value::as_str).and_then(usage_object::cost_total);
    Claim::Mine(Some(o))
}

//! The OpenTelemetry `gen_ai` semantic conventions, every version (v1.26 to the
//! semantic-conventions-genai drafts): inference spans and the
//! `gen_ai.client.inference.operation.details` log event.
//!
//! Names across versions: `prompt_tokens`/`completion_tokens` (v1.26) became
//! `input_tokens`/`output_tokens` (v1.27); `gen_ai.system` became `gen_ai.provider.name`
//! (v1.37); cache counts arrived in v1.40 (`cache_read.input_tokens`,
//! `cache_creation.input_tokens`, since renamed `cache_write.input_tokens`; emitters also
//! write underscore forms), reasoning in v1.41. From v1.40 `input_tokens` includes cache
//! tokens; before, it was unstated, so inclusion is inferred from the numbers.

use super::metric::{histogram_value, is_cumulative, Measure, MetricPoint, UsageField};
use super::usage::{InputCache, RawUsage};
use super::{Claim, Record};
use crate::decode::{KeyValue, LogRecord, Metric, Span, Value};
use crate::model::{CallKey, Emitter, Observation, Role, Signal};

/// Operations that are one call to a model. Anything else carrying usage (an agent,
/// a workflow) may be summing its children.
const MODEL_CALLS: &[&str] = &["chat", "generate_content", "text_completion", "embeddings", "completion", "embedding"];

pub const DETAILS_EVENT: &str = "gen_ai.client.inference.operation.details";

#[derive(Default)]
struct Fields<'a> {
    usage: RawUsage,
    operation: Option<Value<'a>>,
    provider: Option<Value<'a>>,
    system: Option<Value<'a>>,
    request_model: Option<Value<'a>>,
    response_model: Option<Value<'a>>,
    response_id: Option<Value<'a>>,
    event_name: Option<Value<'a>>,
}

/// One pass over the attributes, keeping those this convention defines.
fn fields<'a>(attrs: &[KeyValue<'a>]) -> Fields<'a> {
    let mut f = Fields::default();
    for kv in attrs {
        let Some(value) = kv.value else { continue };
        let count = || value.get().as_count();
        match &*kv.key {
            "gen_ai.usage.input_tokens" => f.usage.input = count(),
            "gen_ai.usage.prompt_tokens" => f.usage.input = f.usage.input.or(count()),
            "gen_ai.usage.output_tokens" => f.usage.output = count(),
            "gen_ai.usage.completion_tokens" => f.usage.output = f.usage.output.or(count()),
            "gen_ai.usage.cache_read.input_tokens" | "gen_ai.usage.cache_read_input_tokens" => {
                f.usage.cache_read = count()
            }
            "gen_ai.usage.cache_creation.input_tokens"
            | "gen_ai.usage.cache_creation_input_tokens"
            | "gen_ai.usage.cache_write.input_tokens"
            | "gen_ai.usage.cache_write_input_tokens" => f.usage.cache_write = count(),
            "gen_ai.usage.reasoning.output_tokens" | "gen_ai.usage.reasoning_tokens" => f.usage.reasoning = count(),
            "gen_ai.operation.name" => f.operation = Some(value.get()),
            "gen_ai.provider.name" => f.provider = Some(value.get()),
            "gen_ai.system" => f.system = Some(value.get()),
            "gen_ai.request.model" => f.request_model = Some(value.get()),
            "gen_ai.response.model" => f.response_model = Some(value.get()),
            "gen_ai.response.id" => f.response_id = Some(value.get()),
            "event.name" => f.event_name = Some(value.get()),
            _ => {}
        }
    }
    f
}

fn text(v: &Option<Value<'_>>) -> Option<String> {
    v.as_ref().and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Fields<'_> {
    fn observation(
        &self,
        signal: Signal,
        role: Role,
        time_ns: u64,
        trace_id: [u8; 16],
        record: &Record<'_, '_>,
    ) -> Observation {
        let mut o = record.observation(Emitter::Semconv, signal, role, time_ns, self.usage.buckets(InputCache::Infer));
        if let Some(id) = text(&self.response_id) {
            o.keys.push(CallKey::Response(trace_id, id));
        }
        o.model = text(&self.response_model).or_else(|| text(&self.request_model));
        o.provider = text(&self.provider).or_else(|| text(&self.system));
        o.operation = text(&self.operation);
        o.session = record.text("gen_ai.conversation.id");
        o
    }
}

/// An inference span with usage; a span that is not a model call is a possible aggregate.
pub fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    let f = fields(&span.attributes);
    if !f.usage.is_present() {
        return Claim::NotMine;
    }
    let is_call = text(&f.operation).is_some_and(|op| MODEL_CALLS.contains(&op.as_str()));
    let role = if is_call { Role::ModelCall } else { Role::MaybeAggregate };
    let time = if span.end_time_unix_nano != 0 { span.end_time_unix_nano } else { span.start_time_unix_nano };
    let mut o = f.observation(Signal::Traces, role, time, span.trace_id, record);
    if span.span_id != [0; 8] {
        o.keys.insert(0, CallKey::Span(span.trace_id, span.span_id));
        o.span = Some((span.trace_id, span.span_id));
    }
    Claim::Mine(Some(o))
}

/// The `gen_ai.client.inference.operation.details` event: the same usage as its span.
pub fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    let f = fields(&log.attributes);
    let name_matches = log.event_name == DETAILS_EVENT || text(&f.event_name).as_deref() == Some(DETAILS_EVENT);
    if !name_matches || !f.usage.is_present() {
        return Claim::NotMine;
    }
    let time = if log.time_unix_nano != 0 { log.time_unix_nano } else { log.observed_time_unix_nano };
    let mut o = f.observation(Signal::Logs, Role::ModelCall, time, log.trace_id, record);
    if log.span_id != [0; 8] {
        // Emitted inside its inference span: the same call as that span.
        o.keys.insert(0, CallKey::Span(log.trace_id, log.span_id));
    }
    Claim::Mine(Some(o))
}

/// `gen_ai.client.token.usage`, a histogram split by `gen_ai.token.type` (input/output; a
/// `total` type, as Spring AI sends, is not a bucket): its `sum` is the tokens, and the
/// input series' `count` the calls.
pub fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    const NAME: &str = "gen_ai.client.token.usage";
    if metric.name != NAME {
        return false;
    }
    let Some(h) = metric.histogram.as_ref() else { return false };
    let Some(cumulative) = is_cumulative(h.aggregation_temporality) else { return false };
    for p in &h.data_points {
        let Some(value) = histogram_value(p) else { continue };
        let f = fields(&p.attributes);
        let token_type = super::lookup(&p.attributes, "gen_ai.token.type").and_then(|v| v.render());
        let field = match token_type.as_deref() {
            Some("input") => UsageField::Input,
            Some("output" | "completion") => UsageField::Output,
            _ => continue,
        };
        let mut push = |measure, value: &super::metric::PointValue| {
            let mut point = record.metric_point(
                Emitter::Semconv,
                NAME,
                &p.attributes,
                Some("gen_ai.token.type"),
                cumulative,
                value,
                measure,
                InputCache::Includes,
            );
            point.model = text(&f.response_model).or_else(|| text(&f.request_model));
            point.provider = text(&f.provider).or_else(|| text(&f.system));
            out.push(point);
        };
        push(Measure::Tokens(field), &value);
        if field == UsageField::Input {
            if let Some(count) = value.count {
                push(Measure::Calls, &super::metric::PointValue { value: count.into(), count: None, ..value });
            }
        }
    }
    true
}

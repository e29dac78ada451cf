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

use super::metric::{histogram_value, is_cumulative, number_value, Measure, MetricPoint, PointValue, UsageField};
use super::usage::{InputCache, RawUsage};
use super::{Claim, Module, Record};
use crate::decode::{KeyValue, LazyValue, LogRecord, Metric, Span, Value};
use crate::model::{CallKey, Emitter, Observation, Role, ServiceTier, Signal};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Semconv,
    owns_scope: None,
    span_keys: SPAN_KEYS,
    span: Some(span),
    log: Some(log),
    metric: Some(metric),
    by_process: false,
    losses: None,
};

/// Operations that are one call to a model. Anything else carrying usage (an agent,
/// a workflow) may be summing its children.
const MODEL_CALLS: &[&str] = &["chat", "generate_content", "text_completion", "embeddings", "completion", "embedding"];

/// Every usage attribute of the conventions, in every version, starts so.
const SPAN_KEYS: &[&str] = &["gen_ai."];

pub const DETAILS_EVENT: &str = "gen_ai.client.inference.operation.details";

/// What the conventions say about one record. Emitter modules that extend the
/// conventions read their own names around these (see [`fields_with`]).
#[derive(Default)]
pub(crate) struct Fields<'a> {
    pub usage: RawUsage,
    pub operation: Option<Value<'a>>,
    pub provider: Option<Value<'a>>,
    pub system: Option<Value<'a>>,
    pub request_model: Option<Value<'a>>,
    pub response_model: Option<Value<'a>>,
    pub response_id: Option<Value<'a>>,
    pub event_name: Option<Value<'a>>,
    /// The service tier, with the rank of the attribute it came from (lower wins, see
    /// `TIER_KEYS`), so attribute order does not matter.
    pub tier: Option<(u8, Value<'a>)>,
    pub server_address: Option<Value<'a>>,
}

/// Where the service tier is read from, best first: the tier the response says was used,
/// then the one requested (OpenAI instrumentations; the generic request attribute last).
const TIER_KEYS: &[&str] = &[
    "gen_ai.openai.response.service_tier",
    "gen_ai.openai.request.service_tier",
    "openai.response.service_tier",
    "anthropic.response.service_tier",
    "gen_ai.request.service_tier",
];

/// One pass over the attributes, keeping those this convention defines.
pub(crate) fn fields<'a>(attrs: &[KeyValue<'a>]) -> Fields<'a> {
    fields_with(attrs, |_, _, _| false)
}

/// One pass over the attributes: `own` sees every attribute first and returns whether it
/// took it (an emitter's own names, or its reading of a shared one); the convention's
/// names are read from the rest.
/// Values are decoded only for the keys someone reads: most attributes of most spans are
/// never looked at.
pub(crate) fn fields_with<'a>(
    attrs: &[KeyValue<'a>],
    mut own: impl FnMut(&mut Fields<'a>, &str, &LazyValue<'a>) -> bool,
) -> Fields<'a> {
    let mut f = Fields::default();
    for kv in attrs {
        let Some(raw) = kv.value else { continue };
        let value = LazyValue::new(raw);
        if !own(&mut f, &kv.key, &value) {
            f.read(&kv.key, value);
        }
    }
    f
}

/// Sets `slot` unless an earlier attribute already did: for an emitter's second name of
/// the same count, which must never add to the first.
pub(crate) fn fill(slot: &mut Option<u64>, value: &Value<'_>) {
    if slot.is_none() {
        *slot = value.as_count();
    }
}

pub(crate) fn text(v: &Option<Value<'_>>) -> Option<String> {
    v.as_ref().and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl<'a> Fields<'a> {
    /// Reads one attribute if this convention defines it; returns whether it did.
    pub fn read(&mut self, key: &str, value: LazyValue<'a>) -> bool {
        // Most keys of a span are other conventions': one comparison rules them out.
        if !key.starts_with("gen_ai.")
            && !matches!(
                key,
                "event.name" | "server.address" | "openai.response.service_tier" | "anthropic.response.service_tier"
            )
        {
            return false;
        }
        if let Some(rank) = TIER_KEYS.iter().position(|k| *k == key) {
            let rank = rank as u8;
            if self.tier.as_ref().is_none_or(|(r, _)| rank < *r) {
                self.tier = Some((rank, value.get().clone()));
            }
            return true;
        }
        let count = || value.as_count();
        let value = || value.get().clone();
        match key {
            "gen_ai.usage.input_tokens" => self.usage.input = count(),
            "gen_ai.usage.prompt_tokens" => self.usage.input = self.usage.input.or(count()),
            "gen_ai.usage.output_tokens" => self.usage.output = count(),
            "gen_ai.usage.completion_tokens" => self.usage.output = self.usage.output.or(count()),
            "gen_ai.usage.cache_read.input_tokens" | "gen_ai.usage.cache_read_input_tokens" => {
                self.usage.cache_read = count()
            }
            "gen_ai.usage.cache_creation.input_tokens"
            | "gen_ai.usage.cache_creation_input_tokens"
            | "gen_ai.usage.cache_write.input_tokens"
            | "gen_ai.usage.cache_write_input_tokens" => self.usage.cache_write = count(),
            "gen_ai.usage.reasoning.output_tokens" | "gen_ai.usage.reasoning_tokens" => self.usage.reasoning = count(),
            "gen_ai.operation.name" => self.operation = Some(value()),
            "gen_ai.provider.name" => self.provider = Some(value()),
            "gen_ai.system" => self.system = Some(value()),
            "gen_ai.request.model" => self.request_model = Some(value()),
            "gen_ai.response.model" => self.response_model = Some(value()),
            "gen_ai.response.id" => self.response_id = Some(value()),
            "event.name" => self.event_name = Some(value()),
            "server.address" => self.server_address = Some(value()),
            _ => return false,
        }
        true
    }

    /// The model that answered if stated, else the one requested.
    pub fn model(&self) -> Option<String> {
        text(&self.response_model).or_else(|| text(&self.request_model))
    }

    pub fn provider(&self) -> Option<String> {
        text(&self.provider).or_else(|| text(&self.system))
    }

    /// The service tier the record states (`Standard` when it states none).
    pub fn tier(&self) -> ServiceTier {
        self.tier.as_ref().and_then(|(_, v)| v.as_str()).map_or(ServiceTier::Standard, ServiceTier::parse)
    }

    /// `server.address`, kept only when `provider` is absent or not a well-known provider
    /// name: only then can it change the price, and most calls then carry none.
    pub fn address(&self, provider: Option<&str>) -> Option<Box<str>> {
        if provider.is_some_and(crate::model::provider::is_well_known) {
            return None;
        }
        text(&self.server_address).map(String::into_boxed_str)
    }

    /// Whether the operation is one call to a model.
    pub fn is_model_call(&self) -> bool {
        // Asked per call: the operation's text is looked at, not copied.
        let op = self.operation.as_ref().and_then(|v| v.as_str()).map(str::trim);
        op.is_some_and(|op| MODEL_CALLS.contains(&op))
    }

    /// An observation of what these fields say, by `emitter`.
    #[allow(clippy::too_many_arguments)]
    pub fn observation(
        &self,
        emitter: Emitter,
        signal: Signal,
        role: Role,
        time_ns: u64,
        trace_id: [u8; 16],
        record: &Record<'_, '_>,
        input_cache: InputCache,
    ) -> Observation {
        let mut o = record.observation(emitter, signal, role, time_ns, self.usage.buckets(input_cache));
        if let Some(id) = text(&self.response_id) {
            o.keys.push(CallKey::Response(trace_id, id));
        }
        o.model = self.model();
        o.provider = self.provider();
        o.address = self.address(o.provider.as_deref());
        o.tier = self.tier();
        o.operation = text(&self.operation);
        o.session = record.text("gen_ai.conversation.id");
        o
    }

    /// An observation of a span: identified by its span id first, timed at its end.
    pub fn span_observation(
        &self,
        emitter: Emitter,
        span: &Span<'_>,
        role: Role,
        record: &Record<'_, '_>,
        input_cache: InputCache,
    ) -> Observation {
        let time = if span.end_time_unix_nano != 0 { span.end_time_unix_nano } else { span.start_time_unix_nano };
        let mut o = self.observation(emitter, Signal::Traces, role, time, span.trace_id, record, input_cache);
        if span.span_id != [0; 8] {
            o.keys.push(CallKey::Span(span.trace_id, span.span_id));
            o.span = Some((span.trace_id, span.span_id));
        }
        o
    }
}

/// Instrumentations that write the conventions' names but may state their own estimate
/// of a call's usage: Traceloop JS's openai instrumentation (`enrichTokens`, on by
/// default) counts a streamed call's text with a tokenizer and never reads the usage the
/// API sent, and its span does not say it streamed.
pub const ESTIMATING_SCOPES: &[&str] = &["@traceloop/instrumentation-openai"];

/// An inference span with usage; a span that is not a model call is a possible aggregate.
fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    let f = fields(&span.attributes);
    if !f.usage.is_present() {
        return Claim::NotMine;
    }
    let role = if f.is_model_call() { Role::ModelCall } else { Role::MaybeAggregate };
    let mut o = f.span_observation(Emitter::Semconv, span, role, record, InputCache::Infer);
    o.estimated = ESTIMATING_SCOPES.contains(&record.scope);
    Claim::Mine(Some(o))
}

/// The `gen_ai.client.inference.operation.details` event: the same usage as its span.
fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    let f = fields(&log.attributes);
    let name_matches = log.event_name == DETAILS_EVENT || text(&f.event_name).as_deref() == Some(DETAILS_EVENT);
    if !name_matches || !f.usage.is_present() {
        return Claim::NotMine;
    }
    let time = if log.time_unix_nano != 0 { log.time_unix_nano } else { log.observed_time_unix_nano };
    let mut o =
        f.observation(Emitter::Semconv, Signal::Logs, Role::ModelCall, time, log.trace_id, record, InputCache::Infer);
    if log.span_id != [0; 8] {
        // Emitted inside its inference span: the same call as that span.
        o.keys.push(CallKey::Span(log.trace_id, log.span_id));
    }
    Claim::Mine(Some(o))
}

pub const TOKEN_USAGE: &str = "gen_ai.client.token.usage";

/// `gen_ai.client.token.usage`, a histogram split by `gen_ai.token.type` (input/output; a
/// `total` type, as Spring AI sends, repeats them and is not a bucket): its `sum` is the
/// tokens, and the input series' `count` the calls.
fn metric(metric: &Metric<'_>, record: &Record<'_, '_>, out: &mut Vec<MetricPoint>) -> bool {
    metric.name == TOKEN_USAGE && token_usage(metric, record, Emitter::Semconv, out)
}

/// The points of a token usage histogram (any name), as `emitter` sends it: input counts
/// cache tokens (the conventions, and every emitter using them that splits no cache type).
pub(crate) fn token_usage(
    metric: &Metric<'_>,
    record: &Record<'_, '_>,
    emitter: Emitter,
    out: &mut Vec<MetricPoint>,
) -> bool {
    each_point(metric, |attrs, value, cumulative, f| {
        let token_type = super::lookup(attrs, "gen_ai.token.type").and_then(|v| v.render());
        let field = match token_type.as_deref() {
            Some("input") => UsageField::Input,
            Some("output" | "completion") => UsageField::Output,
            _ => return,
        };
        push_tokens(field, value, out, |measure, value| {
            let mut point = record.metric_point(
                emitter,
                &metric.name,
                attrs,
                Some("gen_ai.token.type"),
                cumulative,
                value,
                measure,
                InputCache::Includes,
            );
            point.model = f.model();
            point.provider = f.provider();
            point
        });
    })
}

/// Pushes a token histogram's point for `field`, and for input its count as the calls
/// (one recording per call).
pub(crate) fn push_tokens(
    field: UsageField,
    value: PointValue,
    out: &mut Vec<MetricPoint>,
    point: impl Fn(Measure, &PointValue) -> MetricPoint,
) {
    out.push(point(Measure::Tokens(field), &value));
    if field == UsageField::Input {
        if let Some(count) = value.count {
            out.push(point(Measure::Calls, &PointValue { value: count.into(), count: None, ..value }));
        }
    }
}

/// Calls `read` for every valued point of a histogram with a summable temporality, with the
/// point's attributes and convention fields; false when the metric is not such a histogram.
/// A monotonic sum of the same usage counts too: Micrometer exports a counter so (Spring
/// AI's and LangChain4j's `gen_ai.client.token.usage`); it has no call count.
pub(crate) fn each_point<'a>(
    metric: &'a Metric<'a>,
    mut read: impl FnMut(&'a [KeyValue<'a>], PointValue, bool, Fields<'a>),
) -> bool {
    if let Some(h) = metric.histogram.as_ref() {
        let Some(cumulative) = is_cumulative(h.aggregation_temporality) else { return false };
        for p in &h.data_points {
            if let Some(value) = histogram_value(p) {
                read(&p.attributes, value, cumulative, fields(&p.attributes));
            }
        }
        return true;
    }
    let Some(sum) = metric.sum.as_ref().filter(|s| s.is_monotonic) else { return false };
    let Some(cumulative) = is_cumulative(sum.aggregation_temporality) else { return false };
    for p in &sum.data_points {
        if let Some(value) = number_value(p) {
            read(&p.attributes, value, cumulative, fields(&p.attributes));
        }
    }
    true
}

/// A histogram of the cost (USD) the emitter computed per call. Its points carry the same
/// attributes as the token series, so each joins the tokens of its group.
pub(crate) fn cost_histogram(
    metric: &Metric<'_>,
    record: &Record<'_, '_>,
    emitter: Emitter,
    out: &mut Vec<MetricPoint>,
) -> bool {
    each_point(metric, |attrs, value, cumulative, f| {
        let mut point = record.metric_point(
            emitter,
            &metric.name,
            attrs,
            None,
            cumulative,
            &value,
            Measure::CostUsd,
            InputCache::Includes,
        );
        point.model = f.model();
        point.provider = f.provider();
        out.push(point);
    })
}

//! Telemetry records that are not OTLP: OpenTelemetry SDK objects as exporters other than
//! OTLP write them, decoded into the same views as an OTLP request of one record, so
//! extract and everything after it never know the difference.
//!
//! - JS SDK objects (`JSON.stringify` of a span, a log record or a metrics batch): the
//!   Gemini CLI and Qwen Code outfile, the VS Code Copilot Chat extension's logs and
//!   metrics. `_spanContext`/`spanContext`, times as `[seconds, nanoseconds]`
//!   (`hrTime`/`_hrTime`), resource attributes as `[key, value]` pairs
//!   (`resource._rawAttributes`), enums numbered from 0, and `"[Circular]"` in place of
//!   any object already written in the same record (not only true cycles).
//! - GitHub Copilot CLI's file exporter: `"type":"span"|"metric"`, flat attributes,
//!   `[seconds, nanoseconds]` times. The VS Code extension's spans are the same without
//!   `type`.
//! - The OpenTelemetry Python SDK's console exporters: `to_json()` of a span, a log record
//!   or metrics data (`0x…` ids, ISO 8601 times, flat attributes).

use super::value::CIRCULAR;
use super::view::*;
use super::DecodeError;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

type Raw<'a> = Option<&'a RawValue>;

/// Every top-level key of the shapes read here (a field absent from a shape stays `None`).
#[derive(Default, Deserialize)]
struct Top<'a> {
    #[serde(rename = "type", borrow)]
    tag: Raw<'a>,
    #[serde(borrow)]
    name: Raw<'a>,
    #[serde(borrow)]
    kind: Raw<'a>,
    #[serde(rename = "_spanContext", borrow)]
    span_context_private: Raw<'a>,
    #[serde(rename = "spanContext", borrow)]
    span_context: Raw<'a>,
    /// Python spans: `{"trace_id": "0x…", "span_id": "0x…"}`.
    #[serde(borrow)]
    context: Raw<'a>,
    #[serde(rename = "traceId", alias = "trace_id", borrow)]
    trace_id: Raw<'a>,
    #[serde(rename = "spanId", alias = "span_id", borrow)]
    span_id: Raw<'a>,
    #[serde(rename = "parentSpanId", alias = "parent_id", borrow)]
    parent_span_id: Raw<'a>,
    #[serde(rename = "parentSpanContext", borrow)]
    parent_span_context: Raw<'a>,
    #[serde(rename = "startTime", borrow)]
    start_time: Raw<'a>,
    #[serde(rename = "endTime", borrow)]
    end_time: Raw<'a>,
    #[serde(rename = "start_time", borrow)]
    start_iso: Raw<'a>,
    #[serde(rename = "end_time", borrow)]
    end_iso: Raw<'a>,
    #[serde(rename = "hrTime", alias = "_hrTime", borrow)]
    hr_time: Raw<'a>,
    #[serde(rename = "hrTimeObserved", alias = "_hrTimeObserved", borrow)]
    hr_time_observed: Raw<'a>,
    #[serde(borrow)]
    timestamp: Raw<'a>,
    #[serde(borrow)]
    observed_timestamp: Raw<'a>,
    #[serde(borrow)]
    severity_number: Raw<'a>,
    #[serde(borrow)]
    attributes: Raw<'a>,
    #[serde(borrow)]
    resource: Raw<'a>,
    #[serde(rename = "instrumentationScope", alias = "instrumentation_scope", borrow)]
    scope: Raw<'a>,
    #[serde(rename = "_body", alias = "body", borrow)]
    body: Raw<'a>,
    #[serde(rename = "eventName", alias = "_eventName", borrow)]
    event_name: Raw<'a>,
    #[serde(rename = "event_name", borrow)]
    event_name_python: Raw<'a>,
    #[serde(rename = "scopeMetrics", borrow)]
    scope_metrics: Raw<'a>,
    #[serde(borrow)]
    resource_metrics: Raw<'a>,
    #[serde(rename = "dataPoints", borrow)]
    data_points: Raw<'a>,
    #[serde(borrow)]
    unit: Raw<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// A JS SDK metrics batch: `{resource, scopeMetrics}`.
    JsMetrics,
    /// Python `MetricsData.to_json()`.
    PythonMetrics,
    /// One metric of the Copilot CLI file: `{type: "metric", name, dataPoints}`.
    FlatMetric,
    Span,
    Log,
}

impl Top<'_> {
    fn shape(&self) -> Option<Shape> {
        let tag = self.tag.and_then(|t| serde_json::from_str::<&str>(t.get()).ok());
        Some(match tag {
            Some("span") => Shape::Span,
            Some("metric") => Shape::FlatMetric,
            Some("log") => Shape::Log,
            _ if self.scope_metrics.is_some() && self.resource.is_some() => Shape::JsMetrics,
            _ if self.resource_metrics.is_some() => Shape::PythonMetrics,
            _ if self.data_points.is_some() && self.name.is_some() => Shape::FlatMetric,
            _ if self.name.is_some()
                && (self.span_context_private.is_some() || self.trace_id.is_some() || self.context.is_some())
                && (self.start_time.is_some() || self.start_iso.is_some()) =>
            {
                Shape::Span
            }
            _ if self.hr_time.is_some() || self.observed_timestamp.is_some() || self.severity_number.is_some() => {
                Shape::Log
            }
            _ => return None,
        })
    }
}

/// Whether a JSON object is a record of a shape read here (top-level keys only).
pub fn is_record(text: &[u8]) -> bool {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| serde_json::from_str::<Top>(t).ok())
        .is_some_and(|top| top.shape().is_some())
}

/// Decodes one record of a shape read here; `Ok(None)`: JSON, but none of them.
pub fn decode(text: &[u8]) -> Result<Option<Request<'_>>, DecodeError> {
    let text = std::str::from_utf8(text)
        .map_err(|e| DecodeError::at(e.valid_up_to() as u64, format!("invalid UTF-8: {e}")))?;
    let top: Top = serde_json::from_str(text).map_err(json_error)?;
    let Some(shape) = top.shape() else { return Ok(None) };
    Ok(Some(match shape {
        Shape::Span => span(&top)?,
        Shape::Log => log(&top)?,
        Shape::JsMetrics => js_metrics(&top)?,
        Shape::FlatMetric => flat_metric(&top)?,
        Shape::PythonMetrics => python_metrics(&top)?,
    }))
}

pub(super) fn json_error(e: serde_json::Error) -> DecodeError {
    DecodeError { offset: None, message: format!("JSON: {e}") }
}

fn invalid(what: &str, raw: &RawValue) -> DecodeError {
    let text = raw.get();
    let shown: String = text.chars().take(60).collect();
    DecodeError { offset: None, message: format!("{what}: unreadable value {shown}") }
}

/// A value that is absent, `null` or `"[Circular]"` says nothing.
fn present(raw: Raw<'_>) -> Raw<'_> {
    raw.filter(|r| {
        let t = r.get();
        t != "null" && t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) != Some(CIRCULAR)
    })
}

pub(super) fn string<'a>(raw: Raw<'a>, what: &str) -> Result<Option<Str<'a>>, DecodeError> {
    let Some(raw) = present(raw) else { return Ok(None) };
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    serde_json::from_str::<Text>(raw.get()).map(|t| Some(t.0)).map_err(|_| invalid(what, raw))
}

/// A time: `[seconds, nanoseconds]` (JS), an ISO 8601 text (Python) or nanoseconds.
pub(super) fn time(raw: Raw<'_>, what: &str) -> Result<Option<u64>, DecodeError> {
    let Some(raw) = present(raw) else { return Ok(None) };
    let text = raw.get();
    let nanos = if text.starts_with('[') {
        serde_json::from_str::<(u64, u64)>(text).ok().and_then(|(s, ns)| s.checked_mul(1_000_000_000)?.checked_add(ns))
    } else if text.starts_with('"') {
        let iso = serde_json::from_str::<&str>(text).ok();
        iso.and_then(|t| t.parse::<jiff::Timestamp>().ok()).and_then(|t| u64::try_from(t.as_nanosecond()).ok())
    } else {
        text.parse::<u64>().ok()
    };
    nanos.map(Some).ok_or_else(|| invalid(what, raw))
}

/// A hex id (`0x` prefix allowed); absent, empty or `null` is all zero.
fn id<const N: usize>(raw: Raw<'_>, what: &str) -> Result<[u8; N], DecodeError> {
    let Some(text) = string(raw, what)? else { return Ok([0; N]) };
    let hex = text.strip_prefix("0x").unwrap_or(&text);
    parse_hex_id(hex)
        .ok_or_else(|| DecodeError { offset: None, message: format!("{what}: not a {N}-byte hex id: {text:?}") })
}

/// `{traceId, spanId}` (JS) or `{trace_id, span_id}` (Python).
#[derive(Default, Deserialize)]
struct Context<'a> {
    #[serde(rename = "traceId", alias = "trace_id", borrow)]
    trace_id: Raw<'a>,
    #[serde(rename = "spanId", alias = "span_id", borrow)]
    span_id: Raw<'a>,
}

fn context<'a>(raw: Raw<'a>) -> Result<Context<'a>, DecodeError> {
    match present(raw) {
        Some(raw) => serde_json::from_str(raw.get()).map_err(|_| invalid("span context", raw)),
        None => Ok(Context::default()),
    }
}

/// Flat attributes (`{"key": value}`) as key-values with plain values; anything but an
/// object (`"[Circular]"`, `null`) is none.
pub(super) fn flat(raw: Raw<'_>) -> Result<Vec<KeyValue<'_>>, DecodeError> {
    struct Flat<'a>(Vec<KeyValue<'a>>);
    impl<'de: 'a, 'a> Deserialize<'de> for Flat<'a> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<'a>(std::marker::PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Flat<'a>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an object of attributes")
                }
                fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Flat<'a>, M::Error> {
                    let mut out = Vec::new();
                    while let Some((key, value)) = map.next_entry::<Key<'a>, &'a RawValue>()? {
                        out.push(KeyValue { key: key.0, value: Some(AttrValue::Plain(value)) });
                    }
                    Ok(Flat(out))
                }
            }
            d.deserialize_map(V(std::marker::PhantomData))
        }
    }
    match raw {
        Some(raw) if raw.get().starts_with('{') => {
            serde_json::from_str::<Flat>(raw.get()).map(|f| f.0).map_err(|_| invalid("attributes", raw))
        }
        _ => Ok(Vec::new()),
    }
}

#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// A resource: `{_rawAttributes: [[key, value], …]}` (JS SDK 2), `{_attributes: {…}}`
/// (JS SDK 1) or `{attributes: {…}}` (Copilot, VS Code spans, Python).
fn resource(raw: Raw<'_>) -> Result<Resource<'_>, DecodeError> {
    #[derive(Default, Deserialize)]
    struct Parts<'a> {
        #[serde(rename = "_rawAttributes", borrow)]
        pairs: Raw<'a>,
        #[serde(rename = "attributes", alias = "_attributes", borrow)]
        map: Raw<'a>,
    }
    let Some(raw) = present(raw).filter(|r| r.get().starts_with('{')) else { return Ok(Resource::default()) };
    let parts: Parts = serde_json::from_str(raw.get()).map_err(|_| invalid("resource", raw))?;
    let mut attributes = flat(parts.map)?;
    if let Some(pairs) = present(parts.pairs) {
        let list: Vec<&RawValue> = serde_json::from_str(pairs.get()).map_err(|_| invalid("resource", pairs))?;
        // A pair that is not `[key, value]` ("[Circular]") is left out, not the resource.
        attributes.extend(list.into_iter().filter_map(|pair| {
            let (key, value) = serde_json::from_str::<(Key, &RawValue)>(pair.get()).ok()?;
            Some(KeyValue { key: key.0, value: Some(AttrValue::Plain(value)) })
        }));
    }
    Ok(Resource { attributes })
}

fn scope(raw: Raw<'_>) -> Result<Scope<'_>, DecodeError> {
    #[derive(Default, Deserialize)]
    struct Named<'a> {
        #[serde(borrow)]
        name: Raw<'a>,
        #[serde(borrow)]
        version: Raw<'a>,
    }
    let Some(raw) = present(raw).filter(|r| r.get().starts_with('{')) else { return Ok(Scope::default()) };
    let named: Named = serde_json::from_str(raw.get()).map_err(|_| invalid("instrumentation scope", raw))?;
    Ok(Scope {
        name: string(named.name, "scope name")?.unwrap_or_default(),
        version: string(named.version, "scope version").ok().flatten().unwrap_or_default(),
    })
}

/// OTLP span kind from a JS enum number (internal = 0) or a Python name (`SpanKind.CLIENT`).
fn span_kind(raw: Raw<'_>) -> i32 {
    let Some(raw) = present(raw) else { return 0 };
    if let Ok(n) = raw.get().parse::<i32>() {
        return if (0..=4).contains(&n) { n + 1 } else { 0 };
    }
    let name = serde_json::from_str::<&str>(raw.get()).unwrap_or_default();
    match name.rsplit('.').next().unwrap_or_default() {
        "INTERNAL" => 1,
        "SERVER" => 2,
        "CLIENT" => 3,
        "PRODUCER" => 4,
        "CONSUMER" => 5,
        _ => 0,
    }
}

fn span<'a>(top: &Top<'a>) -> Result<Request<'a>, DecodeError> {
    let ctx = context(top.span_context_private.or(top.span_context).or(top.context))?;
    let parent = match present(top.parent_span_id) {
        Some(raw) => id(Some(raw), "parent span id")?,
        None => id(context(top.parent_span_context)?.span_id, "parent span id")?,
    };
    let span = Span {
        trace_id: id(ctx.trace_id.or(top.trace_id), "trace id")?,
        span_id: id(ctx.span_id.or(top.span_id), "span id")?,
        parent_span_id: parent,
        name: string(top.name, "span name")?.unwrap_or_default(),
        kind: span_kind(top.kind),
        start_time_unix_nano: time(top.start_time.or(top.start_iso), "start time")?.unwrap_or(0),
        end_time_unix_nano: time(top.end_time.or(top.end_iso), "end time")?.unwrap_or(0),
        attributes: flat(top.attributes)?,
    };
    Ok(Request::Traces(vec![ResourceSpans {
        resource: resource(top.resource)?,
        scope_spans: vec![ScopeSpans { scope: scope(top.scope)?, spans: vec![span] }],
    }]))
}

fn log<'a>(top: &Top<'a>) -> Result<Request<'a>, DecodeError> {
    let ctx = context(top.span_context.or(top.span_context_private))?;
    let record = LogRecord {
        time_unix_nano: time(top.hr_time.or(top.timestamp), "time")?.unwrap_or(0),
        observed_time_unix_nano: time(top.hr_time_observed.or(top.observed_timestamp), "observed time")?.unwrap_or(0),
        event_name: string(top.event_name.or(top.event_name_python), "event name")?.unwrap_or_default(),
        body: present(top.body).map(AttrValue::Plain),
        attributes: flat(top.attributes)?,
        trace_id: id(ctx.trace_id.or(top.trace_id), "trace id")?,
        span_id: id(ctx.span_id.or(top.span_id), "span id")?,
    };
    Ok(Request::Logs(vec![ResourceLogs {
        resource: resource(top.resource)?,
        scope_logs: vec![ScopeLogs { scope: scope(top.scope)?, log_records: vec![record] }],
    }]))
}

/// A list of records (metrics, points); absent or `null` is none.
fn list<'a, T: Deserialize<'a>>(raw: Raw<'a>) -> Result<Vec<T>, DecodeError> {
    match present(raw) {
        Some(raw) => serde_json::from_str(raw.get()).map_err(json_error),
        None => Ok(Vec::new()),
    }
}

/// A data point of the JS SDK and Copilot files.
#[derive(Deserialize)]
struct JsPoint<'a> {
    #[serde(borrow)]
    attributes: Raw<'a>,
    #[serde(rename = "startTime", borrow)]
    start_time: Raw<'a>,
    #[serde(rename = "endTime", borrow)]
    end_time: Raw<'a>,
    #[serde(borrow)]
    value: Raw<'a>,
    /// Python writes a histogram's sum and count on the point itself.
    #[serde(borrow, default)]
    sum: Raw<'a>,
    #[serde(borrow, default)]
    count: Raw<'a>,
}

/// A histogram's value, where only the sum and count matter.
#[derive(Deserialize)]
struct Distribution<'a> {
    #[serde(borrow)]
    sum: Raw<'a>,
    #[serde(borrow)]
    count: Raw<'a>,
}

/// What kind of data a metric holds, in OTLP terms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Data {
    Sum { monotonic: bool },
    Gauge,
    Histogram,
    ExponentialHistogram,
}

/// A metric's points in the views, timed with `[Circular]` times resolved: the JS SDK
/// shares one collection-time object among every point of a batch, so only its first
/// point writes it out.
struct MetricBuilder<'a> {
    last_start: u64,
    last_end: u64,
    _text: std::marker::PhantomData<&'a ()>,
}

impl<'a> MetricBuilder<'a> {
    fn new() -> Self {
        MetricBuilder { last_start: 0, last_end: 0, _text: std::marker::PhantomData }
    }

    fn times(&mut self, start: Raw<'_>, end: Raw<'_>) -> Result<(u64, u64), DecodeError> {
        if let Some(s) = time(start, "point start time")? {
            self.last_start = s;
        }
        let end = time(end, "point end time")?.unwrap_or(self.last_end.max(self.last_start));
        self.last_end = end;
        Ok((self.last_start, end))
    }

    #[allow(clippy::too_many_arguments)]
    fn metric(
        &mut self,
        name: Str<'a>,
        unit: Str<'a>,
        data: Data,
        temporality: i32,
        points: Vec<JsPoint<'a>>,
    ) -> Result<Metric<'a>, DecodeError> {
        let mut m = Metric { name, unit, ..Default::default() };
        match data {
            Data::Sum { .. } | Data::Gauge => {
                let mut out = Vec::with_capacity(points.len());
                for p in points {
                    let (start, end) = self.times(p.start_time, p.end_time)?;
                    let (as_int, as_double) = number(present(p.value));
                    out.push(NumberPoint {
                        attributes: flat(p.attributes)?,
                        start_time_unix_nano: start,
                        time_unix_nano: end,
                        as_int,
                        as_double,
                        flags: 0,
                    });
                }
                match data {
                    Data::Sum { monotonic } => {
                        m.sum = Some(Sum {
                            data_points: out,
                            aggregation_temporality: temporality,
                            is_monotonic: monotonic,
                        })
                    }
                    _ => m.gauge = Some(Gauge { data_points: out }),
                }
            }
            Data::Histogram | Data::ExponentialHistogram => {
                let mut out = Vec::with_capacity(points.len());
                for p in points {
                    let (start, end) = self.times(p.start_time, p.end_time)?;
                    let d = match present(p.value) {
                        Some(value) => {
                            serde_json::from_str(value.get()).map_err(|_| invalid("histogram value", value))?
                        }
                        None => Distribution { sum: p.sum, count: p.count },
                    };
                    out.push(HistogramPoint {
                        attributes: flat(p.attributes)?,
                        start_time_unix_nano: start,
                        time_unix_nano: end,
                        count: present(d.count).and_then(|c| c.get().parse().ok()).unwrap_or(0),
                        sum: present(d.sum).map(|s| Double::Text(s.get())),
                        flags: 0,
                    });
                }
                let h = Some(Histogram { data_points: out, aggregation_temporality: temporality });
                if data == Data::Histogram {
                    m.histogram = h;
                } else {
                    m.exponential_histogram = h;
                }
            }
        }
        Ok(m)
    }
}

/// A number point's value: an integer as such, anything else as its decimal text.
fn number(raw: Raw<'_>) -> (Option<i64>, Option<Double<'_>>) {
    match raw {
        Some(r) => match r.get().parse::<i64>() {
            Ok(n) => (Some(n), None),
            Err(_) => (None, Some(Double::Text(r.get()))),
        },
        None => (None, None),
    }
}

/// JS SDK aggregation temporality (delta 0, cumulative 1) in OTLP's numbering.
fn js_temporality(n: Option<i64>) -> i32 {
    match n {
        Some(0) => 1,
        Some(1) => 2,
        _ => 0,
    }
}

fn js_metrics<'a>(top: &Top<'a>) -> Result<Request<'a>, DecodeError> {
    #[derive(Deserialize)]
    struct JsScope<'a> {
        #[serde(borrow)]
        scope: Raw<'a>,
        #[serde(borrow, default)]
        metrics: Vec<JsMetric<'a>>,
    }
    #[derive(Deserialize)]
    struct JsMetric<'a> {
        #[serde(borrow)]
        descriptor: Descriptor<'a>,
        #[serde(rename = "aggregationTemporality")]
        temporality: Option<i64>,
        #[serde(rename = "dataPointType")]
        point_type: Option<i64>,
        #[serde(rename = "isMonotonic")]
        monotonic: Option<bool>,
        #[serde(rename = "dataPoints", borrow, default)]
        points: Vec<JsPoint<'a>>,
    }
    #[derive(Deserialize)]
    struct Descriptor<'a> {
        #[serde(borrow)]
        name: Raw<'a>,
        #[serde(borrow)]
        unit: Raw<'a>,
    }
    let scopes: Vec<JsScope> = list(top.scope_metrics)?;
    let mut builder = MetricBuilder::new();
    let mut scope_metrics = Vec::with_capacity(scopes.len());
    for s in scopes {
        let mut metrics = Vec::with_capacity(s.metrics.len());
        for m in s.metrics {
            // The JS SDK's DataPointType: histogram 0, exponential histogram 1, gauge 2, sum 3.
            let data = match m.point_type {
                Some(0) => Data::Histogram,
                Some(1) => Data::ExponentialHistogram,
                Some(2) => Data::Gauge,
                _ => Data::Sum { monotonic: m.monotonic.unwrap_or(false) },
            };
            let name = string(m.descriptor.name, "metric name")?.unwrap_or_default();
            let unit = string(m.descriptor.unit, "metric unit").ok().flatten().unwrap_or_default();
            metrics.push(builder.metric(name, unit, data, js_temporality(m.temporality), m.points)?);
        }
        scope_metrics.push(ScopeMetrics { scope: scope(s.scope)?, metrics });
    }
    Ok(Request::Metrics(vec![ResourceMetrics { resource: resource(top.resource)?, scope_metrics }]))
}

/// One Copilot CLI metric: no temporality or type is written. Its runtime exports
/// cumulative series (every point starts at the process start); a number is a counter's
/// value, an object a histogram's.
fn flat_metric<'a>(top: &Top<'a>) -> Result<Request<'a>, DecodeError> {
    let points: Vec<JsPoint> = list(top.data_points)?;
    let histogram = points.iter().any(|p| present(p.value).is_some_and(|v| v.get().starts_with('{')));
    let data = if histogram { Data::Histogram } else { Data::Sum { monotonic: true } };
    let name = string(top.name, "metric name")?.unwrap_or_default();
    let unit = string(top.unit, "metric unit").ok().flatten().unwrap_or_default();
    let metric = MetricBuilder::new().metric(name, unit, data, 2, points)?;
    Ok(Request::Metrics(vec![ResourceMetrics {
        resource: resource(top.resource)?,
        scope_metrics: vec![ScopeMetrics { scope: scope(top.scope)?, metrics: vec![metric] }],
    }]))
}

/// Python `MetricsData.to_json()`: OTLP's structure in snake case, with flat attributes
/// and the data of a metric under `data` (its kind told by its fields).
fn python_metrics<'a>(top: &Top<'a>) -> Result<Request<'a>, DecodeError> {
    #[derive(Deserialize)]
    struct PyResourceMetrics<'a> {
        #[serde(borrow)]
        resource: Raw<'a>,
        #[serde(borrow, default)]
        scope_metrics: Vec<PyScope<'a>>,
    }
    #[derive(Deserialize)]
    struct PyScope<'a> {
        #[serde(borrow)]
        scope: Raw<'a>,
        #[serde(borrow, default)]
        metrics: Vec<PyMetric<'a>>,
    }
    #[derive(Deserialize)]
    struct PyMetric<'a> {
        #[serde(borrow)]
        name: Raw<'a>,
        #[serde(borrow)]
        unit: Raw<'a>,
        #[serde(borrow)]
        data: PyData<'a>,
    }
    #[derive(Deserialize)]
    struct PyData<'a> {
        #[serde(borrow, default)]
        data_points: Vec<PyPoint<'a>>,
        aggregation_temporality: Option<i64>,
        is_monotonic: Option<bool>,
    }
    #[derive(Deserialize)]
    struct PyPoint<'a> {
        #[serde(borrow)]
        attributes: Raw<'a>,
        #[serde(borrow)]
        start_time_unix_nano: Raw<'a>,
        #[serde(borrow)]
        time_unix_nano: Raw<'a>,
        #[serde(borrow)]
        value: Raw<'a>,
        #[serde(borrow)]
        sum: Raw<'a>,
        #[serde(borrow)]
        count: Raw<'a>,
        #[serde(borrow)]
        scale: Raw<'a>,
    }
    let resources: Vec<PyResourceMetrics> = list(top.resource_metrics)?;
    let mut out = Vec::with_capacity(resources.len());
    let mut builder = MetricBuilder::new();
    for r in resources {
        let mut scope_metrics = Vec::new();
        for s in r.scope_metrics {
            let mut metrics = Vec::new();
            for m in s.metrics {
                let first = m.data.data_points.first();
                let data = match (first.map(|p| (p.count.is_some(), p.scale.is_some())), m.data.is_monotonic) {
                    (Some((true, true)), _) => Data::ExponentialHistogram,
                    (Some((true, false)), _) => Data::Histogram,
                    (_, Some(monotonic)) => Data::Sum { monotonic },
                    _ => Data::Gauge,
                };
                // Python's temporality numbers are OTLP's (delta 1, cumulative 2).
                let temporality = m.data.aggregation_temporality.and_then(|t| i32::try_from(t).ok()).unwrap_or(0);
                let points = m
                    .data
                    .data_points
                    .into_iter()
                    .map(|p| JsPoint {
                        attributes: p.attributes,
                        start_time: p.start_time_unix_nano,
                        end_time: p.time_unix_nano,
                        value: p.value,
                        sum: p.sum,
                        count: p.count,
                    })
                    .collect();
                let name = string(m.name, "metric name")?.unwrap_or_default();
                let unit = string(m.unit, "metric unit").ok().flatten().unwrap_or_default();
                metrics.push(builder.metric(name, unit, data, temporality, points)?);
            }
            scope_metrics.push(ScopeMetrics { scope: scope(s.scope)?, metrics });
        }
        out.push(ResourceMetrics { resource: resource(r.resource)?, scope_metrics });
    }
    Ok(Request::Metrics(out))
}

//! Protobuf messages (the prost types) written as OTLP/JSON, the way the Collector's file
//! exporter writes them: one compact object, lowerCamelCase names, fields in field-number
//! order, fields at their default value left out (a message field that is present is
//! written, even empty), trace and span ids as lowercase hex, 64-bit integers as decimal
//! strings, enums as integers, other bytes as base64, NaN and infinities as strings.

use super::{SPAN_ID, TRACE_ID};
use base64::Engine;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, EntityRef, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use std::io::Write;

/// Writes JSON into `out`, remembering the first thing OTLP/JSON cannot say.
pub struct Writer<'o> {
    out: &'o mut Vec<u8>,
    problem: Option<String>,
}

impl<'o> Writer<'o> {
    pub fn new(out: &'o mut Vec<u8>) -> Self {
        Writer { out, problem: None }
    }

    /// What was written is valid OTLP/JSON, or why not.
    pub fn finish(self) -> Result<(), String> {
        self.problem.map_or(Ok(()), Err)
    }

    fn object(&mut self) -> Object<'_, 'o> {
        self.out.push(b'{');
        Object { w: self, empty: true }
    }

    fn string(&mut self, s: &str) {
        serde_json::to_writer(&mut *self.out, s).expect("writing JSON into memory");
    }

    fn double(&mut self, v: f64) {
        match v {
            _ if v.is_nan() => self.out.extend_from_slice(b"\"NaN\""),
            f64::INFINITY => self.out.extend_from_slice(b"\"Infinity\""),
            f64::NEG_INFINITY => self.out.extend_from_slice(b"\"-Infinity\""),
            // The shortest text that reads back as the same bits.
            _ => serde_json::to_writer(&mut *self.out, &v).expect("writing JSON into memory"),
        }
    }

    fn quoted(&mut self, v: impl std::fmt::Display) {
        write!(self.out, "\"{v}\"").expect("writing JSON into memory");
    }

    fn number(&mut self, v: impl std::fmt::Display) {
        write!(self.out, "{v}").expect("writing JSON into memory");
    }

    fn list<T>(&mut self, items: &[T], item: fn(&mut Writer<'o>, &T)) {
        self.out.push(b'[');
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            item(self, x);
        }
        self.out.push(b']');
    }

    pub fn traces(&mut self, r: &ExportTraceServiceRequest) {
        let mut o = self.object();
        // Always written, even empty: the key is what tells a reader the signal.
        o.key("resourceSpans").list(&r.resource_spans, resource_spans);
        o.end();
    }

    pub fn metrics(&mut self, r: &ExportMetricsServiceRequest) {
        let mut o = self.object();
        o.key("resourceMetrics").list(&r.resource_metrics, resource_metrics);
        o.end();
    }

    pub fn logs(&mut self, r: &ExportLogsServiceRequest) {
        let mut o = self.object();
        o.key("resourceLogs").list(&r.resource_logs, resource_logs);
        o.end();
    }
}

/// One JSON object being written: each method writes a field unless it has its default value.
struct Object<'w, 'o> {
    w: &'w mut Writer<'o>,
    empty: bool,
}

impl<'o> Object<'_, 'o> {
    fn key(&mut self, name: &str) -> &mut Writer<'o> {
        if !self.empty {
            self.w.out.push(b',');
        }
        self.empty = false;
        self.w.out.push(b'"');
        self.w.out.extend_from_slice(name.as_bytes());
        self.w.out.extend_from_slice(b"\":");
        self.w
    }

    fn string(&mut self, name: &str, v: &str) {
        if !v.is_empty() {
            self.key(name).string(v);
        }
    }

    fn strings(&mut self, name: &str, v: &[String]) {
        if !v.is_empty() {
            self.key(name).list(v, |w, s| w.string(s));
        }
    }

    /// int32, sint32, uint32, fixed32 and enums: JSON numbers.
    fn int32(&mut self, name: &str, v: impl Into<i64>) {
        let v = v.into();
        if v != 0 {
            self.key(name).number(v);
        }
    }

    /// 64-bit integers: decimal strings (JSON numbers lose precision past 2^53).
    fn uint64(&mut self, name: &str, v: u64) {
        if v != 0 {
            self.key(name).quoted(v);
        }
    }

    fn uint64s(&mut self, name: &str, v: &[u64]) {
        if !v.is_empty() {
            self.key(name).list(v, |w, n| w.quoted(n));
        }
    }

    fn bool(&mut self, name: &str, v: bool) {
        if v {
            self.key(name).out.extend_from_slice(b"true");
        }
    }

    fn double(&mut self, name: &str, v: f64) {
        if v != 0.0 {
            self.key(name).double(v);
        }
    }

    /// A `optional double`: written whenever present, zero included.
    fn optional_double(&mut self, name: &str, v: Option<f64>) {
        if let Some(v) = v {
            self.key(name).double(v);
        }
    }

    fn doubles(&mut self, name: &str, v: &[f64]) {
        if !v.is_empty() {
            self.key(name).list(v, |w, d| w.double(*d));
        }
    }

    fn id(&mut self, name: &str, bytes: &[u8], size: usize) {
        if bytes.is_empty() {
            return;
        }
        if bytes.len() != size && self.w.problem.is_none() {
            self.w.problem = Some(format!("{name} is {} bytes, not {size}", bytes.len()));
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let w = self.key(name);
        w.out.push(b'"');
        for b in bytes {
            w.out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        w.out.push(b'"');
    }

    fn list<T>(&mut self, name: &str, items: &[T], item: fn(&mut Writer<'o>, &T)) {
        if !items.is_empty() {
            self.key(name).list(items, item);
        }
    }

    fn message<T>(&mut self, name: &str, v: Option<&T>, write: fn(&mut Writer<'o>, &T)) {
        if let Some(v) = v {
            write(self.key(name), v);
        }
    }

    fn end(self) {
        self.w.out.push(b'}');
    }
}

fn resource(w: &mut Writer, r: &Resource) {
    let mut o = w.object();
    o.list("attributes", &r.attributes, key_value);
    o.int32("droppedAttributesCount", r.dropped_attributes_count);
    o.list("entityRefs", &r.entity_refs, entity_ref);
    o.end();
}

fn entity_ref(w: &mut Writer, e: &EntityRef) {
    let mut o = w.object();
    o.string("schemaUrl", &e.schema_url);
    o.string("type", &e.r#type);
    o.strings("idKeys", &e.id_keys);
    o.strings("descriptionKeys", &e.description_keys);
    o.end();
}

fn scope(w: &mut Writer, s: &InstrumentationScope) {
    let mut o = w.object();
    o.string("name", &s.name);
    o.string("version", &s.version);
    o.list("attributes", &s.attributes, key_value);
    o.int32("droppedAttributesCount", s.dropped_attributes_count);
    o.end();
}

fn key_value(w: &mut Writer, kv: &KeyValue) {
    let mut o = w.object();
    o.string("key", &kv.key);
    o.message("value", kv.value.as_ref(), any_value);
    o.int32("keyStrindex", kv.key_strindex);
    o.end();
}

fn any_value(w: &mut Writer, v: &AnyValue) {
    use any_value::Value;
    let mut o = w.object();
    // The member of a oneof that is set is written even at its default value.
    match &v.value {
        None => {}
        Some(Value::StringValue(s)) => o.key("stringValue").string(s),
        Some(Value::BoolValue(b)) => o.key("boolValue").number(b),
        Some(Value::IntValue(i)) => o.key("intValue").quoted(i),
        Some(Value::DoubleValue(d)) => o.key("doubleValue").double(*d),
        Some(Value::ArrayValue(a)) => {
            let mut array = o.key("arrayValue").object();
            array.list("values", &a.values, any_value);
            array.end();
        }
        Some(Value::KvlistValue(kv)) => {
            let mut list = o.key("kvlistValue").object();
            list.list("values", &kv.values, key_value);
            list.end();
        }
        Some(Value::BytesValue(b)) => o.key("bytesValue").string(&base64::engine::general_purpose::STANDARD.encode(b)),
        Some(Value::StringValueStrindex(i)) => o.key("stringValueStrindex").number(i),
    }
    o.end();
}

// ---- traces

fn resource_spans(w: &mut Writer, r: &ResourceSpans) {
    let mut o = w.object();
    o.message("resource", r.resource.as_ref(), resource);
    o.list("scopeSpans", &r.scope_spans, scope_spans);
    o.string("schemaUrl", &r.schema_url);
    o.end();
}

fn scope_spans(w: &mut Writer, s: &ScopeSpans) {
    let mut o = w.object();
    o.message("scope", s.scope.as_ref(), scope);
    o.list("spans", &s.spans, span);
    o.string("schemaUrl", &s.schema_url);
    o.end();
}

fn span(w: &mut Writer, s: &Span) {
    let mut o = w.object();
    o.id("traceId", &s.trace_id, TRACE_ID);
    o.id("spanId", &s.span_id, SPAN_ID);
    o.string("traceState", &s.trace_state);
    o.id("parentSpanId", &s.parent_span_id, SPAN_ID);
    o.string("name", &s.name);
    o.int32("kind", s.kind);
    o.uint64("startTimeUnixNano", s.start_time_unix_nano);
    o.uint64("endTimeUnixNano", s.end_time_unix_nano);
    o.list("attributes", &s.attributes, key_value);
    o.int32("droppedAttributesCount", s.dropped_attributes_count);
    o.list("events", &s.events, event);
    o.int32("droppedEventsCount", s.dropped_events_count);
    o.list("links", &s.links, link);
    o.int32("droppedLinksCount", s.dropped_links_count);
    o.message("status", s.status.as_ref(), status);
    o.int32("flags", s.flags);
    o.end();
}

fn event(w: &mut Writer, e: &span::Event) {
    let mut o = w.object();
    o.uint64("timeUnixNano", e.time_unix_nano);
    o.string("name", &e.name);
    o.list("attributes", &e.attributes, key_value);
    o.int32("droppedAttributesCount", e.dropped_attributes_count);
    o.end();
}

fn link(w: &mut Writer, l: &span::Link) {
    let mut o = w.object();
    o.id("traceId", &l.trace_id, TRACE_ID);
    o.id("spanId", &l.span_id, SPAN_ID);
    o.string("traceState", &l.trace_state);
    o.list("attributes", &l.attributes, key_value);
    o.int32("droppedAttributesCount", l.dropped_attributes_count);
    o.int32("flags", l.flags);
    o.end();
}

fn status(w: &mut Writer, s: &Status) {
    let mut o = w.object();
    o.string("message", &s.message);
    o.int32("code", s.code);
    o.end();
}

// ---- metrics

fn resource_metrics(w: &mut Writer, r: &ResourceMetrics) {
    let mut o = w.object();
    o.message("resource", r.resource.as_ref(), resource);
    o.list("scopeMetrics", &r.scope_metrics, scope_metrics);
    o.string("schemaUrl", &r.schema_url);
    o.end();
}

fn scope_metrics(w: &mut Writer, s: &ScopeMetrics) {
    let mut o = w.object();
    o.message("scope", s.scope.as_ref(), scope);
    o.list("metrics", &s.metrics, metric);
    o.string("schemaUrl", &s.schema_url);
    o.end();
}

fn metric(w: &mut Writer, m: &Metric) {
    use metric::Data;
    let mut o = w.object();
    o.string("name", &m.name);
    o.string("description", &m.description);
    o.string("unit", &m.unit);
    match &m.data {
        None => {}
        Some(Data::Gauge(g)) => o.message("gauge", Some(g), gauge),
        Some(Data::Sum(s)) => o.message("sum", Some(s), sum),
        Some(Data::Histogram(h)) => o.message("histogram", Some(h), histogram),
        Some(Data::ExponentialHistogram(h)) => o.message("exponentialHistogram", Some(h), exponential_histogram),
        Some(Data::Summary(s)) => o.message("summary", Some(s), summary),
    }
    o.list("metadata", &m.metadata, key_value);
    o.end();
}

fn gauge(w: &mut Writer, g: &Gauge) {
    let mut o = w.object();
    o.list("dataPoints", &g.data_points, number_point);
    o.end();
}

fn sum(w: &mut Writer, s: &Sum) {
    let mut o = w.object();
    o.list("dataPoints", &s.data_points, number_point);
    o.int32("aggregationTemporality", s.aggregation_temporality);
    o.bool("isMonotonic", s.is_monotonic);
    o.end();
}

fn histogram(w: &mut Writer, h: &Histogram) {
    let mut o = w.object();
    o.list("dataPoints", &h.data_points, histogram_point);
    o.int32("aggregationTemporality", h.aggregation_temporality);
    o.end();
}

fn exponential_histogram(w: &mut Writer, h: &ExponentialHistogram) {
    let mut o = w.object();
    o.list("dataPoints", &h.data_points, exponential_point);
    o.int32("aggregationTemporality", h.aggregation_temporality);
    o.end();
}

fn summary(w: &mut Writer, s: &Summary) {
    let mut o = w.object();
    o.list("dataPoints", &s.data_points, summary_point);
    o.end();
}

fn number_point(w: &mut Writer, p: &NumberDataPoint) {
    use number_data_point::Value;
    let mut o = w.object();
    o.uint64("startTimeUnixNano", p.start_time_unix_nano);
    o.uint64("timeUnixNano", p.time_unix_nano);
    if let Some(Value::AsDouble(d)) = p.value {
        o.key("asDouble").double(d);
    }
    o.list("exemplars", &p.exemplars, exemplar);
    if let Some(Value::AsInt(i)) = p.value {
        o.key("asInt").quoted(i);
    }
    o.list("attributes", &p.attributes, key_value);
    o.int32("flags", p.flags);
    o.end();
}

fn histogram_point(w: &mut Writer, p: &HistogramDataPoint) {
    let mut o = w.object();
    o.uint64("startTimeUnixNano", p.start_time_unix_nano);
    o.uint64("timeUnixNano", p.time_unix_nano);
    o.uint64("count", p.count);
    o.optional_double("sum", p.sum);
    o.uint64s("bucketCounts", &p.bucket_counts);
    o.doubles("explicitBounds", &p.explicit_bounds);
    o.list("exemplars", &p.exemplars, exemplar);
    o.list("attributes", &p.attributes, key_value);
    o.int32("flags", p.flags);
    o.optional_double("min", p.min);
    o.optional_double("max", p.max);
    o.end();
}

fn exponential_point(w: &mut Writer, p: &ExponentialHistogramDataPoint) {
    let mut o = w.object();
    o.list("attributes", &p.attributes, key_value);
    o.uint64("startTimeUnixNano", p.start_time_unix_nano);
    o.uint64("timeUnixNano", p.time_unix_nano);
    o.uint64("count", p.count);
    o.optional_double("sum", p.sum);
    o.int32("scale", p.scale);
    o.uint64("zeroCount", p.zero_count);
    o.message("positive", p.positive.as_ref(), buckets);
    o.message("negative", p.negative.as_ref(), buckets);
    o.int32("flags", p.flags);
    o.list("exemplars", &p.exemplars, exemplar);
    o.optional_double("min", p.min);
    o.optional_double("max", p.max);
    o.double("zeroThreshold", p.zero_threshold);
    o.end();
}

fn buckets(w: &mut Writer, b: &Buckets) {
    let mut o = w.object();
    o.int32("offset", b.offset);
    o.uint64s("bucketCounts", &b.bucket_counts);
    o.end();
}

fn summary_point(w: &mut Writer, p: &SummaryDataPoint) {
    let mut o = w.object();
    o.uint64("startTimeUnixNano", p.start_time_unix_nano);
    o.uint64("timeUnixNano", p.time_unix_nano);
    o.uint64("count", p.count);
    o.double("sum", p.sum);
    o.list("quantileValues", &p.quantile_values, quantile);
    o.list("attributes", &p.attributes, key_value);
    o.int32("flags", p.flags);
    o.end();
}

fn quantile(w: &mut Writer, q: &ValueAtQuantile) {
    let mut o = w.object();
    o.double("quantile", q.quantile);
    o.double("value", q.value);
    o.end();
}

fn exemplar(w: &mut Writer, e: &Exemplar) {
    use exemplar::Value;
    let mut o = w.object();
    o.uint64("timeUnixNano", e.time_unix_nano);
    if let Some(Value::AsDouble(d)) = e.value {
        o.key("asDouble").double(d);
    }
    o.id("spanId", &e.span_id, SPAN_ID);
    o.id("traceId", &e.trace_id, TRACE_ID);
    if let Some(Value::AsInt(i)) = e.value {
        o.key("asInt").quoted(i);
    }
    o.list("filteredAttributes", &e.filtered_attributes, key_value);
    o.end();
}

// ---- logs

fn resource_logs(w: &mut Writer, r: &ResourceLogs) {
    let mut o = w.object();
    o.message("resource", r.resource.as_ref(), resource);
    o.list("scopeLogs", &r.scope_logs, scope_logs);
    o.string("schemaUrl", &r.schema_url);
    o.end();
}

fn scope_logs(w: &mut Writer, s: &ScopeLogs) {
    let mut o = w.object();
    o.message("scope", s.scope.as_ref(), scope);
    o.list("logRecords", &s.log_records, log_record);
    o.string("schemaUrl", &s.schema_url);
    o.end();
}

fn log_record(w: &mut Writer, l: &LogRecord) {
    let mut o = w.object();
    o.uint64("timeUnixNano", l.time_unix_nano);
    o.int32("severityNumber", l.severity_number);
    o.string("severityText", &l.severity_text);
    o.message("body", l.body.as_ref(), any_value);
    o.list("attributes", &l.attributes, key_value);
    o.int32("droppedAttributesCount", l.dropped_attributes_count);
    o.int32("flags", l.flags);
    o.id("traceId", &l.trace_id, TRACE_ID);
    o.id("spanId", &l.span_id, SPAN_ID);
    o.uint64("observedTimeUnixNano", l.observed_time_unix_nano);
    o.string("eventName", &l.event_name);
    o.end();
}

//! OTLP/JSON read into the protobuf messages (the prost types), by the protobuf JSON
//! mapping with the OTLP exceptions: ids are hex, enums are integers (names are taken too),
//! 64-bit integers are strings or numbers, absent and `null` fields are defaults, unknown
//! fields are ignored. It also takes what `decode::json` takes, so that a request the
//! live session counted reads the same once converted: the pre-1.0 names
//! `instrumentationLibrary*` and the snake_case top-level key. Anything else it cannot
//! represent exactly is an error (and the request is then saved as it came).

use super::{SPAN_ID, TRACE_ID};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric, number_data_point,
    summary_data_point::ValueAtQuantile, AggregationTemporality, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, status::StatusCode, ResourceSpans, ScopeSpans, Span, Status};
use serde_json::{Map, Value};

type Result<T> = std::result::Result<T, String>;

pub fn traces(v: &Value) -> Result<ExportTraceServiceRequest> {
    let f = Fields::of(v)?;
    let resource_spans = f.list(&["resourceSpans", "resource_spans"], resource_spans).map_err(top)?;
    Ok(ExportTraceServiceRequest { resource_spans })
}

pub fn metrics(v: &Value) -> Result<ExportMetricsServiceRequest> {
    let f = Fields::of(v)?;
    let resource_metrics = f.list(&["resourceMetrics", "resource_metrics"], resource_metrics).map_err(top)?;
    Ok(ExportMetricsServiceRequest { resource_metrics })
}

pub fn logs(v: &Value) -> Result<ExportLogsServiceRequest> {
    let f = Fields::of(v)?;
    let resource_logs = f.list(&["resourceLogs", "resource_logs"], resource_logs).map_err(top)?;
    Ok(ExportLogsServiceRequest { resource_logs })
}

// Errors carry the path to the bad value, built inside out: `.spans[0].traceId: not hex`.

/// An error inside field `name`.
fn nest(name: &str, e: String) -> String {
    if e.starts_with(['.', '[']) {
        format!(".{name}{e}")
    } else {
        format!(".{name}: {e}")
    }
}

/// An error inside item `i` of a list.
fn nest_item(i: usize, e: String) -> String {
    if e.starts_with(['.', '[']) {
        format!("[{i}]{e}")
    } else {
        format!("[{i}]: {e}")
    }
}

/// The error as shown: `resourceSpans[0].scopeSpans[0].spans[0].traceId: not hex`.
fn top(e: String) -> String {
    e.strip_prefix('.').map(str::to_string).unwrap_or(e)
}

/// The fields of one JSON object, read as a protobuf message's. Each reader takes the
/// field's names (the first is the OTLP/JSON one, the others old aliases).
struct Fields<'v>(&'v Map<String, Value>);

impl<'v> Fields<'v> {
    fn of(v: &'v Value) -> Result<Self> {
        v.as_object().map(Fields).ok_or_else(|| format!("expected an object, found {}", kind(v)))
    }

    /// The field's value; absent and `null` are the same (the default).
    fn get<'n>(&self, names: &[&'n str]) -> Option<(&'v Value, &'n str)> {
        names.iter().find_map(|n| self.0.get(*n).filter(|v| !v.is_null()).map(|v| (v, *n)))
    }

    fn read<T: Default>(&self, names: &[&str], read: impl FnOnce(&'v Value) -> Result<T>) -> Result<T> {
        match self.get(names) {
            None => Ok(T::default()),
            Some((v, name)) => read(v).map_err(|e| nest(name, e)),
        }
    }

    fn string(&self, name: &str) -> Result<String> {
        self.read(&[name], |v| v.as_str().map(str::to_string).ok_or_else(|| expected("a string", v)))
    }

    fn strings(&self, name: &str) -> Result<Vec<String>> {
        self.list(&[name], |v| v.as_str().map(str::to_string).ok_or_else(|| expected("a string", v)))
    }

    fn bool(&self, name: &str) -> Result<bool> {
        self.read(&[name], |v| v.as_bool().ok_or_else(|| expected("true or false", v)))
    }

    fn u32(&self, name: &str) -> Result<u32> {
        self.read(&[name], |v| integer(v)?.try_into().map_err(|_| expected("a 32-bit unsigned integer", v)))
    }

    fn i32(&self, name: &str) -> Result<i32> {
        self.read(&[name], |v| integer(v)?.try_into().map_err(|_| expected("a 32-bit integer", v)))
    }

    fn u64(&self, name: &str) -> Result<u64> {
        self.read(&[name], uint64)
    }

    fn u64s(&self, name: &str) -> Result<Vec<u64>> {
        self.list(&[name], uint64)
    }

    /// An enum: its number, or its name as protobuf's JSON mapping also allows.
    fn enumeration(&self, name: &str, by_name: fn(&str) -> Option<i32>) -> Result<i32> {
        self.read(&[name], |v| match v.as_str() {
            Some(text) if text.parse::<i32>().is_err() => {
                by_name(text).ok_or_else(|| format!("unknown enum value {text:?}"))
            }
            _ => integer(v)?.try_into().map_err(|_| expected("an enum number", v)),
        })
    }

    fn f64(&self, name: &str) -> Result<f64> {
        self.read(&[name], double)
    }

    fn optional_f64(&self, name: &str) -> Result<Option<f64>> {
        self.read(&[name], |v| double(v).map(Some))
    }

    fn f64s(&self, name: &str) -> Result<Vec<f64>> {
        self.list(&[name], double)
    }

    /// A trace or span id: hex of exactly `size` bytes, or empty for none.
    fn id(&self, name: &str, size: usize) -> Result<Vec<u8>> {
        self.read(&[name], |v| {
            let text = v.as_str().ok_or_else(|| expected("a hex string", v))?;
            let bytes = hex(text).ok_or_else(|| format!("not hex: {text:?}"))?;
            match bytes.len() {
                0 => Ok(bytes),
                n if n == size => Ok(bytes),
                n => Err(format!("{n} bytes, not {size}")),
            }
        })
    }

    fn list<T>(&self, names: &[&str], item: impl Fn(&'v Value) -> Result<T>) -> Result<Vec<T>> {
        self.read(names, |v| {
            let items = v.as_array().ok_or_else(|| expected("an array", v))?;
            items.iter().enumerate().map(|(i, x)| item(x).map_err(|e| nest_item(i, e))).collect()
        })
    }

    fn message<T>(&self, names: &[&str], read: impl FnOnce(&'v Value) -> Result<T>) -> Result<Option<T>> {
        self.read(names, |v| read(v).map(Some))
    }

    /// Which of a oneof's members is set: at most one may be.
    fn one_of(&self, names: &[&'static str]) -> Result<Option<(&'static str, &'v Value)>> {
        let mut set = names.iter().filter_map(|n| self.get(&[n]).map(|(v, _)| (*n, v)));
        match (set.next(), set.next()) {
            (Some((a, _)), Some((b, _))) => Err(format!("both {a} and {b} are set (one of them may be)")),
            (found, _) => Ok(found),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(what: &str, v: &Value) -> String {
    match v {
        Value::Number(_) | Value::String(_) | Value::Bool(_) => format!("expected {what}, found {v}"),
        _ => format!("expected {what}, found {}", kind(v)),
    }
}

/// An integer from a JSON number or a decimal string (how 64-bit values are written).
fn integer(v: &Value) -> Result<i128> {
    let parsed = match v {
        Value::Number(n) => n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| expected("an integer", v))
}

fn uint64(v: &Value) -> Result<u64> {
    integer(v)?.try_into().map_err(|_| expected("a 64-bit unsigned integer", v))
}

fn int64(v: &Value) -> Result<i64> {
    integer(v)?.try_into().map_err(|_| expected("a 64-bit integer", v))
}

/// A double from a JSON number, or a string: "NaN", "Infinity", "-Infinity" or a number.
fn double(v: &Value) -> Result<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            text => text.parse().ok().filter(|d: &f64| d.is_finite()),
        },
        _ => None,
    }
    .ok_or_else(|| expected("a number", v))
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes().chunks_exact(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

/// Base64 as protobuf's JSON mapping reads it: standard or URL-safe, padded or not.
fn base64(text: &str) -> Result<Vec<u8>> {
    let config = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if text.contains(['-', '_']) { &alphabet::URL_SAFE } else { &alphabet::STANDARD };
    GeneralPurpose::new(alphabet, config).decode(text).map_err(|e| format!("not base64: {e}"))
}

fn resource(v: &Value) -> Result<Resource> {
    let f = Fields::of(v)?;
    Ok(Resource {
        attributes: f.list(&["attributes"], key_value)?,
        dropped_attributes_count: f.u32("droppedAttributesCount")?,
        entity_refs: f.list(&["entityRefs"], entity_ref)?,
    })
}

fn entity_ref(v: &Value) -> Result<EntityRef> {
    let f = Fields::of(v)?;
    Ok(EntityRef {
        schema_url: f.string("schemaUrl")?,
        r#type: f.string("type")?,
        id_keys: f.strings("idKeys")?,
        description_keys: f.strings("descriptionKeys")?,
    })
}

fn scope(v: &Value) -> Result<InstrumentationScope> {
    let f = Fields::of(v)?;
    Ok(InstrumentationScope {
        name: f.string("name")?,
        version: f.string("version")?,
        attributes: f.list(&["attributes"], key_value)?,
        dropped_attributes_count: f.u32("droppedAttributesCount")?,
    })
}

fn key_value(v: &Value) -> Result<KeyValue> {
    let f = Fields::of(v)?;
    Ok(KeyValue {
        key: f.string("key")?,
        value: f.message(&["value"], any_value)?,
        key_strindex: f.i32("keyStrindex")?,
    })
}

fn any_value(v: &Value) -> Result<AnyValue> {
    use any_value::Value as V;
    const MEMBERS: [&str; 8] = [
        "stringValue",
        "boolValue",
        "intValue",
        "doubleValue",
        "arrayValue",
        "kvlistValue",
        "bytesValue",
        "stringValueStrindex",
    ];
    let f = Fields::of(v)?;
    let Some((name, member)) = f.one_of(&MEMBERS)? else { return Ok(AnyValue { value: None }) };
    let value = match name {
        "stringValue" => {
            member.as_str().map(|s| V::StringValue(s.to_string())).ok_or_else(|| expected("a string", member))
        }
        "boolValue" => member.as_bool().map(V::BoolValue).ok_or_else(|| expected("true or false", member)),
        "intValue" => int64(member).map(V::IntValue),
        "doubleValue" => double(member).map(V::DoubleValue),
        "arrayValue" => Fields::of(member)
            .and_then(|a| a.list(&["values"], any_value))
            .map(|values| V::ArrayValue(ArrayValue { values })),
        "kvlistValue" => Fields::of(member)
            .and_then(|l| l.list(&["values"], key_value))
            .map(|values| V::KvlistValue(KeyValueList { values })),
        "bytesValue" => {
            member.as_str().ok_or_else(|| expected("a base64 string", member)).and_then(base64).map(V::BytesValue)
        }
        _ => integer(member)
            .and_then(|i| i.try_into().map_err(|_| expected("a 32-bit integer", member)))
            .map(V::StringValueStrindex),
    };
    value.map(|value| AnyValue { value: Some(value) }).map_err(|e| nest(name, e))
}

// ---- traces

fn resource_spans(v: &Value) -> Result<ResourceSpans> {
    let f = Fields::of(v)?;
    Ok(ResourceSpans {
        resource: f.message(&["resource"], resource)?,
        scope_spans: f.list(&["scopeSpans", "instrumentationLibrarySpans"], scope_spans)?,
        schema_url: f.string("schemaUrl")?,
    })
}

fn scope_spans(v: &Value) -> Result<ScopeSpans> {
    let f = Fields::of(v)?;
    Ok(ScopeSpans {
        scope: f.message(&["scope", "instrumentationLibrary"], scope)?,
        spans: f.list(&["spans"], span)?,
        schema_url: f.string("schemaUrl")?,
    })
}

fn span(v: &Value) -> Result<Span> {
    let f = Fields::of(v)?;
    Ok(Span {
        trace_id: f.id("traceId", TRACE_ID)?,
        span_id: f.id("spanId", SPAN_ID)?,
        trace_state: f.string("traceState")?,
        parent_span_id: f.id("parentSpanId", SPAN_ID)?,
        flags: f.u32("flags")?,
        name: f.string("name")?,
        kind: f.enumeration("kind", |n| span::SpanKind::from_str_name(n).map(|k| k as i32))?,
        start_time_unix_nano: f.u64("startTimeUnixNano")?,
        end_time_unix_nano: f.u64("endTimeUnixNano")?,
        attributes: f.list(&["attributes"], key_value)?,
        dropped_attributes_count: f.u32("droppedAttributesCount")?,
        events: f.list(&["events"], event)?,
        dropped_events_count: f.u32("droppedEventsCount")?,
        links: f.list(&["links"], link)?,
        dropped_links_count: f.u32("droppedLinksCount")?,
        status: f.message(&["status"], status)?,
    })
}

fn event(v: &Value) -> Result<span::Event> {
    let f = Fields::of(v)?;
    Ok(span::Event {
        time_unix_nano: f.u64("timeUnixNano")?,
        name: f.string("name")?,
        attributes: f.list(&["attributes"], key_value)?,
        dropped_attributes_count: f.u32("droppedAttributesCount")?,
    })
}

fn link(v: &Value) -> Result<span::Link> {
    let f = Fields::of(v)?;
    Ok(span::Link {
        trace_id: f.id("traceId", TRACE_ID)?,
        span_id: f.id("spanId", SPAN_ID)?,
        trace_state: f.string("traceState")?,
        attributes: f.list(&["attributes"], key_value)?,
        dropped_attributes_count: f.u32("droppedAttributesCount")?,
        flags: f.u32("flags")?,
    })
}

fn status(v: &Value) -> Result<Status> {
    let f = Fields::of(v)?;
    Ok(Status {
        message: f.string("message")?,
        code: f.enumeration("code", |n| StatusCode::from_str_name(n).map(|c| c as i32))?,
    })
}

// ---- metrics

fn resource_metrics(v: &Value) -> Result<ResourceMetrics> {
    let f = Fields::of(v)?;
    Ok(ResourceMetrics {
        resource: f.message(&["resource"], resource)?,
        scope_metrics: f.list(&["scopeMetrics", "instrumentationLibraryMetrics"], scope_metrics)?,
        schema_url: f.string("schemaUrl")?,
    })
}

fn scope_metrics(v: &Value) -> Result<ScopeMetrics> {
    let f = Fields::of(v)?;
    Ok(ScopeMetrics {
        scope: f.message(&["scope", "instrumentationLibrary"], scope)?,
        metrics: f.list(&["metrics"], metric)?,
        schema_url: f.string("schemaUrl")?,
    })
}

fn metric(v: &Value) -> Result<Metric> {
    use metric::Data;
    const DATA: [&str; 5] = ["gauge", "sum", "histogram", "exponentialHistogram", "summary"];
    let f = Fields::of(v)?;
    let data = match f.one_of(&DATA)? {
        None => None,
        Some((name, data)) => Some(
            match name {
                "gauge" => gauge(data).map(Data::Gauge),
                "sum" => sum(data).map(Data::Sum),
                "histogram" => histogram(data).map(Data::Histogram),
                "exponentialHistogram" => exponential_histogram(data).map(Data::ExponentialHistogram),
                _ => summary(data).map(Data::Summary),
            }
            .map_err(|e| nest(name, e))?,
        ),
    };
    Ok(Metric {
        name: f.string("name")?,
        description: f.string("description")?,
        unit: f.string("unit")?,
        metadata: f.list(&["metadata"], key_value)?,
        data,
    })
}

fn temporality(f: &Fields) -> Result<i32> {
    f.enumeration("aggregationTemporality", |n| AggregationTemporality::from_str_name(n).map(|t| t as i32))
}

fn gauge(v: &Value) -> Result<Gauge> {
    Ok(Gauge { data_points: Fields::of(v)?.list(&["dataPoints"], number_point)? })
}

fn sum(v: &Value) -> Result<Sum> {
    let f = Fields::of(v)?;
    Ok(Sum {
        data_points: f.list(&["dataPoints"], number_point)?,
        aggregation_temporality: temporality(&f)?,
        is_monotonic: f.bool("isMonotonic")?,
    })
}

fn histogram(v: &Value) -> Result<Histogram> {
    let f = Fields::of(v)?;
    Ok(Histogram { data_points: f.list(&["dataPoints"], histogram_point)?, aggregation_temporality: temporality(&f)? })
}

fn exponential_histogram(v: &Value) -> Result<ExponentialHistogram> {
    let f = Fields::of(v)?;
    Ok(ExponentialHistogram {
        data_points: f.list(&["dataPoints"], exponential_point)?,
        aggregation_temporality: temporality(&f)?,
    })
}

fn summary(v: &Value) -> Result<Summary> {
    Ok(Summary { data_points: Fields::of(v)?.list(&["dataPoints"], summary_point)? })
}

fn number_point(v: &Value) -> Result<NumberDataPoint> {
    use number_data_point::Value as V;
    let f = Fields::of(v)?;
    Ok(NumberDataPoint {
        value: number(&f, V::AsDouble, V::AsInt)?,
        attributes: f.list(&["attributes"], key_value)?,
        start_time_unix_nano: f.u64("startTimeUnixNano")?,
        time_unix_nano: f.u64("timeUnixNano")?,
        exemplars: f.list(&["exemplars"], exemplar)?,
        flags: f.u32("flags")?,
    })
}

fn histogram_point(v: &Value) -> Result<HistogramDataPoint> {
    let f = Fields::of(v)?;
    Ok(HistogramDataPoint {
        attributes: f.list(&["attributes"], key_value)?,
        start_time_unix_nano: f.u64("startTimeUnixNano")?,
        time_unix_nano: f.u64("timeUnixNano")?,
        count: f.u64("count")?,
        sum: f.optional_f64("sum")?,
        bucket_counts: f.u64s("bucketCounts")?,
        explicit_bounds: f.f64s("explicitBounds")?,
        exemplars: f.list(&["exemplars"], exemplar)?,
        flags: f.u32("flags")?,
        min: f.optional_f64("min")?,
        max: f.optional_f64("max")?,
    })
}

fn exponential_point(v: &Value) -> Result<ExponentialHistogramDataPoint> {
    let f = Fields::of(v)?;
    Ok(ExponentialHistogramDataPoint {
        attributes: f.list(&["attributes"], key_value)?,
        start_time_unix_nano: f.u64("startTimeUnixNano")?,
        time_unix_nano: f.u64("timeUnixNano")?,
        count: f.u64("count")?,
        sum: f.optional_f64("sum")?,
        scale: f.i32("scale")?,
        zero_count: f.u64("zeroCount")?,
        positive: f.message(&["positive"], buckets)?,
        negative: f.message(&["negative"], buckets)?,
        flags: f.u32("flags")?,
        exemplars: f.list(&["exemplars"], exemplar)?,
        min: f.optional_f64("min")?,
        max: f.optional_f64("max")?,
        zero_threshold: f.f64("zeroThreshold")?,
    })
}

fn buckets(v: &Value) -> Result<Buckets> {
    let f = Fields::of(v)?;
    Ok(Buckets { offset: f.i32("offset")?, bucket_counts: f.u64s("bucketCounts")? })
}

fn summary_point(v: &Value) -> Result<SummaryDataPoint> {
    let f = Fields::of(v)?;
    Ok(SummaryDataPoint {
        attributes: f.list(&["attributes"], key_value)?,
        start_time_unix_nano: f.u64("startTimeUnixNano")?,
        time_unix_nano: f.u64("timeUnixNano")?,
        count: f.u64("count")?,
        sum: f.f64("sum")?,
        quantile_values: f.list(&["quantileValues"], quantile)?,
        flags: f.u32("flags")?,
    })
}

fn quantile(v: &Value) -> Result<ValueAtQuantile> {
    let f = Fields::of(v)?;
    Ok(ValueAtQuantile { quantile: f.f64("quantile")?, value: f.f64("value")? })
}

/// The `asDouble` / `asInt` oneof of data points and exemplars.
fn number<T>(f: &Fields, as_double: fn(f64) -> T, as_int: fn(i64) -> T) -> Result<Option<T>> {
    Ok(match f.one_of(&["asDouble", "asInt"])? {
        None => None,
        Some(("asDouble", d)) => Some(as_double(double(d).map_err(|e| nest("asDouble", e))?)),
        Some((_, i)) => Some(as_int(int64(i).map_err(|e| nest("asInt", e))?)),
    })
}

fn exemplar(v: &Value) -> Result<Exemplar> {
    use exemplar::Value as V;
    let f = Fields::of(v)?;
    Ok(Exemplar {
        value: number(&f, V::AsDouble, V::AsInt)?,
        filtered_attributes: f.list(&["filteredAttributes"], key_value)?,
        time_unix_nano: f.u64("timeUnixNano")?,
        span_id: f.id("spanId", SPAN_ID)?,
        trace_id: f.id("traceId", TRACE_ID)?,
    })
}

// ---- logs

fn resource_logs(v: &Value) -> Result<ResourceLogs> {
    let f = Fields::of(v)?;
    Ok(ResourceLogs {
        resource: f.message(&["resource"], resource)?,
        scope_logs: f.list(&["scopeLogs", "instrumentationLibraryLogs"], scope_logs)?,
        schema_url: f.string("schemaUrl")?,
    })
}

fn scope_logs(v: &Value) -> Result<ScopeLogs> {
    let f = Fields::of(v)?;
    Ok(ScopeLogs {
        scope: f.message(&["scope", "instrumentationLibrary"], scope)?,
        log_records: f.list(&["logRecords"], log_record)?,
        schema_url: f.string("schemaUrl")?,
    })
}

fn log_record(v: &Value) -> Result<LogRecord> {
    let f = Fields::of(v)?;
    Ok(LogRecord {
        time_unix_nano: f.u64("timeUnixNano")?,
        observed_time_unix_nano: f.u64("observedTimeUnixNano")?,
        severity_number: f.enumeration("severityNumber", |n| SeverityNumber::from_str_name(n).map(|s| s as i32))?,
        severity_text: f.string("severityText")?,
        body: f.message(&["body"], any_value)?,
        attributes: f.list(&["attributes"], key_value)?,
        dropped_attributes_count: f.u32("droppedAttributesCount")?,
        flags: f.u32("flags")?,
        trace_id: f.id("traceId", TRACE_ID)?,
        span_id: f.id("spanId", SPAN_ID)?,
        event_name: f.string("eventName")?,
    })
}

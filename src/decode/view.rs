//! Borrowed views of OTLP export requests, shaped like the OTLP messages.
//!
//! Both encodings fill the same structs: serde fills them from OTLP/JSON, `proto.rs`
//! from the protobuf wire format. Strings borrow from the input where they can, and
//! attribute values stay undecoded (`AttrValue`) until extract asks for one: most
//! bytes of a dump are prompts and unrelated attributes that are never looked at.

use serde::de::{self, IgnoredAny};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

pub type Str<'a> = Cow<'a, str>;

/// One export request (or a Collector file-exporter line), of any signal.
#[derive(Debug)]
pub enum Request<'a> {
    Traces(Vec<ResourceSpans<'a>>),
    Metrics(Vec<ResourceMetrics<'a>>),
    Logs(Vec<ResourceLogs<'a>>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource<'a> {
    #[serde(borrow, default)]
    pub attributes: Vec<KeyValue<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope<'a> {
    #[serde(borrow, default)]
    pub name: Str<'a>,
    #[serde(borrow, default)]
    pub version: Str<'a>,
}

#[derive(Debug, Deserialize)]
pub struct KeyValue<'a> {
    // Absent when empty: OTLP/JSON writers leave out fields at their default value.
    #[serde(borrow, default)]
    pub key: Str<'a>,
    #[serde(borrow, default)]
    pub value: Option<AttrValue<'a>>,
}

/// An attribute value (an OTLP `AnyValue`), decoded only on demand.
#[derive(Clone, Copy, Debug)]
pub enum AttrValue<'a> {
    Json(&'a RawValue),
    Proto(&'a [u8]),
    /// A plain JSON value (`1200`, `"gpt-4o"`), as SDK objects and non-OTLP files write
    /// attributes.
    Plain(&'a RawValue),
}

impl<'de: 'a, 'a> Deserialize<'de> for AttrValue<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(AttrValue::Json)
    }
}

/// A decoded attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Str(Str<'a>),
    Int(i64),
    Double(Double<'a>),
    Bool(bool),
    /// Arrays, key-value lists and bytes: kept as their rendering for grouping.
    Other(String),
    /// A value that is present but malformed (an `intValue` that is not an integer, text
    /// that is not UTF-8): what was seen, for the problem that names it; never a value.
    Invalid(String),
    Empty,
}

/// A floating-point attribute. From JSON it keeps its text, so a reported cost such as
/// `0.0212152` becomes that exact decimal; from protobuf only the IEEE bits exist, and
/// their shortest round-trip rendering is used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Double<'a> {
    Text(&'a str),
    Bits(f64),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpans<'a> {
    #[serde(borrow, default)]
    pub resource: Resource<'a>,
    #[serde(borrow, default, alias = "instrumentationLibrarySpans")]
    pub scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeSpans<'a> {
    #[serde(borrow, default, alias = "instrumentationLibrary")]
    pub scope: Scope<'a>,
    #[serde(borrow, default)]
    pub spans: Vec<Span<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Span<'a> {
    #[serde(default, deserialize_with = "hex_id")]
    pub trace_id: [u8; 16],
    #[serde(default, deserialize_with = "hex_id")]
    pub span_id: [u8; 8],
    #[serde(default, deserialize_with = "hex_id")]
    pub parent_span_id: [u8; 8],
    #[serde(borrow, default)]
    pub name: Str<'a>,
    #[serde(default, deserialize_with = "enum_int")]
    pub kind: i32,
    #[serde(default, deserialize_with = "uint64")]
    pub start_time_unix_nano: u64,
    #[serde(default, deserialize_with = "uint64")]
    pub end_time_unix_nano: u64,
    #[serde(borrow, default)]
    pub attributes: Vec<KeyValue<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLogs<'a> {
    #[serde(borrow, default)]
    pub resource: Resource<'a>,
    #[serde(borrow, default, alias = "instrumentationLibraryLogs")]
    pub scope_logs: Vec<ScopeLogs<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeLogs<'a> {
    #[serde(borrow, default, alias = "instrumentationLibrary")]
    pub scope: Scope<'a>,
    #[serde(borrow, default)]
    pub log_records: Vec<LogRecord<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord<'a> {
    #[serde(default, deserialize_with = "uint64")]
    pub time_unix_nano: u64,
    #[serde(default, deserialize_with = "uint64")]
    pub observed_time_unix_nano: u64,
    #[serde(borrow, default)]
    pub event_name: Str<'a>,
    #[serde(borrow, default)]
    pub body: Option<AttrValue<'a>>,
    #[serde(borrow, default)]
    pub attributes: Vec<KeyValue<'a>>,
    #[serde(default, deserialize_with = "hex_id")]
    pub trace_id: [u8; 16],
    #[serde(default, deserialize_with = "hex_id")]
    pub span_id: [u8; 8],
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceMetrics<'a> {
    #[serde(borrow, default)]
    pub resource: Resource<'a>,
    #[serde(borrow, default, alias = "instrumentationLibraryMetrics")]
    pub scope_metrics: Vec<ScopeMetrics<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeMetrics<'a> {
    #[serde(borrow, default, alias = "instrumentationLibrary")]
    pub scope: Scope<'a>,
    #[serde(borrow, default)]
    pub metrics: Vec<Metric<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metric<'a> {
    #[serde(borrow, default)]
    pub name: Str<'a>,
    #[serde(borrow, default)]
    pub unit: Str<'a>,
    #[serde(borrow, default)]
    pub sum: Option<Sum<'a>>,
    #[serde(borrow, default)]
    pub gauge: Option<Gauge<'a>>,
    #[serde(borrow, default)]
    pub histogram: Option<Histogram<'a>>,
    #[serde(borrow, default)]
    pub exponential_histogram: Option<Histogram<'a>>,
    #[serde(default, skip_serializing)]
    pub summary: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sum<'a> {
    #[serde(borrow, default)]
    pub data_points: Vec<NumberPoint<'a>>,
    #[serde(default, deserialize_with = "enum_int")]
    pub aggregation_temporality: i32,
    #[serde(default)]
    pub is_monotonic: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gauge<'a> {
    #[serde(borrow, default)]
    pub data_points: Vec<NumberPoint<'a>>,
}

/// A histogram or exponential histogram: only `sum` and `count` matter for usage.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Histogram<'a> {
    #[serde(borrow, default)]
    pub data_points: Vec<HistogramPoint<'a>>,
    #[serde(default, deserialize_with = "enum_int")]
    pub aggregation_temporality: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberPoint<'a> {
    #[serde(borrow, default)]
    pub attributes: Vec<KeyValue<'a>>,
    #[serde(default, deserialize_with = "uint64")]
    pub start_time_unix_nano: u64,
    #[serde(default, deserialize_with = "uint64")]
    pub time_unix_nano: u64,
    #[serde(default, deserialize_with = "opt_int64")]
    pub as_int: Option<i64>,
    #[serde(borrow, default, deserialize_with = "opt_double")]
    pub as_double: Option<Double<'a>>,
    #[serde(default)]
    pub flags: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistogramPoint<'a> {
    #[serde(borrow, default)]
    pub attributes: Vec<KeyValue<'a>>,
    #[serde(default, deserialize_with = "uint64")]
    pub start_time_unix_nano: u64,
    #[serde(default, deserialize_with = "uint64")]
    pub time_unix_nano: u64,
    #[serde(default, deserialize_with = "uint64")]
    pub count: u64,
    #[serde(borrow, default, deserialize_with = "opt_double")]
    pub sum: Option<Double<'a>>,
    #[serde(default)]
    pub flags: u32,
}

/// `flags` bit of a data point that carries no value (a staleness marker).
pub const NO_RECORDED_VALUE: u32 = 1;

// ---- JSON field helpers: OTLP/JSON writes 64-bit integers as strings or numbers,
// enums as integers (or, from some writers, names), and ids as hex.

fn uint64<'de, D: de::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match IntOrText::deserialize(d)? {
        IntOrText::U(n) => Ok(n),
        IntOrText::I(n) => u64::try_from(n).map_err(|_| de::Error::custom("negative value for an unsigned field")),
        IntOrText::T(s) => s.parse().map_err(|_| de::Error::custom(format!("not an unsigned integer: {s:?}"))),
    }
}

fn opt_int64<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match IntOrText::deserialize(d)? {
        IntOrText::U(n) => i64::try_from(n).map(Some).map_err(|_| de::Error::custom("integer out of range")),
        IntOrText::I(n) => Ok(Some(n)),
        IntOrText::T(s) => s.parse().map(Some).map_err(|_| de::Error::custom(format!("not an integer: {s:?}"))),
    }
}

fn opt_double<'de: 'a, 'a, D: de::Deserializer<'de>>(d: D) -> Result<Option<Double<'a>>, D::Error> {
    let raw = <&'a RawValue>::deserialize(d)?;
    Ok(Some(Double::Text(raw.get())))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrText<'a> {
    U(u64),
    I(i64),
    T(#[serde(borrow)] Cow<'a, str>),
}

fn enum_int<'de, D: de::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrName<'a> {
        I(i32),
        N(#[serde(borrow)] Cow<'a, str>),
    }
    Ok(match IntOrName::deserialize(d)? {
        IntOrName::I(n) => n,
        IntOrName::N(name) => {
            enum_by_name(&name).ok_or_else(|| de::Error::custom(format!("unknown enum value {name:?}")))?
        }
    })
}

fn enum_by_name(name: &str) -> Option<i32> {
    Some(match name {
        "SPAN_KIND_UNSPECIFIED" | "AGGREGATION_TEMPORALITY_UNSPECIFIED" => 0,
        "SPAN_KIND_INTERNAL" | "AGGREGATION_TEMPORALITY_DELTA" => 1,
        "SPAN_KIND_SERVER" | "AGGREGATION_TEMPORALITY_CUMULATIVE" => 2,
        "SPAN_KIND_CLIENT" => 3,
        "SPAN_KIND_PRODUCER" => 4,
        "SPAN_KIND_CONSUMER" => 5,
        _ => return None,
    })
}

fn hex_id<'de, D: de::Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
    let text = Cow::<str>::deserialize(d)?;
    parse_hex_id(&text).ok_or_else(|| de::Error::custom(format!("not an id of {N} bytes in hex: {text:?}")))
}

/// An id as hex (any case). Empty means absent (all zero).
pub fn parse_hex_id<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    if text.is_empty() {
        return Some(out);
    }
    let bytes = text.as_bytes();
    if bytes.len() != 2 * N {
        return None;
    }
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    Some(out)
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

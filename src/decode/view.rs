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

/// Text borrowed from the input, owned where it had escapes. In a struct serde reads, a
/// field is written `Cow<'a, str>`: only that spelling makes serde borrow (through this
/// alias it copied every key and name).
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
    #[serde(borrow, default, deserialize_with = "attributes")]
    pub attributes: Vec<KeyValue<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope<'a> {
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub version: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
pub struct KeyValue<'a> {
    // Absent when empty: OTLP/JSON writers leave out fields at their default value.
    #[serde(borrow, default)]
    pub key: Cow<'a, str>,
    #[serde(borrow, default)]
    pub value: Option<AttrValue<'a>>,
}

/// An attribute value (an OTLP `AnyValue`), decoded only on demand.
#[derive(Clone, Copy, Debug)]
pub enum AttrValue<'a> {
    /// The value's JSON text (an OTLP/JSON `AnyValue` object), exactly as serde's
    /// `RawValue` takes it: text, so the hand-written reader (`json_scan.rs`) can fill it too.
    Json(&'a str),
    Proto(&'a [u8]),
    /// A plain JSON value (`1200`, `"gpt-4o"`), as SDK objects and non-OTLP files write
    /// attributes.
    Plain(&'a RawValue),
}

impl<'de: 'a, 'a> Deserialize<'de> for AttrValue<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|raw| AttrValue::Json(raw.get()))
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
    pub name: Cow<'a, str>,
    #[serde(default, deserialize_with = "enum_int")]
    pub kind: i32,
    #[serde(default, deserialize_with = "uint64")]
    pub start_time_unix_nano: u64,
    #[serde(default, deserialize_with = "uint64")]
    pub end_time_unix_nano: u64,
    #[serde(borrow, default, deserialize_with = "attributes")]
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
    pub event_name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub body: Option<AttrValue<'a>>,
    #[serde(borrow, default, deserialize_with = "attributes")]
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
    pub name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub unit: Cow<'a, str>,
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
    #[serde(borrow, default, deserialize_with = "attributes")]
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
    #[serde(borrow, default, deserialize_with = "attributes")]
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
    match d.deserialize_any(IntOrText::VISITOR)? {
        IntOrText::U(n) => Ok(n),
        IntOrText::I(n) => u64::try_from(n).map_err(|_| de::Error::custom("negative value for an unsigned field")),
        IntOrText::T(s) => s.parse().map_err(|_| de::Error::custom(format!("not an unsigned integer: {s:?}"))),
    }
}

fn opt_int64<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match d.deserialize_any(IntOrText::VISITOR)? {
        IntOrText::U(n) => i64::try_from(n).map(Some).map_err(|_| de::Error::custom("integer out of range")),
        IntOrText::I(n) => Ok(Some(n)),
        IntOrText::T(s) => s.parse().map(Some).map_err(|_| de::Error::custom(format!("not an integer: {s:?}"))),
    }
}

fn opt_double<'de: 'a, 'a, D: de::Deserializer<'de>>(d: D) -> Result<Option<Double<'a>>, D::Error> {
    let raw = <&'a RawValue>::deserialize(d)?;
    Ok(Some(Double::Text(raw.get())))
}

fn enum_int<'de, D: de::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let visitor = IntOrTextVisitor { name: "IntOrName" };
    let out_of_range = || visitor.no_variant();
    match d.deserialize_any(visitor)? {
        IntOrText::U(n) => i32::try_from(n).or_else(|_| out_of_range()),
        IntOrText::I(n) => i32::try_from(n).or_else(|_| out_of_range()),
        IntOrText::T(name) => {
            enum_by_name(&name).ok_or_else(|| de::Error::custom(format!("unknown enum value {name:?}")))
        }
    }
}

/// An integer, or text that should be one (or an enum's name). Read by a visitor, not an
/// untagged enum: that buffered each value and built, then dropped, an error message for
/// every variant that did not match: twice per timestamp of every record. A value of none
/// of these kinds fails with the untagged enum's message, so problems read as before.
enum IntOrText<'a> {
    U(u64),
    I(i64),
    T(Cow<'a, str>),
}

impl IntOrText<'_> {
    const VISITOR: IntOrTextVisitor = IntOrTextVisitor { name: "IntOrText" };
}

/// Reads an [`IntOrText`]; `name` is the untagged enum's that errors name.
#[derive(Clone, Copy)]
struct IntOrTextVisitor {
    name: &'static str,
}

impl IntOrTextVisitor {
    fn no_variant<E: de::Error, T>(&self) -> Result<T, E> {
        Err(E::custom(format!("data did not match any variant of untagged enum {}", self.name)))
    }
}

impl<'de> de::Visitor<'de> for IntOrTextVisitor {
    type Value = IntOrText<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an integer or its text")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(IntOrText::U(n))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(IntOrText::I(n))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(IntOrText::T(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(IntOrText::T(Cow::Owned(s.to_string())))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.no_variant()
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.no_variant()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.no_variant()
    }

    // An array or object is read whole before it fails, as the untagged enum read it.
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.no_variant()
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.no_variant()
    }
}

pub(super) fn enum_by_name(name: &str) -> Option<i32> {
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
    let text = d.deserialize_str(CowStr)?;
    parse_hex_id(&text).ok_or_else(|| de::Error::custom(format!("not an id of {N} bytes in hex: {text:?}")))
}

/// Reads a string borrowed from the input where it has no escapes (serde's own `Cow<str>`
/// always copies, outside a `#[serde(borrow)]` field of that very type).
pub(super) struct CowStr;

impl<'de> de::Visitor<'de> for CowStr {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_string()))
    }
}

/// Attributes, in one allocation for a typical record: a `Vec` read from JSON starts
/// empty and grows 4, 8, 16 (serde_json knows no length ahead).
fn attributes<'de: 'a, 'a, D: de::Deserializer<'de>>(d: D) -> Result<Vec<KeyValue<'a>>, D::Error> {
    struct Attributes;
    impl<'de> de::Visitor<'de> for Attributes {
        type Value = Vec<KeyValue<'de>>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a sequence")
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(16).min(16));
            while let Some(kv) = seq.next_element()? {
                out.push(kv);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Attributes)
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
    // Any byte that is no hex digit shows as a high bit left over.
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (hi, lo) = (HEX[pair[0] as usize], HEX[pair[1] as usize]);
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0f);
    }
    (bad & 0x80 == 0).then_some(out)
}

/// The value of each hex digit; 0x80 for every other byte.
const HEX: [u8; 256] = {
    let mut table = [0x80u8; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = match c as u8 {
            b'0'..=b'9' => c as u8 - b'0',
            b'a'..=b'f' => c as u8 - b'a' + 10,
            b'A'..=b'F' => c as u8 - b'A' + 10,
            _ => 0x80,
        };
        c += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    /// A span whose `field` is `value`: the decode error, as a problem shows it.
    fn error_of(field: &str, value: &str) -> String {
        let text =
            format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"{field}":{value},"name":"x"}}]}}]}}]}}"#);
        match crate::decode::json(text.as_bytes()) {
            Ok(_) => "ok".into(),
            Err(e) => e.message,
        }
    }

    #[test]
    fn keys_and_names_are_borrowed_from_the_input() {
        let text = r#"{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"s"},"spans":[{"name":"n","attributes":[{"key":"k"}]}]}]}]}"#;
        let Ok(Some(super::Request::Traces(rs))) = crate::decode::json(text.as_bytes()) else { panic!("traces") };
        let (scope, span) = (&rs[0].scope_spans[0].scope, &rs[0].scope_spans[0].spans[0]);
        assert!(matches!(scope.name, super::Cow::Borrowed("s")));
        assert!(matches!(span.name, super::Cow::Borrowed("n")));
        assert!(matches!(span.attributes[0].key, super::Cow::Borrowed("k")));
    }

    #[test]
    fn odd_integers_and_enums_fail_as_the_untagged_enums_did() {
        // Messages and columns as the untagged enums gave them (checked against that code).
        let cases = [
            ("startTimeUnixNano", "\"12\"", "ok"),
            ("startTimeUnixNano", "\"1\\u0032\"", "ok"),
            ("startTimeUnixNano", "12", "ok"),
            ("startTimeUnixNano", "-3", "JSON: negative value for an unsigned field at line 1 column 66"),
            ("startTimeUnixNano", "\"x\"", "JSON: not an unsigned integer: \"x\" at line 1 column 67"),
            (
                "startTimeUnixNano",
                "1.5",
                "JSON: data did not match any variant of untagged enum IntOrText at line 1 column 67",
            ),
            (
                "startTimeUnixNano",
                "null",
                "JSON: data did not match any variant of untagged enum IntOrText at line 1 column 68",
            ),
            (
                "startTimeUnixNano",
                "[1,{\"a\":2}]",
                "JSON: data did not match any variant of untagged enum IntOrText at line 1 column 75",
            ),
            (
                "startTimeUnixNano",
                "{\"a\":[]}",
                "JSON: data did not match any variant of untagged enum IntOrText at line 1 column 72",
            ),
            ("kind", "3", "ok"),
            ("kind", "\"SPAN_KIND_CLIENT\"", "ok"),
            ("kind", "-1", "ok"),
            (
                "kind",
                "4294967296",
                "JSON: data did not match any variant of untagged enum IntOrName at line 1 column 61",
            ),
            ("kind", "\"CLIENT\"", "JSON: unknown enum value \"CLIENT\" at line 1 column 59"),
            ("kind", "true", "JSON: data did not match any variant of untagged enum IntOrName at line 1 column 55"),
        ];
        for (field, value, want) in cases {
            assert_eq!(error_of(field, value), want, "{field}: {value}");
        }
    }
}

//! Decoding one attribute value (`AnyValue`) on demand, from either encoding.

use super::proto::{Field, WireReader};
use super::view::{AttrValue, CowStr, Double, Value};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::ops::Deref;
use std::str::FromStr;

/// An attribute value decoded on first use, then kept: readers that match on keys pay for
/// decoding only the values they take.
pub struct LazyValue<'a> {
    raw: AttrValue<'a>,
    value: OnceCell<Value<'a>>,
}

impl<'a> LazyValue<'a> {
    pub fn new(raw: AttrValue<'a>) -> Self {
        LazyValue { raw, value: OnceCell::new() }
    }

    pub fn get(&self) -> &Value<'a> {
        self.value.get_or_init(|| self.raw.get())
    }
}

impl<'a> Deref for LazyValue<'a> {
    type Target = Value<'a>;

    fn deref(&self) -> &Value<'a> {
        self.get()
    }
}

impl<'a> AttrValue<'a> {
    /// The value, or `Value::Empty` when it is absent or malformed (a malformed attribute
    /// value must not cost the rest of its record).
    pub fn get(&self) -> Value<'a> {
        match self {
            AttrValue::Json(raw) => json_value(raw).unwrap_or(Value::Empty),
            AttrValue::Proto(bytes) => proto_value(bytes).unwrap_or(Value::Empty),
            AttrValue::Plain(raw) => plain_value(raw),
        }
    }
}

/// The JS SDK's serialiser writes `"[Circular]"` for any object it has already written in
/// the same record: that is no value.
pub const CIRCULAR: &str = "[Circular]";

fn plain_value(raw: &RawValue) -> Value<'_> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => {
            let s = serde_json::from_str::<&str>(text)
                .map(Cow::Borrowed)
                .or_else(|_| serde_json::from_str::<String>(text).map(Cow::Owned));
            match s {
                Ok(s) if s == CIRCULAR => Value::Empty,
                Ok(s) => Value::Str(s),
                Err(_) => Value::Empty,
            }
        }
        Some(b't') => Value::Bool(true),
        Some(b'f') => Value::Bool(false),
        Some(b'[' | b'{') => Value::Other(text.to_string()),
        Some(b'-' | b'0'..=b'9') => match text.parse::<i64>() {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Double(Double::Text(text)),
        },
        _ => Value::Empty,
    }
}

/// The largest token count one record may carry: a trillion tokens is far beyond any
/// context window, so a larger count is a broken or hostile value, not usage.
pub const MAX_COUNT: u64 = 1_000_000_000_000;
/// The largest cost in USD one record may report (a billion dollars).
pub const MAX_COST_USD: u64 = 1_000_000_000;

/// Why a present attribute value is not a usable token count or cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadNumber {
    Negative,
    Fractional,
    NonFinite,
    OutOfRange,
    NotANumber,
    /// A boolean, array, key-value list or bytes where a number belongs.
    WrongType(&'static str),
}

impl std::fmt::Display for BadNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadNumber::Negative => f.write_str("negative"),
            BadNumber::Fractional => f.write_str("not a whole number"),
            BadNumber::NonFinite => f.write_str("not finite"),
            BadNumber::OutOfRange => f.write_str("out of range"),
            BadNumber::NotANumber => f.write_str("not a number"),
            BadNumber::WrongType(t) => write!(f, "{t}, not a number"),
        }
    }
}

impl<'a> Value<'a> {
    /// A token count: a non-negative whole number up to [`MAX_COUNT`], from an int, a
    /// double that holds a whole number (`1200.0`) or numeric text (some emitters send
    /// counts as strings or doubles). `Ok(None)` when the value is absent.
    pub fn count(&self) -> Result<Option<u64>, BadNumber> {
        let n = match self {
            Value::Int(n) => u64::try_from(*n).map_err(|_| BadNumber::Negative)?,
            Value::Double(d) => {
                let dec = d.to_decimal().ok_or_else(|| d.why_not_decimal())?;
                if dec.is_sign_negative() && !dec.is_zero() {
                    return Err(BadNumber::Negative);
                }
                if dec.fract() != Decimal::ZERO {
                    return Err(BadNumber::Fractional);
                }
                u64::try_from(dec).map_err(|_| BadNumber::OutOfRange)?
            }
            Value::Str(s) => {
                let s = s.trim();
                match s.parse::<u64>() {
                    Ok(n) => n,
                    Err(_) => return Value::Double(Double::Text(s)).count(),
                }
            }
            Value::Empty => return Ok(None),
            other => return Err(other.wrong_type()),
        };
        if n > MAX_COUNT {
            return Err(BadNumber::OutOfRange);
        }
        Ok(Some(n))
    }

    /// A token count, or `None` when absent or malformed (the problem is reported by
    /// the extract stage's value check, which reads the same way).
    pub fn as_count(&self) -> Option<u64> {
        self.count().ok().flatten()
    }

    /// A cost an emitter reports in units of 1/`per_usd` USD (1 for dollars, 1_000_000 for
    /// micro-USD), as exact USD: a non-negative decimal up to [`MAX_COST_USD`], from a
    /// number or numeric text. `Ok(None)` when absent.
    pub fn cost(&self, per_usd: u32) -> Result<Option<Decimal>, BadNumber> {
        let dec = match self {
            Value::Int(n) => Decimal::from(*n),
            Value::Double(d) => d.to_decimal().ok_or_else(|| d.why_not_decimal())?,
            Value::Str(s) => {
                let d = Double::Text(s.trim());
                d.to_decimal().ok_or_else(|| d.why_not_decimal())?
            }
            Value::Empty => return Ok(None),
            other => return Err(other.wrong_type()),
        };
        if dec.is_sign_negative() && !dec.is_zero() {
            return Err(BadNumber::Negative);
        }
        let usd = dec.checked_div(Decimal::from(per_usd)).ok_or(BadNumber::OutOfRange)?;
        if usd > Decimal::from(MAX_COST_USD) {
            return Err(BadNumber::OutOfRange);
        }
        Ok(Some(usd))
    }

    /// A reported cost in USD, or `None` when absent or malformed (see [`Value::cost`]).
    pub fn as_cost(&self, per_usd: u32) -> Option<Decimal> {
        self.cost(per_usd).ok().flatten()
    }

    fn wrong_type(&self) -> BadNumber {
        BadNumber::WrongType(match self {
            Value::Bool(_) => "a boolean",
            Value::Other(_) => "an array, key-value list or bytes",
            _ => return BadNumber::NotANumber,
        })
    }

    /// The value as seen, for a problem message: text as text, numbers as written.
    pub fn seen(&self) -> String {
        match self {
            Value::Str(s) => format!("{:?}", s.as_ref() as &str),
            Value::Double(Double::Text(t)) => t.to_string(),
            Value::Double(Double::Bits(f)) => format!("{f:e}"),
            Value::Invalid(s) => s.clone(),
            other => other.render().unwrap_or_default(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as text for grouping (numbers and booleans rendered).
    pub fn render(&self) -> Option<String> {
        Some(match self {
            Value::Str(s) => s.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Double(d) => d.to_decimal().map(|d| d.normalize().to_string())?,
            Value::Bool(b) => b.to_string(),
            Value::Other(s) => s.clone(),
            Value::Invalid(_) | Value::Empty => return None,
        })
    }
}

impl Double<'_> {
    pub fn to_decimal(&self) -> Option<Decimal> {
        match self {
            Double::Text(t) => {
                let t = t.trim().trim_matches('"');
                Decimal::from_str_exact(t).or_else(|_| Decimal::from_scientific(t)).ok()
            }
            // Rust prints the shortest decimal that round-trips to the same bits, never in
            // exponent form: the value the emitter meant, as exactly as the wire allows.
            Double::Bits(f) if f.is_finite() => Decimal::from_str(&f.to_string()).ok(),
            Double::Bits(_) => None,
        }
    }

    /// Why [`Double::to_decimal`] gave nothing: beyond what a decimal holds, not finite
    /// (NaN, ±Infinity, also as proto3-JSON text), or not a number at all.
    fn why_not_decimal(&self) -> BadNumber {
        let f = match self {
            Double::Bits(f) => *f,
            Double::Text(t) => match t.trim().trim_matches('"').parse::<f64>() {
                Ok(f) => f,
                Err(_) => return BadNumber::NotANumber,
            },
        };
        if !f.is_finite() {
            BadNumber::NonFinite
        } else if f < 0.0 {
            BadNumber::Negative
        } else {
            BadNumber::OutOfRange
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonAny<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed_text")]
    string_value: Option<Cow<'a, str>>,
    #[serde(borrow)]
    int_value: Option<&'a RawValue>,
    #[serde(borrow)]
    double_value: Option<&'a RawValue>,
    bool_value: Option<bool>,
    #[serde(borrow)]
    array_value: Option<&'a RawValue>,
    #[serde(borrow)]
    kvlist_value: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "borrowed_text")]
    bytes_value: Option<Cow<'a, str>>,
}

/// Text borrowed from the input where it has no escapes (serde copies an
/// `Option<Cow<str>>` always); `null` is none.
fn borrowed_text<'de: 'a, 'a, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    struct Text<'a>(Cow<'a, str>);
    impl<'de> Deserialize<'de> for Text<'de> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_str(CowStr).map(Text)
        }
    }
    Ok(Option::<Text<'de>>::deserialize(d)?.map(|t| t.0))
}

fn json_value(raw: &str) -> Option<Value<'_>> {
    compact_json_value(raw).or_else(|| any_json_value(raw))
}

fn any_json_value(raw: &str) -> Option<Value<'_>> {
    let any: JsonAny<'_> = serde_json::from_str(raw).ok()?;
    Some(if let Some(s) = any.string_value {
        Value::Str(s)
    } else if let Some(i) = any.int_value {
        let text = i.get().trim_matches('"');
        match text.parse() {
            Ok(n) => Value::Int(n),
            // Beyond i64 or not an integer: kept as seen, so a count check can name it.
            Err(_) => Value::Invalid(format!("intValue {}", i.get())),
        }
    } else if let Some(d) = any.double_value {
        let text = d.get();
        if text.starts_with('{') || text.starts_with('[') {
            return None;
        }
        Value::Double(Double::Text(text))
    } else if let Some(b) = any.bool_value {
        Value::Bool(b)
    } else if let Some(a) = any.array_value.or(any.kvlist_value) {
        Value::Other(a.get().to_string())
    } else if let Some(b) = any.bytes_value {
        Value::Other(b.into_owned())
    } else {
        Value::Empty
    })
}

/// The value of an `AnyValue` as OTLP/JSON writers nearly always write one, a single
/// member without spaces (`{"stringValue":"gpt-4o"}`, `{"intValue":"1207"}`), read without
/// setting up a deserializer; `None` for any other shape (read by [`json_value`]'s general
/// path). The text was checked as JSON when its line was read, so a member whose value
/// holds only these bytes is that one value.
fn compact_json_value(text: &str) -> Option<Value<'_>> {
    // The name ends at its first quote (a name with an escaped quote is none of these);
    // names are short: a plain loop beats a searcher's set-up.
    let member = text.strip_prefix("{\"")?.strip_suffix('}')?;
    let (name, value) = member.split_at(member.bytes().position(|b| b == b'"')?);
    let value = value.strip_prefix("\":")?;
    let only = |allowed: fn(&u8) -> bool| !value.is_empty() && value.as_bytes().iter().all(allowed);
    Some(match name {
        "stringValue" => {
            let inner = value.strip_prefix('"')?.strip_suffix('"')?;
            if inner.bytes().any(|b| b == b'"' || b == b'\\') {
                return None;
            }
            Value::Str(Cow::Borrowed(inner))
        }
        "intValue" if only(|b| b.is_ascii_digit() || matches!(b, b'-' | b'"')) => {
            match value.trim_matches('"').parse() {
                Ok(n) => Value::Int(n),
                Err(_) => Value::Invalid(format!("intValue {value}")),
            }
        }
        "doubleValue" if only(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')) => {
            Value::Double(Double::Text(value))
        }
        "boolValue" if value == "true" || value == "false" => Value::Bool(value == "true"),
        _ => return None,
    })
}

fn proto_value(bytes: &[u8]) -> Option<Value<'_>> {
    let mut value = Value::Empty;
    let mut r = WireReader::new(bytes);
    while let Some((num, field)) = r.next().ok()? {
        value = match (num, field) {
            (1, Field::Len(b)) => match super::proto::utf8(b) {
                Ok(s) => Value::Str(Cow::Borrowed(s)),
                Err(_) => Value::Invalid(format!("stringValue of invalid UTF-8: {:?}", String::from_utf8_lossy(b))),
            },
            (2, Field::Varint(v)) => Value::Bool(v != 0),
            (3, Field::Varint(v)) => Value::Int(v as i64),
            (4, Field::Fixed64(v)) => Value::Double(Double::Bits(f64::from_bits(v))),
            (5..=7, Field::Len(b)) => Value::Other(render_proto_composite(num, b)),
            _ => continue,
        };
    }
    Some(value)
}

/// Arrays render as their elements joined by commas; key-value lists and bytes by kind.
fn render_proto_composite(num: u32, bytes: &[u8]) -> String {
    if num != 5 {
        return if num == 6 { "(kvlist)".into() } else { "(bytes)".into() };
    }
    let mut parts = Vec::new();
    let mut r = WireReader::new(bytes);
    while let Ok(Some((1, Field::Len(elem)))) = r.next() {
        if let Some(text) = proto_value(elem).and_then(|v| v.render()) {
            parts.push(text);
        }
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value<'_> {
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        AttrValue::Json(raw.get()).get()
    }

    proptest::proptest! {
        /// The compact reader gives what the general path gives, for every kind of value.
        #[test]
        fn compact_values_read_as_the_general_path_reads_them(
            name in "(stringValue|intValue|doubleValue|boolValue|arrayValue|bytesValue|x)",
            value in r#"("[a-z0-9 .:/\-]{0,12}"|"[-0-9]{0,22}"|-?[0-9]{1,21}|-?[0-9]{1,4}(\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?|true|false|null|\{\}|\[1,2\]|"a\\"b"|"\\u0041")"#
        ) {
            let text = format!(r#"{{"{name}":{value}}}"#);
            let Ok(raw) = serde_json::from_str::<&RawValue>(&text) else { return Ok(()) };
            if let Some(compact) = compact_json_value(raw.get()) {
                proptest::prop_assert_eq!(Some(compact), any_json_value(raw.get()), "{}", text);
            }
        }
    }

    #[test]
    fn the_usual_shapes_are_read_compactly() {
        assert_eq!(compact_json_value(r#"{"stringValue":"gpt-4o"}"#), Some(Value::Str("gpt-4o".into())));
        assert_eq!(compact_json_value(r#"{"intValue":"1207"}"#), Some(Value::Int(1207)));
        assert_eq!(compact_json_value(r#"{"doubleValue":0.5}"#), Some(Value::Double(Double::Text("0.5"))));
        assert_eq!(compact_json_value(r#"{"stringValue":"a\"b"}"#), None);
        assert_eq!(compact_json_value(r#"{ "stringValue":"x"}"#), None);
    }

    /// Every attribute value of a real capture reads the same both ways.
    #[test]
    fn real_values_read_as_the_general_path_reads_them() {
        let file = include_str!("../../testdata/emitters/f_vercel_ai/traces.jsonl");
        let mut compact = 0;
        for line in file.lines() {
            let Some(super::super::Request::Traces(rs)) = crate::decode::json(line.as_bytes()).unwrap() else {
                continue;
            };
            let spans = rs.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans);
            for kv in spans.flat_map(|s| &s.attributes) {
                let Some(AttrValue::Json(raw)) = kv.value else { continue };
                if let Some(v) = compact_json_value(raw) {
                    assert_eq!(Some(v), any_json_value(raw), "{}", raw);
                    compact += 1;
                }
            }
        }
        assert!(compact > 20, "{compact} values read compactly");
    }

    #[test]
    fn json_values_of_every_kind() {
        assert_eq!(json(r#"{"stringValue":"a\"b"}"#), Value::Str("a\"b".into()));
        assert_eq!(json(r#"{"intValue":"1207"}"#).as_count(), Some(1207));
        assert_eq!(json(r#"{"intValue":1207}"#).as_count(), Some(1207));
        assert_eq!(json(r#"{"doubleValue":2515.0}"#).as_count(), Some(2515));
        assert_eq!(json(r#"{"doubleValue":2515.5}"#).as_count(), None);
        assert_eq!(json(r#"{"stringValue":"42"}"#).as_count(), Some(42));
        assert_eq!(json(r#"{"intValue":"-3"}"#).as_count(), None);
        assert_eq!(json(r#"{"doubleValue":0.0212152}"#).as_cost(1), Some(Decimal::from_str("0.0212152").unwrap()));
        assert_eq!(json(r#"{"doubleValue":1e-7}"#).as_cost(1), Some(Decimal::from_str("0.0000001").unwrap()));
        // Claude Desktop's exporter bug sends an empty object: no value, no failure.
        assert_eq!(json(r#"{"doubleValue":{}}"#), Value::Empty);
        assert_eq!(json(r#"{"boolValue":true}"#), Value::Bool(true));
        assert_eq!(json(r#"{}"#), Value::Empty);
        assert_eq!(json(r#"{"intValue":"x"}"#), Value::Invalid(r#"intValue "x""#.into()));
    }

    #[test]
    fn text_is_borrowed_from_the_input() {
        assert!(matches!(json(r#"{"stringValue":"gpt-4o"}"#), Value::Str(Cow::Borrowed("gpt-4o"))));
        assert!(matches!(json(r#"{"stringValue":"a\"b"}"#), Value::Str(Cow::Owned(_))));
        assert_eq!(json(r#"{"stringValue":null,"intValue":"5"}"#), Value::Int(5));
    }

    #[test]
    fn counts_that_cannot_be_used_say_why() {
        assert_eq!(json(r#"{"doubleValue":1200.0}"#).count(), Ok(Some(1200)));
        assert_eq!(json(r#"{"doubleValue":-0.0}"#).count(), Ok(Some(0)));
        assert_eq!(json(r#"{"stringValue":"-5"}"#).count(), Err(BadNumber::Negative));
        assert_eq!(json(r#"{"intValue":"-5"}"#).count(), Err(BadNumber::Negative));
        assert_eq!(json(r#"{"doubleValue":2.5}"#).count(), Err(BadNumber::Fractional));
        assert_eq!(json(r#"{"doubleValue":"NaN"}"#).count(), Err(BadNumber::NonFinite));
        assert_eq!(json(r#"{"doubleValue":"-Infinity"}"#).count(), Err(BadNumber::NonFinite));
        assert_eq!(Value::Double(Double::Bits(f64::INFINITY)).count(), Err(BadNumber::NonFinite));
        assert_eq!(json(r#"{"doubleValue":1e300}"#).count(), Err(BadNumber::OutOfRange));
        assert_eq!(json(r#"{"stringValue":"99999999999999999999999"}"#).count(), Err(BadNumber::OutOfRange));
        assert_eq!(json(r#"{"intValue":"1000000000001"}"#).count(), Err(BadNumber::OutOfRange));
        assert_eq!(json(r#"{"stringValue":"ten"}"#).count(), Err(BadNumber::NotANumber));
        assert_eq!(json(r#"{"boolValue":true}"#).count(), Err(BadNumber::WrongType("a boolean")));
        assert_eq!(json(r#"{}"#).count(), Ok(None));
    }

    #[test]
    fn costs_are_exact_usd_and_never_negative() {
        let usd = |s: &str| Some(Decimal::from_str(s).unwrap());
        assert_eq!(json(r#"{"stringValue":"0.0212152"}"#).cost(1), Ok(usd("0.0212152")));
        assert_eq!(json(r#"{"intValue":"21215"}"#).cost(1_000_000), Ok(usd("0.021215")));
        assert_eq!(json(r#"{"doubleValue":-0.5}"#).cost(1), Err(BadNumber::Negative));
        assert_eq!(json(r#"{"doubleValue":"Infinity"}"#).cost(1), Err(BadNumber::NonFinite));
        assert_eq!(json(r#"{"doubleValue":1e12}"#).cost(1), Err(BadNumber::OutOfRange));
        assert_eq!(json(r#"{"stringValue":"$3"}"#).cost(1), Err(BadNumber::NotANumber));
    }

    #[test]
    fn plain_values_of_every_kind() {
        let plain = |text: &'static str| AttrValue::Plain(serde_json::from_str(text).unwrap()).get();
        assert_eq!(plain("1200").as_count(), Some(1200));
        assert_eq!(plain("0.0"), Value::Double(Double::Text("0.0")));
        assert_eq!(plain("1e3").as_count(), Some(1000));
        assert_eq!(plain(r#""gpt-4o\u002dmini""#), Value::Str("gpt-4o-mini".into()));
        assert_eq!(plain(r#""[Circular]""#), Value::Empty);
        assert_eq!(plain("null"), Value::Empty);
        assert_eq!(plain("false"), Value::Bool(false));
        assert_eq!(plain(r#"["stop"]"#), Value::Other(r#"["stop"]"#.into()));
    }

    #[test]
    fn proto_double_keeps_the_shortest_decimal() {
        let d = Double::Bits(0.0212152);
        assert_eq!(d.to_decimal(), Some(Decimal::from_str("0.0212152").unwrap()));
        assert_eq!(Double::Bits(f64::NAN).to_decimal(), None);
    }
}

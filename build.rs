//! Prepares the bundled price files at compile time, so that start-up parses no JSON.
//!
//! The LiteLLM map: of its 3 MB of JSON only the fields the catalog reads are kept, as
//! tab-separated lines (read by `load::prepared_line` in src/price/load.rs). Entries keep
//! their file order and every value its exact JSON text. Beside them, `litellm_index.rs`:
//! each line's byte range and the lines sorted by lowercased key, so that start-up builds
//! no entry and no index (an entry is built from its line on first use, see
//! src/price/entries.rs).
//!
//! The genai-prices file: `genai.rs`, its providers, models and match clauses as Rust
//! statics (`load::BundledProvider`), each model's prices as their JSON text (parsed on
//! first use).

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

include!("src/price/litellm_keys.rs");
include!("src/price/genai_schema.rs");

const SOURCE: &str = "pricing/litellm-model-prices.json";
const GENAI: &str = "pricing/genai-prices-v2.json";

fn main() {
    for input in [SOURCE, GENAI, "src/price/litellm_keys.rs", "src/price/genai_schema.rs"] {
        println!("cargo:rerun-if-changed={input}");
    }
    let text = std::fs::read_to_string(GENAI).unwrap_or_else(|e| panic!("{GENAI}: {e}"));
    let providers: Vec<RawProvider> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{GENAI}: {e}"));
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("genai.rs");
    std::fs::write(&out, genai(&providers)).unwrap_or_else(|e| panic!("{}: {e}", out.display()));

    let text = std::fs::read_to_string(SOURCE).unwrap_or_else(|e| panic!("{SOURCE}: {e}"));
    let mut de = serde_json::Deserializer::from_str(&text);
    let prepared = de.deserialize_map(Entries).unwrap_or_else(|e| panic!("{SOURCE}: {e}"));
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("litellm.tsv");
    std::fs::write(&out, &prepared).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    let out = out.with_file_name("litellm_index.rs");
    std::fs::write(&out, index(&prepared)).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}

/// `GENAI_BUNDLED`: the genai-prices providers as Rust statics (string literals in Rust's
/// own escaping, which `{:?}` writes).
fn genai(providers: &[RawProvider]) -> String {
    let mut out = format!("static GENAI_BUNDLED: [BundledProvider; {}] = [\n", providers.len());
    let option = |c: &Option<RawClause>| c.as_ref().map_or("None".into(), |c| format!("Some({})", clause(c)));
    for p in providers {
        out += &format!(
            "BundledProvider {{ id: {:?}, provider_match: {}, model_match: {}, fallback_model_providers: &{:?}, api_pattern: {:?}, models: &[\n",
            p.id,
            option(&p.provider_match),
            option(&p.model_match),
            p.fallback_model_providers,
            p.api_pattern
        );
        for m in &p.models {
            out += &format!(
                "BundledModel {{ id: {:?}, matcher: {}, prices: {:?} }},\n",
                m.id,
                clause(&m.matcher),
                m.prices
            );
        }
        out += "] },\n";
    }
    out + "];\n"
}

/// A match clause as a `BundledClause` expression.
fn clause(c: &RawClause) -> String {
    let list = |v: &[RawClause]| v.iter().map(clause).collect::<Vec<_>>().join(", ");
    match c {
        RawClause::Equals(s) => format!("BundledClause::Equals({s:?})"),
        RawClause::StartsWith(s) => format!("BundledClause::StartsWith({s:?})"),
        RawClause::EndsWith(s) => format!("BundledClause::EndsWith({s:?})"),
        RawClause::Contains(s) => format!("BundledClause::Contains({s:?})"),
        RawClause::Regex(s) => format!("BundledClause::Regex({s:?})"),
        RawClause::Or(v) => format!("BundledClause::Or(&[{}])", list(v)),
        RawClause::And(v) => format!("BundledClause::And(&[{}])", list(v)),
    }
}

/// `LITELLM_LINES` (each prepared line's byte range) and `LITELLM_BY_KEY` (each line's key
/// lowercased, with its line number, sorted by key then line) as Rust statics.
fn index(prepared: &str) -> String {
    let (mut lines, mut keys) = (Vec::new(), Vec::new());
    let mut start = 0;
    for (n, line) in prepared.lines().enumerate() {
        lines.push((start, start + line.len()));
        start += line.len() + 1;
        keys.push((line.split('\t').next().unwrap_or_default().to_lowercase(), n));
    }
    keys.sort();
    let mut out = String::from("/// Each line of litellm.tsv as its byte range.\n");
    out += &format!("static LITELLM_LINES: [(u32, u32); {}] = [\n", lines.len());
    for (a, b) in lines {
        out += &format!("({a}, {b}),\n");
    }
    out += "];\n/// Each line's key lowercased with its line number, sorted by key then line.\n";
    out += &format!("static LITELLM_BY_KEY: [(&str, u32); {}] = [\n", keys.len());
    for (k, n) in keys {
        out += &format!("({k:?}, {n}),\n");
    }
    out + "];\n"
}

/// One cell of the prepared text: refused when it would break the line format.
fn cell(out: &mut String, text: &str) {
    assert!(!text.contains(['\t', '\n', '\r']), "{SOURCE}: a tab or line break in {text:?}");
    out.push_str(text);
}

/// The whole map, as the prepared lines.
struct Entries;

impl<'de> Visitor<'de> for Entries {
    type Value = String;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a LiteLLM price map")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
        let mut out = String::new();
        while let Some(key) = map.next_key::<String>()? {
            cell(&mut out, &key);
            map.next_value_seed(Fields(&mut out))?;
            out.push('\n');
        }
        Ok(out)
    }
}

/// One entry's fields read, appended as tab-separated name and JSON-text pairs.
struct Fields<'o>(&'o mut String);

impl<'de> serde::de::DeserializeSeed<'de> for Fields<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Fields<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a LiteLLM model entry")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if LITELLM_KEYS.iter().any(|p| key.starts_with(p)) {
                let value: &RawValue = map.next_value()?;
                self.0.push('\t');
                cell(self.0, &key);
                self.0.push('\t');
                cell(self.0, value.get());
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

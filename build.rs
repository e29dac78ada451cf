//! Prepares the bundled LiteLLM price map at compile time: of its 3 MB of JSON only the
//! fields the catalog reads are kept, as tab-separated lines (see `LiteFile::from_prepared`
//! in src/price/load.rs). Entries keep their file order and every value its exact JSON
//! text. Beside them, `litellm_index.rs`: each line's byte range and the lines sorted by
//! lowercased key, so that start-up builds no entry and no index (an entry is built from
//! its line on first use, see src/price/entries.rs).

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

include!("src/price/litellm_keys.rs");

const SOURCE: &str = "pricing/litellm-model-prices.json";

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-changed=src/price/litellm_keys.rs");
    let text = std::fs::read_to_string(SOURCE).unwrap_or_else(|e| panic!("{SOURCE}: {e}"));
    let mut de = serde_json::Deserializer::from_str(&text);
    let prepared = de.deserialize_map(Entries).unwrap_or_else(|e| panic!("{SOURCE}: {e}"));
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("litellm.tsv");
    std::fs::write(&out, &prepared).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    let out = out.with_file_name("litellm_index.rs");
    std::fs::write(&out, index(&prepared)).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
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

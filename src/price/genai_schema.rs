// Included by src/price/load.rs and by build.rs (which writes the bundled genai-prices file
// as Rust statics, see `BundledProvider`): one reading of the v2 schema for both.

#[derive(Deserialize)]
struct RawProvider<'a> {
    id: String,
    #[serde(default)]
    provider_match: Option<RawClause>,
    #[serde(default)]
    model_match: Option<RawClause>,
    #[serde(default)]
    fallback_model_providers: Vec<String>,
    /// A regex for the provider's API URL (`https://api\.anthropic\.com`).
    #[serde(default)]
    api_pattern: Option<String>,
    #[serde(borrow)]
    models: Vec<RawModel<'a>>,
}

#[derive(Deserialize)]
struct RawModel<'a> {
    id: String,
    #[serde(rename = "match")]
    matcher: RawClause,
    /// The prices' JSON text.
    #[serde(borrow, deserialize_with = "raw_text")]
    prices: &'a str,
}

fn raw_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'de str, D::Error> {
    <&RawValue>::deserialize(d).map(RawValue::get)
}

/// A clause as written in the genai-prices JSON (externally tagged by its one key).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawClause {
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    Regex(String),
    Or(Vec<RawClause>),
    And(Vec<RawClause>),
}

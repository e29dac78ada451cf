//! Loading the two bundled sources into `Entry`s and per-provider indexes.

use super::matcher::{Clause, LazyRegex};
use super::rates::{decimal_from_json, parse_day, parse_time_of_day, Constraint, PriceSet, Rate};
use super::{Entry, Prices, Provider, Source};
use crate::model::ServiceTier;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

include!("genai_schema.rs");

// `GENAI_BUNDLED`: pricing/genai-prices-v2.json as build.rs wrote it, in these types.
include!(concat!(env!("OUT_DIR"), "/genai.rs"));

/// A provider of the bundled genai-prices file (see [`RawProvider`]).
struct BundledProvider {
    id: &'static str,
    provider_match: Option<BundledClause>,
    model_match: Option<BundledClause>,
    fallback_model_providers: &'static [&'static str],
    api_pattern: Option<&'static str>,
    models: &'static [BundledModel],
}

/// A model of the bundled genai-prices file, its prices as their JSON text.
struct BundledModel {
    id: &'static str,
    matcher: BundledClause,
    prices: &'static str,
}

/// A match clause of the bundled genai-prices file (see [`RawClause`]).
enum BundledClause {
    Equals(&'static str),
    StartsWith(&'static str),
    EndsWith(&'static str),
    Contains(&'static str),
    Regex(&'static str),
    Or(&'static [BundledClause]),
    And(&'static [BundledClause]),
}

impl From<&BundledClause> for RawClause {
    fn from(c: &BundledClause) -> RawClause {
        let list = |v: &[BundledClause]| v.iter().map(RawClause::from).collect();
        match *c {
            BundledClause::Equals(s) => RawClause::Equals(s.into()),
            BundledClause::StartsWith(s) => RawClause::StartsWith(s.into()),
            BundledClause::EndsWith(s) => RawClause::EndsWith(s.into()),
            BundledClause::Contains(s) => RawClause::Contains(s.into()),
            BundledClause::Regex(s) => RawClause::Regex(s.into()),
            BundledClause::Or(v) => RawClause::Or(list(v)),
            BundledClause::And(v) => RawClause::And(list(v)),
        }
    }
}

impl From<&BundledProvider> for RawProvider<'static> {
    fn from(p: &BundledProvider) -> RawProvider<'static> {
        RawProvider {
            id: p.id.into(),
            provider_match: p.provider_match.as_ref().map(RawClause::from),
            model_match: p.model_match.as_ref().map(RawClause::from),
            fallback_model_providers: p.fallback_model_providers.iter().map(|&f| f.into()).collect(),
            api_pattern: p.api_pattern.map(String::from),
            models: p
                .models
                .iter()
                .map(|m| RawModel { id: m.id.into(), matcher: RawClause::from(&m.matcher), prices: m.prices })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct RawConditional<'a> {
    #[serde(default)]
    constraint: Option<HashMap<String, String>>,
    #[serde(borrow)]
    prices: HashMap<String, &'a RawValue>,
}

fn genai_price_set(map: &HashMap<String, &RawValue>) -> anyhow::Result<PriceSet> {
    let get = |k: &str| map.get(k).map(|r| Rate::from_genai(r)).transpose();
    Ok(PriceSet {
        input: get("input_mtok")?,
        cache_read: get("cache_read_mtok")?,
        // `cache_write_5m_mtok` is in the schema (unused by the data); prefer it when present.
        cache_write: match get("cache_write_5m_mtok")? {
            Some(r) => Some(r),
            None => get("cache_write_mtok")?,
        },
        cache_write_1h: get("cache_write_1h_mtok")?,
        output: get("output_mtok")?,
        reasoning: get("output_reasoning_mtok")?,
        requests: get("requests_kcount")?,
    })
}

fn genai_constraint(c: Option<&HashMap<String, String>>) -> Constraint {
    let Some(c) = c else {
        return Constraint::Always;
    };
    if let Some(d) = c.get("start_date") {
        return match parse_day(d) {
            Some(day) if c.len() == 1 => Constraint::StartDay { day, date: Arc::from(d.as_str()) },
            _ => Constraint::Unsupported,
        };
    }
    match (c.get("start_time").and_then(|s| parse_time_of_day(s)), c.get("end_time").and_then(|s| parse_time_of_day(s)))
    {
        (Some(start_s), Some(end_s)) if c.len() == 2 => Constraint::TimeOfDay { start_s, end_s },
        _ => Constraint::Unsupported,
    }
}

/// The providers of a genai-prices v2 file, their models added to `entries`. Every regex
/// is compiled now, so a bad one fails the load.
pub(crate) fn load_genai(text: &str, origin: Arc<str>, entries: &mut Vec<Entry>) -> anyhow::Result<Vec<Provider>> {
    let raw: Vec<RawProvider> = serde_json::from_str(text)?;
    genai_providers(raw, origin, true, entries, |text| Ok(Prices::Parsed(genai_prices(text)?)))
}

/// The bundled genai-prices file's providers, their models added to `entries`, from the
/// statics build.rs wrote: no JSON is parsed, each model's prices are on first use and
/// each regex is compiled on first use (the test `the_bundled_catalog_is_its_json_parsed_at_run_time`
/// holds them to the JSON's).
pub(crate) fn bundled_genai(origin: Arc<str>, entries: &mut Vec<Entry>) -> anyhow::Result<Vec<Provider>> {
    let raw = GENAI_BUNDLED.iter().map(RawProvider::from).collect();
    genai_providers(raw, origin, false, entries, |text| Ok(Prices::Deferred { text, parsed: OnceLock::new() }))
}

/// A genai-prices model's price sets from their JSON text: a price set, or a list of
/// conditional ones.
pub(crate) fn genai_prices(text: &str) -> anyhow::Result<Vec<(Constraint, PriceSet)>> {
    let prices = if text.trim_start().starts_with('[') {
        let list: Vec<RawConditional> = serde_json::from_str(text)?;
        list.iter()
            .map(|c| Ok((genai_constraint(c.constraint.as_ref()), genai_price_set(&c.prices)?)))
            .collect::<anyhow::Result<Vec<_>>>()?
    } else {
        let map: HashMap<String, &RawValue> = serde_json::from_str(text)?;
        vec![(Constraint::Always, genai_price_set(&map)?)]
    };
    anyhow::ensure!(!prices.is_empty(), "no prices");
    Ok(prices)
}

/// The providers read from a genai-prices file, their models added to `entries` with the
/// prices `prices` makes of their text. With `check` every regex is compiled now.
fn genai_providers<'a>(
    raw: Vec<RawProvider<'a>>,
    origin: Arc<str>,
    check: bool,
    entries: &mut Vec<Entry>,
    prices: impl Fn(&'a str) -> anyhow::Result<Prices>,
) -> anyhow::Result<Vec<Provider>> {
    let ids: HashMap<String, usize> = raw.iter().enumerate().map(|(i, p)| (p.id.to_lowercase(), i)).collect();
    let mut providers = Vec::with_capacity(raw.len());
    for p in raw {
        let pid = p.id.to_lowercase();
        let provider: Arc<str> = Arc::from(pid.as_str());
        let mut exact: HashMap<String, usize> = HashMap::with_capacity(p.models.len());
        let mut rules: Vec<(Clause, usize)> = Vec::new();
        for m in p.models {
            let prices = prices(m.prices).map_err(|e| anyhow::anyhow!("model {}/{}: {e}", p.id, m.id))?;
            let idx = entries.len();
            entries.push(Entry {
                name: Arc::from(format!("genai-prices:{}/{}", p.id, m.id)),
                source: Source::GenaiPrices,
                provider: provider.clone(),
                id: Arc::from(m.id.as_str()),
                origin: origin.clone(),
                prices,
                service_tiers: Vec::new(),
                // Linked on first use (`Catalog::tier_prices`).
                tier_prices: OnceLock::new(),
            });
            // Top-level `or` alternatives: `equals` go to the exact index (first model in
            // data order keeps an id), everything else is a rule.
            let alts = match Clause::compile(m.matcher)? {
                Clause::Or(v) => v,
                c => vec![c],
            };
            for c in alts {
                if check {
                    c.check()?;
                }
                match c {
                    Clause::Equals(s) => {
                        exact.entry(s).or_insert(idx);
                    }
                    c => rules.push((c, idx)),
                }
            }
        }
        let provider = Provider {
            id: pid,
            provider_match: p.provider_match.map(Clause::compile).transpose()?,
            model_match: p.model_match.map(Clause::compile).transpose()?,
            fallbacks: p.fallback_model_providers.iter().filter_map(|f| ids.get(&f.to_lowercase()).copied()).collect(),
            // Anchored at the start of the URL.
            api_pattern: p.api_pattern.map(|pattern| LazyRegex::new(format!("^(?:{pattern})"))),
            exact,
            rules,
        };
        if check {
            provider.check()?;
        }
        providers.push(provider);
    }
    Ok(providers)
}

/// LiteLLM modes that are priced per token and kept.
const LITELLM_MODES: &[&str] = &["chat", "completion", "embedding", "responses"];

/// The LiteLLM rate `key` of a service tier (`suffix` `_flex`, `_priority`, `_batches`;
/// empty for standard), with its `<key>_above_<N>k_tokens<suffix>` tiers.
fn litellm_rate(map: &LiteFields, key: &str, suffix: &str) -> anyhow::Result<Option<Rate>> {
    // Read for every rate of every entry at start-up: no key is built unless a suffix needs it.
    let base = if suffix.is_empty() { map.get(key) } else { map.get(format!("{key}{suffix}").as_str()) };
    let Some(base) = base else {
        return Ok(None);
    };
    let per_mtok = |r: &str| -> anyhow::Result<Decimal> {
        let per_token = decimal_from_json(r)?;
        per_token
            .checked_mul(Decimal::from(1_000_000u32))
            .map(|d| d.normalize())
            .ok_or_else(|| anyhow::anyhow!("price overflow for {key}"))
    };
    let base = per_mtok(base)?;
    // `<key>_above_<N>k_tokens`: a cliff tier at N thousand input tokens.
    let mut tiers = Vec::new();
    for (k, v) in map.iter() {
        let n = k.strip_prefix(key).and_then(|r| r.strip_prefix("_above_"));
        let Some(n) = n.and_then(|r| r.strip_suffix(suffix)).and_then(|r| r.strip_suffix("k_tokens")) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        tiers.push((n * 1000, per_mtok(v)?));
    }
    if tiers.is_empty() {
        Ok(Some(Rate::Flat(base)))
    } else {
        tiers.sort_by_key(|t| t.0);
        Ok(Some(Rate::Tiered { base, tiers }))
    }
}

// `LITELLM_KEYS`: the fields read, shared with build.rs, which keeps only them.
include!("litellm_keys.rs");

/// The fields of one LiteLLM entry we may use, each as its JSON text (a number's exact
/// digits, a string with its quotes). A handful per entry, read ~30 times each at
/// start-up: a list searched in place beats hashing every key.
#[derive(Default)]
pub(crate) struct LiteFields<'a>(Vec<(Cow<'a, str>, &'a str)>);

impl<'a> LiteFields<'a> {
    /// Sets a field; a repeated one keeps its last value, as a JSON object does.
    fn insert(&mut self, key: Cow<'a, str>, value: &'a str) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &'a str)> {
        self.0.iter().map(|(k, v)| (&**k, *v))
    }
}

/// A LiteLLM price map reduced to the fields read, entries in file order (so the first
/// spelling of a key wins), from a price file's JSON (the bundled map is read a line at
/// a time, see [`prepared_line`]).
pub(crate) struct LiteFile<'a>(Vec<(Cow<'a, str>, LiteFields<'a>)>);

impl<'a> LiteFile<'a> {
    /// Parses a LiteLLM JSON price map; every field not read is skipped without allocating
    /// (keys are borrowed from the text when they have no escapes).
    pub(crate) fn from_json(text: &'a str) -> anyhow::Result<LiteFile<'a>> {
        Ok(serde_json::from_str::<JsonLiteFile>(text)?.0)
    }
}

/// One line of the bundled map as build.rs wrote it: `key` then `field` and JSON text
/// pairs, all tab-separated (build.rs refuses a tab or newline in any).
pub(crate) fn prepared_line(line: &str) -> anyhow::Result<(Cow<'_, str>, LiteFields<'_>)> {
    let mut cells = line.split('\t');
    let key = cells.next().unwrap_or_default();
    let mut fields = LiteFields::default();
    while let Some(field) = cells.next() {
        let value = cells.next().ok_or_else(|| anyhow::anyhow!("prepared LiteLLM entry {key:?}: odd cells"))?;
        fields.insert(Cow::Borrowed(field), value);
    }
    Ok((Cow::Borrowed(key), fields))
}

/// One LiteLLM JSON entry's fields read (see [`LiteFile::from_json`]).
struct JsonLiteFields<'a>(LiteFields<'a>);

impl<'de> Deserialize<'de> for JsonLiteFields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JsonLiteFields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a LiteLLM model entry")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = LiteFields::default();
                while let Some(BorrowedKey(k)) = map.next_key::<BorrowedKey<'de>>()? {
                    if LITELLM_KEYS.iter().any(|p| k.starts_with(p)) {
                        let v: &'de RawValue = map.next_value()?;
                        out.insert(k, v.get());
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(JsonLiteFields(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A LiteLLM JSON price map (see [`LiteFile::from_json`]).
struct JsonLiteFile<'a>(LiteFile<'a>);

impl<'de> Deserialize<'de> for JsonLiteFile<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JsonLiteFile<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a LiteLLM price map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(4096));
                while let Some(BorrowedKey(k)) = map.next_key::<BorrowedKey<'de>>()? {
                    out.push((k, map.next_value::<JsonLiteFields<'de>>()?.0));
                }
                Ok(JsonLiteFile(LiteFile(out)))
            }
        }
        d.deserialize_map(V)
    }
}

/// A map key borrowed from the input when it has no escapes (serde's own `Cow<str>`
/// always allocates).
struct BorrowedKey<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for BorrowedKey<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = BorrowedKey<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedKey(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BorrowedKey(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// LiteLLM's key suffix of each service tier with prices of its own.
const LITELLM_TIERS: &[(ServiceTier, &str)] =
    &[(ServiceTier::Flex, "_flex"), (ServiceTier::Priority, "_priority"), (ServiceTier::Batch, "_batches")];

/// The per-token rates of one LiteLLM entry for a service tier's key suffix.
fn litellm_set(map: &LiteFields, suffix: &str) -> anyhow::Result<PriceSet> {
    Ok(PriceSet {
        input: litellm_rate(map, "input_cost_per_token", suffix)?,
        cache_read: litellm_rate(map, "cache_read_input_token_cost", suffix)?,
        cache_write: litellm_rate(map, "cache_creation_input_token_cost", suffix)?,
        cache_write_1h: litellm_rate(map, "cache_creation_input_token_cost_above_1hr", suffix)?,
        output: litellm_rate(map, "output_cost_per_token", suffix)?,
        reasoning: litellm_rate(map, "output_cost_per_reasoning_token", suffix)?,
        requests: None,
    })
}

/// A LiteLLM price file's entries, with their lowercased keys (the first entry in file
/// order keeps a key).
pub(crate) fn load_litellm(file: LiteFile<'_>, origin: &Arc<str>) -> (Vec<Entry>, HashMap<String, usize>) {
    let raw = file.0;
    let (mut entries, mut index) = (Vec::new(), HashMap::with_capacity(raw.len()));
    for (key, map) in raw {
        if let Some(entry) = litellm_entry(&key, &map, origin) {
            index.entry(key.to_lowercase()).or_insert(entries.len());
            entries.push(entry);
        }
    }
    (entries, index)
}

/// The catalog entry of one LiteLLM key; `None` for what the
/// catalog does not keep (the sample, modes not priced per token, entries without an
/// input or output price, malformed ones: one must not take the whole catalog down).
pub(crate) fn litellm_entry(key: &str, map: &LiteFields, origin: &Arc<str>) -> Option<Entry> {
    if key == "sample_spec" {
        return None;
    }
    let mode = map.get("mode").and_then(|m| serde_json::from_str::<&str>(m).ok());
    if !mode.is_some_and(|m| LITELLM_MODES.contains(&m)) {
        return None;
    }
    let mut set = litellm_set(map, "").ok()?;
    if set.cache_read.is_none() {
        set.cache_read = litellm_rate(map, "input_cost_per_token_cache_hit", "").ok()?;
    }
    if set.input.is_none() && set.output.is_none() {
        return None;
    }
    // Service tiers: the buckets the entry prices for the tier (a malformed or empty
    // tier is left out, so its calls are priced at standard rates and said so).
    let service_tiers: Vec<(ServiceTier, PriceSet)> = LITELLM_TIERS
        .iter()
        .filter(|(_, suffix)| map.iter().any(|(k, _)| k.ends_with(suffix)))
        .filter_map(|&(tier, suffix)| Some((tier, litellm_set(map, suffix).ok()?)))
        .filter(|(_, set)| *set != PriceSet::default())
        .collect();
    let provider = map.get("litellm_provider").and_then(|m| serde_json::from_str::<String>(m).ok());
    let name = match &provider {
        Some(p) if !key.contains('/') => format!("litellm:{p}/{key}"),
        _ => format!("litellm:{key}"),
    };
    Some(Entry {
        name: Arc::from(name),
        source: Source::Litellm,
        provider: Arc::from(litellm_provider_id(provider.as_deref().unwrap_or(""))),
        id: Arc::from(key),
        origin: origin.clone(),
        prices: Prices::Parsed(vec![(Constraint::Always, set)]),
        service_tiers,
        tier_prices: OnceLock::new(),
    })
}

/// A LiteLLM provider name as the catalog provider id it resells (`bedrock_converse` →
/// aws, `vertex_ai-anthropic_models` → google), else as written.
fn litellm_provider_id(p: &str) -> String {
    let p = p.to_lowercase();
    let head = p.split(['-', '.']).next().unwrap_or("");
    crate::model::provider::alias(&p).or_else(|| crate::model::provider::alias(head)).map_or(p.clone(), str::to_string)
}

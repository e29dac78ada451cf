//! Loading the two bundled sources into `Entry`s and per-provider indexes.

use super::matcher::{Clause, RawClause};
use super::rates::{decimal_from_json, parse_day, parse_time_of_day, Constraint, PriceSet, Rate};
use super::{Entry, Provider, Source};
use crate::model::ServiceTier;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

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
    #[serde(borrow)]
    prices: &'a RawValue,
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

pub(crate) fn load_genai(text: &str, origin: Arc<str>, entries: &mut Vec<Entry>) -> anyhow::Result<Vec<Provider>> {
    let raw: Vec<RawProvider> = serde_json::from_str(text)?;
    let ids: HashMap<String, usize> = raw.iter().enumerate().map(|(i, p)| (p.id.to_lowercase(), i)).collect();
    let mut providers = Vec::with_capacity(raw.len());
    for p in raw {
        let pid = p.id.to_lowercase();
        let provider: Arc<str> = Arc::from(pid.as_str());
        let mut exact: HashMap<String, usize> = HashMap::new();
        let mut rules: Vec<(Clause, usize)> = Vec::new();
        for m in p.models {
            let prices = if m.prices.get().trim_start().starts_with('[') {
                let list: Vec<RawConditional> = serde_json::from_str(m.prices.get())?;
                list.iter()
                    .map(|c| Ok((genai_constraint(c.constraint.as_ref()), genai_price_set(&c.prices)?)))
                    .collect::<anyhow::Result<Vec<_>>>()?
            } else {
                let map: HashMap<String, &RawValue> = serde_json::from_str(m.prices.get())?;
                vec![(Constraint::Always, genai_price_set(&map)?)]
            };
            anyhow::ensure!(!prices.is_empty(), "model {}/{} has no prices", p.id, m.id);
            let idx = entries.len();
            entries.push(Entry {
                name: Arc::from(format!("genai-prices:{}/{}", p.id, m.id)),
                source: Source::GenaiPrices,
                provider: provider.clone(),
                id: Arc::from(m.id.as_str()),
                origin: origin.clone(),
                prices,
                service_tiers: Vec::new(),
                tier_prices: None,
            });
            // Top-level `or` alternatives: `equals` go to the exact index (first model in
            // data order keeps an id), everything else is a rule.
            let alts = match Clause::compile(m.matcher)? {
                Clause::Or(v) => v,
                c => vec![c],
            };
            for c in alts {
                match c {
                    Clause::Equals(s) => {
                        exact.entry(s).or_insert(idx);
                    }
                    c => rules.push((c, idx)),
                }
            }
        }
        providers.push(Provider {
            id: pid,
            provider_match: p.provider_match.map(Clause::compile).transpose()?,
            model_match: p.model_match.map(Clause::compile).transpose()?,
            fallbacks: p.fallback_model_providers.iter().filter_map(|f| ids.get(&f.to_lowercase()).copied()).collect(),
            api_pattern: p.api_pattern.as_deref().map(api_regex).transpose()?,
            exact,
            rules,
        });
    }
    Ok(providers)
}

/// LiteLLM modes that are priced per token and kept.
const LITELLM_MODES: &[&str] = &["chat", "completion", "embedding", "responses"];

/// A provider's `api_pattern`, anchored at the start of the URL, case-insensitive.
fn api_regex(pattern: &str) -> anyhow::Result<regex::Regex> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})"))
        .case_insensitive(true)
        .build()
        .map_err(|e| anyhow::anyhow!("bad api_pattern {pattern:?} in pricing data: {e}"))
}

/// The LiteLLM rate `key` of a service tier (`suffix` `_flex`, `_priority`, `_batches`;
/// empty for standard), with its `<key>_above_<N>k_tokens<suffix>` tiers.
fn litellm_rate(map: &HashMap<Cow<str>, &RawValue>, key: &str, suffix: &str) -> anyhow::Result<Option<Rate>> {
    // Read for every rate of every entry at start-up: no key is built unless a suffix needs it.
    let base = if suffix.is_empty() { map.get(key) } else { map.get(format!("{key}{suffix}").as_str()) };
    let Some(base) = base else {
        return Ok(None);
    };
    let per_mtok = |r: &RawValue| -> anyhow::Result<Decimal> {
        let per_token = decimal_from_json(r)?;
        per_token
            .checked_mul(Decimal::from(1_000_000u32))
            .map(|d| d.normalize())
            .ok_or_else(|| anyhow::anyhow!("price overflow for {key}"))
    };
    let base = per_mtok(base)?;
    // `<key>_above_<N>k_tokens`: a cliff tier at N thousand input tokens.
    let mut tiers = Vec::new();
    for (k, v) in map {
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

/// The fields of one LiteLLM entry we may use; every other key is skipped without
/// allocating (keys are borrowed from the embedded text when they have no escapes).
#[derive(Default)]
struct LiteFields<'a> {
    fields: HashMap<Cow<'a, str>, &'a RawValue>,
}

/// Key prefixes of the LiteLLM fields read (tiers share the prefix).
const LITELLM_KEYS: &[&str] = &[
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
    "mode",
    "litellm_provider",
];

impl<'de> Deserialize<'de> for LiteFields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LiteFields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a LiteLLM model entry")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = LiteFields::default();
                while let Some(BorrowedKey(k)) = map.next_key::<BorrowedKey<'de>>()? {
                    if LITELLM_KEYS.iter().any(|p| k.starts_with(p)) {
                        let v: &'de RawValue = map.next_value()?;
                        out.fields.insert(k, v);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// The LiteLLM file, entries in file order (so the first spelling of a key wins).
struct LiteFile<'a>(Vec<(BorrowedKey<'a>, LiteFields<'a>)>);

impl<'de> Deserialize<'de> for LiteFile<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LiteFile<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a LiteLLM price map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(4096));
                while let Some(k) = map.next_key::<BorrowedKey<'de>>()? {
                    out.push((k, map.next_value::<LiteFields<'de>>()?));
                }
                Ok(LiteFile(out))
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
fn litellm_set(map: &HashMap<Cow<str>, &RawValue>, suffix: &str) -> anyhow::Result<PriceSet> {
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

/// LiteLLM entries keyed by lowercased model key.
pub(crate) fn load_litellm(
    text: &str,
    origin: Arc<str>,
    entries: &mut Vec<Entry>,
) -> anyhow::Result<HashMap<String, usize>> {
    let raw: Vec<(BorrowedKey, LiteFields)> = serde_json::from_str::<LiteFile>(text)?.0;
    let mut index = HashMap::with_capacity(raw.len());
    for (BorrowedKey(key), LiteFields { fields: map }) in raw {
        if key == "sample_spec" {
            continue;
        }
        let mode = map.get("mode").and_then(|m| serde_json::from_str::<&str>(m.get()).ok());
        if !mode.is_some_and(|m| LITELLM_MODES.contains(&m)) {
            continue;
        }
        let set = (|| -> anyhow::Result<PriceSet> {
            let mut set = litellm_set(&map, "")?;
            if set.cache_read.is_none() {
                set.cache_read = litellm_rate(&map, "input_cost_per_token_cache_hit", "")?;
            }
            Ok(set)
        })();
        // One malformed entry must not take the whole catalog down: skip it.
        let Ok(set) = set else { continue };
        if set.input.is_none() && set.output.is_none() {
            continue;
        }
        // Service tiers: the buckets the entry prices for the tier (a malformed or empty
        // tier is left out, so its calls are priced at standard rates and said so).
        let service_tiers: Vec<(ServiceTier, PriceSet)> = LITELLM_TIERS
            .iter()
            .filter(|(_, suffix)| map.keys().any(|k| k.ends_with(suffix)))
            .filter_map(|&(tier, suffix)| Some((tier, litellm_set(&map, suffix).ok()?)))
            .filter(|(_, set)| *set != PriceSet::default())
            .collect();
        let provider = map.get("litellm_provider").and_then(|m| serde_json::from_str::<String>(m.get()).ok());
        let name = match &provider {
            Some(p) if !key.contains('/') => format!("litellm:{p}/{key}"),
            _ => format!("litellm:{key}"),
        };
        let idx = entries.len();
        entries.push(Entry {
            name: Arc::from(name),
            source: Source::Litellm,
            provider: Arc::from(litellm_provider_id(provider.as_deref().unwrap_or(""))),
            id: Arc::from(&*key),
            origin: origin.clone(),
            prices: vec![(Constraint::Always, set)],
            tier_prices: (!service_tiers.is_empty()).then_some(idx),
            service_tiers,
        });
        index.entry(key.to_lowercase()).or_insert(idx);
    }
    Ok(index)
}

/// A LiteLLM provider name as the catalog provider id it resells (`bedrock_converse` →
/// aws, `vertex_ai-anthropic_models` → google), else as written.
fn litellm_provider_id(p: &str) -> String {
    let p = p.to_lowercase();
    let head = p.split(['-', '.']).next().unwrap_or("");
    crate::model::provider::alias(&p).or_else(|| crate::model::provider::alias(head)).map_or(p.clone(), str::to_string)
}

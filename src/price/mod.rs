//! Price stage: a catalog of dated model prices, and `price_calls`, its one entry point.
//!
//! CONTRACT (used by the pipeline; keep these signatures):
//! - `Catalog::embedded()` loads the bundled catalog (compiled into the binary).
//! - `Catalog::quote(model, provider, time_ns, &tokens) -> Option<Quote>`.
//! - `price_calls(&catalog, calls) -> Vec<PricedCall>`.
//!
//! Sources (see `pricing/README.md`): genai-prices (primary) and LiteLLM (secondary, only
//! for models genai-prices cannot price). Money is `Decimal` end to end, parsed from the
//! JSON number text; nothing is rounded here.

mod load;
mod matcher;
mod rates;
#[cfg(test)]
mod tests;

use crate::model::{Call, PricedCall, TokenBuckets};
use matcher::Clause;
use rates::{Constraint, PriceSet};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub use rates::AppliedRates;

static GENAI_PRICES: &str = include_str!("../../pricing/genai-prices-v2.json");
static LITELLM_PRICES: &str = include_str!("../../pricing/litellm-model-prices.json");

/// Which data set priced a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    GenaiPrices,
    Litellm,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::GenaiPrices => "genai-prices",
            Source::Litellm => "litellm",
        }
    }
}

/// One priced model: its name for explanations and its (possibly dated) price sets.
#[derive(Debug)]
pub(crate) struct Entry {
    pub name: Arc<str>,
    pub source: Source,
    /// In data order; the last active one applies, the first when none is active.
    pub prices: Vec<(Constraint, PriceSet)>,
}

/// A genai-prices provider with its model index.
#[derive(Debug)]
pub(crate) struct Provider {
    pub id: String,
    pub provider_match: Option<Clause>,
    pub model_match: Option<Clause>,
    pub fallbacks: Vec<usize>,
    /// `equals` ids (lowercase) → entry.
    pub exact: HashMap<String, usize>,
    /// Every other match alternative → entry.
    pub rules: Vec<(Clause, usize)>,
}

const CACHE_CAP: usize = 1 << 16;

pub struct Catalog {
    entries: Vec<Entry>,
    providers: Vec<Provider>,
    provider_ids: HashMap<String, usize>,
    litellm: HashMap<String, usize>,
    /// Memo of `(provider, model)` → entry; resolution is the costly part of a quote.
    memo: RwLock<HashMap<Box<str>, Option<usize>>>,
}

/// The price of one call.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    pub cost: Decimal,
    /// `source:provider/model-id`, e.g. `genai-prices:anthropic/claude-sonnet-4-5`.
    pub entry: Arc<str>,
    pub source: Source,
    /// Unit prices applied, per million tokens (after tier selection and fallbacks).
    pub rates: AppliedRates,
    /// The tier threshold (input tokens) whose rates applied, if a tier above base did.
    pub tier_threshold: Option<u64>,
    /// `start_date` of the dated price set used, if it had one.
    pub effective_from: Option<Arc<str>>,
}

enum Found {
    One(usize),
    Ambiguous,
    None,
}

impl Catalog {
    pub fn embedded() -> anyhow::Result<Catalog> {
        Catalog::from_sources(GENAI_PRICES, LITELLM_PRICES)
    }

    /// Build a catalog from genai-prices v2 JSON and LiteLLM JSON texts.
    pub fn from_sources(genai_json: &str, litellm_json: &str) -> anyhow::Result<Catalog> {
        let mut entries = Vec::new();
        let providers = load::load_genai(genai_json, &mut entries)?;
        let litellm = load::load_litellm(litellm_json, &mut entries)?;
        let provider_ids = providers.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        Ok(Catalog { entries, providers, provider_ids, litellm, memo: RwLock::new(HashMap::new()) })
    }

    /// Price one call; `None` when the model is unknown or ambiguous, or a billed bucket
    /// has no price. `time_ns` 0 means unknown: the price in effect now is used.
    pub fn quote(&self, model: &str, provider: Option<&str>, time_ns: u64, tokens: &TokenBuckets) -> Option<Quote> {
        let entry = &self.entries[self.resolve(model, provider)?];
        let (set, effective_from) = entry.select(time_ns);
        let c = set.cost(tokens)?;
        Some(Quote {
            cost: c.cost,
            entry: entry.name.clone(),
            source: entry.source,
            rates: c.rates,
            tier_threshold: c.tier,
            effective_from,
        })
    }

    /// The catalog entry name a model resolves to (for explanations), without pricing.
    pub fn entry_for(&self, model: &str, provider: Option<&str>) -> Option<Arc<str>> {
        self.resolve(model, provider).map(|i| self.entries[i].name.clone())
    }

    fn resolve(&self, model: &str, provider: Option<&str>) -> Option<usize> {
        let p = provider.unwrap_or("");
        let mut key = String::with_capacity(p.len() + model.len() + 1);
        key.push_str(p);
        key.push('\u{1}');
        key.push_str(model);
        if let Ok(m) = self.memo.read() {
            if let Some(hit) = m.get(key.as_str()) {
                return *hit;
            }
        }
        let found = self.resolve_uncached(model, provider);
        if let Ok(mut m) = self.memo.write() {
            if m.len() < CACHE_CAP {
                m.insert(key.into_boxed_str(), found);
            }
        }
        found
    }

    /// Selection order:
    /// 1. Lowercase and trim the model; empty → unpriced. A `prefix/` naming a known
    ///    provider (`anthropic/claude-…`, `vertex_ai/…`) is stripped and used as a provider
    ///    hint; both the full and the stripped id are tried below.
    /// 2. The telemetry provider (else the prefix hint) is mapped to a genai-prices provider:
    ///    alias table (`gcp.vertex_ai`→google, `aws.bedrock`/`bedrock`→aws,
    ///    `azure.ai.openai`→azure, …), then provider id, then the part before the first `.`
    ///    (`openai.chat`→openai, `anthropic.messages`→anthropic), then `provider_match`.
    /// 3. Within that provider: an exact `equals` id beats every rule; among rules
    ///    (`starts_with`/`contains`/`ends_with`/`regex`/`and`) the longest matched literal
    ///    wins, and a tie between differently priced models is ambiguous (skipped).
    ///    Prefix/contains rules never swallow a longer, different id (see
    ///    `matcher::acceptable_rest`).
    /// 4. Then the provider's `fallback_model_providers`, in order.
    /// 5. Then providers whose `model_match` accepts the model, in data order.
    /// 6. Then any provider with an exact `equals` match, if all such agree on price.
    /// 7. Finally LiteLLM, exact key: provider-prefixed keys (`vertex_ai/…`, `azure/…`)
    ///    first, then the id as given, then with the prefix stripped.
    fn resolve_uncached(&self, model: &str, provider: Option<&str>) -> Option<usize> {
        let full = model.trim().to_lowercase();
        if full.is_empty() {
            return None;
        }
        let (stripped, hint) = match full.split_once('/') {
            Some((pre, rest)) if !rest.is_empty() => match self.find_provider(pre) {
                Some(h) => (Some(rest.to_string()), Some(h)),
                None => (None, None),
            },
            _ => (None, None),
        };
        let names: Vec<&str> = std::iter::once(full.as_str()).chain(stripped.as_deref()).collect();
        let given = provider.map(str::trim).filter(|p| !p.is_empty());
        let chosen = given.and_then(|p| self.find_provider(p)).or(hint);

        let mut tried = vec![false; self.providers.len()];
        if let Some(pi) = chosen {
            let mut chain = vec![pi];
            chain.extend(self.providers[pi].fallbacks.iter().copied());
            for p in chain {
                if std::mem::replace(&mut tried[p], true) {
                    continue;
                }
                if let Found::One(i) = self.find_in(p, &names) {
                    return Some(i);
                }
            }
        }
        for (pi, p) in self.providers.iter().enumerate() {
            if tried[pi] || !p.model_match.as_ref().is_some_and(|mm| names.iter().any(|n| mm.is_match(n))) {
                continue;
            }
            tried[pi] = true;
            if let Found::One(i) = self.find_in(pi, &names) {
                return Some(i);
            }
        }
        let mut exact: Option<usize> = None;
        let mut agree = true;
        for p in &self.providers {
            if let Some(&i) = names.iter().find_map(|n| p.exact.get(*n)) {
                match exact {
                    None => exact = Some(i),
                    Some(e) if self.entries[e].prices != self.entries[i].prices => agree = false,
                    Some(_) => {}
                }
            }
        }
        if let (Some(i), true) = (exact, agree) {
            return Some(i);
        }
        if let Some(pi) = chosen {
            for pre in litellm_prefixes(&self.providers[pi].id) {
                for n in &names {
                    if let Some(&i) = self.litellm.get(&format!("{pre}{n}")) {
                        return Some(i);
                    }
                }
            }
        }
        names.iter().find_map(|n| self.litellm.get(*n).copied())
    }

    fn find_provider(&self, raw: &str) -> Option<usize> {
        let s = raw.trim().to_lowercase();
        let by_id = |id: &str| self.provider_ids.get(id).copied();
        if let Some(i) = provider_alias(&s).and_then(by_id) {
            return Some(i);
        }
        if let Some(i) = by_id(&s) {
            return Some(i);
        }
        if let Some((head, _)) = s.split_once('.') {
            if let Some(i) = provider_alias(head).and_then(by_id).or_else(|| by_id(head)) {
                return Some(i);
            }
        }
        self.providers.iter().position(|p| p.provider_match.as_ref().is_some_and(|m| m.is_match(&s)))
    }

    fn find_in(&self, pi: usize, names: &[&str]) -> Found {
        let p = &self.providers[pi];
        if let Some(&i) = names.iter().find_map(|n| p.exact.get(*n)) {
            return Found::One(i);
        }
        let mut best: Option<(usize, usize)> = None;
        let mut tie = false;
        for (rule, i) in &p.rules {
            let Some(score) = names.iter().filter_map(|n| rule.score(n)).max() else {
                continue;
            };
            match best {
                Some((s, _)) if score < s => {}
                Some((s, b)) if score == s => {
                    if b != *i && self.entries[b].prices != self.entries[*i].prices {
                        tie = true;
                    }
                }
                _ => {
                    best = Some((score, *i));
                    tie = false;
                }
            }
        }
        match best {
            Some(_) if tie => Found::Ambiguous,
            Some((_, i)) => Found::One(i),
            None => Found::None,
        }
    }
}

/// Telemetry provider names (`gen_ai.provider.name`, `gen_ai.system`, LiteLLM provider
/// names) that are not themselves genai-prices ids or caught by `provider_match`.
fn provider_alias(s: &str) -> Option<&'static str> {
    Some(match s {
        "gcp.vertex_ai" | "gcp.gemini" | "gcp.gen_ai" | "vertex_ai" | "vertex_ai_beta" | "vertexai" | "vertex"
        | "gemini" | "google_genai" | "google.genai" | "google_ai_studio" => "google",
        "aws.bedrock" | "aws" | "bedrock" | "bedrock_converse" | "amazon_bedrock" | "aws_bedrock"
        | "amazon-bedrock" => "aws",
        "azure.ai.openai" | "azure.ai.inference" | "az.ai.openai" | "az.ai.inference" | "azure" | "azure_ai"
        | "azure_openai" => "azure",
        "xai" | "x_ai" | "x.ai" | "x-ai" => "x-ai",
        "mistral_ai" | "mistralai" => "mistral",
        "together_ai" | "together-ai" | "togetherai" => "together",
        "fireworks_ai" | "fireworks-ai" => "fireworks",
        "moonshot" => "moonshotai",
        "openai" => "openai",
        "anthropic" => "anthropic",
        _ => return None,
    })
}

/// LiteLLM key prefixes of a genai-prices provider, most specific first.
fn litellm_prefixes(provider_id: &str) -> &'static [&'static str] {
    match provider_id {
        "google" => &["vertex_ai/", "gemini/"],
        "aws" => &["bedrock/", "bedrock_converse/"],
        "azure" => &["azure/", "azure_ai/"],
        "x-ai" => &["xai/"],
        "mistral" => &["mistral/"],
        "deepseek" => &["deepseek/"],
        "groq" => &["groq/"],
        "together" => &["together_ai/"],
        "openrouter" => &["openrouter/"],
        "perplexity" => &["perplexity/"],
        "anthropic" => &["anthropic/"],
        "openai" => &["openai/"],
        _ => &[],
    }
}

const NS_PER_DAY: u64 = 86_400 * 1_000_000_000;

impl Entry {
    /// The price set in effect at `time_ns`: the last active one in data order, else the
    /// first. Unknown time (0): date constraints are evaluated at the current wall-clock
    /// day (the price in effect now; a scheduled future price is not used) and
    /// time-of-day constraints are inactive (base price).
    fn select(&self, time_ns: u64) -> (&PriceSet, Option<Arc<str>>) {
        let pick = |c: &Constraint| match c {
            Constraint::StartDay { date, .. } => Some(date.clone()),
            _ => None,
        };
        if self.prices.len() == 1 {
            return (&self.prices[0].1, pick(&self.prices[0].0));
        }
        let (day, sod) = if time_ns == 0 {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos().min(u64::MAX as u128) as u64);
            ((now / NS_PER_DAY) as i64, None)
        } else {
            ((time_ns / NS_PER_DAY) as i64, Some(((time_ns % NS_PER_DAY) / 1_000_000_000) as u32))
        };
        let active = |c: &Constraint| match c {
            Constraint::Always => true,
            Constraint::StartDay { day: start, .. } => day >= *start,
            Constraint::TimeOfDay { start_s, end_s } => sod.is_some_and(|s| {
                if start_s <= end_s {
                    *start_s <= s && s < *end_s
                } else {
                    s >= *start_s || s < *end_s
                }
            }),
            Constraint::Unsupported => false,
        };
        let (c, set) = self.prices.iter().rev().find(|(c, _)| active(c)).unwrap_or(&self.prices[0]);
        (set, pick(c))
    }
}

pub fn price_calls(catalog: &Catalog, calls: Vec<Call>) -> Vec<PricedCall> {
    calls
        .into_iter()
        .map(|call| {
            let quote = call
                .model
                .as_deref()
                .and_then(|m| catalog.quote(m, call.provider.as_deref(), call.time_ns, &call.tokens));
            PricedCall { cost: quote.as_ref().map(|q| q.cost), price_ref: quote.map(|q| q.entry), call }
        })
        .collect()
}

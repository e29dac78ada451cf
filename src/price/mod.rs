//! Price stage: a catalog of dated model prices, and `price_calls`, its one entry point.
//!
//! What the pipeline uses:
//! - `Catalog::load(&files)`: the bundled catalog with the user's price files over it
//!   (`Catalog::embedded()` alone); loaded on its own thread while the input is read.
//! - `price_calls(&catalog, calls, explain)`: each counted `Call` as a [`PricedCall`],
//!   streamed; a call no entry prices keeps its tokens with no cost, never $0.
//! - `Catalog::quote` / `quote_with` price one call's tokens (what-if and compare-bill).
//!
//! Sources (see `pricing/README.md`): genai-prices (primary) and LiteLLM (secondary, only
//! for models genai-prices cannot price). Money is `Decimal` end to end, parsed from the
//! JSON number text; nothing is rounded here.

mod entries;
mod load;
mod matcher;
mod names;
mod overrides;
mod rates;
mod resolve;
pub mod snapshot;
#[cfg(test)]
mod tests;
pub mod what_if;

use crate::model::{Call, ServiceTier, TokenBuckets, TokenType};
use entries::Entries;
use matcher::Clause;
use rates::{Constraint, PriceSet};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

pub use rates::AppliedRates;
pub use resolve::MatchExplanation;

/// The day the bundled price files were copied in (pricing/README.md says what is known
/// of each file's own age). A macro so that `--version` can `concat!` it.
macro_rules! bundled_date {
    () => {
        "2026-11-23"
    };
}
pub(crate) use bundled_date;

/// [`bundled_date!`] as a value.
pub const BUNDLED_DATE: &str = bundled_date!();

/// The genai-prices file or LiteLLM map a catalog is built from.
#[derive(Clone, Copy)]
enum PriceFile<'a> {
    /// The bundled one (prepared at compile time by build.rs).
    Bundled,
    /// A price file: its name and JSON text.
    File(&'a str, &'a str),
}

impl<'a> PriceFile<'a> {
    fn name(self) -> &'a str {
        match self {
            PriceFile::Bundled => "embedded",
            PriceFile::File(name, _) => name,
        }
    }
}

/// Which data set priced a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    GenaiPrices,
    Litellm,
    /// The user's overrides file.
    User,
}

impl serde::Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::GenaiPrices => "genai-prices",
            Source::Litellm => "litellm",
            Source::User => "user",
        }
    }
}

/// One priced model: its name for explanations and its (possibly dated) price sets.
#[derive(Debug)]
pub(crate) struct Entry {
    pub name: Arc<str>,
    pub source: Source,
    /// The catalog provider id the entry belongs to (LiteLLM's provider mapped to it).
    pub provider: Arc<str>,
    /// The model id within its source (genai-prices id, LiteLLM key, user id).
    pub id: Arc<str>,
    /// `embedded` or the file it was loaded from.
    pub origin: Arc<str>,
    /// In data order; the last active one applies, the first when none is active.
    pub prices: Prices,
    /// Rates per service tier (LiteLLM `…_flex`, `…_priority`, `…_batches`), each listing
    /// only the buckets the tier prices. Empty for most entries.
    pub service_tiers: Vec<(ServiceTier, PriceSet)>,
    /// A genai-prices entry's LiteLLM entry of the same model id, whose `service_tiers`
    /// apply to it: found on first use ([`Catalog::tier_prices`]). Unused for the others.
    pub tier_prices: OnceLock<Option<usize>>,
}

/// An entry's price sets, in data order: parsed at load, or (the bundled genai-prices
/// file's ~1500 models) kept as their JSON text and parsed on first use.
#[derive(Debug)]
pub(crate) enum Prices {
    Parsed(Vec<(Constraint, PriceSet)>),
    Deferred { text: &'static str, parsed: OnceLock<Vec<(Constraint, PriceSet)>> },
}

impl Prices {
    /// The price sets; none if deferred ones do not parse (never for the bundled file, which
    /// `the_bundled_catalog_is_its_json_parsed_at_run_time` parses whole).
    pub(crate) fn get(&self) -> &[(Constraint, PriceSet)] {
        match self {
            Prices::Parsed(v) => v,
            Prices::Deferred { text, parsed } => parsed.get_or_init(|| load::genai_prices(text).unwrap_or_default()),
        }
    }
}

/// A genai-prices provider with its model index.
#[derive(Debug)]
pub(crate) struct Provider {
    pub id: String,
    pub provider_match: Option<Clause>,
    pub model_match: Option<Clause>,
    pub fallbacks: Vec<usize>,
    /// The provider's API URL pattern (genai-prices `api_pattern`), anchored at the start.
    pub api_pattern: Option<matcher::LazyRegex>,
    /// `equals` ids (lowercase) → entry.
    pub exact: HashMap<String, usize>,
    /// Every other match alternative → entry.
    pub rules: Vec<(Clause, usize)>,
}

impl Provider {
    /// Compiles the provider's regexes now (see [`matcher::LazyRegex`]).
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        if let Some(re) = &self.api_pattern {
            re.get().map_err(|e| anyhow::anyhow!("bad api_pattern {:?} in pricing data: {e}", re.as_str()))?;
        }
        self.provider_match.iter().chain(&self.model_match).try_for_each(Clause::check)
    }

    pub(crate) fn empty(id: &str) -> Provider {
        Provider {
            id: id.to_string(),
            provider_match: None,
            model_match: None,
            fallbacks: Vec::new(),
            api_pattern: None,
            exact: HashMap::new(),
            rules: Vec::new(),
        }
    }
}

const CACHE_CAP: usize = 1 << 16;

/// The largest price (USD per million tokens, or per token in a LiteLLM map) or
/// adjustment percent read from a price file. With token counts bounded by
/// [`crate::decode::MAX_COUNT`] and reported costs by `MAX_COST_USD`, one call costs at
/// most ~10^17 USD, so summing even 10^11 calls stays far inside a decimal's 7.9·10^28:
/// the plain `+` of report totals cannot overflow.
pub const MAX_PRICE: u32 = 1_000_000;

pub struct Catalog {
    entries: Entries,
    providers: Vec<Provider>,
    provider_ids: HashMap<String, usize>,
    user: overrides::UserLayer,
    /// What was loaded, in layer order (`genai-prices: embedded`, `overrides: FILE`, …).
    layers: Vec<String>,
    /// The base price data's day and kind: `2026-11-23 (bundled)`, `2026-12-03 (fetched)`.
    prices_date: String,
    /// Memo of `(provider, model)` → entry; resolution is the costly part of a quote.
    memo: RwLock<HashMap<Box<str>, Option<usize>>>,
}

/// The price of one call.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    /// What the user pays: `list_cost` after their discount or markup.
    pub cost: Decimal,
    /// The cost at the catalog's prices.
    pub list_cost: Decimal,
    /// The user's discount (negative) or markup (positive) in percent, if one applied.
    pub adjustment_percent: Option<Decimal>,
    /// `source:provider/model-id`, e.g. `genai-prices:anthropic/claude-sonnet-4-5`.
    pub entry: Arc<str>,
    /// The entry's index in its catalog.
    entry_index: usize,
    pub source: Source,
    /// List unit prices applied, per million tokens (after tier selection and fallbacks).
    pub rates: AppliedRates,
    /// The tier threshold (input tokens) whose rates applied, if a tier above base did.
    pub tier_threshold: Option<u64>,
    /// `start_date` of the dated price set used, if it had one.
    pub effective_from: Option<Arc<str>>,
    /// Tokens billed per `TokenType::ALL`: reasoning apart from output only when it has a
    /// rate of its own.
    pub billed: [u64; TokenType::COUNT],
    /// Cost per token type at the catalog's prices; sums exactly to `list_cost`.
    pub list_by_type: [Decimal; TokenType::COUNT],
    /// Cost per token type after the user's adjustment; sums exactly to `cost`.
    pub cost_by_type: [Decimal; TokenType::COUNT],
    /// The service tier the call ran in (`Standard` when the telemetry does not say).
    pub service_tier: ServiceTier,
    /// The entry whose service-tier rates applied. `None` for a standard call, and for a
    /// call in another tier whose model has no price for it: that call is priced at
    /// standard rates (see `tier_missing`).
    pub tier_entry: Option<Arc<str>>,
}

/// What a call adds to its model and provider for pricing.
#[derive(Clone, Copy, Debug)]
pub struct Terms<'a> {
    /// `server.address`: picks the provider when the telemetry names none the catalog knows.
    pub address: Option<&'a str>,
    pub tier: ServiceTier,
    /// Requests the call stands for: what a per-request fee is charged on.
    pub requests: u64,
}

impl Default for Terms<'_> {
    fn default() -> Self {
        Terms { address: None, tier: ServiceTier::Standard, requests: 1 }
    }
}

impl Quote {
    /// The list unit price (per million tokens) applied to a token type.
    pub fn list_rate(&self, t: TokenType) -> Option<Decimal> {
        let r = &self.rates;
        match t {
            TokenType::Input => r.input,
            TokenType::CacheRead => r.cache_read,
            TokenType::CacheWrite5m => r.cache_write_5m,
            TokenType::CacheWrite1h => r.cache_write_1h,
            TokenType::Output => r.output,
            TokenType::Reasoning => r.reasoning,
            TokenType::Request => r.request,
        }
    }

    /// A call in a tier with prices of its own (or an unknown one) priced at standard
    /// rates, because no price for that tier is known for its model.
    pub fn tier_missing(&self) -> bool {
        self.service_tier != ServiceTier::Standard && self.tier_entry.is_none()
    }

    /// The unit price after the user's adjustment (the list price when none applies).
    pub fn rate(&self, t: TokenType) -> Option<Decimal> {
        let list = self.list_rate(t)?;
        match self.adjustment_percent {
            Some(p) => list.checked_mul(adjustment_factor(p)?),
            None => Some(list),
        }
    }
}

/// `-10` (percent) → `0.9`.
fn adjustment_factor(percent: Decimal) -> Option<Decimal> {
    Decimal::ONE_HUNDRED.checked_add(percent)?.checked_div(Decimal::ONE_HUNDRED)
}

impl Catalog {
    pub fn embedded() -> anyhow::Result<Catalog> {
        Catalog::build(PriceFile::Bundled, PriceFile::Bundled)
    }

    /// A catalog of two downloaded price files (`prices update` checks them with it): each
    /// its name and JSON text.
    #[cfg(feature = "update")]
    pub(crate) fn from_files(genai: (&str, &str), litellm: (&str, &str)) -> anyhow::Result<Catalog> {
        Catalog::build(PriceFile::File(genai.0, genai.1), PriceFile::File(litellm.0, litellm.1))
    }

    /// A catalog of a genai-prices v2 file and a LiteLLM map.
    fn build(genai: PriceFile<'_>, litellm: PriceFile<'_>) -> anyhow::Result<Catalog> {
        let load_genai = || {
            let (mut entries, origin) = (Vec::new(), Arc::from(genai.name()));
            match genai {
                PriceFile::Bundled => load::bundled_genai(origin, &mut entries),
                PriceFile::File(_, text) => load::load_genai(text, origin, &mut entries),
            }
            .map(|providers| (entries, providers))
            .map_err(|e| anyhow::anyhow!("{}: not a genai-prices v2 file: {e}", genai.name()))
        };
        let (entries, providers) = match litellm {
            // The bundled map's entries are built on first use: nothing to wait for.
            PriceFile::Bundled => {
                let (genai_entries, providers) = load_genai()?;
                (Entries::with_bundled_litellm(genai_entries, Arc::from(litellm.name())), providers)
            }
            // A price file's map loads beside genai-prices' (the input waits for both).
            PriceFile::File(name, text) => {
                let (genai_loaded, litellm_loaded) = std::thread::scope(|scope| {
                    let litellm = scope.spawn(|| {
                        let file = load::LiteFile::from_json(text)
                            .map_err(|e| anyhow::anyhow!("{name}: not a LiteLLM price map: {e}"))?;
                        anyhow::Ok(load::load_litellm(file, &Arc::from(name)))
                    });
                    (load_genai(), litellm.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                });
                let (genai_entries, providers) = genai_loaded?;
                (Entries::with_litellm_file(genai_entries, litellm_loaded?), providers)
            }
        };
        let provider_ids = providers.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        Ok(Catalog {
            entries,
            providers,
            provider_ids,
            user: overrides::UserLayer::default(),
            layers: vec![format!("genai-prices: {}", genai.name()), format!("litellm: {}", litellm.name())],
            prices_date: format!("{BUNDLED_DATE} (bundled)"),
            memo: RwLock::new(HashMap::new()),
        })
    }

    /// The entry whose service-tier rates apply to entry `i`: a LiteLLM entry with tier
    /// prices itself; a genai-prices entry (genai-prices has no tier prices) the LiteLLM
    /// entry of the same model id, the provider's prefixed key first as in matching,
    /// linked on first use.
    fn tier_prices(&self, i: usize) -> Option<usize> {
        let e = &self.entries[i];
        match e.source {
            Source::Litellm => (!e.service_tiers.is_empty()).then_some(i),
            Source::User => None,
            Source::GenaiPrices => *e.tier_prices.get_or_init(|| {
                let id = e.id.to_lowercase();
                let provider = self.provider_ids.get(&*e.provider).copied();
                // The first key of the same provider with tier prices (`gemini/gemini-2.5-pro`
                // has them where `vertex_ai/…` does not): a reseller's model (Azure's `gpt-5`)
                // never takes the maker's tier prices.
                let names = [id.as_str()];
                let linked = self
                    .litellm_keys(&names, provider)
                    .filter(|(j, _)| self.entries[*j].provider == e.provider)
                    .find_map(|(j, _)| self.tier_prices(j));
                linked
            }),
        }
    }

    /// The base catalog with the user's `--prices` files layered on in order. The base is
    /// what `otelcost prices update` fetched, else (or `offline`) the bundled data. Each file
    /// is recognised by content: a JSON array is a genai-prices v2 file (replaces the base
    /// one), a JSON object a LiteLLM price map (replaces the base one), anything else an
    /// overrides TOML file (added on top; later files win).
    pub fn load(extra_files: &[std::path::PathBuf], offline: bool) -> anyhow::Result<Catalog> {
        let mut texts = Vec::with_capacity(extra_files.len());
        for path in extra_files {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read price file {}: {e}", path.display()))?;
            texts.push((path.display().to_string(), text));
        }
        let fetched = if offline { None } else { snapshot::load()? };
        let names = fetched.as_ref().map(|s| {
            (
                s.dir.join(snapshot::GENAI_FILE).display().to_string(),
                s.dir.join(snapshot::LITELLM_FILE).display().to_string(),
            )
        });
        let (base_genai, base_litellm) = match (&fetched, &names) {
            (Some(s), Some((genai, litellm))) => {
                (PriceFile::File(genai, s.genai.as_str()), PriceFile::File(litellm, s.litellm.as_str()))
            }
            _ => (PriceFile::Bundled, PriceFile::Bundled),
        };
        // `[` then `{` is a JSON array of providers; TOML tables start `[name` or `[[`.
        let kind = |t: &str| {
            let mut c = t.chars().filter(|c| !c.is_whitespace());
            match (c.next(), c.next()) {
                (Some('['), Some('{' | ']')) => Some('['),
                (Some('{'), _) => Some('{'),
                _ => None,
            }
        };
        let genai = texts.iter().rev().find(|(_, t)| kind(t) == Some('['));
        let litellm = texts.iter().rev().find(|(_, t)| kind(t) == Some('{'));
        let mut c = Catalog::build(
            genai.map_or(base_genai, |(f, t)| PriceFile::File(f, t)),
            litellm.map_or(base_litellm, |(f, t)| PriceFile::File(f, t)),
        )?;
        if let Some(s) = &fetched {
            c.prices_date = format!("{} (fetched)", s.date);
        }
        for (file, text) in &texts {
            if matches!(kind(text), Some('[' | '{')) {
                continue;
            }
            let (mut user, mut entries) = (std::mem::take(&mut c.user), std::mem::take(&mut c.entries));
            let r = overrides::load_toml(file, text, &mut entries, &mut user, &|p| c.provider_key(p));
            (c.user, c.entries) = (user, entries);
            r?;
            c.layers.push(format!("overrides: {file}"));
        }
        Ok(c)
    }

    /// The base price data's day and kind: `2026-11-23 (bundled)`, `2026-12-03 (fetched)`.
    pub fn prices_date(&self) -> &str {
        &self.prices_date
    }

    /// What the catalog was built from, in layer order.
    pub fn layers(&self) -> &[String] {
        &self.layers
    }

    /// Which entry `model` resolves to for `provider`, and why (or why none).
    pub fn explain_match(&self, model: &str, provider: Option<&str>) -> MatchExplanation {
        self.explain_uncached(model, provider, None)
    }

    /// As `explain_match`, for a call that also names its `server.address`.
    pub fn explain_match_at(&self, model: &str, provider: Option<&str>, address: Option<&str>) -> MatchExplanation {
        self.explain_uncached(model, provider, address)
    }

    /// Price one standard request; `None` when the model is unknown or ambiguous, or a
    /// billed bucket has no price. `time_ns` 0 means unknown: the price in effect now is used.
    pub fn quote(&self, model: &str, provider: Option<&str>, time_ns: u64, tokens: &TokenBuckets) -> Option<Quote> {
        self.quote_with(model, provider, Terms::default(), time_ns, tokens)
    }

    /// Price one call with its terms: the server address (provider), the service tier (its
    /// rates where the model has them, else standard rates and `tier_missing`), and the
    /// requests it stands for (per-request fees).
    pub fn quote_with(
        &self,
        model: &str,
        provider: Option<&str>,
        terms: Terms<'_>,
        time_ns: u64,
        tokens: &TokenBuckets,
    ) -> Option<Quote> {
        self.quote_entry(self.resolve(model, provider, terms.address)?, provider, terms, time_ns, tokens)
    }

    /// [`Catalog::quote_with`] once the call's model resolved to entry `index`.
    fn quote_entry(
        &self,
        index: usize,
        provider: Option<&str>,
        terms: Terms<'_>,
        time_ns: u64,
        tokens: &TokenBuckets,
    ) -> Option<Quote> {
        let entry = &self.entries[index];
        let (set, effective_from) = entry.select(time_ns)?;
        let tier = self.tier_prices(index).and_then(|j| {
            let (_, rates) = self.entries[j].service_tiers.iter().find(|(t, _)| *t == terms.tier)?;
            Some((&self.entries[j].name, rates))
        });
        let c = set.cost(tier.map(|(_, rates)| rates), tokens, terms.requests)?;
        let percent = self.adjustment(entry, provider, time_ns);
        // Adjusted per token type and summed, so the types add up to the call's cost.
        let mut cost_by_type = c.by_type;
        let mut cost = c.cost;
        if let Some(p) = percent {
            let factor = adjustment_factor(p)?;
            cost = Decimal::ZERO;
            for part in &mut cost_by_type {
                *part = part.checked_mul(factor)?;
                cost = cost.checked_add(*part)?;
            }
        }
        Some(Quote {
            cost,
            list_cost: c.cost,
            billed: c.billed,
            list_by_type: c.by_type,
            cost_by_type,
            adjustment_percent: percent,
            entry: entry.name.clone(),
            entry_index: index,
            source: entry.source,
            rates: c.rates,
            tier_threshold: c.tier,
            effective_from,
            service_tier: terms.tier,
            tier_entry: tier.map(|(name, _)| name.clone()),
        })
    }

    /// The user's discount or markup for an entry: the most specific adjustment in effect
    /// on the call's day, the later one among equally specific.
    fn adjustment(&self, entry: &Entry, provider: Option<&str>, time_ns: u64) -> Option<Decimal> {
        if self.user.adjustments.is_empty() {
            return None;
        }
        let day = day_of(time_ns);
        let call_provider = provider.map(|p| self.provider_key(p));
        let id = entry.id.to_lowercase();
        self.user
            .adjustments
            .iter()
            .enumerate()
            .filter(|(_, a)| a.applies(&entry.provider, call_provider.as_deref(), &id, day))
            .max_by_key(|(i, a)| (a.specificity(), *i))
            .map(|(_, a)| a.percent)
    }

    /// The model a call priced with `entry` stands for, however it was named, and the
    /// provider of that entry: the entry's model id (dated snapshots and provider prefixes
    /// already resolve to it), or, for a cloud platform's id of a vendor's model (Bedrock
    /// `us.anthropic.claude-…-v1:0`, priced by the platform's own entry), the id of the
    /// vendor's entry for that model. The provider stays the one whose entry priced the
    /// call: the platform bills for it.
    pub fn catalog_name(&self, model: &str, quote: &Quote) -> Option<CatalogName> {
        let vendor_model = |name: &str| {
            names::names_for(&name.trim().to_lowercase(), &|p| self.find_provider(p).is_some()).vendor_model
        };
        let priced = quote.entry_index;
        // The call's name, else the platform entry's id (a call priced by its host).
        let vendors = vendor_model(model)
            .or_else(|| vendor_model(&self.entries[priced].id))
            .and_then(|(vendor, bare)| self.resolve(&bare, Some(&vendor), None));
        Some(CatalogName {
            model: self.entries[vendors.unwrap_or(priced)].id.clone(),
            provider: self.entries[priced].provider.clone(),
        })
    }

    /// The catalog entry name a model resolves to (for explanations), without pricing.
    pub fn entry_for(&self, model: &str, provider: Option<&str>) -> Option<Arc<str>> {
        self.resolve(model, provider, None).map(|i| self.entries[i].name.clone())
    }

    fn resolve(&self, model: &str, provider: Option<&str>, address: Option<&str>) -> Option<usize> {
        let p = provider.unwrap_or("");
        let a = address.unwrap_or("");
        let mut key = String::with_capacity(p.len() + model.len() + a.len() + 2);
        key.push_str(p);
        key.push('\u{1}');
        key.push_str(model);
        key.push('\u{1}');
        key.push_str(a);
        if let Ok(m) = self.memo.read() {
            if let Some(hit) = m.get(key.as_str()) {
                return *hit;
            }
        }
        let found = self.explain_uncached(model, provider, address).index;
        if let Ok(mut m) = self.memo.write() {
            if m.len() < CACHE_CAP {
                m.insert(key.into_boxed_str(), found);
            }
        }
        found
    }
}

/// The provider id a telemetry or bill provider name stands for (`aws.bedrock` → `aws`,
/// `gcp.vertex_ai` → `google`), else the name lowercased.
pub fn provider_id(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    crate::model::provider::alias(&lower).map_or(lower, String::from)
}

impl Catalog {
    /// The catalog entry `model` resolves to, as its provider and model id
    /// (`claude-sonnet-4-5-20250929` → `anthropic`, `claude-sonnet-4-5`): what bills and
    /// telemetry are joined on, so both sides name a model the same way.
    pub fn canonical_model(&self, model: &str, provider: Option<&str>) -> Option<(Arc<str>, Arc<str>)> {
        let e = &self.entries[self.resolve(model, provider, None)?];
        Some((e.provider.clone(), e.id.clone()))
    }
}

/// LiteLLM key prefixes of a genai-prices provider, most specific first.
pub(crate) fn litellm_prefixes(provider_id: &str) -> &'static [&'static str] {
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

/// The UTC day of a call; unknown time (0) is today.
fn day_of(time_ns: u64) -> i64 {
    let t = if time_ns == 0 { now_ns() } else { time_ns };
    (t / NS_PER_DAY) as i64
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos().min(u64::MAX as u128) as u64)
}

impl Entry {
    /// The price set in effect at `time_ns`: the last active one in data order, else the
    /// first. Unknown time (0): date constraints are evaluated at the current wall-clock
    /// day (the price in effect now; a scheduled future price is not used) and
    /// time-of-day constraints are inactive (base price).
    /// `None` only for prices that did not parse (see [`Prices::get`]).
    fn select(&self, time_ns: u64) -> Option<(&PriceSet, Option<Arc<str>>)> {
        let pick = |c: &Constraint| match c {
            Constraint::StartDay { date, .. } => Some(date.clone()),
            _ => None,
        };
        let prices = self.prices.get();
        if let [(c, set)] = prices {
            return Some((set, pick(c)));
        }
        let (day, sod) = if time_ns == 0 {
            (day_of(0), None)
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
        let (c, set) = prices.iter().rev().find(|(c, _)| active(c)).or(prices.first())?;
        Some((set, pick(c)))
    }
}

/// Parses an overrides file on its own (no catalog under it), for the fuzz targets.
#[doc(hidden)]
pub fn parse_overrides(file: &str, text: &str) -> anyhow::Result<()> {
    let (mut entries, mut layer) = (Entries::default(), overrides::UserLayer::default());
    overrides::load_toml(file, text, &mut entries, &mut layer, &|p| p.to_lowercase())
}

/// Prices every call. With `explain`, each priced call also gets the one-line
/// explanation of its quote (interned: calls priced alike share one string).
/// Lazy: priced calls stream into allocation instead of being held all at once.
pub fn price_calls<'c>(
    catalog: &'c Catalog,
    calls: impl IntoIterator<Item = Call> + 'c,
    explain: bool,
) -> impl Iterator<Item = PricedCall> + 'c {
    let mut lines: std::collections::HashSet<Arc<str>> = std::collections::HashSet::new();
    let mut models = Resolutions::default();
    calls.into_iter().map(move |call| {
        let terms = Terms { address: call.address.as_deref(), tier: call.tier, requests: call.requests };
        let resolved = call.model.as_deref().map(|m| models.get(catalog, m, call.provider.as_deref(), terms.address));
        let quote = resolved.as_ref().and_then(|r| {
            catalog.quote_entry(r.index?, call.provider.as_deref(), terms, call.time_ns, &call.tokens).map(Box::new)
        });
        let explanation = quote.as_ref().filter(|_| explain).map(|q| {
            let line = explain_quote(q);
            match lines.get(line.as_str()) {
                Some(shared) => shared.clone(),
                None => {
                    let shared: Arc<str> = line.into();
                    lines.insert(shared.clone());
                    shared
                }
            }
        });
        let catalog_name = quote
            .as_ref()
            .zip(resolved.zip(call.model.as_deref()))
            .and_then(|(q, (r, model))| r.name.get_or_init(|| catalog.catalog_name(model, q)).clone());
        PricedCall {
            cost: quote.as_ref().map(|q| q.cost),
            price_ref: quote.as_ref().map(|q| q.entry.clone()),
            catalog_name,
            explanation,
            quote,
            call,
            what_if: None,
        }
    })
}

/// What pricing learns of a model as the calls name it (model, provider, server address),
/// found once per distinct name rather than per call: the entry it resolves to, and the
/// catalog's name for it (reading the model's names), known once a call of it is priced.
#[derive(Default)]
struct Resolutions {
    /// By the hash of the name; names that hash alike share a list.
    by_hash: crate::model::StableMap<u64, Vec<Resolution>>,
}

struct Resolution {
    model: String,
    provider: Option<String>,
    address: Option<String>,
    index: Option<usize>,
    name: std::cell::OnceCell<Option<CatalogName>>,
}

impl Resolutions {
    fn get(&mut self, catalog: &Catalog, model: &str, provider: Option<&str>, address: Option<&str>) -> &Resolution {
        let alike = self.by_hash.entry(crate::model::stable_hash(&(model, provider, address))).or_default();
        let found = alike
            .iter()
            .position(|r| r.model == model && r.provider.as_deref() == provider && r.address.as_deref() == address);
        let at = found.unwrap_or_else(|| {
            alike.push(Resolution {
                model: model.to_string(),
                provider: provider.map(str::to_string),
                address: address.map(str::to_string),
                index: catalog.resolve(model, provider, address),
                name: std::cell::OnceCell::new(),
            });
            alike.len() - 1
        });
        &alike[at]
    }
}

/// One line explaining a quote, for `report --explain`: the entry, its source and
/// effective date, the unit prices applied per million tokens, the per-request fee, the
/// service tier, the long-context tier and the user's adjustment. E.g.
/// `genai-prices:openai/gpt-5 · input 0.625 · output 5 USD/Mtok · service tier flex
/// (litellm:openai/gpt-5) · -10% (list 1.2345)`.
pub fn explain_quote(q: &Quote) -> String {
    let r = &q.rates;
    let mut parts = vec![q.entry.to_string()];
    if let Some(d) = &q.effective_from {
        parts.push(format!("from {d}"));
    }
    let rates: Vec<String> = [
        ("input", r.input),
        ("cache_read", r.cache_read),
        ("cache_write_5m", r.cache_write_5m),
        ("cache_write_1h", r.cache_write_1h),
        ("output", r.output),
        ("reasoning", r.reasoning),
    ]
    .iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k} {}", v.normalize())))
    .collect();
    if !rates.is_empty() {
        parts.push(format!("{} USD/Mtok", rates.join(" · ")));
    }
    if let Some(fee) = r.request {
        parts.push(format!("request {} USD/1000 requests", fee.normalize()));
    }
    match (&q.tier_entry, q.service_tier) {
        (Some(e), t) => parts.push(format!("service tier {} ({e})", t.name())),
        (None, ServiceTier::Standard) => {}
        (None, t) => parts.push(format!("service tier {}: no price for this model, standard rates", t.name())),
    }
    if let Some(t) = q.tier_threshold {
        parts.push(format!("tier >{t} input tokens"));
    }
    if let Some(p) = q.adjustment_percent {
        let sign = if p.is_sign_negative() { "" } else { "+" };
        parts.push(format!("{sign}{}% (list {})", p.normalize(), q.list_cost.normalize()));
    }
    parts.join(" · ")
}

/// One catalog entry as listed by `otelcost prices`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EntryInfo {
    pub entry: Arc<str>,
    pub source: Source,
    pub provider: Arc<str>,
    pub id: Arc<str>,
    pub origin: Arc<str>,
    /// Price sets in data order, each with the condition it applies under.
    pub prices: Vec<PriceInfo>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct PriceInfo {
    /// `always`, `from YYYY-MM-DD`, `daily HH:MM-HH:MM UTC`, or `unsupported`.
    pub applies: String,
    /// Per-Mtok rates by bucket; a tiered rate is `base` and `[above N input tokens, price]`.
    pub rates: std::collections::BTreeMap<&'static str, RateInfo>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct RateInfo {
    #[serde(with = "rust_decimal::serde::str")]
    pub base: Decimal,
    pub tiers: Vec<(u64, String)>,
}

impl Catalog {
    fn info(&self, i: usize) -> EntryInfo {
        let e = &self.entries[i];
        let prices = e
            .prices
            .get()
            .iter()
            .map(|(c, set)| {
                let applies = match c {
                    Constraint::Always => "always".to_string(),
                    Constraint::StartDay { date, .. } => format!("from {date}"),
                    Constraint::TimeOfDay { start_s, end_s } => format!(
                        "daily {:02}:{:02}-{:02}:{:02} UTC",
                        start_s / 3600,
                        start_s % 3600 / 60,
                        end_s / 3600,
                        end_s % 3600 / 60
                    ),
                    Constraint::Unsupported => "unsupported condition (never applied)".to_string(),
                };
                PriceInfo { applies, rates: set.describe() }
            })
            .collect();
        EntryInfo {
            entry: e.name.clone(),
            source: e.source,
            provider: e.provider.clone(),
            id: e.id.clone(),
            origin: e.origin.clone(),
            prices,
        }
    }

    /// Every entry whose provider is `provider` (catalog id or alias) and whose name
    /// contains `search` (case-insensitive), in catalog order: genai-prices, LiteLLM, user.
    pub fn list(&self, provider: Option<&str>, search: Option<&str>) -> Vec<EntryInfo> {
        let provider = provider.map(|p| self.provider_key(p));
        let search = search.map(str::to_lowercase);
        self.entries
            .iter()
            .filter(|(_, e)| {
                provider.as_deref().is_none_or(|p| &*e.provider == p)
                    && search.as_deref().is_none_or(|s| e.name.to_lowercase().contains(s))
            })
            .map(|(i, _)| self.info(i))
            .collect()
    }

    /// The rates in effect now for `model` in one source alone, with the entry name: for
    /// cross-checking sources. genai-prices by its own rules, LiteLLM by exact key.
    pub fn current_rates(
        &self,
        source: Source,
        model: &str,
        provider: Option<&str>,
    ) -> Option<(Arc<str>, std::collections::BTreeMap<&'static str, RateInfo>)> {
        let i = match source {
            Source::Litellm => {
                let full = model.trim().to_lowercase();
                let chosen = provider.and_then(|p| self.find_provider(p));
                self.litellm_key(&[full.as_str()], chosen)?.0
            }
            _ => self.explain_match(model, provider).index.filter(|&i| self.entries[i].source == source)?,
        };
        let e = &self.entries[i];
        Some((e.name.clone(), e.select(0)?.0.describe()))
    }

    /// The entry `model` resolves to, with its full price history and tiers.
    pub fn show(&self, model: &str, provider: Option<&str>) -> (MatchExplanation, Option<EntryInfo>) {
        let x = self.explain_match(model, provider);
        let info = x.index.map(|i| self.info(i));
        (x, info)
    }
}

/// A model and provider as the price catalog names them: every name of one model
/// (`o4-mini-2025-04-16`, `openai/o4-mini`, Bedrock's id of a Claude model) shares one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogName {
    pub model: Arc<str>,
    pub provider: Arc<str>,
}

/// A call with its price. `cost` is `None` when no catalog entry matched the model:
/// such calls are reported as unpriced with their tokens, never as $0.
#[derive(Clone, Debug)]
pub struct PricedCall {
    pub call: Call,
    pub cost: Option<Decimal>,
    /// The catalog entry used, as `source:provider/model-id`.
    pub price_ref: Option<Arc<str>>,
    /// The model and provider as the catalog knows them (see `Catalog::catalog_name`);
    /// `None` when unpriced.
    pub catalog_name: Option<CatalogName>,
    /// With `--explain`: the entry, its date, the unit prices and tier applied, in one line
    /// (shared between the calls priced alike).
    pub explanation: Option<Arc<str>>,
    /// The whole quote (unit prices, cost per token type, list cost) for the exports; boxed,
    /// as a priced call moves from stage to stage.
    pub quote: Option<Box<Quote>>,
    /// With `report --what-if`: the call's cost under the scenario, `Some(None)` when it
    /// cannot be priced there. Never mixed into `cost`.
    pub what_if: Option<Option<Decimal>>,
}

impl PricedCall {
    /// The model as the catalog knows it, else as emitted (`model`).
    pub fn model(&self) -> Option<&str> {
        self.catalog_name.as_ref().map(|n| &*n.model).or(self.call.model.as_deref())
    }

    /// The provider whose catalog entry priced the call, else as emitted (`provider`).
    pub fn provider(&self) -> Option<&str> {
        self.catalog_name.as_ref().map(|n| &*n.provider).or(self.call.provider.as_deref())
    }
}

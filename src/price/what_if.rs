//! What-if repricing (`report --what-if`): the same calls, with the telemetry's own token
//! counts, priced under another assumption — another model, service tier, price sheet or
//! date, or no prompt caching. Only prices change; tokens never do.

use super::{Catalog, Terms};
use crate::model::{Call, ServiceTier, TokenBuckets};
use rust_decimal::Decimal;
use std::sync::Arc;

/// One `--what-if` scenario: every assumption given, applied together.
#[derive(Default)]
pub struct Scenario {
    /// `model=FROM:TO` swaps, first match wins; `FROM` `*` is every call.
    swaps: Vec<(String, String)>,
    tier: Option<ServiceTier>,
    /// `prices=FILE`: the catalog with these files layered on (`None`: the report's own).
    pub catalog: Option<Arc<Catalog>>,
    /// `date=YYYY-MM-DD`: each call priced as if made that UTC day (same time of day).
    day: Option<u64>,
    no_cache: bool,
    /// The price files `prices=` named, for the catalog and the description.
    pub price_files: Vec<std::path::PathBuf>,
    /// The assumptions as written, for the report.
    pub description: Vec<String>,
}

const NS_PER_DAY: u64 = 86_400 * 1_000_000_000;

/// What a model switch cannot know, said wherever the what-if columns appear.
pub const MODEL_SWITCH_NOTE: &str = "a model switch keeps each call's token counts: another model would \
tokenize the same text differently, answer at another length and reason or cache differently, so the \
what-if cost is the recorded tokens at the other model's prices, not what that model would have cost";

impl Scenario {
    /// Parses `--what-if` values: `model=FROM:TO`, `tier=batch|flex|priority|standard`,
    /// `prices=FILE`, `date=YYYY-MM-DD`, `no-cache`.
    pub fn parse(values: &[String]) -> Result<Scenario, String> {
        let mut s = Scenario::default();
        for value in values {
            let value = value.trim();
            let (key, arg) = value.split_once('=').map_or((value, ""), |(k, a)| (k.trim(), a.trim()));
            match key {
                "model" => {
                    // FROM is matched through the catalog, so it never needs a `:` itself;
                    // TO may (Bedrock ids end in `-v1:0`).
                    let (from, to) = arg.split_once(':').filter(|(f, t)| !f.is_empty() && !t.is_empty()).ok_or_else(
                        || format!("--what-if {value:?}: write model=FROM:TO, e.g. model=claude-sonnet-4-5:claude-haiku-4-5 (FROM * for every call)"),
                    )?;
                    s.swaps.push((from.trim().to_string(), to.trim().to_string()));
                }
                "tier" => {
                    let tier = ServiceTier::parse(arg);
                    if tier == ServiceTier::Other {
                        return Err(format!("--what-if {value:?}: the tier is standard, batch, flex or priority"));
                    }
                    s.tier = Some(tier);
                }
                "prices" if !arg.is_empty() => s.price_files.push(arg.into()),
                "date" => {
                    let date: jiff::civil::Date =
                        arg.parse().map_err(|_| format!("--what-if {value:?}: write date=YYYY-MM-DD (a UTC day)"))?;
                    let ts = date.to_zoned(jiff::tz::TimeZone::UTC).map_err(|e| e.to_string())?.timestamp();
                    s.day = Some(
                        u64::try_from(ts.as_nanosecond()).map_err(|_| format!("--what-if {value:?}: before 1970"))?,
                    );
                }
                "no-cache" | "no_cache" if arg.is_empty() => s.no_cache = true,
                _ => {
                    return Err(format!(
                        "--what-if {value:?}: not understood; use model=FROM:TO, tier=batch|flex|priority|standard, \
                         prices=FILE, date=YYYY-MM-DD or no-cache"
                    ))
                }
            }
            s.description.push(value.to_string());
        }
        Ok(s)
    }

    pub fn is_empty(&self) -> bool {
        self.description.is_empty()
    }

    /// Whether the scenario switches models (and so needs `MODEL_SWITCH_NOTE`).
    pub fn switches_models(&self) -> bool {
        !self.swaps.is_empty()
    }

    /// The call's cost under the scenario (after the user's adjustment, as `cost`); `None`
    /// when it cannot be priced there. `base` is the report's catalog.
    pub fn reprice(&self, base: &Catalog, call: &Call) -> Option<Decimal> {
        let catalog = self.catalog.as_deref().unwrap_or(base);
        let model = call.model.as_deref()?;
        let provider = call.provider.as_deref();
        let model = self.swapped(base, model, provider).unwrap_or(model);
        let mut tokens = call.tokens;
        if self.no_cache {
            tokens = without_cache(&tokens);
        }
        let time_ns = match self.day {
            Some(day) => day + call.time_ns % NS_PER_DAY,
            None => call.time_ns,
        };
        let terms =
            Terms { address: call.address.as_deref(), tier: self.tier.unwrap_or(call.tier), requests: call.requests };
        catalog
            .quote_with(model, provider, terms, time_ns, &tokens)
            // A model of another provider (`gpt-4.1` for an Anthropic call) is found without it.
            .or_else(|| catalog.quote_with(model, None, Terms { address: None, ..terms }, time_ns, &tokens))
            .map(|q| q.cost)
    }

    /// The model a swap puts in place of `model`: a swap applies when its `FROM` is `*`,
    /// the same name, or a name the catalog resolves to the same entry.
    fn swapped<'a>(&'a self, catalog: &Catalog, model: &str, provider: Option<&str>) -> Option<&'a str> {
        let entry = catalog.entry_for(model, provider);
        self.swaps.iter().find_map(|(from, to)| {
            let same = from == "*"
                || from.eq_ignore_ascii_case(model)
                || entry.is_some() && catalog.entry_for(from, provider) == entry;
            same.then_some(to.as_str())
        })
    }
}

/// Every cached token billed as uncached input: what the calls would have cost without
/// prompt caching (same prompt sizes).
fn without_cache(t: &TokenBuckets) -> TokenBuckets {
    TokenBuckets { input: t.total_input(), cache_read: 0, cache_write_5m: 0, cache_write_1h: 0, ..*t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_assumption_and_refuses_the_rest() {
        let s = Scenario::parse(&[
            "model=claude-sonnet-4-5:us.anthropic.claude-haiku-4-5-20251001-v1:0".into(),
            "tier=batch".into(),
            "no-cache".into(),
            "date=2025-01-01".into(),
        ])
        .unwrap();
        assert_eq!(s.swaps, vec![("claude-sonnet-4-5".into(), "us.anthropic.claude-haiku-4-5-20251001-v1:0".into())]);
        assert_eq!(s.tier, Some(ServiceTier::Batch));
        assert!(s.no_cache);
        assert_eq!(s.day, Some(1_735_689_600 * 1_000_000_000));
        for bad in ["model=gpt-4o", "tier=gold", "date=yesterday", "cheaper", "no-cache=1"] {
            assert!(Scenario::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_cache_moves_cache_tokens_to_input() {
        let t =
            TokenBuckets { input: 10, cache_read: 100, cache_write_5m: 20, cache_write_1h: 5, output: 7, reasoning: 2 };
        let n = without_cache(&t);
        assert_eq!((n.input, n.cache_read, n.cache_write(), n.output, n.reasoning), (135, 0, 0, 7, 2));
    }
}

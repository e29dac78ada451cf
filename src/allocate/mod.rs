//! Allocate stage: group priced calls by dimensions into a `Report`.

mod dimensions;
mod overview;
mod rules;
mod shape;
mod split;
mod typos;

pub use dimensions::{Alias, Bucket, Catalog, Dimension, Grouping, BUILTIN_ALIASES, FIELDS, FIELD_ALIASES};
pub use overview::{ModelUsage, Overview, PriceSource, Timeline};
pub use rules::{Matcher, Rules, UNALLOCATED};
pub use shape::{merge, sort, top, SortBy, OTHER};
pub use split::{split_unallocated, Unshared};
pub use typos::NameCheck;

use crate::model::{stable_hash, stable_map, StableMap, TokenBuckets, TokenType};
use crate::price::PricedCall;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The grouped result every output format renders.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Dimension names, in the order asked for (`--by`).
    pub group_by: Vec<String>,
    /// Sorted by cost, highest first; ties by group values.
    pub rows: Vec<Row>,
    pub total: Totals,
    /// Every model that could not be priced, with its tokens. Never folded into a $0 cost.
    pub unpriced: Vec<Unpriced>,
    /// Which costs the report shows.
    pub cost_mode: CostMode,
    /// With `--explain`: every price applied, one line each (entry, date, unit prices, tier).
    pub prices_used: Option<Vec<Arc<str>>>,
    /// The period, cost over time and per-model detail the charts show.
    pub overview: Overview,
    /// With `report --what-if`: the scenario, and what it cannot know.
    pub what_if: Option<WhatIf>,
    /// The price data the costs come from, `2026-11-23 (bundled)` or `… (fetched)`; merged
    /// reports of different data list each. `None` in reports made before it was recorded.
    pub prices_date: Option<String>,
}

/// The `--what-if` scenario a report's `what_if_cost` columns were priced under.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WhatIf {
    /// The assumptions as given, e.g. `["model=claude-sonnet-4-5:claude-haiku-4-5"]`.
    pub scenario: Vec<String>,
    /// Caveats for the reader (what a model switch cannot know).
    pub notes: Vec<String>,
}

/// Which costs a report shows (`--cost`): the one computed from the catalog, the one the
/// emitters stated themselves (Claude Code `cost_usd`, LiteLLM, …), or both side by side
/// with their difference. The two are never added together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CostMode {
    #[default]
    Computed,
    Reported,
    Both,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// One value per `group_by` dimension; a missing value is `(none)`.
    pub group: Vec<String>,
    pub totals: Totals,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub requests: u64,
    pub tokens: TokenBuckets,
    /// Sum over the priced calls; `None` when no call in the group could be priced.
    pub cost: Option<Decimal>,
    /// Calls in the group whose model has no price (their tokens are in `tokens`).
    pub unpriced_requests: u64,
    /// The cost the emitters themselves stated, summed over the calls that stated one;
    /// `None` when none did. Never mixed into `cost`.
    pub reported_cost: Option<Decimal>,
    /// The computed cost of just the calls that stated a cost, to compare like with like.
    pub computed_where_reported: Option<Decimal>,
    /// The price entries that priced the group's calls.
    pub price_entries: BTreeSet<Arc<str>>,
    /// With `--split-unallocated`: the share of unallocated cost this group takes on
    /// (negative for the unallocated group that gives it away). Never mixed into `cost`.
    pub shared_cost: Option<Decimal>,
    /// Over the priced calls: the cost at list price (before the user's adjustment), and
    /// the cost per `TokenType::ALL`, summing exactly to `cost`.
    pub list_cost: Option<Decimal>,
    pub cost_by_type: [Decimal; TokenType::COUNT],
    /// With `--what-if`: the cost of the priced-there calls under the scenario, and the
    /// calls it cannot price. Never mixed into `cost`.
    pub what_if_cost: Option<Decimal>,
    pub what_if_unpriced_requests: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unpriced {
    pub model: String,
    pub provider: Option<String>,
    pub requests: u64,
    pub tokens: TokenBuckets,
}

/// Most requests first, then by model and provider: one order however the calls came.
fn sort_unpriced(list: &mut [Unpriced]) {
    list.sort_by(|a, b| {
        b.requests.cmp(&a.requests).then_with(|| a.model.cmp(&b.model)).then_with(|| a.provider.cmp(&b.provider))
    });
}

pub const NONE: &str = "(none)";

/// Groups priced calls into a report: rows by cost (highest first), a total, and every
/// unpriced model with its tokens.
/// With `explain`, the report lists every price applied (`prices_used`).
pub fn group(
    calls: impl IntoIterator<Item = PricedCall>,
    grouping: &Grouping,
    cost_mode: CostMode,
    explain: bool,
) -> Report {
    // Calls alike in row, hour, model and provider are summed first: one map entry and
    // one set of additions a call. The rows, the total and the overview then add up these
    // parts (decimal additions are exact: the order does not change a sum).
    let mut parts = Parts::default();
    let mut unpriced: HashMap<(String, Option<String>), Unpriced> = HashMap::new();
    let mut explained: BTreeSet<Arc<str>> = BTreeSet::new();
    let mut overview = overview::Collector::new(grouping);
    let mut any = false;
    for priced in calls {
        any = true;
        let priced = &priced;
        let call = &priced.call;
        if let Some(line) = &priced.explanation {
            if !explained.contains(line) {
                explained.insert(line.clone());
            }
        }
        let hour = overview.hour(call);
        parts
            .find(&group_values(grouping, priced), hour, priced.model().unwrap_or(NONE), priced.provider())
            .add(priced);
        if priced.cost.is_none() {
            let model = call.model.clone().unwrap_or_else(|| NONE.to_string());
            let entry = unpriced.entry((model.clone(), call.provider.clone())).or_insert_with(|| Unpriced {
                model,
                provider: call.provider.clone(),
                ..Default::default()
            });
            entry.requests += call.requests;
            entry.tokens.add(&call.tokens);
        }
    }
    let mut rows: StableMap<Vec<String>, Totals> = stable_map();
    let mut total = Totals::default();
    for (key, part) in parts.parts {
        total.absorb(&part.totals);
        overview.absorb(&key.group, key.hour, key.model, key.provider, &part);
        rows.entry(key.group).or_default().absorb(&part.totals);
    }
    if !any {
        total.cost = Some(Decimal::ZERO);
    }
    let mut rows: Vec<Row> = rows.into_iter().map(|(group, totals)| Row { group, totals }).collect();
    // Priced rows by cost, highest first; fully unpriced rows after them.
    shape::sort(&mut rows, SortBy::Cost);
    let mut unpriced: Vec<Unpriced> = unpriced.into_values().collect();
    sort_unpriced(&mut unpriced);
    let group_by = grouping.dimensions.iter().map(|(name, _)| name.clone()).collect();
    // Entries are per row; the report's list of prices applied covers the whole.
    total.price_entries.clear();
    let prices_used = explain.then(|| explained.into_iter().collect());
    Report {
        group_by,
        rows,
        total,
        unpriced,
        cost_mode,
        prices_used,
        overview: overview.finish(),
        what_if: None,
        prices_date: None,
    }
}

/// What places a call in every sum `group` keeps: its row, and the overview's local hour
/// (`None` without a time) and model.
struct PartKey {
    group: Vec<String>,
    hour: Option<jiff::civil::DateTime>,
    model: String,
    provider: Option<String>,
}

/// The parts `group` sums calls into, found by a call's values as it holds them: a call
/// placed alike to one before copies no string.
#[derive(Default)]
struct Parts {
    /// In the order first met.
    parts: Vec<(PartKey, overview::Part)>,
    /// Indices into `parts` by the hash of their key (keys that hash alike share a list).
    by_hash: StableMap<u64, Vec<usize>>,
}

impl Parts {
    fn find(
        &mut self,
        group: &[Cow<'_, str>],
        hour: Option<jiff::civil::DateTime>,
        model: &str,
        provider: Option<&str>,
    ) -> &mut overview::Part {
        let alike = self.by_hash.entry(stable_hash(&(group, hour, model, provider))).or_default();
        let parts = &mut self.parts;
        let found = alike.iter().copied().find(|&i| {
            let key = &parts[i].0;
            key.hour == hour
                && key.model == model
                && key.provider.as_deref() == provider
                && key.group.iter().map(String::as_str).eq(group.iter().map(|v| &**v))
        });
        let at = found.unwrap_or_else(|| {
            let key = PartKey {
                group: group.iter().map(|v| v.to_string()).collect(),
                hour,
                model: model.to_string(),
                provider: provider.map(str::to_string),
            };
            parts.push((key, overview::Part::default()));
            alike.push(parts.len() - 1);
            parts.len() - 1
        });
        &mut parts[at].1
    }
}

/// A call's value for each grouping dimension (`(none)` when missing), as the call holds
/// it where it can.
fn group_values<'a>(grouping: &'a Grouping, priced: &'a PricedCall) -> Vec<Cow<'a, str>> {
    grouping.dimensions.iter().map(|(_, dim)| grouping.value(dim, priced).unwrap_or(Cow::Borrowed(NONE))).collect()
}

/// A call's value for each grouping dimension (`(none)` when missing): its group's key,
/// also the dimension columns of the exports.
pub fn group_key(grouping: &Grouping, priced: &PricedCall) -> Vec<String> {
    group_values(grouping, priced).into_iter().map(Cow::into_owned).collect()
}

impl Totals {
    fn add(&mut self, priced: &PricedCall) {
        let call = &priced.call;
        self.requests += call.requests;
        self.tokens.add(&call.tokens);
        match priced.cost {
            Some(cost) => self.cost = Some(self.cost.unwrap_or_default() + cost),
            None => self.unpriced_requests += call.requests,
        }
        if let Some(q) = &priced.quote {
            self.list_cost = Some(self.list_cost.unwrap_or_default() + q.list_cost);
            for (sum, part) in self.cost_by_type.iter_mut().zip(q.cost_by_type) {
                *sum += part;
            }
        }
        if let Some(entry) = &priced.price_ref {
            if !self.price_entries.contains(entry) {
                self.price_entries.insert(entry.clone());
            }
        }
        match priced.what_if {
            Some(Some(cost)) => self.what_if_cost = Some(self.what_if_cost.unwrap_or_default() + cost),
            Some(None) => self.what_if_unpriced_requests += call.requests,
            None => {}
        }
        if let Some(reported) = call.reported_cost {
            self.reported_cost = Some(self.reported_cost.unwrap_or_default() + reported);
            if let Some(cost) = priced.cost {
                self.computed_where_reported = Some(self.computed_where_reported.unwrap_or_default() + cost);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Call, Emitter, Signal};
    use std::str::FromStr;

    fn priced(model: &str, team: Option<&str>, time_ns: u64, cost: Option<&str>) -> PricedCall {
        PricedCall {
            call: Call {
                time_ns,
                requests: 1,
                reported_cost: None,
                session: None,
                instance: None,
                model: Some(model.into()),
                provider: None,
                address: None,
                tier: Default::default(),
                operation: None,
                service: None,
                tokens: TokenBuckets { input: 10, output: 1, ..Default::default() },
                dims: vec![team.map(String::from)],
                route: None,
                emitter: Emitter::Semconv,
                signal: Signal::Traces,
                span: None,
            },
            cost: cost.map(|c| Decimal::from_str(c).unwrap()),
            price_ref: None,
            catalog_name: None,
            explanation: None,
            what_if: None,
            quote: None,
        }
    }

    #[test]
    fn groups_sorts_and_keeps_unpriced_apart() {
        let (g, keys) = Grouping::parse(&["team".into(), "model".into()], jiff::tz::TimeZone::UTC);
        assert_eq!(keys.len(), 1);
        assert!(keys[0].starts_with("team|"), "{keys:?}");
        let calls = vec![
            priced("a", Some("x"), 1, Some("0.5")),
            priced("a", Some("x"), 2, Some("0.25")),
            priced("b", None, 3, Some("2")),
            priced("zz", Some("x"), 4, None),
        ];
        let r = group(calls, &g, CostMode::Computed, false);
        let groups: Vec<_> = r.rows.iter().map(|r| r.group.join("/")).collect();
        assert_eq!(groups, ["(none)/b", "x/a", "x/zz"]);
        assert_eq!(r.rows[1].totals.cost, Some(Decimal::from_str("0.75").unwrap()));
        assert_eq!(r.rows[2].totals.cost, None);
        assert_eq!(r.total.cost, Some(Decimal::from_str("2.75").unwrap()));
        assert_eq!((r.total.requests, r.total.unpriced_requests), (4, 1));
        assert_eq!(r.unpriced.len(), 1);
        assert_eq!(r.unpriced[0].tokens.input, 10);
    }

    #[test]
    fn rules_apply_in_order_and_read_what_is_underneath_their_own_name() {
        let rules = Rules::parse(
            "r.toml",
            "[dimensions]\nteam = [\"t\"]\n\
             [[rule]]\ndimension = \"team\"\nfrom = \"team\"\n\
             [[rule]]\ndimension = \"team\"\nfrom = \"model\"\nprefix = \"gpt\"\nvalue = \"openai-users\"\n\
             [[rule]]\ndimension = \"team\"\nfrom = \"model\"\nregex = \"^(c)\"\n\
             [[rule]]\ndimension = \"team\"\ndefault = \"unallocated\"\n\
             [[rule]]\ndimension = \"tier\"\nfrom = \"team\"\nequals = [\"x\", \"c\"]\nvalue = \"gold\"\n",
            std::path::Path::new("."),
        )
        .unwrap();
        let catalog = Catalog::new(rules);
        let by = ["team".to_string(), "tier".into()];
        let (g, keys) =
            Grouping::new(&catalog, &by, &[], jiff::tz::TimeZone::UTC, jiff::civil::Weekday::Monday).unwrap();
        assert_eq!(keys, ["t"]);
        let calls = vec![
            priced("gpt-4", Some("x"), 1, Some("1")), // stated team wins over the prefix
            priced("gpt-4", None, 1, Some("1")),
            priced("claude", None, 1, Some("1")),
            priced("llama", None, 1, Some("1")),
        ];
        let r = group(calls, &g, CostMode::Computed, false);
        let groups: Vec<_> = r.rows.iter().map(|r| r.group.join("/")).collect();
        // tier reads the derived team (defined before it).
        assert_eq!(groups, ["c/gold", "openai-users/(none)", "unallocated/(none)", "x/gold"]);
    }

    proptest::proptest! {
        /// Summing alike calls first (`group`'s parts) gives what adding each call on its
        /// own gives: the report over all the calls is the merge of one report per call.
        #[test]
        fn parts_sum_to_what_each_call_adds(
            calls in proptest::collection::vec((0..3usize, 0..3usize, 0..3u64, 0..4usize, proptest::bool::ANY), 1..40)
        ) {
            let (g, _) = Grouping::parse(&["team".into(), "model".into()], jiff::tz::TimeZone::UTC);
            let costs = [None, Some("0.5"), Some("0.0000025"), Some("12.30")];
            let calls: Vec<PricedCall> = calls
                .into_iter()
                .map(|(model, team, hour, cost, reported)| {
                    let mut p = priced(
                        ["a", "b", "c"][model],
                        [None, Some("x"), Some("y")][team],
                        1_795_390_200_000_000_000 + hour * 3_000_000_000_000,
                        costs[cost],
                    );
                    p.call.reported_cost = reported.then(|| Decimal::from_str("0.010").unwrap());
                    p
                })
                .collect();
            let one_each: Vec<(String, Report)> =
                calls.iter().map(|c| (String::new(), group([c.clone()], &g, CostMode::Both, false))).collect();
            let merged = merge(one_each, &mut Vec::new()).unwrap();
            let all = group(calls, &g, CostMode::Both, false);
            proptest::prop_assert_eq!(&all.rows, &merged.rows);
            proptest::prop_assert_eq!(&all.total, &merged.total);
            proptest::prop_assert_eq!(&all.overview, &merged.overview);
            proptest::prop_assert_eq!(&all.unpriced, &merged.unpriced);
        }
    }

    #[test]
    fn a_part_is_found_again_only_by_its_whole_key() {
        let mut parts = Parts::default();
        let hour = Some(jiff::civil::date(2026, 11, 22).at(13, 0, 0, 0));
        let group = |v: &[&'static str]| v.iter().map(|s| Cow::Borrowed(*s)).collect::<Vec<_>>();
        let keys: [(Vec<Cow<'_, str>>, _, _, _); 6] = [
            (group(&["a", "b"]), hour, "m", Some("p")),
            (group(&["a", "c"]), hour, "m", Some("p")),
            (group(&["ab"]), hour, "m", Some("p")),
            (group(&["a", "b"]), None, "m", Some("p")),
            (group(&["a", "b"]), hour, "n", Some("p")),
            (group(&["a", "b"]), hour, "m", None),
        ];
        for (i, (g, h, m, p)) in keys.iter().enumerate() {
            parts.find(g, *h, m, *p).totals.requests += i as u64 + 1;
        }
        // The same key again, its group owned this time.
        let owned: Vec<Cow<'_, str>> = vec![Cow::Owned("a".into()), Cow::Owned("b".into())];
        parts.find(&owned, hour, "m", Some("p")).totals.requests += 10;
        let requests: Vec<u64> = parts.parts.iter().map(|(_, p)| p.totals.requests).collect();
        assert_eq!(requests, [11, 2, 3, 4, 5, 6]);
        let (key, _) = &parts.parts[0];
        assert_eq!(
            (&key.group[..], key.hour, &*key.model, key.provider.as_deref()),
            (&["a".to_string(), "b".to_string()][..], hour, "m", Some("p"))
        );
    }

    #[test]
    fn days_follow_the_time_zone() {
        // 2026-11-22T23:30:00Z is already the 23rd in Berlin.
        let t = 1_795_390_200_000_000_000u64;
        let utc = Grouping::parse(&["day".into()], jiff::tz::TimeZone::UTC).0;
        let berlin = Grouping::parse(&["hour".into()], jiff::tz::TimeZone::get("Europe/Berlin").unwrap()).0;
        let call = priced("a", None, t, Some("1"));
        assert_eq!(group([call.clone()], &utc, CostMode::Computed, false).rows[0].group, ["2026-11-22"]);
        assert_eq!(group([call], &berlin, CostMode::Computed, false).rows[0].group, ["2026-11-23 00:00"]);
    }
}

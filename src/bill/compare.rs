//! Holds the telemetry's estimate against the bill.
//!
//! Both sides are keyed by UTC day × provider × model × class × service tier (× scope with
//! `--scope`), models named by the price catalog entry they resolve to, so a bill's
//! `claude-sonnet-4-5-20250929` and the telemetry's `claude-sonnet-4-5` are one model.
//! Money is compared first at day × provider, where it is exact, then row by row; every
//! row the sides do not agree on gets the reason class that best explains it.

use super::{Bill, BillRow, Class, ScopeField};
use crate::allocate::{group_key, Grouping};
use crate::model::TokenType;
use crate::price::PricedCall;
use crate::price::{provider_id, Catalog};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, BTreeSet};

/// Why a row's bill and estimate differ (or `Matched`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    Matched,
    /// Both sides have the row, at different money: prices, discounts, rounding.
    PriceDifference,
    /// Both sides have the row, with different token counts (usage exports).
    TokenDifference,
    /// Billed on a day the telemetry has nothing for that provider.
    NoTelemetryDay,
    /// Billed for a model (or class) the telemetry has nothing of that day.
    NoTelemetryModel,
    /// The other side has the same model and class in another service tier.
    TierMismatch,
    /// The other side has the model's input in other cache classes: cache reads and
    /// writes counted differently.
    CacheAccounting,
    /// Not tokens: web search, code execution, storage, images, audio, tax, fees.
    NonToken,
    /// A day the bill does not cover yet (telemetry, no bill for that provider), or a bill
    /// day not over yet (today or later, UTC): a late or provisional bill day.
    LateBillDay,
    /// The bill does not itemise that day (a Costs page not grouped by line item).
    NotItemised,
    /// Telemetry the catalog could not price: tokens, no estimate.
    Unpriced,
    /// Telemetry with no bill row: nothing billed it.
    NotBilled,
}

impl Reason {
    pub const ALL: [Reason; 12] = [
        Reason::Matched,
        Reason::PriceDifference,
        Reason::TokenDifference,
        Reason::NoTelemetryDay,
        Reason::NoTelemetryModel,
        Reason::TierMismatch,
        Reason::CacheAccounting,
        Reason::NonToken,
        Reason::LateBillDay,
        Reason::NotItemised,
        Reason::Unpriced,
        Reason::NotBilled,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Reason::Matched => "matched",
            Reason::PriceDifference => "price_difference",
            Reason::TokenDifference => "token_difference",
            Reason::NoTelemetryDay => "no_telemetry_day",
            Reason::NoTelemetryModel => "no_telemetry_model",
            Reason::TierMismatch => "tier_mismatch",
            Reason::CacheAccounting => "cache_accounting",
            Reason::NonToken => "non_token",
            Reason::LateBillDay => "late_bill_day",
            Reason::NotItemised => "not_itemised",
            Reason::Unpriced => "unpriced",
            Reason::NotBilled => "not_billed",
        }
    }
}

/// What rows are joined on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub day: String,
    pub provider: String,
    /// The catalog's model id; `-` for a charge the bill names no model for.
    pub model: String,
    pub class: Class,
    pub tier: String,
    /// The `--scope` value, `-` without `--scope`.
    pub scope: String,
}

/// What the telemetry says for a key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    pub tokens: u64,
    /// At catalog (list) prices and after the `--prices` adjustment; `None` when nothing
    /// was priced.
    pub list: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub unpriced_requests: u64,
}

/// What the bills say for a key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Billed {
    /// USD; `None` when only usage exports (tokens) name the key.
    pub amount: Option<Decimal>,
    pub quantity: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub key: Key,
    pub billed: Option<Billed>,
    pub estimate: Option<Estimate>,
    pub reason: Reason,
}

/// Money of one comparison line (a row, a day × provider, the total).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Money {
    pub billed: Option<Decimal>,
    pub estimate_list: Option<Decimal>,
    pub estimate: Option<Decimal>,
    /// The part of the bill the estimate accounts for: min(billed, estimate), ≥ 0.
    pub explained: Decimal,
}

impl Money {
    /// Billed minus estimated: positive where the bill is higher than the telemetry explains.
    pub fn difference(&self) -> Option<Decimal> {
        match (self.billed, self.estimate) {
            (None, None) => None,
            (b, e) => Some(b.unwrap_or_default() - e.unwrap_or_default()),
        }
    }

    /// `explained / billed` in percent, rounded to 2 places; `None` without a billed amount.
    pub fn coverage(&self) -> Option<Decimal> {
        let billed = self.billed.filter(|b| !b.is_zero())?;
        let pct = self.explained.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(billed)?;
        Some(pct.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    fn add(&mut self, other: &Money) {
        add(&mut self.billed, other.billed);
        add(&mut self.estimate_list, other.estimate_list);
        add(&mut self.estimate, other.estimate);
        self.explained += other.explained;
    }

    fn explain(mut self) -> Money {
        self.explained = match (self.billed, self.estimate) {
            (Some(b), Some(e)) => b.min(e.max(Decimal::ZERO)).max(Decimal::ZERO),
            _ => Decimal::ZERO,
        };
        self
    }
}

impl Row {
    pub fn money(&self) -> Money {
        Money {
            billed: self.billed.as_ref().and_then(|b| b.amount),
            estimate_list: self.estimate.as_ref().and_then(|e| e.list),
            estimate: self.estimate.as_ref().and_then(|e| e.cost),
            explained: Decimal::ZERO,
        }
        .explain()
    }
}

/// Day × provider: the exact money comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct DayRow {
    pub day: String,
    pub provider: String,
    pub money: Money,
}

/// What is left of the bill (and of the estimate) for one reason.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Remainder {
    pub reason: Option<Reason>,
    pub rows: u64,
    /// Billed and not explained by telemetry.
    pub unexplained: Decimal,
    /// Estimated and not billed.
    pub unbilled: Decimal,
}

/// The whole comparison.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    /// `--scope`, as given (`workspace=team`).
    pub scope: Option<String>,
    /// The bill files, their export kind and row count.
    pub bills: Vec<(String, &'static str, usize)>,
    pub days: Vec<DayRow>,
    pub rows: Vec<Row>,
    /// By reason, in `Reason::ALL` order; reasons with nothing left are left out.
    pub remainder: Vec<Remainder>,
    /// Over every day × provider (each explained at most up to its bill).
    pub total: Money,
}

impl Comparison {
    /// The share of the bill the telemetry explains, in percent (see `Money::coverage`).
    pub fn coverage(&self) -> Option<Decimal> {
        self.total.coverage()
    }
}

/// How a telemetry call's scope value is found: the grouping of the one `--scope` dimension.
pub struct Scope<'a> {
    pub field: ScopeField,
    pub text: String,
    pub grouping: &'a Grouping,
}

const NO_MODEL: &str = "-";

/// Compares the priced calls with the bills.
pub fn compare(
    catalog: &Catalog,
    calls: impl IntoIterator<Item = PricedCall>,
    bills: &[Bill],
    scope: Option<&Scope<'_>>,
) -> Comparison {
    let mut estimates: BTreeMap<Key, Estimate> = BTreeMap::new();
    for p in calls {
        add_call(catalog, &p, scope, &mut estimates);
    }
    let mut billed: BTreeMap<Key, Billed> = BTreeMap::new();
    for row in bills.iter().flat_map(|b| &b.rows) {
        let key = bill_key(catalog, row, scope.map(|s| s.field));
        let b = billed.entry(key).or_default();
        add(&mut b.amount, row.amount);
        if let Some(q) = row.quantity {
            b.quantity = Some(b.quantity.unwrap_or(0).saturating_add(q));
        }
    }
    let tel = Index::new(estimates.keys());
    let bill = Index::new(billed.keys());
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let keys: BTreeSet<&Key> = estimates.keys().chain(billed.keys()).collect();
    let rows: Vec<Row> = keys
        .into_iter()
        .map(|key| {
            let (b, e) = (billed.get(key), estimates.get(key));
            let mut why = reason(key, b, e, &tel, &bill);
            // A bill day that has not ended yet is still filling up: whatever does not
            // match there is provisional.
            if why != Reason::Matched && why != Reason::NonToken && key.day >= today {
                why = Reason::LateBillDay;
            }
            Row { key: key.clone(), reason: why, billed: b.cloned(), estimate: e.cloned() }
        })
        .collect();

    let mut days: BTreeMap<(String, String), Money> = BTreeMap::new();
    let mut remainder: BTreeMap<Reason, Remainder> = BTreeMap::new();
    for row in &rows {
        let money = row.money();
        let day = days.entry((row.key.day.clone(), row.key.provider.clone())).or_default();
        add(&mut day.billed, money.billed);
        add(&mut day.estimate_list, money.estimate_list);
        add(&mut day.estimate, money.estimate);
        let r =
            remainder.entry(row.reason).or_insert_with(|| Remainder { reason: Some(row.reason), ..Default::default() });
        r.rows += 1;
        r.unexplained += money.billed.unwrap_or_default() - money.explained;
        r.unbilled += (money.estimate.unwrap_or_default() - money.explained).max(Decimal::ZERO);
    }
    let days: Vec<DayRow> =
        days.into_iter().map(|((day, provider), money)| DayRow { day, provider, money: money.explain() }).collect();
    let mut total = Money::default();
    for d in &days {
        total.add(&d.money);
    }
    Comparison {
        scope: scope.map(|s| s.text.clone()),
        bills: bills.iter().map(|b| (b.file.clone(), b.kind.name(), b.rows.len())).collect(),
        days,
        rows,
        remainder: remainder
            .into_values()
            .filter(|r| !r.unexplained.is_zero() || !r.unbilled.is_zero() || r.reason == Some(Reason::Matched))
            .collect(),
        total,
    }
}

fn add(into: &mut Option<Decimal>, value: Option<Decimal>) {
    if let Some(v) = value {
        *into = Some(into.unwrap_or_default() + v);
    }
}

/// The maker's provider of the entry `model` resolves to, and the model id the sides are
/// joined on (the name as given, lowercased, when the catalog knows no such model). The id
/// comes from matching the bare model without a provider, so that a reseller's own entry
/// (Bedrock's regional ids) and the maker's name the same model alike.
fn model_key(catalog: &Catalog, model: &str, provider: Option<&str>) -> (Option<String>, String) {
    let bare = bare_model(model);
    let maker = catalog.canonical_model(bare, provider);
    let id = catalog.canonical_model(bare, None).or_else(|| maker.clone()).map(|(_, id)| id.to_string());
    (maker.map(|(p, _)| p.to_string()), id.unwrap_or_else(|| model.trim().to_lowercase()))
}

/// The model under a Bedrock id: telemetry names `us.anthropic.claude-sonnet-4-5-20250929-v1:0`
/// (region, maker, version), the bill `Claude4.5Sonnet`; the catalog resolves such an id to
/// a regional entry of its own, so both sides are joined on the model underneath.
fn bare_model(model: &str) -> &str {
    const REGIONS: [&str; 6] = ["us.", "eu.", "apac.", "global.", "jp.", "au."];
    const MAKERS: [&str; 9] =
        ["anthropic.", "meta.", "amazon.", "mistral.", "cohere.", "ai21.", "deepseek.", "openai.", "qwen."];
    let mut m = model.trim();
    if let Some(rest) = REGIONS.iter().find_map(|r| m.strip_prefix(r)) {
        m = rest;
    }
    let Some(rest) = MAKERS.iter().find_map(|p| m.strip_prefix(p)) else { return m };
    // `-v1:0`, `-v2`: the Bedrock version suffix.
    match rest.rsplit_once("-v") {
        Some((name, version)) if version.split(':').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) => {
            name
        }
        _ => rest,
    }
}

fn bill_key(catalog: &Catalog, row: &BillRow, scope: Option<ScopeField>) -> Key {
    let model = match &row.model {
        Some(m) => model_key(catalog, m, Some(&row.provider)).1,
        None => NO_MODEL.to_string(),
    };
    Key {
        day: row.day.clone(),
        provider: row.provider.clone(),
        model,
        class: row.class.unwrap_or(Class::OtherCharge),
        tier: row.tier.clone(),
        scope: match scope {
            Some(field) => row.scope(field).unwrap_or(crate::allocate::NONE).to_string(),
            None => NO_MODEL.to_string(),
        },
    }
}

/// A call's share of each class, at its price (tokens only when unpriced).
fn add_call(catalog: &Catalog, p: &PricedCall, scope: Option<&Scope<'_>>, into: &mut BTreeMap<Key, Estimate>) {
    let call = &p.call;
    let Some(day) =
        (call.time_ns > 0).then(|| crate::bill::day_of_unix((call.time_ns / 1_000_000_000) as i64)).flatten()
    else {
        return;
    };
    let (entry_provider, model) = match call.model.as_deref() {
        Some(m) => model_key(catalog, m, call.provider.as_deref()),
        None => (None, crate::allocate::NONE.to_string()),
    };
    // Who bills the call: the provider the telemetry names (Bedrock, Azure, Vertex bill
    // for the models they serve), else the model's maker.
    let provider = call
        .provider
        .as_deref()
        .map(provider_id)
        .or(entry_provider)
        .unwrap_or_else(|| crate::allocate::NONE.to_string());
    let scope_value = match scope {
        Some(s) => group_key(s.grouping, p).into_iter().next().unwrap_or_default(),
        None => NO_MODEL.to_string(),
    };
    let key = |class: Class| Key {
        day: day.clone(),
        provider: provider.clone(),
        model: model.clone(),
        class,
        tier: call.tier.name().to_string(),
        scope: scope_value.clone(),
    };
    match &p.quote {
        Some(q) => {
            for (i, t) in TokenType::ALL.iter().enumerate() {
                let class = match t {
                    TokenType::Input => Class::Input,
                    TokenType::CacheRead => Class::CacheRead,
                    TokenType::CacheWrite5m => Class::CacheWrite5m,
                    TokenType::CacheWrite1h => Class::CacheWrite1h,
                    // Bills count reasoning as output.
                    TokenType::Output | TokenType::Reasoning => Class::Output,
                    TokenType::Request => Class::Request,
                };
                if q.billed[i] == 0 && q.list_by_type[i].is_zero() {
                    continue;
                }
                let e = into.entry(key(class)).or_default();
                e.tokens = e.tokens.saturating_add(q.billed[i]);
                add(&mut e.list, Some(q.list_by_type[i]));
                add(&mut e.cost, Some(q.cost_by_type[i]));
            }
        }
        None => {
            let t = &call.tokens;
            let counts = [
                (Class::Input, t.input),
                (Class::CacheRead, t.cache_read),
                (Class::CacheWrite5m, t.cache_write_5m),
                (Class::CacheWrite1h, t.cache_write_1h),
                (Class::Output, t.output),
            ];
            for (class, n) in counts.into_iter().filter(|(_, n)| *n > 0) {
                let e = into.entry(key(class)).or_default();
                e.tokens = e.tokens.saturating_add(n);
                e.unpriced_requests += call.requests;
            }
        }
    }
}

/// What one side has, at the coarser levels the reasons look at.
struct Index {
    days: BTreeSet<(String, String)>,
    models: BTreeSet<(String, String, String)>,
    /// day, provider, model, class, scope → the tiers present.
    tiers: BTreeMap<(String, String, String, Class, String), BTreeSet<String>>,
    /// day, provider, model, tier, scope → the input-side classes present.
    input_side: BTreeMap<(String, String, String, String, String), BTreeSet<Class>>,
    /// day × provider with only rows that name no model.
    unitemised_days: BTreeSet<(String, String)>,
}

impl Index {
    fn new<'a>(keys: impl Iterator<Item = &'a Key>) -> Index {
        let mut ix = Index {
            days: BTreeSet::new(),
            models: BTreeSet::new(),
            tiers: BTreeMap::new(),
            input_side: BTreeMap::new(),
            unitemised_days: BTreeSet::new(),
        };
        let mut itemised = BTreeSet::new();
        for k in keys {
            let day = (k.day.clone(), k.provider.clone());
            ix.days.insert(day.clone());
            if k.class == Class::Unitemised {
                ix.unitemised_days.insert(day);
            } else if k.class.is_tokens() {
                itemised.insert(day);
            }
            ix.models.insert((k.day.clone(), k.provider.clone(), k.model.clone()));
            ix.tiers
                .entry((k.day.clone(), k.provider.clone(), k.model.clone(), k.class, k.scope.clone()))
                .or_default()
                .insert(k.tier.clone());
            if k.class.is_input_side() {
                ix.input_side
                    .entry((k.day.clone(), k.provider.clone(), k.model.clone(), k.tier.clone(), k.scope.clone()))
                    .or_default()
                    .insert(k.class);
            }
        }
        ix.unitemised_days.retain(|d| !itemised.contains(d));
        ix
    }

    fn other_tier(&self, k: &Key) -> bool {
        self.tiers
            .get(&(k.day.clone(), k.provider.clone(), k.model.clone(), k.class, k.scope.clone()))
            .is_some_and(|tiers| tiers.iter().any(|t| *t != k.tier))
    }

    fn other_input_class(&self, k: &Key) -> bool {
        k.class.is_input_side()
            && self
                .input_side
                .get(&(k.day.clone(), k.provider.clone(), k.model.clone(), k.tier.clone(), k.scope.clone()))
                .is_some_and(|classes| classes.iter().any(|c| *c != k.class))
    }
}

fn reason(key: &Key, billed: Option<&Billed>, estimate: Option<&Estimate>, tel: &Index, bill: &Index) -> Reason {
    let day = (key.day.clone(), key.provider.clone());
    let model = (key.day.clone(), key.provider.clone(), key.model.clone());
    let non_token = !key.class.is_tokens() && key.class != Class::Unitemised;
    match (billed, estimate) {
        (Some(b), Some(e)) => {
            if non_token {
                Reason::NonToken
            } else if e.cost.is_none() && b.amount.is_some() {
                Reason::Unpriced
            } else if let Some(amount) = b.amount {
                if e.cost == Some(amount) {
                    Reason::Matched
                } else if key.class.is_input_side() && b.quantity.is_some_and(|q| q != e.tokens) {
                    Reason::CacheAccounting
                } else {
                    Reason::PriceDifference
                }
            } else if b.quantity == Some(e.tokens) {
                Reason::Matched
            } else if key.class.is_input_side() {
                Reason::CacheAccounting
            } else {
                Reason::TokenDifference
            }
        }
        (Some(_), None) => {
            if non_token {
                Reason::NonToken
            } else if key.class == Class::Unitemised {
                Reason::NotItemised
            } else if !tel.days.contains(&day) {
                Reason::NoTelemetryDay
            } else if !tel.models.contains(&model) {
                Reason::NoTelemetryModel
            } else if tel.other_tier(key) {
                Reason::TierMismatch
            } else if tel.other_input_class(key) {
                Reason::CacheAccounting
            } else {
                Reason::NoTelemetryModel
            }
        }
        (None, Some(e)) => {
            if non_token {
                Reason::NonToken
            } else if !bill.days.contains(&day) {
                Reason::LateBillDay
            } else if bill.unitemised_days.contains(&day) {
                Reason::NotItemised
            } else if bill.other_tier(key) {
                Reason::TierMismatch
            } else if bill.other_input_class(key) {
                Reason::CacheAccounting
            } else if e.cost.is_none() {
                Reason::Unpriced
            } else {
                Reason::NotBilled
            }
        }
        (None, None) => Reason::Matched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(day: &str, provider: &str, model: &str, class: Class, tier: &str) -> Key {
        Key {
            day: day.into(),
            provider: provider.into(),
            model: model.into(),
            class,
            tier: tier.into(),
            scope: NO_MODEL.into(),
        }
    }

    fn money(s: &str) -> Option<Decimal> {
        Some(s.parse().unwrap())
    }

    /// The reasons `tests/bills.rs` cannot reach with its fixtures.
    #[test]
    fn reasons_for_one_sided_and_disagreeing_rows() {
        let tel_keys = [
            key("d1", "openai", "gpt-4.1", Class::Input, "standard"),
            key("d2", "openai", "gpt-4.1", Class::Input, "standard"),
            key("d1", "openai", "mystery", Class::Input, "standard"),
        ];
        let bill_keys = [
            key("d1", "openai", "gpt-4.1", Class::Input, "standard"),
            key("d1", "openai", "o3", Class::Output, "standard"),
            key("d2", "openai", NO_MODEL, Class::Unitemised, "standard"),
        ];
        let (tel, bill) = (Index::new(tel_keys.iter()), Index::new(bill_keys.iter()));
        let priced = Estimate { tokens: 10, list: money("1"), cost: money("1"), unpriced_requests: 0 };
        let unpriced = Estimate { tokens: 10, list: None, cost: None, unpriced_requests: 1 };
        let billed = |amount: Option<Decimal>, quantity: Option<u64>| Billed { amount, quantity };
        let r = |k: &Key, b: Option<&Billed>, e: Option<&Estimate>| reason(k, b, e, &tel, &bill);
        assert_eq!(r(&bill_keys[1], Some(&billed(money("2"), None)), None), Reason::NoTelemetryModel);
        assert_eq!(r(&tel_keys[1], None, Some(&priced)), Reason::NotItemised);
        assert_eq!(r(&bill_keys[2], Some(&billed(money("5"), None)), None), Reason::NotItemised);
        assert_eq!(r(&tel_keys[2], None, Some(&unpriced)), Reason::Unpriced);
        let k = &tel_keys[0];
        assert_eq!(r(k, Some(&billed(money("1"), None)), Some(&priced)), Reason::Matched);
        assert_eq!(r(k, Some(&billed(money("1.1"), None)), Some(&priced)), Reason::PriceDifference);
        assert_eq!(r(k, Some(&billed(None, Some(10))), Some(&priced)), Reason::Matched);
        let out = key("d1", "openai", "gpt-4.1", Class::Output, "standard");
        assert_eq!(r(&out, Some(&billed(None, Some(11))), Some(&priced)), Reason::TokenDifference);
        // A day the bill has, a model it does not: nothing billed it.
        let alone = key("d1", "openai", "gpt-4o", Class::Output, "standard");
        assert_eq!(r(&alone, None, Some(&priced)), Reason::NotBilled);
    }

    #[test]
    fn bedrock_ids_join_the_models_their_bills_name() {
        assert_eq!(bare_model("us.anthropic.claude-sonnet-4-5-20250929-v1:0"), "claude-sonnet-4-5-20250929");
        assert_eq!(bare_model("anthropic.claude-3-haiku-20240307-v1:0"), "claude-3-haiku-20240307");
        assert_eq!(bare_model("meta.llama3-70b-instruct-v1"), "llama3-70b-instruct");
        assert_eq!(bare_model("gpt-4.1-2025-04-14"), "gpt-4.1-2025-04-14");
        assert_eq!(bare_model("us.nova-pro"), "nova-pro");
        let catalog = Catalog::embedded().unwrap();
        let telemetry = model_key(&catalog, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", Some("aws.bedrock"));
        let billed = model_key(&catalog, "claude-sonnet-4-5", Some("aws"));
        assert_eq!(telemetry.1, billed.1);
        assert_eq!(billed.1, "claude-sonnet-4-5");
    }

    #[test]
    fn coverage_is_explained_over_billed() {
        let m = Money { billed: money("3"), estimate: money("2"), ..Default::default() }.explain();
        assert_eq!((m.explained, m.coverage(), m.difference()), (Decimal::TWO, money("66.67"), money("1")));
        let over = Money { billed: money("2"), estimate: money("3"), ..Default::default() }.explain();
        assert_eq!((over.explained, over.coverage(), over.difference()), (Decimal::TWO, money("100"), money("-1")));
        let none = Money { billed: None, estimate: money("3"), ..Default::default() }.explain();
        assert_eq!((none.explained, none.coverage()), (Decimal::ZERO, None));
    }
}

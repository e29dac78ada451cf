//! `--format focus`: a FinOps FOCUS 1.2 cost-and-usage dataset (CSV, or Parquet for a
//! `.parquet` output), one row per charge period (day, in `--timezone`) × model × token
//! type × `--by` group × price point.
//!
//! - `ListCost` is at the catalog's prices; `EffectiveCost` = `ContractedCost` after the
//!   user's `--prices` adjustment (a discount makes it lower); `BilledCost` =
//!   `EffectiveCost`. The costs are computed from telemetry, not invoiced: every row says
//!   `x_Estimated = true`, since FOCUS means `BilledCost` to be what was invoiced.
//! - `ConsumedQuantity` is tokens (`ConsumedUnit` `Tokens`); `PricingQuantity` is tokens
//!   / 10^6 in `PricingUnit` `1000000 Tokens` (FOCUS unit format), so `PricingQuantity` ×
//!   `ListUnitPrice` = `ListCost` and × `ContractedUnitPrice` = `ContractedCost`, exactly.
//!   A per-request fee is its own row: `Requests`, priced per `1000 Requests`.
//! - `SkuId` is the priced model (`provider/model-id`); `SkuPriceId` the catalog entry,
//!   token type, tier and effective date; `Tags` the `--by` dimensions as JSON.
//! - Unpriced calls and calls without a timestamp have no FOCUS row (a cost and a charge
//!   period are mandatory); how many were left out is said on stderr.

use super::rows::{self, Cell, Column, Kind, RowFormat, TimeUnit};
use crate::allocate::{group_key, Grouping, NONE};
use crate::model::{ServiceTier, TokenType};
use crate::price::PricedCall;
use crate::price::Source;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

/// The FOCUS version the columns follow.
pub const VERSION: &str = "1.2";

/// One row's identity: what must be equal for usage to add up into it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// Start of the charge period (a day in the time zone), unix ns.
    day: i64,
    group: Vec<String>,
    model: String,
    entry: Arc<str>,
    effective_from: Option<Arc<str>>,
    tier: Option<u64>,
    /// The service tier whose rates applied (`Standard` also when none was known).
    service_tier: ServiceTier,
    token_type: TokenType,
    list_rate: Decimal,
    adjustment: Option<Decimal>,
}

#[derive(Clone, Debug)]
struct Usage {
    source: Source,
    /// The unit price after the user's adjustment.
    rate: Decimal,
    tokens: u64,
    list_cost: Decimal,
    cost: Decimal,
}

pub(crate) struct Focus<'a> {
    format: RowFormat,
    grouping: &'a Grouping,
    out: &'a mut dyn Write,
    rows: BTreeMap<Key, Usage>,
    unpriced: u64,
    untimed: u64,
}

impl<'a> Focus<'a> {
    pub(crate) fn new(format: RowFormat, grouping: &'a Grouping, out: &'a mut dyn Write) -> Focus<'a> {
        Focus { format, grouping, out, rows: BTreeMap::new(), unpriced: 0, untimed: 0 }
    }
}

/// Start of the day of `ns` in `tz`, and of the next day, unix ns.
fn day_bounds(ns: i64, tz: &TimeZone) -> Option<(i64, i64)> {
    let date = jiff::Timestamp::from_nanosecond(i128::from(ns)).ok()?.to_zoned(tz.clone()).date();
    let start = |d: jiff::civil::Date| i64::try_from(d.to_zoned(tz.clone()).ok()?.timestamp().as_nanosecond()).ok();
    Some((start(date)?, start(date.tomorrow().ok()?)?))
}

/// Start of the month of `ns` in `tz`, and of the next month, unix ns.
fn month_bounds(ns: i64, tz: &TimeZone) -> Option<(i64, i64)> {
    let first = jiff::Timestamp::from_nanosecond(i128::from(ns)).ok()?.to_zoned(tz.clone()).date().first_of_month();
    let next = first.checked_add(jiff::Span::new().months(1)).ok()?;
    let start = |d: jiff::civil::Date| i64::try_from(d.to_zoned(tz.clone()).ok()?.timestamp().as_nanosecond()).ok();
    Some((start(first)?, start(next)?))
}

impl super::CallSink for Focus<'_> {
    fn push(&mut self, priced: &PricedCall) -> anyhow::Result<()> {
        let call = &priced.call;
        let Some(q) = &priced.quote else {
            self.unpriced += call.requests.max(1);
            return Ok(());
        };
        let day =
            i64::try_from(call.time_ns).ok().filter(|&t| t != 0).and_then(|t| day_bounds(t, &self.grouping.time_zone));
        let Some((day, _)) = day else {
            self.untimed += call.requests.max(1);
            return Ok(());
        };
        let group = group_key(self.grouping, priced);
        for (i, &token_type) in TokenType::ALL.iter().enumerate() {
            if q.billed[i] == 0 {
                continue;
            }
            // Billed tokens always have a rate (else the call is unpriced).
            let (Some(list_rate), Some(rate)) = (q.list_rate(token_type), q.rate(token_type)) else { continue };
            let key = Key {
                day,
                group: group.clone(),
                model: priced.model().unwrap_or_default().to_string(),
                entry: q.entry.clone(),
                effective_from: q.effective_from.clone(),
                tier: q.tier_threshold,
                service_tier: if q.tier_entry.is_some() { q.service_tier } else { ServiceTier::Standard },
                token_type,
                list_rate,
                adjustment: q.adjustment_percent,
            };
            let usage = self.rows.entry(key).or_insert(Usage {
                source: q.source,
                rate,
                tokens: 0,
                list_cost: Decimal::ZERO,
                cost: Decimal::ZERO,
            });
            usage.tokens = usage.tokens.saturating_add(q.billed[i]);
            usage.list_cost = usage.list_cost.checked_add(q.list_by_type[i]).ok_or_else(overflow)?;
            usage.cost = usage.cost.checked_add(q.cost_by_type[i]).ok_or_else(overflow)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> anyhow::Result<Vec<String>> {
        let this = *self;
        let tz = &this.grouping.time_zone;
        let mut sink = rows::sink(this.format, columns(), this.out)?;
        for (key, usage) in &this.rows {
            sink.row(row(key, usage, this.grouping, tz)?)?;
        }
        sink.finish()?;
        let mut notes = Vec::new();
        if this.unpriced > 0 {
            notes.push(format!("FOCUS export: {} unpriced calls have no rows (FOCUS needs a cost)", this.unpriced));
        }
        if this.untimed > 0 {
            notes.push(format!(
                "FOCUS export: {} calls without a timestamp have no rows (FOCUS needs a charge period)",
                this.untimed
            ));
        }
        Ok(notes)
    }
}

fn overflow() -> anyhow::Error {
    anyhow::anyhow!("FOCUS export: a cost overflowed")
}

fn columns() -> Vec<Column> {
    use Kind::{Bool, Dec, Str};
    let time = Kind::Time(TimeUnit::Microseconds);
    [
        ("BilledCost", Dec),
        ("BillingAccountId", Str),
        ("BillingAccountName", Str),
        ("BillingCurrency", Str),
        ("BillingPeriodStart", time),
        ("BillingPeriodEnd", time),
        ("ChargeCategory", Str),
        ("ChargeClass", Str),
        ("ChargeDescription", Str),
        ("ChargeFrequency", Str),
        ("ChargePeriodStart", time),
        ("ChargePeriodEnd", time),
        ("ConsumedQuantity", Dec),
        ("ConsumedUnit", Str),
        ("ContractedCost", Dec),
        ("ContractedUnitPrice", Dec),
        ("EffectiveCost", Dec),
        ("InvoiceId", Str),
        ("InvoiceIssuerName", Str),
        ("ListCost", Dec),
        ("ListUnitPrice", Dec),
        ("PricingCategory", Str),
        ("PricingQuantity", Dec),
        ("PricingUnit", Str),
        ("ProviderName", Str),
        ("PublisherName", Str),
        ("ServiceCategory", Str),
        ("ServiceName", Str),
        ("ServiceSubcategory", Str),
        ("SkuId", Str),
        ("SkuMeter", Str),
        ("SkuPriceId", Str),
        ("Tags", Str),
        ("x_Estimated", Bool),
        ("x_PriceSource", Str),
        ("x_PriceEntry", Str),
        ("x_TokenType", Str),
        ("x_Model", Str),
        ("x_AdjustmentPercent", Dec),
    ]
    .into_iter()
    .map(|(name, kind)| Column::new(name, kind))
    .collect()
}

fn row(key: &Key, usage: &Usage, grouping: &Grouping, tz: &TimeZone) -> anyhow::Result<Vec<Cell>> {
    let (day_start, day_end) = day_bounds(key.day, tz).ok_or_else(|| anyhow::anyhow!("FOCUS: bad charge period"))?;
    let (month_start, month_end) =
        month_bounds(key.day, tz).ok_or_else(|| anyhow::anyhow!("FOCUS: bad billing period"))?;
    // `source:provider/model-id`: the SKU is the priced model, whichever data set priced it.
    let sku = key.entry.split_once(':').map_or(&*key.entry, |(_, s)| s);
    let provider_id = sku.split_once('/').map_or(sku, |(p, _)| p);
    let (provider, service) = provider_names(provider_id);
    let meter = meter(key.token_type);
    let per = key.token_type.per();
    let tier = match key.service_tier {
        ServiceTier::Standard => String::new(),
        t => format!(" ({} tier)", t.name()),
    };
    let mut price_id = format!("{}/{}", key.entry, key.token_type.name());
    if key.service_tier != ServiceTier::Standard {
        price_id.push_str(&format!("/{}", key.service_tier.name()));
    }
    if let Some(t) = key.tier {
        price_id.push_str(&format!("/above-{t}-input-tokens"));
    }
    if let Some(d) = &key.effective_from {
        price_id.push_str(&format!("@{d}"));
    }
    let tags: serde_json::Map<String, serde_json::Value> = grouping
        .dimensions
        .iter()
        .zip(&key.group)
        .filter(|(_, v)| v.as_str() != NONE)
        .map(|((name, _), v)| (name.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let money = |d: Decimal| Cell::Dec(Some(d));
    let time = |t: i64| Cell::Time(Some(t));
    Ok(vec![
        money(usage.cost),
        Cell::str(provider_id),
        Cell::Str(None),
        Cell::str("USD"),
        time(month_start),
        time(month_end),
        Cell::str("Usage"),
        Cell::Str(None),
        Cell::str(format!("{meter} of {}{tier}, estimated from OpenTelemetry", key.model)),
        Cell::str("Usage-Based"),
        time(day_start),
        time(day_end),
        money(Decimal::from(usage.tokens)),
        Cell::str(key.token_type.unit()),
        money(usage.cost),
        money(usage.rate),
        money(usage.cost),
        // Estimated from telemetry: no invoice yet.
        Cell::Str(None),
        Cell::str(provider.clone()),
        money(usage.list_cost),
        money(key.list_rate),
        Cell::str("Standard"),
        money(Decimal::from(usage.tokens) / Decimal::from(per)),
        Cell::str(format!("{per} {}", key.token_type.unit())),
        Cell::str(provider.clone()),
        Cell::str(provider),
        Cell::str("AI and Machine Learning"),
        Cell::str(service),
        Cell::str("Generative AI"),
        Cell::str(sku),
        Cell::str(meter),
        Cell::str(price_id),
        Cell::str(serde_json::Value::Object(tags).to_string()),
        Cell::Bool(Some(true)),
        Cell::str(usage.source.name()),
        Cell::str(&*key.entry),
        Cell::str(key.token_type.name()),
        Cell::str(key.model.as_str()),
        Cell::Dec(key.adjustment),
    ])
}

fn meter(t: TokenType) -> &'static str {
    match t {
        TokenType::Input => "Input Tokens",
        TokenType::CacheRead => "Cache Read Tokens",
        TokenType::CacheWrite5m => "Cache Write Tokens (5m)",
        TokenType::CacheWrite1h => "Cache Write Tokens (1h)",
        TokenType::Output => "Output Tokens",
        TokenType::Reasoning => "Reasoning Tokens",
        TokenType::Request => "Requests",
    }
}

/// Display names for a catalog provider id: (provider, service); the id itself otherwise.
fn provider_names(id: &str) -> (String, String) {
    let known = match id {
        "anthropic" => Some(("Anthropic", "Anthropic API")),
        "openai" => Some(("OpenAI", "OpenAI API")),
        "google" => Some(("Google", "Gemini API")),
        "aws" => Some(("Amazon Web Services", "Amazon Bedrock")),
        "azure" => Some(("Microsoft", "Azure OpenAI")),
        "mistral" => Some(("Mistral AI", "Mistral API")),
        "deepseek" => Some(("DeepSeek", "DeepSeek API")),
        "x-ai" => Some(("xAI", "xAI API")),
        _ => None,
    };
    match known {
        Some((p, s)) => (p.to_string(), s.to_string()),
        None => (id.to_string(), format!("{id} API")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_time_zone_and_months() {
        // 2026-11-30T23:30:00Z: still November in UTC, already December 1st in Berlin.
        let t = jiff::Timestamp::from_second(1_796_081_400).unwrap().as_nanosecond() as i64;
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_nanosecond() as i64;
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        assert_eq!(day_bounds(t, &TimeZone::UTC), Some((at("2026-11-30T00:00:00Z"), at("2026-12-01T00:00:00Z"))));
        assert_eq!(day_bounds(t, &berlin), Some((at("2026-11-30T23:00:00Z"), at("2026-12-01T23:00:00Z"))));
        assert_eq!(month_bounds(t, &berlin), Some((at("2026-11-30T23:00:00Z"), at("2026-12-31T23:00:00Z"))));
        assert_eq!(month_bounds(t, &TimeZone::UTC), Some((at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))));
    }
}

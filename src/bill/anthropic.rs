//! Anthropic Admin API exports, as saved (one page, pages one per line, or an array):
//!
//! - `GET /v1/organizations/cost_report`: `data[]` buckets (`starting_at`, `ending_at`,
//!   RFC 3339, UTC) of `results[]` with `amount` — a decimal **string in cents** — and, with
//!   `group_by[]=description`, `model`, `token_type`, `cost_type`, `service_tier`;
//!   `workspace_id` with `group_by[]=workspace_id`.
//! - `GET /v1/organizations/usage_report/messages`: the same buckets of token counts
//!   (`uncached_input_tokens`, `cache_read_input_tokens`, `cache_creation.ephemeral_5m/1h`,
//!   `output_tokens`, `server_tool_use.web_search_requests`), disjoint.
//! - Analytics (beta) `analytics/cost` and `analytics/usage`: flat `data[]` rows with
//!   `starting_at`, a `group` object and `cost` (`amount`, `list_amount`, in cents) or
//!   `usage` (the token counts above).
//!
//! The Claude Code analytics report is recognised and refused: its costs are Anthropic's
//! list-price estimates, not a bill.

use super::{day_of_rfc3339, decimal, token_class, Bill, BillRow, Class, Kind};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
}

/// A bucket of the Admin API reports, or an analytics row (`group` + `cost`/`usage`).
#[derive(Deserialize)]
struct Item<'a> {
    starting_at: Option<String>,
    #[serde(borrow, default)]
    results: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    group: Option<Fields<'a>>,
    #[serde(borrow, default)]
    cost: Option<Fields<'a>>,
    #[serde(borrow, default)]
    usage: Option<Fields<'a>>,
    #[serde(default)]
    model_breakdown: Option<serde::de::IgnoredAny>,
}

/// Every field a result, group, cost or usage object may carry.
#[derive(Deserialize, Default)]
struct Fields<'a> {
    #[serde(borrow)]
    amount: Option<&'a RawValue>,
    currency: Option<String>,
    cost_type: Option<String>,
    description: Option<String>,
    model: Option<String>,
    token_type: Option<String>,
    service_tier: Option<String>,
    workspace_id: Option<String>,
    api_key_id: Option<String>,
    uncached_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation: Option<CacheCreation>,
    output_tokens: Option<u64>,
    server_tool_use: Option<ServerTools>,
}

#[derive(Deserialize, Default)]
struct CacheCreation {
    ephemeral_5m_input_tokens: Option<u64>,
    ephemeral_1h_input_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct ServerTools {
    web_search_requests: Option<u64>,
}

/// The bill in `docs`, if they are Anthropic report pages.
pub fn read(file: &str, docs: &[&RawValue]) -> Result<Option<Bill>, String> {
    let mut rows = Vec::new();
    let mut kind = None;
    let mut saw_buckets = false;
    for (d, doc) in docs.iter().enumerate() {
        let Ok(page) = serde_json::from_str::<Page>(doc.get()) else { return Ok(None) };
        for (i, raw) in page.data.iter().enumerate() {
            let at = format!("{file}: page {}, item {}", d + 1, i + 1);
            let Ok(item) = serde_json::from_str::<Item>(raw.get()) else { return Ok(None) };
            if item.model_breakdown.is_some() {
                return Err(format!(
                    "{file}: a Claude Code analytics report: its costs are Anthropic's list-price estimates, \
                     not a bill; export the cost_report (or analytics/cost) instead"
                ));
            }
            let Some(start) = item.starting_at.as_deref() else { return Ok(None) };
            let day = day_of_rfc3339(start).ok_or_else(|| format!("{at}: starting_at {start:?} is not RFC 3339"))?;
            let found = if let Some(results) = &item.results {
                saw_buckets = true;
                let mut found = Vec::new();
                for (r, raw) in results.iter().enumerate() {
                    let at = format!("{at}, result {}", r + 1);
                    let f: Fields = serde_json::from_str(raw.get()).map_err(|e| format!("{at}: {e}"))?;
                    let (k, more) = if f.amount.is_some() {
                        (Kind::AnthropicCostReport, vec![cost_row(Kind::AnthropicCostReport, &f, &f, &day, &at)?])
                    } else {
                        (Kind::AnthropicUsageReport, usage_rows(Kind::AnthropicUsageReport, &f, &f, &day, &at))
                    };
                    if kind.is_some_and(|seen| seen != k) {
                        return Err(format!("{at}: cost and usage mixed in one file: save each report apart"));
                    }
                    kind = Some(k);
                    found.extend(more);
                }
                found
            } else if let (Some(group), Some(cost)) = (&item.group, &item.cost) {
                kind = Some(Kind::AnthropicAnalyticsCost);
                vec![cost_row(Kind::AnthropicAnalyticsCost, group, cost, &day, &at)?]
            } else if let (Some(group), Some(usage)) = (&item.group, &item.usage) {
                kind = Some(Kind::AnthropicAnalyticsUsage);
                usage_rows(Kind::AnthropicAnalyticsUsage, group, usage, &day, &at)
            } else {
                return Ok(None);
            };
            rows.extend(found);
        }
    }
    match kind {
        Some(kind) => Ok(Some(Bill { file: file.to_string(), kind, rows, notes: Vec::new() })),
        // Report buckets, every one empty (a period with no usage): nothing billed.
        None if saw_buckets => Ok(Some(Bill {
            file: file.to_string(),
            kind: Kind::AnthropicCostReport,
            rows,
            notes: vec![format!("{file}: an Anthropic report whose buckets are all empty")],
        })),
        None => Ok(None),
    }
}

fn base(group: &Fields, day: &str, at: &str) -> BillRow {
    BillRow {
        day: day.to_string(),
        provider: "anthropic".into(),
        model: group.model.clone(),
        tier: tier(group.service_tier.as_deref()),
        workspace: group.workspace_id.clone(),
        api_key: group.api_key_id.clone(),
        location: at.to_string(),
        ..Default::default()
    }
}

/// Anthropic's tiers: `priority_on_demand` is priority, `flex_discount` flex.
fn tier(t: Option<&str>) -> String {
    let t = t.unwrap_or("");
    let t = t.strip_suffix("_on_demand").or_else(|| t.strip_suffix("_discount")).unwrap_or(t);
    crate::model::ServiceTier::parse(t).name().to_string()
}

/// One money row: `amount` in cents (a decimal string) → dollars.
fn cost_row(kind: Kind, group: &Fields, cost: &Fields, day: &str, at: &str) -> Result<BillRow, String> {
    let raw = cost.amount.ok_or_else(|| format!("{at}: no amount"))?;
    let cents = decimal(raw.get()).ok_or_else(|| format!("{at}: amount {} is not a decimal", raw.get()))?;
    let currency = cost.currency.as_deref().unwrap_or("USD");
    if !currency.eq_ignore_ascii_case("usd") {
        return Err(format!("{at}: currency {currency:?}: only USD bills are compared"));
    }
    let cost_type = group.cost_type.as_deref().or(cost.cost_type.as_deref());
    let class = match cost_type {
        Some("tokens") | None => match group.token_type.as_deref() {
            Some(t) => token_class(t).ok_or_else(|| format!("{at}: unknown token_type {t:?}"))?,
            None if cost_type.is_some() || group.model.is_some() => Class::Unitemised,
            None => group.description.as_deref().and_then(Class::charge_from_text).unwrap_or(Class::Unitemised),
        },
        Some(other) => Class::charge_from_text(other)
            .or_else(|| group.description.as_deref().and_then(Class::charge_from_text))
            .unwrap_or(Class::OtherCharge),
    };
    Ok(BillRow {
        kind: Some(kind),
        class: Some(class),
        amount: Some(cents / Decimal::ONE_HUNDRED),
        ..base(group, day, at)
    })
}

/// Token rows of a usage result (disjoint buckets), and web searches as their own row.
fn usage_rows(kind: Kind, group: &Fields, usage: &Fields, day: &str, at: &str) -> Vec<BillRow> {
    let cache = usage.cache_creation.as_ref();
    let counts = [
        (Class::Input, usage.uncached_input_tokens),
        (Class::CacheRead, usage.cache_read_input_tokens),
        (Class::CacheWrite5m, cache.and_then(|c| c.ephemeral_5m_input_tokens)),
        (Class::CacheWrite1h, cache.and_then(|c| c.ephemeral_1h_input_tokens)),
        (Class::Output, usage.output_tokens),
        (Class::WebSearch, usage.server_tool_use.as_ref().and_then(|s| s.web_search_requests)),
    ];
    counts
        .into_iter()
        .filter_map(|(class, n)| n.filter(|&n| n > 0 || class == Class::Input).map(|n| (class, n)))
        .map(|(class, n)| BillRow { kind: Some(kind), class: Some(class), quantity: Some(n), ..base(group, day, at) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Bill {
        let docs = super::super::json_documents(text).unwrap();
        read("t.json", &docs).unwrap().unwrap()
    }

    /// The Analytics API shapes, from the SDK's field descriptions (no documented example
    /// payload exists): `group` + `cost` in cents, `group` + `usage`.
    #[test]
    fn analytics_cost_and_usage_rows() {
        let bill = read_text(
            r#"{"data": [{"starting_at": "2026-11-23T00:00:00Z", "ending_at": "2026-11-24T00:00:00Z",
                "group": {"model": "claude-sonnet-4-5", "token_type": "cache_creation.ephemeral_1h_input_tokens",
                          "service_tier": "priority_on_demand", "api_key_id": "apikey_1", "workspace_id": null},
                "cost": {"amount": "12.5", "list_amount": "15", "currency": "USD", "requests": 3}}],
               "has_more": false, "next_page": null, "data_refreshed_at": "2026-11-24T01:00:00Z"}"#,
        );
        assert_eq!(bill.kind, Kind::AnthropicAnalyticsCost);
        let r = &bill.rows[0];
        assert_eq!(
            (r.class, r.tier.as_str(), r.amount.map(|a| a.to_string()), r.api_key.as_deref()),
            (Some(Class::CacheWrite1h), "priority", Some("0.125".into()), Some("apikey_1"))
        );
        let bill = read_text(
            r#"{"data": [{"starting_at": "2026-11-23T00:00:00Z", "group": {"model": "claude-haiku-4-5"},
                "usage": {"uncached_input_tokens": 7, "cache_read_input_tokens": 0, "output_tokens": 3,
                          "server_tool_use": {"web_search_requests": 2}}}], "has_more": false}"#,
        );
        assert_eq!(bill.kind, Kind::AnthropicAnalyticsUsage);
        let got: Vec<(Class, Option<u64>)> = bill.rows.iter().map(|r| (r.class.unwrap(), r.quantity)).collect();
        assert_eq!(got, vec![(Class::Input, Some(7)), (Class::Output, Some(3)), (Class::WebSearch, Some(2))]);
    }

    #[test]
    fn empty_buckets_are_an_empty_bill() {
        let bill = read_text(
            r#"{"data": [{"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z", "results": []}], "has_more": false}"#,
        );
        assert!(bill.rows.is_empty());
        assert_eq!(bill.notes.len(), 1);
    }

    #[test]
    fn non_token_costs_are_their_own_rows() {
        let bill = read_text(
            r#"{"data": [{"starting_at": "2025-08-01T00:00:00Z", "results": [
                {"amount": "250", "currency": "USD", "cost_type": "web_search", "description": "Web Search Usage", "model": null, "token_type": null},
                {"amount": "100.5", "currency": "USD", "cost_type": "code_execution", "description": "Code Execution Usage"}]}]}"#,
        );
        let got: Vec<(Option<Class>, String)> =
            bill.rows.iter().map(|r| (r.class, r.amount.unwrap().to_string())).collect();
        assert_eq!(got, vec![(Some(Class::WebSearch), "2.50".into()), (Some(Class::CodeExecution), "1.005".into())]);
    }
}

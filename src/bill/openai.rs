//! OpenAI Admin API: `GET /v1/organization/costs` and `/v1/organization/usage/*`, as
//! saved (one page, pages one per line, or an array of pages).
//!
//! A page is `{"object": "page", "data": [{"object": "bucket", "start_time", "end_time",
//! "results": [...]}], "has_more", "next_page"}`; buckets are UTC-aligned. Cost results
//! (`organization.costs.result`) carry `amount.value` in dollars as a JSON float: read
//! from its literal text, never through f64. The model and token type of a cost exist only
//! in the free-text `line_item` (`"gpt-4o-2024-08-06, input"`), with `group_by=line_item`.
//! Usage results carry tokens per model (`input_tokens` includes cached and cache-write
//! tokens), with `batch` and `service_tier` when grouped by them.

use super::{day_of_unix, decimal, token_class, Bill, BillRow, Class, Kind};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Page<'a> {
    object: Option<&'a str>,
    #[serde(borrow, default)]
    data: Vec<Bucket<'a>>,
}

#[derive(Deserialize)]
struct Bucket<'a> {
    start_time: i64,
    #[serde(borrow, default)]
    results: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Amount<'a> {
    #[serde(borrow)]
    value: &'a RawValue,
    currency: Option<String>,
}

/// One result of either endpoint; which fields are present says which it is.
#[derive(Deserialize, Default)]
pub(super) struct ApiResult<'a> {
    object: Option<String>,
    #[serde(borrow)]
    amount: Option<Amount<'a>>,
    line_item: Option<String>,
    project_id: Option<String>,
    api_key_id: Option<String>,
    model: Option<String>,
    batch: Option<bool>,
    service_tier: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    input_cached_tokens: Option<u64>,
    input_uncached_tokens: Option<u64>,
    input_cache_write_tokens: Option<u64>,
    input_cache_write_30m_tokens: Option<u64>,
    input_cache_write_12h_tokens: Option<u64>,
    num_model_requests: Option<u64>,
    num_requests: Option<u64>,
    num_sessions: Option<u64>,
    images: Option<u64>,
    characters: Option<u64>,
    seconds: Option<u64>,
}

/// The bill in `docs`, if they are OpenAI pages; an error for a page that is malformed.
pub fn read(file: &str, docs: &[&RawValue]) -> Result<Option<Bill>, String> {
    let mut rows = Vec::new();
    let mut kind = None;
    for (d, doc) in docs.iter().enumerate() {
        let Ok(page) = serde_json::from_str::<Page>(doc.get()) else { return Ok(None) };
        if page.object != Some("page") {
            return Ok(None);
        }
        for (b, bucket) in page.data.iter().enumerate() {
            let day = day_of_unix(bucket.start_time)
                .ok_or_else(|| format!("{file}: page {}, bucket {}: start_time out of range", d + 1, b + 1))?;
            for (r, raw) in bucket.results.iter().enumerate() {
                let at = format!("{file}: page {}, bucket {}, result {}", d + 1, b + 1, r + 1);
                let result: ApiResult =
                    serde_json::from_str(raw.get()).map_err(|e| format!("{at}: not an OpenAI result: {e}"))?;
                let (k, found) = rows_of(&result, &day, &at)?;
                if kind.is_some_and(|seen| seen != k) {
                    return Err(format!("{at}: costs and usage mixed in one file: save each endpoint apart"));
                }
                kind = Some(k);
                rows.extend(found);
            }
        }
    }
    // Pages with no results at all: still an OpenAI export (of nothing).
    Ok(Some(Bill { file: file.to_string(), kind: kind.unwrap_or(Kind::OpenaiCosts), rows, notes: Vec::new() }))
}

/// The rows of one result.
pub(super) fn rows_of(r: &ApiResult, day: &str, at: &str) -> Result<(Kind, Vec<BillRow>), String> {
    let object = r.object.as_deref().unwrap_or("");
    let base = BillRow {
        day: day.to_string(),
        provider: "openai".into(),
        tier: tier(r),
        project: r.project_id.clone(),
        api_key: r.api_key_id.clone(),
        location: at.to_string(),
        ..Default::default()
    };
    if object == "organization.costs.result" || r.amount.is_some() {
        let amount = r.amount.as_ref().ok_or_else(|| format!("{at}: a cost result without amount"))?;
        let currency = amount.currency.as_deref().unwrap_or("usd");
        if !currency.eq_ignore_ascii_case("usd") {
            return Err(format!("{at}: currency {currency:?}: only USD bills are compared"));
        }
        let value = decimal(amount.value.get())
            .ok_or_else(|| format!("{at}: amount.value {} is not a number", amount.value.get()))?;
        let mut row = BillRow { kind: Some(Kind::OpenaiCosts), amount: Some(value), ..base };
        match r.line_item.as_deref() {
            None => row.class = Some(Class::Unitemised),
            Some(item) => {
                let (model, class, batch) = line_item(item);
                row.model = model;
                row.class = Some(class);
                if batch {
                    row.tier = "batch".into();
                }
            }
        }
        return Ok((Kind::OpenaiCosts, vec![row]));
    }
    if !object.starts_with("organization.usage.") {
        return Err(format!("{at}: object {object:?} is neither a costs nor a usage result"));
    }
    let row = |class, n: u64| BillRow {
        kind: Some(Kind::OpenaiUsage),
        model: r.model.clone(),
        class: Some(class),
        quantity: Some(n),
        ..base.clone()
    };
    let mut rows = Vec::new();
    match object {
        "organization.usage.completions.result"
        | "organization.usage.embeddings.result"
        | "organization.usage.moderations.result" => {
            let input = r.input_tokens.unwrap_or(0);
            let cached = r.input_cached_tokens.unwrap_or(0);
            let write_12h = r.input_cache_write_12h_tokens.unwrap_or(0);
            let write = r.input_cache_write_tokens.unwrap_or(r.input_cache_write_30m_tokens.unwrap_or(0) + write_12h);
            // `input_tokens` includes cached and cache-write tokens (older pages: cached).
            let uncached =
                r.input_uncached_tokens.unwrap_or_else(|| input.saturating_sub(cached).saturating_sub(write));
            rows.push(row(Class::Input, uncached));
            if cached > 0 {
                rows.push(row(Class::CacheRead, cached));
            }
            if write > 0 {
                rows.push(row(Class::CacheWrite5m, write.saturating_sub(write_12h)));
                if write_12h > 0 {
                    rows.push(row(Class::CacheWrite1h, write_12h));
                }
            }
            if let Some(out) = r.output_tokens {
                rows.push(row(Class::Output, out));
            }
        }
        other => {
            // Images, audio, vector stores, code interpreter, web search: not tokens.
            let class = Class::charge_from_text(other).unwrap_or(Class::OtherCharge);
            let n = r.num_requests.or(r.num_sessions).or(r.images).or(r.characters).or(r.seconds);
            rows.push(BillRow { quantity: n.or(r.num_model_requests), ..row(class, 0) });
        }
    }
    Ok((Kind::OpenaiUsage, rows))
}

fn tier(r: &ApiResult) -> String {
    if r.batch == Some(true) {
        return "batch".into();
    }
    crate::model::ServiceTier::parse(r.service_tier.as_deref().unwrap_or("")).name().to_string()
}

/// `"gpt-4o-2024-08-06, input"` → the model, the class and whether it is a batch line;
/// a line item with no model part (`"Image models"`, `"web search"`) is a charge.
fn line_item(item: &str) -> (Option<String>, Class, bool) {
    let lower = item.to_ascii_lowercase();
    let batch = lower.contains("batch");
    if let Some((model, kind)) = item.rsplit_once(',') {
        let model = model.trim();
        if let Some(class) = Class::charge_from_text(kind).or_else(|| token_class(kind)) {
            return (Some(model.to_string()), class, batch);
        }
    }
    (None, Class::charge_from_text(item).unwrap_or(Class::OtherCharge), batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result_rows(json: &str) -> (Kind, Vec<BillRow>) {
        let r: ApiResult = serde_json::from_str(json).unwrap();
        rows_of(&r, "2024-11-01", "docs").unwrap()
    }

    /// The documented single results (verbatim, tests/bills/docs/), grouped by every key.
    #[test]
    fn documented_grouped_results() {
        let (kind, rows) = result_rows(include_str!("../../tests/bills/docs/openai_costs_result_grouped.docs.json"));
        assert_eq!(kind, Kind::OpenaiCosts);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].class, rows[0].amount.map(|a| a.to_string())), (Some(Class::Image), Some("0.06".into())));
        assert_eq!(rows[0].project.as_deref(), Some("proj_abc"));

        let (kind, rows) =
            result_rows(include_str!("../../tests/bills/docs/openai_usage_completions_result_grouped.docs.json"));
        assert_eq!(kind, Kind::OpenaiUsage);
        let got: Vec<(Class, Option<u64>)> = rows.iter().map(|r| (r.class.unwrap(), r.quantity)).collect();
        // 5000 input of which 4000 cached: 1000 uncached.
        assert_eq!(got, vec![(Class::Input, Some(1000)), (Class::CacheRead, Some(4000)), (Class::Output, Some(1000))]);
        let r = &rows[0];
        assert_eq!(
            (r.model.as_deref(), r.tier.as_str(), r.api_key.as_deref(), r.project.as_deref()),
            (Some("gpt-4o-mini-2024-07-18"), "standard", Some("key_abc"), Some("proj_abc"))
        );

        let (_, rows) =
            result_rows(include_str!("../../tests/bills/docs/openai_usage_embeddings_result_grouped.docs.json"));
        assert_eq!(
            rows.iter().map(|r| (r.class, r.quantity)).collect::<Vec<_>>(),
            vec![(Some(Class::Input), Some(20))]
        );
        assert_eq!(rows[0].model.as_deref(), Some("text-embedding-ada-002-v2"));
    }

    #[test]
    fn amounts_keep_their_literal_and_batch_is_a_tier() {
        let (_, rows) = result_rows(
            r#"{"object": "organization.costs.result", "amount": {"value": 0.30000000000000004, "currency": "usd"}, "line_item": "gpt-4.1, input"}"#,
        );
        assert_eq!(rows[0].amount.unwrap().to_string(), "0.30000000000000004");
        let (_, rows) = result_rows(
            r#"{"object": "organization.usage.completions.result", "input_tokens": 10, "output_tokens": 2, "batch": true, "model": "gpt-4.1"}"#,
        );
        assert!(rows.iter().all(|r| r.tier == "batch"));
        let bad = r#"{"object": "organization.costs.result", "amount": {"value": 1, "currency": "eur"}}"#;
        let r: ApiResult = serde_json::from_str(bad).unwrap();
        assert!(rows_of(&r, "2024-11-01", "x").unwrap_err().contains("only USD"));
    }

    #[test]
    fn line_items() {
        assert_eq!(line_item("gpt-4o-2024-08-06, input"), (Some("gpt-4o-2024-08-06".into()), Class::Input, false));
        assert_eq!(line_item("gpt-6-astra, input_tokens"), (Some("gpt-6-astra".into()), Class::Input, false));
        assert_eq!(line_item("gpt-4.1, cached input"), (Some("gpt-4.1".into()), Class::CacheRead, false));
        assert_eq!(line_item("gpt-4o, output (batch)"), (Some("gpt-4o".into()), Class::Output, true));
        assert_eq!(line_item("Image models"), (None, Class::Image, false));
        assert_eq!(line_item("web search tool calls"), (None, Class::WebSearch, false));
    }
}

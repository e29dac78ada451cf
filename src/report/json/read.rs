//! The JSON report read back (`otelcost merge`): the inverse of the writer beside it.

use crate::allocate::{Bucket, CostMode, ModelUsage, Overview, PriceSource, Report, Row, Timeline, Totals, Unpriced};
use crate::model::{TokenBuckets, TokenType};
use rust_decimal::Decimal;
use serde_json::Value;
use std::sync::Arc;

/// A JSON report back into a `Report`. Messages say which field is wrong.
pub fn read(text: &str) -> Result<Report, String> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON ({e}): give reports made with `otelcost report --format json`"))?;
    let currency = doc.get("currency").and_then(Value::as_str);
    if currency != Some("USD") {
        return Err(format!("currency {currency:?}: only USD reports can be merged"));
    }
    let keys: Vec<&str> = array(&doc, "group_by")?
        .iter()
        .map(|v| v.as_str().ok_or("group_by: must be a list of names".to_string()))
        .collect::<Result<_, _>>()?;
    let catalog_names = doc.get("model_names").and_then(Value::as_str) == Some(super::MODEL_NAMES);
    let group_by: Vec<String> = keys.iter().map(|key| current_name(key, catalog_names).to_string()).collect();
    let total_doc = doc.get("total").ok_or("no total: not an otelcost JSON report")?;
    let cost_mode = match (total_doc.get("cost").is_some(), total_doc.get("reported_cost").is_some()) {
        (true, true) => CostMode::Both,
        (false, true) => CostMode::Reported,
        _ => CostMode::Computed,
    };
    let rows = array(&doc, "rows")?
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let at = format!("rows[{i}]");
            let group = keys
                .iter()
                .map(|name| {
                    row.get("group")
                        .and_then(|g| g.get(name))
                        .and_then(Value::as_str)
                        .map(String::from)
                        .ok_or_else(|| format!("{at}.group.{name}: missing; the row does not match group_by"))
                })
                .collect::<Result<_, _>>()?;
            Ok(Row { group, totals: totals(row, &at)? })
        })
        .collect::<Result<_, String>>()?;
    let unpriced = array(&doc, "unpriced")?
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let at = format!("unpriced[{i}]");
            Ok(Unpriced {
                model: u.get("model").and_then(Value::as_str).ok_or(format!("{at}.model: missing"))?.to_string(),
                provider: u.get("provider").and_then(Value::as_str).map(String::from),
                requests: count(u, "requests", &at)?,
                tokens: tokens(u, &at)?,
            })
        })
        .collect::<Result<_, String>>()?;
    let prices_used = match doc.get("prices_used") {
        None | Some(Value::Null) => None,
        Some(v) => Some(strings(v, "prices_used")?),
    };
    Ok(Report {
        group_by,
        rows,
        total: totals(total_doc, "total")?,
        unpriced,
        cost_mode,
        prices_used,
        overview: overview(&doc, catalog_names)?,
        what_if: what_if(&doc)?,
        prices_date: doc.get("prices_date").and_then(Value::as_str).map(String::from),
    })
}

/// A `group_by` name as a report made now names it: `model_family` is `model`; in a report
/// made before `model` and `provider` were the catalog's names, they were as emitted, which
/// is now `model_id` and `provider_id`.
fn current_name(key: &str, catalog_names: bool) -> &str {
    match key {
        "model_family" => "model",
        "model" if !catalog_names => "model_id",
        "provider" if !catalog_names => "provider_id",
        _ => key,
    }
}

/// The period, timeline and models of a report; each absent in reports made before
/// they were added (then the merged report has no timeline, and says so).
fn overview(doc: &Value, catalog_names: bool) -> Result<Overview, String> {
    let time = |v: &Value, key: &str| -> Result<u64, String> {
        let text = v.get(key).and_then(Value::as_str).ok_or_else(|| format!("period.{key}: missing"))?;
        let ts: jiff::Timestamp =
            text.parse().map_err(|_| format!("period.{key}: {text:?} is not an RFC 3339 time"))?;
        u64::try_from(ts.as_nanosecond()).map_err(|_| format!("period.{key}: {text:?} is before 1970"))
    };
    let period = match doc.get("period") {
        None | Some(Value::Null) => None,
        Some(p) => Some((time(p, "first")?, time(p, "last")?)),
    };
    let timeline = match doc.get("timeline") {
        None | Some(Value::Null) => None,
        Some(t) => {
            let bucket = t.get("bucket").and_then(Value::as_str).unwrap_or_default();
            let bucket =
                Bucket::from_name(bucket).ok_or_else(|| format!("timeline.bucket: {bucket:?} is not a time bucket"))?;
            let points = array(t, "points")
                .map_err(|e| format!("timeline.{e}"))?
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let at = format!("timeline.points[{i}]");
                    let text = |key: &str| {
                        p.get(key)
                            .and_then(Value::as_str)
                            .map(String::from)
                            .ok_or_else(|| format!("{at}.{key}: missing"))
                    };
                    Ok(((text("time")?, text("group")?), totals(p, &at)?))
                })
                .collect::<Result<_, String>>()?;
            Some(Timeline {
                bucket,
                points,
                untimed_requests: t.get("untimed_requests").and_then(Value::as_u64).unwrap_or(0),
            })
        }
    };
    let models = match doc.get("models") {
        None | Some(Value::Null) => Vec::new(),
        Some(_) => array(doc, "models")?
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let at = format!("models[{i}]");
                let prices = m
                    .get("prices")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|p| {
                        let entry = p.get("entry").and_then(Value::as_str).ok_or(format!("{at}.prices: no entry"))?;
                        Ok(PriceSource {
                            entry: Arc::from(entry),
                            source: p.get("source").and_then(Value::as_str).unwrap_or_default().to_string(),
                            effective_from: p.get("effective_from").and_then(Value::as_str).map(Arc::from),
                        })
                    })
                    .collect::<Result<_, String>>()?;
                Ok(ModelUsage {
                    model: m.get("model").and_then(Value::as_str).ok_or(format!("{at}.model: missing"))?.to_string(),
                    provider: m.get("provider").and_then(Value::as_str).map(String::from),
                    totals: totals(m, &at)?,
                    cache_read_saved: money(m, "cache_read_saved", &at)?,
                    prices,
                })
            })
            .collect::<Result<_, String>>()?,
    };
    let groups = match doc.get("groups") {
        None | Some(Value::Null) => Vec::new(),
        Some(_) => array(doc, "groups")?
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let at = format!("groups[{i}]");
                let value = g.get("group").and_then(Value::as_str).ok_or(format!("{at}.group: missing"))?;
                Ok((value.to_string(), totals(g, &at)?))
            })
            .collect::<Result<_, String>>()?,
    };
    let dimension = doc.get("dimension").and_then(Value::as_str).map(|d| current_name(d, catalog_names).to_string());
    let time_zone = doc.get("time_zone").and_then(Value::as_str).unwrap_or("UTC").to_string();
    Ok(Overview { period, time_zone, dimension, groups, timeline, models })
}

/// The `--what-if` scenario of a report, if it had one.
fn what_if(doc: &Value) -> Result<Option<crate::allocate::WhatIf>, String> {
    Ok(match doc.get("what_if") {
        None | Some(Value::Null) => None,
        Some(w) => Some(crate::allocate::WhatIf {
            scenario: strings(w.get("scenario").unwrap_or(&Value::Null), "what_if.scenario")?
                .iter()
                .map(|s| s.to_string())
                .collect(),
            notes: strings(w.get("notes").unwrap_or(&Value::Null), "what_if.notes")?
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }),
    })
}

fn array<'a>(doc: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    doc.get(key).and_then(Value::as_array).ok_or_else(|| format!("{key}: missing or not a list"))
}

fn strings(v: &Value, at: &str) -> Result<Vec<Arc<str>>, String> {
    let list = v.as_array().ok_or_else(|| format!("{at}: must be a list of strings"))?;
    list.iter().map(|s| s.as_str().map(Arc::from).ok_or_else(|| format!("{at}: must be a list of strings"))).collect()
}

fn count(v: &Value, key: &str, at: &str) -> Result<u64, String> {
    v.get(key).and_then(Value::as_u64).ok_or_else(|| format!("{at}.{key}: missing or not a whole number"))
}

/// A decimal string, `null`, or absent (both `None`).
fn money(v: &Value, key: &str, at: &str) -> Result<Option<Decimal>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            Decimal::from_str_exact(s).map(Some).map_err(|_| format!("{at}.{key}: {s:?} is not a decimal number"))
        }
        Some(other) => Err(format!("{at}.{key}: {other} should be a decimal string like \"0.0012\"")),
    }
}

fn tokens(v: &Value, at: &str) -> Result<TokenBuckets, String> {
    let t = v.get("tokens").ok_or_else(|| format!("{at}.tokens: missing"))?;
    let at = format!("{at}.tokens");
    let cache_write = count(t, "cache_write", &at)?;
    let cache_write_1h = count(t, "cache_write_1h", &at)?;
    Ok(TokenBuckets {
        input: count(t, "input", &at)?,
        cache_read: count(t, "cache_read", &at)?,
        // JSON carries all cache writes and their 1-hour part.
        cache_write_5m: cache_write.checked_sub(cache_write_1h).ok_or(format!("{at}: cache_write_1h > cache_write"))?,
        cache_write_1h,
        output: count(t, "output", &at)?,
        reasoning: count(t, "reasoning", &at)?,
    })
}

fn totals(v: &Value, at: &str) -> Result<Totals, String> {
    let reported_cost = money(v, "reported_cost", at)?;
    // The difference is reported minus computed over the calls that stated a cost.
    let computed_where_reported = match (reported_cost, money(v, "cost_difference", at)?) {
        (Some(r), Some(d)) => Some(r - d),
        _ => None,
    };
    Ok(Totals {
        requests: count(v, "requests", at)?,
        tokens: tokens(v, at)?,
        cost: money(v, "cost", at)?,
        unpriced_requests: v.get("unpriced_requests").and_then(Value::as_u64).unwrap_or(0),
        reported_cost,
        computed_where_reported,
        price_entries: match v.get("price_entries") {
            Some(list) => strings(list, &format!("{at}.price_entries"))?.into_iter().collect(),
            None => Default::default(),
        },
        shared_cost: money(v, "shared_cost", at)?,
        list_cost: money(v, "list_cost", at)?,
        what_if_cost: money(v, "what_if_cost", at)?,
        what_if_unpriced_requests: v.get("what_if_unpriced_requests").and_then(Value::as_u64).unwrap_or(0),
        cost_by_type: {
            let mut by_type = [Decimal::ZERO; TokenType::COUNT];
            if let Some(parts) = v.get("cost_by_type") {
                let at = format!("{at}.cost_by_type");
                for (slot, t) in by_type.iter_mut().zip(TokenType::ALL) {
                    *slot = money(parts, t.name(), &at)?.unwrap_or_default();
                }
            }
            by_type
        },
    })
}

//! JSON: the stable contract scripts and CI parse.
//!
//! ```json
//! {"currency": "USD", "group_by": ["model"],
//!  "rows": [{"group": {"model": "…"}, "requests": 2, "tokens": {…}, "cost": "0.0012345",
//!            "unpriced_requests": 0}],
//!  "total": {"requests": 2, "tokens": {…}, "cost": "0.0012345", "unpriced_requests": 0},
//!  "unpriced": [{"model": "x", "provider": null, "requests": 1, "tokens": {…}}]}
//! ```
//!
//! `tokens` is `{input, cache_read, cache_write, cache_write_1h, output, reasoning}` where
//! `cache_write` is every token written to the cache and `cache_write_1h` its 1-hour part.
//! Costs are exact decimal strings (normalized, `"0"` for zero) or `null` when nothing in
//! the group was priced. Pretty-printed with 2-space indent and a trailing newline.

mod read;

pub use read::read;

/// The JSON Schema of this output (`otelcost schema report`).
pub const SCHEMA: &str = include_str!("schema.json");

use super::cost_difference;
use crate::allocate::{CostMode, Report, Totals};
use crate::model::exact_cost;
use crate::model::{TokenBuckets, TokenType};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// The `model_names` of reports whose `model` and `provider` are the catalog's names.
const MODEL_NAMES: &str = "catalog";

#[derive(Serialize)]
struct Doc<'a> {
    currency: &'static str,
    group_by: &'a [String],
    /// `catalog`: the `model` and `provider` dimensions are the price catalog's names (the
    /// raw ones are `model_id` and `provider_id`). Reports without it named them as emitted.
    model_names: &'static str,
    rows: Vec<JsonRow<'a>>,
    total: JsonTotals,
    unpriced: Vec<JsonUnpriced<'a>>,
    /// With `--explain`: every price applied, one line each.
    #[serde(skip_serializing_if = "Option::is_none")]
    prices_used: Option<Vec<&'a str>>,
    /// The first and last call time (RFC 3339), `null` when no call has a timestamp.
    period: Option<JsonPeriod>,
    /// The time zone of the time buckets (`--timezone`).
    time_zone: &'a str,
    /// The first `--by` dimension that is not a time bucket: the split of the charts.
    dimension: Option<&'a str>,
    /// Totals per value of `dimension`.
    groups: Vec<JsonPoint<'a>>,
    /// Cost over time by `dimension`; `null` without timestamps.
    timeline: Option<JsonTimeline<'a>>,
    /// Per model and provider: totals, cache-read savings, the prices applied.
    models: Vec<JsonModel<'a>>,
    /// With `--what-if`: `{"scenario": [...], "notes": [...]}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    what_if: Option<JsonWhatIf<'a>>,
    /// The price data the costs come from: `2026-11-23 (bundled)`, `2026-12-03 (fetched)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    prices_date: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonPeriod {
    first: Option<String>,
    last: Option<String>,
}

#[derive(Serialize)]
struct JsonTimeline<'a> {
    bucket: &'static str,
    untimed_requests: u64,
    points: Vec<JsonPoint<'a>>,
}

#[derive(Serialize)]
struct JsonPoint<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<&'a str>,
    group: &'a str,
    #[serde(flatten)]
    totals: JsonTotals,
}

#[derive(Serialize)]
struct JsonModel<'a> {
    model: &'a str,
    provider: Option<&'a str>,
    #[serde(flatten)]
    totals: JsonTotals,
    cache_read_saved: Option<String>,
    prices: Vec<JsonPrice<'a>>,
}

#[derive(Serialize)]
struct JsonPrice<'a> {
    entry: &'a str,
    source: &'a str,
    effective_from: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonWhatIf<'a> {
    scenario: &'a [String],
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonRow<'a> {
    group: Group<'a>,
    #[serde(flatten)]
    totals: JsonTotals,
    /// With `--explain`: the price entries behind the row.
    #[serde(skip_serializing_if = "Option::is_none")]
    price_entries: Option<Vec<&'a str>>,
}

/// The group values as an object keyed by dimension name, in `group_by` order.
struct Group<'a> {
    names: &'a [String],
    values: &'a [String],
}

impl Serialize for Group<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.names.len()))?;
        for (name, value) in self.names.iter().zip(self.values) {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Which cost fields appear follows `--cost`: `cost` (computed, the default),
/// `reported_cost` (what the emitters stated), and with both also `cost_difference`.
#[derive(Serialize)]
struct JsonTotals {
    requests: u64,
    tokens: JsonTokens,
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    cost: Hidden<Option<String>>,
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    reported_cost: Hidden<Option<String>>,
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    cost_difference: Hidden<Option<String>>,
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    unpriced_requests: Hidden<u64>,
    /// With the computed cost: the same at list price (before a `--prices` adjustment), and
    /// the cost per token type (summing to `cost`), so reports merge exactly.
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    list_cost: Hidden<Option<String>>,
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    cost_by_type: Hidden<Option<BTreeMap<&'static str, String>>>,
    /// With `--split-unallocated`: the group's share of unallocated cost, and cost + share.
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    shared_cost: Hidden<Option<String>>,
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    charged_cost: Hidden<Option<String>>,
    /// With `--what-if`: the cost under the scenario, what-if minus cost, and the calls the
    /// scenario cannot price.
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    what_if_cost: Hidden<Option<String>>,
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    what_if_difference: Hidden<Option<String>>,
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    what_if_unpriced_requests: Hidden<u64>,
}

/// A field shown only in some cost modes (`null` stays a real value when shown).
struct Hidden<T>(Option<T>);

impl<T> Hidden<T> {
    fn is_hidden(&self) -> bool {
        self.0.is_none()
    }

    fn show_if(show: bool, value: T) -> Self {
        Hidden(show.then_some(value))
    }
}

impl<T: Serialize> Serialize for Hidden<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

#[derive(Serialize)]
struct JsonTokens {
    input: u64,
    cache_read: u64,
    cache_write: u64,
    cache_write_1h: u64,
    output: u64,
    reasoning: u64,
}

#[derive(Serialize)]
struct JsonUnpriced<'a> {
    model: &'a str,
    provider: Option<&'a str>,
    requests: u64,
    tokens: JsonTokens,
}

impl From<&TokenBuckets> for JsonTokens {
    fn from(t: &TokenBuckets) -> Self {
        JsonTokens {
            input: t.input,
            cache_read: t.cache_read,
            cache_write: t.cache_write(),
            cache_write_1h: t.cache_write_1h,
            output: t.output,
            reasoning: t.reasoning,
        }
    }
}

impl JsonTotals {
    fn new(t: &Totals, mode: CostMode, split: bool, what_if: bool) -> Self {
        let computed = mode != CostMode::Reported;
        let reported = mode != CostMode::Computed;
        JsonTotals {
            requests: t.requests,
            tokens: (&t.tokens).into(),
            cost: Hidden::show_if(computed, t.cost.map(exact_cost)),
            reported_cost: Hidden::show_if(reported, t.reported_cost.map(exact_cost)),
            cost_difference: Hidden::show_if(mode == CostMode::Both, cost_difference(t).map(exact_cost)),
            unpriced_requests: Hidden::show_if(computed, t.unpriced_requests),
            list_cost: Hidden::show_if(computed, t.list_cost.map(exact_cost)),
            cost_by_type: Hidden::show_if(
                computed,
                t.cost.map(|_| {
                    // `request` only where a per-request fee was charged: most prices have none.
                    TokenType::ALL
                        .iter()
                        .zip(t.cost_by_type)
                        .filter(|(k, c)| **k != TokenType::Request || !c.is_zero())
                        .map(|(k, c)| (k.name(), exact_cost(c)))
                        .collect()
                }),
            ),
            shared_cost: Hidden::show_if(split, t.shared_cost.map(exact_cost)),
            charged_cost: Hidden::show_if(split, super::charged(t).map(exact_cost)),
            what_if_cost: Hidden::show_if(what_if, t.what_if_cost.map(exact_cost)),
            what_if_difference: Hidden::show_if(what_if, super::what_if_difference(t).map(exact_cost)),
            what_if_unpriced_requests: Hidden::show_if(what_if, t.what_if_unpriced_requests),
        }
    }
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let doc = Doc {
        currency: "USD",
        group_by: &report.group_by,
        model_names: MODEL_NAMES,
        rows: report
            .rows
            .iter()
            .map(|r| JsonRow {
                group: Group { names: &report.group_by, values: &r.group },
                totals: JsonTotals::new(&r.totals, report.cost_mode, super::is_split(report), report.what_if.is_some()),
                price_entries: report
                    .prices_used
                    .as_ref()
                    .map(|_| r.totals.price_entries.iter().map(|e| &**e).collect()),
            })
            .collect(),
        total: JsonTotals::new(&report.total, report.cost_mode, super::is_split(report), report.what_if.is_some()),
        unpriced: report
            .unpriced
            .iter()
            .map(|u| JsonUnpriced {
                model: &u.model,
                provider: u.provider.as_deref(),
                requests: u.requests,
                tokens: (&u.tokens).into(),
            })
            .collect(),
        prices_used: report.prices_used.as_ref().map(|p| p.iter().map(|l| &**l).collect()),
        period: report.overview.period.map(|(first, last)| JsonPeriod {
            first: super::rows::rfc3339(first as i64),
            last: super::rows::rfc3339(last as i64),
        }),
        time_zone: &report.overview.time_zone,
        dimension: report.overview.dimension.as_deref(),
        groups: report
            .overview
            .groups
            .iter()
            .map(|(group, totals)| JsonPoint {
                time: None,
                group,
                totals: JsonTotals::new(totals, report.cost_mode, false, false),
            })
            .collect(),
        timeline: report.overview.timeline.as_ref().map(|t| JsonTimeline {
            bucket: t.bucket.name(),
            untimed_requests: t.untimed_requests,
            points: t
                .points
                .iter()
                .map(|((time, group), totals)| JsonPoint {
                    time: Some(time),
                    group,
                    totals: JsonTotals::new(totals, report.cost_mode, false, false),
                })
                .collect(),
        }),
        models: report
            .overview
            .models
            .iter()
            .map(|m| JsonModel {
                model: &m.model,
                provider: m.provider.as_deref(),
                totals: JsonTotals::new(&m.totals, report.cost_mode, false, false),
                cache_read_saved: m.cache_read_saved.map(exact_cost),
                prices: m
                    .prices
                    .iter()
                    .map(|p| JsonPrice {
                        entry: &p.entry,
                        source: &p.source,
                        effective_from: p.effective_from.as_deref(),
                    })
                    .collect(),
            })
            .collect(),
        what_if: report.what_if.as_ref().map(|w| JsonWhatIf { scenario: &w.scenario, notes: &w.notes }),
        prices_date: report.prices_date.as_deref(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::report::fixture::{self, NASTY};
    use crate::report::Format;
    use serde_json::{json, Value};

    #[test]
    fn shape_and_values() {
        let text = fixture::render(&fixture::report(), Format::Json);
        assert!(text.ends_with("}\n"));
        assert!(text.starts_with("{\n  \"currency\": \"USD\",\n  \"group_by\": ["));
        let v: Value = serde_json::from_str(&text).unwrap();

        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = vec![
            "currency",
            "group_by",
            "rows",
            "total",
            "unpriced",
            "period",
            "time_zone",
            "dimension",
            "groups",
            "timeline",
            "models",
            "model_names",
        ];
        want.sort();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort();
        assert_eq!(keys_sorted, want);

        assert_eq!(v["currency"], "USD");
        assert_eq!(v["model_names"], "catalog");
        assert_eq!(v["group_by"], json!(["model", "user"]));
        assert_eq!(v["period"], json!({"first": "2026-11-21T09:00:00Z", "last": "2026-11-21T11:20:00Z"}));
        assert_eq!((&v["dimension"], &v["time_zone"]), (&json!("model"), &json!("UTC")));
        assert_eq!((&v["groups"][0]["group"], &v["groups"][0]["cost"]), (&json!("claude-sonnet-4"), &json!("12.3456")));
        assert!(v["groups"][0].get("time").is_none());
        let timeline = &v["timeline"];
        assert_eq!((&timeline["bucket"], &timeline["untimed_requests"]), (&json!("hour"), &json!(0)));
        let points: Vec<(&str, &str)> = timeline["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["time"].as_str().unwrap(), p["cost"].as_str().unwrap_or("null")))
            .collect();
        assert_eq!(
            points,
            [("2026-11-21 09:00", "12.3456"), ("2026-11-21 11:00", "0.0012345"), ("2026-11-21 11:00", "null")]
        );
        assert_eq!(v["models"][2]["cache_read_saved"], json!(null));
        assert_eq!(v["models"][0]["cache_read_saved"], "0.01");
        assert_eq!(v["models"][0]["prices"], json!([]));

        let rows = v["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            json!({
                "group": {"model": "claude-sonnet-4", "user": "alice"},
                "requests": 1200,
                "tokens": {"input": 1234567, "cache_read": 15011, "cache_write": 3000,
                           "cache_write_1h": 1000, "output": 45000, "reasoning": 0},
                "cost": "12.3456",
                "unpriced_requests": 0,
                "list_cost": null,
                "cost_by_type": {"input": "0", "cache_read": "0", "cache_write_5m": "0",
                                 "cache_write_1h": "0", "output": "0", "reasoning": "0"}
            })
        );
        assert_eq!(rows[1]["group"]["user"], NASTY);
        assert_eq!(rows[1]["cost"], "0.0012345");
        assert_eq!(rows[1]["unpriced_requests"], 1);
        assert_eq!(rows[2]["cost"], Value::Null);
        assert_eq!(rows[2]["unpriced_requests"], 2);

        assert_eq!(v["total"]["cost"], "12.3468345");
        assert_eq!(v["total"]["requests"], 1205);
        assert_eq!(v["total"]["unpriced_requests"], 3);
        assert_eq!(v["total"]["tokens"]["input"], 1234567 + 1738 + 100);

        let unpriced = v["unpriced"].as_array().unwrap();
        assert_eq!(unpriced.len(), 2);
        assert_eq!(unpriced[0]["model"], "mystery-model");
        assert_eq!(unpriced[0]["provider"], Value::Null);
        assert_eq!(unpriced[0]["requests"], 2);
        assert_eq!(unpriced[0]["tokens"]["output"], 10);
        assert_eq!(unpriced[1]["provider"], "openai");
    }

    #[test]
    fn group_keys_follow_group_by_order() {
        let mut r = fixture::report();
        r.group_by = vec!["z".into(), "a".into()];
        let text = fixture::render(&r, Format::Json);
        let z = text.find("\"z\": \"claude-sonnet-4\"").unwrap();
        let a = text.find("\"a\": \"alice\"").unwrap();
        assert!(z < a);
    }

    #[test]
    fn zero_cost_is_string_zero() {
        let mut r = fixture::report();
        r.rows[0].totals.cost = Some(rust_decimal::Decimal::new(0, 4));
        let v: Value = serde_json::from_str(&fixture::render(&r, Format::Json)).unwrap();
        assert_eq!(v["rows"][0]["cost"], "0");
    }
}

#[cfg(test)]
mod more_tests {
    use crate::report::fixture;
    use crate::report::Format;
    use serde_json::{json, Value};

    #[test]
    fn no_dimensions_and_nothing_priced() {
        let mut r = fixture::report();
        r.group_by.clear();
        r.rows.truncate(1);
        r.rows[0].group.clear();
        r.rows[0].totals.cost = None;
        r.total.cost = None;
        r.unpriced.clear();
        let v: Value = serde_json::from_str(&fixture::render(&r, Format::Json)).unwrap();
        assert_eq!(v["group_by"], json!([]));
        assert_eq!(v["rows"][0]["group"], json!({}));
        assert_eq!(v["rows"][0]["cost"], Value::Null);
        assert_eq!(v["total"]["cost"], Value::Null);
        assert_eq!(v["unpriced"], json!([]));
    }
}

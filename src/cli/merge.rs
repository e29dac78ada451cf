//! `otelcost merge a.json b.json …`: sum JSON reports (the README's contract) made over
//! separate inputs into the one report a single run over everything would give.

use super::report::{format_for, shape};
use super::{error, usage, Failure};
use crate::allocate::{self, CostMode, Report, Row, SortBy, Totals, Unpriced};
use crate::model::{TokenBuckets, TokenType};
use crate::report::{self, Format};
use clap::Args;
use rust_decimal::Decimal;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// JSON reports made with `otelcost report --format json` (same --by and --cost).
    #[arg(value_name = "REPORT.json", required = true)]
    pub paths: Vec<PathBuf>,

    /// Output format [default: from --output's extension, else table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write the merged report to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Order of the rows.
    #[arg(long, value_enum, default_value_t = SortBy::Cost)]
    pub sort: SortBy,

    /// Keep the first N rows; the rest are summed into one `(other)` row.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Share the `unallocated` (and `(none)`) cost of this dimension among its other
    /// values, over the merged whole.
    #[arg(long, value_name = "DIMENSION")]
    pub split_unallocated: Option<String>,
}

pub fn run(args: MergeArgs) -> Result<i32, Failure> {
    let mut reports = Vec::with_capacity(args.paths.len());
    for path in &args.paths {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read {label}: {e}")))?;
        let report = parse(&text).map_err(|e| error(format!("{label}: {e}")))?;
        reports.push((label, report));
    }
    let mut merged = allocate::merge(reports).map_err(error)?;
    if let Some(dim) = &args.split_unallocated {
        let unshared = allocate::split_unallocated(&mut merged, dim).map_err(usage)?;
        if unshared.slices > 0 {
            eprintln!(
                "warning: {} of unallocated cost in {} periods was not split: nothing else there has a cost to share it by",
                report::exact_cost(unshared.cost),
                unshared.slices
            );
        }
    }
    shape(&mut merged, args.sort, args.top);
    let format = args.format.or_else(|| args.output.as_deref().and_then(format_for)).unwrap_or(Format::Table);
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| error(format!("cannot write {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    report::write(&merged, format, &mut out)
        .and_then(|_| out.flush().map_err(Into::into))
        .map_err(|e| error(format!("cannot write the report: {e:#}")))?;
    Ok(super::exit::OK)
}

/// A JSON report back into a `Report`. Messages say which field is wrong.
fn parse(text: &str) -> Result<Report, String> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON ({e}): give reports made with `otelcost report --format json`"))?;
    let currency = doc.get("currency").and_then(Value::as_str);
    if currency != Some("USD") {
        return Err(format!("currency {currency:?}: only USD reports can be merged"));
    }
    let group_by: Vec<String> = array(&doc, "group_by")?
        .iter()
        .map(|v| v.as_str().map(String::from).ok_or("group_by: must be a list of names".to_string()))
        .collect::<Result<_, _>>()?;
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
            let group = group_by
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
    let what_if = match doc.get("what_if") {
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
    };
    Ok(Report { group_by, rows, total: totals(total_doc, "total")?, unpriced, cost_mode, prices_used, what_if })
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

//! `compare-bill` output: how much of the bill the telemetry explains, in every format.
//!
//! Table and Markdown: day × provider (the exact money comparison), the drill-down by
//! model, class and tier, and what is left by reason. CSV and Parquet: one record per
//! line of all three levels, told apart by `level` (`day`, `detail`, `total`). JSON: the
//! contract documented in the README (`compare-bill` section).

use super::rows::{self, Cell, Column, Kind, RowFormat};
use super::{display_cost, group_int, printable, Format};
use crate::bill::compare::{Comparison, Money, Row};
use crate::model::exact_cost;
use comfy_table::CellAlignment;
use rust_decimal::Decimal;
use serde::Serialize;
use std::io::Write;

pub fn write(c: &Comparison, format: Format, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Format::Table => human(c, out, false),
        Format::Markdown => human(c, out, true),
        Format::Json => json(c, out),
        Format::Csv => records(c, RowFormat::Csv, out),
        Format::Parquet => records(c, RowFormat::Parquet, out),
        Format::Focus | Format::Html => {
            anyhow::bail!("compare-bill writes table, csv, json, markdown or parquet, not {format:?}")
        }
    }
}

fn money(d: Option<Decimal>) -> String {
    d.map(display_cost).unwrap_or_else(|| "-".into())
}

fn percent(d: Option<Decimal>) -> String {
    d.map(|p| format!("{p:.2}%")).unwrap_or_else(|| "-".into())
}

fn money_cells(m: &Money) -> [String; 5] {
    [money(m.billed), money(m.estimate_list), money(m.estimate), money(m.difference()), percent(m.coverage())]
}

fn detail_cells(r: &Row, scoped: bool) -> Vec<String> {
    let k = &r.key;
    let m = r.money();
    let mut cells =
        vec![k.day.clone(), printable(&k.provider), printable(&k.model), k.class.name().into(), printable(&k.tier)];
    if scoped {
        cells.push(printable(&k.scope));
    }
    let [billed, list, estimate, difference, coverage] = money_cells(&m);
    let quantity = r.billed.as_ref().and_then(|b| b.quantity).map(group_int).unwrap_or_else(|| "-".into());
    let tokens = r.estimate.as_ref().map(|e| group_int(e.tokens)).unwrap_or_else(|| "-".into());
    cells.extend([billed, quantity, tokens, list, estimate, difference, coverage, r.reason.name().into()]);
    cells
}

/// One table of the human formats: title, headers, how many leading columns are text, rows.
type Section = (String, Vec<String>, usize, Vec<Vec<String>>);

/// Table (comfy-table, deterministic) or Markdown: the three tables and a summary line.
fn human(c: &Comparison, out: &mut dyn Write, markdown: bool) -> anyhow::Result<()> {
    let scoped = c.scope.is_some();
    let money_headers = ["billed (USD)", "estimate at list", "estimate (USD)", "difference", "coverage"];
    let mut sections: Vec<Section> = Vec::new();

    let mut days: Vec<Vec<String>> = c
        .days
        .iter()
        .map(|d| {
            let mut cells = vec![d.day.clone(), printable(&d.provider)];
            cells.extend(money_cells(&d.money));
            cells
        })
        .collect();
    let mut total = vec!["TOTAL".to_string(), String::new()];
    total.extend(money_cells(&c.total));
    days.push(total);
    let mut headers = vec!["day (UTC)".to_string(), "provider".into()];
    headers.extend(money_headers.map(String::from));
    sections.push(("Bill vs telemetry by day and provider (exact)".into(), headers, 2, days));

    let mut headers: Vec<String> = ["day (UTC)", "provider", "model", "class", "tier"].map(String::from).to_vec();
    if let Some(scope) = &c.scope {
        headers.push(printable(scope));
    }
    headers.extend(
        [
            "billed (USD)",
            "billed tokens",
            "telemetry tokens",
            "estimate at list",
            "estimate (USD)",
            "difference",
            "coverage",
            "reason",
        ]
        .map(String::from),
    );
    let text_columns = if scoped { 6 } else { 5 };
    let detail = c.rows.iter().map(|r| detail_cells(r, scoped)).collect();
    sections.push(("By model, class and tier".into(), headers, text_columns, detail));

    let remainder = c
        .remainder
        .iter()
        .map(|r| {
            vec![
                r.reason.map_or("", |r| r.name()).to_string(),
                group_int(r.rows),
                display_cost(r.unexplained),
                display_cost(r.unbilled),
            ]
        })
        .collect();
    let headers =
        ["reason", "rows", "bill not explained (USD)", "estimate not billed (USD)"].map(String::from).to_vec();
    sections.push(("What is left, by reason".into(), headers, 1, remainder));

    for (i, (title, headers, text_columns, rows)) in sections.into_iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        if markdown {
            writeln!(out, "### {title}\n")?;
            markdown_table(out, &headers, text_columns, &rows)?;
        } else {
            writeln!(out, "{title}")?;
            let headers_end_with_reason = headers.last().is_some_and(|h| h == "reason");
            let mut table = super::table::new_table(headers, text_columns);
            // Numbers right-aligned; the reason (text) is the last column of the drill-down.
            if headers_end_with_reason {
                let last = table.column_count() - 1;
                if let Some(col) = table.column_mut(last) {
                    col.set_cell_alignment(CellAlignment::Left);
                }
            }
            for row in rows {
                table.add_row(row);
            }
            writeln!(out, "{table}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", summary(c))?;
    Ok(())
}

fn markdown_table(
    out: &mut dyn Write,
    headers: &[String],
    text_columns: usize,
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let escape = |s: &str| s.replace('|', "\\|");
    writeln!(out, "| {} |", headers.iter().map(|h| escape(h)).collect::<Vec<_>>().join(" | "))?;
    let rule: Vec<&str> = (0..headers.len()).map(|i| if i < text_columns { "---" } else { "---:" }).collect();
    writeln!(out, "| {} |", rule.join(" | "))?;
    for row in rows {
        writeln!(out, "| {} |", row.iter().map(|c| escape(c)).collect::<Vec<_>>().join(" | "))?;
    }
    Ok(())
}

/// One sentence: how much of how much is explained, and from which files.
pub fn summary(c: &Comparison) -> String {
    let bills: Vec<String> = c.bills.iter().map(|(f, k, n)| format!("{} ({k}, {n} rows)", printable(f))).collect();
    match (c.total.billed, c.coverage()) {
        (Some(billed), Some(pct)) => format!(
            "Coverage: telemetry explains {} of {} billed ({pct:.2}%); bills: {}",
            display_cost(c.total.explained),
            display_cost(billed),
            bills.join(", ")
        ),
        _ => format!("Coverage: the bills carry no money to compare (usage exports only); bills: {}", bills.join(", ")),
    }
}

/// The JSON Schema of the JSON output (`otelcost schema bill`).
pub const SCHEMA: &str = include_str!("coverage.schema.json");

#[derive(Serialize)]
struct JsonMoney {
    billed: Option<String>,
    estimate_list: Option<String>,
    estimate: Option<String>,
    difference: Option<String>,
    explained: String,
    coverage_percent: Option<String>,
}

impl From<&Money> for JsonMoney {
    fn from(m: &Money) -> Self {
        JsonMoney {
            billed: m.billed.map(exact_cost),
            estimate_list: m.estimate_list.map(exact_cost),
            estimate: m.estimate.map(exact_cost),
            difference: m.difference().map(exact_cost),
            explained: exact_cost(m.explained),
            coverage_percent: m.coverage().map(exact_cost),
        }
    }
}

#[derive(Serialize)]
struct JsonDay<'a> {
    day: &'a str,
    provider: &'a str,
    #[serde(flatten)]
    money: JsonMoney,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    day: &'a str,
    provider: &'a str,
    model: &'a str,
    class: &'static str,
    tier: &'a str,
    scope: Option<&'a str>,
    #[serde(flatten)]
    money: JsonMoney,
    billed_quantity: Option<u64>,
    tokens: Option<u64>,
    unpriced_requests: u64,
    reason: &'static str,
}

#[derive(Serialize)]
struct JsonRemainder {
    reason: &'static str,
    rows: u64,
    unexplained: String,
    unbilled: String,
}

#[derive(Serialize)]
struct JsonBill<'a> {
    file: &'a str,
    kind: &'static str,
    rows: usize,
}

#[derive(Serialize)]
struct Doc<'a> {
    currency: &'static str,
    timezone: &'static str,
    scope: Option<&'a str>,
    bills: Vec<JsonBill<'a>>,
    coverage_percent: Option<String>,
    total: JsonMoney,
    days: Vec<JsonDay<'a>>,
    rows: Vec<JsonRow<'a>>,
    remainder: Vec<JsonRemainder>,
}

fn json(c: &Comparison, out: &mut dyn Write) -> anyhow::Result<()> {
    let doc = Doc {
        currency: "USD",
        timezone: "UTC",
        scope: c.scope.as_deref(),
        bills: c.bills.iter().map(|(file, kind, rows)| JsonBill { file, kind, rows: *rows }).collect(),
        coverage_percent: c.coverage().map(exact_cost),
        total: (&c.total).into(),
        days: c.days.iter().map(|d| JsonDay { day: &d.day, provider: &d.provider, money: (&d.money).into() }).collect(),
        rows: c
            .rows
            .iter()
            .map(|r| JsonRow {
                day: &r.key.day,
                provider: &r.key.provider,
                model: &r.key.model,
                class: r.key.class.name(),
                tier: &r.key.tier,
                scope: c.scope.as_ref().map(|_| r.key.scope.as_str()),
                money: (&r.money()).into(),
                billed_quantity: r.billed.as_ref().and_then(|b| b.quantity),
                tokens: r.estimate.as_ref().map(|e| e.tokens),
                unpriced_requests: r.estimate.as_ref().map_or(0, |e| e.unpriced_requests),
                reason: r.reason.name(),
            })
            .collect(),
        remainder: c
            .remainder
            .iter()
            .map(|r| JsonRemainder {
                reason: r.reason.map_or("", |r| r.name()),
                rows: r.rows,
                unexplained: exact_cost(r.unexplained),
                unbilled: exact_cost(r.unbilled),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// CSV or Parquet: every level in one typed table.
fn records(c: &Comparison, format: RowFormat, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut columns: Vec<Column> = ["level", "day", "provider", "model", "class", "tier", "scope"]
        .iter()
        .map(|n| Column::new(*n, Kind::Str))
        .collect();
    for name in ["billed", "estimate_list", "estimate", "difference", "explained", "coverage_percent"] {
        columns.push(Column::new(name, Kind::Dec));
    }
    columns.push(Column::new("billed_quantity", Kind::U64));
    columns.push(Column::new("tokens", Kind::U64));
    columns.push(Column::new("reason", Kind::Str));
    let mut sink = rows::sink(format, columns, out)?;
    let money_cells = |m: &Money| {
        [m.billed, m.estimate_list, m.estimate, m.difference(), Some(m.explained), m.coverage()].map(Cell::Dec)
    };
    let scope = |s: &str| Cell::Str(c.scope.as_ref().map(|_| s.to_string()));
    for r in &c.rows {
        let k = &r.key;
        let mut cells = vec![
            Cell::str("detail"),
            Cell::str(k.day.as_str()),
            Cell::str(k.provider.as_str()),
            Cell::str(k.model.as_str()),
            Cell::str(k.class.name()),
            Cell::str(k.tier.as_str()),
            scope(&k.scope),
        ];
        cells.extend(money_cells(&r.money()));
        cells.push(Cell::U64(r.billed.as_ref().and_then(|b| b.quantity)));
        cells.push(Cell::U64(r.estimate.as_ref().map(|e| e.tokens)));
        cells.push(Cell::str(r.reason.name()));
        sink.row(cells)?;
    }
    let none = || Cell::Str(None);
    for d in &c.days {
        let mut cells = vec![
            Cell::str("day"),
            Cell::str(d.day.as_str()),
            Cell::str(d.provider.as_str()),
            none(),
            none(),
            none(),
            none(),
        ];
        cells.extend(money_cells(&d.money));
        cells.extend([Cell::U64(None), Cell::U64(None), none()]);
        sink.row(cells)?;
    }
    let mut cells = vec![Cell::str("total"), none(), none(), none(), none(), none(), none()];
    cells.extend(money_cells(&c.total));
    cells.extend([Cell::U64(None), Cell::U64(None), none()]);
    sink.row(cells)?;
    sink.finish()
}

//! Report stage: render a `Report` as a table, CSV, JSON, Markdown, HTML or Parquet; or
//! export the priced calls themselves (`--lines`, FOCUS).
//!
//! CONTRACT: `write(&report, format, style, &mut out)`; `call_sink(export, &grouping, &mut out)`
//! for the exports that need every call, fed while the report is grouped.
//!
//! Each format lives in its own file; the helpers every format shares (column names,
//! number formatting, display rounding of money) live here, once.

pub mod coverage;
mod csv;
mod focus;
mod html;
pub mod json;
mod lines;
mod markdown;
#[cfg(feature = "parquet")]
mod parquet;
mod rows;
mod table;

use crate::allocate::{CostMode, Grouping, Report, Totals};
use crate::model::TokenBuckets;
use crate::price::PricedCall;
use rust_decimal::{Decimal, RoundingStrategy};
use std::io::Write;

pub use focus::VERSION as FOCUS_VERSION;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Markdown,
    /// One self-contained page with charts (inline CSS and SVG; nothing fetched).
    Html,
    /// Typed columns: decimals as decimals, times as timestamps.
    Parquet,
    /// A FinOps FOCUS cost-and-usage dataset: CSV, or Parquet for a `.parquet` output.
    Focus,
}

impl Format {
    pub fn is_binary(self) -> bool {
        self == Format::Parquet
    }
}

/// How the human formats are drawn.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Charts in Markdown (Mermaid) and HTML (SVG); `--no-charts` leaves them out.
    pub charts: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style { charts: true }
    }
}

pub fn write(report: &Report, format: Format, style: Style, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Format::Table => table::write(report, out),
        Format::Csv => csv::write(report, out),
        Format::Json => json::write(report, out),
        Format::Markdown => markdown::write(report, style.charts, out),
        Format::Html => html::write(report, style.charts, out),
        #[cfg(feature = "parquet")]
        Format::Parquet => parquet::write(report, out),
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => anyhow::bail!(crate::NO_PARQUET),
        Format::Focus => anyhow::bail!("internal error: FOCUS is written from the calls, not a grouped report"),
    }
}

/// An export written from the priced calls rather than from the grouped report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallExport {
    /// `--lines` in CSV, JSON (one object per line) or Parquet.
    Lines(Format),
    Focus {
        parquet: bool,
    },
}

impl CallExport {
    pub fn is_binary(self) -> bool {
        matches!(self, CallExport::Lines(Format::Parquet) | CallExport::Focus { parquet: true })
    }
}

/// Receives every priced call, in input order.
pub trait CallSink {
    fn push(&mut self, call: &PricedCall) -> anyhow::Result<()>;
    /// Writes what is left; returns notes for stderr (what the export could not hold).
    fn finish(self: Box<Self>) -> anyhow::Result<Vec<String>>;
}

pub fn call_sink<'a>(
    export: CallExport,
    grouping: &'a Grouping,
    out: &'a mut dyn Write,
) -> anyhow::Result<Box<dyn CallSink + 'a>> {
    use rows::RowFormat;
    Ok(match export {
        CallExport::Lines(format) => {
            let rows = match format {
                Format::Csv => RowFormat::Csv,
                Format::Json => RowFormat::JsonLines,
                Format::Parquet => RowFormat::Parquet,
                other => anyhow::bail!("--lines is written as csv, json or parquet, not {other:?}"),
            };
            Box::new(lines::Lines::new(rows, grouping, out)?)
        }
        CallExport::Focus { parquet } => {
            let rows = if parquet { RowFormat::Parquet } else { RowFormat::Csv };
            Box::new(focus::Focus::new(rows, grouping, out))
        }
    })
}

/// The cost a report shows: the computed one, or with `--cost reported` the emitters'.
pub(crate) fn shown_cost(t: &Totals, mode: CostMode) -> Option<Decimal> {
    match mode {
        CostMode::Reported => t.reported_cost,
        CostMode::Computed | CostMode::Both => t.cost,
    }
}

/// The series a chart draws for the overview's groups: the `TOP` most expensive values of
/// the split dimension by name, then one `other (N)` for the rest (and for groups with no
/// cost), so the parts still add up to the whole. Each series with its cost.
pub(crate) struct ChartSeries {
    pub names: Vec<String>,
    pub costs: Vec<Decimal>,
    /// Which series a group value is drawn in; values not here are in `other`.
    index: std::collections::HashMap<String, usize>,
    other: Option<usize>,
}

impl ChartSeries {
    pub(crate) const TOP: usize = 7;

    pub(crate) fn new(report: &Report) -> ChartSeries {
        let mode = report.cost_mode;
        let groups = &report.overview.groups;
        let named: Vec<&(String, Totals)> =
            groups.iter().filter(|(_, t)| shown_cost(t, mode).is_some_and(|c| !c.is_zero())).take(Self::TOP).collect();
        let mut names: Vec<String> =
            named.iter().map(|(g, _)| if g.is_empty() { "all calls".to_string() } else { g.clone() }).collect();
        let mut costs: Vec<Decimal> = named.iter().map(|(_, t)| shown_cost(t, mode).unwrap_or_default()).collect();
        let index = named.iter().enumerate().map(|(i, (g, _))| (g.clone(), i)).collect();
        let rest: Vec<&(String, Totals)> = groups.iter().filter(|g| !named.iter().any(|n| n.0 == g.0)).collect();
        let other = (!rest.is_empty()).then(|| {
            names.push(format!("other ({})", rest.len()));
            costs.push(rest.iter().filter_map(|(_, t)| shown_cost(t, mode)).sum());
            names.len() - 1
        });
        ChartSeries { names, costs, index, other }
    }

    /// The series a group value is drawn in.
    pub(crate) fn of(&self, group: &str) -> Option<usize> {
        self.index.get(group).copied().or(self.other)
    }

    pub(crate) fn is_other(&self, series: usize) -> bool {
        self.other == Some(series)
    }
}

/// Headers of the numeric columns of the human formats (table, markdown), after the
/// one-per-dimension group columns. The computed cost, when shown, is at `COST_INDEX`.
pub(crate) fn human_columns(report: &Report) -> Vec<&'static str> {
    let mut columns = vec!["requests", "input", "cache read", "cache write", "output", "reasoning"];
    columns.extend_from_slice(match report.cost_mode {
        CostMode::Computed => &["cost (USD)"][..],
        CostMode::Reported => &["reported (USD)"],
        CostMode::Both => &["cost (USD)", "reported (USD)", "difference"],
    });
    if report.prices_used.is_some() {
        columns.push("price entry");
    }
    if is_split(report) {
        columns.extend(["shared (USD)", "charged (USD)"]);
    }
    if report.what_if.is_some() {
        columns.extend(["what-if (USD)", "what-if difference"]);
    }
    columns
}

/// Whether the report carries `--split-unallocated` shares (columns `shared`, `charged`).
pub(crate) fn is_split(report: &Report) -> bool {
    report.total.shared_cost.is_some()
}

/// What a group is charged with the split: its own cost plus its share (`None` when
/// neither is known).
pub(crate) fn charged(t: &Totals) -> Option<Decimal> {
    match (t.cost, t.shared_cost) {
        (None, None) => None,
        (cost, shared) => Some(cost.unwrap_or_default() + shared.unwrap_or_default()),
    }
}

/// The price entries behind a group, for `--explain`.
pub(crate) fn entries(t: &Totals) -> String {
    t.price_entries.iter().map(|e| &**e).collect::<Vec<_>>().join("; ")
}

/// Heading of the `--explain` list of prices applied.
pub(crate) const PRICES_HEADING: &str = "Prices applied (entry, effective date, USD per million tokens, tier):";

pub(crate) const COST_INDEX: usize = 6;

/// Headers of the numeric columns of the machine formats (CSV), after the group columns.
pub(crate) fn machine_columns(report: &Report) -> Vec<&'static str> {
    let mut columns = vec!["requests", "input", "cache_read", "cache_write", "output", "reasoning"];
    columns.extend_from_slice(match report.cost_mode {
        CostMode::Computed => &["cost", "unpriced_requests"][..],
        CostMode::Reported => &["reported_cost"],
        CostMode::Both => &["cost", "reported_cost", "cost_difference", "unpriced_requests"],
    });
    if report.prices_used.is_some() {
        columns.push("price_entries");
    }
    if is_split(report) {
        columns.extend(["shared_cost", "charged_cost"]);
    }
    if report.what_if.is_some() {
        columns.extend(["what_if_cost", "what_if_difference", "what_if_unpriced_requests"]);
    }
    columns
}

/// The what-if cost minus the cost, when both are known: what the scenario would change.
pub(crate) fn what_if_difference(t: &Totals) -> Option<Decimal> {
    Some(t.what_if_cost? - t.cost?)
}

/// The lines under a human-format what-if report: the scenario, what the columns mean,
/// and its caveats.
pub(crate) fn what_if_footnotes(report: &Report) -> Vec<String> {
    let Some(w) = &report.what_if else { return Vec::new() };
    let mut lines = vec![format!(
        "What-if: {} (same tokens, other prices; difference = what-if − cost)",
        printable(&w.scenario.join(", "))
    )];
    if report.total.what_if_unpriced_requests > 0 {
        lines.push(format!(
            "What-if: {} calls cannot be priced under the scenario and are left out of its cost",
            group_int(report.total.what_if_unpriced_requests)
        ));
    }
    lines.extend(w.notes.iter().map(|n| format!("Note: {n}")));
    lines
}

/// What an emitter reported minus what was computed, over the calls that reported a cost.
pub(crate) fn cost_difference(t: &Totals) -> Option<Decimal> {
    Some(t.reported_cost? - t.computed_where_reported?)
}

/// Label of the total row in the human formats.
pub(crate) const TOTAL_LABEL: &str = "TOTAL";
/// What the human formats show instead of a cost when nothing in the group was priced.
pub(crate) const UNPRICED: &str = "unpriced";
/// Appended to a cost that covers only part of the group's calls.
pub(crate) const PARTIAL_MARKER: &str = "*";
/// Heading of the unpriced-models section of the human formats.
pub(crate) const UNPRICED_HEADING: &str = "Unpriced models (no price found; tokens counted, cost not):";

/// The footnote explaining `PARTIAL_MARKER`, if any row (or the total) carries it.
pub(crate) fn partial_footnote(report: &Report) -> Option<String> {
    let starred = report.rows.iter().map(|r| &r.totals).chain(std::iter::once(&report.total)).any(is_partial);
    starred.then(|| {
        let n = report.total.unpriced_requests;
        format!(
            "{PARTIAL_MARKER} cost covers priced calls only: {} call{} in total {} unpriced (see below)",
            group_int(n),
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" },
        )
    })
}

fn is_partial(t: &Totals) -> bool {
    t.cost.is_some() && t.unpriced_requests > 0
}

/// A whole number with `,` thousands separators: `15011` → `15,011`.
pub(crate) fn group_int(n: u64) -> String {
    group_digits(&n.to_string())
}

/// Inserts `,` every three digits from the right into a string of ASCII digits.
fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The token columns of the human formats, formatted: input, cache read, cache write
/// (5 minute + 1 hour), output, reasoning.
pub(crate) fn token_cells(t: &TokenBuckets) -> [String; 5] {
    [
        group_int(t.input),
        group_int(t.cache_read),
        group_int(t.cache_write()),
        group_int(t.output),
        group_int(t.reasoning),
    ]
}

/// All numeric cells of a human-format row, in `human_columns(mode)` order. A group whose
/// calls stated no cost shows `-` for the reported cost.
pub(crate) fn human_cells(t: &Totals, report: &Report) -> Vec<String> {
    let mode = report.cost_mode;
    let mut cells = Vec::with_capacity(9);
    cells.push(group_int(t.requests));
    cells.extend(token_cells(&t.tokens));
    let reported = || t.reported_cost.map(display_cost).unwrap_or_else(|| "-".into());
    match mode {
        CostMode::Computed => cells.push(display_cost_cell(t)),
        CostMode::Reported => cells.push(reported()),
        CostMode::Both => {
            cells.push(display_cost_cell(t));
            cells.push(reported());
            cells.push(cost_difference(t).map(display_cost).unwrap_or_else(|| "-".into()));
        }
    }
    if report.prices_used.is_some() {
        cells.push(entries(t));
    }
    let money = |d: Option<Decimal>| d.map(display_cost).unwrap_or_else(|| "-".into());
    if is_split(report) {
        cells.extend([money(t.shared_cost), money(charged(t))]);
    }
    if report.what_if.is_some() {
        cells.extend([money(t.what_if_cost), money(what_if_difference(t))]);
    }
    cells
}

/// The cost cell of the human formats: `unpriced` when nothing was priced (never `0`),
/// the display-rounded cost otherwise, followed by ` *` when some calls are unpriced.
pub(crate) fn display_cost_cell(t: &Totals) -> String {
    match t.cost {
        None => UNPRICED.to_string(),
        Some(c) if t.unpriced_requests > 0 => format!("{} {PARTIAL_MARKER}", display_cost(c)),
        Some(c) => display_cost(c),
    }
}

/// Money rounded for human eyes. Display only: the machine formats (CSV, JSON) carry the
/// exact value.
///
/// Rule: amounts of at least $1 (in absolute value) are rounded to cents (`1234.5` →
/// `1,234.50`); smaller amounts to 4 decimal places (`0.0012345` → `0.0012`), because
/// single calls often cost fractions of a cent. Rounding is half away from zero. A
/// non-zero amount too small to show at 4 places prints as `<0.0001` (never as zero);
/// an exact zero prints as `0.0000`. Thousands are separated by `,`.
pub(crate) fn display_cost(c: Decimal) -> String {
    let places = if c.abs() >= Decimal::ONE { 2 } else { 4 };
    let r = c.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() && !c.is_zero() {
        return if c.is_sign_negative() { ">-0.0001" } else { "<0.0001" }.to_string();
    }
    let s = format!("{:.*}", places as usize, r.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let sign = if r.is_sign_negative() && !r.is_zero() { "-" } else { "" };
    format!("{sign}{}.{frac}", group_digits(int))
}

/// User data shown in a human format: control characters (newlines, tabs, terminal
/// escapes) are written as escapes so they can neither break the layout nor drive the
/// terminal.
pub(crate) fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A hand-built report every format's tests render.

    pub use crate::allocate::CostMode;
    use crate::allocate::{Bucket, ModelUsage, Overview, Report, Row, Timeline, Totals, Unpriced};
    use crate::model::TokenBuckets;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    pub const NASTY: &str = "team \"a\", b|c";

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn tokens(input: u64, cr: u64, cw5: u64, cw1: u64, out: u64, reas: u64) -> TokenBuckets {
        TokenBuckets { input, cache_read: cr, cache_write_5m: cw5, cache_write_1h: cw1, output: out, reasoning: reas }
    }

    /// Rows: a fully priced one, one partly unpriced (and a group value with a comma, a
    /// quote and a `|`), one fully unpriced.
    pub fn report() -> Report {
        let rows = vec![
            Row {
                group: vec!["claude-sonnet-4".into(), "alice".into()],
                totals: Totals {
                    requests: 1200,
                    tokens: tokens(1_234_567, 15_011, 2000, 1000, 45_000, 0),
                    cost: Some(d("12.3456000")),
                    unpriced_requests: 0,
                    reported_cost: None,
                    computed_where_reported: None,
                    ..Default::default()
                },
            },
            Row {
                group: vec!["gpt-4o-mini-2024-07-18".into(), NASTY.into()],
                totals: Totals {
                    requests: 3,
                    tokens: tokens(1738, 1408, 0, 0, 57, 12),
                    cost: Some(d("0.0012345")),
                    unpriced_requests: 1,
                    reported_cost: None,
                    computed_where_reported: None,
                    ..Default::default()
                },
            },
            Row {
                group: vec!["mystery-model".into(), "(none)".into()],
                totals: Totals {
                    requests: 2,
                    tokens: tokens(100, 0, 0, 0, 10, 0),
                    cost: None,
                    unpriced_requests: 2,
                    reported_cost: None,
                    computed_where_reported: None,
                    ..Default::default()
                },
            },
        ];
        let mut total = Totals::default();
        let mut cost = Decimal::ZERO;
        for r in &rows {
            total.requests += r.totals.requests;
            total.tokens.add(&r.totals.tokens);
            total.unpriced_requests += r.totals.unpriced_requests;
            cost += r.totals.cost.unwrap_or_default();
        }
        total.cost = Some(cost);
        let overview = overview(&rows);
        Report {
            group_by: vec!["model".into(), "user".into()],
            rows,
            total,
            unpriced: vec![
                Unpriced {
                    model: "mystery-model".into(),
                    provider: None,
                    requests: 2,
                    tokens: tokens(100, 0, 0, 0, 10, 0),
                },
                Unpriced {
                    model: "gpt-9".into(),
                    provider: Some("openai".into()),
                    requests: 1,
                    tokens: tokens(50, 0, 0, 0, 5, 0),
                },
            ],
            cost_mode: crate::allocate::CostMode::Computed,
            prices_used: None,
            overview,
            what_if: None,
            prices_date: None,
        }
    }

    /// Split by the first dimension (model), over three hours with a gap between them.
    fn overview(rows: &[Row]) -> Overview {
        let mut points = std::collections::BTreeMap::new();
        points.insert(("2026-11-21 09:00".to_string(), rows[0].group[0].clone()), rows[0].totals.clone());
        points.insert(("2026-11-21 11:00".to_string(), rows[1].group[0].clone()), rows[1].totals.clone());
        points.insert(("2026-11-21 11:00".to_string(), rows[2].group[0].clone()), rows[2].totals.clone());
        Overview {
            period: Some((1_795_251_600_000_000_000, 1_795_260_000_000_000_000)),
            time_zone: "UTC".into(),
            dimension: Some("model".into()),
            groups: rows.iter().map(|r| (r.group[0].clone(), r.totals.clone())).collect(),
            timeline: Some(Timeline { bucket: Bucket::Hour, points, untimed_requests: 0 }),
            models: rows
                .iter()
                .map(|r| ModelUsage {
                    model: r.group[0].clone(),
                    provider: None,
                    totals: r.totals.clone(),
                    cache_read_saved: r.totals.cost.map(|_| d("0.01")),
                    prices: Default::default(),
                })
                .collect(),
        }
    }

    pub fn render(report: &Report, format: super::Format) -> String {
        let mut out = Vec::new();
        super::write(report, format, super::Style::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exact_cost;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn thousands() {
        assert_eq!(group_int(0), "0");
        assert_eq!(group_int(999), "999");
        assert_eq!(group_int(1000), "1,000");
        assert_eq!(group_int(15011), "15,011");
        assert_eq!(group_int(1_234_567), "1,234,567");
        assert_eq!(group_int(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn display_rounding() {
        assert_eq!(display_cost(d("12.3456")), "12.35");
        assert_eq!(display_cost(d("1")), "1.00");
        assert_eq!(display_cost(d("1234.565")), "1,234.57");
        assert_eq!(display_cost(d("0.0012345")), "0.0012");
        assert_eq!(display_cost(d("0.00015")), "0.0002");
        assert_eq!(display_cost(d("0.99")), "0.9900");
        assert_eq!(display_cost(d("0")), "0.0000");
        assert_eq!(display_cost(d("0.00001")), "<0.0001");
        assert_eq!(display_cost(d("-2.5")), "-2.50");
    }

    #[test]
    fn exact() {
        assert_eq!(exact_cost(d("0.02121520")), "0.0212152");
        assert_eq!(exact_cost(d("0.000")), "0");
        assert_eq!(exact_cost(d("-0.000")), "0");
        assert_eq!(exact_cost(d("1500.00")), "1500");
    }

    #[test]
    fn cost_cell_never_zero_for_unpriced() {
        let t = Totals { requests: 2, unpriced_requests: 2, ..Default::default() };
        assert_eq!(display_cost_cell(&t), "unpriced");
        let t = Totals { requests: 2, cost: Some(d("3.1")), unpriced_requests: 1, ..Default::default() };
        assert_eq!(display_cost_cell(&t), "3.10 *");
    }

    #[test]
    fn printable_escapes_controls() {
        assert_eq!(printable("a\nb\x1b[31m"), "a\\nb\\u{1b}[31m");
        assert_eq!(printable("plain ünïcode"), "plain ünïcode");
    }
}

#[cfg(test)]
mod cost_mode_tests {
    use super::fixture::{render, report, CostMode};
    use super::Format;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    /// The first row stated $12.40 of its own against $12.3456 computed.
    fn with_reported(mode: CostMode) -> crate::allocate::Report {
        let mut r = report();
        r.rows[0].totals.reported_cost = Some(Decimal::from_str("12.40").unwrap());
        r.rows[0].totals.computed_where_reported = r.rows[0].totals.cost;
        r.cost_mode = mode;
        r
    }

    #[test]
    fn both_shows_computed_reported_and_difference_never_mixed() {
        let csv = render(&with_reported(CostMode::Both), Format::Csv);
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().ends_with(",cost,reported_cost,cost_difference,unpriced_requests"));
        assert!(lines.next().unwrap().ends_with(",12.3456,12.4,0.0544,0"), "{csv}");
        let json: serde_json::Value =
            serde_json::from_str(&render(&with_reported(CostMode::Both), Format::Json)).unwrap();
        let row = &json["rows"][0];
        assert_eq!(
            (&row["cost"], &row["reported_cost"], &row["cost_difference"]),
            (&"12.3456".into(), &"12.4".into(), &"0.0544".into())
        );
        assert_eq!(json["rows"][1]["reported_cost"], serde_json::Value::Null);
        let table = render(&with_reported(CostMode::Both), Format::Table);
        assert!(table.contains("reported (USD)") && table.contains("difference"), "{table}");
    }

    #[test]
    fn reported_alone_replaces_the_computed_cost() {
        let json: serde_json::Value =
            serde_json::from_str(&render(&with_reported(CostMode::Reported), Format::Json)).unwrap();
        assert!(json["rows"][0].get("cost").is_none());
        assert_eq!(json["rows"][0]["reported_cost"], "12.4");
        let csv = render(&with_reported(CostMode::Reported), Format::Csv);
        assert!(csv.lines().next().unwrap().ends_with(",reasoning,reported_cost"), "{csv}");
    }
}

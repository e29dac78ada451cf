//! HTML: one self-contained page for people who did not run the tool. Inline CSS and SVG,
//! a small inline script that only sorts the table (the page reads the same without it),
//! and a Content-Security-Policy that lets the page fetch nothing. Light and dark (the
//! reader's `prefers-color-scheme`), and A4/Letter print.
//!
//! Everything shown comes from the `Report` (rows, total, unpriced, overview) that every
//! other format renders; money is formatted from its decimals, and floats only place
//! pixels. The table's columns are the human formats' (`human_columns`), so a column
//! added to the report shows here too.

use super::{
    display_cost, group_int, human_cells, human_columns, partial_footnote, shown_cost as shown, ChartSeries,
    TOTAL_LABEL,
};
use crate::allocate::{CostMode, ModelUsage, Report, Timeline, NONE};
use crate::model::exact_cost;
use crate::model::TokenBuckets;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use rust_decimal::{Decimal, RoundingStrategy};
use std::io::Write;

/// Groups drawn as bars before the rest are summed in one line.
const TOP_BARS: usize = 15;
/// Series colours (Tableau 10, readable on light and dark backgrounds); the last is `other`.
const PALETTE: [&str; 8] = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"];
const OTHER_COLOUR: &str = "#a0a0a0";
/// Token colours: input, cache read, cache write, output, of which reasoning.
const TOKEN_COLOURS: [(&str, &str); 5] = [
    ("input", "#4e79a7"),
    ("cache read", "#76b7b2"),
    ("cache write", "#edc948"),
    ("output", "#f28e2b"),
    ("of which reasoning", "#e15759"),
];

pub(super) fn write(report: &Report, charts: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    out.write_all(page(report, charts).into_string().as_bytes())?;
    Ok(())
}

fn money(d: Option<Decimal>) -> String {
    d.map_or_else(|| "unpriced".to_string(), |d| format!("${}", display_cost(d)))
}

/// `part` of `whole` in percent, one decimal: exact arithmetic, display rounding.
fn share(part: Option<Decimal>, whole: Option<Decimal>) -> String {
    match (part, whole) {
        (Some(p), Some(w)) if !w.is_zero() => {
            let pct = (p * Decimal::ONE_HUNDRED / w).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
            format!("{pct:.1}%")
        }
        _ => "–".to_string(),
    }
}

/// A decimal as a float, for pixel positions only.
fn px(d: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    d.to_f64().unwrap_or(0.0)
}

fn all_tokens(t: &TokenBuckets) -> u64 {
    t.total_input().saturating_add(t.output)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group_int(n), if n == 1 { one } else { many })
}

/// A time in the report's time zone (the one its time buckets are in): date and minute.
fn time_text(ns: u64, zone: &str) -> (String, String) {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(t) => {
            let local = t.to_zoned(tz);
            (local.strftime("%Y-%m-%d").to_string(), local.strftime("%H:%M").to_string())
        }
        Err(_) => ("?".into(), "?".into()),
    }
}

/// `2026-11-23 00:09 → 05:14 UTC` within a day, else both dates.
fn period_text(report: &Report, first: u64, last: u64) -> String {
    let zone = &report.overview.time_zone;
    let ((day_a, time_a), (day_b, time_b)) = (time_text(first, zone), time_text(last, zone));
    if day_a == day_b {
        format!("{day_a} {time_a} → {time_b} {zone}")
    } else {
        format!("{day_a} {time_a} → {day_b} {time_b} {zone}")
    }
}

/// A period's length, coarsely: `42 min`, `5 h 05 min`, `3.5 days`.
fn duration_text(ns: u64) -> String {
    let minutes = ns / 60_000_000_000;
    match minutes {
        0..60 => format!("{minutes} min"),
        60..2880 => format!("{} h {:02} min", minutes / 60, minutes % 60),
        _ => format!("{:.1} days", minutes as f64 / 1440.0),
    }
}

fn dimension_label(report: &Report) -> String {
    report.overview.dimension.clone().unwrap_or_else(|| "all calls".into())
}

fn page(report: &Report, charts: bool) -> Markup {
    let mode = report.cost_mode;
    let total_cost = shown(&report.total, mode);
    let title = format!("LLM cost: {} over {}", money(total_cost), plural(report.total.requests, "call", "calls"));
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                // Nothing may be fetched: no script, style, font or image from anywhere.
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
                meta name="generator" content=(concat!("otelcost ", env!("CARGO_PKG_VERSION")));
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { "LLM cost report" }
                    p.sub {
                        @if !report.group_by.is_empty() { "Grouped by " strong { (report.group_by.join(", ")) } " · " }
                        @if let Some((first, last)) = report.overview.period { (period_text(report, first, last)) " · " }
                        "costs in USD, estimated from OpenTelemetry and "
                        @if let Some(date) = &report.prices_date { "the prices of " strong.prices-date { (date) } } @else { "a dated price catalog" }
                        ", not an invoice"
                    }
                }
                (headline(report))
                (unpriced_banner(report))
                @if report.rows.is_empty() {
                    p.banner.empty { "No LLM calls were found in this telemetry." }
                }
                @if charts && !report.rows.is_empty() {
                    (by_dimension(report))
                    @if let Some(timeline) = &report.overview.timeline { (timeline_chart(report, timeline)) }
                    (breakdown(report))
                }
                (full_table(report))
                (models(report, charts))
                (prices(report))
                footer {
                    "Made by otelcost " (env!("CARGO_PKG_VERSION")) " from the OpenTelemetry the software emitted. "
                    "Each call counted once, priced at the price in force at its time; amounts are rounded for "
                    "display (cents from $1, else 4 decimals): the JSON and CSV reports carry the exact decimals."
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn headline(report: &Report) -> Markup {
    let t = &report.total;
    let mode = report.cost_mode;
    let cost = shown(t, mode);
    let unpriced = t.unpriced_requests;
    let tok = &t.tokens;
    html! {
        section.headline {
            div.card.main {
                div.label { @if mode == CostMode::Reported { "Total stated by the emitters" } @else { "Total cost" } }
                div.value #total-cost data-exact=(cost.map(exact_cost).unwrap_or_default()) { (money(cost)) }
                div.detail {
                    "exact: " (cost.map(exact_cost).unwrap_or_else(|| "none priced".into()))
                    @if unpriced > 0 { " · " strong.bad { "excludes " (plural(unpriced, "unpriced call", "unpriced calls")) } }
                }
            }
            @if mode == CostMode::Both {
                div.card {
                    div.label { "Stated by the emitters" }
                    div.value #reported-cost data-exact=(t.reported_cost.map(exact_cost).unwrap_or_default()) {
                        @if let Some(r) = t.reported_cost { "$" (display_cost(r)) } @else { "none" }
                    }
                    div.detail {
                        @if let Some(d) = super::cost_difference(t) { "difference " (display_cost(d)) " over the calls that stated one" }
                        @else { "no call stated a cost" }
                    }
                }
            }
            div.card {
                div.label { "Calls" }
                div.value #total-calls data-exact=(t.requests) { (group_int(t.requests)) }
                div.detail { "LLM calls, each counted once" }
            }
            div.card {
                div.label { "Tokens" }
                div.value #total-tokens data-exact=(all_tokens(tok)) { (group_int(all_tokens(tok))) }
                div.detail {
                    (group_int(tok.input)) " input · " (group_int(tok.cache_read)) " cache read · "
                    (group_int(tok.cache_write())) " cache write · " (group_int(tok.output)) " output"
                }
            }
            div.card {
                div.label { "Period" }
                @match report.overview.period {
                    Some((first, last)) => {
                        div.value.mid { (duration_text(last - first)) }
                        div.detail { (period_text(report, first, last)) }
                    }
                    None => { div.value.small { (if t.requests == 0 { "no calls" } else { "no timestamps" }) } }
                }
                @if let Some(t) = &report.overview.timeline {
                    @if t.untimed_requests > 0 { div.detail.bad { (plural(t.untimed_requests, "call has", "calls have")) " no timestamp" } }
                }
            }
            div.card.(if unpriced > 0 { "alert" } else { "ok" }) #unpriced-calls data-exact=(unpriced) {
                div.label { "Unpriced calls" }
                div.value { (group_int(unpriced)) }
                div.detail {
                    @if unpriced > 0 { "no price found: tokens counted, cost NOT in the total" }
                    @else { "every call was priced" }
                }
            }
        }
    }
}

fn unpriced_banner(report: &Report) -> Markup {
    if report.unpriced.is_empty() {
        return html! {};
    }
    html! {
        section.banner role="alert" {
            strong { (plural(report.total.unpriced_requests, "call", "calls")) " could not be priced." }
            " Their tokens are counted; their cost is missing from every total on this page. Models without a price:"
            ul {
                @for u in &report.unpriced {
                    li {
                        code { (u.model) }
                        @if let Some(p) = &u.provider { " (" (p) ")" }
                        ": " (plural(u.requests, "call", "calls")) ", " (group_int(all_tokens(&u.tokens))) " tokens"
                    }
                }
            }
            "Add a price with " code { "--prices FILE" } " (see " code { "otelcost prices match MODEL" } ")."
        }
    }
}

fn colour(series: &ChartSeries, i: usize) -> &'static str {
    if series.is_other(i) {
        OTHER_COLOUR
    } else {
        PALETTE[i % PALETTE.len()]
    }
}

/// A round step (1, 2 or 5 × 10^k) that divides `max` into at most `ticks` intervals.
fn nice_step(max: Decimal, ticks: u32) -> Decimal {
    let target = max / Decimal::from(ticks.max(1));
    let mut power = Decimal::new(1, 8);
    for _ in 0..40 {
        for m in [1u32, 2, 5] {
            let step = power * Decimal::from(m);
            if step >= target {
                return step;
            }
        }
        match power.checked_mul(Decimal::TEN) {
            Some(p) => power = p,
            None => break,
        }
    }
    target.max(Decimal::ONE)
}

fn tick_label(d: Decimal) -> String {
    let d = d.normalize();
    match u64::try_from(d) {
        Ok(whole) if d.fract().is_zero() => format!("${}", group_int(whole)),
        _ => format!("${d}"),
    }
}

fn timeline_chart(report: &Report, timeline: &Timeline) -> Markup {
    let mode = report.cost_mode;
    let buckets = timeline.buckets();
    let series = ChartSeries::new(report);
    // stacks[bucket][series]: exact sums per bar segment.
    let position: std::collections::HashMap<&str, usize> =
        buckets.iter().enumerate().map(|(i, b)| (b.as_str(), i)).collect();
    let mut stacks = vec![vec![Decimal::ZERO; series.names.len()]; buckets.len()];
    let mut calls = vec![0u64; buckets.len()];
    for ((label, group), totals) in &timeline.points {
        let Some(&b) = position.get(label.as_str()) else { continue };
        if let Some(s) = series.of(group) {
            stacks[b][s] += shown(totals, mode).unwrap_or_default();
        }
        calls[b] += totals.requests;
    }
    let bar_totals: Vec<Decimal> = stacks.iter().map(|s| s.iter().copied().sum()).collect();
    let max = bar_totals.iter().copied().max().unwrap_or_default();
    let step = nice_step(max, 5);
    let intervals = if max.is_zero() { 1 } else { ((max / step).ceil()).try_into().unwrap_or(5u32).max(1) };
    let top = step * Decimal::from(intervals);
    let (w, h, left, right, top_pad, bottom) = (960.0_f64, 300.0_f64, 64.0, 12.0, 12.0, 46.0);
    let plot_w = w - left - right;
    let plot_h = h - top_pad - bottom;
    let slot = plot_w / buckets.len().max(1) as f64;
    let bar_w = (slot * 0.72).clamp(1.0, 90.0);
    let y = |d: Decimal| top_pad + plot_h - px(d) / px(top).max(f64::MIN_POSITIVE) * plot_h;
    let label_every = buckets.len().div_ceil(12).max(1);
    let by = dimension_label(report);
    let what = if mode == CostMode::Reported { "Stated cost" } else { "Cost" };
    html! {
        section.chart-block {
            h2 { (what) " over time, by " (by) " (per " (timeline.bucket.name()) ")" }
            svg.chart #chart-timeline role="img" viewBox=(format!("0 0 {w} {h}")) preserveAspectRatio="xMidYMid meet"
                aria-label=(format!("{what} per {} by {by}", timeline.bucket.name())) {
                @for i in 0..=intervals {
                    @let v = step * Decimal::from(i);
                    line.grid x1=(left) x2=(w - right) y1=(fmt(y(v))) y2=(fmt(y(v))) {}
                    text.axis x=(left - 6.0) y=(fmt(y(v) + 4.0)) text-anchor="end" { (tick_label(v)) }
                }
                @for (b, label) in buckets.iter().enumerate() {
                    g {
                        title { (label) ": " (money(Some(bar_totals[b]))) ", " (plural(calls[b], "call", "calls")) }
                        @for (s, value, y1, height) in segments(&stacks[b], &y) {
                            rect.mark x=(fmt(left + slot * b as f64 + (slot - bar_w) / 2.0)) y=(fmt(y1)) width=(fmt(bar_w))
                                height=(fmt(height)) fill=(colour(&series, s)) {
                                title { (label) " · " (series.names[s]) ": " (money(Some(value))) }
                            }
                        }
                    }
                    @if b % label_every == 0 {
                        text.axis x=(fmt(left + slot * b as f64 + slot / 2.0)) y=(fmt(h - bottom + 16.0)) text-anchor="middle" {
                            (short_label(label, b == 0, timeline))
                        }
                    }
                }
                line.axisline x1=(left) x2=(w - right) y1=(fmt(y(Decimal::ZERO))) y2=(fmt(y(Decimal::ZERO))) {}
            }
            (legend(&series))
        }
    }
}

/// The stacked segments of one bar: series, value, top y and height (at least half a
/// pixel, so a tiny cost still shows).
fn segments(stack: &[Decimal], y: &dyn Fn(Decimal) -> f64) -> Vec<(usize, Decimal, f64, f64)> {
    let mut base = Decimal::ZERO;
    let mut out = Vec::new();
    for (s, value) in stack.iter().enumerate().filter(|(_, v)| !v.is_zero()) {
        let (y0, y1) = (y(base), y(base + *value));
        out.push((s, *value, y1, (y0 - y1).max(0.5)));
        base += *value;
    }
    out
}

/// An hour label shows its day on the first bar and where the day changes.
fn short_label(label: &str, first: bool, timeline: &Timeline) -> String {
    match timeline.bucket {
        crate::allocate::Bucket::Hour => match label.split_once(' ') {
            Some((day, hour)) if first || hour == "00:00" => format!("{} {hour}", day.get(5..).unwrap_or(day)),
            Some((_, hour)) => hour.to_string(),
            None => label.to_string(),
        },
        _ => label.to_string(),
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

fn legend(series: &ChartSeries) -> Markup {
    html! {
        ul.legend {
            @for (i, name) in series.names.iter().enumerate() {
                li {
                    span.swatch style=(format!("background:{}", colour(series, i))) {}
                    (name) " " span.muted { (money(Some(series.costs[i]))) }
                }
            }
        }
    }
}

/// One bar per group: its name, a bar scaled to the largest, cost, share of the total, calls.
/// With `series`, each bar takes its group's colour on the timeline.
fn bar_rows<'a>(
    report: &Report,
    id: &str,
    series: Option<&ChartSeries>,
    rows: impl Iterator<Item = (String, &'a crate::allocate::Totals)> + Clone,
) -> Markup {
    let mode = report.cost_mode;
    let total = shown(&report.total, mode);
    let max = rows.clone().filter_map(|(_, t)| shown(t, mode)).max().unwrap_or_default();
    html! {
        div.bars id=(id) {
            div.bar-row.head { span { } span { } span.num { "cost" } span.num { "share" } span.num { "calls" } }
            @for (name, t) in rows {
                @let cost = shown(t, mode);
                @let width = if max <= Decimal::ZERO { 0.0 } else { px(cost.unwrap_or_default().max(Decimal::ZERO)) / px(max) * 100.0 };
                div.bar-row {
                    span.name title=(name) { (name) }
                    @let fill = series.and_then(|s| s.of(&name).map(|i| format!(";background:{}", colour(s, i))));
                    span.track { span.bar style=(format!("width:{width:.2}%{}", fill.unwrap_or_default())) {} }
                    span.num.(if cost.is_none() { "bad" } else { "" }) { (money(cost)) @if t.unpriced_requests > 0 && cost.is_some() { " *" } }
                    span.num { (share(cost, total)) }
                    span.num { (group_int(t.requests)) }
                }
            }
        }
    }
}

/// The cost by the split dimension, when the rows split it further (`--by team,model`).
fn by_dimension(report: &Report) -> Markup {
    let Some(dimension) = &report.overview.dimension else { return html! {} };
    if report.group_by.len() < 2 || report.overview.groups.is_empty() {
        return html! {};
    }
    let what = if report.cost_mode == CostMode::Reported { "Stated cost" } else { "Cost" };
    html! {
        section {
            h2 { (what) " by " (dimension) }
            (bar_rows(report, "chart-dimension", Some(&ChartSeries::new(report)), report.overview.groups.iter().map(|(g, t)| (g.clone(), t))))
        }
    }
}

fn breakdown(report: &Report) -> Markup {
    let rest = report.rows.len().saturating_sub(TOP_BARS);
    let what = if report.cost_mode == CostMode::Reported { "stated cost" } else { "cost" };
    let by = if report.group_by.is_empty() { "total".to_string() } else { report.group_by.join(" · ") };
    html! {
        section {
            h2 { "Where the money went: " (what) " by " (by) }
            (bar_rows(report, "chart-groups", None, report.rows.iter().take(TOP_BARS).map(|r| (r.group.join(" · "), &r.totals))))
            @if rest > 0 { p.muted { "… and " (rest) " more groups in the table below." } }
        }
    }
}

fn full_table(report: &Report) -> Markup {
    let columns = human_columns(report);
    let dims = report.group_by.len().max(1);
    html! {
        section {
            h2 { "All groups" }
            p.muted.noprint { "Click a column heading to sort." }
            div.scroll {
                table.data #report-table {
                    thead {
                        tr {
                            @if report.group_by.is_empty() { th { } }
                            @for d in &report.group_by { th scope="col" { (d) } }
                            @for c in &columns { th.num scope="col" { (c) } }
                        }
                    }
                    tbody {
                        @for row in &report.rows {
                            tr {
                                @for i in 0..dims { td { (row.group.get(i).map(String::as_str).unwrap_or("")) } }
                                @for cell in human_cells(&row.totals, report) { td.num { (cell) } }
                            }
                        }
                    }
                    tfoot {
                        tr {
                            th scope="row" { (TOTAL_LABEL) }
                            @for _ in 1..dims { td { } }
                            @for cell in human_cells(&report.total, report) { td.num { (cell) } }
                        }
                    }
                }
            }
            @if let Some(note) = partial_footnote(report) { p.note { (note) } }
        }
    }
}

fn token_mix_bar(t: &TokenBuckets) -> Markup {
    let total = all_tokens(t).max(1) as f64;
    let parts = [t.input, t.cache_read, t.cache_write(), t.output.saturating_sub(t.reasoning), t.reasoning];
    let colours = [TOKEN_COLOURS[0].1, TOKEN_COLOURS[1].1, TOKEN_COLOURS[2].1, TOKEN_COLOURS[3].1, TOKEN_COLOURS[4].1];
    html! {
        span.mix {
            @for (n, c) in parts.iter().zip(colours) {
                @if *n > 0 {
                    span style=(format!("width:{:.2}%;background:{c}", *n as f64 / total * 100.0)) title=(group_int(*n)) {}
                }
            }
        }
    }
}

fn models(report: &Report, charts: bool) -> Markup {
    let mode = report.cost_mode;
    let ms: &[ModelUsage] = &report.overview.models;
    if ms.is_empty() {
        return html! {};
    }
    let saved: Option<Decimal> = ms.iter().filter_map(|m| m.cache_read_saved).reduce(|a, b| a + b);
    let cache_read: u64 = ms.iter().map(|m| m.totals.tokens.cache_read).sum();
    html! {
        section {
            h2 { "Tokens per model" }
            @if let Some(saved) = saved.filter(|_| cache_read > 0) {
                p.lead #cache-saved data-exact=(exact_cost(saved)) {
                    "Cache reads saved " strong { "$" (display_cost(saved)) }
                    " compared with paying the input rate for those " (group_int(cache_read)) " tokens."
                }
            }
            @if charts {
                ul.legend {
                    @for (name, c) in TOKEN_COLOURS { li { span.swatch style=(format!("background:{c}")) {} (name) } }
                }
            }
            div.scroll {
                table.data #models-table {
                    thead {
                        tr {
                            th scope="col" { "model" } th.num scope="col" { "calls" }
                            @if charts { th scope="col" { "mix" } }
                            th.num scope="col" { "input" } th.num scope="col" { "cache read" } th.num scope="col" { "cache write" }
                            th.num scope="col" { "output" } th.num scope="col" { "reasoning" }
                            @if mode != CostMode::Reported { th.num scope="col" { "cost (USD)" } th.num scope="col" title="what the cache reads would have cost at the input rate, minus what they cost" { "cache saved" } }
                            @if mode != CostMode::Computed { th.num scope="col" { "stated (USD)" } }
                        }
                    }
                    tbody {
                        @for m in ms {
                            @let t = &m.totals;
                            tr {
                                td { code { (m.model) } @if let Some(p) = &m.provider { br; span.muted { (p) } } }
                                td.num { (group_int(t.requests)) }
                                @if charts { td.mixcell { (token_mix_bar(&t.tokens)) } }
                                td.num { (group_int(t.tokens.input)) }
                                td.num { (group_int(t.tokens.cache_read)) }
                                td.num { (group_int(t.tokens.cache_write())) }
                                td.num { (group_int(t.tokens.output)) }
                                td.num { (group_int(t.tokens.reasoning)) }
                                @if mode != CostMode::Reported {
                                    td.num.(if t.cost.is_none() { "bad" } else { "" }) { (super::display_cost_cell(t)) }
                                    td.num { (m.cache_read_saved.filter(|_| t.tokens.cache_read > 0).map(display_cost).unwrap_or_else(|| "–".into())) }
                                }
                                @if mode != CostMode::Computed { td.num { (t.reported_cost.map(display_cost).unwrap_or_else(|| "-".into())) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn prices(report: &Report) -> Markup {
    let ms = &report.overview.models;
    if ms.is_empty() && report.prices_used.is_none() {
        return html! {};
    }
    html! {
        section {
            h2 { "Prices applied" }
            div.scroll {
                table.data #prices-table {
                    thead { tr { th { "model" } th { "provider" } th { "price entry" } th { "source" } th { "effective from" } } }
                    tbody {
                        @for m in ms {
                            @if m.prices.is_empty() {
                                tr.bad {
                                    td { code { (m.model) } } td { (m.provider.as_deref().unwrap_or(NONE)) }
                                    td colspan="3" { strong { "no price found" } ": tokens counted, cost not" }
                                }
                            }
                            @for p in &m.prices {
                                tr {
                                    td { code { (m.model) } } td { (m.provider.as_deref().unwrap_or(NONE)) }
                                    td { code { (p.entry) } } td { (p.source) }
                                    td { (p.effective_from.as_deref().unwrap_or("undated base price")) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(lines) = &report.prices_used {
                h3 { (super::PRICES_HEADING) }
                ul.explain { @for l in lines { li { code { (l) } } } }
            }
        }
    }
}

const CSS: &str = r#"
:root{--bg:#ffffff;--fg:#1d2330;--muted:#5f6b7a;--line:#d9dee5;--card:#f5f7fa;--accent:#4e79a7;--bad:#c0392b;--badbg:#fdecea;--ok:#2e7d32;--okbg:#e8f5e9;--grid:#e6e9ee}
@media (prefers-color-scheme: dark){:root{--bg:#14171c;--fg:#e4e8ee;--muted:#9aa5b4;--line:#2f3641;--card:#1d222a;--accent:#7aa6d6;--bad:#ff8a80;--badbg:#3b1f1f;--ok:#81c784;--okbg:#1d3320;--grid:#2a3039}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:24px;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px}
.sub,.muted{color:var(--muted)}
.sub{margin:0 0 18px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.headline{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 130px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card.main{flex:2 1 250px;border-left:5px solid var(--accent)}
.card .label{color:var(--muted);font-size:13px;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums}
.card.main .value{font-size:36px}
.card .value.small{font-size:15px;font-weight:600}
.card .value.mid{font-size:22px;white-space:nowrap}
.card .detail{font-size:12.5px;color:var(--muted)}
.card.alert{background:var(--badbg);border-color:var(--bad)}
.card.alert .value,.card.alert .label,.bad{color:var(--bad)}
.card.ok .value{color:var(--ok)}
.banner{margin:16px 0;padding:12px 16px;border:2px solid var(--bad);background:var(--badbg);border-radius:8px}
.banner ul{margin:6px 0}
.banner.empty{border-color:var(--line);background:var(--card)}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:var(--grid);stroke-width:1}
svg .axisline{stroke:var(--muted);stroke-width:1}
svg .axis{fill:var(--muted);font-size:11px;font-family:inherit}
.legend{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;gap:6px 18px;font-size:13px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.bars{display:grid;gap:3px}
.bar-row{display:grid;grid-template-columns:minmax(140px,2.2fr) 3fr 90px 64px 56px;gap:10px;align-items:center;font-size:13.5px}
.bar-row.head{color:var(--muted);font-size:12px;text-transform:uppercase}
.bar-row .name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.track{background:var(--grid);height:14px;border-radius:3px;overflow:hidden}
.bar{display:block;height:100%;background:var(--accent);min-width:1px}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow-x:auto}
table.data{border-collapse:collapse;width:100%;font-size:12.5px}
table.data td code,table.data tbody td:not(.num){white-space:nowrap}
table.data th,table.data td{padding:4px 6px;border-bottom:1px solid var(--line);text-align:left}
table.data th.num,table.data td.num{text-align:right}
table.data thead th{position:sticky;top:0;background:var(--bg);font-weight:600;color:var(--muted);white-space:nowrap}
table.data tfoot th,table.data tfoot td{font-weight:700;border-top:2px solid var(--fg)}
table.data tbody tr:hover{background:var(--card)}
tr.bad td{color:var(--bad)}
.js table.sortable thead th{cursor:pointer}
.js table.sortable thead th[aria-sort=ascending]::after{content:" ▲"}
.js table.sortable thead th[aria-sort=descending]::after{content:" ▼"}
.mix{display:flex;width:100px;height:12px;border-radius:3px;overflow:hidden;background:var(--grid)}
.mix span{display:block;height:100%}
.lead{font-size:15px}
.note{font-size:13px;color:var(--muted)}
footer{margin-top:36px;padding-top:10px;border-top:1px solid var(--line);font-size:12px;color:var(--muted)}
@media print{
 @page{size:auto;margin:12mm}
 body{max-width:none;padding:0;font-size:11px;background:#fff;color:#000}
 :root{--bg:#fff;--fg:#000;--muted:#444;--line:#ccc;--card:#f7f7f7;--grid:#e5e5e5}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .chart-block,.bars,.card,svg,tr{break-inside:avoid}
 h2{break-after:avoid}
 table.data thead th{position:static}
 .noprint{display:none}
 .scroll{overflow:visible}
}
"#;

/// Sorts the table by a clicked heading; numbers by value (`1,234.50 *` → 1234.5,
/// `<0.0001` just above zero, `unpriced` and `-` below everything).
const SCRIPT: &str = r#"
(function(){
document.documentElement.classList.add("js");
function key(t){t=t.trim();if(t==="unpriced"||t==="-"||t==="–")return -Infinity;if(t.charAt(0)==="<")return 0.00005;
var n=parseFloat(t.replace(/[$,*\s]/g,""));return isNaN(n)?null:n;}
document.querySelectorAll("table.data").forEach(function(table){
 table.classList.add("sortable");
 var body=table.tBodies[0];if(!body)return;
 table.querySelectorAll("thead th").forEach(function(th,col){
  th.addEventListener("click",function(){
   var desc=th.getAttribute("aria-sort")!=="descending";
   table.querySelectorAll("thead th").forEach(function(o){o.removeAttribute("aria-sort");});
   th.setAttribute("aria-sort",desc?"descending":"ascending");
   var rows=Array.prototype.slice.call(body.rows);
   rows.sort(function(a,b){
    var x=a.cells[col]?a.cells[col].textContent:"",y=b.cells[col]?b.cells[col].textContent:"";
    var kx=key(x),ky=key(y),c;
    if(kx!==null&&ky!==null){c=kx<ky?-1:kx>ky?1:0;}else{c=x.localeCompare(y);}
    return desc?-c:c;
   });
   rows.forEach(function(r){body.appendChild(r);});
  });
 });
});
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{fixture, Format};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(d("0.2286"), 5), d("0.05"));
        assert_eq!(nice_step(d("12.3"), 5), d("5"));
        assert_eq!(nice_step(d("1000"), 5), d("200"));
        assert_eq!(tick_label(d("0.05")), "$0.05");
        assert_eq!(tick_label(d("1500")), "$1,500");
        assert_eq!(tick_label(d("2.5")), "$2.5");
    }

    #[test]
    fn shares_are_exact_then_rounded() {
        assert_eq!(share(Some(d("1")), Some(d("3"))), "33.3%");
        assert_eq!(share(Some(d("1")), Some(d("0"))), "–");
        assert_eq!(share(None, Some(d("3"))), "–");
    }

    #[test]
    fn group_values_are_text_never_markup() {
        let mut report = fixture::report();
        report.rows[0].group[1] = "<script>alert(\"x\")</script> & 'ü'".into();
        let page = fixture::render(&report, Format::Html);
        assert!(!page.contains("<script>alert"), "unescaped group value");
        assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'ü'"));
        // The only script is the page's own.
        assert_eq!(page.matches("<script").count(), 1);
    }

    #[test]
    fn unpriced_is_loud_and_never_zero() {
        let page = fixture::render(&fixture::report(), Format::Html);
        assert!(page.contains("role=\"alert\""));
        assert!(page.contains("could not be priced"));
        assert!(page.contains("mystery-model"));
        assert!(page.contains(r#"id="unpriced-calls" data-exact="3""#), "{page}");
        assert!(page.contains(">unpriced<"));
    }
}

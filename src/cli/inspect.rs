//! `otelcost inspect`: what is in a dump and what otelcost made of it — signals, emitters,
//! models, what was counted and what was not, and why. How a user comes to trust a
//! number, and how a bug report gets written.

use super::{error, exit, write_failure, Failure};
use crate::model::{Emitter, Signal};
use crate::pipeline;
use crate::price::{self, Catalog};
use crate::reconcile::{self, Match, Reason};
use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// OTLP files or directories (read recursively); `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = InspectFormat::Table)]
    pub format: InspectFormat,

    /// Worker threads [default: one per core].
    #[arg(long, default_value_t = 0, hide_short_help = true)]
    pub threads: usize,

    /// Read a vocabulary no emitter module reads, as `report --usage-map` does. Repeatable.
    #[arg(long = "usage-map", value_name = "FILE")]
    pub usage_maps: Vec<PathBuf>,

    #[command(flatten)]
    pub memory: super::report::MemoryOptions,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InspectFormat {
    Table,
    Json,
}

#[derive(Serialize)]
struct Inspection {
    files: u64,
    bytes: u64,
    skipped_not_otlp: Vec<String>,
    problems: Vec<ProblemOut>,
    /// Problems beyond the first ones listed, only counted.
    #[serde(skip_serializing_if = "none_unlisted")]
    problems_not_listed: u64,
    requests: u64,
    records: BTreeMap<Signal, u64>,
    scopes: Vec<String>,
    metric_names: Vec<String>,
    /// Records each emitter recognised as its own (usage or not).
    emitters: BTreeMap<&'static str, u64>,
    /// Per-call records that carry usage, and metric points that do.
    usage_records: u64,
    usage_metric_points: u64,
    counted: Counted,
    not_counted: NotCounted,
    examples: Vec<ExampleOut>,
    models: Vec<ModelOut>,
    /// Usage-like data on records no emitter module (or usage map) read.
    unread_usage: Vec<UnreadOut>,
    /// Records with usage-like data under keys beyond those listed.
    #[serde(skip_serializing_if = "none_unlisted")]
    unread_usage_not_listed: u64,
}

#[derive(Serialize)]
struct UnreadOut {
    key: String,
    signal: Signal,
    records: u64,
    scope: String,
    service: Option<String>,
    example: String,
    /// Usage names seen inside its values (JSON, SDK reprs).
    holding: Vec<&'static str>,
    /// All of it in one line, for the text output.
    #[serde(skip)]
    line: String,
}

#[derive(Serialize)]
struct ProblemOut {
    location: String,
    message: String,
}

#[derive(Serialize)]
struct Counted {
    /// Calls counted from per-call records (spans, events).
    calls: u64,
    /// Usage totals counted from metrics (sessions with no per-call record).
    metric_totals: u64,
    /// Calls counted from usage their instrumentation may have estimated itself (no other
    /// layer's record of them states the API's).
    #[serde(skip_serializing_if = "none_unlisted")]
    estimated: u64,
}

#[derive(Serialize)]
struct NotCounted {
    duplicates: u64,
    /// The duplicates by what matched them to the record counted.
    duplicates_by_match: BTreeMap<Match, u64>,
    aggregate_parents: u64,
    metrics_covered_by_calls: u64,
    repeated_metric_points: u64,
    /// Records that carry no token usage (other spans, events, gauges, durations…).
    no_usage: u64,
}

#[derive(Serialize)]
struct ExampleOut {
    reason: Reason,
    /// For a duplicate, what matched it to the record counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    matched: Option<Match>,
    why: &'static str,
    record: String,
    counted_instead: Option<String>,
}

#[derive(Serialize)]
struct ModelOut {
    model: String,
    provider: Option<String>,
    emitters: Vec<&'static str>,
    requests: u64,
    /// The catalog entry that prices it, or null when it is unpriced.
    price: Option<String>,
}

fn none_unlisted(n: &u64) -> bool {
    *n == 0
}

pub fn run(args: InspectArgs) -> Result<i32, Failure> {
    let catalog = Catalog::embedded().map_err(|e| error(format!("the bundled price catalog failed to load: {e:#}")))?;
    crate::temp::remove_on_interrupt();
    let usage_maps =
        crate::extract::usage_map::load(&args.usage_maps).map_err(|e| error(format!("--usage-map: {e:#}")))?.into();
    let config = crate::extract::Config { dim_keys: Vec::new(), usage_maps };
    let collected = pipeline::collect(&args.paths, &config, args.threads, args.memory.store());
    if collected.read_nothing() {
        for d in pipeline::problem_diagnostics(&collected.problems) {
            eprintln!("{d}");
        }
        return Err(error("no input could be read: nothing to inspect".into()));
    }
    let unreadable = collected.stats.unreadable.len() as u64;
    let tally = collected.store.tally.clone();
    let usage_records = collected.store.usage_records;
    let usage_metric_points = collected.store.usage_points;
    let reconciled = reconcile::reconcile(collected.store).map_err(error)?;
    let d = &reconciled.decisions;
    let estimated = d.estimates;
    let not_counted = NotCounted {
        duplicates: d.duplicates,
        duplicates_by_match: Match::ALL.into_iter().zip(d.matches).filter(|(_, n)| *n > 0).collect(),
        aggregate_parents: d.aggregates,
        metrics_covered_by_calls: d.metrics_covered,
        repeated_metric_points: d.metric_repeats,
        no_usage: tally.records.values().sum::<u64>().saturating_sub(usage_records + usage_metric_points),
    };
    let examples = d
        .examples
        .iter()
        .map(|e| ExampleOut {
            reason: e.reason,
            matched: e.matched,
            why: e.matched.map_or(e.reason.describe(), Match::describe),
            record: e.record.to_string(),
            counted_instead: e.kept.as_ref().map(|k| k.to_string()),
        })
        .collect();

    let mut calls = reconciled.calls;
    let priced = price::price_calls(&catalog, calls.by_ref(), false);
    let mut models: BTreeMap<(String, Option<String>), ModelOut> = BTreeMap::new();
    let mut counted = Counted { calls: 0, metric_totals: 0, estimated };
    for p in priced {
        match p.call.signal {
            Signal::Metrics => counted.metric_totals += 1,
            _ => counted.calls += 1,
        }
        let model = p.call.model.clone().unwrap_or_else(|| crate::allocate::NONE.to_string());
        let entry = models.entry((model.clone(), p.call.provider.clone())).or_insert_with(|| ModelOut {
            model,
            provider: p.call.provider.clone(),
            emitters: Vec::new(),
            requests: 0,
            price: p.price_ref.as_deref().map(str::to_string),
        });
        entry.requests += p.call.requests;
        if !entry.emitters.contains(&p.call.emitter.name()) {
            entry.emitters.push(p.call.emitter.name());
        }
    }
    calls.complete().map_err(error)?;
    let mut models: Vec<ModelOut> = models.into_values().collect();
    models.sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| a.model.cmp(&b.model)));

    let inspection = Inspection {
        files: collected.stats.files,
        bytes: collected.stats.bytes,
        skipped_not_otlp: collected.stats.skipped_not_otlp,
        problems: collected
            .problems
            .iter()
            .map(|p| ProblemOut { location: p.location.to_string(), message: p.message.clone() })
            .collect(),
        problems_not_listed: collected.problems.len().saturating_sub(crate::model::Problems::KEPT as u64),
        requests: tally.requests,
        records: tally.records,
        scopes: tally.scopes.into_iter().collect(),
        metric_names: tally.metric_names.into_iter().collect(),
        emitters: Emitter::ALL.iter().filter_map(|e| tally.claimed.get(e).map(|n| (e.name(), *n))).collect(),
        usage_records,
        usage_metric_points,
        counted,
        not_counted,
        examples,
        models,
        unread_usage: tally
            .unread
            .keys
            .iter()
            .map(|(key, f)| UnreadOut {
                key: key.clone(),
                signal: f.signal,
                records: f.records,
                scope: f.scope.clone(),
                service: f.service.clone(),
                example: f.example.to_string(),
                holding: crate::extract::Unread::names(f),
                line: f.describe(key),
            })
            .collect(),
        unread_usage_not_listed: tally.unread.more,
    };
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        InspectFormat::Json => serde_json::to_writer_pretty(&mut out, &inspection)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out)),
        InspectFormat::Table => write_text(&inspection, &mut out),
    };
    written.map_err(|e| write_failure("cannot write", &e.into()))?;
    if unreadable > 0 {
        let inputs = pipeline::count(unreadable, "input");
        return Err(error(format!("{inputs} could not be read (listed under Problems)")));
    }
    Ok(exit::OK)
}

fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    t
}

fn write_text(i: &Inspection, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "Read {} ({} bytes), {}.",
        crate::pipeline::count(i.files, "file"),
        i.bytes,
        crate::pipeline::count(i.requests, "request")
    )?;
    if !i.skipped_not_otlp.is_empty() {
        writeln!(
            out,
            "Skipped {} files that are not OTLP (e.g. {}).",
            i.skipped_not_otlp.len(),
            i.skipped_not_otlp[0]
        )?;
    }
    let records: Vec<String> = i.records.iter().map(|(s, n)| format!("{n} {}", s.name())).collect();
    writeln!(out, "Records: {}.", if records.is_empty() { "none".into() } else { records.join(", ") })?;
    writeln!(out, "Scopes: {}.", if i.scopes.is_empty() { "none".into() } else { i.scopes.join(", ") })?;
    if !i.metric_names.is_empty() {
        writeln!(out, "Metrics: {}.", i.metric_names.join(", "))?;
    }

    writeln!(out, "\nEmitters recognised (records each claimed):")?;
    let mut t = table(&["emitter", "records"]);
    for (name, n) in &i.emitters {
        t.add_row(vec![name.to_string(), n.to_string()]);
    }
    writeln!(out, "{t}")?;

    writeln!(out, "\nCounted:")?;
    writeln!(out, "  {} calls from per-call records (of {} records with usage)", i.counted.calls, i.usage_records)?;
    writeln!(
        out,
        "  {} usage totals from metrics (of {} metric points with usage)",
        i.counted.metric_totals, i.usage_metric_points
    )?;
    if i.counted.estimated > 0 {
        writeln!(
            out,
            "  {} calls from usage their instrumentation may have estimated itself, not the API's",
            i.counted.estimated
        )?;
    }
    let n = &i.not_counted;
    writeln!(out, "Not counted:")?;
    writeln!(out, "  {} duplicates: {}", n.duplicates, Reason::Duplicate.describe())?;
    for (matched, count) in &n.duplicates_by_match {
        writeln!(out, "    {count} matched as {}", matched.describe())?;
    }
    writeln!(out, "  {} aggregate parents: {}", n.aggregate_parents, Reason::AggregateParent.describe())?;
    writeln!(out, "  {} metric totals: {}", n.metrics_covered_by_calls, Reason::MetricsCovered.describe())?;
    writeln!(out, "  {} repeated metric points (the same point exported again)", n.repeated_metric_points)?;
    writeln!(out, "  {} records with no token usage", n.no_usage)?;
    for e in &i.examples {
        match (&e.counted_instead, e.matched) {
            (Some(kept), Some(m)) => writeln!(out, "    e.g. {} ({:?}, {m:?}; counted: {kept})", e.record, e.reason)?,
            (Some(kept), None) => writeln!(out, "    e.g. {} ({:?}; counted: {kept})", e.record, e.reason)?,
            (None, _) => writeln!(out, "    e.g. {} ({:?})", e.record, e.reason)?,
        }
    }

    if !i.unread_usage.is_empty() || i.unread_usage_not_listed > 0 {
        writeln!(out, "\nUsage-like data no emitter module reads (not counted; --usage-map FILE reads it):")?;
        for u in &i.unread_usage {
            writeln!(out, "  {}", u.line)?;
        }
        if i.unread_usage_not_listed > 0 {
            writeln!(out, "  … and {} more records under other keys", i.unread_usage_not_listed)?;
        }
    }

    writeln!(out, "\nModels:")?;
    let mut t = table(&["model", "provider", "emitter", "requests", "price entry"]);
    for m in &i.models {
        t.add_row(vec![
            m.model.clone(),
            m.provider.clone().unwrap_or_else(|| crate::allocate::NONE.into()),
            m.emitters.join(", "),
            m.requests.to_string(),
            m.price.clone().unwrap_or_else(|| "UNPRICED".into()),
        ]);
    }
    writeln!(out, "{t}")?;
    if !i.problems.is_empty() {
        writeln!(out, "\nProblems ({}):", i.problems.len() as u64 + i.problems_not_listed)?;
        for p in &i.problems {
            writeln!(out, "  {}: {}", p.location, p.message)?;
        }
        if i.problems_not_listed > 0 {
            writeln!(out, "  … and {} more, not listed", i.problems_not_listed)?;
        }
    }
    Ok(())
}

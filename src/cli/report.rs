//! `otelcost report`: price the LLM calls in OTLP dumps and report them grouped.

use super::{error, exit, usage, Failure};
use crate::allocate::{self, CostMode, Grouping, Rules, SortBy};
use crate::pipeline;
use crate::price::{self, Catalog};
use crate::reconcile;
use crate::report::{self, CallExport, Format};
use clap::Args;
use jiff::tz::TimeZone;
use std::cell::Cell;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// OTLP files or directories (read recursively); `-` reads stdin. JSON lines, protobuf
    /// streams and request bodies, plain, gzip or zstd, recognised by content.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub options: ReportOptions,

    /// Worker threads [default: one per core].
    #[arg(long, default_value_t = 0, hide_short_help = true)]
    pub threads: usize,
}

/// How to report: shared by every command that ends in a report (`report`, `listen`, `run`).
#[derive(Args, Debug, Clone)]
pub struct ReportOptions {
    /// Group by these dimensions: model (as emitted), model_family (as priced), provider,
    /// service, operation, route, emitter, signal, hour, day, week, month, an alias (user, team, agent, session, host, environment: see `otelcost
    /// dimensions`), one derived by --rules, or any attribute key (looked up on the record,
    /// then its resource; `a|b` takes the first present).
    #[arg(long, value_delimiter = ',', default_value = "model")]
    pub by: Vec<String>,

    /// Only calls where a dimension or attribute has a value: `key=value` or `key!=value`
    /// (`(none)` for a missing value). Repeatable; all must hold.
    #[arg(long = "where", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,

    /// Allocation rules (TOML): aliases, dimensions derived by lookup tables, regex, prefix
    /// and default rules (see examples/rules.toml).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Share the cost of the `unallocated` (and `(none)`) values of this --by dimension
    /// among its other values, in proportion to their cost, in a `shared` column.
    #[arg(long, value_name = "DIMENSION")]
    pub split_unallocated: Option<String>,

    /// Order of the rows.
    #[arg(long, value_enum, default_value_t = SortBy::Cost)]
    pub sort: SortBy,

    /// Keep the first N rows; the rest are summed into one `(other)` row.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// First day of a `week` bucket.
    #[arg(long, value_enum, default_value_t = WeekStart::Monday)]
    pub week_start: WeekStart,

    /// Output format [default: from --output's extension, else table (csv with --lines)].
    /// `focus` is a FinOps FOCUS 1.2 dataset: CSV, or Parquet when --output ends in .parquet.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// One row per priced call (time, trace and span ids, every dimension, tokens, unit
    /// prices, cost) instead of groups: csv, json (one object per line) or parquet.
    #[arg(long)]
    pub lines: bool,

    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Only calls at or after this time: a date (YYYY-MM-DD, in --timezone) or RFC 3339.
    #[arg(long)]
    pub since: Option<String>,

    /// Only calls before this time: a date (that whole day included) or RFC 3339.
    #[arg(long)]
    pub until: Option<String>,

    /// Time zone for day and hour buckets and for dates in --since/--until (IANA name).
    #[arg(long, default_value = "UTC")]
    pub timezone: String,

    /// Which cost to show: computed from the price catalog, the one the emitters reported
    /// themselves (Claude Code, LiteLLM, Codex, pydantic-ai), or both with the difference.
    #[arg(long, value_enum, default_value_t = CostMode::Computed)]
    pub cost: CostMode,

    /// Extra price files, in order, each overriding the ones before and the bundled catalog:
    /// a newer genai-prices or LiteLLM JSON, or your own TOML (see pricing/overrides.example.toml).
    #[arg(long = "prices", value_name = "FILE")]
    pub prices: Vec<PathBuf>,

    /// Show the price entries behind each row and every price applied (source, date, unit
    /// prices, tier, your discount).
    #[arg(long)]
    pub explain: bool,

    /// Reprice the same calls (same tokens) under another assumption and show both costs
    /// and the difference: `model=FROM:TO` (FROM `*` for all), `tier=batch|flex|priority|standard`,
    /// `prices=FILE` (another price sheet or an older catalog), `date=YYYY-MM-DD` (prices in
    /// force that UTC day), `no-cache`. Repeatable; all apply together.
    #[arg(long = "what-if", value_name = "ASSUMPTION")]
    pub what_if: Vec<String>,

    /// Apply --what-if only to calls where a dimension has a value (`team=infra`, as
    /// --where); the other calls keep their cost. Repeatable; all must hold.
    #[arg(long = "what-if-where", value_name = "KEY=VALUE", requires = "what_if")]
    pub what_if_where: Vec<String>,

    /// Fail (exit 3) if anything was lost: an unreadable record or an unpriced call.
    #[arg(long)]
    pub strict: bool,

    #[command(flatten)]
    pub memory: MemoryOptions,

    /// No summary or warnings on stderr (errors still show).
    #[arg(long, short)]
    pub quiet: bool,

    /// Leave the charts out of Markdown (Mermaid) and HTML (SVG) reports.
    #[arg(long)]
    pub no_charts: bool,
}

/// How much memory what is read may take before it goes to disk.
#[derive(Args, Debug, Clone)]
pub struct MemoryOptions {
    /// The memory otelcost keeps to, whatever the size of the input (e.g. 200MiB, 1GiB).
    /// Half of it holds the records read until their calls are counted; beyond that they go
    /// to temporary files and are counted from there, with the same result.
    #[arg(long, value_name = "SIZE", default_value = "200MiB", value_parser = super::parse_size)]
    pub memory_limit: u64,

    /// Where spill files go [default: $TMPDIR, else /tmp]. Removed when otelcost ends.
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
}

impl MemoryOptions {
    /// An empty store for what is extracted, within these limits.
    pub fn store(&self) -> reconcile::Store {
        // The other half: chunks being read and decoded, the catalog, the report's rows.
        reconcile::Store::new(reconcile::Limits {
            memory: usize::try_from(self.memory_limit / 2).unwrap_or(usize::MAX),
            temp_dir: self.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WeekStart {
    Monday,
    Sunday,
}

/// The `[since, until)` window in unix nanoseconds.
struct Window {
    since: Option<i128>,
    until: Option<i128>,
}

impl Window {
    fn contains(&self, time_ns: u64) -> bool {
        let t = i128::from(time_ns);
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }
}

/// A date means its first instant (or, as an upper bound, the first instant of the next day).
fn parse_time(text: &str, tz: &TimeZone, upper: bool) -> Result<i128, Failure> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.as_nanosecond());
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        usage(format!("invalid time {text:?}: use a date like 2026-11-21 or RFC 3339 like 2026-11-21T09:00:00Z"))
    })?;
    let date = if upper { date.tomorrow().map_err(|e| usage(format!("invalid date {text:?}: {e}")))? } else { date };
    let zoned = date.to_zoned(tz.clone()).map_err(|e| usage(format!("invalid date {text:?}: {e}")))?;
    Ok(zoned.timestamp().as_nanosecond())
}

pub fn run(args: ReportArgs) -> Result<i32, Failure> {
    crate::temp::remove_on_interrupt();
    let prepared = args.options.prepare()?;
    let paths = if args.paths.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(usage("no input: give OTLP files or directories, or `-` to read stdin".into()));
        }
        vec![PathBuf::from("-")]
    } else {
        args.paths.clone()
    };
    let collected = pipeline::collect(&paths, &prepared.extract, args.threads, prepared.store());
    finish(&prepared, collected).map(|(code, _)| code)
}

/// Report options checked and turned into what the stages need.
pub struct Prepared {
    pub options: ReportOptions,
    pub extract: crate::extract::Config,
    grouping: Grouping,
    /// `--split-unallocated`, else the rules file's `split_unallocated`.
    split: Option<String>,
    window: Window,
    format: Format,
    /// `--lines` or FOCUS: written from the calls while they are grouped.
    export: Option<CallExport>,
    catalog: CatalogLoad,
    /// `--what-if`, with the calls it applies to (`--what-if-where`; `None`: all).
    what_if: Option<(price::what_if::Scenario, Option<Grouping>)>,
}

/// The catalog, loading on its own thread while the input is read (parsing both price
/// sources is a fixed ~50 ms that small inputs would otherwise wait for).
struct CatalogLoad {
    loading: Mutex<Option<JoinHandle<anyhow::Result<Catalog>>>>,
    loaded: OnceLock<Result<Arc<Catalog>, String>>,
}

impl CatalogLoad {
    fn start(files: Vec<PathBuf>) -> Self {
        let loading = std::thread::spawn(move || Catalog::load(&files));
        CatalogLoad { loading: Mutex::new(Some(loading)), loaded: OnceLock::new() }
    }

    fn get(&self) -> Result<Arc<Catalog>, Failure> {
        let loaded = self.loaded.get_or_init(|| {
            let handle = self.loading.lock().ok().and_then(|mut h| h.take());
            match handle.map(JoinHandle::join) {
                Some(Ok(result)) => result.map(Arc::new).map_err(|e| format!("{e:#}")),
                _ => Err("the price catalog could not be loaded".into()),
            }
        });
        loaded.clone().map_err(|e| error(format!("prices: {e}")))
    }
}

impl Prepared {
    /// The price catalog (waits for it to finish loading).
    pub fn catalog(&self) -> Result<Arc<Catalog>, Failure> {
        self.catalog.get()
    }

    /// How calls are grouped and filtered (`--by`, `--where`).
    pub fn grouping(&self) -> &Grouping {
        &self.grouping
    }

    /// An empty store for what is extracted, within `--memory-limit` and `--temp-dir`.
    pub fn store(&self) -> reconcile::Store {
        self.options.memory.store()
    }

    /// Reconciles what was extracted into calls, keeping those in `--since`/`--until`
    /// (`--where` is applied once they are priced: `model_family` is known only then).
    pub fn select(&self, store: reconcile::Store) -> Result<Selection<'_>, Failure> {
        let reconciled = reconcile::reconcile(store).map_err(error)?;
        let failure = reconciled.calls.failure();
        let outside = Rc::new(Cell::new((0, 0)));
        let counted = Rc::clone(&outside);
        let calls = reconciled.calls.filter(move |c| {
            let inside = self.window.contains(c.time_ns);
            if !inside {
                let (all, untimed) = counted.get();
                counted.set((all + 1, untimed + usize::from(c.time_ns == 0)));
            }
            inside
        });
        Ok(Selection { calls: Box::new(calls), decisions: reconciled.decisions, outside, failure })
    }
}

/// The calls a report covers (streamed: read them once), and what was left out.
pub struct Selection<'p> {
    pub calls: Box<dyn Iterator<Item = crate::model::Call> + 'p>,
    pub decisions: reconcile::Decisions,
    outside: Rc<Cell<(usize, usize)>>,
    failure: reconcile::Failure,
}

impl Selection<'_> {
    /// Calls outside `--since`/`--until` so far (of them, with no timestamp).
    pub fn outside(&self) -> (usize, usize) {
        self.outside.get()
    }

    /// After the calls were read: an error if reading spilled calls back failed (what
    /// was reported is then incomplete).
    pub fn complete(&self) -> Result<(), Failure> {
        match self.failure.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            Some(message) => Err(error(message)),
            None => Ok(()),
        }
    }
}

impl ReportOptions {
    pub fn prepare(&self) -> Result<Prepared, Failure> {
        let tz = TimeZone::get(&self.timezone).map_err(|_| {
            usage(format!("unknown time zone {:?}: use an IANA name like UTC or Europe/Berlin", self.timezone))
        })?;
        let window = Window {
            since: self.since.as_deref().map(|t| parse_time(t, &tz, false)).transpose()?,
            until: self.until.as_deref().map(|t| parse_time(t, &tz, true)).transpose()?,
        };
        let from_extension = self.output.as_deref().and_then(format_for);
        let format = self.format.or(from_extension).unwrap_or(if self.lines { Format::Csv } else { Format::Table });
        let export = match (format, self.lines) {
            (Format::Focus, true) => {
                return Err(usage("--lines and --format focus are different exports: choose one".into()))
            }
            (Format::Focus, false) => Some(CallExport::Focus { parquet: from_extension == Some(Format::Parquet) }),
            (Format::Csv | Format::Json | Format::Parquet, true) => Some(CallExport::Lines(format)),
            (_, true) => return Err(usage("--lines is written as csv, json or parquet".into())),
            (_, false) => None,
        };
        let binary = export.map_or(format.is_binary(), CallExport::is_binary);
        if binary && !cfg!(feature = "parquet") {
            return Err(usage(crate::NO_PARQUET.into()));
        }
        if binary && self.output.is_none() && std::io::stdout().is_terminal() {
            return Err(usage("Parquet is binary: write it to a file with --output FILE.parquet".into()));
        }
        let rules = load_rules(self.rules.as_deref())?;
        let split = self.split_unallocated.clone().or_else(|| rules.split_unallocated.clone());
        if let Some(dim) = &split {
            if !self.by.contains(dim) {
                return Err(usage(format!(
                    "--split-unallocated {dim}: {dim} is not in --by ({}); add it, e.g. --by {dim}",
                    self.by.join(",")
                )));
            }
        }
        let week_start = match self.week_start {
            WeekStart::Monday => jiff::civil::Weekday::Monday,
            WeekStart::Sunday => jiff::civil::Weekday::Sunday,
        };
        let dimensions = allocate::Catalog::new(rules);
        let (grouping, mut dim_keys) =
            Grouping::new(&dimensions, &self.by, &self.filters, tz.clone(), week_start).map_err(usage)?;
        let what_if = if self.what_if.is_empty() {
            None
        } else {
            if export.is_some() {
                return Err(usage(
                    "--what-if adds columns to grouped reports: not with --lines or --format focus".into(),
                ));
            }
            if self.cost == CostMode::Reported {
                return Err(usage("--what-if compares with the computed cost: use --cost computed or both".into()));
            }
            let mut scenario = price::what_if::Scenario::parse(&self.what_if).map_err(usage)?;
            if !scenario.price_files.is_empty() {
                let files: Vec<PathBuf> = self.prices.iter().chain(&scenario.price_files).cloned().collect();
                let alt = Catalog::load(&files).map_err(|e| error(format!("--what-if prices: {e:#}")))?;
                scenario.catalog = Some(Arc::new(alt));
            }
            // The same names and --where first, then the what-if conditions: its attribute
            // slots extend the report's, so one capture serves both.
            let scope = if self.what_if_where.is_empty() {
                None
            } else {
                let filters: Vec<String> = self.filters.iter().chain(&self.what_if_where).cloned().collect();
                let (scope, keys) = Grouping::new(&dimensions, &self.by, &filters, tz, week_start)
                    .map_err(|e| usage(e.replace("--where", "--what-if-where")))?;
                dim_keys = keys;
                Some(scope)
            };
            Some((scenario, scope))
        };
        let catalog = CatalogLoad::start(self.prices.clone());
        Ok(Prepared {
            options: self.clone(),
            extract: crate::extract::Config { dim_keys },
            grouping,
            split,
            window,
            format,
            export,
            catalog,
            what_if,
        })
    }
}

/// Reconcile, price, allocate and write what was collected; then the messages on stderr.
/// Returns the exit code and the report.
pub fn finish(prepared: &Prepared, collected: pipeline::Collected) -> Result<(i32, allocate::Report), Failure> {
    let opts = &prepared.options;
    let window = &prepared.window;
    let records: u64 = collected.store.tally.records.values().sum();
    let spilled = collected.store.spilled();
    let spilled_to_memory = collected.store.spilled_to_memory();
    let problems = collected.problems;
    let stats = collected.stats;
    let mut selection = prepared.select(collected.store)?;
    let calls = std::mem::replace(&mut selection.calls, Box::new(std::iter::empty()));
    let catalog = prepared.catalog()?;
    // `--where` after pricing: a dimension such as model_family is known only then.
    let mut filtered = 0usize;
    // Calls in a service tier their model has no price for: priced at standard rates, and
    // said once per model.
    let mut tier_missing: std::collections::BTreeMap<(&'static str, String), u64> = Default::default();
    let priced = price::price_calls(&catalog, calls, opts.explain)
        .filter(|p| {
            let admitted = prepared.grouping.admits(p);
            filtered += usize::from(!admitted);
            admitted
        })
        .inspect(|p| {
            if p.quote.as_ref().is_some_and(|q| q.tier_missing()) {
                let model = p.call.model.clone().unwrap_or_default();
                *tier_missing.entry((p.call.tier.name(), model)).or_default() += p.call.requests.max(1);
            }
        })
        .map(|mut p| {
            if let Some((scenario, scope)) = &prepared.what_if {
                let applies = scope.as_ref().is_none_or(|s| s.admits(&p));
                p.what_if = Some(if applies { scenario.reprice(&catalog, &p.call) } else { p.cost });
            }
            p
        });
    let what_if = prepared.what_if.as_ref().map(|(scenario, _)| {
        let mut scenario_text = scenario.description.clone();
        scenario_text.extend(opts.what_if_where.iter().map(|w| format!("only where {w}")));
        let notes =
            if scenario.switches_models() { vec![price::what_if::MODEL_SWITCH_NOTE.to_string()] } else { Vec::new() };
        allocate::WhatIf { scenario: scenario_text, notes }
    });

    let mut out: Box<dyn Write> = match &opts.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| error(format!("cannot write {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let cannot_write = |e: anyhow::Error| error(format!("cannot write the report: {e:#}"));
    // The split and the row order shape the report; exports see the calls themselves.
    let shaped = |mut report: allocate::Report| -> Result<(allocate::Report, allocate::Unshared), Failure> {
        report.what_if = what_if.clone();
        let unshared = match &prepared.split {
            Some(dim) => allocate::split_unallocated(&mut report, dim).map_err(usage)?,
            None => allocate::Unshared::default(),
        };
        shape(&mut report, opts.sort, opts.top);
        Ok((report, unshared))
    };
    let (report, unshared, notes) = match prepared.export {
        None => {
            let (report, unshared) = shaped(allocate::group(priced, &prepared.grouping, opts.cost, opts.explain))?;
            let style = report::Style { charts: !opts.no_charts };
            report::write(&report, prepared.format, style, &mut out).map_err(cannot_write)?;
            (report, unshared, Vec::new())
        }
        Some(export) => {
            // The export sees every call as it streams into the report (kept for the
            // summary and --strict); the first write error stops the export.
            let mut sink = report::call_sink(export, &prepared.grouping, &mut out).map_err(cannot_write)?;
            let mut failed = None;
            let exported = priced.inspect(|p| {
                if failed.is_none() {
                    failed = sink.push(p).err();
                }
            });
            let (report, unshared) = shaped(allocate::group(exported, &prepared.grouping, opts.cost, opts.explain))?;
            let notes = match failed {
                Some(e) => Err(e),
                None => sink.finish(),
            }
            .map_err(cannot_write)?;
            (report, unshared, notes)
        }
    };
    out.flush().map_err(|e| cannot_write(e.into()))?;
    selection.complete()?;
    let decisions = &selection.decisions;
    let (outside, outside_untimed) = selection.outside();

    // Messages, after the data: problems always, the rest unless --quiet.
    let mut err = std::io::stderr().lock();
    const SHOWN: usize = 20;
    for p in problems.iter().take(SHOWN) {
        let _ = writeln!(err, "error: {}: {}", p.location, p.message);
    }
    if problems.len() > SHOWN as u64 {
        let _ = writeln!(err, "error: … and {} more problems like these", problems.len() - SHOWN as u64);
    }
    if !opts.quiet {
        for u in &report.unpriced {
            let provider = u.provider.as_deref().map(|p| format!(" (provider {p})")).unwrap_or_default();
            let _ = writeln!(
                err,
                "warning: no price for model {:?}{provider}: {} calls, {} tokens reported without a cost",
                u.model,
                u.requests,
                u.tokens.total_input().saturating_add(u.tokens.output)
            );
        }
        for ((tier, model), calls) in &tier_missing {
            let _ = writeln!(
                err,
                "warning: service tier {tier} has no price for model {model:?}; priced at standard rates ({calls} calls)"
            );
        }
        if filtered > 0 {
            let _ = writeln!(err, "note: {filtered} calls left out by --where");
        }
        if unshared.slices > 0 {
            let _ = writeln!(
                err,
                "warning: {} of unallocated cost in {} groups was not split: no other value there has a cost to share it by",
                crate::model::exact_cost(unshared.cost),
                unshared.slices
            );
        }
        if !window.is_open() && outside > 0 {
            let note =
                if outside_untimed > 0 { format!(" ({outside_untimed} with no timestamp)") } else { String::new() };
            let _ = writeln!(err, "note: {outside} calls outside --since/--until left out{note}");
        }
        for note in &notes {
            let _ = writeln!(err, "note: {note}");
        }
        if let Some(bytes) = spilled {
            let _ = writeln!(
                err,
                "note: {} of records went to temporary files to keep within --memory-limit {}, and were counted from there",
                human_size(bytes),
                human_size(opts.memory.memory_limit)
            );
            if spilled_to_memory {
                let _ = writeln!(
                    err,
                    "warning: the temporary files were on a file system kept in memory (tmpfs): choose one on disk with --temp-dir"
                );
            }
        }
        if let Some(first) = stats.skipped_not_otlp.first() {
            let others = stats.skipped_not_otlp.len() - 1;
            let more = if others > 0 { format!(" and {others} more") } else { String::new() };
            let _ = writeln!(err, "note: files that are not OTLP data were skipped: {first}{more}");
        }
        for (file, text) in &stats.text_lines {
            let _ = writeln!(
                err,
                "note: {file}: {} lines that are not telemetry (a program's own output?) were skipped, the first at line {}",
                text.count, text.first_line
            );
        }
        let _ = writeln!(
            err,
            "otelcost: {}, {} → {} counted ({} duplicates, {} aggregate parents not counted){}",
            super::count(stats.files, "file"),
            super::count(records, "record"),
            super::count(report.total.requests, "call"),
            decisions.duplicates,
            decisions.aggregates,
            if problems.is_empty() {
                String::new()
            } else {
                format!("; {} (listed above)", super::count(problems.len(), "problem"))
            },
        );
    }

    let read_nothing = stats.bytes == 0 && !problems.is_empty();
    let code = if read_nothing {
        exit::ERROR
    } else if opts.strict && (!problems.is_empty() || !report.unpriced.is_empty()) {
        let _ = writeln!(
            err,
            "otelcost: --strict: {}, {}",
            super::count(problems.len(), "problem"),
            super::count(report.unpriced.len() as u64, "unpriced model")
        );
        exit::STRICT
    } else {
        exit::OK
    };
    Ok((code, report))
}

/// `--sort` and `--top`, applied after grouping (and splitting): the order of the rows
/// and how many are shown; totals never change.
pub(super) fn shape(report: &mut allocate::Report, sort: SortBy, top: Option<usize>) {
    if sort != SortBy::Cost {
        allocate::sort(&mut report.rows, sort);
    }
    if let Some(n) = top {
        allocate::top(report, n);
    }
}

fn load_rules(path: Option<&Path>) -> Result<Rules, Failure> {
    match path {
        None => Ok(Rules::default()),
        Some(path) => Rules::load(path).map_err(|e| error(format!("rules: {e:#}"))),
    }
}

pub(crate) fn format_for(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "csv" => Some(Format::Csv),
        "json" => Some(Format::Json),
        "md" | "markdown" => Some(Format::Markdown),
        "html" | "htm" => Some(Format::Html),
        "parquet" => Some(Format::Parquet),
        "txt" => Some(Format::Table),
        _ => None,
    }
}

/// Bytes for people, in the units `--memory-limit` takes: `12.3MiB`.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut scaled = rust_decimal::Decimal::from(bytes);
    while scaled >= rust_decimal::Decimal::from(1024) && unit < UNITS.len() - 1 {
        scaled /= rust_decimal::Decimal::from(1024);
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{}{}", scaled.round_dp(1).normalize(), UNITS[unit])
    }
}

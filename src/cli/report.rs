//! `otelcost report`: price the LLM calls in OTLP dumps and report them grouped.

use super::{exit, usage, Failure};
use crate::allocate::{CostMode, SortBy};
use crate::pipeline::{self, Outcome, Plan, Verdict};
use crate::report::Format;
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

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
    /// Group by these dimensions: model and provider (as the price catalog names them; as
    /// emitted when unpriced), model_id and provider_id (as emitted), service, operation,
    /// route, emitter, signal, hour, day, week, month, an alias (user, team, agent, session,
    /// host, environment: see `otelcost dimensions`), one derived by --rules, or any
    /// attribute key some call has (looked up on the record, then its resource; `a|b` takes
    /// the first present). A name that is none of these is an error (exit 2).
    #[arg(long, value_delimiter = ',', default_value = "model")]
    pub by: Vec<String>,

    /// Only calls where a dimension or attribute has a value: `key=value` or `key!=value`
    /// (`(none)` for a missing value). Repeatable; all must hold. A value no call has is
    /// a warning naming the nearest values seen.
    #[arg(long = "where", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,

    /// Allocation rules (TOML): aliases, dimensions derived by lookup tables, regex, prefix
    /// and default rules (`otelcost example rules` prints a sample).
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

    /// Output format [default: from --output's extension (.csv, .json, .md, .html, .parquet,
    /// .txt; .jsonl/.ndjson with --lines; any other is an error), else table (csv with
    /// --lines)]. `focus` is a FinOps FOCUS 1.2 dataset: CSV, or Parquet when --output ends
    /// in .parquet.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// One row per priced call (time, trace and span ids, every dimension, tokens, unit
    /// prices, cost) instead of groups: csv, json (one object per line) or parquet.
    #[arg(long)]
    pub lines: bool,

    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Only calls at or after this time: a date (YYYY-MM-DD, in --timezone), RFC 3339,
    /// today, yesterday (in --timezone), or a span back from now: 90m, 24h, 7d, 2w.
    #[arg(long)]
    pub since: Option<String>,

    /// Only calls before this time: as --since; a date, today or yesterday includes that
    /// whole day.
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
    /// a newer genai-prices or LiteLLM JSON, or your own TOML (`otelcost example prices` prints a sample).
    #[arg(long = "prices", value_name = "FILE")]
    pub prices: Vec<PathBuf>,

    /// Price with the prices bundled in otelcost even when `otelcost prices update`
    /// fetched newer ones.
    #[arg(long)]
    pub offline: bool,

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

    /// Teach otelcost a vocabulary no emitter module reads (TOML: which records, and where
    /// their tokens, model and provider are; see examples/usage-map.toml). Repeatable.
    #[arg(long = "usage-map", value_name = "FILE")]
    pub usage_maps: Vec<PathBuf>,

    /// Fail (exit 3) if anything was lost: an unreadable record, an unpriced call, usage
    /// nothing read, no call at all, a refused request.
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
    pub fn store(&self) -> crate::reconcile::Store {
        let options = pipeline::Options {
            memory_limit: self.memory_limit,
            temp_dir: self.temp_dir.clone(),
            ..pipeline::Options::default()
        };
        options.store()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WeekStart {
    Monday,
    Sunday,
}

impl ReportOptions {
    /// What the flags ask of the pipeline.
    pub fn options(&self) -> pipeline::Options {
        pipeline::Options {
            by: self.by.clone(),
            filters: self.filters.clone(),
            rules: self.rules.clone(),
            split_unallocated: self.split_unallocated.clone(),
            sort: self.sort,
            top: self.top,
            week_start: match self.week_start {
                WeekStart::Monday => jiff::civil::Weekday::Monday,
                WeekStart::Sunday => jiff::civil::Weekday::Sunday,
            },
            format: self.format,
            lines: self.lines,
            output: self.output.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            timezone: self.timezone.clone(),
            cost: self.cost,
            prices: self.prices.clone(),
            offline: self.offline,
            explain: self.explain,
            what_if: self.what_if.clone(),
            what_if_where: self.what_if_where.clone(),
            usage_maps: self.usage_maps.clone(),
            strict: self.strict,
            memory_limit: self.memory.memory_limit,
            temp_dir: self.memory.temp_dir.clone(),
            no_charts: self.no_charts,
        }
    }

    /// The plan of the run these flags ask for.
    pub fn plan(&self) -> Result<Plan, Failure> {
        Ok(Plan::new(&self.options())?)
    }
}

pub fn run(args: ReportArgs) -> Result<i32, Failure> {
    crate::temp::remove_on_interrupt();
    let plan = args.options.plan()?;
    let paths = if args.paths.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(usage("no input: give OTLP files or directories, or `-` to read stdin".into()));
        }
        vec![PathBuf::from("-")]
    } else {
        args.paths.clone()
    };
    let collected = pipeline::collect(&paths, &plan.extract, args.threads, plan.store());
    let outcome = pipeline::report(&plan, collected)?;
    Ok(tell(&outcome, args.options.quiet))
}

/// Writes the outcome's messages on stderr (with `--quiet`, only errors and the verdict)
/// and returns the exit code.
pub fn tell(outcome: &Outcome, quiet: bool) -> i32 {
    let mut err = std::io::stderr().lock();
    for d in outcome.diagnostics.iter().filter(|d| !quiet || d.shown_when_quiet()) {
        let _ = writeln!(err, "{d}");
    }
    match outcome.verdict {
        Verdict::Ok => exit::OK,
        Verdict::ReadNothing | Verdict::Unreadable => exit::ERROR,
        Verdict::Strict => exit::STRICT,
    }
}

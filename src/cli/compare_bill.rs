//! `otelcost compare-bill`: how much of the provider's bill the telemetry explains.
//!
//! The telemetry is read, reconciled and priced exactly as `report` does (same options,
//! same pipeline); the bills are read by `crate::bill`; `bill::compare` joins them.

use super::{error, exit, usage, write_failure, Failure};
use crate::allocate::{CostMode, SortBy};
use crate::bill::{self, ScopeField};
use crate::pipeline::{self, output_format, Plan};
use crate::report::{self, Format};
use clap::Args;
use rust_decimal::Decimal;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CompareBillArgs {
    /// OTLP files or directories with the telemetry (as `report` reads them); `-` is stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// A billing export: OpenAI Costs/Usage API pages, Anthropic cost_report,
    /// usage_report/messages or analytics cost/usage pages, or a FinOps FOCUS CSV (AWS,
    /// Azure, Google Cloud). Recognised by content. Repeatable.
    #[arg(long = "bill", value_name = "FILE", required = true)]
    pub bills: Vec<PathBuf>,

    /// Your own meter table (TOML, as src/bill/meters.toml): how FOCUS rows name models
    /// and token types; tried before the built-in one. Repeatable.
    #[arg(long = "meters", value_name = "FILE")]
    pub meters: Vec<PathBuf>,

    /// Also join on a scope the bill carries, matched to a telemetry dimension:
    /// `project=DIM`, `api-key=DIM`, `workspace=DIM` or `sub-account=DIM` (DIM as in
    /// --by: an alias, an attribute key, or one your --rules derive).
    #[arg(long, value_name = "FIELD=DIMENSION")]
    pub scope: Option<String>,

    /// Exit 5 when the telemetry explains less than this percentage of the billed money.
    #[arg(long, value_name = "PERCENT")]
    pub min_coverage: Option<Decimal>,

    /// Output format [default: from --output's extension, else table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write the comparison to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Only calls where a dimension or attribute has a value (as `report --where`).
    #[arg(long = "where", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,

    /// Allocation rules (TOML), for --scope and --where dimensions.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Only calls at or after this time: a UTC date (YYYY-MM-DD), RFC 3339, today,
    /// yesterday, or a span back from now (90m, 24h, 7d, 2w).
    #[arg(long)]
    pub since: Option<String>,

    /// Only calls before this time: as --since; a date includes that whole day.
    #[arg(long)]
    pub until: Option<String>,

    /// Extra price files, as `report --prices`: the adjusted estimate uses your discounts.
    #[arg(long = "prices", value_name = "FILE")]
    pub prices: Vec<PathBuf>,

    /// The prices bundled in otelcost even when `otelcost prices update` fetched newer ones.
    #[arg(long)]
    pub offline: bool,
    /// Teach otelcost a vocabulary no emitter module reads (as `report --usage-map`). Repeatable.
    #[arg(long = "usage-map", value_name = "FILE")]
    pub usage_maps: Vec<PathBuf>,

    /// Fail (exit 3) if a telemetry record was unreadable.
    #[arg(long)]
    pub strict: bool,

    /// No summary on stderr (errors still show).
    #[arg(long, short)]
    pub quiet: bool,

    /// Worker threads [default: one per core].
    #[arg(long, default_value_t = 0, hide_short_help = true)]
    pub threads: usize,

    #[command(flatten)]
    pub memory: super::report::MemoryOptions,
}

pub fn run(args: CompareBillArgs) -> Result<i32, Failure> {
    let scope = args.scope.as_deref().map(parse_scope).transpose()?;
    let format = output_format(args.format, args.output.as_deref(), false, Format::Table).map_err(usage)?;
    if format == Format::Focus {
        return Err(usage("compare-bill writes table, csv, json, markdown or parquet".into()));
    }
    if format.is_binary() && !cfg!(feature = "parquet") {
        return Err(usage(crate::NO_PARQUET.into()));
    }
    if format.is_binary() && args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(usage("Parquet is binary: write it to a file with --output FILE.parquet".into()));
    }
    // The report's own options, so the telemetry is read, selected and priced as `report`
    // would: days are UTC, as the bills'.
    let options = pipeline::Options {
        by: vec![scope.as_ref().map_or("model".to_string(), |(_, dim)| dim.clone())],
        filters: args.filters.clone(),
        rules: args.rules.clone(),
        split_unallocated: None,
        sort: SortBy::Cost,
        top: None,
        week_start: jiff::civil::Weekday::Monday,
        format: None,
        lines: false,
        output: None,
        since: args.since.clone(),
        until: args.until.clone(),
        timezone: "UTC".into(),
        cost: CostMode::Computed,
        prices: args.prices.clone(),
        offline: args.offline,
        explain: false,
        what_if: Vec::new(),
        what_if_where: Vec::new(),
        usage_maps: args.usage_maps.clone(),
        strict: args.strict,
        no_charts: true,
        memory_limit: args.memory.memory_limit,
        temp_dir: args.memory.temp_dir.clone(),
    };
    let plan = Plan::new(&options)?;
    let meters = bill::meters::Meters::load(&args.meters).map_err(|e| error(format!("meters: {e}")))?;
    let mut bills =
        args.bills.iter().map(|path| bill::read(path, &meters)).collect::<Result<Vec<_>, _>>().map_err(error)?;
    // --since/--until select bill days too (UTC dates; a time selects its day).
    let (since, until) = (bill_day(args.since.as_deref(), false)?, bill_day(args.until.as_deref(), true)?);
    for b in &mut bills {
        b.rows.retain(|r| {
            since.as_deref().is_none_or(|s| r.day.as_str() >= s) && until.as_deref().is_none_or(|u| r.day.as_str() <= u)
        });
    }

    crate::temp::remove_on_interrupt();
    let collected = pipeline::collect(&args.paths, &plan.extract, args.threads, plan.store());
    let scope = scope.map(|(field, _)| (field, args.scope.clone().unwrap_or_default()));
    let pipeline::Compared { comparison, calls, duplicates, files, problems, unmatched } =
        pipeline::compare_bills(&plan, collected, &bills, scope)?;

    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| error(format!("cannot write {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    report::coverage::write(&comparison, format, &mut out)
        .and_then(|()| Ok(out.flush()?))
        .map_err(|e| write_failure("cannot write the comparison", &e))?;

    let mut err = std::io::stderr().lock();
    for p in problems.iter().take(20) {
        let _ = writeln!(err, "error: {}: {}", p.location, p.message);
    }
    for w in &unmatched {
        let _ = writeln!(err, "warning: {w}");
    }
    if !args.quiet {
        for note in bills.iter().flat_map(|b| &b.notes) {
            let _ = writeln!(err, "note: {note}");
        }
        let _ = writeln!(
            err,
            "otelcost: {} files, {calls} calls compared with {} bill rows ({} duplicates not counted); {}",
            files,
            bills.iter().map(|b| b.rows.len()).sum::<usize>(),
            duplicates,
            report::coverage::summary(&comparison)
        );
    }
    if args.strict && !problems.is_empty() {
        let _ = writeln!(err, "otelcost: --strict: {} problems", problems.len());
        return Ok(exit::STRICT);
    }
    if let Some(min) = args.min_coverage {
        let coverage = comparison.coverage();
        if coverage.is_none_or(|c| c < min) {
            let got = coverage.map_or("no billed money".to_string(), |c| format!("{c}%"));
            let _ = writeln!(err, "otelcost: coverage {got} is below --min-coverage {min}%");
            return Ok(exit::COVERAGE);
        }
    }
    Ok(exit::OK)
}

/// The UTC day a --since/--until value starts (or, as an upper bound, ends) in.
fn bill_day(text: Option<&str>, upper: bool) -> Result<Option<String>, Failure> {
    let Some(text) = text else { return Ok(None) };
    let bound = pipeline::time_bound(text, &jiff::tz::TimeZone::UTC, upper, jiff::Timestamp::now())?;
    // An upper bound is exclusive: its day is the one of the instant just before.
    let bound = if upper { bound - jiff::SignedDuration::from_nanos(1) } else { bound };
    Ok(Some(bound.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()))
}

fn parse_scope(text: &str) -> Result<(ScopeField, String), Failure> {
    let bad = || {
        usage(format!("--scope {text:?}: write FIELD=DIMENSION, FIELD one of project, api-key, workspace, sub-account"))
    };
    let (field, dim) = text.split_once('=').ok_or_else(bad)?;
    let field = match field.trim().replace('_', "-").as_str() {
        "project" => ScopeField::Project,
        "api-key" => ScopeField::ApiKey,
        "workspace" => ScopeField::Workspace,
        "sub-account" => ScopeField::SubAccount,
        _ => return Err(bad()),
    };
    let dim = dim.trim();
    if dim.is_empty() {
        return Err(bad());
    }
    Ok((field, dim.to_string()))
}

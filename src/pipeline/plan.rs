//! The plan of a run: the options checked once and turned into what each stage needs
//! (grouping and filters, the time window, the output, the catalog loading beside the
//! input, the what-if scenario).

use super::Error;
use crate::allocate::{self, CostMode, Grouping, Rules, SortBy};
use crate::price::{self, Catalog};
use crate::reconcile;
use crate::report::{CallExport, Format};
use jiff::tz::TimeZone;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

/// What a run is asked to do: the meaning of the command line's report flags, in plain
/// types (the CLI maps its flags to this; a library user fills it in).
#[derive(Clone, Debug)]
pub struct Options {
    /// Group by these dimensions (built in, aliases, rules dimensions, attribute keys).
    pub by: Vec<String>,
    /// `key=value` / `key!=value` filters, all of which must hold.
    pub filters: Vec<String>,
    /// An allocation rules file.
    pub rules: Option<PathBuf>,
    /// Share the `unallocated` cost of this `by` dimension among its other values.
    pub split_unallocated: Option<String>,
    pub sort: SortBy,
    /// Keep the first N rows, the rest summed into `(other)`.
    pub top: Option<usize>,
    /// First day of a `week` bucket.
    pub week_start: jiff::civil::Weekday,
    /// The output format (`None`: from `output`'s extension, else table or csv).
    pub format: Option<Format>,
    /// One row per priced call instead of groups.
    pub lines: bool,
    /// Write here instead of stdout.
    pub output: Option<PathBuf>,
    /// Only calls at or after / before these times (see [`time_bound`]).
    pub since: Option<String>,
    pub until: Option<String>,
    /// IANA time zone of day and hour buckets and of dates.
    pub timezone: String,
    pub cost: CostMode,
    /// Extra price files, each overriding the ones before and the base catalog.
    pub prices: Vec<PathBuf>,
    /// The bundled prices even when `otelcost prices update` fetched newer ones.
    pub offline: bool,
    /// The price entries behind each row and every price applied.
    pub explain: bool,
    /// What-if assumptions, and the calls they apply to.
    pub what_if: Vec<String>,
    pub what_if_where: Vec<String>,
    /// `--usage-map` files: vocabularies no emitter module reads.
    pub usage_maps: Vec<PathBuf>,
    /// Anything lost fails the run.
    pub strict: bool,
    /// The whole run's memory budget; half of it holds records until they are counted.
    pub memory_limit: u64,
    /// Where spill files go (`None`: the system's temporary directory).
    pub temp_dir: Option<PathBuf>,
    /// Leave the charts out of Markdown and HTML.
    pub no_charts: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            by: vec!["model".into()],
            filters: Vec::new(),
            rules: None,
            split_unallocated: None,
            sort: SortBy::Cost,
            top: None,
            week_start: jiff::civil::Weekday::Monday,
            format: None,
            lines: false,
            output: None,
            since: None,
            until: None,
            timezone: "UTC".into(),
            cost: CostMode::Computed,
            prices: Vec::new(),
            offline: false,
            explain: false,
            what_if: Vec::new(),
            what_if_where: Vec::new(),
            usage_maps: Vec::new(),
            strict: false,
            memory_limit: 200 << 20,
            temp_dir: None,
            no_charts: false,
        }
    }
}

impl Options {
    /// An empty store for what is extracted, within these limits.
    pub fn store(&self) -> reconcile::Store {
        // The other half: chunks being read and decoded, the catalog, the report's rows.
        reconcile::Store::new(reconcile::Limits {
            memory: usize::try_from(self.memory_limit / 2).unwrap_or(usize::MAX),
            temp_dir: self.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
        })
    }
}

/// The `[since, until)` window in unix nanoseconds.
pub(super) struct Window {
    since: Option<i128>,
    until: Option<i128>,
}

impl Window {
    pub(super) fn contains(&self, time_ns: u64) -> bool {
        let t = i128::from(time_ns);
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    pub(super) fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }
}

/// A `--since`/`--until` value as an instant: RFC 3339; a date, `today` or `yesterday` in
/// `tz` (its first instant, or as an upper bound the first instant of the next day); or a
/// span back from `now`: `90m`, `24h`, `7d`, `2w`.
pub fn time_bound(text: &str, tz: &TimeZone, upper: bool, now: jiff::Timestamp) -> Result<jiff::Timestamp, Error> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    if let Some(ago) = span_back(text) {
        return now.checked_sub(ago).map_err(|e| Error::Options(format!("invalid time {text:?}: {e}")));
    }
    let today = now.to_zoned(tz.clone()).date();
    let date = match text.to_ascii_lowercase().as_str() {
        "today" => Ok(today),
        "yesterday" => today.yesterday(),
        _ => Ok(text.parse::<jiff::civil::Date>().map_err(|_| {
            Error::Options(format!(
                "invalid time {text:?}: use a date like 2026-11-21, RFC 3339 like 2026-11-21T09:00:00Z, \
                 today, yesterday, or a span back from now like 90m, 24h, 7d or 2w"
            ))
        })?),
    };
    let date = date.and_then(|d| if upper { d.tomorrow() } else { Ok(d) });
    let date = date.map_err(|e| Error::Options(format!("invalid date {text:?}: {e}")))?;
    let zoned = date.to_zoned(tz.clone()).map_err(|e| Error::Options(format!("invalid date {text:?}: {e}")))?;
    Ok(zoned.timestamp())
}

/// `90m`, `24h`, `7d`, `2w` (also `s`): a fixed span (a day is 24 hours).
fn span_back(text: &str) -> Option<jiff::SignedDuration> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit()).filter(|&i| i > 0)?;
    let (number, unit) = text.split_at(unit_at);
    let seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    let n: i64 = number.parse().ok()?;
    Some(jiff::SignedDuration::from_secs(n.checked_mul(seconds)?))
}

/// Options checked and turned into what the stages need.
pub struct Plan {
    pub options: Options,
    pub extract: crate::extract::Config,
    pub(super) grouping: Grouping,
    /// `--split-unallocated`, else the rules file's `split_unallocated`.
    pub(super) split: Option<String>,
    pub(super) window: Window,
    pub(super) format: Format,
    /// `--lines` or FOCUS: written from the calls while they are grouped.
    pub(super) export: Option<CallExport>,
    catalog: CatalogLoad,
    /// `--what-if`, with the calls it applies to (`--what-if-where`; `None`: all).
    pub(super) what_if: Option<(price::what_if::Scenario, Option<Grouping>)>,
}

/// The catalog, loading on its own thread while the input is read (parsing both price
/// sources is a fixed ~50 ms that small inputs would otherwise wait for).
struct CatalogLoad {
    loading: Mutex<Option<JoinHandle<anyhow::Result<Catalog>>>>,
    loaded: OnceLock<Result<Arc<Catalog>, String>>,
}

impl CatalogLoad {
    fn start(files: Vec<PathBuf>, offline: bool) -> Self {
        let loading = std::thread::spawn(move || Catalog::load(&files, offline));
        CatalogLoad { loading: Mutex::new(Some(loading)), loaded: OnceLock::new() }
    }

    fn get(&self) -> Result<Arc<Catalog>, Error> {
        let loaded = self.loaded.get_or_init(|| {
            let handle = self.loading.lock().ok().and_then(|mut h| h.take());
            match handle.map(JoinHandle::join) {
                Some(Ok(result)) => result
                    .map(|catalog| {
                        // Never freed: its ~50 000 allocations live until exit, where freeing
                        // them one by one is work nobody waits for.
                        let catalog = Arc::new(catalog);
                        std::mem::forget(Arc::clone(&catalog));
                        catalog
                    })
                    .map_err(|e| format!("{e:#}")),
                _ => Err("the price catalog could not be loaded".into()),
            }
        });
        loaded.clone().map_err(|e| Error::Prices(format!("prices: {e}")))
    }
}

impl Plan {
    /// The price catalog (waits for it to finish loading).
    pub fn catalog(&self) -> Result<Arc<Catalog>, Error> {
        self.catalog.get()
    }

    /// How calls are grouped and filtered (`--by`, `--where`).
    pub fn grouping(&self) -> &Grouping {
        &self.grouping
    }

    /// An empty store for what is extracted, within `--memory-limit` and `--temp-dir`.
    pub fn store(&self) -> reconcile::Store {
        self.options.store()
    }
}

impl Plan {
    /// Checks the options and starts loading the catalog.
    pub fn new(options: &Options) -> Result<Plan, Error> {
        let this = options;
        // The default needs no time zone database: finding the system's walks its directories.
        let tz = if this.timezone == "UTC" { Ok(TimeZone::UTC) } else { TimeZone::get(&this.timezone) };
        let tz = tz.map_err(|_| {
            Error::Options(format!("unknown time zone {:?}: use an IANA name like UTC or Europe/Berlin", this.timezone))
        })?;
        let now = jiff::Timestamp::now();
        let bound = |text: &Option<String>, upper| {
            text.as_deref().map(|t| time_bound(t, &tz, upper, now).map(|ts| ts.as_nanosecond())).transpose()
        };
        let window = Window { since: bound(&this.since, false)?, until: bound(&this.until, true)? };
        let default = if this.lines { Format::Csv } else { Format::Table };
        let format = output_format(this.format, this.output.as_deref(), this.lines, default).map_err(Error::Options)?;
        // With --format focus, a .parquet output makes it Parquet.
        let from_extension = this.output.as_deref().and_then(|p| format_for(p, this.lines).ok().flatten());
        let export = match (format, this.lines) {
            (Format::Focus, true) => {
                return Err(Error::Options("--lines and --format focus are different exports: choose one".into()))
            }
            (Format::Focus, false) => Some(CallExport::Focus { parquet: from_extension == Some(Format::Parquet) }),
            (Format::Csv | Format::Json | Format::Parquet, true) => Some(CallExport::Lines(format)),
            (_, true) => return Err(Error::Options("--lines is written as csv, json or parquet".into())),
            (_, false) => None,
        };
        let binary = export.map_or(format.is_binary(), CallExport::is_binary);
        if binary && !cfg!(feature = "parquet") {
            return Err(Error::Options(crate::NO_PARQUET.into()));
        }
        if binary && this.output.is_none() && std::io::stdout().is_terminal() {
            return Err(Error::Options("Parquet is binary: write it to a file with --output FILE.parquet".into()));
        }
        let rules = load_rules(this.rules.as_deref())?;
        let split = this.split_unallocated.clone().or_else(|| rules.split_unallocated.clone());
        if let Some(dim) = &split {
            if !this.by.contains(dim) {
                return Err(Error::Options(format!(
                    "--split-unallocated {dim}: {dim} is not in --by ({}); add it, e.g. --by {dim}",
                    this.by.join(",")
                )));
            }
        }
        let week_start = this.week_start;
        let dimensions = allocate::Catalog::new(rules);
        let (grouping, mut dim_keys) =
            Grouping::new(&dimensions, &this.by, &this.filters, tz.clone(), week_start).map_err(Error::Options)?;
        let what_if = if this.what_if.is_empty() {
            None
        } else {
            if export.is_some() {
                return Err(Error::Options(
                    "--what-if adds columns to grouped reports: not with --lines or --format focus".into(),
                ));
            }
            if this.cost == CostMode::Reported {
                return Err(Error::Options(
                    "--what-if compares with the computed cost: use --cost computed or both".into(),
                ));
            }
            let mut scenario = price::what_if::Scenario::parse(&this.what_if).map_err(Error::Options)?;
            if !scenario.price_files.is_empty() {
                let files: Vec<PathBuf> = this.prices.iter().chain(&scenario.price_files).cloned().collect();
                let alt = Catalog::load(&files, this.offline)
                    .map_err(|e| Error::Prices(format!("--what-if prices: {e:#}")))?;
                scenario.catalog = Some(Arc::new(alt));
            }
            // The same names and --where first, then the what-if conditions: its attribute
            // slots extend the report's, so one capture serves both.
            let scope = if this.what_if_where.is_empty() {
                None
            } else {
                let filters: Vec<String> = this.filters.iter().chain(&this.what_if_where).cloned().collect();
                let (scope, keys) = Grouping::new(&dimensions, &this.by, &filters, tz, week_start)
                    .map_err(|e| Error::Options(e.replace("--where", "--what-if-where")))?;
                dim_keys = keys;
                Some(scope)
            };
            Some((scenario, scope))
        };
        let usage_maps =
            crate::extract::usage_map::load(&this.usage_maps).map_err(|e| Error::UsageMap(format!("{e:#}")))?.into();
        let catalog = CatalogLoad::start(this.prices.clone(), this.offline);
        Ok(Plan {
            options: this.clone(),
            extract: crate::extract::Config { dim_keys, usage_maps },
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

/// `--sort` and `--top`, applied after grouping (and splitting): the order of the rows
/// and how many are shown; totals never change.
pub fn shape(report: &mut allocate::Report, sort: SortBy, top: Option<usize>) {
    if sort != SortBy::Cost {
        allocate::sort(&mut report.rows, sort);
    }
    if let Some(n) = top {
        allocate::top(report, n);
    }
}

fn load_rules(path: Option<&Path>) -> Result<Rules, Error> {
    match path {
        None => Ok(Rules::default()),
        Some(path) => Rules::load(path).map_err(|e| Error::Rules(format!("{e:#}"))),
    }
}

/// Output file extensions and the format each one names.
const EXTENSIONS: &[(&str, Format)] = &[
    ("csv", Format::Csv),
    ("json", Format::Json),
    ("md", Format::Markdown),
    ("markdown", Format::Markdown),
    ("html", Format::Html),
    ("htm", Format::Html),
    ("parquet", Format::Parquet),
    ("txt", Format::Table),
];

/// Extensions of JSON lines (one object per line): for `--lines`.
const JSON_LINES: &[&str] = &["jsonl", "ndjson"];

/// The format an output file's name asks for: `Ok(None)` for a name without an extension
/// (`/dev/stdout`); any extension not known is an error naming the known ones, so that a
/// `.xlsx` never gets a text table. JSON lines (`.jsonl`, `.ndjson`) are line items
/// (`lines`): a grouped report is one JSON document, written to `.json`.
fn format_for(path: &Path, lines: bool) -> Result<Option<Format>, String> {
    let Some(extension) = path.extension() else { return Ok(None) };
    let extension = extension.to_string_lossy().to_ascii_lowercase();
    if JSON_LINES.contains(&extension.as_str()) {
        return if lines {
            Ok(Some(Format::Json))
        } else {
            Err(format!(
                "{}: .{extension} is JSON lines, one object per call: add --lines, or write the grouped report to a .json file",
                path.display()
            ))
        };
    }
    match EXTENSIONS.iter().find(|(known, _)| *known == extension) {
        Some((_, format)) => Ok(Some(*format)),
        None => {
            let known: Vec<String> = EXTENSIONS.iter().map(|(e, _)| format!(".{e}")).collect();
            Err(format!(
                "{}: unknown extension .{extension}: use {}, or .jsonl/.ndjson with --lines (or name the format with --format)",
                path.display(),
                known.join(", ")
            ))
        }
    }
}

/// The output's format: `--format`, else the output file's extension, else `default`.
pub fn output_format(
    chosen: Option<Format>,
    output: Option<&Path>,
    lines: bool,
    default: Format,
) -> Result<Format, String> {
    if let Some(format) = chosen {
        return Ok(format);
    }
    Ok(output.map(|path| format_for(path, lines)).transpose()?.flatten().unwrap_or(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, tz: &str, upper: bool) -> String {
        let now: jiff::Timestamp = "2026-12-03T01:30:00Z".parse().unwrap();
        let tz = TimeZone::get(tz).unwrap();
        time_bound(text, &tz, upper, now).map_or_else(|e| format!("error: {e}"), |t| t.to_string())
    }

    #[test]
    fn spans_count_back_from_now() {
        assert_eq!(at("24h", "UTC", false), "2026-12-02T01:30:00Z");
        assert_eq!(at("7d", "UTC", true), "2026-11-26T01:30:00Z");
        assert_eq!(at("90m", "UTC", false), "2026-12-03T00:00:00Z");
        assert_eq!(at("2w", "UTC", false), "2026-11-19T01:30:00Z");
    }

    #[test]
    fn today_and_yesterday_are_days_in_the_time_zone() {
        assert_eq!(at("today", "UTC", false), "2026-12-03T00:00:00Z");
        assert_eq!(at("today", "UTC", true), "2026-12-04T00:00:00Z");
        assert_eq!(at("Yesterday", "UTC", false), "2026-12-02T00:00:00Z");
        assert_eq!(at("yesterday", "UTC", true), "2026-12-03T00:00:00Z");
        // 01:30 UTC is still the 2nd in New York (UTC-5).
        assert_eq!(at("today", "America/New_York", false), "2026-12-02T05:00:00Z");
        assert_eq!(at("yesterday", "America/New_York", false), "2026-12-01T05:00:00Z");
    }

    #[test]
    fn dates_and_instants_keep_their_meaning() {
        assert_eq!(at("2026-11-21", "UTC", false), "2026-11-21T00:00:00Z");
        assert_eq!(at("2026-11-21", "UTC", true), "2026-11-22T00:00:00Z");
        assert_eq!(at("2026-11-21T09:00:00Z", "UTC", true), "2026-11-21T09:00:00Z");
    }

    #[test]
    fn other_text_is_refused() {
        for bad in ["24", "h", "7y", "-7d", "tomorrow", "99999999999999999w"] {
            assert!(at(bad, "UTC", false).starts_with("error: invalid"), "{bad}: {}", at(bad, "UTC", false));
        }
    }
}

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
    /// Only calls at or after / before these times (a date in `timezone`, or RFC 3339).
    pub since: Option<String>,
    pub until: Option<String>,
    /// IANA time zone of day and hour buckets and of dates.
    pub timezone: String,
    pub cost: CostMode,
    /// Extra price files, each overriding the ones before and the bundled catalog.
    pub prices: Vec<PathBuf>,
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

/// A date means its first instant (or, as an upper bound, the first instant of the next day).
fn parse_time(text: &str, tz: &TimeZone, upper: bool) -> Result<i128, Error> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.as_nanosecond());
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        Error::Options(format!(
            "invalid time {text:?}: use a date like 2026-11-21 or RFC 3339 like 2026-11-21T09:00:00Z"
        ))
    })?;
    let date =
        if upper { date.tomorrow().map_err(|e| Error::Options(format!("invalid date {text:?}: {e}")))? } else { date };
    let zoned = date.to_zoned(tz.clone()).map_err(|e| Error::Options(format!("invalid date {text:?}: {e}")))?;
    Ok(zoned.timestamp().as_nanosecond())
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
    fn start(files: Vec<PathBuf>) -> Self {
        let loading = std::thread::spawn(move || Catalog::load(&files));
        CatalogLoad { loading: Mutex::new(Some(loading)), loaded: OnceLock::new() }
    }

    fn get(&self) -> Result<Arc<Catalog>, Error> {
        let loaded = self.loaded.get_or_init(|| {
            let handle = self.loading.lock().ok().and_then(|mut h| h.take());
            match handle.map(JoinHandle::join) {
                Some(Ok(result)) => result.map(Arc::new).map_err(|e| format!("{e:#}")),
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
        let tz = TimeZone::get(&this.timezone).map_err(|_| {
            Error::Options(format!("unknown time zone {:?}: use an IANA name like UTC or Europe/Berlin", this.timezone))
        })?;
        let window = Window {
            since: this.since.as_deref().map(|t| parse_time(t, &tz, false)).transpose()?,
            until: this.until.as_deref().map(|t| parse_time(t, &tz, true)).transpose()?,
        };
        let from_extension = this.output.as_deref().and_then(format_for);
        let format = this.format.or(from_extension).unwrap_or(if this.lines { Format::Csv } else { Format::Table });
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
                let alt = Catalog::load(&files).map_err(|e| Error::Prices(format!("--what-if prices: {e:#}")))?;
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
        let catalog = CatalogLoad::start(this.prices.clone());
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

pub fn format_for(path: &Path) -> Option<Format> {
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

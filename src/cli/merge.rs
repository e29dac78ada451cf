//! `otelcost merge a.json b.json …`: sum JSON reports (the README's contract) made over
//! separate inputs into the one report a single run over everything would give.

use super::{error, usage, write_failure, Failure};
use crate::allocate::{self, SortBy};
use crate::pipeline::{output_format, shape};
use crate::report::{self, Format};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

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

    /// Leave the charts out of Markdown (Mermaid) and HTML (SVG) reports.
    #[arg(long)]
    pub no_charts: bool,
}

pub fn run(args: MergeArgs) -> Result<i32, Failure> {
    let format = output_format(args.format, args.output.as_deref(), false, Format::Table).map_err(usage)?;
    let mut reports = Vec::with_capacity(args.paths.len());
    for path in &args.paths {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read {label}: {e}")))?;
        let report = report::json::read(&text).map_err(|e| error(format!("{label}: {e}")))?;
        reports.push((label, report));
    }
    let mut notes = Vec::new();
    let mut merged = allocate::merge(reports, &mut notes).map_err(error)?;
    for note in &notes {
        eprintln!("note: {note}");
    }
    if let Some(dim) = &args.split_unallocated {
        let unshared = allocate::split_unallocated(&mut merged, dim).map_err(usage)?;
        if unshared.slices > 0 {
            eprintln!(
                "warning: {} of unallocated cost in {} periods was not split: nothing else there has a cost to share it by",
                crate::model::exact_cost(unshared.cost),
                unshared.slices
            );
        }
    }
    shape(&mut merged, args.sort, args.top);
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| error(format!("cannot write {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    report::write(&merged, format, report::Style { charts: !args.no_charts }, &mut out)
        .and_then(|_| out.flush().map_err(Into::into))
        .map_err(|e| write_failure("cannot write the report", &e))?;
    Ok(super::exit::OK)
}

//! Report stage: render a `Report` as a table, CSV, JSON or Markdown.
//!
//! CONTRACT: `write(&report, format, &mut out)`.

use crate::allocate::Report;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Markdown,
}

pub fn write(_report: &Report, _format: Format, _out: &mut dyn Write) -> anyhow::Result<()> {
    todo!()
}

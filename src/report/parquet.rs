//! Parquet, through polars: typed columns collected row by row, then written as one
//! DataFrame. Money is `Decimal(38, s)` and never a float; times are UTC `Datetime`.
//!
//! The grouped report as Parquet has one row per group (no total row) with the CSV's
//! columns, typed, plus the 5-minute/1-hour cache-write split, list cost and the cost per
//! token type.

use super::rows::{self, Cell, Column, Kind, RowFormat, TimeUnit};
use crate::allocate::{Report, Totals};
use crate::model::TokenType;
use polars::prelude::{
    DataFrame, Int128Chunked, Int64Chunked, IntoColumn, IntoSeries, NamedFrom, NewChunkedArray, ParquetWriter,
    PlSmallStr, Series, TimeZone,
};
use rust_decimal::Decimal;
use std::io::Write;

/// Decimal columns get at least this scale: one schema for every file in practice
/// (costs need at most ~16 places: per-Mtok rates with a few decimals, divided by 10^6,
/// times a percentage), widened per file if a value needs more, so nothing is rounded.
pub(crate) const MIN_SCALE: u32 = 18;
/// The widest Parquet decimal polars writes (128-bit).
pub(crate) const PRECISION: usize = 38;

enum Data {
    Str(Vec<Option<String>>),
    U64(Vec<Option<u64>>),
    Dec(Vec<Option<Decimal>>),
    Time(Vec<Option<i64>>, TimeUnit),
    Bool(Vec<Option<bool>>),
}

/// Columns being collected, written on `write`.
pub(crate) struct Frame<'a> {
    columns: Vec<(String, Data)>,
    rows: usize,
    out: &'a mut dyn Write,
}

impl<'a> Frame<'a> {
    pub(crate) fn new(columns: &[Column], out: &'a mut dyn Write) -> Frame<'a> {
        let columns = columns
            .iter()
            .map(|c| {
                let data = match c.kind {
                    Kind::Str => Data::Str(Vec::new()),
                    Kind::U64 => Data::U64(Vec::new()),
                    Kind::Dec => Data::Dec(Vec::new()),
                    Kind::Time(unit) => Data::Time(Vec::new(), unit),
                    Kind::Bool => Data::Bool(Vec::new()),
                };
                (c.name.clone(), data)
            })
            .collect();
        Frame { columns, rows: 0, out }
    }

    /// Appends a row already checked against the columns.
    pub(crate) fn push(&mut self, cells: Vec<Cell>) {
        for ((_, data), cell) in self.columns.iter_mut().zip(cells) {
            match (data, cell) {
                (Data::Str(v), Cell::Str(x)) => v.push(x),
                (Data::U64(v), Cell::U64(x)) => v.push(x),
                (Data::Dec(v), Cell::Dec(x)) => v.push(x),
                (Data::Time(v, _), Cell::Time(x)) => v.push(x),
                (Data::Bool(v), Cell::Bool(x)) => v.push(x),
                _ => {}
            }
        }
        self.rows += 1;
    }

    pub(crate) fn write(self) -> anyhow::Result<()> {
        let columns = self
            .columns
            .into_iter()
            .map(|(name, data)| series(name.into(), data).map(IntoColumn::into_column))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut df = DataFrame::new(self.rows, columns)?;
        ParquetWriter::new(self.out).finish(&mut df)?;
        Ok(())
    }
}

fn series(name: PlSmallStr, data: Data) -> anyhow::Result<Series> {
    use polars::prelude::TimeUnit as Unit;
    Ok(match data {
        Data::Str(v) => Series::new(name, v),
        Data::U64(v) => Series::new(name, v),
        Data::Bool(v) => Series::new(name, v),
        Data::Time(v, unit) => {
            let (unit, div) = match unit {
                TimeUnit::Nanoseconds => (Unit::Nanoseconds, 1),
                TimeUnit::Microseconds => (Unit::Microseconds, 1_000),
            };
            Int64Chunked::from_iter_options(name, v.into_iter().map(|t| t.map(|t| t.div_euclid(div))))
                .into_datetime(unit, Some(TimeZone::UTC))
                .into_series()
        }
        Data::Dec(v) => {
            let (scale, mantissas) = decimal_mantissas(&v).map_err(|e| anyhow::anyhow!("column {name}: {e}"))?;
            Int128Chunked::from_iter_options(name, mantissas.into_iter())
                .into_decimal(PRECISION, scale as usize)?
                .into_series()
        }
    })
}

/// The column's scale and every value as an integer at that scale, exactly: the scale is
/// `MIN_SCALE` or more if a value needs it; a value that cannot fit 38 digits at that
/// scale is an error, never rounded.
fn decimal_mantissas(values: &[Option<Decimal>]) -> anyhow::Result<(u32, Vec<Option<i128>>)> {
    let scale = values.iter().flatten().map(|d| d.normalize().scale()).fold(MIN_SCALE, u32::max);
    let limit = 10i128.pow(PRECISION as u32);
    let mantissas = values
        .iter()
        .map(|d| {
            d.map(|d| {
                let d = d.normalize();
                10i128
                    .checked_pow(scale - d.scale())
                    .and_then(|f| d.mantissa().checked_mul(f))
                    .filter(|m| m.abs() < limit)
                    .ok_or_else(|| anyhow::anyhow!("{d} does not fit a Decimal({PRECISION}, {scale}) exactly"))
            })
            .transpose()
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((scale, mantissas))
}

/// The grouped report as Parquet.
pub(super) fn write(report: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut columns: Vec<Column> = report.group_by.iter().map(|g| Column::new(g, Kind::Str)).collect();
    columns.push(Column::new("requests", Kind::U64));
    columns.extend(TokenType::TOKENS.iter().map(|t| Column::new(t.name(), Kind::U64)));
    for name in ["cost", "list_cost"] {
        columns.push(Column::new(name, Kind::Dec));
    }
    columns.extend(TokenType::ALL.iter().map(|t| Column::new(format!("cost_{}", t.name()), Kind::Dec)));
    columns.push(Column::new("unpriced_requests", Kind::U64));
    columns.push(Column::new("reported_cost", Kind::Dec));
    columns.push(Column::new("price_entries", Kind::Str));
    let what_if = report.what_if.is_some();
    if what_if {
        columns.push(Column::new("what_if_cost", Kind::Dec));
        columns.push(Column::new("what_if_difference", Kind::Dec));
        columns.push(Column::new("what_if_unpriced_requests", Kind::U64));
    }
    let mut sink = rows::sink(RowFormat::Parquet, columns, out)?;
    for row in &report.rows {
        let mut cells: Vec<Cell> = row.group.iter().map(|g| Cell::str(g.as_str())).collect();
        cells.extend(totals_cells(&row.totals));
        if what_if {
            cells.push(Cell::Dec(row.totals.what_if_cost));
            cells.push(Cell::Dec(super::what_if_difference(&row.totals)));
            cells.push(Cell::U64(Some(row.totals.what_if_unpriced_requests)));
        }
        sink.row(cells)?;
    }
    sink.finish()
}

fn totals_cells(t: &Totals) -> Vec<Cell> {
    let tk = &t.tokens;
    let mut cells = vec![Cell::U64(Some(t.requests))];
    // Here reasoning is the subset of output, as in every grouped format.
    cells.extend(
        [tk.input, tk.cache_read, tk.cache_write_5m, tk.cache_write_1h, tk.output, tk.reasoning]
            .map(|n| Cell::U64(Some(n))),
    );
    cells.push(Cell::Dec(t.cost));
    cells.push(Cell::Dec(t.list_cost));
    // Per type only where something was priced: an unpriced group has no cost, not $0.
    cells.extend(t.cost_by_type.iter().map(|c| Cell::Dec(t.cost.map(|_| *c))));
    cells.push(Cell::U64(Some(t.unpriced_requests)));
    cells.push(Cell::Dec(t.reported_cost));
    cells.push(Cell::str(super::entries(t)));
    cells
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn decimals_are_rescaled_exactly_or_refused() {
        let (scale, m) = decimal_mantissas(&[Some(d("0.0071118")), None, Some(d("12.50"))]).unwrap();
        assert_eq!(scale, 18);
        assert_eq!(m, vec![Some(7_111_800_000_000_000), None, Some(12_500_000_000_000_000_000)]);
        // A value needing more places widens the column instead of being rounded.
        let (scale, m) = decimal_mantissas(&[Some(d("0.0000000000000000000123")), Some(d("1"))]).unwrap();
        assert_eq!((scale, m[1]), (22, Some(10i128.pow(22))));
        // 28 places and 11 integer digits need 39 digits: refused, not rounded.
        assert!(decimal_mantissas(&[Some(d("0.0000000000000000000000000001")), Some(d("12345678901"))]).is_err());
    }
}

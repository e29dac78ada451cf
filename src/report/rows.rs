//! Typed rows for the exports (line items, FOCUS, grouped Parquet). Each export declares
//! its columns once and produces cells; this module writes them as CSV, JSON lines or
//! Parquet, so no export has a twin per file format.

use crate::model::exact_cost;
use rust_decimal::Decimal;
use std::io::Write;

/// A column's type: the Parquet type, and how CSV/JSON spell its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    U64,
    /// Exact money or quantities: Parquet `Decimal(38, s)`, text elsewhere.
    Dec,
    /// Unix nanoseconds, UTC: Parquet `Datetime` in this unit, RFC 3339 elsewhere.
    Time(TimeUnit),
    Bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    Nanoseconds,
    /// For consumers (Spark, older readers) that do not take nanosecond timestamps.
    Microseconds,
}

/// One value; `None` is null (an empty CSV field).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell {
    Str(Option<String>),
    U64(Option<u64>),
    Dec(Option<Decimal>),
    /// Unix nanoseconds.
    Time(Option<i64>),
    Bool(Option<bool>),
}

impl Cell {
    pub(crate) fn str(s: impl Into<String>) -> Cell {
        Cell::Str(Some(s.into()))
    }

    fn fits(&self, kind: Kind) -> bool {
        matches!(
            (self, kind),
            (Cell::Str(_), Kind::Str)
                | (Cell::U64(_), Kind::U64)
                | (Cell::Dec(_), Kind::Dec)
                | (Cell::Time(_), Kind::Time(_))
                | (Cell::Bool(_), Kind::Bool)
        )
    }

    /// The CSV text of the value; `None` for null.
    fn text(&self) -> Option<String> {
        match self {
            Cell::Str(s) => s.clone(),
            Cell::U64(n) => n.map(|n| n.to_string()),
            Cell::Dec(d) => d.map(exact_cost),
            Cell::Time(t) => t.and_then(rfc3339),
            Cell::Bool(b) => b.map(|b| b.to_string()),
        }
    }

    fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Cell::U64(Some(n)) => Value::from(*n),
            Cell::Bool(Some(b)) => Value::from(*b),
            // Money stays an exact decimal string, as in the JSON report.
            other => other.text().map_or(Value::Null, Value::String),
        }
    }
}

/// `2026-11-21T09:00:00Z`, with a fraction only when there is one.
pub(crate) fn rfc3339(ns: i64) -> Option<String> {
    jiff::Timestamp::from_nanosecond(i128::from(ns)).ok().map(|t| t.to_string())
}

#[derive(Clone, Debug)]
pub(crate) struct Column {
    pub name: String,
    pub kind: Kind,
}

impl Column {
    pub(crate) fn new(name: impl Into<String>, kind: Kind) -> Column {
        Column { name: name.into(), kind }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowFormat {
    Csv,
    JsonLines,
    Parquet,
}

/// Where an export's rows go, one at a time.
pub(crate) trait RowSink {
    fn row(&mut self, cells: Vec<Cell>) -> anyhow::Result<()>;
    fn finish(self: Box<Self>) -> anyhow::Result<()>;
}

/// A sink for `columns`: CSV and JSON lines stream; Parquet collects columns and writes
/// them at the end.
pub(crate) fn sink<'a>(
    format: RowFormat,
    columns: Vec<Column>,
    out: &'a mut dyn Write,
) -> anyhow::Result<Box<dyn RowSink + 'a>> {
    Ok(match format {
        RowFormat::Csv => {
            super::csv::write_record(out, columns.iter().map(|c| c.name.as_str()))?;
            Box::new(Checked { columns, inner: CsvRows { out } })
        }
        RowFormat::JsonLines => {
            let names = columns.iter().map(|c| serde_json::to_string(&c.name)).collect::<Result<_, _>>()?;
            Box::new(Checked { columns, inner: JsonRows { out, names } })
        }
        #[cfg(feature = "parquet")]
        RowFormat::Parquet => Box::new(Checked { inner: super::parquet::Frame::new(&columns, out), columns }),
        #[cfg(not(feature = "parquet"))]
        RowFormat::Parquet => anyhow::bail!(crate::NO_PARQUET),
    })
}

/// The rows of one format, once checked against the columns.
trait Rows {
    fn row(&mut self, cells: Vec<Cell>) -> anyhow::Result<()>;
    fn finish(self) -> anyhow::Result<()>;
}

/// Checks every row against the columns: a mismatch is a bug in an export, reported as an
/// error rather than a corrupt file.
struct Checked<R> {
    columns: Vec<Column>,
    inner: R,
}

impl<R: Rows> RowSink for Checked<R> {
    fn row(&mut self, cells: Vec<Cell>) -> anyhow::Result<()> {
        anyhow::ensure!(
            cells.len() == self.columns.len() && cells.iter().zip(&self.columns).all(|(c, col)| c.fits(col.kind)),
            "internal error: an export row does not match its columns"
        );
        self.inner.row(cells)
    }

    fn finish(self: Box<Self>) -> anyhow::Result<()> {
        self.inner.finish()
    }
}

struct CsvRows<'a> {
    out: &'a mut dyn Write,
}

impl Rows for CsvRows<'_> {
    fn row(&mut self, cells: Vec<Cell>) -> anyhow::Result<()> {
        let texts: Vec<String> = cells.iter().map(|c| c.text().unwrap_or_default()).collect();
        Ok(super::csv::write_record(self.out, texts.iter().map(String::as_str))?)
    }

    fn finish(self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// One JSON object per line, keys in column order.
struct JsonRows<'a> {
    out: &'a mut dyn Write,
    /// Column names, already JSON-quoted.
    names: Vec<String>,
}

impl Rows for JsonRows<'_> {
    fn row(&mut self, cells: Vec<Cell>) -> anyhow::Result<()> {
        let mut line = String::from("{");
        for (i, (name, cell)) in self.names.iter().zip(&cells).enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(name);
            line.push(':');
            line.push_str(&cell.json().to_string());
        }
        line.push_str("}\n");
        Ok(self.out.write_all(line.as_bytes())?)
    }

    fn finish(self) -> anyhow::Result<()> {
        Ok(())
    }
}

#[cfg(feature = "parquet")]
impl Rows for super::parquet::Frame<'_> {
    fn row(&mut self, cells: Vec<Cell>) -> anyhow::Result<()> {
        self.push(cells);
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        self.write()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn columns() -> Vec<Column> {
        vec![
            Column::new("name", Kind::Str),
            Column::new("n", Kind::U64),
            Column::new("cost", Kind::Dec),
            Column::new("at", Kind::Time(TimeUnit::Nanoseconds)),
            Column::new("ok", Kind::Bool),
        ]
    }

    fn row() -> Vec<Cell> {
        vec![
            Cell::str("a,\"b\""),
            Cell::U64(Some(3)),
            Cell::Dec(Some(Decimal::from_str("0.00120").unwrap())),
            Cell::Time(Some(1_795_390_200_000_000_001)),
            Cell::Bool(None),
        ]
    }

    fn render(format: RowFormat) -> String {
        let mut out = Vec::new();
        let mut s = sink(format, columns(), &mut out).unwrap();
        s.row(row()).unwrap();
        s.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_and_json_lines() {
        assert_eq!(
            render(RowFormat::Csv),
            "name,n,cost,at,ok\n\"a,\"\"b\"\"\",3,0.0012,2026-11-22T23:30:00.000000001Z,\n"
        );
        assert_eq!(
            render(RowFormat::JsonLines),
            "{\"name\":\"a,\\\"b\\\"\",\"n\":3,\"cost\":\"0.0012\",\"at\":\"2026-11-22T23:30:00.000000001Z\",\"ok\":null}\n"
        );
    }

    #[test]
    fn a_row_that_does_not_match_is_an_error() {
        let mut out = Vec::new();
        let mut s = sink(RowFormat::Csv, columns(), &mut out).unwrap();
        assert!(s.row(vec![Cell::U64(None)]).is_err());
        let mut wrong = row();
        wrong[1] = Cell::str("3");
        assert!(s.row(wrong).is_err());
    }
}

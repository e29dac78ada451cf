//! FinOps FOCUS 1.x datasets (AWS Data Exports `FOCUS_1_2_AWS`, Azure `FocusCost`, Google
//! Cloud's FOCUS export, LiteLLM's `focus` callback): one row per charge, `BilledCost` in
//! `BillingCurrency`, `ChargePeriodStart` in UTC. The model and token type live only in
//! provider-specific text, found through the meter table (`meters.toml`).

use super::meters::{Meters, TEXT_COLUMNS};
use super::{day_of_rfc3339, decimal, Bill, BillRow, Class, Kind};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The columns a FOCUS dataset must have to be read as one.
const REQUIRED: [&str; 2] = ["ChargePeriodStart", "BilledCost"];

/// The bill in a CSV text, if its header is a FOCUS header.
pub fn read_csv(file: &str, text: &str, meters: &Meters) -> Result<Option<Bill>, String> {
    let mut records = Records { text, pos: 0, line: 1 };
    let Some((_, header)) = records.next_record() else { return Ok(None) };
    let lines = std::iter::from_fn(|| records.next_record()).map(|(line, fields)| (format!("{file}:{line}"), fields));
    read_rows(file, &header, lines, meters)
}

/// The bill in a FOCUS Parquet file. Values are read as their text: decimals exactly,
/// times as RFC 3339 UTC; a money column stored as a float (not FOCUS's decimal) is read
/// through its shortest round-trip text, the best a float column allows.
#[cfg(feature = "parquet")]
pub fn read_parquet(file: &str, bytes: &[u8], meters: &Meters) -> Result<Bill, String> {
    use polars::prelude::{AnyValue, ParquetReader, SerReader, TimeUnit};
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| format!("{file}: not a readable Parquet file: {e}"))?;
    let header: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let columns = df.columns();
    let text = |v: AnyValue<'_>| -> String {
        match v {
            AnyValue::Null => String::new(),
            AnyValue::String(s) => s.to_string(),
            AnyValue::StringOwned(s) => s.to_string(),
            AnyValue::Decimal(m, _, scale) => u32::try_from(scale)
                .ok()
                .and_then(|s| Decimal::try_from_i128_with_scale(m, s).ok())
                .map_or_else(String::new, |d| d.normalize().to_string()),
            AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => {
                let ns = match unit {
                    TimeUnit::Nanoseconds => i128::from(t),
                    TimeUnit::Microseconds => i128::from(t) * 1_000,
                    TimeUnit::Milliseconds => i128::from(t) * 1_000_000,
                };
                jiff::Timestamp::from_nanosecond(ns).map(|t| t.to_string()).unwrap_or_default()
            }
            other => other.to_string().trim_matches('"').to_string(),
        }
    };
    let rows = (0..df.height()).map(|i| {
        let fields = columns.iter().map(|c| c.get(i).map(&text).unwrap_or_default()).collect();
        (format!("{file}: row {}", i + 1), fields)
    });
    read_rows(file, &header, rows, meters)?.ok_or_else(|| {
        format!(
            "{file}: a Parquet file, but not FOCUS (no ChargePeriodStart and BilledCost columns); {}",
            super::EXPECTED
        )
    })
}

/// Without the `parquet` feature there is no Parquet reader: say how to get one.
#[cfg(not(feature = "parquet"))]
pub fn read_parquet(file: &str, _bytes: &[u8], _meters: &Meters) -> Result<Bill, String> {
    Err(format!("{file}: a Parquet file; {} (or export the FOCUS dataset as CSV)", crate::NO_PARQUET))
}

/// The rows of a FOCUS table (CSV or Parquet), if its header is a FOCUS header; each row
/// comes with its location for messages.
fn read_rows(
    file: &str,
    header: &[String],
    rows: impl Iterator<Item = (String, Vec<String>)>,
    meters: &Meters,
) -> Result<Option<Bill>, String> {
    if !REQUIRED.iter().all(|r| header.iter().any(|h| h == r)) {
        return Ok(None);
    }
    let index: HashMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    let mut bill = Bill { file: file.to_string(), kind: Kind::Focus, rows: Vec::new(), notes: Vec::new() };
    let mut skipped = (0u64, Decimal::ZERO);
    for (at, fields) in rows {
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get =
            |name: &str| index.get(name).and_then(|&i| fields.get(i)).map(String::as_str).filter(|v| !v.is_empty());
        match row(&get, &at, meters)? {
            Some(r) => bill.rows.push(r),
            None => {
                skipped.0 += 1;
                skipped.1 += get("BilledCost").and_then(decimal).unwrap_or_default();
            }
        }
    }
    if skipped.0 > 0 {
        bill.notes.push(format!(
            "{file}: {} row{} outside AI and Machine Learning that no meter matched ({} billed) left out",
            skipped.0,
            if skipped.0 == 1 { "" } else { "s" },
            crate::model::exact_cost(skipped.1)
        ));
    }
    Ok(Some(bill))
}

/// One FOCUS row as a bill row; `None` for a row that is not an AI charge.
fn row<'a>(get: &dyn Fn(&str) -> Option<&'a str>, at: &str, meters: &Meters) -> Result<Option<BillRow>, String> {
    let start = get("ChargePeriodStart").ok_or_else(|| format!("{at}: ChargePeriodStart is empty"))?;
    let day = day_of_rfc3339(start).ok_or_else(|| format!("{at}: ChargePeriodStart {start:?} is not a UTC time"))?;
    let amount = match get("BilledCost") {
        Some(text) => Some(decimal(text).ok_or_else(|| format!("{at}: BilledCost {text:?} is not a number"))?),
        None => None,
    };
    if let Some(currency) = get("BillingCurrency").filter(|c| !c.eq_ignore_ascii_case("USD")) {
        return Err(format!("{at}: BillingCurrency {currency:?}: only USD bills are compared"));
    }
    let billed_by = provider(get("ProviderName").or(get("InvoiceIssuerName")).unwrap_or(""));
    let texts: Vec<Option<&str>> = TEXT_COLUMNS.iter().map(|c| get(c)).chain([get("ServiceName")]).collect();
    let base = BillRow {
        kind: Some(Kind::Focus),
        day,
        amount,
        sub_account: get("SubAccountId").map(String::from),
        location: at.to_string(),
        tier: "standard".into(),
        ..Default::default()
    };
    if get("ChargeCategory").is_some_and(|c| c.eq_ignore_ascii_case("tax")) {
        return Ok(Some(BillRow { provider: billed_by, class: Some(Class::Tax), ..base }));
    }
    if let Some(r) = meters.recognise(&texts) {
        let quantity = match (get("ConsumedQuantity"), get("ConsumedUnit")) {
            (Some(q), Some(unit)) if r.class.is_tokens() => tokens(q, unit),
            _ => None,
        };
        return Ok(Some(BillRow {
            provider: if r.provider == "*" { billed_by } else { r.provider },
            model: r.model,
            class: Some(r.class),
            tier: r.tier,
            quantity,
            ..base
        }));
    }
    let ai = get("ServiceCategory").is_some_and(|c| c.eq_ignore_ascii_case("AI and Machine Learning"));
    Ok(ai.then_some(BillRow { provider: billed_by, class: Some(Class::OtherCharge), ..base }))
}

/// A token count from a quantity in a token unit (`Tokens`, `1K Tokens`, `1M Tokens`);
/// `None` for another unit or a count that is not whole.
fn tokens(quantity: &str, unit: &str) -> Option<u64> {
    let unit = unit.trim().to_ascii_lowercase();
    let per = unit.strip_suffix("tokens").or_else(|| unit.strip_suffix("token"))?.trim();
    let scale = match per {
        "" => Decimal::ONE,
        "1k" | "1000" => Decimal::from(1_000),
        "1m" | "1000000" => Decimal::from(1_000_000),
        _ => return None,
    };
    let n = decimal(quantity)?.checked_mul(scale)?;
    use rust_decimal::prelude::ToPrimitive;
    n.fract().is_zero().then(|| n.to_u64()).flatten()
}

/// FOCUS `ProviderName` as the join's provider id (`AWS` → `aws`, `Microsoft` → `azure`).
fn provider(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    match lower.as_str() {
        "amazon web services" | "aws" => "aws".into(),
        "microsoft" | "microsoft azure" | "azure" => "azure".into(),
        "google cloud" | "google cloud platform" | "gcp" | "google" => "google".into(),
        _ => crate::price::provider_id(&lower),
    }
}

/// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks.
struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl Records<'_> {
    /// The next record and the line it starts on.
    fn next_record(&mut self) -> Option<(usize, Vec<String>)> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start_line = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = self.text[self.pos..].char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek().map(|(_, c)| *c) == Some('"') => {
                    field.push('"');
                    chars.next();
                }
                (true, '"') => quoted = false,
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => fields.push(std::mem::take(&mut field)),
                (false, '\n') => {
                    self.pos += i + 1;
                    self.line += 1;
                    fields.push(field.trim_end_matches('\r').to_string());
                    return Some((start_line, fields));
                }
                (_, c) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    field.push(c);
                }
            }
        }
        self.pos = self.text.len();
        fields.push(field.trim_end_matches('\r').to_string());
        Some((start_line, fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_units() {
        assert_eq!(tokens("72", "Tokens"), Some(72));
        assert_eq!(tokens("1.732", "1K Tokens"), Some(1732));
        assert_eq!(tokens("0.5", "1M tokens"), Some(500_000));
        assert_eq!(tokens("1.5", "Tokens"), None);
        assert_eq!(tokens("2", "Hours"), None);
    }

    #[test]
    fn csv_records() {
        let mut r = Records { text: "a,\"b,\"\"c\"\"\",d\r\n\"two\nlines\",x\nlast", pos: 0, line: 1 };
        assert_eq!(r.next_record(), Some((1, vec!["a".into(), "b,\"c\"".into(), "d".into()])));
        assert_eq!(r.next_record(), Some((2, vec!["two\nlines".into(), "x".into()])));
        assert_eq!(r.next_record(), Some((4, vec!["last".into()])));
        assert_eq!(r.next_record(), None);
    }
}

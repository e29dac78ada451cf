//! CSV: one row per group, exact costs, no total row (spreadsheets sum columns
//! themselves). Fields are quoted per RFC 4180; records end with `\n`.

use super::{cost_difference, machine_columns};
use crate::allocate::{CostMode, Report, Totals};
use crate::model::exact_cost;
use std::io::Write;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let header = report.group_by.iter().map(String::as_str).chain(machine_columns(report));
    write_record(out, header)?;
    for row in &report.rows {
        let nums = numbers(&row.totals, report);
        let fields = row.group.iter().map(String::as_str).chain(nums.iter().map(String::as_str));
        write_record(out, fields)?;
    }
    Ok(())
}

/// The numeric fields in `machine_columns` order; costs are exact and empty when unknown.
fn numbers(t: &Totals, report: &Report) -> Vec<String> {
    let mode = report.cost_mode;
    let mut fields = vec![
        t.requests.to_string(),
        t.tokens.input.to_string(),
        t.tokens.cache_read.to_string(),
        t.tokens.cache_write().to_string(),
        t.tokens.output.to_string(),
        t.tokens.reasoning.to_string(),
    ];
    let money = |d: Option<rust_decimal::Decimal>| d.map(exact_cost).unwrap_or_default();
    match mode {
        CostMode::Computed => fields.extend([money(t.cost), t.unpriced_requests.to_string()]),
        CostMode::Reported => fields.push(money(t.reported_cost)),
        CostMode::Both => fields.extend([
            money(t.cost),
            money(t.reported_cost),
            money(cost_difference(t)),
            t.unpriced_requests.to_string(),
        ]),
    }
    if report.prices_used.is_some() {
        fields.push(super::entries(t));
    }
    if super::is_split(report) {
        fields.extend([money(t.shared_cost), money(super::charged(t))]);
    }
    if report.what_if.is_some() {
        fields.extend([
            money(t.what_if_cost),
            money(super::what_if_difference(t)),
            t.what_if_unpriced_requests.to_string(),
        ]);
    }
    fields
}

pub(super) fn write_record<'a>(out: &mut dyn Write, fields: impl IntoIterator<Item = &'a str>) -> std::io::Result<()> {
    let line: Vec<String> = fields.into_iter().map(escape).collect();
    writeln!(out, "{}", line.join(","))
}

/// RFC 4180: a field holding a comma, a double quote, CR or LF is wrapped in double
/// quotes, and each double quote inside is doubled.
fn escape(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use crate::report::Format;

    #[test]
    fn escaping() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape(""), "");
        assert_eq!(escape("a,b"), "\"a,b\"");
        assert_eq!(escape("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(escape("two\nlines"), "\"two\nlines\"");
        assert_eq!(escape("cr\r"), "\"cr\r\"");
        assert_eq!(escape("a|b"), "a|b");
    }

    #[test]
    fn exact_text() {
        let got = fixture::render(&fixture::report(), Format::Csv);
        let want = "\
model,user,requests,input,cache_read,cache_write,output,reasoning,cost,unpriced_requests
claude-sonnet-4,alice,1200,1234567,15011,3000,45000,0,12.3456,0
gpt-4o-mini-2024-07-18,\"team \"\"a\"\", b|c\",3,1738,1408,0,57,12,0.0012345,1
mystery-model,(none),2,100,0,0,10,0,,2
";
        assert_eq!(got, want);
        assert!(!got.contains("TOTAL"));
    }

    #[test]
    fn header_names_are_escaped_too() {
        let mut r = fixture::report();
        r.group_by[1] = "user,id".into();
        let got = fixture::render(&r, Format::Csv);
        assert!(got.starts_with("model,\"user,id\",requests,"));
    }
}

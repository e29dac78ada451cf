//! Table: for humans, drawn with comfy-table.
//!
//! Output never depends on the terminal: no width lookup, no wrapping, no ANSI styling
//! (the `TOTAL` row is set apart by a rule instead of bold), so the same report always
//! prints the same bytes.

use super::{
    group_int, human_cells, human_columns, partial_footnote, printable, token_cells, COST_INDEX, PARTIAL_MARKER,
    TOTAL_LABEL, UNPRICED_HEADING,
};
use crate::allocate::{CostMode, Report, NONE};
use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, ContentArrangement, Table};
use std::io::Write;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let dims = report.group_by.len().max(1);
    let mut headers: Vec<String> = report.group_by.iter().map(|d| printable(d)).collect();
    if headers.is_empty() {
        headers.push(String::new()); // a column for the TOTAL label
    }
    headers.extend(human_columns(report).iter().map(|c| c.to_string()));

    let footnote = partial_footnote(report);
    // With a marker in the column, unmarked costs are padded so the digits line up.
    let numbers = |t| {
        let mut cells = human_cells(t, report);
        if footnote.is_some() && report.cost_mode != CostMode::Reported {
            if let Some(cost) = cells.get_mut(COST_INDEX) {
                if !cost.ends_with(PARTIAL_MARKER) {
                    cost.push_str(&" ".repeat(PARTIAL_MARKER.len() + 1));
                }
            }
        }
        cells
    };

    let mut table = new_table(headers, dims);
    for row in &report.rows {
        let mut cells: Vec<String> = row.group.iter().map(|g| printable(g)).collect();
        cells.resize(dims, String::new());
        cells.extend(numbers(&row.totals));
        table.add_row(cells);
    }
    let mut total = vec![TOTAL_LABEL.to_string()];
    total.resize(dims, String::new());
    total.extend(numbers(&report.total));
    table.add_row(total);

    writeln!(out, "{}", with_rule_before_total(&table))?;
    if let Some(note) = footnote {
        writeln!(out, "{note}")?;
    }
    for line in super::what_if_footnotes(report) {
        writeln!(out, "{line}")?;
    }
    if let Some(date) = &report.prices_date {
        writeln!(out, "Prices of {date}.")?;
    }

    if let Some(prices) = &report.prices_used {
        writeln!(out)?;
        writeln!(out, "{}", super::PRICES_HEADING)?;
        for line in prices {
            writeln!(out, "  {}", printable(line))?;
        }
    }
    if !report.unpriced.is_empty() {
        let mut headers: Vec<String> = vec!["model".into(), "provider".into()];
        headers.extend(["requests", "input", "cache read", "cache write", "output", "reasoning"].map(String::from));
        let mut t = new_table(headers, 2);
        for u in &report.unpriced {
            let mut cells =
                vec![printable(&u.model), printable(u.provider.as_deref().unwrap_or(NONE)), group_int(u.requests)];
            cells.extend(token_cells(&u.tokens));
            t.add_row(cells);
        }
        writeln!(out)?;
        writeln!(out, "{UNPRICED_HEADING}")?;
        writeln!(out, "{t}")?;
    }
    Ok(())
}

/// A deterministic table: UTF-8 borders, no wrapping, no tty; columns from
/// `text_columns` on right-aligned.
pub(super) fn new_table(headers: Vec<String>, text_columns: usize) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers);
    let n = table.column_count();
    for i in text_columns..n {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// Renders the table with a thin rule above its last row (the total). The total row is
/// always one line (its cells are labels and numbers), just above the bottom border.
fn with_rule_before_total(table: &Table) -> String {
    let mut lines: Vec<String> = table.lines().collect();
    let rule: Option<String> = lines.iter().find(|l| l.starts_with('╞')).map(|l| {
        l.chars()
            .map(|c| match c {
                '╞' => '├',
                '═' => '─',
                '╪' => '┼',
                '╡' => '┤',
                other => other,
            })
            .collect()
    });
    // header, header rule, ≥1 data row before the total: only then is a rule useful.
    if let Some(rule) = rule {
        if lines.len() >= 6 {
            let at = lines.len() - 2;
            lines.insert(at, rule);
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use crate::report::fixture;
    use crate::report::Format;

    fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
        text.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
    }

    #[test]
    fn renders() {
        let text = fixture::render(&fixture::report(), Format::Table);
        eprintln!("{text}");
        let header = line_with(&text, "requests");
        for h in ["model", "user", "input", "cache read", "cache write", "output", "reasoning", "cost (USD)"] {
            assert!(header.contains(h), "header lacks {h}");
        }
        let first = line_with(&text, "claude-sonnet-4");
        assert!(first.contains("1,234,567"));
        assert!(first.contains("15,011"));
        assert!(first.contains("3,000"));
        assert!(first.contains("12.35"));

        // costs line up: the unmarked cost is padded as wide as the marker
        assert!(first.contains("12.35   │"), "{first}");
        let partial = line_with(&text, "gpt-4o-mini");
        assert!(partial.contains("0.0012 *"));
        assert!(partial.contains(fixture::NASTY));

        let unpriced = line_with(&text, "mystery-model");
        assert!(unpriced.contains("unpriced"));
        assert!(!unpriced.contains("$0"));
        assert!(!unpriced.contains("0.00"));

        let total = line_with(&text, "TOTAL");
        assert!(total.contains("12.35 *"));
        assert!(total.contains("1,205"));

        assert!(text.contains("* cost covers priced calls only: 3 calls in total are unpriced (see below)"));
        assert!(text.contains("Unpriced models (no price found; tokens counted, cost not):"));
        assert!(line_with(&text, "gpt-9").contains("openai"));
        assert!(!text.contains('$'));
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn total_is_separated_and_right_aligned() {
        let text = fixture::render(&fixture::report(), Format::Table);
        let lines: Vec<&str> = text.lines().collect();
        let t = lines.iter().position(|l| l.contains("TOTAL")).unwrap();
        assert!(lines[t - 1].starts_with('├'), "{text}");
        assert!(lines[t + 1].starts_with('└'));
        // right alignment: the requests column of the total ends where its header ends.
        let header = lines[1];
        let end = |l: &str, s: &str| l.find(s).unwrap() + s.len();
        let col_end = end(header, "requests");
        assert_eq!(end(lines[t], "1,205"), col_end);
    }

    #[test]
    fn deterministic_and_unwrapped() {
        let mut r = fixture::report();
        r.rows[0].group[1] = "x".repeat(300);
        let a = fixture::render(&r, Format::Table);
        let b = fixture::render(&r, Format::Table);
        assert_eq!(a, b);
        assert!(a.contains(&"x".repeat(300)));
    }

    #[test]
    fn no_dimensions() {
        let mut r = fixture::report();
        r.group_by.clear();
        r.rows.truncate(1);
        r.rows[0].group.clear();
        let text = fixture::render(&r, Format::Table);
        assert!(line_with(&text, "TOTAL").contains("12.35 *"));
        assert_eq!(text.lines().filter(|l| l.contains("45,000")).count(), 1);
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut r = fixture::report();
        r.rows[0].group[1] = "two\nlines\x1b[31m".into();
        let text = fixture::render(&r, Format::Table);
        assert!(text.contains("two\\nlines\\u{1b}[31m"));
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn no_unpriced_section_or_footnote_when_all_priced() {
        let mut r = fixture::report();
        r.rows.truncate(1);
        r.total = r.rows[0].totals.clone();
        r.unpriced.clear();
        let text = fixture::render(&r, Format::Table);
        assert!(!text.contains("Unpriced"));
        assert!(!text.contains('*'));
    }
}

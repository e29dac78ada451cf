//! Markdown: a GitHub-flavoured table with the table format's columns and display
//! rounding, the total row in bold, and unpriced models as a bullet list; then, unless
//! `--no-charts`, Mermaid charts (GitHub draws them in summaries and comments): the cost by
//! the first dimension as a pie, and the cost over time as bars when there is more than
//! one time bucket.

use super::{
    group_int, human_cells, human_columns, partial_footnote, printable, shown_cost, ChartSeries, TOTAL_LABEL,
    UNPRICED_HEADING,
};
use crate::allocate::Report;
use crate::model::exact_cost;
use std::io::Write;

pub(super) fn write(report: &Report, charts: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let dims = report.group_by.len().max(1);
    let mut headers: Vec<String> = report.group_by.iter().map(|d| escape(d)).collect();
    if headers.is_empty() {
        headers.push(String::new());
    }
    headers.extend(human_columns(report).iter().map(|c| c.to_string()));
    write_row(out, &headers)?;
    let rule: Vec<String> = (0..headers.len()).map(|i| if i < dims { "---" } else { "---:" }.to_string()).collect();
    write_row(out, &rule)?;

    for row in &report.rows {
        let mut cells: Vec<String> = row.group.iter().map(|g| escape(g)).collect();
        cells.resize(dims, String::new());
        cells.extend(human_cells(&row.totals, report).iter().map(|c| escape(c)));
        write_row(out, &cells)?;
    }
    let mut total = vec![TOTAL_LABEL.to_string()];
    total.resize(dims, String::new());
    total.extend(human_cells(&report.total, report).iter().map(|c| escape(c)));
    let total: Vec<String> = total.into_iter().map(|c| if c.is_empty() { c } else { format!("**{c}**") }).collect();
    write_row(out, &total)?;

    if let Some(note) = partial_footnote(report) {
        writeln!(out)?;
        writeln!(out, "{}", escape(&note))?;
    }
    for line in super::what_if_footnotes(report) {
        writeln!(out)?;
        writeln!(out, "{}", escape(&line))?;
    }
    if let Some(date) = &report.prices_date {
        writeln!(out)?;
        writeln!(out, "Prices of {}.", escape(date))?;
    }
    if charts {
        write_charts(report, out)?;
    }
    if let Some(prices) = &report.prices_used {
        writeln!(out)?;
        writeln!(out, "{}", super::PRICES_HEADING)?;
        writeln!(out)?;
        for line in prices {
            writeln!(out, "- {}", escape(line))?;
        }
    }
    if !report.unpriced.is_empty() {
        writeln!(out)?;
        writeln!(out, "{UNPRICED_HEADING}")?;
        writeln!(out)?;
        for u in &report.unpriced {
            let provider = u.provider.as_deref().map(|p| format!(" ({})", escape(p))).unwrap_or_default();
            let t = &u.tokens;
            writeln!(
                out,
                "- {}{provider}: {} request{}; tokens: {} input, {} cache read, {} cache write, {} output ({} reasoning)",
                escape(&u.model),
                group_int(u.requests),
                if u.requests == 1 { "" } else { "s" },
                group_int(t.input),
                group_int(t.cache_read),
                group_int(t.cache_write()),
                group_int(t.output),
                group_int(t.reasoning),
            )?;
        }
    }
    Ok(())
}

/// Mermaid blocks: a pie of the cost by the split dimension, bars of the cost per time
/// bucket. Values are the exact decimals. Labels are quoted: `"` becomes `'`, and `<`, `>`
/// become `‹`, `›` so that no label reads as markup wherever the chart is drawn.
fn write_charts(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mode = report.cost_mode;
    let overview = &report.overview;
    let label = |s: &str| printable(s).replace('"', "'").replace('<', "‹").replace('>', "›");
    let series = ChartSeries::new(report);
    if let Some(dimension) = &overview.dimension {
        if !series.names.is_empty() {
            writeln!(out, "\n```mermaid\npie showData title Cost by {} (USD)", label(dimension))?;
            for (name, cost) in series.names.iter().zip(&series.costs).filter(|(_, c)| !c.is_zero()) {
                writeln!(out, "    \"{}\" : {}", label(name), exact_cost(*cost))?;
            }
            writeln!(out, "```")?;
        }
    }
    if let Some(timeline) = &overview.timeline {
        let buckets = timeline.buckets();
        if buckets.len() > 1 {
            let mut costs = vec![rust_decimal::Decimal::ZERO; buckets.len()];
            for ((bucket, _), totals) in &timeline.points {
                if let Ok(i) = buckets.binary_search(bucket) {
                    costs[i] += shown_cost(totals, mode).unwrap_or_default();
                }
            }
            let x: Vec<String> = buckets.iter().map(|b| format!("\"{}\"", label(b))).collect();
            let y: Vec<String> = costs.iter().map(|c| exact_cost(*c)).collect();
            writeln!(out, "\n```mermaid\nxychart-beta\n    title \"Cost per {} (USD)\"", timeline.bucket.name())?;
            writeln!(out, "    x-axis [{}]\n    y-axis \"USD\"\n    bar [{}]\n```", x.join(", "), y.join(", "))?;
        }
    }
    Ok(())
}

fn write_row(out: &mut dyn Write, cells: &[String]) -> std::io::Result<()> {
    writeln!(out, "| {} |", cells.join(" | "))
}

/// Text for a Markdown table cell: control characters escaped (a newline would end the
/// row), and the characters Markdown would act on (`|` ends a cell) backslash-escaped.
fn escape(s: &str) -> String {
    let s = printable(s);
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if matches!(c, '\\' | '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;
    use crate::report::fixture;
    use crate::report::Format;

    #[test]
    fn escaping() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("a\nb"), "a\\\\nb");
        assert_eq!(escape("gpt_4*"), "gpt\\_4\\*");
        assert_eq!(escape("plain-text 1,234.50"), "plain-text 1,234.50");
    }

    #[test]
    fn renders() {
        let text = fixture::render(&fixture::report(), Format::Markdown);
        eprintln!("{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "| model | user | requests | input | cache read | cache write | output | reasoning | cost (USD) |"
        );
        assert_eq!(lines[1], "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        assert_eq!(lines[2], "| claude-sonnet-4 | alice | 1,200 | 1,234,567 | 15,011 | 3,000 | 45,000 | 0 | 12.35 |");
        assert_eq!(
            lines[3],
            "| gpt-4o-mini-2024-07-18 | team \"a\", b\\|c | 3 | 1,738 | 1,408 | 0 | 57 | 12 | 0.0012 \\* |"
        );
        assert_eq!(lines[4], "| mystery-model | (none) | 2 | 100 | 0 | 0 | 10 | 0 | unpriced |");
        assert!(lines[5].starts_with("| **TOTAL** |  | **1,205** |"), "{}", lines[5]);
        assert!(lines[5].ends_with("| **12.35 \\*** |"), "{}", lines[5]);
        // every table line has the same number of unescaped pipes
        let pipes = |l: &str| l.replace("\\|", "").matches('|').count();
        assert!(lines[..6].iter().all(|l| pipes(l) == 10));

        assert!(text.contains("Unpriced models (no price found; tokens counted, cost not):"));
        assert!(text.contains("- mystery-model: 2 requests; tokens: 100 input,"));
        assert!(text.contains("- gpt-9 (openai): 1 request; tokens: 50 input,"));
        assert!(text.ends_with('\n'));

        // The charts, between the table's footnote and the unpriced list.
        let pie = "```mermaid\npie showData title Cost by model (USD)\n    \"claude-sonnet-4\" : 12.3456\n    \"gpt-4o-mini-2024-07-18\" : 0.0012345\n```\n";
        assert!(text.contains(pie), "{text}");
        let bars = "```mermaid\nxychart-beta\n    title \"Cost per hour (USD)\"\n    \
                    x-axis [\"2026-11-21 09:00\", \"2026-11-21 10:00\", \"2026-11-21 11:00\"]\n    \
                    y-axis \"USD\"\n    bar [12.3456, 0, 0.0012345]\n```\n";
        assert!(text.contains(bars), "{text}");
        assert!(text.find(pie) < text.find("Unpriced models"));
    }

    #[test]
    fn no_charts_leaves_only_the_table() {
        let mut out = Vec::new();
        crate::report::write(&fixture::report(), Format::Markdown, crate::report::Style { charts: false }, &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("```"), "{text}");
        assert_eq!(text, fixture::render(&fixture::report(), Format::Markdown).replace(&charts_of_fixture(), ""));
    }

    /// The Mermaid blocks of the fixture's Markdown, as written.
    fn charts_of_fixture() -> String {
        let text = fixture::render(&fixture::report(), Format::Markdown);
        let start = text.find("\n```mermaid").unwrap();
        let end = text.rfind("```\n").unwrap() + 4;
        text[start..end].to_string()
    }

    #[test]
    fn one_bucket_draws_no_timeline_and_quotes_are_kept_out_of_labels() {
        let mut report = fixture::report();
        report.overview.groups[0].0 = "a \"quoted\" model".into();
        let timeline = report.overview.timeline.as_mut().unwrap();
        timeline.points.retain(|(time, _), _| time.ends_with("09:00"));
        let text = fixture::render(&report, Format::Markdown);
        assert!(text.contains("    \"a 'quoted' model\" : 12.3456\n"), "{text}");
        assert!(!text.contains("xychart-beta"), "{text}");
    }
}

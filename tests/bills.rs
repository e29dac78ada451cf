//! `otelcost compare-bill` end to end: the vendors' documented payloads parse, and the
//! synthetic bills built from a capture's truth (tests/bills/README.md) give exactly the
//! expected coverage table.

mod common;

use common::{otelcost, root, testdata};
use serde_json::Value;

fn bill(name: &str) -> String {
    root().join("tests/bills").join(name).display().to_string()
}

fn capture() -> String {
    testdata("emitters/b_openllmetry")
}

/// `compare-bill` on the capture with these bills, as JSON (asserting exit 0).
fn compare_json(bills: &[&str], extra: &[&str]) -> Value {
    let capture = capture();
    let mut args = vec!["compare-bill", capture.as_str(), "--format", "json", "--quiet"];
    let paths: Vec<String> = bills.iter().map(|b| bill(b)).collect();
    for p in &paths {
        args.extend(["--bill", p.as_str()]);
    }
    args.extend_from_slice(extra);
    let run = otelcost(&args);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
}

/// The bill-side rows: (day, provider, model, class, tier, billed, billed_quantity).
fn billed_rows(doc: &Value) -> Vec<(String, String, String, String, String, Value, Value)> {
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["billed"].is_null() || !r["billed_quantity"].is_null())
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (
                s("day"),
                s("provider"),
                s("model"),
                s("class"),
                s("tier"),
                r["billed"].clone(),
                r["billed_quantity"].clone(),
            )
        })
        .collect()
}

fn row(
    day: &str,
    p: &str,
    m: &str,
    c: &str,
    t: &str,
    billed: Value,
    q: Value,
) -> (String, String, String, String, String, Value, Value) {
    (day.into(), p.into(), m.into(), c.into(), t.into(), billed, q)
}

#[test]
fn documented_openai_costs_page_parses_with_the_float_read_exactly() {
    let doc = compare_json(&["docs/openai_costs.docs.json"], &[]);
    assert_eq!(doc["bills"][0]["kind"], "OpenAI Costs API");
    // An ungrouped page (line_item null): money for the day, not itemised.
    assert_eq!(
        billed_rows(&doc),
        vec![row("2024-11-01", "openai", "-", "unitemised", "standard", "0.06".into(), Value::Null)]
    );
    assert_eq!(doc["rows"][0]["reason"], "not_itemised");
    assert_eq!(doc["days"][0]["billed"], "0.06");
}

#[test]
fn documented_openai_usage_page_parses_into_token_classes() {
    let doc = compare_json(&["docs/openai_usage_completions.docs.json"], &[]);
    assert_eq!(doc["bills"][0]["kind"], "OpenAI Usage API");
    // input_tokens 1000 includes the 800 cached: 200 uncached, 800 cache read, 500 output.
    let q = |n: u64| Value::from(n);
    assert_eq!(
        billed_rows(&doc),
        vec![
            row("2024-11-01", "openai", "-", "input", "standard", Value::Null, q(200)),
            row("2024-11-01", "openai", "-", "cache_read", "standard", Value::Null, q(800)),
            row("2024-11-01", "openai", "-", "output", "standard", Value::Null, q(500)),
        ]
    );
    // No money in a usage export: no coverage, said so.
    assert_eq!(doc["coverage_percent"], Value::Null);
}

#[test]
fn documented_anthropic_cost_report_parses_cents_into_dollars() {
    let doc = compare_json(&["docs/anthropic_cost_report.docs.json"], &[]);
    assert_eq!(doc["bills"][0]["kind"], "Anthropic cost_report");
    // "123.78912" cents of claude-opus-5 uncached input.
    assert_eq!(
        billed_rows(&doc),
        vec![row("2025-08-01", "anthropic", "claude-opus-5", "input", "standard", "1.2378912".into(), Value::Null)]
    );
}

#[test]
fn documented_anthropic_usage_reports_parse_both_copies() {
    for file in [
        "docs/anthropic_usage_report_messages.docs-2025.json",
        "docs/anthropic_usage_report_messages.docs-current.json",
    ] {
        let doc = compare_json(&[file], &[]);
        assert_eq!(doc["bills"][0]["kind"], "Anthropic usage_report/messages", "{file}");
        let got: Vec<(String, Value)> = billed_rows(&doc).into_iter().map(|r| (r.3, r.6)).collect();
        let want: Vec<(String, Value)> = [
            ("input", 1500),
            ("cache_read", 200),
            ("cache_write_5m", 500),
            ("cache_write_1h", 1000),
            ("output", 500),
            ("web_search", 10),
        ]
        .iter()
        .map(|(c, n)| (c.to_string(), Value::from(*n)))
        .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut want_sorted = want;
        want_sorted.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got_sorted, want_sorted, "{file}");
    }
}

#[test]
fn claude_code_report_and_unknown_files_are_refused_clearly() {
    let capture = capture();
    let code_report = bill("docs/anthropic_claude_code_usage_report.docs.json");
    let run = otelcost(&["compare-bill", &capture, "--bill", &code_report]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("Claude Code analytics report") && run.stderr.contains("not a bill"), "{}", run.stderr);
    // A fragment (one result, no bucket, no day) and a file in no bill shape at all.
    for not_a_bill in [bill("docs/openai_costs_result_grouped.docs.json"), bill("README.md")] {
        let run = otelcost(&["compare-bill", &capture, "--bill", &not_a_bill]);
        assert_eq!(run.code, 1, "{not_a_bill}");
        assert!(
            run.stderr.contains("expected an OpenAI Costs or Usage API response") && run.stderr.contains("FOCUS"),
            "{}",
            run.stderr
        );
    }
}

/// The synthetic OpenAI and Anthropic bills of `b_openllmetry` (see make_synthetic.py for
/// the perturbations) give exactly this coverage table.
#[test]
fn synthetic_bills_give_the_expected_coverage_table() {
    let capture = capture();
    let (openai, anthropic) = (bill("synthetic_openai_costs.json"), bill("synthetic_anthropic_cost_report.json"));
    let run = otelcost(&["compare-bill", &capture, "--bill", &openai, "--bill", &anthropic, "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let want = std::fs::read_to_string(bill("expected_coverage.csv")).unwrap();
    assert_eq!(run.stdout, want);
    // Each perturbation shows up as its reason, and nothing else is left unexplained.
    let doc = compare_json(&["synthetic_openai_costs.json", "synthetic_anthropic_cost_report.json"], &[]);
    let reason_of = |model: &str, class: &str, tier: &str| {
        let r = doc["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["model"] == model && r["class"] == class && r["tier"] == tier && r["day"] == "2026-11-23")
            .unwrap_or_else(|| panic!("no row {model} {class} {tier}"));
        r["reason"].as_str().unwrap().to_string()
    };
    assert_eq!(reason_of("gpt-4o-mini", "input", "batch"), "tier_mismatch");
    assert_eq!(reason_of("gpt-4o-mini", "input", "standard"), "tier_mismatch");
    assert_eq!(reason_of("-", "web_search", "standard"), "non_token");
    assert_eq!(reason_of("claude-haiku-4-5", "input", "standard"), "matched"); // renamed: alias vs snapshot
    assert_eq!(reason_of("claude-sonnet-4-5", "cache_write_1h", "standard"), "cache_accounting");
    assert_eq!(reason_of("claude-sonnet-4-5", "cache_write_5m", "standard"), "cache_accounting");
    let left: Vec<(&str, &str)> = doc["remainder"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["reason"].as_str().unwrap(), r["unexplained"].as_str().unwrap()))
        .collect();
    // The missing day's gpt-4.1 (3140 input at $2, 49 output at $8 per Mtok), the web search,
    // the 1-hour cache writes (1536 at $6), the batch gpt-4o-mini (46 at $0.075, 39 at $0.3).
    assert_eq!(
        left,
        vec![
            ("matched", "0"),
            ("no_telemetry_day", "0.006672"),
            ("tier_mismatch", "0.00001515"),
            ("cache_accounting", "0.009216"),
            ("non_token", "0.01"),
        ]
    );
}

#[test]
fn min_coverage_is_an_exit_code_for_ci() {
    let capture = capture();
    let (openai, anthropic) = (bill("synthetic_openai_costs.json"), bill("synthetic_anthropic_cost_report.json"));
    let args = |min: &'static str| {
        vec![
            "compare-bill".to_string(),
            capture.clone(),
            "--bill".into(),
            openai.clone(),
            "--bill".into(),
            anthropic.clone(),
            "--min-coverage".into(),
            min.into(),
            "--format".into(),
            "json".into(),
        ]
    };
    let run_with = |min: &'static str| {
        let a = args(min);
        otelcost(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    // 39.77% explained.
    let below = run_with("95");
    assert_eq!(below.code, 5, "{}", below.stderr);
    assert!(below.stderr.contains("coverage 39.77% is below --min-coverage 95%"), "{}", below.stderr);
    assert_eq!(run_with("39.77").code, 0);
}

#[test]
fn scope_joins_on_a_bill_field_mapped_from_a_telemetry_dimension() {
    // Every call of the capture has a user; the bill's project is `proj_synthetic`: a rule
    // maps both users to it, so the scoped join matches what the unscoped one did.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\ndimension = \"project\"\nfrom = \"user\"\nprefix = [\"user-\"]\nvalue = \"proj_synthetic\"\n",
    )
    .unwrap();
    let rules = rules.display().to_string();
    let doc = compare_json(&["synthetic_openai_costs.json"], &["--scope", "project=project", "--rules", &rules]);
    assert_eq!(doc["scope"], "project=project");
    let gpt41 = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["model"] == "gpt-4.1" && r["class"] == "input" && r["day"] == "2026-11-23")
        .unwrap();
    assert_eq!((gpt41["scope"].as_str(), gpt41["reason"].as_str()), (Some("proj_synthetic"), Some("matched")));
}

#[test]
fn focus_rows_are_found_by_their_meter_text() {
    let doc = compare_json(&["synthetic_focus.csv"], &[]);
    assert_eq!(doc["bills"][0]["kind"], "FinOps FOCUS");
    let rows: Vec<(String, String, String, String, Value, Value)> =
        billed_rows(&doc).into_iter().map(|r| (r.1, r.2, r.3, r.4, r.5, r.6)).collect();
    let r = |p: &str, m: &str, c: &str, t: &str, b: &str, q: Option<u64>| {
        (p.to_string(), m.to_string(), c.to_string(), t.to_string(), Value::from(b), q.map_or(Value::Null, Value::from))
    };
    assert_eq!(
        rows,
        vec![
            r("aws", "-", "tax", "standard", "0.0000099", None),
            r("aws", "claude-haiku-4-5", "input", "standard", "0.00000345", Some(46)),
            r("aws", "claude-sonnet-4-5", "input", "standard", "0.000216", Some(72)),
            r("aws", "claude-sonnet-4-5", "cache_read", "standard", "0.0004608", Some(1536)),
            r("azure", "gpt-4.1", "input", "standard", "0.003464", Some(1732)),
            r("azure", "gpt-4.1", "cache_read", "standard", "0.000704", Some(1408)),
            r("google", "-", "storage", "standard", "0.002", None),
            r("google", "-", "other_charge", "standard", "0.05", None),
            r("google", "gemini-2.5-flash", "input", "batch", "0.0000075", None),
        ]
    );
    // Telemetry on a day this bill has nothing for its provider: the bill is late there.
    let openai_reasons: Vec<&str> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["provider"] == "openai")
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(!openai_reasons.is_empty() && openai_reasons.iter().all(|r| *r == "late_bill_day"), "{openai_reasons:?}");
    // The EC2 row is not an AI charge: left out, and said so.
    let capture = capture();
    let focus = bill("synthetic_focus.csv");
    let run = otelcost(&["compare-bill", &capture, "--bill", &focus]);
    assert!(
        run.stderr.contains("1 row outside AI and Machine Learning that no meter matched (1.25 billed) left out"),
        "{}",
        run.stderr
    );
}

#[test]
fn user_meter_tables_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let meters = dir.path().join("meters.toml");
    std::fs::write(
        &meters,
        "[[meter]]\nprovider = \"my-gcp\"\nmatch = '^Gemini 2.5 Flash Text Input - Batch'\nclass = \"input\"\ntier = \"flex\"\n",
    )
    .unwrap();
    let meters = meters.display().to_string();
    let doc = compare_json(&["synthetic_focus.csv"], &["--meters", &meters]);
    // The user's meter decides the Gemini batch row (it would be google/batch otherwise).
    let rows = billed_rows(&doc);
    assert!(
        rows.iter()
            .any(|r| (r.1.as_str(), r.2.as_str(), r.3.as_str(), r.4.as_str()) == ("my-gcp", "-", "input", "flex")),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|r| r.2 == "gemini-2.5-flash"), "{rows:?}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[meter]]\nmatch = 'x'\n").unwrap();
    let capture = capture();
    let focus = bill("synthetic_focus.csv");
    let run = otelcost(&["compare-bill", &capture, "--bill", &focus, "--meters", &bad.display().to_string()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("[[meter]] 1: `provider` is missing"), "{}", run.stderr);
}

#[test]
fn every_format_carries_the_comparison() {
    let capture = capture();
    let openai = bill("synthetic_openai_costs.json");
    let table = otelcost(&["compare-bill", &capture, "--bill", &openai, "-q"]);
    assert_eq!(table.code, 0);
    for needle in [
        "Bill vs telemetry by day and provider",
        "What is left, by reason",
        "no_telemetry_day",
        "Coverage: telemetry explains",
    ] {
        assert!(table.stdout.contains(needle), "{needle}:\n{}", table.stdout);
    }
    let md = otelcost(&["compare-bill", &capture, "--bill", &openai, "--format", "markdown", "-q"]);
    assert!(md.stdout.contains("### By model, class and tier") && md.stdout.contains("| ---: |"), "{}", md.stdout);
    #[cfg(feature = "parquet")]
    {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("coverage.parquet");
        let run = otelcost(&["compare-bill", &capture, "--bill", &openai, "-o", &out.display().to_string(), "-q"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(std::fs::read(&out).unwrap().starts_with(b"PAR1"));
    }
}

/// otelcost's own FOCUS export, read back as a FOCUS dataset (CSV, and Parquet with the
/// feature): every row matches, 100% explained: the reader and the exporter agree.
#[test]
fn otelcost_focus_exports_read_back_as_fully_explained() {
    let dir = tempfile::tempdir().unwrap();
    let capture = capture();
    let mut outputs = vec![dir.path().join("focus.csv")];
    if cfg!(feature = "parquet") {
        outputs.push(dir.path().join("focus.parquet"));
    }
    for out in outputs {
        let out = out.display().to_string();
        let run = otelcost(&["report", &capture, "--format", "focus", "-o", &out, "-q"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let run =
            otelcost(&["compare-bill", &capture, "--bill", &out, "--format", "json", "-q", "--min-coverage", "100"]);
        assert_eq!(run.code, 0, "{out}: {}", run.stderr);
        let doc: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(doc["coverage_percent"], "100", "{out}");
        assert_eq!(doc["total"]["billed"], doc["total"]["estimate"], "{out}");
        assert!(doc["rows"].as_array().unwrap().iter().all(|r| r["reason"] == "matched"), "{out}");
    }
}

/// A bill day that has not ended yet (today, UTC) is provisional: what does not match there
/// is `late_bill_day`, not a gap in the telemetry.
#[test]
fn todays_bill_rows_are_provisional() {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let today = now - now % 86_400;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("costs-today.json");
    std::fs::write(
        &page,
        format!(
            r#"{{"object": "page", "data": [{{"object": "bucket", "start_time": {today}, "end_time": {}, "results": [
                {{"object": "organization.costs.result", "amount": {{"value": 1.5, "currency": "usd"}}, "line_item": "gpt-4.1, input"}}]}}],
                "has_more": false, "next_page": null}}"#,
            today + 86_400
        ),
    )
    .unwrap();
    let capture = capture();
    let run = otelcost(&["compare-bill", &capture, "--bill", &page.display().to_string(), "--format", "json", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let billed: Vec<&Value> = doc["rows"].as_array().unwrap().iter().filter(|r| r["billed"] == "1.5").collect();
    assert_eq!(billed.len(), 1);
    assert_eq!(billed[0]["reason"], "late_bill_day");
}

#[test]
fn since_and_until_select_bill_days_too() {
    // Only 2026-11-23: the synthetic bill's missing day (2026-11-22) is out of the window.
    let doc = compare_json(&["synthetic_openai_costs.json"], &["--since", "2026-11-23", "--until", "2026-11-23"]);
    let days: std::collections::BTreeSet<&str> =
        doc["days"].as_array().unwrap().iter().map(|d| d["day"].as_str().unwrap()).collect();
    assert_eq!(days.into_iter().collect::<Vec<_>>(), vec!["2026-11-23"]);
    assert!(doc["rows"].as_array().unwrap().iter().all(|r| r["reason"] != "no_telemetry_day"));
}

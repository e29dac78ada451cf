//! Who pays: dimension aliases, the rules file, `--where`, time buckets, the split of
//! unallocated cost, `--sort`/`--top` and `otelcost dimensions`, end to end through the
//! binary on the real captures in `testdata/`.

mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

fn rules() -> String {
    root().join("examples/rules.toml").display().to_string()
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")).parse().unwrap()
}

/// Requests per joined group value.
fn requests(report: &Value) -> BTreeMap<String, u64> {
    rows(report).into_iter().map(|(k, t)| (k, t.requests)).collect()
}

fn all() -> [String; 2] {
    [testdata("emitters"), testdata("agents")]
}

#[test]
fn aliases_find_the_user_in_every_emitters_own_keys() {
    let report = report_json(&[&testdata("emitters"), "--by", "user"]);
    let users = requests(&report);
    // OpenLLMetry association properties, OpenInference user.id, LiteLLM key metadata,
    // Vercel telemetry metadata.
    for user in [
        "user-dave",
        "user-erin",
        "user-heidi",
        "user-ivan",
        "user-judy",
        "user-ken",
        "user-nina",
        "user-oscar",
        "user-pia",
    ] {
        assert!(users.contains_key(user), "{user} missing: {users:?}");
    }
    let teams = requests(&report_json(&[&all()[0], &all()[1], "--by", "team"]));
    assert_eq!(teams.get("platform"), Some(&13), "{teams:?}"); // Claude Code and Codex resources
    assert_eq!(teams.get("team-payments"), Some(&4), "{teams:?}"); // LiteLLM team id
    assert_eq!(teams.get("team-catalog"), Some(&4), "{teams:?}"); // Vercel metadata
    let sessions = requests(&report_json(&[&testdata("emitters/f_vercel_ai"), "--by", "session"]));
    assert_eq!(
        sessions.keys().collect::<Vec<_>>(),
        ["sess-nina-1", "sess-nina-2", "sess-oscar-1", "sess-pia-1", "sess-pia-2"]
    );
}

#[test]
fn a_rules_file_assigns_every_call_a_team() {
    let [a, b] = all();
    let report = report_json(&[&a, &b, "--rules", &rules(), "--by", "team"]);
    let want: BTreeMap<String, u64> = [
        ("platform", 19),           // stated on the resource (claude-code, with the Agent SDK session's 6)
        ("team-payments-alias", 4), // LiteLLM, the alias the rules file prefers
        ("team-search-alias", 4),
        ("team-catalog", 9),  // Vercel: stated, else user-oscar through teams.csv
        ("team-weather", 13), // OpenLLMetry users through teams.csv, OpenInference metadata regex
        ("team-kitchen", 3),  // OpenInference metadata regex
        // openai-v2, pydantic-ai, Strands, ADK, OpenLIT (46), Spring AI (4), and Gemini CLI,
        // Qwen Code, Copilot CLI and OpenCode (76), the tracing libraries of
        // tests/libraries.rs (89: MLflow, Langfuse, Logfire, Laminar, Semantic Kernel,
        // OpenLLMetry's first names) and the frameworks of tests/frameworks.rs (75) name no
        // team
        ("unallocated", 290),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(requests(&report), want);
    let sum: Decimal = report["rows"].as_array().unwrap().iter().map(|r| dec(&r["cost"])).sum();
    assert_eq!(sum, dec(&report["total"]["cost"]));
    // Derived from a derived dimension: the cost center of the team.
    let cc = requests(&report_json(&[&a, &b, "--rules", &rules(), "--by", "team,cost_center"]));
    assert_eq!(cc.get("team-weather/cc-200"), Some(&13), "{cc:?}");
    assert_eq!(cc.get("platform/cc-123"), Some(&13), "{cc:?}");
}

#[test]
fn unallocated_cost_is_split_in_its_own_column_and_sums_exactly() {
    let [a, b] = all();
    let plain = report_json(&[&a, &b, "--rules", &rules(), "--by", "team"]);
    let split = report_json(&[&a, &b, "--rules", &rules(), "--by", "team", "--split-unallocated", "team"]);
    assert_eq!(split["total"]["cost"], plain["total"]["cost"]);
    assert_eq!(dec(&split["total"]["shared_cost"]), Decimal::ZERO);
    let rows = split["rows"].as_array().unwrap();
    let pool = rows.iter().find(|r| r["group"]["team"] == "unallocated").unwrap();
    let unallocated = dec(&pool["cost"]);
    assert_eq!(dec(&pool["shared_cost"]), -unallocated);
    assert_eq!(dec(&pool["charged_cost"]), Decimal::ZERO);
    let allocated: Decimal = dec(&plain["total"]["cost"]) - unallocated;
    let mut shared = Decimal::ZERO;
    for row in rows.iter().filter(|r| r["group"]["team"] != "unallocated") {
        let (cost, share) = (dec(&row["cost"]), dec(&row["shared_cost"]));
        // In proportion to the team's own cost (to the 12th decimal the shares are cut to).
        let exact = unallocated * cost / allocated;
        assert!((share - exact).abs() <= Decimal::new(1, 12), "{row}");
        assert_eq!(dec(&row["charged_cost"]), cost + share);
        shared += share;
    }
    assert_eq!(shared, unallocated);
    let csv = otelcost(&[
        "report",
        &a,
        &b,
        "--rules",
        &rules(),
        "--by",
        "team",
        "--split-unallocated",
        "team",
        "--format",
        "csv",
    ]);
    assert!(
        csv.stdout.lines().next().unwrap().ends_with(",cost,unpriced_requests,shared_cost,charged_cost"),
        "{}",
        csv.stdout
    );
    let bad = otelcost(&["report", &a, "--by", "model", "--split-unallocated", "team"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("team is not in --by"), "{}", bad.stderr);
}

#[test]
fn where_filters_by_dimension_and_attribute() {
    let [a, b] = all();
    let everything = report_json(&[&a, &b, "--rules", &rules()]);
    let platform = report_json(&[&a, &b, "--rules", &rules(), "--where", "team=platform", "--by", "service"]);
    assert_eq!(requests(&platform), BTreeMap::from([("claude-code".into(), 14), ("codex_exec".into(), 5)]));
    let rest = report_json(&[&a, &b, "--rules", &rules(), "--where", "team!=platform"]);
    assert_eq!(dec(&platform["total"]["cost"]) + dec(&rest["total"]["cost"]), dec(&everything["total"]["cost"]));
    // An attribute key and `(none)`, two conditions together.
    let none =
        report_json(&[&a, "--where", "user=(none)", "--where", "deployment.environment=test", "--by", "service"]);
    assert!(
        requests(&none).keys().all(|s| s.starts_with("scenario-openai-v2") || s == "scenario-pydantic-ai"),
        "{none}"
    );
    let bad = otelcost(&["report", &a, "--where", "team"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("key=value"), "{}", bad.stderr);
}

#[test]
fn weeks_and_months_in_a_time_zone() {
    // The captures were made on Monday 2026-11-23 (UTC).
    let a = testdata("emitters/b_openllmetry");
    let monday = requests(&report_json(&[&a, "--by", "week,month"]));
    assert_eq!(monday.keys().collect::<Vec<_>>(), ["2026-11-23/2026-11"]);
    let sunday = requests(&report_json(&[&a, "--by", "week", "--week-start", "sunday"]));
    assert_eq!(sunday.keys().collect::<Vec<_>>(), ["2026-11-22"]);
    // Far enough west it is still Sunday the 22nd: the week before.
    let west = requests(&report_json(&[&a, "--by", "week,day", "--timezone", "Pacific/Pago_Pago"]));
    assert!(west.keys().all(|k| k == "2026-11-16/2026-11-22" || k == "2026-11-23/2026-11-23"), "{west:?}");
}

#[test]
fn top_and_sort_keep_the_total() {
    let [a, b] = all();
    let full = report_json(&[&a, &b, "--by", "user"]);
    let top = report_json(&[&a, &b, "--by", "user", "--top", "3"]);
    let rows = top["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3]["group"]["user"], "(other)");
    assert_eq!(top["total"], full["total"]);
    let sum: Decimal = rows.iter().map(|r| dec(&r["cost"])).sum();
    assert_eq!(sum, dec(&full["total"]["cost"]));
    let by_name = report_json(&[&a, &b, "--by", "user", "--sort", "name"]);
    let names: Vec<&str> =
        by_name["rows"].as_array().unwrap().iter().map(|r| r["group"]["user"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let by_requests = report_json(&[&a, &b, "--by", "user", "--sort", "requests"]);
    let counts: Vec<u64> =
        by_requests["rows"].as_array().unwrap().iter().map(|r| r["requests"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
}

#[test]
fn dimensions_lists_aliases_and_rules() {
    let run = otelcost(&["dimensions"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.lines().any(|l| l.starts_with("user ") && l.contains("user.email | user.id")), "{}", run.stdout);
    let run = otelcost(&["dimensions", "--rules", &rules(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    let derived: Vec<&Value> = list.as_array().unwrap().iter().filter(|e| e["kind"] == "derived").collect();
    assert_eq!(derived.iter().map(|e| e["name"].as_str().unwrap()).collect::<Vec<_>>(), ["team", "cost_center"]);
    assert!(derived[0]["from"][2].as_str().unwrap().contains("lookup"), "{}", derived[0]);
}

#[test]
fn a_bad_rules_file_names_the_line_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(
        &path,
        "[[rule]]\ndimension = \"team\"\nfrom = \"user\"\nlookup = \"teams.csv\"\ncolumn = \"squad\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("teams.csv"), "user,team\nuser-dave,weather\n").unwrap();
    let run =
        otelcost(&["report", &testdata("emitters/b_openllmetry"), "--rules", path.to_str().unwrap(), "--by", "team"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("rules.toml:1") && run.stderr.contains("no column \"squad\""), "{}", run.stderr);
    assert!(run.stderr.contains("user, team"), "{}", run.stderr);
}

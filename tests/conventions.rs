//! A newcomer's first minutes, through the binary on the captures in `testdata/`: one row
//! per model, missing input never read as a success, typos never silent, output files
//! by their extension, and a shell's conventions (a closed pipe, a command not found).

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("otelcost")
}

/// The captures this file's figures are pinned on (all of `testdata/` when it was written),
/// so that captures added later do not move them.
fn pinned() -> Vec<String> {
    let emitters = ["a_openai_v2_default", "a_openai_v2_latest", "b_openllmetry", "c_openinference"]
        .into_iter()
        .chain(["d_litellm_default", "e_pydantic_ai", "f_vercel_ai", "g_strands", "h_google_adk"])
        .chain(["i_openlit", "i_openlit_console", "i_spring_ai"])
        .map(|e| format!("emitters/{e}"));
    let protobuf = ["b_openllmetry", "f_vercel_ai", "g_strands", "h_google_adk", "i_openlit", "i_spring_ai"]
        .into_iter()
        .map(|e| format!("protobuf/{e}"));
    let agent_files = ["copilot-cli-1.0.102-openai-byok.jsonl", "gemini-cli-0.61.0-outfile.log"]
        .into_iter()
        .chain(["opencode-1.18.33-otlp-http-json-traces.json"])
        .map(|f| format!("agent-files/{f}"));
    // Every agent run but those added since (issue 21's shared-id runs).
    let mut runs: Vec<String> = std::fs::read_dir(testdata("agents"))
        .unwrap()
        .map(|e| format!("agents/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|run| !run.starts_with("agents/qwen-code-openai-same-id-"))
        .collect();
    runs.sort();
    let agents = runs.into_iter().chain(["bodies".to_string()]).chain(agent_files);
    emitters.chain(protobuf).chain(agents).map(|d| testdata(&d)).collect()
}

/// `report` on the pinned captures, with `args`, as JSON.
fn pinned_report(args: &[&str]) -> Value {
    let paths = pinned();
    let all: Vec<&str> = paths.iter().map(String::as_str).chain(args.iter().copied()).collect();
    report_json(&all)
}

fn group_values(report: &Value, dimension: &str) -> Vec<String> {
    report["rows"].as_array().unwrap().iter().map(|r| r["group"][dimension].as_str().unwrap().to_string()).collect()
}

#[test]
fn one_row_per_catalog_model_and_provider() {
    let by_model = pinned_report(&[]);
    assert_eq!(by_model["model_names"], "catalog");
    let models = group_values(&by_model, "model");
    assert_eq!(
        models,
        [
            "claude-sonnet-4-5",
            "gpt-4.1",
            "o4-mini",
            "gpt-5.5",
            "claude-opus-5-5",
            "gemini-2.5-flash",
            "claude-haiku-4-5",
            "gpt-4o-mini",
            "gpt-6.1-sol",
            "gpt-4.1-mini",
            "text-embedding-3-small"
        ]
    );
    assert_eq!(by_model["total"]["requests"], 172);
    assert_eq!(by_model["total"]["cost"], "0.4640269");
    // The names as emitted stay one dimension away, with the same totals.
    let by_id = pinned_report(&["--by", "model_id"]);
    assert_eq!(by_id["rows"].as_array().unwrap().len(), 18);
    assert!(group_values(&by_id, "model_id").contains(&"openai/o4-mini".to_string()));
    assert_eq!(by_id["total"], by_model["total"]);
    // `model_family`, its older name, groups alike under its own heading.
    let by_family = pinned_report(&["--by", "model_family"]);
    assert_eq!(group_values(&by_family, "model_family"), models);
    // Providers as the catalog names them (who bills), the emitted ones beside.
    let by_provider = pinned_report(&["--by", "provider"]);
    assert_eq!(group_values(&by_provider, "provider"), ["anthropic", "openai", "google", "azure"]);
    let by_provider_id = pinned_report(&["--by", "provider_id"]);
    assert!(group_values(&by_provider_id, "provider_id").contains(&"gcp.gemini".to_string()));
    // The chart data and the HTML's per-model table: one entry per model and provider.
    let per_model: Vec<(&str, &str)> = by_model["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["model"].as_str().unwrap(), m["provider"].as_str().unwrap()))
        .collect();
    assert_eq!(per_model.len(), 12, "{per_model:?}");
    // --where selects on either.
    let o4 = pinned_report(&["--where", "model=o4-mini", "--by", "model_id"]);
    assert_eq!(group_values(&o4, "model_id").len(), 3, "{o4}");
    assert_eq!(o4["total"]["requests"], 23);
    let dated = pinned_report(&["--where", "model_id=o4-mini-2025-04-16"]);
    assert_eq!(group_values(&dated, "model"), ["o4-mini"]);
    assert_eq!(dated["total"]["requests"], 16);
}

#[test]
fn line_items_and_csv_carry_both_names() {
    let litellm = testdata("emitters/d_litellm_default");
    let lines = otelcost(&["report", &litellm, "--lines", "--format", "json"]);
    assert_eq!(lines.code, 0, "{}", lines.stderr);
    let rows: Vec<Value> = lines.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let dated =
        rows.iter().find(|r| r["model_id"] != r["model"]).expect("a call named otherwise than its catalog model");
    assert_eq!(dated["model_family"], dated["model"]);
    assert!(dated["provider_id"].is_string() || dated["provider_id"].is_null());
    let paths = pinned();
    let args: Vec<&str> = ["report"]
        .into_iter()
        .chain(paths.iter().map(String::as_str))
        .chain(["--by", "provider,model,model_id", "--format", "csv"])
        .collect();
    let csv = otelcost(&args);
    assert!(csv.stdout.starts_with("provider,model,model_id,requests,"), "{}", csv.stdout);
    assert!(csv.stdout.contains("\nopenai,o4-mini,openai/o4-mini,6,"), "{}", csv.stdout);
}

#[test]
fn merge_reads_reports_made_before_model_names_followed_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let strands = testdata("emitters/g_strands");
    let new = otelcost(&["report", &strands, "--by", "model_id", "--format", "json"]);
    assert_eq!(new.code, 0, "{}", new.stderr);
    // A report from before: no `model_names`, and `model` as emitted.
    let mut old: Value = serde_json::from_str(&new.stdout).unwrap();
    old.as_object_mut().unwrap().remove("model_names");
    old["group_by"] = serde_json::json!(["model"]);
    for row in old["rows"].as_array_mut().unwrap() {
        let id = row["group"]["model_id"].take();
        row["group"] = serde_json::json!({ "model": id });
    }
    let (old_path, new_path) = (dir.path().join("old.json"), dir.path().join("new.json"));
    std::fs::write(&old_path, old.to_string()).unwrap();
    std::fs::write(&new_path, &new.stdout).unwrap();
    let merged = otelcost(&["merge", old_path.to_str().unwrap(), new_path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    let merged: Value = serde_json::from_str(&merged.stdout).unwrap();
    let single: Value = serde_json::from_str(&new.stdout).unwrap();
    assert_eq!(merged["group_by"], serde_json::json!(["model_id"]));
    assert_eq!(merged["total"]["requests"], single["total"]["requests"].as_u64().unwrap() * 2);
    // An old `--by model` report does not mix with a new one: their `model`s differ.
    let by_model =
        otelcost(&["report", &strands, "--format", "json", "-o", dir.path().join("m.json").to_str().unwrap()]);
    assert_eq!(by_model.code, 0, "{}", by_model.stderr);
    let mixed = otelcost(&["merge", old_path.to_str().unwrap(), dir.path().join("m.json").to_str().unwrap()]);
    assert_eq!(mixed.code, 1, "{}", mixed.stderr);
    assert!(mixed.stderr.contains("grouped by model"), "{}", mixed.stderr);
}

#[test]
fn missing_or_unreadable_input_is_never_a_success() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    let missing = missing.to_str().unwrap();
    // Nothing read: no table, exit 1.
    let run = otelcost(&["report", missing]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{}", run.stderr);
    assert!(run.stderr.contains("nope.jsonl: cannot open"), "{}", run.stderr);
    assert!(run.stderr.contains("no input could be read"), "{}", run.stderr);
    // A file that is not telemetry: a README, a Jaeger JSON export.
    let readme = root().join("tests/README.md").display().to_string();
    let jaeger = dir.path().join("jaeger.json");
    std::fs::write(&jaeger, r#"{"data":[{"traceID":"5b8aa5a2d2c872e8","spans":[],"processes":{}}]}"#).unwrap();
    for only in [readme.as_str(), jaeger.to_str().unwrap()] {
        let run = otelcost(&["report", only, "-o", dir.path().join("out.csv").to_str().unwrap()]);
        assert_eq!(run.code, 1, "{only}: {}", run.stderr);
        assert!(run.stderr.contains("not telemetry data"), "{}", run.stderr);
        assert!(!dir.path().join("out.csv").exists(), "no report file when nothing was read");
    }
    // Beside a valid path: the report of what could be read, the error, exit 1.
    let strands = testdata("emitters/g_strands");
    let run = otelcost(&["report", &strands, missing, "--format", "csv"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let alone = otelcost(&["report", &strands, "--format", "csv"]);
    assert_eq!(run.stdout, alone.stdout);
    assert!(run.stderr.contains("1 input could not be read"), "{}", run.stderr);
    // --strict keeps its own code for anything lost.
    assert_eq!(otelcost(&["report", &strands, missing, "--strict"]).code, 3);
    // inspect alike.
    let run = otelcost(&["inspect", missing]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{}", run.stderr);
    let run = otelcost(&["inspect", &strands, missing]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("cannot open"), "{}", run.stdout);
    // compare-bill has nothing to compare.
    let bill = root().join("tests/bills/synthetic_openai_costs.json");
    let run = otelcost(&["compare-bill", missing, "--bill", bill.to_str().unwrap()]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{}", run.stderr);
    assert!(run.stderr.contains("no input could be read"), "{}", run.stderr);
}

#[test]
fn typos_are_never_silent() {
    let all = testdata("");
    // A --by or --where name that is nothing: an error naming the nearest.
    let run = otelcost(&["report", &all, "--by", "modle"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{}", run.stderr);
    assert!(run.stderr.contains(r#"unknown dimension "modle""#), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean model?"), "{}", run.stderr);
    let run = otelcost(&["report", &all, "--where", "servce=x"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("did you mean service?"), "{}", run.stderr);
    // An attribute key some call has is a dimension.
    let by_system = pinned_report(&["--by", "gen_ai.system"]);
    assert_eq!(by_system["total"]["requests"], 172);
    // A value no call has: a warning naming near values, and the (empty) report.
    let run = otelcost(&["report", &all, "--where", "model=gpt4.1", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: --where model=gpt4.1: no call has this value; did you mean gpt-4.1"),
        "{}",
        run.stderr
    );
    let run = otelcost(&["report", &all, "--where", "model=gpt-4.1"]);
    assert!(!run.stderr.contains("no call has this value"), "{}", run.stderr);
}

#[test]
fn what_if_where_and_compare_bill_where_typos_are_never_silent() {
    let capture = testdata("emitters/b_openllmetry");
    let what_if =
        |condition: &str| otelcost(&["report", &capture, "--what-if", "no-cache", "--what-if-where", condition]);
    // An unknown key: exit 2, nothing on stdout, the nearest names.
    let run = what_if("modle=gpt-4.1");
    assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{}", run.stderr);
    assert!(
        run.stderr.contains(r#"unknown dimension "modle""#) && run.stderr.contains("did you mean model?"),
        "{}",
        run.stderr
    );
    // A value no call has: the report, and a warning naming the flag and near values.
    let run = what_if("model=claude-sonet-4-5");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: --what-if-where model=claude-sonet-4-5: no call has this value; did you mean claude-sonnet-4-5"
        ),
        "{}",
        run.stderr
    );
    let run = what_if("model=claude-sonnet-4-5");
    assert!(!run.stderr.contains("no call has this value"), "{}", run.stderr);
    // A --where typo in --what-if-where's company is said once, as --where's.
    let run =
        otelcost(&["report", &capture, "--where", "servce=x", "--what-if", "no-cache", "--what-if-where", "servce=y"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.matches(r#"unknown dimension "servce""#).count(), 1, "{}", run.stderr);

    let bill = root().join("tests/bills/synthetic_openai_costs.json").display().to_string();
    let compare = |condition: &str| {
        otelcost(&["compare-bill", &capture, "--bill", &bill, "--where", condition, "--format", "csv"])
    };
    let run = compare("modle=gpt-4.1");
    assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean model?"), "{}", run.stderr);
    let run = compare("model=gpt-4.1-mni");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: --where model=gpt-4.1-mni: no call has this value; did you mean gpt-4o-mini or gpt-4.1?"
        ),
        "{}",
        run.stderr
    );
    let run = compare("model=gpt-4.1");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("no call has this value"), "{}", run.stderr);
}

#[test]
fn output_files_follow_their_extension() {
    let dir = tempfile::tempdir().unwrap();
    let strands = testdata("emitters/g_strands");
    let xlsx = dir.path().join("out.xlsx");
    let run = otelcost(&["report", &strands, "-o", xlsx.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("unknown extension .xlsx: use .csv, .json"), "{}", run.stderr);
    assert!(!xlsx.exists());
    // --format names it whatever the extension.
    let run = otelcost(&["report", &strands, "--format", "csv", "-o", xlsx.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // JSON lines, one object per call.
    for extension in ["jsonl", "ndjson"] {
        let path = dir.path().join(format!("calls.{extension}"));
        let run = otelcost(&["report", &strands, "--lines", "-o", path.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let text = std::fs::read_to_string(&path).unwrap();
        let calls: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let total = report_json(&[&strands])["total"]["requests"].as_u64().unwrap();
        assert_eq!(calls.iter().map(|c| c["requests"].as_u64().unwrap()).sum::<u64>(), total);
    }
    // A grouped report is one JSON document: not into a .jsonl.
    let run = otelcost(&["report", &strands, "-o", dir.path().join("report.jsonl").to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("add --lines, or write the grouped report to a .json file"), "{}", run.stderr);
    let run = otelcost(&["merge", "x.json", "-o", dir.path().join("m.xlsx").to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // 160 KB of line items: far more than a pipe holds once `head` has gone.
    let script = format!(
        "{:?} report {:?} --lines --format json | head -1; echo \"${{PIPESTATUS[0]}}\" >&2",
        bin(),
        testdata("")
    );
    let out = Command::new("bash").arg("-c").arg(script).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert!(!stderr.contains("Broken pipe") && !stderr.contains("cannot write"), "{stderr}");
    assert_eq!(stderr.lines().last(), Some("0"), "{stderr}");
}

#[test]
fn run_exits_as_a_shell_does_when_the_command_cannot_start() {
    let run = otelcost(&["run", "-q", "--no-env", "--flush", "0s", "--", "otelcost-no-such-command"]);
    assert_eq!(run.code, 127, "{}", run.stderr);
    assert!(run.stderr.contains("cannot run \"otelcost-no-such-command\""), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let run = otelcost(&["run", "-q", "--no-env", "--flush", "0s", "--", script.to_str().unwrap()]);
    assert_eq!(run.code, 126, "{}", run.stderr);
}

//! `otelcost merge`: JSON reports made per shard sum to the report of one run over all of
//! them, exactly, through the binary on the real captures.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

/// Shards as a batch system would cut them: one capture (one application's traces,
/// metrics and logs together) per shard. Metrics and the per-call records of the same
/// sessions must stay in one shard: which one counts is decided over the whole input.
const SHARDS: &[&str] = &[
    "emitters/a_openai_v2_default",
    "emitters/a_openai_v2_latest",
    "emitters/b_openllmetry",
    "emitters/c_openinference/traces.jsonl",
    "emitters/d_litellm_default",
    "emitters/e_pydantic_ai",
    "emitters/f_vercel_ai/traces.jsonl",
    "agents/claude-http-protobuf-1",
    "agents/claude-http-protobuf-3",
    "agents/codex-http-protobuf-1",
    "agents/codex-http-protobuf-3",
];

fn shard_reports(dir: &Path, args: &[&str]) -> Vec<String> {
    SHARDS
        .iter()
        .enumerate()
        .map(|(i, shard)| {
            let out = dir.join(format!("shard-{i}.json")).display().to_string();
            let mut all = vec!["report", "-q"];
            let input = testdata(shard);
            all.push(&input);
            all.extend_from_slice(args);
            all.extend_from_slice(&["--output", &out]);
            let run = otelcost(&all);
            assert_eq!(run.code, 0, "{shard}: {}", run.stderr);
            out
        })
        .collect()
}

fn merge(files: &[String], extra: &[&str]) -> common::Run {
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    args.extend_from_slice(extra);
    otelcost(&args)
}

fn one_report(args: &[&str]) -> Value {
    let inputs: Vec<String> = SHARDS.iter().map(|s| testdata(s)).collect();
    let mut all: Vec<&str> = inputs.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    report_json(&all)
}

#[test]
fn merged_shards_equal_one_report_over_everything() {
    let rules = root().join("examples/rules.toml").display().to_string();
    for args in [
        vec!["--by", "model"],
        vec!["--by", "team,user,day", "--rules", &rules],
        vec!["--by", "service,model", "--cost", "both", "--explain"],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let files = shard_reports(dir.path(), &args);
        let run = merge(&files, &["--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let merged: Value = serde_json::from_str(&run.stdout).unwrap();
        let want = one_report(&args);
        assert_eq!(merged["rows"], want["rows"], "{args:?}");
        assert_eq!(merged["total"], want["total"], "{args:?}");
        assert_eq!(merged, want, "{args:?}");
    }
}

#[test]
fn split_top_and_csv_on_the_merge_equal_the_same_on_one_report() {
    let dir = tempfile::tempdir().unwrap();
    let rules = root().join("examples/rules.toml").display().to_string();
    let files = shard_reports(dir.path(), &["--by", "team", "--rules", &rules, "--format", "json"]);
    let shaped = ["--split-unallocated", "team", "--top", "4", "--format", "csv"];
    let run = merge(&files, &shaped);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let inputs: Vec<String> = SHARDS.iter().map(|s| testdata(s)).collect();
    let mut args = vec!["report", "-q"];
    args.extend(inputs.iter().map(String::as_str));
    args.extend_from_slice(&["--by", "team", "--rules", &rules]);
    args.extend_from_slice(&shaped);
    assert_eq!(run.stdout, otelcost(&args).stdout);
}

#[test]
fn merge_refuses_what_cannot_be_summed_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let by_model = shard_reports(dir.path(), &["--by", "model"]);
    let topped = dir.path().join("top.json").display().to_string();
    let run = otelcost(&["report", "-q", &testdata("emitters"), "--by", "model", "--top", "2", "--output", &topped]);
    assert_eq!(run.code, 0);
    let run = merge(&[by_model[0].clone(), topped.clone()], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("(other) row from --top") && run.stderr.contains("top.json"), "{}", run.stderr);

    let by_service = dir.path().join("service.json").display().to_string();
    otelcost(&["report", "-q", &testdata("emitters/b_openllmetry"), "--by", "service", "--output", &by_service]);
    let run = merge(&[by_model[0].clone(), by_service], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("same --by"), "{}", run.stderr);

    let not_json = dir.path().join("x.json");
    std::fs::write(&not_json, "rows,cost\n").unwrap();
    let run = merge(&[not_json.display().to_string()], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("otelcost report --format json"), "{}", run.stderr);
}

#[test]
fn merging_a_report_with_itself_doubles_it_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.json").display().to_string();
    otelcost(&["report", "-q", &testdata("emitters/b_openllmetry"), "--output", &file]);
    let one: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let run = merge(&[file.clone(), file], &["--format", "json"]);
    let two: Value = serde_json::from_str(&run.stdout).unwrap();
    let cost = |v: &Value| v["total"]["cost"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    assert_eq!(cost(&two), cost(&one) * rust_decimal::Decimal::TWO);
    assert_eq!(two["total"]["requests"].as_u64().unwrap(), 2 * one["total"]["requests"].as_u64().unwrap());
}

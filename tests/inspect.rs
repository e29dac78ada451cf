//! `otelcost inspect` end to end on real captures.

mod common;

use common::*;
use serde_json::Value;

fn inspect(paths: &[&str]) -> Value {
    let mut args = vec!["inspect", "--format", "json"];
    args.extend_from_slice(paths);
    let run = otelcost(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn says_what_was_counted_and_why_not() {
    // Spans, the operation.details events repeating them, and cumulative metrics.
    let i = inspect(&[&testdata("emitters/a_openai_v2_latest")]);
    assert_eq!(i["files"], 3);
    assert_eq!(i["records"]["traces"], 8);
    assert_eq!(i["counted"]["calls"], 7);
    assert_eq!(i["counted"]["metric_totals"], 0);
    assert_eq!(i["not_counted"]["duplicates"], 6);
    assert!(i["not_counted"]["metrics_covered_by_calls"].as_u64().unwrap() > 0);
    assert!(i["metric_names"].as_array().unwrap().contains(&"gen_ai.client.token.usage".into()));
    let dup = i["examples"].as_array().unwrap().iter().find(|e| e["reason"] == "duplicate").unwrap();
    assert!(dup["record"].as_str().unwrap().contains("logs.jsonl:"), "{dup}");
    assert!(dup["counted_instead"].as_str().unwrap().contains("traces.jsonl:"), "{dup}");
    let models = i["models"].as_array().unwrap();
    assert_eq!(models.len(), 4);
    assert!(models.iter().all(|m| m["price"].as_str().unwrap().starts_with("genai-prices:")), "{models:?}");
}

#[test]
fn lists_problems_and_unpriced_models() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"resourceSpans\": [\n").unwrap();
    let i = inspect(&[bad.to_str().unwrap(), &testdata("agents/codex-http-protobuf-3")]);
    assert_eq!(i["problems"].as_array().unwrap().len(), 1, "{i}");
    // One line that never closes reads as a value the file ends inside: located by line.
    assert!(i["problems"][0]["location"].as_str().unwrap().ends_with("bad.jsonl:1"), "{i}");
    let text = otelcost(&["inspect", bad.to_str().unwrap()]);
    assert!(text.stdout.contains("Problems (1):"), "{}", text.stdout);
}

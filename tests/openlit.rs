//! OpenLIT around the OpenAI and Anthropic Python SDKs (`tests/capture/i_openlit.py`),
//! real captures against the fake server's truth (`tests/expected/i_openlit*.json`):
//! over OTLP (each signal alone and all together) and as the Python console exporters'
//! stdout between the program's own prints, read with the binary.

mod common;

use common::*;
use std::collections::BTreeMap;

/// What OpenLIT's spans and events can say: the truth less what it loses (see the notes):
/// the streamed Anthropic call's cache read, and every reasoning count.
fn what_openlit_states(scenario: &str) -> BTreeMap<String, Tokens> {
    let e = expected(scenario);
    let streamed_claude = e["per_request"].as_array().unwrap().iter().find(|r| r["fake_request"] == 5).unwrap();
    assert_eq!(streamed_claude["api"], "anthropic.messages");
    let lost_read = streamed_claude["cache_read_tokens"].as_u64().unwrap();
    assert!(lost_read > 0, "the capture must hold the cache read OpenLIT loses");
    let mut want = expected_by_model(&e);
    want.get_mut("claude-sonnet-4-5").unwrap().cache_read -= lost_read;
    want.values_mut().for_each(|t| t.reasoning = 0);
    want
}

fn otlp(signal: &str) -> String {
    testdata(&format!("emitters/i_openlit/{signal}.jsonl"))
}

#[test]
fn every_signal_and_all_together_count_each_call_once() {
    let want = what_openlit_states("i_openlit");
    assert_eq!(rows(&report_json(&[&otlp("traces"), "--by", "model_id"])), want, "traces");
    assert_eq!(rows(&report_json(&[&otlp("logs"), "--by", "model_id"])), want, "logs");
    assert_eq!(rows(&report_json(&[&testdata("emitters/i_openlit"), "--by", "model_id"])), want, "all");
    assert_eq!(rows(&report_json(&[&testdata("protobuf/i_openlit"), "--by", "model_id"])), want, "protobuf");
    assert_eq!(rows(&report_json(&[&otlp("logs"), &otlp("traces"), "--by", "model_id"])), want, "logs, then traces");
}

#[test]
fn metrics_alone_have_no_cache_split() {
    // Input as each provider counts it: OpenAI's with its cache reads, Anthropic's without
    // its cache reads and writes (lost).
    let mut want = what_openlit_states("i_openlit");
    for (model, t) in want.iter_mut() {
        if model.starts_with("claude") {
            t.cache_write = 0;
        } else {
            t.input += t.cache_read;
        }
        t.cache_read = 0;
    }
    assert_eq!(rows(&report_json(&[&otlp("metrics"), "--by", "model_id"])), want);
}

#[test]
fn console_exporter_stdout_with_the_programs_prints() {
    let stdout = testdata("emitters/i_openlit_console/stdout.txt");
    let run = otelcost(&["report", &stdout, "--format", "json", "--strict", "--by", "model_id"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(rows(&report), what_openlit_states("i_openlit_console"));
    assert!(run.stderr.contains("4 lines that are not telemetry"), "{}", run.stderr);

    // Its metrics record (`MetricsData.to_json()`) alone reads like the OTLP metrics.
    let text = std::fs::read_to_string(&stdout).unwrap();
    let metrics = &text[text.find("{\n    \"resource_metrics\"").unwrap()..];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.txt");
    std::fs::write(&path, metrics).unwrap();
    assert_eq!(
        rows(&report_json(&[path.to_str().unwrap(), "--by", "model_id"])),
        rows(&report_json(&[&otlp("metrics"), "--by", "model_id"]))
    );
}

#[test]
fn openlits_own_cost_is_shown_never_added() {
    let report = report_json(&[&testdata("emitters/i_openlit"), "--cost", "both", "--by", "model_id"]);
    let listed = report_json(&[&testdata("emitters/i_openlit"), "--by", "model_id"]);
    assert_eq!(report["total"]["cost"], listed["total"]["cost"]);
    // OpenLIT could not load its price table offline: it states 0 for every call.
    assert_eq!(report["total"]["reported_cost"], "0", "{report}");
}

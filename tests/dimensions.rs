//! The dimensions people ask for first, on the real captures in `testdata/`: which
//! emitter module read each call (`--by emitter`), which signal it was counted from
//! (`--by signal`), the model as the catalog knows it (`--by model`, or its older name
//! `model_family`) beside the model as emitted (`--by model_id`), and the
//! route a file's `route=…` directory gives it (`--by route`).

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// Requests per group value of a one-dimension report.
fn requests_by(args: &[&str], dimension: &str) -> BTreeMap<String, u64> {
    let mut all = args.to_vec();
    all.extend(["--by", dimension]);
    rows(&report_json(&all)).into_iter().map(|(k, t)| (k, t.requests)).collect()
}

fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

#[test]
fn by_emitter_names_the_module_that_read_each_capture() {
    // One emitter per capture, with every call the capture holds.
    for (dir, emitter) in [
        ("emitters/a_openai_v2_default", "semconv"),
        ("emitters/a_openai_v2_latest", "semconv"),
        ("emitters/c_openinference", "openinference"),
        ("emitters/d_litellm_default", "litellm"),
        ("emitters/e_pydantic_ai", "pydantic_ai"),
        ("emitters/f_vercel_ai", "vercel_ai"),
        ("emitters/g_strands", "strands"),
        ("emitters/h_google_adk", "google_adk"),
        ("agents/claude-http-protobuf-1", "claude_code"),
        ("agents/claude-http-protobuf-3", "claude_code"),
        ("agents/codex-http-protobuf-1", "codex"),
        ("agents/codex-http-protobuf-3", "codex"),
    ] {
        let path = testdata(dir);
        let total = report_json(&[&path])["total"]["requests"].as_u64().unwrap();
        assert_eq!(requests_by(&[&path], "emitter"), map(&[(emitter, total)]), "{dir}");
    }
    // OpenLLMetry wraps the anthropic SDK, whose own (semconv) spans win for its calls:
    // the Claude calls are semconv's, the OpenAI ones OpenLLMetry's.
    let truth = expected_by_model(&expected("b_openllmetry"));
    let claude: u64 = truth.iter().filter(|(m, _)| m.starts_with("claude")).map(|(_, t)| t.requests).sum();
    let others: u64 = truth.iter().filter(|(m, _)| !m.starts_with("claude")).map(|(_, t)| t.requests).sum();
    assert_eq!(
        requests_by(&[&testdata("emitters/b_openllmetry")], "emitter"),
        map(&[("semconv", claude), ("openllmetry", others)])
    );
}

#[test]
fn by_signal_says_which_record_was_counted() {
    // Claude Code without its beta traces: the api_request events; with them, the spans
    // (the events repeat them); a metrics file alone: the metrics.
    let claude = |run: &str| testdata(&format!("agents/{run}"));
    assert_eq!(requests_by(&[&claude("claude-http-protobuf-1")], "signal"), map(&[("logs", 5)]));
    assert_eq!(requests_by(&[&claude("claude-http-protobuf-3")], "signal"), map(&[("traces", 3)]));
    let metrics = testdata("agents/claude-http-protobuf-1/metrics.jsonl");
    let from_metrics = report_json(&[&metrics, "--by", "signal"]);
    assert_eq!(from_metrics["rows"].as_array().unwrap().len(), 1, "{from_metrics}");
    assert_eq!(from_metrics["rows"][0]["group"]["signal"], "metrics");
    // Every call of testdata/ is in exactly one signal row.
    let all = report_json(&[&testdata("")]);
    let by_signal = requests_by(&[&testdata("")], "signal");
    assert_eq!(by_signal.values().sum::<u64>(), all["total"]["requests"].as_u64().unwrap());
}

#[test]
fn model_family_puts_every_name_of_one_model_in_one_row() {
    let all = testdata("");
    let by_model = rows(&report_json(&[&all, "--by", "model_id"]));
    let by_family = rows(&report_json(&[&all, "--by", "model_family"]));
    let sum = |models: &[&str]| -> Tokens {
        models.iter().map(|m| *by_model.get(*m).unwrap_or_else(|| panic!("no {m} row: {by_model:?}"))).sum()
    };
    // Dated snapshots, a LiteLLM `provider/` prefix, Copilot's dotted name, a Bedrock
    // inference profile's id and the bare name: one model.
    for (family, models) in [
        ("o4-mini", &["o4-mini-2025-04-16", "openai/o4-mini", "o4-mini"][..]),
        (
            "claude-sonnet-4-5",
            &[
                "claude-sonnet-4-5",
                "claude-sonnet-4-5-20250929",
                "claude-sonnet-4.5",
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ],
        ),
        ("claude-haiku-4-5", &["claude-haiku-4-5", "claude-haiku-4-5-20251001"]),
        ("gpt-4.1", &["gpt-4.1", "gpt-4.1-2025-04-14"]),
        ("gpt-4o-mini", &["gpt-4o-mini-2024-07-18", "gpt-4o-mini", "openai/gpt-4o-mini"]),
    ] {
        assert_eq!(by_family[family], sum(models), "{family}");
    }
    assert_eq!(by_family.values().copied().sum::<Tokens>(), by_model.values().copied().sum::<Tokens>());
    // `--by model_id` stays as emitted, and the family selects.
    assert!(by_model.contains_key("openai/o4-mini"));
    let o4 = report_json(&[&all, "--where", "model_family=o4-mini", "--by", "model_id"]);
    assert_eq!(rows(&o4).len(), 3, "{o4}");
}

/// A call of a model no catalog has (synthetic, like the one in `report.rs`).
const UNKNOWN_MODEL: &str = r#"{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"2222222222222222","name":"chat","endTimeUnixNano":"1795392559000000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"acme-inhouse-7b"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"120"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"30"}}]}]}]}]}"#;

#[test]
fn an_unpriced_call_keeps_its_model_as_its_family() {
    let run = otelcost_stdin(&["report", "--by", "model_family", "--format", "json"], Some(UNKNOWN_MODEL.into()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["rows"][0]["group"]["model_family"], "acme-inhouse-7b");
    assert_eq!(report["rows"][0]["cost"], Value::Null);
}

#[test]
fn dimensions_lists_them_and_line_items_carry_them() {
    let listed = otelcost(&["dimensions", "--format", "json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    for name in ["route", "emitter", "signal", "model_family", "model"] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }

    let lines = otelcost(&["report", &testdata("emitters/d_litellm_default"), "--lines", "--format", "json"]);
    assert_eq!(lines.code, 0, "{}", lines.stderr);
    let first: Value = serde_json::from_str(lines.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["emitter"], "litellm");
    assert_eq!(first["signal"], "traces");
    assert_eq!(first["route"], Value::Null);
    assert!(first["model_family"].is_string(), "{first}");
    let csv =
        otelcost(&["report", &testdata("emitters/d_litellm_default"), "--by", "route,emitter", "--format", "csv"]);
    assert!(csv.stdout.starts_with("route,emitter,requests,"), "{}", csv.stdout);
    assert!(csv.stdout.contains("\n(none),litellm,8,"), "{}", csv.stdout);
}

/// The layout `listen --save` writes for routed requests: each route's files under
/// `route=<route, / as %2F>`; `report` reads the route back from the directory name.
#[test]
fn a_route_directory_gives_its_files_their_route() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &str, to: &str| {
        let target = dir.path().join(to);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(testdata(from), target).unwrap();
    };
    copy("emitters/d_litellm_default/traces.jsonl", "traces.jsonl");
    copy("emitters/f_vercel_ai/traces.jsonl", "route=team-a/traces.jsonl");
    copy("protobuf/g_strands/traces.pb", "route=claude-code%2Fci-1234/traces.pb");
    let root = dir.path().to_str().unwrap();
    assert_eq!(requests_by(&[root], "route"), map(&[("(none)", 8), ("team-a", 10), ("claude-code/ci-1234", 4)]));
    let team_a = report_json(&[root, "--where", "route=team-a", "--by", "emitter"]);
    assert_eq!(rows(&team_a).keys().collect::<Vec<_>>(), ["vercel_ai"]);
    // Inside a route directory, a file named alone still has it.
    let inner = dir.path().join("route=team-a/traces.jsonl");
    assert_eq!(requests_by(&[inner.to_str().unwrap()], "route"), map(&[("team-a", 10)]));

    // A directory so named that is no route: a problem, and its calls still count.
    copy("emitters/g_strands/traces.jsonl", "route=../traces.jsonl");
    let run = otelcost(&["report", root, "--by", "route", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("does not name a route"), "{}", run.stderr);
    assert!(run.stdout.contains("\n(none),12,"), "{}", run.stdout);
    assert_eq!(otelcost(&["report", root, "--strict"]).code, 3);
}

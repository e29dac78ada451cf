//! Coding-agent CLIs (Claude Code, Codex) end to end, on their real captures in
//! `testdata/agents/`, against what the fake API really sent (`tests/expected/<run>.json`):
//! every signal alone, all together, twice, and as raw protobuf bodies.

mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

const RUNS: [&str; 4] =
    ["claude-http-protobuf-1", "claude-http-protobuf-3", "codex-http-protobuf-1", "codex-http-protobuf-3"];

fn run_dir(run: &str) -> String {
    testdata(&format!("agents/{run}"))
}

fn signal_file(run: &str, signal: &str) -> Option<String> {
    let path = root().join(format!("testdata/agents/{run}/{signal}.jsonl"));
    path.exists().then(|| path.display().to_string())
}

/// The run's `expected_tokens_by_model` as exclusive buckets.
fn truth(run: &str) -> BTreeMap<String, Tokens> {
    let e = expected(run);
    e["expected_tokens_by_model"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(model, t)| {
            let n = |k: &str| t[k].as_u64().unwrap();
            let tokens = if run.starts_with("claude") {
                Tokens {
                    requests: n("api_calls"),
                    input: n("input"),
                    cache_read: n("cache_read"),
                    cache_write: n("cache_creation"),
                    output: n("output"),
                    reasoning: n("reasoning"),
                }
            } else {
                // OpenAI input counts cache reads and writes; Codex's `non_cached_input` is
                // input − cached, which still holds the writes. Each token is billed in one
                // bucket, so uncached input is what is left after both.
                assert_eq!(n("input"), n("cached_input") + n("non_cached_input"));
                Tokens {
                    requests: n("api_calls"),
                    input: n("non_cached_input") - n("cache_write_input"),
                    cache_read: n("cached_input"),
                    cache_write: n("cache_write_input"),
                    output: n("output"),
                    reasoning: n("reasoning"),
                }
            };
            (model.clone(), tokens)
        })
        .collect()
}

/// Claude Code's token and cost counters say nothing about how many calls they count.
fn without_requests(t: BTreeMap<String, Tokens>) -> BTreeMap<String, Tokens> {
    t.into_iter().map(|(m, t)| (m, Tokens { requests: 0, ..t })).collect()
}

#[test]
fn every_run_with_all_its_signals_counts_each_call_once() {
    for run in RUNS {
        assert_eq!(rows(&report_json(&[&run_dir(run)])), truth(run), "{run}");
    }
}

#[test]
fn every_run_read_twice_counts_once() {
    for run in RUNS {
        let dir = run_dir(run);
        assert_eq!(rows(&report_json(&[&dir, &dir])), truth(run), "{run}");
    }
}

#[test]
fn log_events_alone_carry_every_call() {
    for run in RUNS {
        let logs = signal_file(run, "logs").unwrap();
        assert_eq!(rows(&report_json(&[&logs])), truth(run), "{run}");
    }
}

#[test]
fn metrics_alone_carry_the_tokens() {
    for run in RUNS {
        let metrics = signal_file(run, "metrics").unwrap();
        let want = if run.starts_with("claude") { without_requests(truth(run)) } else { truth(run) };
        assert_eq!(rows(&report_json(&[&metrics])), want, "{run}");
    }
}

#[test]
fn spans_alone_carry_every_call() {
    // Codex's `handle_responses` span names no model: it comes from the
    // `session_task.turn` span above it, whose own turn totals are not counted again.
    for run in ["claude-http-protobuf-3", "codex-http-protobuf-3"] {
        let traces = signal_file(run, "traces").unwrap();
        assert_eq!(rows(&report_json(&[&traces])), truth(run), "{run}");
    }
}

#[test]
fn each_pair_of_signals_counts_once() {
    for run in ["claude-http-protobuf-3", "codex-http-protobuf-3"] {
        let [t, l, m] = ["traces", "logs", "metrics"].map(|s| signal_file(run, s).unwrap());
        for pair in [[&t, &l], [&t, &m], [&l, &m], [&l, &t], [&m, &t]] {
            assert_eq!(rows(&report_json(&[pair[0], pair[1]])), truth(run), "{run} {pair:?}");
        }
    }
}

#[test]
fn protobuf_request_bodies_read_like_the_json_lines() {
    let bodies = report_json(&[&testdata("bodies/claude-http-protobuf-3")]);
    assert_eq!(rows(&bodies), truth("claude-http-protobuf-3"));
    assert_eq!(bodies["total"], report_json(&[&run_dir("claude-http-protobuf-3")])["total"]);
    let both = report_json(&[&testdata("bodies/claude-http-protobuf-3"), &run_dir("claude-http-protobuf-3")]);
    assert_eq!(rows(&both), truth("claude-http-protobuf-3"));
}

#[test]
fn runs_combined_add_up_and_never_merge() {
    // codex-1 and codex-3 sent the same first response except for its cache writes: two
    // different calls, both counted.
    let dirs: Vec<String> = RUNS.iter().map(|r| run_dir(r)).collect();
    let args: Vec<&str> = dirs.iter().map(String::as_str).collect();
    let mut want: BTreeMap<String, Tokens> = BTreeMap::new();
    for run in RUNS {
        for (model, t) in truth(run) {
            *want.entry(model).or_default() += t;
        }
    }
    assert_eq!(rows(&report_json(&args)), want);
}

/// Sum of the calls' reported cost by model, through the library.
fn reported_cost(paths: &[String]) -> BTreeMap<String, Decimal> {
    let sources: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let store = otelcost::reconcile::Store::default();
    let collected = otelcost::pipeline::collect(&sources, &otelcost::extract::Config::default(), 1, store);
    let mut by_model = BTreeMap::new();
    for call in otelcost::reconcile::reconcile(collected.store).unwrap().calls {
        if let (Some(model), Some(cost)) = (call.model, call.reported_cost) {
            *by_model.entry(model).or_insert(Decimal::ZERO) += cost;
        }
    }
    by_model
}

/// The `cost_usd` of every `api_request` event, summed exactly as sent. (The run's
/// `cost_usd_sum_by_model_from_api_request_events` is a float sum: 0.05519355 for sonnet
/// where the events add up to 0.055193549999999997.)
fn cli_reported_cost(run: &str) -> BTreeMap<String, Decimal> {
    let mut by_model = BTreeMap::new();
    for event in expected(run)["cli_reported"]["api_request_log_events"].as_array().unwrap() {
        let cost = Decimal::from_str(&event["cost_usd"].to_string()).unwrap();
        *by_model.entry(event["model"].as_str().unwrap().to_string()).or_insert(Decimal::ZERO) += cost;
    }
    by_model
}

#[test]
fn claude_codes_own_cost_is_kept_exactly() {
    for run in ["claude-http-protobuf-1", "claude-http-protobuf-3"] {
        let want = cli_reported_cost(run);
        assert_eq!(reported_cost(&[signal_file(run, "logs").unwrap()]), want, "{run} logs");
        // All together: the span is kept, the cost comes from its event.
        assert_eq!(reported_cost(&[run_dir(run)]), want, "{run} all");
    }
    assert_eq!(
        reported_cost(&[signal_file("claude-http-protobuf-3", "traces").unwrap()]),
        BTreeMap::new(),
        "the llm_request span carries no cost"
    );
}

#[test]
fn claude_codes_cost_counter_matches_its_events() {
    for run in ["claude-http-protobuf-1", "claude-http-protobuf-3"] {
        assert_eq!(reported_cost(&[signal_file(run, "metrics").unwrap()]), cli_reported_cost(run), "{run}");
    }
}

/// Claude Code's metrics as they would arrive with
/// `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative`: every point a running
/// total from its stream's first start, each export repeated a second later unchanged (a
/// cumulative exporter re-sends every stream each interval), the two-interval session's
/// second export restarted (new start time, total back to its own delta), and the last
/// request retried.
fn cumulative_claude_metrics() -> String {
    let original = std::fs::read_to_string(signal_file("claude-http-protobuf-1", "metrics").unwrap()).unwrap();
    let mut running: BTreeMap<String, (Value, f64)> = BTreeMap::new();
    let mut out = String::new();
    let mut last = String::new();
    for line in original.lines() {
        let mut req: Value = serde_json::from_str(line).unwrap();
        let mut again = req.clone();
        for (rm, rm2) in req["resourceMetrics"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .zip(again["resourceMetrics"].as_array_mut().unwrap())
        {
            for (sm, sm2) in
                rm["scopeMetrics"].as_array_mut().unwrap().iter_mut().zip(rm2["scopeMetrics"].as_array_mut().unwrap())
            {
                for (m, m2) in
                    sm["metrics"].as_array_mut().unwrap().iter_mut().zip(sm2["metrics"].as_array_mut().unwrap())
                {
                    let name = m["name"].as_str().unwrap().to_string();
                    if name != "claude_code.token.usage" && name != "claude_code.cost.usage" {
                        continue;
                    }
                    m["sum"]["aggregationTemporality"] = json!(2);
                    for p in m["sum"]["dataPoints"].as_array_mut().unwrap() {
                        let key = format!("{name}{}", p["attributes"]);
                        let delta = p["asDouble"].as_f64().unwrap();
                        let restarted = running.contains_key(&key) && key.contains("c4206da9");
                        let entry = running.entry(key).or_insert((p["startTimeUnixNano"].clone(), 0.0));
                        if restarted {
                            *entry = (p["startTimeUnixNano"].clone(), 0.0);
                        }
                        entry.1 += delta;
                        p["startTimeUnixNano"] = entry.0.clone();
                        p["asDouble"] = json!(entry.1);
                    }
                    *m2 = m.clone();
                    for p in m2["sum"]["dataPoints"].as_array_mut().unwrap() {
                        let t: u64 = p["timeUnixNano"].as_str().unwrap().parse().unwrap();
                        p["timeUnixNano"] = json!((t + 1_000_000_000).to_string());
                    }
                }
            }
        }
        last = serde_json::to_string(&again).unwrap();
        out.push_str(&format!("{}\n{last}\n", serde_json::to_string(&req).unwrap()));
    }
    out.push_str(&last);
    out.push('\n');
    out
}

#[test]
fn cumulative_claude_code_metrics_with_a_reset_give_the_same_totals() {
    let text = cumulative_claude_metrics();
    assert!(text.contains("\"aggregationTemporality\":2"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.jsonl");
    std::fs::write(&path, &text).unwrap();
    let path = path.to_str().unwrap().to_string();
    assert_eq!(rows(&report_json(&[&path])), without_requests(truth("claude-http-protobuf-1")));
    // Differencing f64 running totals leaves binary noise far below a cent.
    let got: BTreeMap<_, _> = reported_cost(&[path]).into_iter().map(|(m, c)| (m, c.round_dp(12))).collect();
    let want: BTreeMap<_, _> =
        cli_reported_cost("claude-http-protobuf-1").into_iter().map(|(m, c)| (m, c.round_dp(12))).collect();
    assert_eq!(got, want);

    // Read as if delta, the running totals would count the first interval twice: the
    // rewrite must really be cumulative for this test to mean anything.
    let as_delta = text.replace("\"aggregationTemporality\":2", "\"aggregationTemporality\":1");
    let delta_path = dir.path().join("as-delta-metrics.jsonl");
    std::fs::write(&delta_path, as_delta).unwrap();
    let wrong = rows(&report_json(&[delta_path.to_str().unwrap()]));
    assert_ne!(wrong, without_requests(truth("claude-http-protobuf-1")));
}

#[test]
fn our_prices_match_claude_codes_catalog() {
    // Claude Code prices with its own baked catalog (run.json
    // cross_check_cost_from_claude_code_catalog: expected tokens × its list prices).
    for run in ["claude-http-protobuf-1", "claude-http-protobuf-3"] {
        let report = report_json(&[&run_dir(run)]);
        let ours: BTreeMap<String, Decimal> = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["group"]["model"].as_str().unwrap().to_string(),
                    Decimal::from_str(r["cost"].as_str().unwrap()).unwrap(),
                )
            })
            .collect();
        let catalog: BTreeMap<String, Decimal> = expected(run)["cross_check_cost_from_claude_code_catalog"]
            ["usd_by_model"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(m, v)| (m.clone(), Decimal::from_str(&v.to_string()).unwrap()))
            .collect();
        assert_eq!(ours, catalog, "{run}");
        // What Claude Code itself reported differs only by its float arithmetic.
        for (model, reported) in cli_reported_cost(run) {
            assert!((ours[&model] - reported).abs() < Decimal::new(1, 15), "{run} {model}: {reported}");
        }
    }
}

/// A Claude Code session run by the Claude Agent SDK: the SDK sets
/// `CLAUDE_CODE_ENTRYPOINT=sdk-py`/`sdk-ts` (not exported) and injects its caller's
/// `TRACEPARENT`, so every span lives in the caller's trace and the session's root spans
/// have a parent that is not in the dump. Counted exactly like a CLI session.
#[test]
fn a_session_launched_by_the_agent_sdk_counts_like_the_cli() {
    let run = "claude-http-protobuf-3";
    let caller_trace = "5dc0ffee5dc0ffee5dc0ffee5dc0ffee";
    let dir = tempfile::tempdir().unwrap();
    for signal in ["traces", "logs", "metrics"] {
        let text = std::fs::read_to_string(signal_file(run, signal).unwrap()).unwrap();
        let mut out = String::new();
        for line in text.lines() {
            let mut req: Value = serde_json::from_str(line).unwrap();
            for rs in req["resourceSpans"].as_array_mut().into_iter().flatten() {
                for ss in rs["scopeSpans"].as_array_mut().unwrap() {
                    for span in ss["spans"].as_array_mut().unwrap() {
                        span["traceId"] = json!(caller_trace);
                        if span.get("parentSpanId").is_none_or(|p| p == "") {
                            span["parentSpanId"] = json!("00f067aa0ba902b7");
                        }
                    }
                }
            }
            for rl in req["resourceLogs"].as_array_mut().into_iter().flatten() {
                for sl in rl["scopeLogs"].as_array_mut().unwrap() {
                    for log in sl["logRecords"].as_array_mut().unwrap() {
                        if log.get("traceId").is_some() {
                            log["traceId"] = json!(caller_trace);
                        }
                    }
                }
            }
            out.push_str(&serde_json::to_string(&req).unwrap());
            out.push('\n');
        }
        assert!(signal != "traces" || out.contains("00f067aa0ba902b7"));
        std::fs::write(dir.path().join(format!("{signal}.jsonl")), out).unwrap();
    }
    let sdk = dir.path().display().to_string();
    assert_eq!(rows(&report_json(&[&sdk])), truth(run));
    assert_eq!(rows(&report_json(&[&dir.path().join("traces.jsonl").display().to_string()])), truth(run));
}

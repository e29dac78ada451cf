//! Counting once when identities collide (issue 21), on real captures made for it
//! (`testdata/identity/`; programs, pinned requirements and notes in
//! `tests/capture/identity/`). Every figure below is the fake server's truth, from each
//! capture's NOTES.md, or what the notes say the telemetry itself loses.

mod common;

use common::{report_json, rows, testdata, Tokens};
use serde_json::Value;

fn t(requests: u64, input: u64, cache_read: u64, cache_write: u64, output: u64) -> Tokens {
    Tokens { requests, input, cache_read, cache_write, output, reasoning: 0 }
}

fn total(report: &Value) -> Tokens {
    common::tokens(&report["total"])
}

fn inspect(path: &str) -> Value {
    let run = common::otelcost(&["inspect", path, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

/// 2,000 calls to an Ollama-style server: 880 distinct response ids, up to 7 calls per id,
/// 19 ids used twice within one trace, 3 pairs equal in id, model and usage. Every span
/// is one call (one layer records a call once); the metric repeats them.
#[test]
fn ollama_short_ids_are_no_call_identity() {
    let report = report_json(&[&testdata("identity/ollama_short_ids"), "--by", "model_id,signal"]);
    let expected = [
        ("gemma3:4b/traces", t(398, 788_025, 0, 0, 121_609)),
        ("llama3.2:3b/traces", t(891, 1_843_108, 0, 0, 293_011)),
        ("mistral:7b/traces", t(174, 345_683, 0, 0, 58_246)),
        ("qwen2.5:7b-instruct/traces", t(537, 1_135_942, 0, 0, 160_876)),
    ];
    assert_eq!(rows(&report), expected.iter().map(|(k, v)| (k.to_string(), *v)).collect());
    assert_eq!(total(&report), t(2000, 4_112_758, 0, 0, 633_742));
    let i = inspect(&testdata("identity/ollama_short_ids"));
    assert_eq!(i["not_counted"]["duplicates"], 0);
}

/// Service A (spans) and service B (metrics only) in one Python process share one random
/// `service.instance.id`; every B call has the usage of an A call. 24 distinct calls.
#[test]
fn two_services_of_one_process_are_two_emitters() {
    let report = report_json(&[&testdata("identity/two_services_one_process"), "--by", "service,signal"]);
    let each = t(12, 13_606, 0, 0, 1_582);
    let expected = [("svc-a-chat/traces".to_string(), each), ("svc-b-batch/metrics".to_string(), each)];
    assert_eq!(rows(&report), expected.into_iter().collect());
    assert_eq!(total(&report), t(24, 27_212, 0, 0, 3_164));
    // gpt-4o-mini 22,326 in / 834 out, o4-mini 1,242 / 2,042, gpt-4.1-mini 3,644 / 288.
    assert_eq!(report["total"]["cost"], "0.0161187");
}

/// Every span, event and metric point sent to two routes: 7 calls, under the route that
/// arrived first; route-b's metrics are covered by its own (duplicate) records.
#[test]
fn the_same_data_sent_to_two_routes_counts_once() {
    let dir = testdata("identity/same_data_two_routes");
    let report = report_json(&[&dir, "--by", "route,model_id,signal"]);
    // openai-v2 states no cache or reasoning split: input includes the cache.
    let expected = [
        ("route-a/gpt-4.1-mini-2025-04-14/traces", t(2, 265, 0, 0, 89)),
        ("route-a/gpt-4o-mini-2024-07-18/traces", t(3, 3_796, 0, 0, 66)),
        ("route-a/o4-mini-2025-04-16/traces", t(2, 187, 0, 0, 613)),
    ];
    assert_eq!(rows(&report), expected.iter().map(|(k, v)| (k.to_string(), *v)).collect());
    assert_eq!(total(&report), t(7, 4_248, 0, 0, 768));
    let i = inspect(&dir);
    // Per route a log event inside each span (7 × 2), and route-b's 7 spans again.
    assert_eq!(i["not_counted"]["duplicates_by_match"], serde_json::json!({"same_span": 21}));
    assert_eq!(i["not_counted"]["metrics_covered_by_calls"], 10);
}

/// LangChain (OpenLLMetry) and the anthropic SDK's own tracing: each call is a LangChain
/// span and an SDK span, and counts once as the SDK's span. In a chain (calls 1–3) they
/// are siblings in one trace, streamed (call 3: LangChain's span has no id and input 0)
/// or not. A bare model call (4–7) makes two root spans in two traces of one process:
/// they meet as siblings across traces (overlapping, same model family and output, inputs
/// equal or one of them unknown).
#[test]
fn sibling_layers_count_once_in_one_trace_or_as_roots_of_two() {
    let dir = testdata("identity/langchain_openllmetry_anthropic");
    let report = report_json(&[&dir, "--by", "emitter,model_id"]);
    // The SDK's spans: exactly the truth (7 calls).
    let expected = [
        ("semconv/claude-sonnet-4-5-20250929", t(5, 692, 4_608, 1_152, 135)),
        ("semconv/claude-haiku-4-5", t(2, 231, 0, 0, 89)),
    ];
    assert_eq!(rows(&report), expected.iter().map(|(k, v)| (k.to_string(), *v)).collect());
    let i = inspect(&dir);
    // Calls 1 and 2 by their shared response id, call 3 as a sibling layer, 4–7 across traces.
    assert_eq!(
        i["not_counted"]["duplicates_by_match"],
        serde_json::json!({"shared_id": 2, "sibling_layer": 1, "sibling_across_traces": 4})
    );
    // LangChain's metric (exported twice) is covered by the spans.
    assert_eq!(i["counted"]["metric_totals"], 0);
}

/// The controls: only LangChain's spans (the SDK's tracing off) count 7 calls, streamed
/// ones without input. OpenLLMetry's anthropic instrumentation beside the SDK's makes
/// every call two root spans in two traces: the non-streamed calls' pairs (1, 2, 4, 7)
/// count once as the SDK's span. OpenLLMetry's streamed spans (3, 5, 6) end before the
/// stream is read and state no usage at all (0 of every kind): no identity ties them to
/// their call, but each overlaps the SDK's span of it (same process, model family, both
/// roots), which measured it and counts instead.
#[test]
fn one_layer_alone_counts_each_call_once() {
    let report = report_json(&[&testdata("identity/langchain_openllmetry_anthropic-sdk_otel_off")]);
    // Streamed calls 3, 5, 6 lose their input (1,279 + 1,355 + 110, 2,304 of it cached).
    assert_eq!(total(&report), t(7, 923 - 127 - 203 - 110, 4_608 - 2_304, 1_152, 224));
    let dir = testdata("identity/langchain_openllmetry_anthropic-no_langchain_instr");
    let report = report_json(&[&dir]);
    assert_eq!(total(&report), t(7, 923, 4_608, 1_152, 224));
    assert_eq!(
        inspect(&dir)["not_counted"]["duplicates_by_match"],
        serde_json::json!({"sibling_across_traces": 4, "unmeasured_layer": 3})
    );
    // The same in memory and spilled to disk (every record in the slot rounds).
    let spilled = report_json(&[&dir, "--memory-limit", "1"]);
    assert_eq!(total(&spilled), t(7, 923, 4_608, 1_152, 224));
}

/// Qwen Code (`tests/capture/agents/capture.sh qwen-code-openai-same-id-otlp`): the main
/// agent, its general-purpose subagent and an automatic call, against a server that
/// answers every call with one id (`chatcmpl-1`) and one usage, as local servers and
/// proxies do. Seven calls, each a span and an event of its own: the id joins each event
/// to a span, never two calls (one layer's two spans are two calls).
#[test]
fn qwen_code_calls_sharing_one_response_id_and_usage_count_once_each() {
    let run = "qwen-code-openai-same-id-otlp";
    let truth: std::collections::BTreeMap<String, Tokens> = common::expected(run)["expected_tokens_by_model"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(model, t)| (model.clone(), Tokens::from_truth(t)))
        .collect();
    assert_eq!(truth["gpt-4.1"].requests, 7);
    let dir = testdata(&format!("agents/{run}"));
    assert_eq!(rows(&report_json(&[&dir, "--by", "model_id"])), truth);
    assert_eq!(inspect(&dir)["not_counted"]["duplicates_by_match"], serde_json::json!({"shared_id": 7}));
}

/// Qwen Code's main agent and its managed auto-memory extractor subagent
/// (`tests/capture/agents/capture.sh qwen-code-openai-same-id-memory-otlp`: the extractor,
/// on by default, runs after a user query's turn that ends without a tool call) against a
/// server that answers every call with one id and one usage: two calls, in two traces
/// (the extractor's `llm_request` span is the root of its own, `subagent_name`
/// `managed-auto-memory-extractor`), one after the other. The id joins each call's event
/// to its span, never the two calls (one layer's two spans; times apart).
#[test]
fn qwen_codes_memory_extractor_sharing_the_main_agents_id_and_usage_is_another_call() {
    let run = "qwen-code-openai-same-id-memory-otlp";
    let truth = Tokens::from_truth(&common::expected(run)["expected_tokens_by_model"]["gpt-4.1"]);
    assert_eq!(truth, Tokens { requests: 2, input: 4_000, cache_read: 0, cache_write: 0, output: 90, reasoning: 60 });
    let dir = testdata(&format!("agents/{run}"));
    assert_eq!(total(&report_json(&[&dir])), truth);
    assert_eq!(total(&report_json(&[&dir, "--memory-limit", "1"])), truth);
    assert_eq!(inspect(&dir)["not_counted"]["duplicates_by_match"], serde_json::json!({"shared_id": 2}));
}

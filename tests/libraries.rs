//! Tracing libraries with vocabularies of their own (MLflow, Langfuse, Logfire, the first
//! OpenLLMetry names, Laminar, Semantic Kernel), captured against the fake LLM server
//! (`tests/capture/libraries/<name>/`, NOTES.md there) and read through the binary: tokens
//! per model and list-price cost, each signal alone and together, read twice counts once.
//! Where the telemetry loses something, the test says what and pins what it keeps.

mod common;

use common::*;
use std::collections::BTreeMap;

fn data(name: &str) -> String {
    testdata(&format!("emitters/{name}"))
}

fn signal(name: &str, signal: &str) -> String {
    testdata(&format!("emitters/{name}/{signal}.jsonl"))
}

fn by_model(args: &[&str]) -> BTreeMap<String, Tokens> {
    let args: Vec<&str> = args.iter().copied().chain(["--by", "model_id"]).collect();
    rows(&report_json(&args))
}

/// One call the fake server sent, as the truth counts it.
fn sent(name: &str, fake_request: u64) -> (String, Tokens) {
    let e = expected(name);
    let r = e["per_request"].as_array().unwrap().iter().find(|r| r["fake_request"] == fake_request).unwrap();
    (r["response_model"].as_str().unwrap().to_string(), Tokens::from_truth(r))
}

/// The truth less the calls whose usage the telemetry does not carry.
fn truth_without(name: &str, lost: &[u64]) -> BTreeMap<String, Tokens> {
    let mut want = expected_by_model(&expected(name));
    for n in lost {
        let (model, call) = sent(name, *n);
        let t = want.get_mut(&model).unwrap();
        *t -= call;
        if t.requests == 0 {
            want.remove(&model);
        }
    }
    want
}

/// What a record with no cache or reasoning split shows: every prompt token as input.
fn without_splits(mut want: BTreeMap<String, Tokens>) -> BTreeMap<String, Tokens> {
    for t in want.values_mut() {
        *t =
            Tokens { input: t.input + t.cache_read + t.cache_write, cache_read: 0, cache_write: 0, reasoning: 0, ..*t };
    }
    want
}

fn cost(report: &serde_json::Value, model: &str) -> String {
    model_row(report, model)["cost"].as_str().unwrap().to_string()
}

/// The same data read from its directory, twice over, and as the protobuf requests that
/// were sent: one count.
fn read_twice_and_as_protobuf_counts_once(name: &str, want: &BTreeMap<String, Tokens>) {
    assert_eq!(&by_model(&[&data(name)]), want, "{name}: all signals");
    assert_eq!(&by_model(&[&data(name), &data(name)]), want, "{name}: read twice");
    let pb = testdata(&format!("protobuf/{name}"));
    assert_eq!(&by_model(&[&pb, &data(name)]), want, "{name}: protobuf and JSON");
}

// ---------------------------------------------------------------- MLflow

/// MLflow does not wrap Anthropic streams: call 9 has no usage in either mode.
const MLFLOW_LOST: &[u64] = &[9];

#[test]
fn mlflow_default_mode_reads_its_json_usage_and_the_reasoning_in_the_raw_response() {
    let want = truth_without("mlflow_default", MLFLOW_LOST);
    let report = report_json(&[&signal("mlflow_default", "traces"), "--by", "model_id,emitter,provider_id"]);
    let got = rows(&report);
    let keyed: BTreeMap<String, Tokens> = want
        .iter()
        .map(|(model, t)| {
            // No provider on MLflow's OpenAI spans.
            let provider = if model.starts_with("claude") { "anthropic" } else { "(none)" };
            (format!("{model}/mlflow/{provider}"), *t)
        })
        .collect();
    assert_eq!(got, keyed);
    let report = report_json(&[&signal("mlflow_default", "traces"), "--by", "model_id"]);
    // 1,369 input × $2 + 1,152 cache read × $0.50 + 39 output × $8, per million.
    assert_eq!(cost(&report, "gpt-4.1"), "0.003626");
    // 353 × $3 + 1,152 read × $0.30 + 1,152 written × $3.75 + 99 × $15.
    assert_eq!(cost(&report, "claude-sonnet-4-5-20250929"), "0.0072096");
    assert_eq!(report["total"]["cost"], "0.01466635");
}

#[test]
fn mlflow_metrics_carry_no_tokens_and_every_signal_counts_once() {
    let metrics = report_json(&[&signal("mlflow_default", "metrics")]);
    assert_eq!(metrics["total"]["requests"], 0, "span durations only");
    read_twice_and_as_protobuf_counts_once("mlflow_default", &truth_without("mlflow_default", MLFLOW_LOST));
}

#[test]
fn mlflow_genai_mode_keeps_input_and_output_only() {
    // MLFLOW_ENABLE_OTEL_GENAI_SEMCONV drops every mlflow.* attribute: no cache split, no
    // reasoning; cached prompt tokens are billed as input (an overestimate).
    let want = without_splits(truth_without("mlflow_genai_semconv", MLFLOW_LOST));
    let report = report_json(&[&signal("mlflow_genai_semconv", "traces"), "--by", "model_id,emitter"]);
    let keyed: BTreeMap<String, Tokens> = want.iter().map(|(m, t)| (format!("{m}/mlflow"), *t)).collect();
    assert_eq!(rows(&report), keyed);
    assert_eq!(report["total"]["cost"], "0.01864075");
    read_twice_and_as_protobuf_counts_once("mlflow_genai_semconv", &want);
}

// ---------------------------------------------------------------- Langfuse

#[test]
fn langfuse_generations_and_the_anthropic_sdks_own_spans_count_each_call_once() {
    for name in ["langfuse_v3", "langfuse_v5"] {
        let want = expected_by_model(&expected(name));
        let report = report_json(&[&data(name), "--by", "model_id,emitter"]);
        let got = rows(&report);
        // OpenAI generations are the only record of their calls; each Anthropic generation
        // has the SDK's own span below it, with the provider's counts, which is kept.
        for (key, t) in &got {
            let (model, emitter) = key.split_once('/').unwrap();
            let is_claude = model.starts_with("claude");
            assert_eq!(emitter, if is_claude { "semconv" } else { "langfuse" }, "{name} {key}");
            assert_eq!(Some(t), want.get(model), "{name} {key}");
        }
        assert_eq!(got.len(), want.len(), "{name}");
        assert_eq!(report["total"]["cost"], "0.01509735", "{name}");
        read_twice_and_as_protobuf_counts_once(name, &want);
    }
}

#[test]
fn langfuse_generations_alone_read_the_usage_given_and_keep_the_cost_given() {
    // Without the anthropic SDK's spans (ANTHROPIC_OPEN_TELEMETRY=false), the @observe
    // generations are the calls: Langfuse's own names, input without the cache, and the
    // program's cost_details total as the stated cost.
    let text = std::fs::read_to_string(signal("langfuse_v3", "traces")).unwrap();
    let mut line: serde_json::Value = serde_json::from_str(&text).unwrap();
    for rs in line["resourceSpans"].as_array_mut().unwrap() {
        rs["scopeSpans"].as_array_mut().unwrap().retain(|ss| ss["scope"]["name"] != "com.anthropic.sdk.python");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traces.jsonl");
    std::fs::write(&path, line.to_string()).unwrap();
    let report = report_json(&[path.to_str().unwrap(), "--by", "model_id,emitter", "--cost", "both"]);
    let want = expected_by_model(&expected("langfuse_v3"));
    let keyed: BTreeMap<String, Tokens> = want.iter().map(|(m, t)| (format!("{m}/langfuse"), *t)).collect();
    assert_eq!(rows(&report), keyed);
    // The program's example prices for the four Anthropic calls: 0.005538 + 0.0016716 +
    // 0.000431 + 0.000513 (the OpenAI generations state none).
    assert_eq!(report["total"]["reported_cost"], "0.0081536");
}

// ---------------------------------------------------------------- Logfire

#[test]
fn logfire_reads_reasoning_from_the_raw_usage_and_streams_from_their_sibling_record() {
    for name in ["logfire_default", "logfire_v1_legacy", "logfire_genai_prices"] {
        let want = expected_by_model(&expected(name));
        let report = report_json(&[&data(name), "--by", "model_id,emitter"]);
        let keyed: BTreeMap<String, Tokens> = want.iter().map(|(m, t)| (format!("{m}/logfire"), *t)).collect();
        assert_eq!(rows(&report), keyed, "{name}");
        assert_eq!(report["total"]["cost"], "0.01509735", "{name}");
        read_twice_and_as_protobuf_counts_once(name, &want);
    }
}

#[test]
fn logfire_with_genai_prices_states_the_same_cost_as_ours() {
    let report = report_json(&[&data("logfire_genai_prices"), "--cost", "both"]);
    assert_eq!(report["total"]["reported_cost"], "0.01509735");
    for row in report["rows"].as_array().unwrap() {
        assert_eq!(row["cost"], row["reported_cost"], "{row}");
    }
    let without = report_json(&[&data("logfire_default"), "--cost", "both"]);
    assert_eq!(without["total"]["reported_cost"], serde_json::Value::Null, "no genai-prices, no stated cost");
}

// ---------------------------------------------------------------- OpenLLMetry's first names

/// What traceloop-sdk 0.16.9's spans say (its NOTES): OpenAI counts without cache or
/// reasoning split, no usage on the streamed call (5), and for Anthropic the library's own
/// local token counts of the message text (7 / 22, 7 / 0), except call 10 where counting
/// failed and the API's values stayed.
fn traceloop_spans_show() -> BTreeMap<String, Tokens> {
    let name = "traceloop_legacy_llm_usage";
    let mut want = without_splits(truth_without(name, &[5, 7, 8, 9]));
    let local = |requests, input, output| Tokens { requests, input, output, ..Tokens::default() };
    want.insert("claude-sonnet-4-5-20250929".into(), local(2, 14, 44));
    *want.get_mut("claude-haiku-4-5").unwrap() += local(1, 7, 0);
    want
}

#[test]
fn traceloop_legacy_spans_name_their_models_and_vendors() {
    let want = traceloop_spans_show();
    let report = report_json(&[&signal("traceloop_legacy_llm_usage", "traces"), "--by", "model_id,provider"]);
    let keyed: BTreeMap<String, Tokens> = want
        .iter()
        .map(|(m, t)| (format!("{m}/{}", if m.starts_with("claude") { "anthropic" } else { "openai" }), *t))
        .collect();
    assert_eq!(rows(&report), keyed);
    let report = report_json(&[&signal("traceloop_legacy_llm_usage", "traces")]);
    // Cached prompt tokens at the input rate: 2,521 × $2 + 39 × $8, per million.
    assert_eq!(cost(&report, "gpt-4.1"), "0.005354");
    assert_eq!(report["total"]["cost"], "0.00835485");
    read_twice_and_as_protobuf_counts_once("traceloop_legacy_llm_usage", &want);
}

#[test]
fn traceloop_legacy_token_counters_alone() {
    // The cumulative counters, exported three times, hold the spans' counts less call 10
    // (its local count failed before the counter was recorded); a sum has no call count.
    let mut want = traceloop_spans_show();
    for t in want.values_mut() {
        t.requests = 0;
    }
    let haiku = want.get_mut("claude-haiku-4-5").unwrap();
    let (_, call10) = sent("traceloop_legacy_llm_usage", 10);
    haiku.input -= call10.input;
    haiku.output -= call10.output;
    assert_eq!(by_model(&[&signal("traceloop_legacy_llm_usage", "metrics")]), want);
}

// ---------------------------------------------------------------- Laminar

#[test]
fn laminar_counts_each_call_once_beside_the_anthropic_sdks_spans() {
    // Call 6 streamed without include_usage: no usage reached the client (not in the truth).
    let want = expected_by_model(&expected("laminar"));
    let report = report_json(&[&data("laminar"), "--by", "model_id,emitter"]);
    let got = rows(&report);
    for (key, t) in &got {
        let (model, emitter) = key.split_once('/').unwrap();
        // Laminar's anthropic.chat re-reports the SDK's own span (same response id).
        assert_eq!(emitter, if model.starts_with("claude") { "semconv" } else { "laminar" }, "{key}");
        assert_eq!(Some(t), want.get(model), "{key}");
    }
    assert_eq!(got.len(), want.len());
    assert_eq!(report["total"]["cost"], "0.0091261");
    read_twice_and_as_protobuf_counts_once("laminar", &want);
}

// ---------------------------------------------------------------- Semantic Kernel

#[test]
fn semantic_kernel_diagnostics_spans_have_input_and_output_only() {
    // Its chat spans state the request model only, and no cache or reasoning count: the
    // streamed call's cache read is billed as input; o4-mini's reasoning stays in output.
    let e = expected("semantic_kernel");
    let want = without_splits(expected_totals(&e, "by_request_model"));
    assert_eq!(by_model(&[&signal("semantic_kernel", "traces")]), want);
    // Its only metric is a duration; its `OpenAI usage: CompletionUsage(…)` log bodies (a
    // Python repr, no model, non-streamed calls only) are not read.
    assert_eq!(report_json(&[&signal("semantic_kernel", "metrics")])["total"]["requests"], 0);
    assert_eq!(report_json(&[&signal("semantic_kernel", "logs")])["total"]["requests"], 0);
    read_twice_and_as_protobuf_counts_once("semantic_kernel", &want);
    let report = report_json(&[&data("semantic_kernel")]);
    // 100 × $1.10 + 325 × $4.40, per million.
    assert_eq!(cost(&report, "o4-mini"), "0.00154");
}

#[test]
fn semantic_kernel_defaults_export_no_usage_a_span_can_carry() {
    // Diagnostics off: no chat spans; usage only in INFO log bodies (see the NOTES).
    assert_eq!(report_json(&[&data("semantic_kernel_default")])["total"]["requests"], 0);
}

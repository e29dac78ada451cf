//! Agent frameworks and observability SDKs (issue 19), each captured against a fake LLM API
//! (`tests/capture/i19b`, `tests/capture/i19c`: programs, pins, NOTES.md with the truth
//! table): through the binary, the tokens per model are what the fake server sent
//! (`tests/expected/<capture>.json`), and each model's cost is its tokens at the list
//! prices written below, so a wrong price entry fails as surely as a wrong count.
//! Where the telemetry loses something, the test pins what it keeps and says what is lost.

mod common;

use common::{expected, expected_by_model, expected_totals, otelcost, report_json, rows, testdata, Tokens};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

/// List prices in USD per million tokens: input, cache read, cache write (5 minutes), output.
struct Rates(&'static str, &'static str, &'static str, &'static str);

// genai-prices entries (`otelcost prices show …`).
const GPT_4O_MINI: Rates = Rates("0.15", "0.075", "0", "0.6");
const O4_MINI: Rates = Rates("1.1", "0.275", "0", "4.4");
const GPT_41_MINI: Rates = Rates("0.4", "0.1", "0", "1.6");
const CLAUDE_SONNET_45: Rates = Rates("3", "0.3", "3.75", "15");
/// Bedrock's cross-region inference profile (`us.…`): `aws/regional.anthropic.claude-sonnet-4-5…`.
const BEDROCK_REGIONAL_SONNET_45: Rates = Rates("3.3", "0.33", "4.125", "16.5");
const BEDROCK_NOVA_LITE: Rates = Rates("0.06", "0.015", "0", "0.24");

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn list_price(t: &Tokens, r: &Rates) -> Decimal {
    let part = |n: u64, rate: &str| Decimal::from(n) * dec(rate);
    (part(t.input, r.0) + part(t.cache_read, r.1) + part(t.cache_write, r.2) + part(t.output, r.3))
        / Decimal::from(1_000_000)
}

/// The rates of a model as the telemetry names it.
fn rates(model: &str) -> &'static Rates {
    let m = model.strip_prefix("openai/").unwrap_or(model);
    if m.starts_with("gpt-4o-mini") {
        &GPT_4O_MINI
    } else if m.starts_with("o4-mini") {
        &O4_MINI
    } else if m.starts_with("gpt-4.1-mini") {
        &GPT_41_MINI
    } else if m.starts_with("claude-sonnet-4-5") {
        &CLAUDE_SONNET_45
    } else if m.starts_with("us.anthropic.claude-sonnet-4-5") {
        &BEDROCK_REGIONAL_SONNET_45
    } else if m.starts_with("amazon.nova-lite") {
        &BEDROCK_NOVA_LITE
    } else {
        panic!("no list price written for {model}")
    }
}

/// `otelcost report PATHS --by model`: its rows are `want`, each costing its list price, and
/// the total is their sum.
fn assert_report(paths: &[&str], want: &BTreeMap<String, Tokens>) -> Value {
    let mut args = paths.to_vec();
    args.extend(["--by", "model_id"]);
    let report = report_json(&args);
    assert_eq!(&rows(&report), want, "{paths:?}");
    let mut total = Decimal::ZERO;
    for row in report["rows"].as_array().unwrap() {
        let model = row["group"]["model_id"].as_str().unwrap();
        let cost = dec(row["cost"].as_str().unwrap_or_else(|| panic!("{model} is unpriced")));
        assert_eq!(cost, list_price(&common::tokens(row), rates(model)), "{model} in {paths:?}");
        total += cost;
    }
    assert_eq!(dec(report["total"]["cost"].as_str().unwrap()), total);
    report
}

fn traces(capture: &str) -> String {
    testdata(&format!("emitters/{capture}/traces.jsonl"))
}

fn protobuf(capture: &str) -> String {
    testdata(&format!("protobuf/{capture}/traces.pb"))
}

/// The capture's traces alone, as JSON lines and as protobuf, and both read together
/// (the same spans twice count once).
fn assert_traces(capture: &str, want: &BTreeMap<String, Tokens>) -> Value {
    let report = assert_report(&[&traces(capture)], want);
    assert_report(&[&protobuf(capture)], want);
    assert_report(&[&traces(capture), &protobuf(capture)], want);
    report
}

/// The emitter module each row was read by, per model.
fn emitters(report: &Value) -> BTreeMap<String, String> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["group"]["model_id"].as_str().unwrap().into(), r["group"]["emitter"].as_str().unwrap().into()))
        .collect()
}

fn by_model_and_emitter(capture: &str) -> BTreeMap<String, String> {
    emitters(&report_json(&[&traces(capture), "--by", "model_id,emitter"]))
}

/// Every prompt token as input, no reasoning: what a record without cache or reasoning
/// counts shows.
fn without_splits(mut t: Tokens) -> Tokens {
    t.input += t.cache_read + t.cache_write;
    (t.cache_read, t.cache_write, t.reasoning) = (0, 0, 0);
    t
}

// ---------------------------------------------------------------- Haystack

#[test]
fn haystack_content_tracing_reads_the_usage_inside_generator_outputs_once() {
    // Usage sits only in JSON strings: each chat generator's output and each Agent LLM
    // step's output. The pipeline's and the Agent's outputs and the second step's input
    // repeat it and never count. The stream without include_usage (call 5) has none.
    let want = expected_by_model(&expected("haystack_content_tracing"));
    let report = assert_traces("haystack_content_tracing", &want);
    assert_eq!(report["total"]["requests"], 6);
    assert!(by_model_and_emitter("haystack_content_tracing").values().all(|e| e == "haystack"));
}

#[test]
fn haystack_without_content_tracing_has_no_usage_at_all() {
    // Haystack's default spans name no model and no token count: nothing to count.
    let run = otelcost(&["report", &traces("haystack_default"), "--format", "json"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["total"]["requests"], 0, "{}", run.stderr);
}

// ---------------------------------------------------------------- DSPy + OpenInference

#[test]
fn dspy_through_litellm_counts_the_litellm_span_not_the_lm_call_above_it() {
    // `LM.__call__` (LLM kind, no counts) is the parent of LiteLLM's `completion` span
    // for the same request; the model is LiteLLM's route string with the request model.
    // The stream DSPy makes through LiteLLM asks for no usage: the server sent none.
    let want: BTreeMap<String, Tokens> = expected_totals(&expected("dspy_litellm"), "by_request_model")
        .into_iter()
        .map(|(model, t)| (format!("openai/{model}"), t))
        .collect();
    assert_traces("dspy_litellm", &want);
    assert!(by_model_and_emitter("dspy_litellm").values().all(|e| e == "openinference"));
    // LiteLLM's own `llm.cost.total` of each span, kept beside ours exactly as written.
    let both = report_json(&[&traces("dspy_litellm"), "--cost", "both"]);
    let stated =
        ["0.00020535", "0.00012315", "0.0013431000000000003", "0.000055049999999999996", "0.00023009999999999998"];
    assert_eq!(dec(both["total"]["reported_cost"].as_str().unwrap()), stated.iter().map(|s| dec(s)).sum::<Decimal>());
}

#[test]
fn dspy_through_its_own_engine_exports_no_usage() {
    // dspy 3.4's default engine calls the API with its own HTTP client: only the
    // `LM.__call__` spans remain, without counts.
    let run = otelcost(&["report", &traces("dspy_default"), "--format", "json"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["total"]["requests"], 0, "{}", run.stderr);
}

// ---------------------------------------------------------------- OpenInference Bedrock

#[test]
fn openinference_bedrock_counts_converse_and_invoke_model_with_their_cache() {
    // Model ids verbatim (inference profile and version), priced by Bedrock's own entries.
    let report = assert_traces("openinference_bedrock", &expected_by_model(&expected("openinference_bedrock")));
    assert_eq!(report["total"]["requests"], 8);
}

// ---------------------------------------------------------------- Mastra

#[test]
fn mastra_counts_its_chat_spans() {
    // Its provider is the AI SDK provider id the user chose (`fakeai.chat`): priced by
    // model. The stream with the provider's default (no includeUsage) has no usage.
    let want = expected_by_model(&expected("mastra"));
    assert_traces("mastra", &want);
    // Its only log record is a warning, not usage: all signals together are the same.
    assert_report(&[&testdata("emitters/mastra")], &want);
}

// ---------------------------------------------------------------- Braintrust

#[test]
fn braintrust_exports_the_instrumentations_spans_and_each_call_counts_once() {
    // OpenLLMetry's spans and the anthropic SDK's own for the same Anthropic call share
    // a response id: the SDK's is kept (OpenLLMetry over-counts the stream's output).
    let want = expected_by_model(&expected("braintrust_otel"));
    assert_traces("braintrust_otel", &want);
    // filter_ai_spans drops the parents: the usage spans are orphans, counted the same.
    assert_eq!(expected_by_model(&expected("braintrust_otel_filter_ai")), want);
    assert_traces("braintrust_otel_filter_ai", &want);
}

// ---------------------------------------------------------------- CrewAI

#[test]
fn crewai_counts_the_openai_spans_and_never_the_crew_total() {
    // The kickoff span's output holds the crew's whole token_usage: text, never a count.
    assert_traces("crewai_openinference", &expected_by_model(&expected("crewai_openinference")));
}

// ---------------------------------------------------------------- W&B Weave

#[test]
fn weave_exports_the_agents_sdk_calls_only() {
    // A plain openai call goes to Weave's own protocol, not OTLP (weave notes): the
    // OpenAI Agents SDK's five Responses calls are all the telemetry has.
    let s = expected("weave_openai_agents");
    let mut want = expected_by_model(&s);
    let plain = Tokens::from_truth(&s["per_request"][5]);
    assert_eq!(s["per_request"][5]["api"], "openai.chat");
    *want.get_mut("gpt-4o-mini-2024-07-18").unwrap() -= plain;
    assert_traces("weave_openai_agents", &want);
}

// ---------------------------------------------------------------- LangChain JS + Traceloop

/// What LangChain JS's spans show: the request model (also as the response model), every
/// prompt token as input, no reasoning (cache read and reasoning are dropped).
fn langchainjs_spans_show(capture: &str) -> BTreeMap<String, Tokens> {
    expected_totals(&expected(capture), "by_request_model").into_iter().map(|(m, t)| (m, without_splits(t))).collect()
}

#[test]
fn langchainjs_traceloop_counts_the_langchain_spans() {
    assert_traces("langchainjs_traceloop", &langchainjs_spans_show("langchainjs_traceloop"));
}

// ------------------------------------------- Two layers of one call in two traces (issue 21)
//
// In these three captures a framework's span and the provider instrumentation's span of
// the same call are in two traces (one of the two instrumentations does not take its
// parent from the context, so its span is a trace root), and the framework's span carries
// no response id. They meet across the traces of their process as siblings (README,
// Counting once) and count once, as the inner span: the provider instrumentation's.

#[test]
fn openinference_langchain_and_the_anthropic_sdks_own_root_spans_count_once() {
    let s = expected("openinference_langchain");
    // OpenInference names the response model when the response has one: the OpenAI
    // stream's (call 5) has none, so it is the request model.
    let mut langchain = expected_by_model(&s);
    let stream = Tokens::from_truth(&s["per_request"][3]);
    assert_eq!(
        (s["per_request"][3]["fake_request"].as_u64(), s["per_request"][3]["stream"].as_bool()),
        (Some(5), Some(true))
    );
    assert_eq!(langchain.remove("gpt-4.1-mini-2025-04-14"), Some(stream), "call 4 sent no usage");
    langchain.insert("gpt-4.1-mini".into(), stream);
    let one_layer = |emitter: &str| {
        let report = report_json(&[
            &traces("openinference_langchain"),
            "--by",
            "model_id",
            "--where",
            &format!("emitter={emitter}"),
        ]);
        rows(&report)
    };
    // The anthropic SDK's `anthropic.messages.create` spans (calls 8 to 12), each inside
    // LangChain's span of the call: counted instead of it.
    let (sdk, others): (BTreeMap<String, Tokens>, BTreeMap<String, Tokens>) =
        langchain.iter().map(|(m, t)| (m.clone(), *t)).partition(|(m, _)| m.starts_with("claude"));
    assert_eq!(one_layer("semconv"), sdk);
    assert_eq!(one_layer("openinference"), others);
    assert_report(&[&traces("openinference_langchain")], &langchain);
}

#[test]
fn crewai_event_listener_spans_and_the_openai_root_spans_count_once() {
    // `<model>.llm_call` spans (CrewAI's events, in the crew's trace: the request model, no
    // reasoning split) and `ChatCompletion` spans (the openai instrumentation, each the
    // root of its own trace: the dated model, every split): each call once, as the inner
    // `ChatCompletion` span.
    assert_traces("crewai_openinference_events", &expected_by_model(&expected("crewai_openinference_events")));
}

#[test]
fn langchainjs_with_the_openai_module_counts_the_langchain_spans() {
    // The OpenAI instrumentation's spans are each the root of a trace inside LangChain's
    // root span of the call. Its stream span holds Traceloop's own token estimate (input
    // 5, output 15), not the usage the API sent, and nothing on it says it streamed: its
    // instrumentation estimates, so its spans come after LangChain's of the same calls
    // (same usage, or for the stream, overlapping and of the same model family), which
    // count: the truth, under the request model.
    let s = expected("langchainjs_traceloop_openai");
    let truth: BTreeMap<String, Tokens> =
        expected_by_model(&s).into_iter().map(|(m, t)| (m, without_splits(t))).collect();
    let want = langchainjs_spans_show("langchainjs_traceloop_openai");
    assert_eq!(want.values().map(|t| t.requests).sum::<u64>(), truth.values().map(|t| t.requests).sum::<u64>());
    assert_eq!(want["gpt-4.1-mini"], truth["gpt-4.1-mini-2025-04-14"]);
    assert_traces("langchainjs_traceloop_openai", &want);
    // Every estimate was replaced or confirmed by LangChain's span: no warning.
    let run = otelcost(&["report", &traces("langchainjs_traceloop_openai")]);
    assert!(!run.stderr.contains("estimated"), "{}", run.stderr);
}

/// The same capture without LangChain's spans (each OpenAI span kept as it was sent):
/// the estimates are all there is, so they count, with a warning naming the
/// instrumentation: every call of it may be one (nothing on its spans says which streamed).
#[test]
fn traceloops_openai_spans_alone_count_with_a_warning_that_they_may_be_estimates() {
    let dir = tempfile::tempdir().unwrap();
    let only = dir.path().join("traces.jsonl");
    let capture = std::fs::read_to_string(traces("langchainjs_traceloop_openai")).unwrap();
    let mut lines = Vec::new();
    for line in capture.lines() {
        let mut request: Value = serde_json::from_str(line).unwrap();
        for resource in request["resourceSpans"].as_array_mut().unwrap() {
            let scopes = resource["scopeSpans"].as_array_mut().unwrap();
            scopes.retain(|s| s["scope"]["name"] == "@traceloop/instrumentation-openai");
        }
        lines.push(request.to_string());
    }
    std::fs::write(&only, lines.join("\n")).unwrap();
    let report = report_json(&[only.to_str().unwrap(), "--by", "model_id"]);
    // The stream's estimate (5 in, 15 out) beside the five calls' measured usage.
    assert_eq!(
        rows(&report)["gpt-4.1-mini-2025-04-14"],
        Tokens { requests: 1, input: 5, output: 15, ..Default::default() }
    );
    assert_eq!(report["total"]["requests"], 6);
    let run = otelcost(&["report", only.to_str().unwrap()]);
    assert!(
        run.stderr.contains("warning: 6 calls counted from usage their instrumentation may have estimated itself")
            && run.stderr.contains("@traceloop/instrumentation-openai"),
        "{}",
        run.stderr
    );
    let inspect = otelcost(&["inspect", only.to_str().unwrap(), "--format", "json"]);
    let inspect: Value = serde_json::from_str(&inspect.stdout).unwrap();
    assert_eq!(inspect["counted"]["estimated"], 6);
}

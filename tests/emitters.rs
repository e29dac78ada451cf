//! Each instrumentation library's capture, signal by signal, against what the fake LLM
//! server really sent (`tests/expected/<scenario>.json`). Where a signal cannot carry
//! the truth, the test pins what it shows and says which scenario note explains it.
//!
//! Runs the library in-process (input → extract → reconcile): the figures are the
//! counted calls before pricing, and the emitters' own stated costs are visible.

mod common;

use common::{expected, expected_by_model, expected_totals, testdata, Tokens};
use otelcost::extract::Config;
use otelcost::model::{Call, Emitter};
use otelcost::{pipeline, reconcile};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The calls counted from `paths` (files or directories), asserting they all read cleanly,
/// and that spilling all of it to disk (a memory limit of 0) counts the very same calls.
fn calls(paths: &[String]) -> Vec<Call> {
    let sources: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let read = |limit: usize| {
        let store = reconcile::Store::new(reconcile::Limits { memory: limit, temp_dir: std::env::temp_dir() });
        let collected = pipeline::collect(&sources, &Config::default(), 1, store);
        assert!(collected.problems.is_empty(), "problems reading {paths:?}: {:?}", collected.problems);
        let held = collected.store.usage_records > 0;
        assert_eq!(collected.store.spilled().is_some(), held && limit == 0, "{paths:?}");
        reconcile::reconcile(collected.store).unwrap().calls.collect::<Vec<Call>>()
    };
    let calls = read(usize::MAX);
    let spilled = read(0);
    assert_eq!(format!("{calls:?}"), format!("{spilled:?}"), "spilled and in-memory calls differ for {paths:?}");
    calls
}

fn by_model(calls: &[Call]) -> BTreeMap<String, Tokens> {
    let mut out: BTreeMap<String, Tokens> = BTreeMap::new();
    for c in calls {
        let t = out.entry(c.model.clone().unwrap_or_default()).or_default();
        t.requests += c.requests;
        t.input += c.tokens.input;
        t.cache_read += c.tokens.cache_read;
        t.cache_write += c.tokens.cache_write();
        t.output += c.tokens.output;
        t.reasoning += c.tokens.reasoning;
    }
    out
}

fn reported(calls: &[Call]) -> Option<Decimal> {
    calls.iter().filter_map(|c| c.reported_cost).reduce(|a, b| a + b)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_scientific(s).or_else(|_| s.parse()).unwrap()
}

fn truth(scenario: &str) -> BTreeMap<String, Tokens> {
    expected_by_model(&expected(scenario))
}

fn file(scenario: &str, name: &str) -> String {
    testdata(&format!("emitters/{scenario}/{name}"))
}

/// What a signal with no cache or reasoning split shows: every prompt token as input.
fn without_splits(scenario: &str) -> BTreeMap<String, Tokens> {
    let s = expected(scenario);
    truth(scenario)
        .into_iter()
        .map(|(model, t)| {
            let all = s["expected_totals"]["by_response_model"][&model]["input_tokens_total_incl_cache"].as_u64();
            (model, Tokens { input: all.unwrap(), cache_read: 0, cache_write: 0, reasoning: 0, ..t })
        })
        .collect()
}

/// Moves one call's tokens from the model that answered to the one a record names.
fn move_call(want: &mut BTreeMap<String, Tokens>, from: &str, to: &str, call: Tokens) {
    let f = want.get_mut(from).unwrap();
    *f -= call;
    if f.requests == 0 {
        want.remove(from);
    }
    *want.entry(to.into()).or_default() += call;
}

/// Writes JSON lines to a temporary file.
fn temp_jsonl(dir: &tempfile::TempDir, name: &str, lines: &[Value]) -> String {
    let path = dir.path().join(name);
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(&path, text.join("\n")).unwrap();
    path.display().to_string()
}

fn read_jsonl(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Every span of a traces JSON line, mutably.
fn spans_mut(line: &mut Value) -> Vec<&mut Value> {
    let mut out = Vec::new();
    for rs in line["resourceSpans"].as_array_mut().into_iter().flatten() {
        for ss in rs["scopeSpans"].as_array_mut().into_iter().flatten() {
            out.extend(ss["spans"].as_array_mut().into_iter().flatten());
        }
    }
    out
}

// ---------------------------------------------------------------- b: OpenLLMetry

/// The streamed o4-mini span carries no reasoning attribute (b notes: "gen_ai.usage.
/// reasoning_tokens only on the non-streaming openai spans"): its output is right.
fn openllmetry_spans_show() -> BTreeMap<String, Tokens> {
    let mut want = truth("b_openllmetry");
    want.get_mut("o4-mini-2025-04-16").unwrap().reasoning = 0;
    want
}

#[test]
fn openllmetry_traces_count_each_call_once_from_the_providers_own_span() {
    let got = calls(&[file("b_openllmetry", "traces.jsonl")]);
    assert_eq!(by_model(&got), openllmetry_spans_show());
    // Both Anthropic spans of a call share its response id; the SDK's own is kept.
    let anthropic: Vec<_> = got.iter().filter(|c| c.provider.as_deref() == Some("anthropic")).collect();
    assert_eq!(anthropic.len(), 4);
    assert!(anthropic.iter().all(|c| c.emitter == Emitter::Semconv), "the anthropic SDK's span, read by semconv");
    assert!(got.iter().filter(|c| c.provider.as_deref() == Some("openai")).all(|c| c.emitter == Emitter::OpenLlmetry));
}

#[test]
fn openllmetry_over_count_loses_whatever_the_span_order() {
    // Reversed, OpenLLMetry's anthropic.chat span (streamed haiku output 17, one too many:
    // b notes) comes before the SDK's span (16) for the same response.
    let mut lines = read_jsonl(&file("b_openllmetry", "traces.jsonl"));
    lines.reverse();
    let dir = tempfile::tempdir().unwrap();
    let reversed = temp_jsonl(&dir, "traces.jsonl", &lines);
    assert_eq!(by_model(&calls(&[reversed])), openllmetry_spans_show());
}

#[test]
fn openllmetry_metrics_alone() {
    let mut want = without_splits("b_openllmetry");
    // The histograms come from OpenLLMetry's instrumentation: the streamed haiku call's
    // output is one too many (b notes, "OpenLLMetry's anthropic.chat span … 17 vs 16").
    want.get_mut("claude-haiku-4-5-20251001").unwrap().output += 1;
    assert_eq!(by_model(&calls(&[file("b_openllmetry", "metrics.jsonl")])), want);
}

#[test]
fn openllmetry_all_signals_and_protobuf() {
    let all = by_model(&calls(&[testdata("emitters/b_openllmetry")]));
    assert_eq!(all, openllmetry_spans_show());
    let pb = by_model(&calls(&[testdata("protobuf/b_openllmetry/traces.pb")]));
    assert_eq!(pb, openllmetry_spans_show());
    let pb_metrics = by_model(&calls(&[testdata("protobuf/b_openllmetry/metrics.pb")]));
    assert_eq!(pb_metrics, by_model(&calls(&[file("b_openllmetry", "metrics.jsonl")])));
}

#[test]
fn openllmetry_older_attribute_names_read_the_same() {
    // The ≤ 2025 eras: llm.usage.* counts and underscore cache names.
    let renames = [
        ("gen_ai.usage.input_tokens", "llm.usage.prompt_tokens"),
        ("gen_ai.usage.output_tokens", "llm.usage.completion_tokens"),
        ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"),
        ("gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens"),
        ("gen_ai.usage.reasoning_tokens", "llm.usage.reasoning_tokens"),
    ];
    let mut lines = read_jsonl(&file("b_openllmetry", "traces.jsonl"));
    for line in &mut lines {
        let is_openllmetry = line.to_string().contains("\"opentelemetry.instrumentation.");
        for span in spans_mut(line).into_iter().filter(|_| is_openllmetry) {
            for kv in span["attributes"].as_array_mut().into_iter().flatten() {
                if let Some((_, new)) = renames.iter().find(|(old, _)| kv["key"] == *old) {
                    kv["key"] = (*new).into();
                }
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = temp_jsonl(&dir, "traces.jsonl", &lines);
    let got = calls(&[path]);
    assert_eq!(by_model(&got), openllmetry_spans_show());
    assert!(got.iter().filter(|c| c.provider.as_deref() == Some("openai")).all(|c| c.emitter == Emitter::OpenLlmetry));
}

// ---------------------------------------------------------------- c: OpenInference

#[test]
fn openinference_traces_match_what_the_server_sent() {
    let got = calls(&[file("c_openinference", "traces.jsonl")]);
    assert_eq!(by_model(&got), truth("c_openinference"));
    assert!(got.iter().all(|c| c.emitter == Emitter::OpenInference));
    // No `llm.cost.*` in this capture: nothing stated, nothing invented.
    assert_eq!(reported(&got), None);
    let sessions: BTreeMap<_, u64> = got.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(c.session.clone().unwrap_or_default()).or_default() += c.requests;
        m
    });
    assert_eq!(sessions, BTreeMap::from([("sess-heidi-1".into(), 3), ("sess-ivan-1".into(), 4)]));
}

#[test]
fn openinference_chain_span_summing_an_llm_child_is_not_counted() {
    // A LangChain-style CHAIN parent repeating its LLM child's counts, with a stated cost.
    let mut lines = read_jsonl(&file("c_openinference", "traces.jsonl"));
    let line = &mut lines[0];
    let spans = spans_mut(line);
    let child = spans.into_iter().next().unwrap();
    let mut parent = child.clone();
    parent["spanId"] = "00000000000000aa".into();
    child["parentSpanId"] = "00000000000000aa".into();
    for kv in parent["attributes"].as_array_mut().unwrap() {
        if kv["key"] == "openinference.span.kind" {
            kv["value"] = serde_json::json!({"stringValue": "CHAIN"});
        }
    }
    child["attributes"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"key": "llm.cost.total", "value": {"doubleValue": 0.00025065}}));
    line["resourceSpans"][0]["scopeSpans"][0]["spans"].as_array_mut().unwrap().push(parent);
    let dir = tempfile::tempdir().unwrap();
    let path = temp_jsonl(&dir, "traces.jsonl", &lines);
    let got = calls(&[path]);
    assert_eq!(by_model(&got), truth("c_openinference"));
    assert_eq!(reported(&got), Some(dec("0.00025065")));
}

// ---------------------------------------------------------------- d: LiteLLM

/// The two streamed calls, as the fake server sent them (d fake_llm_log): LiteLLM names
/// them by the request model (d notes, "For STREAMED calls litellm reports
/// gen_ai.response.model = the request model").
const STREAMED_GPT41: Tokens =
    Tokens { requests: 1, input: 36, cache_read: 0, cache_write: 0, output: 39, reasoning: 0 };
const STREAMED_HAIKU: Tokens =
    Tokens { requests: 1, input: 27, cache_read: 1536, cache_write: 0, output: 26, reasoning: 0 };

fn litellm_spans_show() -> BTreeMap<String, Tokens> {
    let mut want = truth("d_litellm_default");
    move_call(&mut want, "gpt-4.1-2025-04-14", "gpt-4.1", STREAMED_GPT41);
    move_call(&mut want, "claude-haiku-4-5-20251001", "claude-haiku-4-5", STREAMED_HAIKU);
    want
}

/// `gen_ai.cost.total_cost` of every `litellm_request` span, as the text on the wire.
fn litellm_stated_cost() -> Decimal {
    [
        "0.00025065",
        "0.00014925",
        "0.000384",
        "0.001551",
        "0.002049",
        "0.0003106",
        "0.0005430000000000001",
        "6.000000000000001e-08",
    ]
    .iter()
    .map(|s| dec(s))
    .sum()
}

#[test]
fn litellm_traces_take_cache_and_reasoning_from_the_usage_object() {
    let got = calls(&[file("d_litellm_default", "traces.jsonl")]);
    assert_eq!(by_model(&got), litellm_spans_show());
    assert!(got.iter().all(|c| c.emitter == Emitter::LiteLlm));
    // The stated costs, exactly as sent (no float arithmetic on the way).
    assert_eq!(reported(&got), Some(litellm_stated_cost()));
}

#[test]
fn litellm_metrics_alone() {
    // The metric points name only gen_ai.request.model and split input/output only (d
    // notes, Metrics): request models, all prompt tokens as input, no reasoning.
    let s = expected("d_litellm_default");
    let mut want = BTreeMap::new();
    for (model, t) in without_splits("d_litellm_default") {
        let request = s["expected_totals"]["by_response_model"][&model]["request_models"][0].as_str().unwrap();
        want.insert(request.to_string(), t);
    }
    let got = calls(&[file("d_litellm_default", "metrics.jsonl")]);
    assert_eq!(by_model(&got), want);
    assert!(got.iter().all(|c| c.emitter == Emitter::LiteLlm));
    // The cost histogram (cumulative, one series per request) states the same costs.
    assert_eq!(reported(&got), Some(litellm_stated_cost()));
}

#[test]
fn litellm_all_signals_and_request_bodies() {
    let want = litellm_spans_show();
    assert_eq!(by_model(&calls(&[testdata("emitters/d_litellm_default")])), want);
    // Protobuf bodies as sent: one traces request, the metrics exported three times.
    let bodies = calls(&[testdata("bodies/d_litellm_default")]);
    assert_eq!(by_model(&bodies), want);
    assert_eq!(reported(&bodies), Some(litellm_stated_cost()));
}

#[test]
fn litellm_duplicate_request_spans_share_the_call_id() {
    // litellm#31121: a second `litellm_request` span for the same call, with its own span
    // id; without the response id, only `litellm.call_id` ties them.
    let mut lines = read_jsonl(&file("d_litellm_default", "traces.jsonl"));
    let line = &mut lines[0];
    let spans = line["resourceSpans"][0]["scopeSpans"][0]["spans"].as_array_mut().unwrap();
    for span in spans.iter_mut() {
        span["attributes"].as_array_mut().unwrap().retain(|kv| kv["key"] != "gen_ai.response.id");
    }
    let mut copy = spans.iter().find(|s| s["name"] == "litellm_request").unwrap().clone();
    copy["spanId"] = "00000000000000bb".into();
    spans.push(copy);
    let dir = tempfile::tempdir().unwrap();
    let path = temp_jsonl(&dir, "traces.jsonl", &lines);
    assert_eq!(by_model(&calls(&[path])), litellm_spans_show());
}

// ---------------------------------------------------------------- e: pydantic-ai

/// `operation.cost` of the five chat spans, as sent.
fn pydantic_span_cost() -> Decimal {
    ["0.0003", "0.000428", "0.0030316", "0.0020746", "2.385e-05"].iter().map(|s| dec(s)).sum()
}

/// The cost histograms' last cumulative sums: pydantic-ai added the doubles itself.
fn pydantic_metric_cost() -> Decimal {
    dec("0.0007279999999999999") + dec("0.0051062") + dec("2.385e-05")
}

#[test]
fn pydantic_ai_traces_match_what_the_server_sent() {
    let got = calls(&[file("e_pydantic_ai", "traces.jsonl")]);
    // Reasoning only in gen_ai.usage.details.*; cache read stated twice, counted once;
    // the agent spans' gen_ai.aggregated_usage.* never counted.
    assert_eq!(by_model(&got), truth("e_pydantic_ai"));
    assert!(got.iter().all(|c| c.emitter == Emitter::PydanticAi));
    assert_eq!(reported(&got), Some(pydantic_span_cost()));
}

#[test]
fn pydantic_ai_metrics_alone() {
    // Input/output types only (e notes, Metrics): no cache split, no reasoning.
    let got = calls(&[file("e_pydantic_ai", "metrics.jsonl")]);
    assert_eq!(by_model(&got), without_splits("e_pydantic_ai"));
    assert_eq!(reported(&got), Some(pydantic_metric_cost()));
}

#[test]
fn pydantic_ai_all_signals() {
    assert_eq!(by_model(&calls(&[testdata("emitters/e_pydantic_ai")])), truth("e_pydantic_ai"));
}

#[test]
fn pydantic_ai_legacy_agent_usage_names_do_not_double_count() {
    // use_aggregated_usage_attribute_names=False: the agent span repeats gen_ai.usage.*.
    let mut lines = read_jsonl(&file("e_pydantic_ai", "traces.jsonl"));
    for line in &mut lines {
        for span in spans_mut(line) {
            for kv in span["attributes"].as_array_mut().into_iter().flatten() {
                let key = kv["key"].as_str().unwrap_or_default().replace("gen_ai.aggregated_usage.", "gen_ai.usage.");
                kv["key"] = key.into();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = temp_jsonl(&dir, "traces.jsonl", &lines);
    assert_eq!(by_model(&calls(&[path])), truth("e_pydantic_ai"));
}

// ---------------------------------------------------------------- f: Vercel AI SDK

#[test]
fn vercel_ai_traces_match_what_the_server_sent() {
    // Parents (ai.generateText …) repeat their steps: only doGenerate/doStream/doEmbed count.
    let got = calls(&[file("f_vercel_ai", "traces.jsonl")]);
    assert_eq!(by_model(&got), truth("f_vercel_ai"));
    assert!(got.iter().all(|c| c.emitter == Emitter::VercelAi));
    // Traces only (f notes): the whole directory is the same.
    assert_eq!(by_model(&calls(&[testdata("emitters/f_vercel_ai")])), truth("f_vercel_ai"));
    assert_eq!(by_model(&calls(&[testdata("protobuf/f_vercel_ai/traces.pb")])), truth("f_vercel_ai"));
}

#[test]
fn vercel_ai_without_input_details_reads_the_older_names() {
    // Before AI SDK 6 there is no inputTokenDetails: inputTokens (incl. cache) and
    // cachedInputTokens (reads) only. Cache writes then cannot be told from input.
    let mut lines = read_jsonl(&file("f_vercel_ai", "traces.jsonl"));
    for line in &mut lines {
        for span in spans_mut(line) {
            if let Some(attrs) = span["attributes"].as_array_mut() {
                attrs.retain(|kv| !kv["key"].as_str().unwrap_or_default().starts_with("ai.usage.inputTokenDetails."));
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = temp_jsonl(&dir, "traces.jsonl", &lines);
    let mut want = truth("f_vercel_ai");
    let sonnet = want.get_mut("claude-sonnet-4-5-20250929").unwrap();
    sonnet.input += sonnet.cache_write;
    sonnet.cache_write = 0;
    assert_eq!(by_model(&calls(&[path])), want);
}

// ---------------------------------------------------------------- g: Strands Agents

/// Strands names only the model requested and exports no reasoning split (g notes, "No
/// gen_ai.response.model", "Reasoning tokens are not exported").
fn strands_spans_show() -> BTreeMap<String, Tokens> {
    let truth = expected_totals(&expected("g_strands"), "by_request_model");
    truth.into_iter().map(|(model, t)| (model, Tokens { reasoning: 0, ..t })).collect()
}

#[test]
fn strands_traces_count_each_chat_call_once() {
    // Each invoke_agent span repeats the Agent's accumulated usage, the second one both
    // invocations' (g notes): only the chat spans below count.
    let got = calls(&[file("g_strands", "traces.jsonl")]);
    assert_eq!(by_model(&got), strands_spans_show());
    assert!(got.iter().all(|c| c.emitter == Emitter::Strands));
    // gen_ai.system = strands-agents names the framework, not who served the call.
    assert!(got.iter().all(|c| c.provider.is_none()), "{:?}", got.iter().map(|c| &c.provider).collect::<Vec<_>>());
}

#[test]
fn strands_metrics_alone_count_the_tokens_without_a_model() {
    // The token histograms carry no model (g notes, Metrics): one unnamed total.
    let got = calls(&[file("g_strands", "metrics.jsonl")]);
    let all: Tokens = strands_spans_show().into_values().sum();
    assert_eq!(by_model(&got), BTreeMap::from([(String::new(), all)]));
    assert!(got.iter().all(|c| c.emitter == Emitter::Strands));
}

#[test]
fn strands_all_signals_and_protobuf() {
    // The metrics are covered by the spans of the same process.
    assert_eq!(by_model(&calls(&[testdata("emitters/g_strands")])), strands_spans_show());
    assert_eq!(by_model(&calls(&[testdata("protobuf/g_strands")])), strands_spans_show());
}

// ---------------------------------------------------------------- h: Google ADK

/// ADK names a LiteLlm model by its id, `openai/o4-mini`, and the snapshot that answered
/// nowhere on its spans (h notes): the request models, so named.
fn adk_model(request_model: &str) -> String {
    if request_model == "o4-mini" {
        "openai/o4-mini".into()
    } else {
        request_model.into()
    }
}

fn adk_truth() -> BTreeMap<String, Tokens> {
    let truth = expected_totals(&expected("h_google_adk"), "by_request_model");
    truth.into_iter().map(|(model, t)| (adk_model(&model), t)).collect()
}

/// What the fake server sent for the calls of one ADK run (labelled `[run]`), by model.
fn adk_run_truth(run: &str) -> BTreeMap<String, Tokens> {
    let s = expected("h_google_adk");
    let label = format!("[{run}]");
    let sent: Vec<&Value> = s["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["label"].as_str().unwrap().starts_with(&label))
        .flat_map(|c| c["fake_requests"].as_array().unwrap())
        .collect();
    let mut out: BTreeMap<String, Tokens> = BTreeMap::new();
    for r in s["per_request"].as_array().unwrap().iter().filter(|r| sent.contains(&&r["fake_request"])) {
        *out.entry(adk_model(r["request_model"].as_str().unwrap())).or_default() += Tokens::from_truth(r);
    }
    out
}

#[test]
fn adk_traces_match_what_the_server_sent() {
    let got = calls(&[file("h_google_adk", "traces.jsonl")]);
    assert_eq!(by_model(&got), adk_truth());
    assert!(got.iter().all(|c| c.emitter == Emitter::GoogleAdk));
    // gcp.vertex.agent is ADK itself; a LiteLlm id names the provider (ADK 1 says gemini).
    assert!(got.iter().all(|c| c.provider.as_deref() != Some("gcp.vertex.agent")));
    let o4 = got.iter().filter(|c| c.model.as_deref() == Some("openai/o4-mini"));
    assert!(o4.clone().count() == 6 && o4.into_iter().all(|c| c.provider.as_deref() == Some("openai")));
}

#[test]
fn adk_each_version_and_schema_counts_its_own_calls_exactly() {
    // ADK 2: generate_content spans whose LiteLLM output counts reasoning twice. Legacy
    // schema and ADK 1: call_llm over generate_content for one call; ADK 1's counts lack
    // Gemini's thinking and cache reads, which call_llm's response JSON holds (h notes).
    let got = calls(&[file("h_google_adk", "traces.jsonl")]);
    for run in ["adk2-semconv", "adk2-legacy", "adk1"] {
        let service = format!("scenario-{run}");
        let mine: Vec<Call> = got.iter().filter(|c| c.service.as_deref() == Some(service.as_str())).cloned().collect();
        assert_eq!(by_model(&mine), adk_run_truth(run), "{run}");
    }
}

#[test]
fn adk_without_content_capture_loses_only_adk1s_cache_reads() {
    // ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS=false writes llm_response as "{}": the counts
    // come from the attributes, where ADK 1 states thinking apart but no cache at all.
    let mut lines = read_jsonl(&file("h_google_adk", "traces.jsonl"));
    for line in &mut lines {
        for span in spans_mut(line) {
            // Not `span["attributes"]`: that would add a null to spans that have none.
            for kv in span.get_mut("attributes").and_then(Value::as_array_mut).into_iter().flatten() {
                if kv["key"] == "gcp.vertex.agent.llm_response" {
                    kv["value"] = serde_json::json!({"stringValue": "{}"});
                }
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = temp_jsonl(&dir, "traces.jsonl", &lines);
    let mut want = adk_truth();
    let lost = adk_run_truth("adk1")["gemini-2.5-flash"].cache_read;
    let gemini = want.get_mut("gemini-2.5-flash").unwrap();
    gemini.input += lost;
    gemini.cache_read -= lost;
    assert_eq!(by_model(&calls(&[path])), want);
}

#[test]
fn adk_metrics_alone() {
    // Only ADK 2 exports gen_ai.client.token.usage: input/output types (no cache split, no
    // reasoning), the snapshot named, and LiteLLM-path output with the reasoning twice (h notes).
    let mut want: BTreeMap<String, Tokens> = BTreeMap::new();
    for run in ["adk2-semconv", "adk2-legacy"] {
        for (model, t) in adk_run_truth(run) {
            let shown = if model == "openai/o4-mini" {
                ("o4-mini-2025-04-16", Tokens { output: t.output + t.reasoning, reasoning: 0, ..t })
            } else {
                (model.as_str(), Tokens { input: t.input + t.cache_read, cache_read: 0, reasoning: 0, ..t })
            };
            let e = want.entry(shown.0.to_string()).or_default();
            *e += shown.1;
        }
    }
    assert_eq!(by_model(&calls(&[file("h_google_adk", "metrics.jsonl")])), want);
}

#[test]
fn adk_all_signals_and_protobuf() {
    // operation.details events repeat their spans; metrics are covered by each process's spans.
    assert_eq!(by_model(&calls(&[testdata("emitters/h_google_adk")])), adk_truth());
    assert_eq!(by_model(&calls(&[testdata("protobuf/h_google_adk")])), adk_truth());
}

// ---------------------------------------------------------------- mixed dumps

#[test]
fn spans_metrics_and_a_repeated_export_do_not_move_the_totals() {
    let once: Vec<String> =
        ["b_openllmetry", "d_litellm_default", "e_pydantic_ai", "f_vercel_ai", "g_strands", "h_google_adk"]
            .iter()
            .map(|s| file(s, "traces.jsonl"))
            .collect();
    let want = by_model(&calls(&once));
    let mut mixed = vec![
        testdata("emitters/b_openllmetry"),
        testdata("emitters/d_litellm_default"),
        testdata("bodies/d_litellm_default"),
        testdata("emitters/e_pydantic_ai"),
        testdata("emitters/f_vercel_ai"),
        testdata("protobuf/b_openllmetry"),
        testdata("protobuf/f_vercel_ai"),
        testdata("emitters/g_strands"),
        testdata("protobuf/g_strands"),
        testdata("emitters/h_google_adk"),
        testdata("protobuf/h_google_adk"),
    ];
    mixed.extend(once.iter().cloned());
    let got = calls(&mixed);
    assert_eq!(by_model(&got), want);
    assert_eq!(reported(&got).map(|d| d.normalize()), reported(&calls(&once)).map(|d| d.normalize()));
}

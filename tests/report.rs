//! `otelcost report` end to end, through the binary, on real captures in `testdata/`.
//! Expected figures come from the truth files that came with each capture (what the
//! fake LLM server really sent), in `tests/expected/`.

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

/// The official openai-v2 instrumentation exports no cache or reasoning attributes for
/// chat (scenario notes): the telemetry can only show all prompt tokens as input.
fn openai_v2_as_the_telemetry_shows_it(scenario: &str) -> BTreeMap<String, Tokens> {
    let s = expected(scenario);
    expected_by_model(&s)
        .into_iter()
        .map(|(model, t)| {
            let all_input =
                s["expected_totals"]["by_response_model"][&model]["input_tokens_total_incl_cache"].as_u64().unwrap();
            (model, Tokens { input: all_input, cache_read: 0, cache_write: 0, reasoning: 0, ..t })
        })
        .collect()
}

#[test]
fn openai_v2_default_spans_match_what_the_server_sent() {
    let report = report_json(&[&testdata("emitters/a_openai_v2_default/traces.jsonl"), "--by", "model_id"]);
    assert_eq!(rows(&report), openai_v2_as_the_telemetry_shows_it("a_openai_v2_default"));
}

#[test]
fn openai_v2_latest_span_and_details_event_count_once() {
    // Traces, logs (operation.details events repeating the spans' usage) and metrics together.
    let report = report_json(&[&testdata("emitters/a_openai_v2_latest"), "--by", "model_id"]);
    assert_eq!(rows(&report), openai_v2_as_the_telemetry_shows_it("a_openai_v2_latest"));
}

#[test]
fn details_events_alone_are_counted() {
    // The log events carry the chat calls (the embeddings call has no event).
    let report = report_json(&[&testdata("emitters/a_openai_v2_latest/logs.jsonl"), "--by", "model_id"]);
    let mut want = openai_v2_as_the_telemetry_shows_it("a_openai_v2_latest");
    want.remove("text-embedding-3-small");
    assert_eq!(rows(&report), want);
}

#[test]
fn openllmetry_with_the_anthropic_sdks_own_spans_counts_each_call_once() {
    let report = report_json(&[&testdata("emitters/b_openllmetry/traces.jsonl"), "--by", "model_id"]);
    let mut want = expected_by_model(&expected("b_openllmetry"));
    // The streamed o4-mini span carries no reasoning attribute (scenario notes): its
    // output is right, the reasoning subset is not in the telemetry.
    want.get_mut("o4-mini-2025-04-16").unwrap().reasoning = 0;
    assert_eq!(rows(&report), want);
}

#[test]
fn costs_are_exact_decimals_from_the_catalog() {
    let report = report_json(&[&testdata("emitters/b_openllmetry/traces.jsonl"), "--by", "model_id"]);
    let row = model_row(&report, "claude-sonnet-4-5-20250929");
    // 72 input × $3 + 1,536 cache read × $0.30 + 1,536 cache write × $3.75 + 45 output × $15, per million.
    assert_eq!(row["cost"], "0.0071118");
    let total: rust_decimal::Decimal = report["total"]["cost"].as_str().unwrap().parse().unwrap();
    let sum: rust_decimal::Decimal = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cost"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(total, sum);
}

#[test]
fn protobuf_stream_json_lines_and_request_bodies_agree() {
    let jsonl = report_json(&[&testdata("emitters/b_openllmetry/traces.jsonl"), "--by", "model_id"]);
    let pb = report_json(&[&testdata("protobuf/b_openllmetry/traces.pb"), "--by", "model_id"]);
    assert_eq!(rows(&jsonl), rows(&pb));
    assert_eq!(jsonl["total"], pb["total"]);
    // The Vercel capture was sent as OTLP/JSON with numbers as JSON numbers.
    let jsonl = report_json(&[&testdata("emitters/f_vercel_ai/traces.jsonl"), "--by", "model_id"]);
    let pb = report_json(&[&testdata("protobuf/f_vercel_ai/traces.pb"), "--by", "model_id"]);
    assert_eq!(jsonl["total"], pb["total"]);
    // One protobuf body per request, as the client sent them.
    let bodies = report_json(&[&testdata("bodies/d_litellm_default"), "--by", "model_id"]);
    let jsonl = report_json(&[&testdata("emitters/d_litellm_default/traces.jsonl"), "--by", "model_id"]);
    assert_eq!(rows(&bodies), rows(&jsonl));
}

#[test]
fn the_same_dump_in_several_forms_counts_once() {
    let once = report_json(&[&testdata("emitters/b_openllmetry/traces.jsonl"), "--by", "model_id"]);
    let thrice = report_json(&[
        &testdata("emitters/b_openllmetry/traces.jsonl"),
        &testdata("protobuf/b_openllmetry"),
        &testdata("emitters/b_openllmetry/traces.jsonl"),
        "--by",
        "model_id",
    ]);
    assert_eq!(rows(&once), rows(&thrice));
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn gzip_zstd_stdin_and_zstd_frames_read_the_same() {
    let plain = std::fs::read(testdata("emitters/b_openllmetry/traces.jsonl")).unwrap();
    let want = rows(&report_json(&[&testdata("emitters/b_openllmetry/traces.jsonl"), "--by", "model_id"]));
    let dir = tempdir();

    let gz = dir.path().join("traces.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(&plain).unwrap();
    enc.finish().unwrap();
    assert_eq!(rows(&report_json(&[gz.to_str().unwrap(), "--by", "model_id"])), want);

    let zst = dir.path().join("dump.zst"); // no hint in the name: recognised by content
    std::fs::write(&zst, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();
    assert_eq!(rows(&report_json(&[zst.to_str().unwrap(), "--by", "model_id"])), want);

    let run = otelcost_stdin(&["report", "-", "--format", "json", "--by", "model_id"], Some(plain.clone()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(rows(&serde_json::from_str(&run.stdout).unwrap()), want);

    // The Collector's legacy compressed proto: each frame zstd-compressed, then length-prefixed.
    let stream = std::fs::read(testdata("protobuf/b_openllmetry/traces.pb")).unwrap();
    let mut legacy = Vec::new();
    let mut pos = 0;
    while pos < stream.len() {
        let len = u32::from_be_bytes(stream[pos..pos + 4].try_into().unwrap()) as usize;
        let frame = zstd::encode_all(&stream[pos + 4..pos + 4 + len], 3).unwrap();
        legacy.extend_from_slice(&(frame.len() as u32).to_be_bytes());
        legacy.extend_from_slice(&frame);
        pos += 4 + len;
    }
    let path = dir.path().join("otel-export"); // no signal in the name: sniffed per frame
    std::fs::write(&path, legacy).unwrap();
    assert_eq!(rows(&report_json(&[path.to_str().unwrap(), "--by", "model_id"])), want);
}

#[test]
fn a_pretty_printed_request_is_one_document() {
    let line = std::fs::read_to_string(testdata("emitters/a_openai_v2_default/traces.jsonl")).unwrap();
    let docs: Vec<Value> = line.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let dir = tempdir();
    let path = dir.path().join("request.json");
    let pretty: Vec<String> = docs.iter().map(|d| serde_json::to_string_pretty(d).unwrap()).collect();
    std::fs::write(&path, pretty.join("\n")).unwrap();
    assert_eq!(
        rows(&report_json(&[path.to_str().unwrap(), "--by", "model_id"])),
        rows(&report_json(&[&testdata("emitters/a_openai_v2_default/traces.jsonl"), "--by", "model_id"]))
    );
}

/// Builds a dump from a real one that hides the same calls behind traps: every chat span
/// moved under an agent span (via a usage-less step span) that repeats its usage, a
/// retried export of every request, and a details event per span.
#[test]
fn parents_retries_and_events_do_not_move_the_totals() {
    let original = std::fs::read_to_string(testdata("emitters/a_openai_v2_default/traces.jsonl")).unwrap();
    let mut out = String::new();
    for line in original.lines() {
        let mut req: Value = serde_json::from_str(line).unwrap();
        let mut events = Vec::new();
        for rs in req["resourceSpans"].as_array_mut().unwrap() {
            for ss in rs["scopeSpans"].as_array_mut().unwrap() {
                let spans = ss["spans"].as_array_mut().unwrap();
                let mut extra = Vec::new();
                for (i, span) in spans.iter_mut().enumerate() {
                    let usage: Vec<Value> = span["attributes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|a| a["key"].as_str().unwrap().starts_with("gen_ai.usage."))
                        .cloned()
                        .collect();
                    let trace = span["traceId"].clone();
                    let agent_id = format!("a{:015x}", i);
                    let step_id = format!("b{:015x}", i);
                    span["parentSpanId"] = json!(step_id);
                    if !usage.is_empty() {
                        events.push(json!({"timeUnixNano": span["endTimeUnixNano"], "eventName": "gen_ai.client.inference.operation.details",
                            "traceId": trace, "spanId": span["spanId"], "attributes": usage.clone()}));
                    }
                    let mut agent_attrs =
                        vec![json!({"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}})];
                    agent_attrs.extend(usage);
                    extra.push(json!({"traceId": trace, "spanId": agent_id, "name": "invoke_agent helper", "kind": 1,
                        "startTimeUnixNano": span["startTimeUnixNano"], "endTimeUnixNano": span["endTimeUnixNano"], "attributes": agent_attrs}));
                    extra.push(json!({"traceId": trace, "spanId": step_id, "parentSpanId": agent_id, "name": "step", "kind": 1,
                        "startTimeUnixNano": span["startTimeUnixNano"], "endTimeUnixNano": span["endTimeUnixNano"], "attributes": []}));
                }
                spans.extend(extra);
            }
        }
        let text = serde_json::to_string(&req).unwrap();
        out.push_str(&format!("{text}\n{text}\n"));
        let logs = json!({"resourceLogs":[{"resource":{"attributes":[]},"scopeLogs":[{"scope":{"name":"x"},"logRecords": events}]}]});
        out.push_str(&format!("{}\n", serde_json::to_string(&logs).unwrap()));
    }
    let dir = tempdir();
    let path = dir.path().join("traps.jsonl");
    std::fs::write(&path, out).unwrap();
    let run = otelcost(&["report", path.to_str().unwrap(), "--format", "json", "--by", "model_id"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(rows(&report), openai_v2_as_the_telemetry_shows_it("a_openai_v2_default"));
    assert!(run.stderr.contains("aggregate parents not counted"), "{}", run.stderr);
}

#[test]
fn an_agent_span_with_no_child_usage_is_counted() {
    let line = r#"{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"remote"},"spans":[
        {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1111111111111111","name":"invoke_agent planner","kind":3,
         "startTimeUnixNano":"1795392558000000000","endTimeUnixNano":"1795392559000000000","attributes":[
          {"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}},
          {"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},
          {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},
          {"key":"gen_ai.usage.prompt_tokens","value":{"intValue":"1000"}},
          {"key":"gen_ai.usage.completion_tokens","value":{"intValue":500}}]}]}]}]}"#
        .replace('\n', "");
    let run = otelcost_stdin(&["report", "--format", "json"], Some(line.into_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let row = &rows(&report)["gpt-4o-mini"];
    assert_eq!((row.requests, row.input, row.output), (1, 1000, 500));
    // 1000 × $0.15 + 500 × $0.60 per million
    assert_eq!(report["total"]["cost"], "0.00045");
}

/// Strands' invoke_agent spans repeat the usage of every chat call their Agent object has
/// made so far (g notes): summed with them, the weather agent's input counts 2.6 times.
#[test]
fn strands_agent_spans_do_not_double_count_their_chat_calls() {
    let run =
        otelcost(&["report", &testdata("emitters/g_strands"), "--by", "provider_id,model_id", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    // Request models only, no reasoning split, and strands-agents is no provider (g notes).
    let want: BTreeMap<String, Tokens> = expected_totals(&expected("g_strands"), "by_request_model")
        .into_iter()
        .map(|(model, t)| (format!("(none)/{model}"), Tokens { reasoning: 0, ..t }))
        .collect();
    assert_eq!(rows(&report), want);
    assert!(run.stderr.contains("3 aggregate parents not counted"), "{}", run.stderr);
}

/// ADK 2 in both telemetry schemas and ADK 1, each a process of the capture: every call
/// once, with Gemini's thinking and cache reads that ADK 1's counts drop and without the
/// reasoning ADK 2 counts twice on LiteLLM models (h notes).
#[test]
fn google_adk_counts_every_call_once_and_whole() {
    let run = otelcost(&["report", &testdata("emitters/h_google_adk"), "--format", "json", "--by", "model_id"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut want = expected_totals(&expected("h_google_adk"), "by_request_model");
    let o4 = want.remove("o4-mini").unwrap();
    want.insert("openai/o4-mini".into(), o4); // ADK's LiteLlm model id
    assert_eq!(rows(&report), want);
    // call_llm and its generate_content span (8), details events and their spans (4).
    assert!(run.stderr.contains("12 duplicates"), "{}", run.stderr);
    // Only ADK 1's generate_content spans name the user; the call_llm kept takes it.
    let users = rows(&report_json(&[&testdata("emitters/h_google_adk"), "--by", "service,user"]));
    assert_eq!(users["scenario-adk1/user-sam"].requests, 2, "{users:?}");
    assert_eq!(users["scenario-adk1/user-tess"].requests, 2, "{users:?}");
}

/// Spring AI (tests/capture/spring_ai): its chat spans carry the usage, its ChatClient and
/// advisor spans are framework spans without any, and its Micrometer token counter covers
/// the same calls: counted once, exactly what the fake server sent (cache reads included).
#[test]
fn spring_ai_spans_and_token_counter_count_each_call_once() {
    let report = report_json(&[&testdata("emitters/i_spring_ai"), "--by", "model_id"]);
    assert_eq!(rows(&report), expected_by_model(&expected("i_spring_ai")));
}

/// The counter alone: `gen_ai.token.type` `total` repeats input and output and is not
/// summed; `input` holds the whole prompt (the counter cannot split cache reads); a counter
/// has no call count.
#[test]
fn spring_ai_token_counter_alone_does_not_sum_the_total_type() {
    let report = report_json(&[&testdata("emitters/i_spring_ai/metrics.jsonl"), "--by", "model_id"]);
    let truth = expected("i_spring_ai");
    let model = "gpt-4o-mini-2024-07-18";
    let t = &truth["expected_totals"]["by_response_model"][model];
    let n = |k: &str| t[k].as_u64().unwrap();
    let want = Tokens {
        requests: 0,
        input: n("input_tokens_total_incl_cache"),
        output: n("output_tokens_total_incl_reasoning"),
        ..Tokens::default()
    };
    assert_eq!(rows(&report), BTreeMap::from([(model.to_string(), want)]));
}

#[test]
fn group_by_attributes_resource_and_time() {
    let report = report_json(&[
        &testdata("emitters/b_openllmetry/traces.jsonl"),
        "--by",
        "service,traceloop.association.properties.user_id,day",
    ]);
    let rows = rows(&report);
    assert!(rows.keys().all(|k| k.starts_with("scenario-openllmetry/")), "{rows:?}");
    assert!(rows.keys().any(|k| k.contains("/user-")), "{rows:?}");
    let days: std::collections::BTreeSet<_> = rows.keys().map(|k| k.rsplit('/').next().unwrap().to_string()).collect();
    assert_eq!(days.len(), 1);
    // The capture ran on 2026-11-23 UTC; in Pacific time it was still the 22nd.
    let la = report_json(&[
        &testdata("emitters/b_openllmetry/traces.jsonl"),
        "--by",
        "day",
        "--timezone",
        "America/Los_Angeles",
    ]);
    assert!(common::rows(&la).contains_key("2026-11-22"), "{la}");
}

#[test]
fn since_and_until_select_calls_by_their_own_time() {
    let path = testdata("emitters/b_openllmetry/traces.jsonl");
    let all = report_json(&[&path, "--by", "model_id"]);
    let day = report_json(&[&path, "--since", "2026-11-23", "--until", "2026-11-23", "--by", "model_id"]);
    assert_eq!(all["total"], day["total"]);
    let run = otelcost(&["report", &path, "--since", "2026-11-24", "--format", "json"]);
    let none: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(none["total"]["requests"], 0);
    assert!(run.stderr.contains("outside --since/--until"), "{}", run.stderr);
    let bad = otelcost(&["report", &path, "--since", "yesterday-ish"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn csv_to_a_file_by_extension() {
    let dir = tempdir();
    let out = dir.path().join("chargeback.csv");
    let run = otelcost(&[
        "report",
        &testdata("emitters/b_openllmetry/traces.jsonl"),
        "--by",
        "service,model_id",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let csv = std::fs::read_to_string(out).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "service,model_id,requests,input,cache_read,cache_write,output,reasoning,cost,unpriced_requests"
    );
    assert!(csv.contains("scenario-openllmetry,claude-sonnet-4-5-20250929,2,72,1536,1536,45,0,0.0071118,0"), "{csv}");
}

#[test]
fn table_and_markdown_render() {
    let path = testdata("emitters/b_openllmetry/traces.jsonl");
    let table = otelcost(&["report", &path]);
    assert_eq!(table.code, 0);
    // The model as the catalog knows it, whatever dated id the calls named.
    assert!(table.stdout.contains("│ claude-sonnet-4-5 ") && table.stdout.contains("TOTAL"), "{}", table.stdout);
    let md = otelcost(&["report", &path, "--format", "markdown"]);
    assert!(md.stdout.lines().next().unwrap().starts_with("| model |"), "{}", md.stdout);
    // Its calls fall in one hour: the cost by model as a pie, no timeline.
    assert!(md.stdout.contains("```mermaid\npie showData title Cost by model (USD)\n"), "{}", md.stdout);
    assert!(md.stdout.contains("    \"claude-sonnet-4-5\" : 0.0071118\n"), "{}", md.stdout);
    assert!(!md.stdout.contains("xychart-beta"), "{}", md.stdout);
}

const UNKNOWN_MODEL: &str = r#"{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"2222222222222222","name":"chat","endTimeUnixNano":"1795392559000000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"acme-inhouse-7b"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"120"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"30"}}]}]}]}]}"#;

#[test]
fn an_unknown_model_is_unpriced_never_free() {
    let run = otelcost_stdin(&["report", "--format", "json"], Some(UNKNOWN_MODEL.into()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["rows"][0]["cost"], Value::Null);
    assert_eq!(report["rows"][0]["unpriced_requests"], 1);
    assert_eq!(report["unpriced"][0]["model"], "acme-inhouse-7b");
    assert_eq!(report["unpriced"][0]["tokens"]["input"], 120);
    assert!(run.stderr.contains("no price for model \"acme-inhouse-7b\""), "{}", run.stderr);
    let table = otelcost_stdin(&["report"], Some(UNKNOWN_MODEL.into()));
    assert!(table.stdout.contains("unpriced") && !table.stdout.contains("$0"), "{}", table.stdout);
    let strict = otelcost_stdin(&["report", "--strict"], Some(UNKNOWN_MODEL.into()));
    assert_eq!(strict.code, 3, "{}", strict.stderr);
}

#[test]
fn bad_lines_are_reported_with_file_and_line_and_the_rest_is_counted() {
    let good = std::fs::read_to_string(testdata("emitters/a_openai_v2_default/traces.jsonl")).unwrap();
    let good: Vec<&str> = good.lines().collect();
    assert_eq!(good.len(), 2);
    let lines: Vec<Vec<u8>> = vec![
        good[0].into(),
        b"".to_vec(),
        b"{\"resourceSpans\": [ {\"truncated".to_vec(),
        good[1].into(),
        vec![b'{', 0xff, 0xfe, b'}'],
        b"   ".to_vec(),
        b"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"spanId\":42}]}]}]}".to_vec(),
    ];
    let dir = tempdir();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, lines.join(&b'\n')).unwrap();
    let name = path.to_str().unwrap();
    let run = otelcost(&["report", name, "--format", "json", "--by", "model_id"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [3, 5, 7] {
        assert!(run.stderr.contains(&format!("{name}:{line}:")), "line {line} not named:\n{}", run.stderr);
    }
    assert!(run.stderr.contains("invalid UTF-8"), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(rows(&report), openai_v2_as_the_telemetry_shows_it("a_openai_v2_default"));
    assert_eq!(otelcost(&["report", name, "--strict"]).code, 3);
}

#[test]
fn broken_protobuf_streams_are_errors_with_offsets_never_crashes() {
    let stream = std::fs::read(testdata("protobuf/b_openllmetry/traces.pb")).unwrap();
    let first_len = u32::from_be_bytes(stream[..4].try_into().unwrap()) as usize;
    let dir = tempdir();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    // Truncated in the middle of the second frame: the first frame still counts.
    let cut = write("cut-traces.pb", &stream[..first_len + 4 + 10]);
    let run = otelcost(&["report", &cut, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("at byte {}: truncated frame", first_len + 4)), "{}", run.stderr);
    // A 2 GB length prefix after a good frame.
    let mut huge = stream[..first_len + 4].to_vec();
    huge.extend_from_slice(&0x7fff_ffffu32.to_be_bytes());
    huge.extend_from_slice(&[0x0A; 64]);
    let run = otelcost(&["report", &write("huge-traces.pb", &huge)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("frame length 2147483647 exceeds"), "{}", run.stderr);
    // A frame whose protobuf is garbage.
    let mut garbage = 60u32.to_be_bytes().to_vec();
    garbage.extend_from_slice(&[0x0A, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    garbage.extend_from_slice(&[0x0A; 54]);
    let run = otelcost(&["report", &write("garbage-traces.pb", &garbage), "--strict"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("garbage-traces.pb at byte 0: protobuf:"), "{}", run.stderr);
}

#[test]
fn a_corrupt_gzip_is_reported_and_other_files_still_count() {
    let plain = std::fs::read(testdata("emitters/b_openllmetry/traces.jsonl")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&plain).unwrap();
    let gz = enc.finish().unwrap();
    let dir = tempdir();
    let bad = dir.path().join("cut.jsonl.gz");
    std::fs::write(&bad, &gz[..gz.len() / 2]).unwrap();
    let good = testdata("emitters/a_openai_v2_default/traces.jsonl");
    let run = otelcost(&["report", bad.to_str().unwrap(), &good, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("cut.jsonl.gz"), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(report["total"]["requests"].as_u64().unwrap() >= 7);
}

/// Files are read several at a time; figures, problems and skipped files still come out in
/// input order, the same as one reader gives.
#[test]
fn files_read_in_parallel_report_in_input_order() {
    let dir = tempdir();
    for (n, scenario) in
        ["a_openai_v2_default", "b_openllmetry", "c_openinference", "d_litellm_default"].iter().enumerate()
    {
        let plain = std::fs::read(testdata(&format!("emitters/{scenario}/traces.jsonl"))).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&plain).unwrap();
        let gz = enc.finish().unwrap();
        std::fs::write(dir.path().join(format!("{n}-whole.jsonl.gz")), &gz).unwrap();
        std::fs::write(dir.path().join(format!("{n}-cut.jsonl.gz")), &gz[..gz.len() * 2 / 3]).unwrap();
        let mut bad = plain.clone();
        bad.extend_from_slice(format!("{{\"resourceSpans\": [oops {n}\n").as_bytes());
        bad.extend_from_slice(&plain);
        std::fs::write(dir.path().join(format!("{n}-bad-line.jsonl")), bad).unwrap();
        std::fs::write(dir.path().join(format!("{n}-notes.txt")), "not telemetry\n").unwrap();
    }
    let path = dir.path().to_str().unwrap();
    let one = otelcost(&["report", path, "--format", "json", "--threads", "1"]);
    // One problem per broken file: a cut file's line in progress is part of its one message.
    assert_eq!(one.stderr.matches("error: ").count(), 8, "{}", one.stderr);
    for _ in 0..5 {
        let many = otelcost(&["report", path, "--format", "json", "--threads", "4"]);
        assert_eq!((many.code, &many.stdout, &many.stderr), (one.code, &one.stdout, &one.stderr));
    }
}

#[test]
fn a_missing_file_fails_and_a_directory_skips_what_is_not_otlp() {
    let run = otelcost(&["report", "/nonexistent/dump.jsonl"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("/nonexistent/dump.jsonl: cannot open"), "{}", run.stderr);
    let dir = tempdir();
    std::fs::write(dir.path().join("README.md"), "# notes\n").unwrap();
    std::fs::write(dir.path().join("scenario.json"), "{\"calls\": []}\n").unwrap();
    std::fs::copy(testdata("emitters/a_openai_v2_default/traces.jsonl"), dir.path().join("t.jsonl")).unwrap();
    let run = otelcost(&["report", dir.path().to_str().unwrap(), "--format", "json", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("not OTLP data were skipped"), "{}", run.stderr);
}

#[test]
fn the_bundled_testdata_reports() {
    let run = otelcost(&["report", &testdata(""), "--format", "json", "--by", "model_id"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(report["total"]["requests"].as_u64().unwrap() > 40, "{report}");
    assert_eq!(report["currency"], "USD");
}

#[test]
fn explain_shows_the_entries_and_prices_applied() {
    let report = report_json(&[&testdata("emitters/b_openllmetry/traces.jsonl"), "--explain", "--by", "model_id"]);
    let row = model_row(&report, "claude-sonnet-4-5-20250929");
    assert_eq!(row["price_entries"], json!(["genai-prices:anthropic/claude-sonnet-4-5"]));
    let used: Vec<&str> = report["prices_used"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(
        used.iter().any(|l| l.starts_with("genai-prices:anthropic/claude-sonnet-4-5") && l.contains("input 3")),
        "{used:?}"
    );
    let csv = otelcost(&["report", &testdata("emitters/b_openllmetry/traces.jsonl"), "--explain", "--format", "csv"]);
    assert!(csv.stdout.lines().next().unwrap().ends_with(",unpriced_requests,price_entries"), "{}", csv.stdout);
}

#[test]
fn user_price_files_discount_and_price_custom_models() {
    let dir = tempdir();
    let toml = dir.path().join("ours.toml");
    std::fs::write(
        &toml,
        "[[model]]\nid = \"acme-inhouse-7b\"\ninput_mtok = \"1\"\noutput_mtok = 2\n\n[[adjust]]\nprovider = \"anthropic\"\npercent = \"-10\"\n",
    )
    .unwrap();
    let toml = toml.to_str().unwrap();
    // A custom model: 120 input × $1 + 30 output × $2, per million.
    let run = otelcost_stdin(&["report", "--prices", toml, "--format", "json", "--strict"], Some(UNKNOWN_MODEL.into()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["total"]["cost"], "0.00018");
    assert!(report["unpriced"].as_array().unwrap().is_empty());
    // A negotiated 10% off Anthropic: 0.0071118 × 0.9.
    let report = report_json(&[&testdata("emitters/b_openllmetry/traces.jsonl"), "--prices", toml, "--by", "model_id"]);
    let row = model_row(&report, "claude-sonnet-4-5-20250929");
    assert_eq!(row["cost"], "0.00640062");
    // A broken file is an error that names it.
    std::fs::write(dir.path().join("bad.toml"), "[[model]]\nid = \"x\"\nimput_mtok = \"1\"\n").unwrap();
    let bad = otelcost(&[
        "report",
        &testdata("emitters/b_openllmetry/traces.jsonl"),
        "--prices",
        dir.path().join("bad.toml").to_str().unwrap(),
    ]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("bad.toml:3") && bad.stderr.contains("imput_mtok"), "{}", bad.stderr);
}

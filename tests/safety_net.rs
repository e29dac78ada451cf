//! Never a silent $0 (issue 19 §2): usage-like data no emitter module reads is named on
//! stderr and in `inspect`, and fails `--strict`; `--usage-map` teaches a vocabulary and
//! reads it to the exact truth; a run that finds no call says so.
//!
//! Telemetry: `testdata/unread/` (see tests/capture/unread/README.md): two real captures of
//! libraries otelcost has no module for, and issue 19's synthetic acme span.

mod common;

use common::{otelcost, otelcost_stdin, report_json, root, rows, testdata, Tokens};
use serde_json::Value;
use std::collections::BTreeMap;

const STRICT: i32 = 3;

fn acme() -> String {
    testdata("unread/acme_synthetic/traces.jsonl")
}

fn example_map() -> String {
    root().join("examples/usage-map.toml").display().to_string()
}

#[test]
fn the_acme_span_is_named_by_its_keys_and_fails_strict() {
    let file = acme();
    let run = otelcost(&["report", &file, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let named = |key_and_what: &str| {
        format!(
            "warning: usage-like data no emitter module reads: {key_and_what}: 1 span, scope \"acme.llm\", service \"acme-app\", e.g. {file}:1\n"
        )
    };
    assert!(run.stderr.contains(&named("acme.llm.usage (holding prompt_tokens, completion_tokens)")), "{}", run.stderr);
    assert!(run.stderr.contains(&named("acme.tokens.in")), "{}", run.stderr);
    assert!(run.stderr.contains("--usage-map FILE (see examples/usage-map.toml), or report it"), "{}", run.stderr);
    assert!(run.stderr.contains("warning: no LLM call found: 1 record read"), "{}", run.stderr);

    let strict = otelcost(&["report", &file, "--strict"]);
    assert_eq!(strict.code, STRICT, "{}", strict.stderr);
    assert!(
        strict.stderr.contains(
            "--strict: 0 problems, 0 unpriced models, usage-like data in 2 records not read, no LLM call found"
        ),
        "{}",
        strict.stderr
    );

    // inspect: a section of its own, in text and JSON.
    let text = otelcost(&["inspect", &file]);
    assert!(text.stdout.contains("Usage-like data no emitter module reads"), "{}", text.stdout);
    assert!(text.stdout.contains("  acme.tokens.in: 1 span, scope \"acme.llm\""), "{}", text.stdout);
    let json: Value = serde_json::from_str(&otelcost(&["inspect", &file, "--format", "json"]).stdout).unwrap();
    let unread = json["unread_usage"].as_array().unwrap();
    let keys: Vec<&str> = unread.iter().map(|u| u["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["acme.llm.usage", "acme.tokens.in"]);
    assert_eq!(unread[0]["holding"], serde_json::json!(["prompt_tokens", "completion_tokens"]));
    assert_eq!(unread[0]["records"], 1);
    assert_eq!(unread[0]["example"], format!("{file}:1"));
}

#[test]
fn a_usage_map_reads_the_acme_span_exactly_at_gpt_4o_s_price() {
    let map = example_map();
    let run =
        otelcost(&["report", &acme(), "--usage-map", &map, "--by", "model,emitter", "--format", "json", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let t = Tokens { requests: 1, input: 1200, output: 80, ..Tokens::default() };
    assert_eq!(rows(&report), BTreeMap::from([("gpt-4o/usage_map".to_string(), t)]));
    // gpt-4o: $2.50 per million input tokens, $10 per million output tokens.
    assert_eq!(report["total"]["cost"], "0.0038");
    // inspect reads it too, and finds nothing left unread.
    let json: Value =
        serde_json::from_str(&otelcost(&["inspect", &acme(), "--usage-map", &map, "--format", "json"]).stdout).unwrap();
    assert_eq!(json["counted"]["calls"], 1);
    assert_eq!(json["unread_usage"], serde_json::json!([]));
}

/// MLflow's default OTLP mode keeps usage in a JSON string. Its module reads it now (see
/// tests/libraries.rs): nothing is left unread, and a map for it, asked before the modules,
/// reads the same calls to what the fake API sent (but the streamed Anthropic call, which
/// MLflow records without usage: see its NOTES.md).
#[test]
fn mlflow_default_is_read_and_a_usage_map_reads_it_the_same() {
    let dir = testdata("unread/mlflow_default");
    let run = otelcost(&["report", &dir, "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("usage-like"), "{}", run.stderr);

    let map = root().join("tests/usage_map/mlflow_default.toml").display().to_string();
    let report = report_json(&[&dir, "--usage-map", &map, "--by", "model_id,provider_id"]);
    let log = std::fs::read_to_string(root().join("tests/capture/unread/mlflow_default/fake_llm_log.jsonl")).unwrap();
    let mut truth: BTreeMap<String, Tokens> = BTreeMap::new();
    for call in log.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()) {
        if call["n"] == 9 {
            continue; // the streamed Anthropic call: no usage in MLflow's span
        }
        let u = &call["usage"];
        let n = |v: &Value| v.as_u64().unwrap_or(0);
        let (provider, t) = if call["api"] == "openai.chat" {
            let cached = n(&u["prompt_tokens_details"]["cached_tokens"]);
            let t = Tokens {
                requests: 1,
                input: n(&u["prompt_tokens"]) - cached,
                cache_read: cached,
                cache_write: 0,
                output: n(&u["completion_tokens"]),
                reasoning: n(&u["completion_tokens_details"]["reasoning_tokens"]),
            };
            ("openai", t)
        } else {
            let t = Tokens {
                requests: 1,
                input: n(&u["input_tokens"]),
                cache_read: n(&u["cache_read_input_tokens"]),
                cache_write: n(&u["cache_creation_input_tokens"]),
                output: n(&u["output_tokens"]),
                reasoning: 0,
            };
            ("anthropic", t)
        };
        *truth.entry(format!("{}/{provider}", call["response_model"].as_str().unwrap())).or_default() += t;
    }
    assert_eq!(truth.len(), 5);
    assert_eq!(rows(&report), truth);
    // List prices of the bundled catalog, exactly.
    assert_eq!(report["total"]["cost"], "0.01466635");
}

/// Semantic Kernel with its defaults exports no chat span: its only usage is a Python repr
/// in INFO log bodies, with no model. Named, with the scope that logs it.
#[test]
fn semantic_kernel_default_log_bodies_are_named() {
    let dir = testdata("unread/semantic_kernel_default");
    let run = otelcost(&["report", &dir]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let logs = testdata("unread/semantic_kernel_default/logs.jsonl");
    assert!(
        run.stderr.contains(&format!("warning: usage-like data no emitter module reads: (log body) (holding prompt_tokens, completion_tokens): 4 log records, scope \"semantic_kernel.connectors.ai.open_ai.services.open_ai_handler\", service \"otelcost-capture-semantic-kernel\", e.g. {logs}:1\n")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("warning: no LLM call found: 20 records read"), "{}", run.stderr);
    assert_eq!(otelcost(&["report", &dir, "--strict"]).code, STRICT);
}

/// The captures every module reads leave nothing usage-like unread: the net does not cry wolf.
#[test]
fn the_bundled_captures_leave_no_usage_unread() {
    let groups: Vec<String> =
        ["emitters", "agents", "agent-files", "protobuf", "bodies"].iter().map(|g| testdata(g)).collect();
    let mut args = vec!["report", "--format", "csv"];
    args.extend(groups.iter().map(String::as_str));
    let run = otelcost(&args);
    // Known and right: Semantic Kernel's INFO log bodies and tool results and Mastra's raw
    // response bodies repeat usage its spans state (named, with "they may repeat calls").
    let unexpected: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("usage-like"))
        .filter(|l| !l.contains("service \"otelcost-capture-semantic-kernel\"") && !l.contains("mastra.metadata.body"))
        .collect();
    assert!(unexpected.is_empty(), "{}", run.stderr);
}

#[test]
fn no_call_is_never_silent() {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_str().unwrap();
    let run = otelcost(&["report", dir]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("warning: no LLM call found: the input is empty"), "{}", run.stderr);
    assert_eq!(otelcost(&["report", dir, "--strict"]).code, STRICT);

    let run = otelcost_stdin(&["report", "-"], Some(Vec::new()));
    assert!(run.stderr.contains("warning: no LLM call found: the input is empty"), "{}", run.stderr);

    // Telemetry, but no usage in it at all.
    let spans = r#"{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"web"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /","attributes":[{"key":"http.status_code","value":{"intValue":"200"}}]}]}]}]}"#;
    let run = otelcost_stdin(&["report", "-", "--strict"], Some(spans.into()));
    assert_eq!(run.code, STRICT, "{}", run.stderr);
    assert!(run.stderr.contains("no LLM call found: 1 record read, but none is an LLM call"), "{}", run.stderr);
    assert!(run.stderr.contains("`otelcost inspect`"), "{}", run.stderr);
    assert!(!run.stderr.contains("usage-like"), "{}", run.stderr);

    // Calls found but left out by --where are no silent zero either: they were found.
    let run = otelcost(&["report", &testdata("emitters/a_openai_v2_default/traces.jsonl"), "--where", "model=none"]);
    assert!(!run.stderr.contains("no LLM call found"), "{}", run.stderr);
}

#[test]
fn a_bad_usage_map_names_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let path = write(
        "bad-path.toml",
        "[[usage]]\nscope = \"acme.llm\"\ninput = { attribute = \"u\", json = \"prompt_tokens\" }\n",
    );
    let run = otelcost(&["report", &acme(), "--usage-map", &path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("--usage-map: {path}:3: input: bad JSON path \"prompt_tokens\": it must start with $")),
        "{}",
        run.stderr
    );

    let path =
        write("unknown.toml", "[[usage]]\nscope = \"acme.llm\"\ninput = \"acme.tokens.in\"\ntokens_out = \"x\"\n");
    let run = otelcost(&["inspect", &acme(), "--usage-map", &path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("{path}:4: unknown key \"tokens_out\" in [[usage]]")), "{}", run.stderr);

    // A value the map points at that is no count is a problem at the record, and --strict fails.
    let path = write("not-a-count.toml", "[[usage]]\nscope = \"acme.llm\"\ninput = { attribute = \"acme.llm.usage\", json = \"$\" }\noutput = { attribute = \"acme.llm.usage\", json = \"$.completion_tokens\" }\n");
    let run = otelcost(&["report", &acme(), "--usage-map", &path, "--strict"]);
    assert_eq!(run.code, STRICT, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("input of --usage-map {path}:1: attribute acme.llm.usage: token count is an array, key-value list or bytes, not a number; read as absent")), "{}", run.stderr);
}

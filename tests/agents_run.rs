//! Gemini CLI, Qwen Code, Copilot CLI, OpenCode and Claude Code through the Claude Agent
//! SDK (and Codex, Cline, pi, Continue CLI and Factory Droid, only run): their captures in `testdata/agents/` (made by `tests/capture/agents/capture.sh`)
//! against what the fake API sent, and `otelcost run -- <agent>` end to end, the real CLIs
//! (installed by `.ci/run`) against `tests/capture/agents/fake_llm_agents.py` on loopback.

mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;

/// Every capture.
const CAPTURES: [&str; 11] = [
    "gemini-cli-otlp",
    "gemini-cli-outfile",
    "qwen-code-openai-otlp",
    "qwen-code-anthropic-outfile",
    "qwen-code-gemini-otlp",
    "copilot-cli-openai-file",
    "copilot-cli-openai-responses-file",
    "copilot-cli-anthropic-file",
    "opencode-openai-otlp",
    "opencode-anthropic-otlp",
    "claude-agent-sdk-otlp",
];

fn capture_dir(run: &str) -> String {
    testdata(&format!("agents/{run}"))
}

fn signal_file(run: &str, signal: &str) -> String {
    let path = root().join(format!("testdata/agents/{run}/{signal}.jsonl.zst"));
    assert!(path.exists(), "{} is missing", path.display());
    path.display().to_string()
}

/// The capture's truth (`tests/expected/<run>.json`), per model.
fn truth(run: &str) -> BTreeMap<String, Tokens> {
    expected(run)["expected_tokens_by_model"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(model, t)| (model.clone(), Tokens::from_truth(t)))
        .collect()
}

/// One response of the fake server's `usage.jsonl` in the report's exclusive buckets.
fn usage_tokens(entry: &Value) -> Tokens {
    let u = &entry["usage"];
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    match entry["api"].as_str().unwrap() {
        // Gemini bills the tool-use prompt as input and thoughts as output.
        "gemini" => {
            let cached = n(&u["cachedContentTokenCount"]);
            let prompt = n(&u["promptTokenCount"]) + n(&u["toolUsePromptTokenCount"]);
            let thoughts = n(&u["thoughtsTokenCount"]);
            Tokens {
                requests: 1,
                input: prompt - cached,
                cache_read: cached,
                cache_write: 0,
                output: n(&u["candidatesTokenCount"]) + thoughts,
                reasoning: thoughts,
            }
        }
        "openai" => Tokens {
            requests: 1,
            input: n(&u["prompt_tokens"]) - n(&u["prompt_tokens_details"]["cached_tokens"]),
            cache_read: n(&u["prompt_tokens_details"]["cached_tokens"]),
            cache_write: 0,
            output: n(&u["completion_tokens"]),
            reasoning: n(&u["completion_tokens_details"]["reasoning_tokens"]),
        },
        "openai.responses" => Tokens {
            requests: 1,
            input: n(&u["input_tokens"]) - n(&u["input_tokens_details"]["cached_tokens"]),
            cache_read: n(&u["input_tokens_details"]["cached_tokens"]),
            cache_write: 0,
            output: n(&u["output_tokens"]),
            reasoning: n(&u["output_tokens_details"]["reasoning_tokens"]),
        },
        "anthropic" => Tokens {
            requests: 1,
            input: n(&u["input_tokens"]),
            cache_read: n(&u["cache_read_input_tokens"]),
            cache_write: n(&u["cache_creation_input_tokens"]),
            output: n(&u["output_tokens"]),
            reasoning: 0,
        },
        other => panic!("no rule for the fake server's {other} usage"),
    }
}

/// What a fake server's `usage.jsonl` adds up to, per model.
fn truth_from_usage_log(path: &Path) -> BTreeMap<String, Tokens> {
    let mut by_model: BTreeMap<String, Tokens> = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let entry: Value = serde_json::from_str(line).unwrap();
        *by_model.entry(entry["model"].as_str().unwrap().to_string()).or_default() += usage_tokens(&entry);
    }
    by_model
}

/// List prices per million tokens (input, cache read, cache write, output), from the
/// bundled catalog (`otelcost prices show MODEL`); every call here is under any tier.
fn list_price(model: &str) -> [Decimal; 4] {
    let d = |s: &str| Decimal::from_str(s).unwrap();
    match model {
        "gemini-2.5-flash" => [d("0.3"), d("0.03"), d("0"), d("2.5")],
        "gpt-4.1" => [d("2"), d("0.5"), d("0"), d("8")],
        "gpt-5.5" => [d("5"), d("0.5"), d("0"), d("30")],
        "claude-sonnet-4-5" | "claude-sonnet-4.5" => [d("3"), d("0.3"), d("3.75"), d("15")],
        other => panic!("no list price for {other} in this test"),
    }
}

fn list_cost(model: &str, t: &Tokens) -> Decimal {
    let [input, cache_read, cache_write, output] = list_price(model);
    let n = Decimal::from;
    (n(t.input) * input + n(t.cache_read) * cache_read + n(t.cache_write) * cache_write + n(t.output) * output)
        / Decimal::from(1_000_000)
}

fn costs(report: &Value) -> BTreeMap<String, Decimal> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["group"]["model_id"].as_str().unwrap().to_string(),
                Decimal::from_str(r["cost"].as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

/// Exact tokens per model and the exact list-price cost of each.
fn assert_priced_exactly(report: &Value, want: &BTreeMap<String, Tokens>, what: &str) {
    assert_eq!(rows(report), *want, "{what}: tokens");
    let want_cost: BTreeMap<String, Decimal> = want.iter().map(|(m, t)| (m.clone(), list_cost(m, t))).collect();
    assert_eq!(costs(report), want_cost, "{what}: cost");
    let total: Decimal = want_cost.values().sum();
    assert_eq!(Decimal::from_str(report["total"]["cost"].as_str().unwrap()).unwrap(), total, "{what}: total");
}

// ------------------------------------------------------------------ stored captures

#[test]
fn truth_files_are_what_the_fake_server_logged() {
    for run in CAPTURES {
        let log = root().join(format!("tests/capture/agents/{run}/usage.jsonl"));
        assert_eq!(truth_from_usage_log(&log), truth(run), "{run}");
    }
}

#[test]
fn every_capture_counts_each_call_once_at_list_price() {
    for run in CAPTURES {
        assert_priced_exactly(&report_json(&[&capture_dir(run), "--by", "model_id"]), &truth(run), run);
    }
}

#[test]
fn qwen_code_with_anthropic_keeps_its_cache_writes() {
    // The api_response events leave the cache writes inside input; the llm_request spans
    // in the same outfile state them.
    let run = "qwen-code-anthropic-outfile";
    let want = truth(run);
    assert_eq!(want["claude-sonnet-4-5"].cache_write, 4_700);
    assert_priced_exactly(&report_json(&[&capture_dir(run), "--by", "model_id"]), &want, run);
}

#[test]
fn qwen_code_with_gemini_counts_tool_use_prompts_and_thoughts() {
    let run = "qwen-code-gemini-otlp";
    assert_priced_exactly(&report_json(&[&capture_dir(run), "--by", "model_id"]), &truth(run), run);
    assert_eq!(rows(&report_json(&[&signal_file(run, "logs")])), truth(run), "events alone");
    // Gemini's tool-use prompt is only inside the events' total_token_count: spans and
    // counters alone lack it, but count the thoughts on top of output (provider gcp.gemini,
    // model gemini-*).
    let log = std::fs::read_to_string(root().join(format!("tests/capture/agents/{run}/usage.jsonl"))).unwrap();
    let tool_use: u64 = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["usage"]["toolUsePromptTokenCount"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(tool_use, 22);
    let without_tool_use = |t: BTreeMap<String, Tokens>| -> BTreeMap<String, Tokens> {
        t.into_iter().map(|(m, t)| (m, Tokens { input: t.input - tool_use, ..t })).collect()
    };
    assert_eq!(rows(&report_json(&[&signal_file(run, "traces")])), without_tool_use(truth(run)), "spans alone");
    assert_eq!(
        rows(&report_json(&[&signal_file(run, "metrics")])),
        without_tool_use(without_requests(truth(run))),
        "metrics alone"
    );
}

#[test]
fn every_capture_read_twice_counts_once() {
    for run in CAPTURES {
        let dir = capture_dir(run);
        assert_eq!(rows(&report_json(&[&dir, &dir])), rows(&report_json(&[&dir])), "{run}");
    }
}

#[test]
fn log_events_alone_carry_every_call() {
    for run in ["gemini-cli-otlp", "qwen-code-openai-otlp", "claude-agent-sdk-otlp"] {
        assert_eq!(rows(&report_json(&[&signal_file(run, "logs")])), truth(run), "{run}");
    }
}

#[test]
fn spans_alone_carry_every_call() {
    for run in ["qwen-code-openai-otlp", "opencode-openai-otlp", "opencode-anthropic-otlp", "claude-agent-sdk-otlp"] {
        assert_eq!(rows(&report_json(&[&signal_file(run, "traces")])), truth(run), "{run}");
    }
}

/// Token counters carry no call count.
fn without_requests(t: BTreeMap<String, Tokens>) -> BTreeMap<String, Tokens> {
    t.into_iter().map(|(m, t)| (m, Tokens { requests: 0, ..t })).collect()
}

#[test]
fn metrics_alone_carry_the_tokens() {
    for run in ["gemini-cli-otlp", "qwen-code-openai-otlp", "claude-agent-sdk-otlp"] {
        assert_eq!(rows(&report_json(&[&signal_file(run, "metrics")])), without_requests(truth(run)), "{run}");
    }
}

#[test]
fn gemini_cli_spans_alone_lose_the_cache_thought_and_tool_split() {
    // llm_call spans carry only gen_ai.usage.input_tokens (promptTokenCount, cache included)
    // and output_tokens (candidatesTokenCount): every call is there, priced as plain input
    // and output, without the thoughts and the tool-use prompt.
    let run = "gemini-cli-otlp";
    let mut want = Tokens::default();
    let log = std::fs::read_to_string(root().join(format!("tests/capture/agents/{run}/usage.jsonl"))).unwrap();
    for line in log.lines() {
        let u = &serde_json::from_str::<Value>(line).unwrap()["usage"];
        want.requests += 1;
        want.input += u["promptTokenCount"].as_u64().unwrap();
        want.output += u["candidatesTokenCount"].as_u64().unwrap();
    }
    let got = rows(&report_json(&[&signal_file(run, "traces")]));
    assert_eq!(got, BTreeMap::from([("gemini-2.5-flash".to_string(), want)]));
    assert_ne!(got, truth(run));
}

#[test]
fn each_pair_of_signals_counts_once() {
    for run in ["gemini-cli-otlp", "qwen-code-openai-otlp", "claude-agent-sdk-otlp"] {
        let [t, l, m] = ["traces", "logs", "metrics"].map(|s| signal_file(run, s));
        for pair in [[&t, &l], [&l, &m], [&t, &m]] {
            let got = rows(&report_json(&[pair[0], pair[1]]));
            if pair[0] == &t && pair[1] == &m && run == "gemini-cli-otlp" {
                // Gemini's llm_call spans carry no cache or thought split; nothing else is
                // per call in this pair, so only the call count is exact.
                let calls: u64 = got.values().map(|t| t.requests).sum();
                assert_eq!(calls, truth(run).values().map(|t| t.requests).sum::<u64>(), "{run} {pair:?}");
                continue;
            }
            assert_eq!(got, truth(run), "{run} {pair:?}");
        }
    }
}

#[test]
fn all_captures_together_add_up_and_never_merge() {
    let dirs: Vec<String> = CAPTURES.iter().map(|r| capture_dir(r)).collect();
    let args: Vec<&str> = dirs.iter().map(String::as_str).collect();
    let mut want: BTreeMap<String, Tokens> = BTreeMap::new();
    for dir in &dirs {
        for (model, t) in rows(&report_json(&[dir])) {
            *want.entry(model).or_default() += t;
        }
    }
    assert_eq!(rows(&report_json(&args)), want);
}

#[test]
fn the_claude_agent_sdks_own_cost_matches_ours() {
    // The SDK's ResultMessage.total_cost_usd, Claude Code's float sum over the session
    // (subagent included), against the exact figure.
    let run = "claude-agent-sdk-otlp";
    let stated = expected(run)["sdk_result"]["total_cost_usd"].as_f64().unwrap();
    let ours = report_json(&[&capture_dir(run), "--by", "model_id"])["total"]["cost"]
        .as_str()
        .unwrap()
        .parse::<f64>()
        .unwrap();
    assert!((stated - ours).abs() < 1e-12, "SDK {stated}, otelcost {ours}");
}

// ------------------------------------------------------------------ otelcost run -- <agent>

const PROMPT: &str = "List the files here, read notes.txt, then ask a subagent to read it again, and say what it says.";

/// The fake LLM API on a free loopback port, scripted with tool calls; killed on drop.
struct FakeLlm {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl FakeLlm {
    fn start(script: &Value) -> FakeLlm {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("python3")
            .arg(root().join("tests/capture/agents/fake_llm_agents.py"))
            .arg(dir.path().join("fake"))
            .args(["--script", &script.to_string(), "--max-seconds", "600"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fake LLM server");
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
        FakeLlm { child, url: url.trim().to_string(), dir }
    }

    fn truth(&self) -> BTreeMap<String, Tokens> {
        truth_from_usage_log(&self.dir.path().join("fake/usage.jsonl"))
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch project with notes.txt, and a home of its own.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        // Not a hidden folder (tempdir's `.tmp…`): OpenCode's glob skips those.
        let dir = tempfile::Builder::new().prefix("otelcost-agent-").tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::write(dir.path().join("work/notes.txt"), "The launch moved to Thursday.\n").unwrap();
        Workspace { dir }
    }
    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    fn notes(&self) -> String {
        self.work().join("notes.txt").display().to_string()
    }
}

fn agent_bin(name: &str) -> PathBuf {
    let bin = PathBuf::from(external("OTELCOST_TEST_AGENT_CLIS")).join(".bin").join(name);
    assert!(bin.exists(), "{} is missing", bin.display());
    bin
}

/// `otelcost run --format json -- CMD…` in the workspace with `env` (and nothing of the
/// agents' own telemetry settings inherited); returns the report.
fn run_agent(ws: &Workspace, env: &[(&str, String)], command: &[String]) -> Value {
    run_agent_with(ws, env, &[], command)
}

fn run_agent_with(ws: &Workspace, env: &[(&str, String)], options: &[&str], command: &[String]) -> Value {
    let mut cmd = assert_cmd::Command::cargo_bin("otelcost").unwrap();
    // PWD too: OpenCode takes its project folder from it.
    cmd.current_dir(ws.work()).env("PWD", ws.work()).env("HOME", ws.home()).env("CI", "true").env("NO_COLOR", "1");
    for (name, _) in std::env::vars() {
        if [
            "GEMINI_",
            "QWEN_",
            "COPILOT_",
            "OPENCODE_",
            "ANTHROPIC_",
            "OPENAI_",
            "GOOGLE_",
            "OTEL_",
            "CODEX_",
            "CLINE_",
            "PI_",
            "FACTORY_",
        ]
        .iter()
        .any(|p| name.starts_with(p))
        {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    let report = ws.dir.path().join("report.json");
    cmd.args(["run", "--format", "json", "--by", "model_id", "--flush", "5s", "-o"])
        .arg(&report)
        .args(options)
        .arg("--")
        .args(command);
    let out = cmd.timeout(std::time::Duration::from_secs(240)).output().unwrap();
    let log =
        format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "otelcost run failed; {log}");
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("no report ({e}); {log}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not a JSON report ({e}): {text}\n{log}"))
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn run_gemini_cli_is_priced_exactly() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([
        ["list_directory", {"dir_path": "."}],
        ["read_file", {"file_path": "notes.txt"}],
        ["invoke_agent", {"agent_name": "generalist", "prompt": "Read notes.txt and say what it says."}],
        ["read_file", {"file_path": "notes.txt"}]
    ]));
    // The API-key auth has to be chosen in the settings for a custom base URL.
    std::fs::create_dir_all(ws.home().join(".gemini")).unwrap();
    std::fs::write(
        ws.home().join(".gemini/settings.json"),
        r#"{"security":{"auth":{"selectedType":"gemini-api-key"}}}"#,
    )
    .unwrap();
    let env = [
        ("GEMINI_API_KEY", "fake".to_string()),
        ("GOOGLE_GEMINI_BASE_URL", fake.url.clone()),
        ("GEMINI_CLI_TRUST_WORKSPACE", "true".into()),
    ];
    let mut command = vec![agent_bin("gemini").display().to_string()];
    command.extend(strings(&["-p", PROMPT, "-m", "gemini-2.5-flash", "--yolo"]));
    let report = run_agent(&ws, &env, &command);
    assert!(fake.truth()["gemini-2.5-flash"].requests >= 5, "tool calls and a subagent: {:?}", fake.truth());
    assert_priced_exactly(&report, &fake.truth(), "gemini");
}

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn an_agent_that_made_no_call_is_named_in_a_warning() {
    let ws = Workspace::new();
    let mut cmd = assert_cmd::Command::cargo_bin("otelcost").unwrap();
    cmd.current_dir(ws.work()).env("HOME", ws.home());
    let out = cmd.args(["run", "--flush", "1s", "--"]).arg(agent_bin("gemini")).arg("--version").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("warning: Gemini CLI sent no LLM calls; a `telemetry.outfile`"), "{stderr}");
}

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn run_qwen_code_is_priced_exactly() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([
        ["glob", {"pattern": "*"}],
        ["read_file", {"file_path": ws.notes()}],
        ["agent", {"description": "Read the notes", "prompt": "Read notes.txt and say what it says.",
                   "subagent_type": "general-purpose"}],
        ["read_file", {"file_path": ws.notes()}]
    ]));
    let env = [
        ("OPENAI_API_KEY", "fake".to_string()),
        ("OPENAI_BASE_URL", format!("{}/v1", fake.url)),
        ("OPENAI_MODEL", "gpt-4.1".into()),
    ];
    let mut command = vec![agent_bin("qwen").display().to_string()];
    command.extend(strings(&["--auth-type", "openai", "-p", PROMPT, "--yolo"]));
    let report = run_agent(&ws, &env, &command);
    assert!(fake.truth()["gpt-4.1"].requests >= 5, "tool calls and a subagent: {:?}", fake.truth());
    assert_priced_exactly(&report, &fake.truth(), "qwen");
}

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn run_copilot_cli_reads_its_file_and_is_priced_exactly() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([
        ["glob", {"pattern": "*"}],
        ["view", {"path": ws.notes()}],
        ["task", {"description": "Read the notes", "prompt": "Read notes.txt and say what it says.",
                  "agent_type": "explore", "name": "reader"}],
        ["view", {"path": ws.notes()}]
    ]));
    let env = [
        ("COPILOT_OFFLINE", "true".to_string()),
        ("COPILOT_PROVIDER_TYPE", "anthropic".into()),
        ("COPILOT_PROVIDER_BASE_URL", fake.url.clone()),
        ("COPILOT_PROVIDER_API_KEY", "fake".into()),
        ("COPILOT_MODEL", "claude-sonnet-4.5".into()),
    ];
    let mut command = vec![agent_bin("copilot").display().to_string()];
    command.extend(strings(&["-p", PROMPT, "--allow-all-tools"]));
    let saved = ws.dir.path().join("saved");
    let report = run_agent_with(&ws, &env, &["--save", saved.to_str().unwrap(), "--route", "ci/7"], &command);
    assert!(fake.truth()["claude-sonnet-4.5"].requests >= 5, "tool calls and a subagent: {:?}", fake.truth());
    assert_priced_exactly(&report, &fake.truth(), "copilot");
    // The file is kept with what the receiver saved: the same figures later, and in the
    // route's folder, so its calls keep `run --route`'s route.
    assert_priced_exactly(
        &report_json(&[saved.to_str().unwrap(), "--by", "model_id"]),
        &fake.truth(),
        "copilot, saved",
    );
    let by_route = report_json(&[saved.to_str().unwrap(), "--by", "route"]);
    let rows = by_route["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{by_route}");
    assert_eq!(rows[0]["group"]["route"], "ci/7", "{by_route}");

    // Without run's switches Copilot CLI writes no telemetry at all.
    let before = fake.truth();
    let report = run_agent_with(&ws, &env, &["--no-env"], &command);
    assert!(fake.truth()["claude-sonnet-4.5"].requests > before["claude-sonnet-4.5"].requests);
    assert_eq!(report["total"]["requests"], 0, "{report}");
}

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn run_opencode_turns_its_llm_spans_on_in_the_users_config() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([
        ["glob", {"pattern": "*"}],
        ["read", {"filePath": ws.notes()}],
        ["task", {"description": "Read the notes", "prompt": "Read notes.txt and say what it says.",
                  "subagent_type": "general"}],
        ["read", {"filePath": ws.notes()}]
    ]));
    // The user's own inline config (the provider), which run extends with the switch.
    let config = serde_json::json!({
        "provider": {"fake": {"npm": "@ai-sdk/openai-compatible", "name": "fake",
            "options": {"baseURL": format!("{}/v1", fake.url), "apiKey": "fake"},
            "models": {"gpt-4.1": {"name": "gpt-4.1"}}}},
        "model": "fake/gpt-4.1", "small_model": "fake/gpt-4.1"});
    let env = [("OPENCODE_CONFIG_CONTENT", config.to_string())];
    let command = vec![agent_bin("opencode").display().to_string(), "run".into(), PROMPT.into()];
    let report = run_agent(&ws, &env, &command);
    let sent = fake.truth()["gpt-4.1"];
    assert!(sent.requests >= 6, "tool calls and a subagent: {sent:?}");
    // OpenCode does not flush its spans when `opencode run` exits, so the last calls (here
    // up to 3 of 7) may be missing (README): only that the switch took effect is certain,
    // and that what arrived is never more than was sent.
    let got = rows(&report)["gpt-4.1"];
    assert!(got.requests >= 1 && got.requests <= sent.requests, "{got:?} of {sent:?}");
    assert!(got.input <= sent.input && got.cache_read <= sent.cache_read && got.output <= sent.output, "{got:?}");
}

#[test]
#[ignore = "needs the Claude Agent SDK: OTELCOST_TEST_CLAUDE_AGENT_SDK_PYTHON, set by .ci/run"]
fn run_claude_code_through_the_agent_sdk_is_priced_exactly() {
    let python = external("OTELCOST_TEST_CLAUDE_AGENT_SDK_PYTHON");
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([
        ["Glob", {"pattern": "*"}],
        ["Read", {"file_path": ws.notes()}],
        ["Agent", {"description": "Read the notes", "prompt": "Read notes.txt and say what it says.",
                   "subagent_type": "general-purpose"}],
        ["Read", {"file_path": ws.notes()}]
    ]));
    let env = [("ANTHROPIC_API_KEY", "fake".to_string()), ("ANTHROPIC_BASE_URL", fake.url.clone())];
    let session = root().join("tests/capture/agents/claude_sdk_session.py").display().to_string();
    let report = run_agent(&ws, &env, &[python, session, PROMPT.to_string()]);
    assert!(fake.truth()["claude-sonnet-4-5"].requests >= 5, "tool calls and a subagent: {:?}", fake.truth());
    assert_priced_exactly(&report, &fake.truth(), "claude agent sdk");
}

/// A request the fake answers with text: a tool call, then the answer.
const READ_PROMPT: &str = "Read notes.txt and tell me what it says.";

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn run_pi_reads_its_session_files_and_is_priced_exactly() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([["read", {"path": ws.notes()}]]));
    // The user's own pi setup: Anthropic at the fake's address.
    let agent_dir = ws.home().join(".pi/agent");
    std::fs::create_dir_all(&agent_dir).unwrap();
    let models = serde_json::json!({"providers": {"anthropic": {"baseUrl": fake.url, "apiKey": "fake"}}});
    std::fs::write(agent_dir.join("models.json"), models.to_string()).unwrap();
    let env = [("PI_OFFLINE", "1".to_string()), ("PI_TELEMETRY", "0".into())];
    let mut command = vec![agent_bin("pi").display().to_string()];
    command.extend(strings(&["-p", "--provider", "anthropic", "--model", "claude-sonnet-4-5", READ_PROMPT]));
    let report = run_agent(&ws, &env, &command);
    assert!(fake.truth()["claude-sonnet-4-5"].requests >= 2, "a tool call: {:?}", fake.truth());
    assert_priced_exactly(&report, &fake.truth(), "pi");
    // pi wrote its session in run's folder, not in the user's history.
    assert!(!agent_dir.join("sessions").exists());
}

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn run_cline_reads_its_log_and_is_priced_exactly() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([["read_files", {"files": [{"path": ws.notes()}]}]]));
    let cline = agent_bin("cline");
    // The user's own Cline setup: Anthropic at the fake's address (`auth` takes no base URL
    // for Anthropic, so it goes into providers.json).
    let auth = Command::new(&cline)
        .current_dir(ws.work())
        .env("HOME", ws.home())
        .args(["auth", "anthropic", "-k", "fake", "-m", "claude-sonnet-4-5"])
        .output()
        .unwrap();
    assert!(auth.status.success(), "{}", String::from_utf8_lossy(&auth.stderr));
    let providers = ws.home().join(".cline/data/settings/providers.json");
    let mut settings: Value = serde_json::from_str(&std::fs::read_to_string(&providers).unwrap()).unwrap();
    settings["providers"]["anthropic"]["settings"]["baseUrl"] = fake.url.clone().into();
    std::fs::write(&providers, settings.to_string()).unwrap();
    // Cline's product telemetry (on by default) goes nowhere from here.
    let env = [("HTTPS_PROXY", "http://127.0.0.1:9".to_string()), ("NO_PROXY", "127.0.0.1,localhost".into())];
    let mut command = vec![cline.display().to_string()];
    command.extend(strings(&["--json", "-P", "anthropic", "-m", "claude-sonnet-4-5", READ_PROMPT]));
    let report = run_agent(&ws, &env, &command);
    assert!(fake.truth()["claude-sonnet-4-5"].requests >= 2, "a tool call: {:?}", fake.truth());
    assert_priced_exactly(&report, &fake.truth(), "cline");
    // The events went to run's log, not the user's.
    let own_log = std::fs::read_to_string(ws.home().join(".cline/data/logs/cline.log")).unwrap_or_default();
    assert!(!own_log.contains("task.tokens"), "{own_log}");
}

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn run_codex_layers_its_exporters_over_the_users_config() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([["exec_command", {"cmd": "cat notes.txt"}]]));
    // The user's own Codex config, which run must not change.
    let codex_home = ws.home().join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    let config = format!(
        "model_provider = \"fake\"\nmodel = \"gpt-5.5\"\ncheck_for_update_on_startup = false\n\n\
         [model_providers.fake]\nname = \"fake\"\nbase_url = \"{}/v1\"\nenv_key = \"FAKE_OPENAI_API_KEY\"\n\
         wire_api = \"responses\"\nrequest_max_retries = 0\nstream_max_retries = 0\n\n\
         [analytics]\nenabled = false\n\n[otel]\nenvironment = \"mine\"\n",
        fake.url
    );
    std::fs::write(codex_home.join("config.toml"), &config).unwrap();
    let env = [("FAKE_OPENAI_API_KEY", "fake".to_string())];
    let mut command = vec![agent_bin("codex").display().to_string()];
    command.extend(strings(&["exec", "--skip-git-repo-check", "-s", "danger-full-access", READ_PROMPT]));
    let report = run_agent(&ws, &env, &command);
    assert!(fake.truth()["gpt-5.5"].requests >= 2, "a tool call: {:?}", fake.truth());
    assert_priced_exactly(&report, &fake.truth(), "codex");
    assert_eq!(std::fs::read_to_string(codex_home.join("config.toml")).unwrap(), config);
    // Its session transcript went to the user's own sessions folder, as without run.
    assert!(codex_home.join("sessions").exists());
}

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn run_continue_cli_counts_its_token_counters_without_inventing_calls() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([["Read", {"filepath": "notes.txt"}]]));
    // The user's own Continue config: Anthropic at the fake's address.
    let config = ws.home().join(".continue/config.yaml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let yaml = format!(
        "name: fake\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: fake-claude\n    provider: anthropic\n    \
         model: claude-sonnet-4-5\n    apiBase: {}/v1/\n    apiKey: fake\n    roles: [chat, edit, apply]\n",
        fake.url
    );
    std::fs::write(&config, yaml).unwrap();
    let env = [("NO_PROXY", "127.0.0.1,localhost".to_string())];
    let mut command = vec![agent_bin("cn").display().to_string()];
    command.extend(strings(&["-p", READ_PROMPT, "--config", config.to_str().unwrap(), "--allow", "Read"]));
    let report = run_agent(&ws, &env, &command);
    let sent = fake.truth();
    assert!(sent["claude-sonnet-4-5"].requests >= 2, "a tool call: {sent:?}");
    // Counters only: every token, no number of calls.
    let want: BTreeMap<String, Tokens> = sent.into_iter().map(|(m, t)| (m, Tokens { requests: 0, ..t })).collect();
    assert_eq!(rows(&report), want);
    let cost = Decimal::from_str(report["total"]["cost"].as_str().unwrap()).unwrap();
    assert_eq!(cost, want.iter().map(|(m, t)| list_cost(m, t)).sum::<Decimal>());
}

#[test]
#[ignore = "needs the agent CLIs: OTELCOST_TEST_AGENT_CLIS, set by .ci/run"]
fn run_droid_counts_its_calls_by_span_and_its_tokens_by_session_totals() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(&serde_json::json!([["Read", {"file_path": ws.notes()}]]));
    // The user's own Droid setup: a BYOK Anthropic model at the fake's address, which Droid
    // names `custom:Fake-0`, and a price for that name.
    let factory = ws.home().join(".factory");
    std::fs::create_dir_all(&factory).unwrap();
    let models = serde_json::json!({"customModels": [{"model": "claude-sonnet-4-5", "displayName": "Fake",
        "provider": "anthropic", "baseUrl": fake.url, "apiKey": "fake", "maxOutputTokens": 4096}]});
    std::fs::write(factory.join("settings.json"), models.to_string()).unwrap();
    let [input, cache_read, cache_write, output] = list_price("claude-sonnet-4-5");
    let prices = ws.dir.path().join("prices.toml");
    let entry = format!(
        "[[model]]\nid = \"custom:Fake-0\"\ninput_mtok = \"{input}\"\ncache_read_mtok = \"{cache_read}\"\n\
         cache_write_mtok = \"{cache_write}\"\noutput_mtok = \"{output}\"\n"
    );
    std::fs::write(&prices, entry).unwrap();
    // Factory's own API goes nowhere from here.
    let nowhere = "http://127.0.0.1:9".to_string();
    let env = [
        ("FACTORY_API_BASE_URL", nowhere.clone()),
        ("FACTORY_TELEMETRY_INGEST_BASE_URL", nowhere),
        ("FACTORY_DROID_AUTO_UPDATE_ENABLED", "false".into()),
        ("NO_PROXY", "127.0.0.1,localhost".into()),
    ];
    let droid = PathBuf::from(external("OTELCOST_TEST_AGENT_CLIS")).join("@factory/cli-linux-x64/bin/droid");
    let command = vec![droid.display().to_string(), "exec".into(), "-m".into(), "custom:Fake-0".into()]
        .into_iter()
        .chain(strings(&["--auto", "low", READ_PROMPT]))
        .collect::<Vec<_>>();
    let saved = ws.dir.path().join("saved");
    let options = ["--prices", prices.to_str().unwrap(), "--save", saved.to_str().unwrap()];
    let report = run_agent_with(&ws, &env, &options, &command);
    let sent = fake.truth()["claude-sonnet-4-5"];
    assert!(sent.requests >= 2, "a tool call: {sent:?}");
    let want = BTreeMap::from([("custom:Fake-0".to_string(), sent)]);
    assert_eq!(rows(&report), want, "{report}");
    let cost = Decimal::from_str(report["total"]["cost"].as_str().unwrap()).unwrap();
    assert_eq!(cost, list_cost("claude-sonnet-4-5", &sent));
    // The session file stays in the user's history, and its copy in --save DIR gives the
    // same figures later.
    let sessions: Vec<_> = std::fs::read_dir(factory.join("sessions")).unwrap().flatten().collect();
    assert_eq!(sessions.len(), 1, "one project folder");
    let again = report_json(&[saved.to_str().unwrap(), "--by", "model_id", "--prices", prices.to_str().unwrap()]);
    assert_eq!(rows(&again), want, "saved: {again}");
}

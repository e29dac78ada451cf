//! Telemetry and usage files coding agents write themselves, read as a user would
//! (`otelcost report FILE`): the Gemini CLI outfile (pretty-printed JS SDK objects), the
//! Copilot CLI file exporter (JSON lines), OpenCode's OTLP/JSON, Cline's log and pi's
//! session files (no OpenTelemetry at all), Claude Code's and Codex's transcripts, Kilo
//! Code's exports and Factory Droid's session totals, real captures in
//! `testdata/agent-files/` against what the fake API sent (`tests/expected/agent-files.json`):
//! every file, each signal of it alone, all together and twice; list-price cost checked
//! against the catalog's unit prices by separate arithmetic; broken input kept apart.

mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;

const GEMINI: &str = "gemini-cli-0.61.0-outfile.log";
const COPILOT: &str = "copilot-cli-1.0.102-openai-byok.jsonl";
const OPENCODE: &str = "opencode-1.18.33-otlp-http-json-traces.json";
const CLINE: &str = "cline-3.0.65-cline.log";
const PI_ANTHROPIC: &str = "pi-0.73.1-session-anthropic.jsonl";
const PI_OPENAI: &str = "pi-0.73.1-session-openai.jsonl";
/// Kilo Code's `kilo export <session>` (its usage is nowhere else).
const KILO_EXPORTS: [&str; 2] = ["kilo-7.7.7-export-anthropic.json", "kilo-7.7.7-export-openai.json"];
/// Agents' own log and session files, with no OpenTelemetry.
const USAGE_FILES: [&str; 5] = [CLINE, PI_ANTHROPIC, PI_OPENAI, KILO_EXPORTS[0], KILO_EXPORTS[1]];
/// Continue CLI's metrics, its only telemetry.
const CONTINUE: [&str; 3] = [
    "continue-cli-1.5.47-openai-metrics.jsonl",
    "continue-cli-1.5.47-openai-delta-metrics.jsonl",
    "continue-cli-1.5.47-anthropic-metrics.jsonl",
];
const KILO_TRACES: &str = "kilo-7.7.7-traces.jsonl.zst";
const CLAUDE_TRANSCRIPT: &str = "claude-code-2.1.332-transcript.jsonl";
const CLAUDE_THINKING_TRANSCRIPT: &str = "claude-code-2.1.332-thinking-transcript.jsonl";
/// The same session as [`CLAUDE_TRANSCRIPT`], over OTLP.
const CLAUDE_OTLP: [&str; 2] = ["claude-code-2.1.332-otlp-logs.jsonl", "claude-code-2.1.332-otlp-metrics.jsonl"];
/// Factory Droid's session settings files: its usage totals, and its spans without usage.
const DROID: [&str; 2] =
    ["droid-0.225.2-openai-session.settings.json", "droid-0.225.2-anthropic-session.settings.json"];
const DROID_TRACES: &str = "droid-0.225.2-genai-traces.jsonl";
/// Gemini CLI's chat recordings of one session (the main agent's, a subagent's) and the
/// same session's telemetry outfile.
const GEMINI_CHATS: [&str; 2] = ["gemini-cli-0.61.0-chat-session.jsonl", "gemini-cli-0.61.0-chat-subagent.jsonl"];
const GEMINI_CHAT_OUTFILE: &str = "gemini-cli-0.61.0-chat-outfile.log.zst";
/// Qwen Code's chat recordings of one session (the main agent's, a subagent's), its usage
/// ledger, and the same session's telemetry outfile.
const QWEN_CHATS: [&str; 2] = ["qwen-code-0.24.4-chat-session.jsonl", "qwen-code-0.24.4-chat-subagent.jsonl"];
const QWEN_LEDGER: &str = "qwen-code-0.24.4-usage-ledger.jsonl";
const QWEN_CHAT_OUTFILE: &str = "qwen-code-0.24.4-chat-outfile.log.zst";
const CODEX_ROLLOUT: &str = "codex-0.171.0-rollout.jsonl";
/// The same session as [`CODEX_ROLLOUT`], over OTLP.
const CODEX_OTLP: [&str; 2] = ["codex-0.171.0-otlp-logs.jsonl", "codex-0.171.0-otlp-metrics.jsonl"];

fn file(name: &str) -> String {
    testdata(&format!("agent-files/{name}"))
}

fn truth(name: &str) -> BTreeMap<String, Tokens> {
    let e = expected("agent-files");
    e["files"][name]["by_model"].as_object().unwrap().iter().map(|(m, t)| (m.clone(), Tokens::from_truth(t))).collect()
}

fn without_requests(t: BTreeMap<String, Tokens>) -> BTreeMap<String, Tokens> {
    t.into_iter().map(|(m, t)| (m, Tokens { requests: 0, ..t })).collect()
}

/// The records of a concatenated pretty-printed file (each starts with `{` at column 0).
fn records(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with('{') || out.is_empty() {
            out.push(String::new());
        }
        let last = out.last_mut().unwrap();
        last.push_str(line);
        last.push('\n');
    }
    out
}

/// Writes the records `keep` selects to a temporary file.
fn subset(dir: &tempfile::TempDir, name: &str, records: &[String], keep: impl Fn(&str) -> bool) -> String {
    let path = dir.path().join(name);
    let text: String = records.iter().filter(|r| keep(r)).cloned().collect();
    assert!(!text.is_empty(), "{name}: nothing selected");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn every_file_counts_each_call_once_with_its_whole_usage() {
    for name in [GEMINI, COPILOT, OPENCODE] {
        assert_eq!(rows(&report_json(&[&file(name)])), truth(name), "{name}");
        assert_eq!(rows(&report_json(&[&file(name), &file(name)])), truth(name), "{name} twice");
    }
    // All three together: the two gpt-4o-mini calls are different calls.
    let mut want = truth(GEMINI);
    *want.entry("gpt-4o-mini".into()).or_default() += truth(COPILOT)["gpt-4o-mini"];
    *want.entry("gpt-4o-mini".into()).or_default() += truth(OPENCODE)["gpt-4o-mini"];
    assert_eq!(rows(&report_json(&[&file(GEMINI), &file(COPILOT), &file(OPENCODE)])), want);
}

#[test]
fn agents_own_usage_files_count_each_call_once_with_its_whole_usage() {
    let mut all: BTreeMap<String, Tokens> = BTreeMap::new();
    for name in USAGE_FILES {
        assert_eq!(rows(&report_json(&[&file(name)])), truth(name), "{name}");
        assert_eq!(rows(&report_json(&[&file(name), &file(name)])), truth(name), "{name} twice");
        for (model, t) in truth(name) {
            *all.entry(model).or_default() += t;
        }
    }
    // Two agents' calls with the same model are different calls.
    let paths: Vec<String> = USAGE_FILES.map(file).to_vec();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    assert_eq!(rows(&report_json(&args)), all);
}

#[test]
fn the_agents_own_cost_is_kept_as_reported_beside_ours() {
    let e = expected("agent-files");
    for name in USAGE_FILES {
        let report = report_json(&[&file(name), "--cost", "both"]);
        let stated = e["files"][name]["reported_cost_usd"].as_object().unwrap();
        for model in truth(name).keys() {
            let row = model_row(&report, model);
            let want: Option<Decimal> = stated.get(model).map(|costs| {
                costs.as_array().unwrap().iter().map(|c| Decimal::from_str(c.as_str().unwrap()).unwrap()).sum()
            });
            let got = row["reported_cost"].as_str().map(|c| Decimal::from_str(c).unwrap());
            assert_eq!(got, want, "{name} {model}: {row}");
            assert_eq!(row["cost"], model_row(&report_json(&[&file(name)]), model)["cost"], "{name} {model}");
        }
        // Ours at the list prices below 200k input (per Mtok: 3 in, 0.3 cache read,
        // 3.75 cache write, 15 out), the agents' own figures without their float noise.
        if let Some(t) = truth(name).get("claude-sonnet-4-5") {
            let per_mtok = Decimal::from(t.input) * Decimal::from(3)
                + Decimal::from(t.cache_read) * Decimal::from_str("0.3").unwrap()
                + Decimal::from(t.cache_write) * Decimal::from_str("3.75").unwrap()
                + Decimal::from(t.output) * Decimal::from(15);
            let got = Decimal::from_str(model_row(&report, "claude-sonnet-4-5")["cost"].as_str().unwrap()).unwrap();
            assert_eq!(got, per_mtok / Decimal::from(1_000_000), "{name}");
        }
    }
}

#[test]
fn claude_code_transcripts_count_each_call_once_also_beside_its_telemetry() {
    // One line per content block, each with the call's whole usage: counted once.
    for name in [CLAUDE_TRANSCRIPT, CLAUDE_THINKING_TRANSCRIPT] {
        let run = otelcost(&["report", &file(name), "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(rows(&serde_json::from_str(&run.stdout).unwrap()), truth(name), "{name}");
        assert!(!run.stderr.contains("error"), "{}", run.stderr);
    }
    // The transcript and the OTLP of the same session: each call once, with Claude Code's
    // own cost from the events, and the transcript's figures priced as the events' are.
    let otlp: Vec<String> = CLAUDE_OTLP.map(file).to_vec();
    let alone = report_json(&[&otlp[0], &otlp[1], "--cost", "both"]);
    let with = report_json(&[&otlp[0], &otlp[1], &file(CLAUDE_TRANSCRIPT), "--cost", "both"]);
    let transcript = report_json(&[&file(CLAUDE_TRANSCRIPT)]);
    assert_eq!(rows(&with), truth(CLAUDE_TRANSCRIPT));
    assert_eq!(rows(&alone), truth(CLAUDE_TRANSCRIPT));
    let stated: Decimal = expected("agent-files")["files"][CLAUDE_TRANSCRIPT]["otlp_reported_cost_usd"]
        ["claude-opus-5-5"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Decimal::from_str(c.as_str().unwrap()).unwrap())
        .sum();
    let row = model_row(&with, "claude-opus-5-5");
    assert_eq!(Decimal::from_str(row["reported_cost"].as_str().unwrap()).unwrap(), stated, "{row}");
    assert_eq!(row["cost"], model_row(&alone, "claude-opus-5-5")["cost"]);
    assert_eq!(model_row(&transcript, "claude-opus-5-5")["cost"], row["cost"]);
}

/// The Codex session's truth and its list-price cost.
fn codex_truth() -> (BTreeMap<String, Tokens>, Value) {
    (truth(CODEX_ROLLOUT), expected("agent-files")["files"][CODEX_ROLLOUT]["cost_usd"]["gpt-5.5"].clone())
}

#[test]
fn codex_transcripts_count_each_call_once_also_beside_its_telemetry() {
    let (want, cost) = codex_truth();
    let (rollout, otlp) = (file(CODEX_ROLLOUT), CODEX_OTLP.map(file));
    let runs: [&[&str]; 5] = [
        &[&rollout],
        &[&rollout, &rollout],
        &[&otlp[0], &otlp[1]],
        &[&otlp[0], &otlp[1], &rollout],
        &[&rollout, &otlp[0]],
    ];
    for args in runs {
        let run = otelcost(&[&["report", "--format", "json"], args].concat());
        assert_eq!(run.code, 0, "{}", run.stderr);
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(rows(&report), want, "{args:?}");
        assert_eq!(model_row(&report, "gpt-5.5")["cost"], cost, "{args:?}");
        assert!(!run.stderr.contains("error"), "{}", run.stderr);
    }
    // The transcript's calls are Codex's own process's (its `originator`): one service.
    let by_service = report_json(&[&otlp[0], &rollout, "--by", "service"]);
    assert_eq!(by_service["rows"].as_array().unwrap().len(), 1, "{by_service}");
    assert_eq!(by_service["rows"][0]["group"]["service"], "codex_exec");
}

#[test]
fn a_codex_transcripts_repeated_counts_and_turns_longer_than_a_chunk_count_once_with_the_model() {
    let (want, cost) = codex_truth();
    let text = std::fs::read_to_string(file(CODEX_ROLLOUT)).unwrap();
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        lines.push(line.into());
        // Codex writes a token_count line again, later, with nothing new (a rate-limit refresh).
        if line.contains("\"type\":\"token_count\"") {
            lines.push(line.replacen("\"timestamp\":\"2026-12-03T13:54:3", "\"timestamp\":\"2026-12-03T13:55:3", 1));
        }
        // A tool output longer than the reader's 4 MiB chunks: the calls after it are read
        // in another chunk than the turn that names their model.
        if line.contains("\"type\":\"turn_context\"") {
            let output = "x".repeat(5 << 20);
            lines.push(format!(
                r#"{{"timestamp":"2026-12-03T13:54:32.900Z","type":"response_item","payload":{{"type":"function_call_output","output":"{output}"}}}}"#
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rollout.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let report = report_json(&[path.to_str().unwrap()]);
    assert_eq!(rows(&report), want);
    assert_eq!(model_row(&report, "gpt-5.5")["cost"], cost);
}

#[test]
fn a_codex_forks_replay_of_its_parents_history_is_the_parents_calls() {
    let (want, cost) = codex_truth();
    let parent = std::fs::read_to_string(file(CODEX_ROLLOUT)).unwrap();
    // A fork's file: its own session_meta, then the parent's, and the parent's history
    // replayed at the time of the fork.
    let meta = parent.lines().next().unwrap();
    let own = meta.replace("01a23c2f-73aa-70d0-9520-063477c380c0", "01a23c30-0000-7000-8000-00000000f0c5");
    let replayed = parent.replace("\"timestamp\":\"2026-12-03T13:54:3", "\"timestamp\":\"2026-12-03T14:10:0");
    let dir = tempfile::tempdir().unwrap();
    let fork = dir.path().join("fork.jsonl");
    std::fs::write(&fork, format!("{own}\n{replayed}")).unwrap();
    for args in [vec![fork.to_str().unwrap()], vec![&file(CODEX_ROLLOUT), fork.to_str().unwrap()]] {
        let report = report_json(&args);
        assert_eq!(rows(&report), want, "{args:?}");
        assert_eq!(model_row(&report, "gpt-5.5")["cost"], cost, "{args:?}");
    }
}

#[test]
fn a_broken_codex_transcript_line_is_a_problem_at_its_line() {
    const LAST_INPUT: &str = "\"last_token_usage\":{\"input_tokens\":4200";
    let broken = Broken::new(CODEX_ROLLOUT, "\"type\":\"token_count\"", LAST_INPUT, &LAST_INPUT.replace(":4", ":-4"));
    let mut want = truth(CODEX_ROLLOUT);
    want.get_mut("gpt-5.5").unwrap().input -= 4200;
    broken.check(want, "log record 1 \"token_count\": payload.info.last_token_usage.input_tokens = -4200");
}

/// Older Codex writes only the running total. Synthetic, from the real transcript: every
/// `token_count` line's `last_token_usage` taken out, the second line written again (as a
/// rate-limit refresh does), and, for the last case, two totals in the wrong order.
#[test]
fn a_codex_transcript_with_only_running_totals_counts_each_totals_growth_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(file(CODEX_ROLLOUT)).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| match (l.find(",\"last_token_usage\":{"), l.contains("\"type\":\"token_count\"")) {
            (Some(at), true) => format!("{}{}", &l[..at], &l[at + l[at..].find('}').unwrap() + 1..]),
            _ => l.into(),
        })
        .collect();
    let counts: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].contains("\"type\":\"token_count\"")).collect();
    assert_eq!(counts.len(), 3);
    lines.insert(counts[1] + 1, lines[counts[1]].clone());
    let path = dir.path().join("rollout-totals-only.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let p = path.to_str().unwrap();
    let run = otelcost(&["report", p, "--format", "json"]);
    assert_eq!(rows(&serde_json::from_str(&run.stdout).unwrap()), truth(CODEX_ROLLOUT), "{}", run.stderr);
    assert!(!run.stderr.contains("no emitter module reads"), "{}", run.stderr);
    // Beside the same session's OTLP: each call once.
    assert_eq!(rows(&report_json(&[&file(CODEX_OTLP[0]), p])), truth(CODEX_ROLLOUT));
    // A total that went down is no growth: not read, and said; the rest still counts.
    let (second, third) = (lines[counts[1]].clone(), lines[counts[2] + 1].clone());
    (lines[counts[1]], lines[counts[1] + 1], lines[counts[2] + 1]) = (third.clone(), third, second);
    std::fs::write(&path, lines.join("\n")).unwrap();
    let run = otelcost(&["report", p, "--format", "json"]);
    assert_eq!(serde_json::from_str::<Value>(&run.stdout).unwrap()["total"]["requests"], 2, "{}", run.stderr);
    let warning = "warning: usage-like data no emitter module reads: payload.info.total_token_usage.input_tokens";
    assert!(run.stderr.contains(warning), "{}", run.stderr);
}

#[test]
fn droid_session_totals_count_without_inventing_calls_priced_only_as_the_user_says() {
    let dir = tempfile::tempdir().unwrap();
    for name in DROID {
        let run = otelcost(&["report", &file(name), &file(name), "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(rows(&report), truth(name), "{name}");
        // A custom model's name is not a model id: unpriced, and why is said once.
        assert_eq!(model_row(&report, "custom:Fake-0")["cost"], Value::Null, "{name}");
        assert_eq!(run.stderr.matches("warning: Factory Droid's OpenTelemetry carries").count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains("no price for model \"custom:Fake-0\""), "{}", run.stderr);
        // Priced by the user's entry for that name at the real model's list prices.
        let priced = &expected("agent-files")["files"][name]["cost_usd_priced_as"]["custom:Fake-0"];
        let rate = |i: usize| priced[i].as_str().unwrap();
        let toml = dir.path().join("droid.toml");
        let entry = format!(
            "[[model]]\nid = \"custom:Fake-0\"\ninput_mtok = \"{}\"\ncache_read_mtok = \"{}\"\ncache_write_mtok = \"{}\"\noutput_mtok = \"{}\"\n",
            rate(1),
            rate(2),
            rate(3),
            rate(4)
        );
        std::fs::write(&toml, entry).unwrap();
        let report = report_json(&[&file(name), "--prices", toml.to_str().unwrap()]);
        assert_eq!(model_row(&report, "custom:Fake-0")["cost"], rate(5), "{name} as {}", rate(0));
    }
}

/// Beside its session's totals, Droid's `chat` spans (no usage) count its calls, each once.
#[test]
fn droid_chat_spans_count_the_calls_whose_tokens_the_session_totals_hold() {
    let (settings, traces) = (file(DROID[1]), file(DROID_TRACES));
    let want = truth(DROID[1]).into_iter().map(|(m, t)| (m, Tokens { requests: 3, ..t })).collect();
    for order in [[&settings, &traces, &traces], [&traces, &settings, &traces]] {
        let report = report_json(&[order[0], order[1], order[2]]);
        assert_eq!(rows(&report), want, "{order:?}");
    }
    // The spans alone: the calls, with no tokens.
    let report = report_json(&[&traces]);
    assert_eq!(report["total"]["requests"], 3, "{report}");
    assert_eq!(tokens(&report["total"]), Tokens { requests: 3, ..Tokens::default() }, "{report}");
}

#[test]
fn continue_cli_metrics_count_its_tokens_without_inventing_calls_and_say_what_they_lose() {
    let e = expected("agent-files");
    for name in CONTINUE {
        let run = otelcost(&["report", &file(name), "--format", "json", "--cost", "both"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(rows(&report), truth(name), "{name}");
        for (model, stated) in e["files"][name]["reported_cost_usd"].as_object().unwrap() {
            let row = model_row(&report, model);
            let want: Decimal =
                stated.as_array().unwrap().iter().map(|c| Decimal::from_str(c.as_str().unwrap()).unwrap()).sum();
            assert_eq!(Decimal::from_str(row["reported_cost"].as_str().unwrap()).unwrap(), want, "{name}: {row}");
        }
        assert_eq!(
            run.stderr.matches("warning: Continue CLI exports only token counters").count(),
            1,
            "{}",
            run.stderr
        );
    }
}

#[test]
fn kilo_codes_telemetry_is_said_to_have_no_usage() {
    let run = otelcost(&["report", &file(KILO_TRACES), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["total"]["requests"], 0);
    assert_eq!(
        run.stderr.matches("warning: Kilo Code's telemetry carries no token usage").count(),
        1,
        "{}",
        run.stderr
    );
    // OpenCode, whose spans Kilo's resemble, is not taken for it.
    let opencode = otelcost(&["report", &file(OPENCODE)]);
    assert!(!opencode.stderr.contains("Kilo"), "{}", opencode.stderr);
}

/// An agent's file with a value broken on the first line that has `marker`, and a JSON
/// line cut short at its end.
struct Broken {
    _dir: tempfile::TempDir,
    path: String,
    /// The broken value's line and the cut line.
    lines: (usize, usize),
}

impl Broken {
    fn new(name: &str, marker: &str, from: &str, to: &str) -> Broken {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(file(name)).unwrap();
        let first_call = text.lines().position(|l| l.contains(marker)).unwrap();
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| if i == first_call { l.replace(from, to) } else { l.into() })
            .collect();
        let path = dir.path().join(name);
        std::fs::write(&path, lines.join("\n") + "\n{\"level\":30,\"timestamp\":").unwrap();
        Broken { path: path.display().to_string(), _dir: dir, lines: (first_call + 1, lines.len() + 1) }
    }

    /// The rest is counted as `want`; the broken value is a problem at its line that
    /// starts with `bad`, the cut line one at its own; `--strict` fails.
    fn check(&self, want: BTreeMap<String, Tokens>, bad: &str) {
        let p = &self.path;
        let run = otelcost(&["report", p, "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(rows(&serde_json::from_str(&run.stdout).unwrap()), want, "{}", run.stderr);
        let bad = format!("{p}:{}: {bad}: token count is negative", self.lines.0);
        assert!(run.stderr.contains(&bad), "{}", run.stderr);
        assert!(run.stderr.contains(&format!("{p}:{}: JSON", self.lines.1)), "{}", run.stderr);
        assert_ne!(otelcost(&["report", p, "--strict"]).code, 0);
    }
}

#[test]
fn broken_lines_of_an_agents_file_are_problems_at_their_line() {
    let broken = Broken::new(CLINE, "\"task.tokens\"", "\"tokensIn\":300", "\"tokensIn\":-300");
    let mut want = truth(CLINE);
    want.get_mut("claude-sonnet-4-5").unwrap().input -= 300;
    broken.check(want, "log record 1 \"task.tokens\": properties.tokensIn = -300");
}

#[test]
fn gemini_cli_outfile_signal_by_signal() {
    let text = std::fs::read_to_string(file(GEMINI)).unwrap();
    let all = records(&text);
    assert_eq!(all.len(), 12);
    let dir = tempfile::tempdir().unwrap();
    let spans = subset(&dir, "spans.log", &all, |r| r.contains("\"_spanContext\""));
    let logs = subset(&dir, "logs.log", &all, |r| r.contains("\"hrTime\""));
    let metrics = subset(&dir, "metrics.log", &all, |r| r.contains("\"scopeMetrics\""));
    // The api_response event has the whole usage; its details event and span repeat it.
    assert_eq!(rows(&report_json(&[&logs])), truth(GEMINI));
    // The counters carry every kind of token, but not how many calls.
    assert_eq!(rows(&report_json(&[&metrics])), without_requests(truth(GEMINI)));
    // What traces alone lose: the span states the prompt (cache included, unsplit) and
    // the candidates, without thoughts or the tool-use prompt.
    let want_spans = BTreeMap::from([(
        "gemini-2.5-flash".to_string(),
        Tokens { requests: 1, input: 1200, cache_read: 0, cache_write: 0, output: 50, reasoning: 0 },
    )]);
    assert_eq!(rows(&report_json(&[&spans])), want_spans);
    for pair in [[&spans, &logs], [&logs, &spans], [&logs, &metrics], [&metrics, &logs]] {
        assert_eq!(rows(&report_json(&[pair[0], pair[1]])), truth(GEMINI), "{pair:?}");
    }
    // A per-call record covers its session's counters, even a span with part of the
    // usage: traces and metrics without the logs keep the span's figures.
    assert_eq!(rows(&report_json(&[&spans, &metrics])), want_spans);
}

#[test]
fn copilot_cli_file_signal_by_signal() {
    let text = std::fs::read_to_string(file(COPILOT)).unwrap();
    let lines: Vec<String> = text.lines().map(|l| format!("{l}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let spans = subset(&dir, "spans.jsonl", &lines, |l| l.starts_with("{\"type\":\"span\""));
    let metrics = subset(&dir, "metrics.jsonl", &lines, |l| l.starts_with("{\"type\":\"metric\""));
    // The invoke_agent parent repeats its chat span's usage: counted once.
    assert_eq!(rows(&report_json(&[&spans])), truth(COPILOT));
    assert_eq!(rows(&report_json(&[&metrics])), without_requests(truth(COPILOT)));
}

#[test]
fn copilots_own_cost_is_shown_beside_ours_never_added() {
    let report = report_json(&[&file(COPILOT), "--cost", "both"]);
    let row = model_row(&report, "gpt-4o-mini");
    // BYOK: Copilot states 0.0 for the call; our list price stays.
    assert_eq!(Decimal::from_str(row["reported_cost"].as_str().unwrap()).unwrap(), Decimal::ZERO, "{row}");
    assert_eq!(row["cost"], report_json(&[&file(COPILOT)])["rows"][0]["cost"]);
}

/// A catalog entry's base unit prices (USD per million tokens), by token type.
fn unit_prices(model: &str) -> BTreeMap<String, Decimal> {
    let run = otelcost(&["prices", "show", model, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let shown: Value = serde_json::from_str(&run.stdout).unwrap();
    let prices = shown["entry"]["prices"].as_array().unwrap();
    assert_eq!(prices.len(), 1, "{model}: one price, no dated or conditional variants");
    prices[0]["rates"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, r)| {
            assert!(r["tiers"].as_array().unwrap().is_empty(), "{model}: no tiers");
            (k.clone(), Decimal::from_str(r["base"].as_str().unwrap()).unwrap())
        })
        .collect()
}

#[test]
fn list_price_cost_is_tokens_times_the_catalogs_unit_prices() {
    for name in [GEMINI, COPILOT, OPENCODE] {
        let report = report_json(&[&file(name)]);
        for (model, t) in truth(name) {
            let rate = unit_prices(&model);
            let per = |k: &str| rate.get(k).copied().unwrap_or_default();
            let want = (Decimal::from(t.input) * per("input")
                + Decimal::from(t.cache_read) * per("cache_read")
                + Decimal::from(t.cache_write) * per("cache_write")
                + Decimal::from(t.output) * per("output"))
                / Decimal::from(1_000_000);
            let got = Decimal::from_str(model_row(&report, &model)["cost"].as_str().unwrap()).unwrap();
            assert_eq!(got, want, "{name} {model}");
        }
    }
}

#[test]
fn broken_records_are_problems_with_their_line_and_the_rest_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    // Gemini outfile: a record cut short at the end, one with a broken time, and the
    // program's own output between records.
    let text = std::fs::read_to_string(file(GEMINI)).unwrap();
    let mut all = records(&text);
    let first = all.remove(0); // the llm_call span
    let broken_time = first.replacen("\"startTime\": [", "\"startTime\": [\"x\", ", 1);
    let mut mixed = String::from("Loaded cached credentials.\n");
    mixed.push_str(&broken_time);
    mixed.push_str("some line the CLI printed {\n");
    mixed.extend(all.iter().cloned());
    mixed.push_str(&first[..first.len() / 2]);
    let path = dir.path().join("gemini.log");
    std::fs::write(&path, &mixed).unwrap();
    let p = path.display().to_string();
    let run = otelcost(&["report", &p, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(rows(&serde_json::from_str(&run.stdout).unwrap()), truth(GEMINI), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("{p}:2: start time: unreadable value")), "{}", run.stderr);
    let last_line = mixed[..mixed.len() - first.len() / 2].lines().count() + 1;
    assert!(run.stderr.contains(&format!("{p}:{last_line}: the file ends inside this JSON value")), "{}", run.stderr);
    assert!(run.stderr.contains("2 lines that are not telemetry"), "{}", run.stderr);
    assert_ne!(otelcost(&["report", &p, "--strict"]).code, 0);

    // Copilot lines: one not JSON, one with a bad id; the others still count.
    let text = std::fs::read_to_string(file(COPILOT)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.insert(1, "{\"type\": \"span\", \"traceId\": \"zz\", \"spanId\": \"00\", \"name\": \"chat x\"}".into());
    lines.insert(3, "{\"type\": \"metric\", \"name\": ".into());
    let path = dir.path().join("copilot.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let p = path.display().to_string();
    let run = otelcost(&["report", &p, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(rows(&serde_json::from_str(&run.stdout).unwrap()), truth(COPILOT), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("{p}:2: trace id: not a 16-byte hex id")), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("{p}:4: JSON")), "{}", run.stderr);
}

#[test]
fn python_console_exporter_output_between_program_prints() {
    // A synthetic ConsoleSpanExporter record (the shape of opentelemetry-sdk's
    // `ReadableSpan.to_json()`, indent 4), between the program's own prints.
    let span = r#"{
    "name": "chat gpt-4o-mini",
    "context": {
        "trace_id": "0x5b8aa5a2d2c872e8321cf37308d69df2",
        "span_id": "0x051581bf3cb55c13",
        "trace_state": "[]"
    },
    "kind": "SpanKind.CLIENT",
    "parent_id": null,
    "start_time": "2026-11-26T12:00:00.000000Z",
    "end_time": "2026-11-26T12:00:01.250000Z",
    "status": {
        "status_code": "UNSET"
    },
    "attributes": {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 1100,
        "gen_ai.usage.cache_read.input_tokens": 900,
        "gen_ai.usage.output_tokens": 60
    },
    "events": [],
    "links": [],
    "resource": {
        "attributes": {
            "service.name": "script"
        },
        "schema_url": ""
    }
}
"#;
    let text = format!("Asking the model...\n{span}The answer is: {{'hi': 1}}\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stdout.txt");
    std::fs::write(&path, text).unwrap();
    let p = path.display().to_string();
    let run = otelcost(&["report", &p, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let want = BTreeMap::from([(
        "gpt-4o-mini".to_string(),
        Tokens { requests: 1, input: 200, cache_read: 900, cache_write: 0, output: 60, reasoning: 0 },
    )]);
    assert_eq!(rows(&serde_json::from_str(&run.stdout).unwrap()), want);
    assert!(run.stderr.contains(&format!("{p}: 2 lines that are not telemetry")), "{}", run.stderr);
}

/// A Qwen Code outfile in the shape the reference describes (no real capture here yet:
/// SYNTHETIC, named so): its `api_response` event (`_hrTime`, no span context), its
/// `llm_request` span with the same response id, and the span its OTLP log-to-span bridge
/// makes of the event. `thoughts` inside output or not is decided by the total.
fn qwen_outfile(total: u64, subagent: bool) -> String {
    let resource = r#"{"_rawAttributes": [["service.name", "qwen-code"], ["service.version", "0.24.4"], ["host.id", null]], "_asyncAttributesPending": false}"#;
    let usage = format!(
        r#""input_token_count": 1100, "output_token_count": 60, "cached_content_token_count": 900, "thoughts_token_count": 20, "total_token_count": {total}"#
    );
    let sub = if subagent { r#", "subagent_name": "managed-auto-memory-extractor""# } else { "" };
    format!(
        r#"{{
  "_hrTime": [1795694300, 100000000],
  "_hrTimeObserved": [1795694300, 100000000],
  "resource": {resource},
  "instrumentationScope": {{"name": "qwen-code"}},
  "attributes": {{"session.id": "s1", "event.name": "qwen-code.api_response", "model": "gpt-4o-mini", "response_id": "chatcmpl-q1", {usage}{sub}}},
  "_body": "API response from gpt-4o-mini."
}}
{{
  "_spanContext": {{"traceId": "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "spanId": "b2b2b2b2b2b2b2b2", "traceFlags": 1}},
  "parentSpanContext": {{"traceId": "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "spanId": "c3c3c3c3c3c3c3c3"}},
  "kind": 2,
  "name": "qwen-code.llm_request",
  "attributes": {{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.id": "chatcmpl-q1", "session.id": "s1", "gen_ai.usage.input_tokens": 1100, "gen_ai.usage.output_tokens": 60, "gen_ai.usage.cache_read.input_tokens": 900, "thoughts_token_count": 20}},
  "startTime": [1795694299, 900000000],
  "endTime": [1795694300, 120000000],
  "resource": {resource},
  "instrumentationScope": {{"name": "qwen-code", "version": "0.24.4"}}
}}
{{
  "_spanContext": {{"traceId": "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4", "spanId": "e5e5e5e5e5e5e5e5", "traceFlags": 1}},
  "kind": 0,
  "name": "qwen-code.api_response",
  "attributes": {{"session.id": "s1", "model": "gpt-4o-mini", {usage}}},
  "startTime": [1795694300, 100000000],
  "endTime": [1795694300, 100000000],
  "resource": {resource},
  "instrumentationScope": {{"name": "qwen-code"}}
}}
"#
    )
}

#[test]
fn qwen_code_synthetic_outfile_counts_once_and_places_thoughts_by_the_total() {
    let dir = tempfile::tempdir().unwrap();
    // OpenAI-compatible backend: total = input + output, reasoning is inside the output.
    let path = dir.path().join("qwen-openai.log");
    std::fs::write(&path, qwen_outfile(1160, false)).unwrap();
    let inside = Tokens { requests: 1, input: 200, cache_read: 900, cache_write: 0, output: 60, reasoning: 20 };
    assert_eq!(rows(&report_json(&[path.to_str().unwrap()])), BTreeMap::from([("gpt-4o-mini".into(), inside)]));
    // Gemini backend: total = input + output + thoughts, thoughts are billed on top. A
    // subagent's call is an ordinary call.
    let path = dir.path().join("qwen-gemini.log");
    std::fs::write(&path, qwen_outfile(1180, true)).unwrap();
    let outside = Tokens { output: 80, ..inside };
    assert_eq!(rows(&report_json(&[path.to_str().unwrap()])), BTreeMap::from([("gpt-4o-mini".into(), outside)]));
}

#[test]
fn opencode_counts_the_provider_call_not_its_parent() {
    // The capture holds both AI SDK spans with usage; only `doStream` is the call.
    let text = std::fs::read_to_string(file(OPENCODE)).unwrap();
    for name in ["\"ai.streamText\"", "\"ai.streamText.doStream\""] {
        assert!(text.contains(name), "{name}");
    }
    assert_eq!(text.matches("\"ai.usage.inputTokens\"").count(), 2);
    let report = report_json(&[&file(OPENCODE)]);
    assert_eq!(report["total"]["requests"], 1);
}

#[test]
fn gemini_cli_chat_recordings_count_each_call_once_also_beside_its_telemetry() {
    let [main, subagent] = GEMINI_CHATS.map(file);
    let telemetry = file(GEMINI_CHAT_OUTFILE);
    for name in GEMINI_CHATS {
        // Each message is written again when its tool calls are added: counted once.
        assert_eq!(rows(&report_json(&[&file(name)])), truth(name), "{name}");
        assert_eq!(rows(&report_json(&[&file(name), &file(name)])), truth(name), "{name} twice");
    }
    let all = truth(GEMINI_CHAT_OUTFILE);
    assert_eq!(rows(&report_json(&[&main, &subagent])), all);
    let alone = report_json(&[&telemetry]);
    assert_eq!(rows(&alone), all);
    // Both present, in any order: each call once, at the telemetry's cost.
    for inputs in [[&main, &subagent, &telemetry], [&telemetry, &subagent, &main], [&subagent, &telemetry, &main]] {
        let report = report_json(&[inputs[0], inputs[1], inputs[2]]);
        assert_eq!(rows(&report), all, "{inputs:?}");
        assert_eq!(report["total"]["cost"], alone["total"]["cost"], "{inputs:?}");
    }
}

#[test]
fn a_broken_gemini_chat_line_is_a_problem_at_its_line() {
    let broken = Broken::new(GEMINI_CHATS[1], "\"input\":1300", "\"input\":1300", "\"input\":-1300");
    let mut want = truth(GEMINI_CHATS[1]);
    want.get_mut("gemini-2.5-flash").unwrap().input -= 278;
    broken.check(want, "log record 1 \"gemini\": tokens.input = -1300");
}

#[test]
fn qwen_code_chat_recordings_and_usage_ledger_count_each_call_once_also_beside_its_telemetry() {
    let [main, subagent] = QWEN_CHATS.map(file);
    let (ledger, telemetry) = (file(QWEN_LEDGER), file(QWEN_CHAT_OUTFILE));
    for name in [QWEN_CHATS[0], QWEN_CHATS[1], QWEN_LEDGER] {
        assert_eq!(rows(&report_json(&[&file(name)])), truth(name), "{name}");
        assert_eq!(rows(&report_json(&[&file(name), &file(name)])), truth(name), "{name} twice");
    }
    let all = truth(QWEN_CHAT_OUTFILE);
    assert_eq!(truth(QWEN_LEDGER), all);
    let alone = report_json(&[&telemetry]);
    assert_eq!(rows(&alone), all);
    // Every file of the session, in any order: each call once, the subagent's under the
    // model the ledger and the telemetry name, at the telemetry's cost.
    for inputs in [
        [&main, &subagent, &ledger, &telemetry],
        [&telemetry, &ledger, &subagent, &main],
        [&subagent, &main, &telemetry, &ledger],
    ] {
        let report = report_json(&[inputs[0], inputs[1], inputs[2], inputs[3]]);
        assert_eq!(rows(&report), all, "{inputs:?}");
        assert_eq!(report["total"]["cost"], alone["total"]["cost"], "{inputs:?}");
    }
    assert_eq!(rows(&report_json(&[&ledger, &main])), all);
}

#[test]
fn a_broken_qwen_ledger_line_is_a_problem_at_its_line() {
    let broken = Broken::new(QWEN_LEDGER, "\"inputTokens\":700,", "\"cachedTokens\":512,", "\"cachedTokens\":-512,");
    // Counted without its cache read: its whole input uncached.
    let mut want = truth(QWEN_LEDGER);
    let t = want.get_mut("gpt-4.1").unwrap();
    (t.input, t.cache_read) = (t.input + 512, t.cache_read - 512);
    broken.check(want, "log record 1: cachedTokens = -512");
}

//! Helpers for tests that run the built `otelcost` binary on real captures.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn testdata(rel: &str) -> String {
    root().join("testdata").join(rel).display().to_string()
}

/// The truth file that came with a capture (`scenario.json` or `run.json`).
pub fn expected(name: &str) -> Value {
    let path = root().join("tests/expected").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The path or value of a tool that `bash .ci/run` installs and announces in `var` (a
/// Python venv, Node modules, a validator, the Collector, a browser, an agent CLI).
///
/// A test that needs one is marked `#[ignore = "needs …: VAR, set by .ci/run"]`, so a bare
/// `cargo test` lists it as ignored with that reason instead of passing it silently;
/// `.ci/run` runs the ignored tests too (`-- --include-ignored`), and there a missing tool
/// fails the test.
pub fn external(var: &str) -> String {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{var} is not set: this test needs a tool that `bash .ci/run` installs (run it, or set {var})"),
    }
}

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

pub fn otelcost(args: &[&str]) -> Run {
    otelcost_stdin(args, None)
}

pub fn otelcost_stdin(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = Command::cargo_bin("otelcost").unwrap();
    // The bundled prices, whatever `otelcost prices update` fetched on this machine.
    cmd.args(args).env("XDG_CACHE_HOME", root().join("tests/no-cache"));
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Runs `report … --format json` and returns the parsed report (asserting exit 0).
pub fn report_json(args: &[&str]) -> Value {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let run = otelcost(&all);
    assert_eq!(run.code, 0, "exit code; stderr:\n{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
}

/// Token totals of one group, as the tests compare them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    pub requests: u64,
    pub input: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub output: u64,
    pub reasoning: u64,
}

impl std::ops::AddAssign for Tokens {
    fn add_assign(&mut self, b: Tokens) {
        self.requests += b.requests;
        self.input += b.input;
        self.cache_read += b.cache_read;
        self.cache_write += b.cache_write;
        self.output += b.output;
        self.reasoning += b.reasoning;
    }
}

impl std::iter::Sum for Tokens {
    fn sum<I: Iterator<Item = Tokens>>(iter: I) -> Tokens {
        iter.fold(Tokens::default(), |mut total, t| {
            total += t;
            total
        })
    }
}

impl std::ops::SubAssign for Tokens {
    fn sub_assign(&mut self, b: Tokens) {
        self.requests -= b.requests;
        self.input -= b.input;
        self.cache_read -= b.cache_read;
        self.cache_write -= b.cache_write;
        self.output -= b.output;
        self.reasoning -= b.reasoning;
    }
}

impl Tokens {
    /// One entry of a scenario's truth (a model's totals, or one request's), in its names.
    pub fn from_truth(t: &Value) -> Tokens {
        let n = |k: &str| t[k].as_u64().unwrap();
        Tokens {
            requests: n("requests"),
            input: n("input_tokens_uncached"),
            cache_read: n("cache_read_tokens"),
            cache_write: n("cache_write_tokens"),
            output: n("output_tokens_total_incl_reasoning"),
            reasoning: n("reasoning_tokens"),
        }
    }
}

/// The report's rows keyed by the joined group values.
pub fn rows(report: &Value) -> BTreeMap<String, Tokens> {
    let dims: Vec<String> =
        report["group_by"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let key = dims.iter().map(|d| row["group"][d].as_str().unwrap().to_string()).collect::<Vec<_>>().join("/");
            (key, tokens(row))
        })
        .collect()
}

pub fn tokens(row: &Value) -> Tokens {
    let t = &row["tokens"];
    let n = |v: &Value| v.as_u64().unwrap();
    Tokens {
        requests: n(&row["requests"]),
        input: n(&t["input"]),
        cache_read: n(&t["cache_read"]),
        cache_write: n(&t["cache_write"]),
        output: n(&t["output"]),
        reasoning: n(&t["reasoning"]),
    }
}

/// Expected per-response-model totals from a scenario's `expected_totals`.
pub fn expected_by_model(scenario: &Value) -> BTreeMap<String, Tokens> {
    expected_totals(scenario, "by_response_model")
}

/// Expected totals from one table of a scenario's `expected_totals` (`by_response_model`,
/// `by_request_model`): for emitters that name only the model requested.
pub fn expected_totals(scenario: &Value, table: &str) -> BTreeMap<String, Tokens> {
    scenario["expected_totals"][table]
        .as_object()
        .unwrap()
        .iter()
        .map(|(model, t)| (model.clone(), Tokens::from_truth(t)))
        .collect()
}

/// The row of a report grouped by model (or `model_id`, the model as emitted).
pub fn model_row<'r>(report: &'r Value, model: &str) -> &'r Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"]["model"] == model || r["group"]["model_id"] == model)
        .unwrap_or_else(|| panic!("no row for {model} in {report}"))
}

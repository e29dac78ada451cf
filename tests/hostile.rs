//! Malformed and hostile input: every case gives a clear message at its place, keeps every
//! valid record, never panics or hangs, and fails `--strict`.
//!
//! The small cases are files in tests/hostile/ (made by tests/hostile/make.py: synthetic
//! by design), each with its exact expected stderr, exit code and calls counted beside it
//! in `NAME.expect` (`OTELCOST_BLESS=1` rewrites those, to be reviewed). Large and special
//! cases (a 100 MB line, FIFOs, symlink loops, unreadable entries) are made here.

mod common;

use assert_cmd::Command;
use std::path::PathBuf;
use std::time::Duration;

const STRICT: i32 = 3;
/// No input could be read: no report.
const READ_NOTHING: i32 = 1;

struct Outcome {
    code: i32,
    calls: u64,
    stderr: String,
}

fn report(args: &[&str]) -> Outcome {
    let out = Command::cargo_bin("otelcost")
        .unwrap()
        .arg("report")
        .args(args)
        .args(["--format", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    let code = out.status.code().unwrap_or_else(|| panic!("{args:?} ended by a signal (or the timeout):\n{stderr}"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    Outcome { code, calls: json["total"]["requests"].as_u64().unwrap_or(0), stderr }
}

fn cases() -> Vec<PathBuf> {
    let dir = common::root().join("tests/hostile");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.as_bytes()[0].is_ascii_digit() && !name.ends_with(".expect")
        })
        .collect();
    cases.sort();
    cases
}

/// The expectation file: `exit N`, `calls N`, then stderr exactly (the case's path
/// written `{file}`).
fn expectation(outcome: &Outcome, file: &str) -> String {
    format!("exit {}\ncalls {}\n{}", outcome.code, outcome.calls, outcome.stderr.replace(file, "{file}"))
}

#[test]
fn every_hostile_file_is_reported_and_its_valid_records_kept() {
    let cases = cases();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let bless = std::env::var_os("OTELCOST_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let rel = case.strip_prefix(common::root()).unwrap().display().to_string();
        let outcome = report(&[&rel]);
        let got = expectation(&outcome, &rel);
        let expect_path = PathBuf::from(format!("{}.expect", case.display()));
        if bless {
            std::fs::write(&expect_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expect_path).unwrap_or_else(|_| panic!("no {}", expect_path.display()));
        if got != want {
            failures.push(format!("{rel}:\n--- expected\n{want}--- got\n{got}"));
        }
        // --strict fails on every problem, every unpriced model, usage nothing read and no
        // call found, and on nothing else; a file of which nothing could be read fails with
        // or without it (exit 1).
        let flagged = outcome.stderr.lines().any(|l| {
            ["error:", "warning: no price", "warning: usage-like", "warning: no LLM call"]
                .iter()
                .any(|w| l.starts_with(w))
        });
        let strict = report(&[&rel, "--strict"]);
        let want_strict = if outcome.code == READ_NOTHING {
            READ_NOTHING
        } else if flagged {
            STRICT
        } else {
            outcome.code
        };
        if strict.code != want_strict {
            failures.push(format!("{rel}: --strict exits {} (expected {want_strict})", strict.code));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn good_line(n: u32) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{}},"scopeSpans":[{{"scope":{{"name":"hostile"}},"spans":[{{"traceId":"{n:032x}","spanId":"{n:016x}","name":"chat","endTimeUnixNano":"1760000000000000000","attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"chat"}}}},{{"key":"gen_ai.request.model","value":{{"stringValue":"gpt-4o"}}}},{{"key":"gen_ai.usage.input_tokens","value":{{"intValue":"100"}}}},{{"key":"gen_ai.usage.output_tokens","value":{{"intValue":"10"}}}}]}}]}}]}}]}}"#
    )
}

#[test]
fn a_100_mb_single_line_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    // One valid call whose span carries a 100 MB attribute, then a second call.
    let padding = "x".repeat(100 << 20);
    let huge = good_line(1).replacen(
        r#""attributes":["#,
        &format!(r#""attributes":[{{"key":"padding","value":{{"stringValue":"{padding}"}}}},"#),
        1,
    );
    std::fs::write(&path, format!("{huge}\n{}\n", good_line(2))).unwrap();
    let out = report(&[path.to_str().unwrap()]);
    assert_eq!((out.code, out.calls), (0, 2), "{}", out.stderr);
    assert!(!out.stderr.contains("error:"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn a_directory_of_unreadable_entries_reports_each_and_keeps_the_rest() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a-good.jsonl"), good_line(1) + "\n").unwrap();
    symlink(d.join("nowhere"), d.join("b-dangling")).unwrap();
    symlink(d.join("c-loop"), d.join("c-loop")).unwrap();
    std::fs::create_dir(d.join("d-sub")).unwrap();
    std::fs::write(d.join("d-sub/good.jsonl"), good_line(2) + "\n").unwrap();
    symlink(d, d.join("d-sub/e-up")).unwrap();
    let fifo = d.join("f-fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let locked = d.join("g-locked.jsonl");
    std::fs::write(&locked, good_line(3) + "\n").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // root reads a mode-000 file: then it is a valid file like the others.
    let locked_readable = std::fs::File::open(&locked).is_ok();

    let out = report(&[d.to_str().unwrap()]);
    let at = |name: &str| d.join(name).display().to_string();
    let mut want = vec![
        format!("error: {}: cannot open: No such file or directory (os error 2)", at("b-dangling")),
        format!("error: {}: cannot open: Too many levels of symbolic links (os error 40)", at("c-loop")),
        format!(
            "error: {}: skipped: a link to {}, which is already read",
            at("d-sub/e-up"),
            d.canonicalize().unwrap().display()
        ),
        format!("error: {}: skipped: not a regular file (a FIFO, socket or device)", at("f-fifo")),
    ];
    if !locked_readable {
        want.push(format!("error: {}: cannot open: Permission denied (os error 13)", at("g-locked.jsonl")));
    }
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors, want, "{}", out.stderr);
    assert_eq!(out.calls, if locked_readable { 3 } else { 2 }, "{}", out.stderr);
    assert_eq!(report(&[d.to_str().unwrap(), "--strict"]).code, STRICT);
}

#[cfg(unix)]
#[test]
fn a_named_fifo_is_read_as_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.jsonl");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, good_line(1) + "\n" + &good_line(2) + "\n").unwrap())
    };
    let out = report(&[fifo.to_str().unwrap()]);
    writer.join().unwrap();
    assert_eq!((out.code, out.calls), (0, 2), "{}", out.stderr);
}

#[test]
fn garbage_on_stdin_is_one_problem() {
    let garbage = b"\x00\x01\x02 not otlp \xff".to_vec();
    let out = common::otelcost_stdin(&["report", "-"], Some(garbage.clone()));
    // Nothing could be read: no report, exit 1, --strict or not.
    assert_eq!((out.code, out.stdout.as_str()), (READ_NOTHING, ""), "{}", out.stderr);
    assert!(out.stderr.contains("error: <stdin>: not telemetry data"), "{}", out.stderr);
    assert_eq!(common::otelcost_stdin(&["report", "-", "--strict"], Some(garbage)).code, READ_NOTHING);
}

/// A zstd file cut short: the lines before the cut are counted, the cut is one problem.
#[test]
fn a_truncated_zstd_file_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.jsonl.zst");
    let lines: String = (1..=3000).map(|n| good_line(n) + "\n").collect();
    let packed = zstd::encode_all(lines.as_bytes(), 3).unwrap();
    std::fs::write(&path, &packed[..packed.len() - 20]).unwrap();
    let out = report(&[path.to_str().unwrap()]);
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(errors[0].contains("cut.jsonl.zst"), "{}", out.stderr);
    assert!(out.calls > 0 && out.calls < 3000, "{} calls\n{}", out.calls, out.stderr);
}

//! The conveniences of a command-line tool, through the binary: shell completions, the
//! manual page, `--version`, `--help` examples, the sample files, relative times for
//! --since/--until, and the JSON Schemas of the JSON outputs checked against real outputs.

mod common;

use common::{external, otelcost, report_json, root, testdata};
use serde_json::Value;
use std::path::Path;

#[test]
fn completions_for_every_shell_know_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = otelcost(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for word in ["otelcost", "compare-bill", "--since", "--by"] {
            assert!(run.stdout.contains(word), "{shell} completions lack {word}");
        }
    }
    let run = otelcost(&["completions", "tcsh"]);
    assert_eq!(run.code, 2, "an unknown shell is a usage error");
}

#[test]
fn man_pages_are_roff_for_the_tool_and_each_command() {
    let run = otelcost(&["man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(".TH otelcost 1"), "{}", &run.stdout[..200]);
    assert!(run.stdout.contains("compare\\-bill"), "the main page lists the commands");
    let run = otelcost(&["man", "report"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(".TH otelcost-report 1"));
    assert!(run.stdout.contains("\\-\\-since"));
    let run = otelcost(&["man", "nosuch"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("compare-bill"), "names the commands: {}", run.stderr);
}

#[test]
fn version_names_the_bundled_prices_date() {
    let run = otelcost(&["--version"]);
    assert_eq!(run.code, 0);
    let date = run.stdout.trim().strip_prefix("otelcost 0.1.0 (prices bundled ").and_then(|s| s.strip_suffix(')'));
    let date = date.unwrap_or_else(|| panic!("{:?}", run.stdout));
    let readme = std::fs::read_to_string(root().join("pricing/README.md")).unwrap();
    // The date the prices were copied in, as pricing/README.md records it.
    assert!(readme.contains(&format!("copied {date}")), "{date} is not in pricing/README.md");
}

#[test]
fn every_report_format_names_the_prices_date() {
    let capture = testdata("emitters/b_openllmetry");
    let bundled = "2026-11-23 (bundled)";
    let shown = |args: &[&str]| {
        let mut all = vec!["report", capture.as_str()];
        all.extend_from_slice(args);
        let run = otelcost(&all);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run
    };
    let table = shown(&[]);
    assert!(table.stdout.contains(&format!("\nPrices of {bundled}.\n")), "{}", table.stdout);
    let markdown = shown(&["--format", "markdown"]);
    assert!(markdown.stdout.contains(&format!("\n\nPrices of {bundled}.\n")), "{}", markdown.stdout);
    let html = shown(&["--format", "html"]);
    assert!(html.stdout.contains(&format!("the prices of <strong class=\"prices-date\">{bundled}</strong>")));
    assert_eq!(report_json(&[&capture])["prices_date"], bundled);
    // CSV stays a plain table (no comment line a reader would take for a row): the date is
    // in the summary on stderr, as for every format.
    let csv = shown(&["--format", "csv"]);
    assert!(!csv.stdout.contains(bundled));
    assert!(csv.stdout.lines().all(|l| l.split(',').count() == 9), "{}", csv.stdout);
    assert!(csv.stderr.contains(&format!("aggregate parents not counted); prices of {bundled}")), "{}", csv.stderr);
}

#[test]
fn every_command_shows_examples_in_its_help() {
    let top = otelcost(&["--help"]);
    assert!(top.stdout.contains("Examples:"));
    let commands = [
        "report",
        "inspect",
        "prices",
        "listen",
        "run",
        "dimensions",
        "merge",
        "compare-bill",
        "completions",
        "man",
        "example",
        "schema",
    ];
    for command in commands {
        assert!(top.stdout.contains(&format!("\n  {command} ")), "{command} is not listed");
    }
    for command in commands {
        let run = otelcost(&[command, "--help"]);
        assert_eq!(run.code, 0, "{command}");
        let examples = run.stdout.split("Examples:\n").nth(1).unwrap_or_else(|| panic!("{command}: no examples"));
        assert!(examples.contains(&format!("otelcost {command}")), "{command}: {examples}");
    }
}

#[test]
fn sample_files_print_as_shipped_and_work() {
    let scratch = tempfile::tempdir().unwrap();
    let samples = [
        ("rules", "examples/rules.toml"),
        ("teams", "examples/teams.csv"),
        ("prices", "pricing/overrides.example.toml"),
    ];
    for (which, file) in samples {
        let run = otelcost(&["example", which]);
        assert_eq!(run.code, 0);
        assert_eq!(run.stdout, std::fs::read_to_string(root().join(file)).unwrap(), "{which}");
        let saved = scratch.path().join(Path::new(file).file_name().unwrap());
        std::fs::write(&saved, &run.stdout).unwrap();
    }
    // The rules read their lookup table beside them, as printed.
    let rules = scratch.path().join("rules.toml").display().to_string();
    let run = otelcost(&["dimensions", "--rules", &rules]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("team"));
    let prices = scratch.path().join("overrides.example.toml").display().to_string();
    let run = otelcost(&["prices", "match", "prod-gpt4o-eastus", "--prices", &prices]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("gpt-4o"), "{}", run.stdout);
}

#[test]
fn the_package_ships_what_help_points_to() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let include = manifest.lines().find(|l| l.starts_with("include = ")).unwrap();
    for path in ["examples/rules.toml", "pricing/overrides.example.toml", "LICENSE", "README.md"] {
        let top = path.split('/').next().unwrap();
        let covered = include.contains(&format!("\"{path}\"")) || include.contains(&format!("\"{top}/**\""));
        assert!(covered && root().join(path).is_file(), "{path} is not packaged: {include}");
    }
    let license = std::fs::read_to_string(root().join("LICENSE")).unwrap();
    assert!(manifest.contains("license = \"MIT\"") && license.starts_with("MIT License"));
}

/// A real capture with every timestamp moved so that its last one is `ago` before now.
fn shifted(capture: &str, ago: std::time::Duration, to: &Path) {
    let text = std::fs::read_to_string(testdata(capture)).unwrap();
    let stamp = regex::Regex::new(r#"UnixNano":"(\d{19})""#).unwrap();
    let last: u128 = stamp.captures_iter(&text).map(|c| c[1].parse::<u128>().unwrap()).max().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let target = now - ago.as_nanos();
    let moved = stamp.replace_all(&text, |c: &regex::Captures| {
        let t: u128 = c[1].parse().unwrap();
        format!(r#"UnixNano":"{}""#, if t == 0 { 0 } else { t + target - last })
    });
    std::fs::write(to, moved.as_bytes()).unwrap();
}

#[test]
fn since_and_until_take_spans_back_from_now_and_named_days() {
    let dir = tempfile::tempdir().unwrap();
    let hour = std::time::Duration::from_secs(3600);
    // 4 calls an hour ago, 9 calls three days ago.
    shifted("emitters/g_strands/traces.jsonl", hour, &dir.path().join("recent.jsonl"));
    shifted("emitters/b_openllmetry/traces.jsonl", 72 * hour, &dir.path().join("older.jsonl"));
    let dump = dir.path().display().to_string();
    let requests = |extra: &[&str]| {
        let mut args = vec![dump.as_str()];
        args.extend_from_slice(extra);
        report_json(&args)["total"]["requests"].as_u64().unwrap()
    };
    assert_eq!(requests(&[]), 13);
    assert_eq!(requests(&["--since", "24h"]), 4);
    assert_eq!(requests(&["--since", "7d"]), 13);
    assert_eq!(requests(&["--until", "2d"]), 9);
    assert_eq!(requests(&["--since", "4320m", "--until", "90m"]), 0);
    assert_eq!(requests(&["--since", "yesterday"]), 4);
    assert_eq!(requests(&["--since", "yesterday", "--timezone", "Pacific/Kiritimati"]), 4);
    assert_eq!(requests(&["--until", "today"]), 13);
    assert_eq!(requests(&["--since", "1w", "--until", "today"]), 13);
    let run = otelcost(&["report", &dump, "--since", "3 days"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("24h, 7d"), "{}", run.stderr);
}

/// The outputs the schemas describe, made on real captures: (schema, what, JSON text).
fn json_outputs(scratch: &Path) -> Vec<(&'static str, String, String)> {
    let data = testdata("");
    let rules = root().join("examples/rules.toml").display().to_string();
    let mut outputs = Vec::new();
    let reports: &[&[&str]] = &[
        &[],
        &["--by", "day,provider", "--cost", "both", "--explain"],
        &["--by", "team,model", "--rules", &rules],
        &["--by", "emitter", "--what-if", "model=*:gpt-4.1-mini"],
        &["--by", "service", "--cost", "reported"],
    ];
    for (i, extra) in reports.iter().enumerate() {
        let mut args = vec!["report", data.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        let run = otelcost(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let saved = scratch.join(format!("{i}.json"));
        std::fs::write(&saved, &run.stdout).unwrap();
        outputs.push(("report", format!("report {extra:?}"), run.stdout));
    }
    // The merge of the same data read twice, with the unallocated cost shared out.
    let (a, b) = (scratch.join("2.json").display().to_string(), scratch.join("2.json").display().to_string());
    let run = otelcost(&["merge", &a, &b, "--format", "json", "--split-unallocated", "team"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    outputs.push(("report", "merge".into(), run.stdout));
    let bills = root().join("tests/bills");
    let bill = |f: &str| bills.join(f).display().to_string();
    let (openai, anthropic, focus) = (
        bill("synthetic_openai_costs.json"),
        bill("synthetic_anthropic_cost_report.json"),
        bill("synthetic_focus.csv"),
    );
    let capture = testdata("emitters/b_openllmetry");
    for extra in [vec!["--bill", &openai, "--bill", &anthropic], vec!["--bill", &focus]] {
        let mut args = vec!["compare-bill", capture.as_str(), "--format", "json", "--quiet"];
        args.extend(extra.iter().copied());
        let run = otelcost(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        outputs.push(("bill", format!("compare-bill {extra:?}"), run.stdout));
    }
    outputs
}

#[test]
fn schemas_name_every_top_level_field_of_real_outputs() {
    let scratch = tempfile::tempdir().unwrap();
    for (schema, what, text) in json_outputs(scratch.path()) {
        let run = otelcost(&["schema", schema]);
        assert_eq!(run.code, 0);
        let schema: Value = serde_json::from_str(&run.stdout).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let known = schema["properties"].as_object().unwrap();
        for key in doc.as_object().unwrap().keys() {
            assert!(known.contains_key(key), "{what}: {key} is not in the schema");
        }
        for key in schema["required"].as_array().unwrap() {
            assert!(doc.get(key.as_str().unwrap()).is_some(), "{what}: no {key}");
        }
    }
}

#[test]
#[ignore = "needs Python's jsonschema: OTELCOST_TEST_PYTHON, set by .ci/run"]
fn real_outputs_validate_against_the_schemas() {
    let python = external("OTELCOST_TEST_PYTHON");
    let scratch = tempfile::tempdir().unwrap();
    for schema in ["report", "bill"] {
        std::fs::write(scratch.path().join(format!("{schema}.schema.json")), otelcost(&["schema", schema]).stdout)
            .unwrap();
    }
    let outputs = json_outputs(scratch.path());
    let check = "import json,sys,jsonschema\n\
                 s=json.load(open(sys.argv[1]))\n\
                 jsonschema.Draft202012Validator.check_schema(s)\n\
                 v=jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker())\n\
                 errs=[f'{list(e.absolute_path)}: {e.message}' for e in v.iter_errors(json.load(open(sys.argv[2])))]\n\
                 print('\\n'.join(errs[:10])); sys.exit(1 if errs else 0)";
    // A document that breaks the schema must fail: the check can fail.
    let mut broken: Value = serde_json::from_str(&outputs[0].2).unwrap();
    broken["total"]["cost"] = Value::from(0.5);
    let mut all = outputs.clone();
    all.push(("report", "broken".into(), broken.to_string()));
    for (i, (schema, what, text)) in all.iter().enumerate() {
        let doc = scratch.path().join(format!("doc-{i}.json"));
        std::fs::write(&doc, text).unwrap();
        let schema_file = scratch.path().join(format!("{schema}.schema.json"));
        let out = std::process::Command::new(&python).args(["-c", check]).arg(&schema_file).arg(&doc).output().unwrap();
        let failed = !out.status.success();
        assert_eq!(
            failed,
            what == "broken",
            "{what}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes.
fn anchor(heading: &str) -> String {
    let kept: String = heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .collect();
    kept.replace(' ', "-")
}

/// The anchors of a Markdown page's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            code = !code;
        } else if !code && line.starts_with('#') {
            out.push(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn the_readme_and_docs_link_to_what_exists_and_the_package_ships_them() {
    let mut pages = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        pages.push(entry.unwrap().path());
    }
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for target in link.captures_iter(&text).map(|c| c[1].to_string()) {
            if target.starts_with("http") {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let dest = if path.is_empty() { page.clone() } else { page.parent().unwrap().join(path) };
            assert!(dest.exists(), "{}: {target} does not exist", page.display());
            if !fragment.is_empty() {
                let there = std::fs::read_to_string(&dest).unwrap();
                assert!(anchors(&there).iter().any(|a| a == fragment), "{}: no heading for {target}", page.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} links");
    // The README's contents list names every page of docs/, and the package ships them.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(manifest.lines().any(|l| l.starts_with("include = ") && l.contains("\"docs/**\"")));
    for page in pages.iter().skip(1) {
        let name = page.file_name().unwrap().to_string_lossy();
        assert!(readme.contains(&format!("](docs/{name})")), "the README does not list docs/{name}");
    }
}

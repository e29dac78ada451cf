//! The HTML report (`--format html`, `-o report.html`) and the Mermaid charts of Markdown,
//! through the binary on the real captures; and the same pages opened in headless Chromium
//! (the tests marked `needs Chromium`, run by `.ci/run`).
//!
//! `tests/html/synthetic_escaping.jsonl` is synthetic (written by hand, not captured): one
//! team and one model whose names hold markup, quotes and Unicode.

mod common;

use common::*;
use regex::Regex;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn synthetic() -> String {
    root().join("tests/html/synthetic_escaping.jsonl").display().to_string()
}

fn rules() -> String {
    root().join("examples/rules.toml").display().to_string()
}

/// `report ARGS --format html` (exit 0), and the JSON report of the same.
fn page_and_json(args: &[&str]) -> (String, Value) {
    let mut all = vec!["report", "-q"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "html"]);
    let run = otelcost(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (run.stdout, report_json(&[&["-q"], args].concat()))
}

/// The `data-exact` value of the element with `id`.
fn exact(page: &str, id: &str) -> String {
    let re = Regex::new(&format!(r#"id="{id}"[^>]*data-exact="([^"]*)""#)).unwrap();
    re.captures(page).unwrap_or_else(|| panic!("no #{id} in the page")).get(1).unwrap().as_str().to_string()
}

fn all_tokens(t: &Value) -> u64 {
    ["input", "cache_read", "cache_write", "output"].iter().map(|k| t[k].as_u64().unwrap()).sum()
}

/// The page's headline figures equal the JSON report's.
fn assert_totals_match(page: &str, json: &Value) {
    let total = &json["total"];
    assert_eq!(exact(page, "total-cost"), total["cost"].as_str().unwrap_or(""));
    assert_eq!(exact(page, "total-calls"), total["requests"].to_string());
    assert_eq!(exact(page, "total-tokens"), all_tokens(&total["tokens"]).to_string());
    assert_eq!(exact(page, "unpriced-calls"), total["unpriced_requests"].to_string());
}

/// The marks of a chart (`id`): SVG rects' heights or CSS bars' widths, all > 0.
fn marks(page: &str, id: &str) -> Vec<f64> {
    let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no chart #{id}"));
    let end = ["</svg>", "</section>"].iter().filter_map(|tag| page[start..].find(tag)).min().unwrap() + start;
    let chart = &page[start..end];
    let re =
        Regex::new(r#"<rect class="mark"[^>]* height="([0-9.]+)"|class="bar" style="width:([0-9.]+)%[^"]*"#).unwrap();
    re.captures_iter(chart).map(|c| c.get(1).or(c.get(2)).unwrap().as_str().parse().unwrap()).collect()
}

/// The captures whose figures these pages are pinned on: the emitters and the Claude Code
/// and Codex runs, so a capture added to testdata/ later does not move them.
fn pinned_captures() -> Vec<String> {
    ["emitters/a_openai_v2_default", "emitters/a_openai_v2_latest", "emitters/b_openllmetry"]
        .into_iter()
        .chain(["emitters/c_openinference", "emitters/d_litellm_default", "emitters/e_pydantic_ai"])
        .chain(["emitters/f_vercel_ai", "emitters/g_strands", "emitters/h_google_adk"])
        .chain(["agents/claude-http-protobuf-1", "agents/claude-http-protobuf-3"])
        .chain(["agents/codex-http-protobuf-1", "agents/codex-http-protobuf-3"])
        .map(testdata)
        .collect()
}

#[test]
fn the_page_is_self_contained_and_its_totals_are_the_json_reports() {
    let rules = rules();
    let captures = pinned_captures();
    let args: Vec<&str> =
        ["--by", "team,model", "--rules", &rules].into_iter().chain(captures.iter().map(String::as_str)).collect();
    let (page, json) = page_and_json(&args);
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..100]);
    // Nothing to fetch: no URL, no external resource, a policy that allows none.
    assert!(!page.contains("://"), "the page names a URL");
    assert!(!Regex::new(r#"\s(src|href)="#).unwrap().is_match(&page), "the page links a resource");
    assert!(!page.contains("@import") && !page.contains("url("));
    assert!(page.contains(
        r#"content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:""#
    ));
    assert!(page.contains("@media (prefers-color-scheme: dark)") && page.contains("@media print"));
    assert_totals_match(&page, &json);
    assert_eq!(json["total"]["cost"], "0.22862454");

    // Where: every team, every row of the table; when: a bar per hour of the period.
    for (group, _) in json["groups"].as_array().unwrap().iter().map(|g| (g["group"].as_str().unwrap(), g)) {
        assert!(page.contains(&format!(">{group}</span>")), "{group}");
    }
    // Table rows: the header rows of three tables and a total are not groups, models or prices.
    assert_eq!(
        page.matches("<tr>").count() - 4,
        json["rows"].as_array().unwrap().len() + json["models"].as_array().unwrap().len() + prices_rows(&json)
    );
    let timeline = marks(&page, "chart-timeline");
    let points = json["timeline"]["points"].as_array().unwrap();
    assert_eq!(json["timeline"]["bucket"], "hour");
    assert_eq!(timeline.len(), points.iter().filter(|p| p["cost"].as_str().is_some_and(|c| c != "0")).count());
    assert!(timeline.iter().all(|h| *h > 0.0));
    assert_eq!(marks(&page, "chart-dimension").len(), json["groups"].as_array().unwrap().len());
    assert_eq!(marks(&page, "chart-groups").len(), 15);
    assert!(page.contains("… and 16 more groups in the table below."));

    // Cache reads at claude-sonnet-4-5's input rate ($3/M) instead of its cache-read rate
    // ($0.30/M), over all its names (dated, dotted): 78,248 tokens × $2.70/M.
    let sonnet = json["models"].as_array().unwrap().iter().find(|m| m["model"] == "claude-sonnet-4-5").unwrap();
    assert_eq!((&sonnet["tokens"]["cache_read"], &sonnet["cache_read_saved"]), (&78248.into(), &"0.2112696".into()));
    let saved = json["models"].as_array().unwrap().iter().filter_map(|m| m["cache_read_saved"].as_str());
    let saved: rust_decimal::Decimal = saved.map(|s| s.parse::<rust_decimal::Decimal>().unwrap()).sum();
    assert_eq!(exact(&page, "cache-saved"), saved.normalize().to_string());
    assert!(
        page.contains("genai-prices:anthropic/claude-sonnet-4-5") && page.contains("litellm:anthropic/claude-opus-5-5")
    );
}

/// Rows of the prices table: one per price of a model, or one saying it has none.
fn prices_rows(json: &Value) -> usize {
    json["models"].as_array().unwrap().iter().map(|m| m["prices"].as_array().unwrap().len().max(1)).sum()
}

#[test]
fn the_extension_chooses_html_and_merge_renders_the_same_page() {
    let dir = tempfile::tempdir().unwrap();
    let (emitters, agents) = (testdata("emitters"), testdata("agents"));
    let file = |name: &str| dir.path().join(name).display().to_string();
    let by = ["--by", "service,model", "--cost", "both"];
    let run = otelcost(&[&["report", "-q", &emitters, &agents, "-o", &file("one.html")], &by[..]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (input, out) in [(&emitters, "a.json"), (&agents, "b.json")] {
        assert_eq!(otelcost(&[&["report", "-q", input.as_str(), "-o", &file(out)], &by[..]].concat()).code, 0);
    }
    let merged = otelcost(&["merge", &file("a.json"), &file("b.json"), "-o", &file("merged.html")]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    let one = std::fs::read_to_string(file("one.html")).unwrap();
    assert_eq!(one, std::fs::read_to_string(file("merged.html")).unwrap());
    // --cost both: the emitters' own figure beside the computed one.
    assert!(
        one.contains("id=\"reported-cost\"")
            && one.contains(">reported (USD)</th>")
            && one.contains(">difference</th>")
    );
    assert!(one.contains(">stated (USD)</th>"));
}

#[test]
fn split_unallocated_shows_the_shared_and_charged_columns() {
    let rules = rules();
    let captures = pinned_captures();
    let args: Vec<&str> =
        ["--by", "team", "--rules", &rules, "--split-unallocated", "team", "--timezone", "Europe/Berlin"]
            .into_iter()
            .chain(captures.iter().map(String::as_str))
            .collect();
    let (page, json) = page_and_json(&args);
    assert!(page.contains(">shared (USD)</th>") && page.contains(">charged (USD)</th>"), "no split columns");
    assert_totals_match(&page, &json);
    // Times in the report's time zone, as its buckets are.
    assert!(page.contains("2026-11-23 01:09 → 06:14 Europe/Berlin"), "period not in the time zone");
    assert!(page.contains(">11-23 01:00</text>"), "hours not in the time zone");
    // One dimension: its bars are the rows', not drawn twice.
    assert!(!page.contains("id=\"chart-dimension\""));
}

#[test]
fn attribute_values_show_as_text_never_as_markup() {
    let (page, json) = page_and_json(&["--by", "team,model", &synthetic()]);
    assert_totals_match(&page, &json);
    assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
    assert!(!page.contains("<img"));
    assert!(page.contains("&lt;script&gt;alert(&quot;team&quot;)&lt;/script&gt; 'quoted' &amp; ünïcödé ✓ 日本"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;&quot;model&quot;"));
    // The unpriced call: loud, in the banner and the headline, never $0.
    assert!(page.contains("role=\"alert\"") && page.contains("1 call could not be priced."));
    assert_eq!(exact(&page, "unpriced-calls"), "1");
}

#[test]
fn markdown_has_mermaid_charts_unless_told_not_to() {
    let args = ["report", "-q", &synthetic(), "--by", "team,model", "--format", "markdown"];
    let md = otelcost(&args).stdout;
    let pie = "```mermaid\npie showData title Cost by team (USD)\n    \"‹script›alert('team')‹/script› 'quoted' & ünïcödé ✓ 日本\" : 0.00036\n    \"plain-team\" : 0.00018\n```\n";
    assert!(md.contains(pie), "{md}");
    let bars = "    x-axis [\"2026-11-23 00:00\", \"2026-11-23 01:00\", \"2026-11-23 02:00\"]\n    y-axis \"USD\"\n    bar [0.00036, 0, 0.00018]\n```\n";
    assert!(md.contains("```mermaid\nxychart-beta\n    title \"Cost per hour (USD)\"\n") && md.contains(bars), "{md}");
    let plain = otelcost(&[&args[..], &["--no-charts"]].concat()).stdout;
    assert!(!plain.contains("mermaid"));
    assert_eq!(plain.lines().next(), md.lines().next());
    // --no-charts leaves the tables of the HTML page.
    let page = otelcost(&["report", "-q", &synthetic(), "--format", "html", "--no-charts"]).stdout;
    assert!(!page.contains("<svg") && page.contains("id=\"report-table\""));
}

// ---- In a real browser ---------------------------------------------------------------

/// Hosts Chromium itself calls (clock, component updates, sign-in) even with background
/// networking off; a request by the page to anything, these included, is named by URL
/// in the page, and the page names none (checked above).
const BROWSER_OWN_HOSTS: &[&str] = &[
    "clients2.google.com",
    "update.googleapis.com",
    "accounts.google.com",
    "www.google.com",
    "optimizationguide-pa.googleapis.com",
    "safebrowsingohttpgateway.googleapis.com",
    "content-autofill.googleapis.com",
    "edgedl.me.gvt1.com",
];

/// A proxy on loopback that answers nothing and records the target of every request made
/// through it: Chromium is pointed at it, so no request leaves unseen.
fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            record.lock().unwrap().push(line.trim().to_string());
        }
    });
    (address, seen)
}

/// The host a proxied request line goes to: `CONNECT host:443 …` or `GET http://host/… …`.
fn host(request: &str) -> String {
    let target = request.split_whitespace().nth(1).unwrap_or("");
    let target = target.split("://").nth(1).unwrap_or(target);
    target.split(['/', ':']).next().unwrap_or("").to_string()
}

struct Opened {
    dom: String,
    console: Vec<String>,
    requests: Vec<String>,
}

/// Runs Chromium headless on `page` with `mode` (`--dump-dom`, `--screenshot=…`), a fresh
/// profile, console messages logged to stderr and every request sent to the recording proxy.
fn chromium(page: &Path, mode: &[&str]) -> Opened {
    let bin = external("OTELCOST_TEST_CHROMIUM");
    let profile = tempfile::tempdir().unwrap();
    let (proxy, seen) = recording_proxy();
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--proxy-server={proxy}"))
        .args(mode)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).unwrap();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).unwrap();
        s
    });
    let until = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > until {
            child.kill().unwrap();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = reader.join().unwrap();
    let stderr = err_reader.join().unwrap();
    let console = stderr.lines().filter(|l| l.contains(":CONSOLE")).map(String::from).collect();
    let requests = seen.lock().unwrap().clone();
    Opened { dom, console, requests }
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Opens a page: it loads and runs its script without a console message or a request of
/// its own, and a screenshot of it is kept under target/tmp/html/.
fn open_in_browser(name: &str, page: &str, height: u32) -> String {
    let path = artifacts().join(format!("{name}.html"));
    std::fs::write(&path, page).unwrap();
    let opened = chromium(&path, &["--dump-dom"]);
    assert!(opened.console.is_empty(), "{name}: console messages:\n{}", opened.console.join("\n"));
    let strangers: Vec<&String> =
        opened.requests.iter().filter(|r| !BROWSER_OWN_HOSTS.contains(&host(r).as_str())).collect();
    assert!(strangers.is_empty(), "{name}: requests attempted: {strangers:?}");
    assert!(opened.dom.contains("<html lang=\"en\" class=\"js\">"), "{name}: the page's script did not run");
    let png = artifacts().join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    let shot = chromium(&path, &[&format!("--screenshot={}", png.display()), &format!("--window-size=1100,{height}")]);
    assert!(shot.console.is_empty(), "{name}: {:?}", shot.console);
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 20_000, "{name}: screenshot {} is {size} bytes", png.display());
    opened.dom
}

#[test]
#[ignore = "needs Chromium: OTELCOST_TEST_CHROMIUM, set by .ci/run"]
fn the_captures_report_opens_in_chromium_with_its_totals_and_charts() {
    let args = ["--by", "team,model", "--rules", &rules(), &testdata("")];
    let (page, json) = page_and_json(&args);
    let dom = open_in_browser("report", &page, 4300);
    assert_totals_match(&dom, &json);
    for chart in ["chart-dimension", "chart-timeline", "chart-groups"] {
        let marks = marks(&dom, chart);
        assert!(!marks.is_empty() && marks.iter().all(|m| *m > 0.0), "{chart}: {marks:?}");
    }
    assert!(dom.contains("id=\"models-table\"") && dom.contains("id=\"prices-table\""));

    // With both costs and the split: the columns, and still nothing fetched or logged.
    let both = ["--by", "team", "--rules", &rules(), "--cost", "both", "--split-unallocated", "team", &testdata("")];
    let (page, json) = page_and_json(&both);
    let dom = open_in_browser("report-both-split", &page, 2600);
    assert_totals_match(&dom, &json);
    assert!(dom.contains(">reported (USD)</th>") && dom.contains(">charged (USD)</th>"));
}

#[test]
#[ignore = "needs Chromium: OTELCOST_TEST_CHROMIUM, set by .ci/run"]
fn markup_in_attribute_values_stays_text_in_chromium() {
    let (page, json) = page_and_json(&["--by", "team,model", &synthetic()]);
    let dom = open_in_browser("synthetic-escaping", &page, 2200);
    assert_totals_match(&dom, &json);
    assert_eq!(dom.matches("<script").count(), 1, "a script element came from the data");
    assert!(!dom.contains("<img"), "an img element came from the data");
    // Chromium's serialisation escapes text's `<`, `>`, `&` (quotes only in attributes).
    assert!(dom.contains("&lt;script&gt;alert(\"team\")&lt;/script&gt; 'quoted' &amp; ünïcödé ✓ 日本"), "{dom}");
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;\"model\""));
}

#[test]
#[ignore = "needs Chromium: OTELCOST_TEST_CHROMIUM, set by .ci/run"]
fn a_session_without_calls_opens_cleanly_in_chromium() {
    let run = otelcost(&["run", "-q", "--no-env", "--flush", "0s", "--format", "html", "--", "true"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dom = open_in_browser("empty-session", &run.stdout, 900);
    assert_eq!((exact(&dom, "total-cost"), exact(&dom, "total-calls")), ("0".to_string(), "0".to_string()));
    assert!(!dom.contains("id=\"chart-timeline\""), "a timeline without a timestamp");
}

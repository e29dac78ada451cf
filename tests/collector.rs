//! The real OpenTelemetry Collector (tests/collector/, built by `.ci/run` into
//! OTELCOST_TEST_COLLECTOR) end to end: the files its file exporter writes, the Collector as
//! a client of `otelcost listen`, and scale-out over several Collectors with `otelcost merge`.
//!
//! The data is every capture in testdata/ (real emitters' requests), replayed request by
//! request into the Collector's OTLP receiver as OTLP/HTTP JSON, so what comes out was
//! written by the Collector itself. Loopback only, free ports, every wait bounded.

mod common;

use common::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_otelcost");
const LIMIT: Duration = Duration::from_secs(90);
const SIGNALS: [&str; 3] = ["traces", "metrics", "logs"];

fn collector_bin() -> String {
    external("OTELCOST_TEST_COLLECTOR")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits, bounded, until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < LIMIT, "{what}: not within {LIMIT:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_exit(child: &mut Child, what: &str) -> i32 {
    let mut code = None;
    wait_until(what, || {
        code = child.try_wait().unwrap().map(|s| s.code().unwrap_or(-1));
        code.is_some()
    });
    code.unwrap()
}

fn terminate(child: &Child) {
    let ok = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(ok.success(), "kill -TERM {}", child.id());
}

/// A running Collector with its config and log in `dir`.
struct Collector {
    child: Child,
    log: PathBuf,
}

impl Collector {
    /// Starts it and waits until its OTLP/HTTP receiver on `port` takes connections.
    fn start(dir: &Path, name: &str, config: &str, port: u16, args: &[&str]) -> Collector {
        Collector::start_release(&collector_bin(), dir, name, config, port, args)
    }

    /// `start` with the Collector binary `bin`.
    fn start_release(bin: &str, dir: &Path, name: &str, config: &str, port: u16, args: &[&str]) -> Collector {
        let config_path = dir.join(format!("{name}.yaml"));
        std::fs::write(&config_path, config).unwrap();
        let log = dir.join(format!("{name}.log"));
        let mut child = Command::new(bin)
            .arg("--config")
            .arg(format!("file:{}", config_path.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join(format!("{name}.stdout"))).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        wait_until("the Collector's receiver", || {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the Collector exited ({status}):\n{}", std::fs::read_to_string(&log).unwrap_or_default());
            }
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Collector { child, log }
    }

    /// Shuts it down (it flushes its exporters) and returns its log.
    fn stop(self) -> String {
        let (code, log) = self.exit();
        assert_eq!(code, 0, "the Collector failed:\n{log}");
        log
    }

    /// Shuts it down; its exit code and log, whatever they are.
    fn exit(mut self) -> (i32, String) {
        terminate(&self.child);
        let code = wait_exit(&mut self.child, "the Collector's shutdown");
        (code, std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

/// One OTLP/HTTP request (`headers` as `Name: value` lines); the status code.
fn post(port: u16, path: &str, headers: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// The captures replayed: every real emitter's and agent's OTLP dump in testdata/ (the
/// folders holding only `<signal>.jsonl`, plain or zstd; the agents' own files are not OTLP,
/// so no Collector ever carries them).
fn captures() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for group in ["emitters", "agents"] {
        for entry in std::fs::read_dir(root().join("testdata").join(group)).unwrap() {
            let dir = entry.unwrap().path();
            let otlp = std::fs::read_dir(&dir).unwrap().all(|f| {
                let name = f.unwrap().file_name().to_string_lossy().into_owned();
                SIGNALS.iter().any(|s| name == format!("{s}.jsonl") || name == format!("{s}.jsonl.zst"))
            });
            if otlp {
                dirs.push(dir);
            }
        }
    }
    dirs.sort();
    dirs
}

/// A capture's requests of one signal, one OTLP/JSON request a line (stored plain or zstd).
fn signal_requests(dir: &Path, signal: &str) -> Option<String> {
    let plain = dir.join(format!("{signal}.jsonl"));
    if plain.exists() {
        return Some(std::fs::read_to_string(plain).unwrap());
    }
    let packed = std::fs::read(dir.join(format!("{signal}.jsonl.zst"))).ok()?;
    Some(String::from_utf8(zstd::decode_all(&packed[..]).unwrap()).unwrap())
}

/// Every request of the captures in `dirs`, as the client's OTLP/JSON, into the Collector's
/// OTLP/HTTP receiver (which acknowledges each before exporting it).
fn replay(port: u16, dirs: &[PathBuf]) {
    for dir in dirs {
        for signal in SIGNALS {
            let Some(lines) = signal_requests(dir, signal) else { continue };
            for line in lines.lines().filter(|l| !l.trim().is_empty()) {
                let status =
                    post(port, &format!("/v1/{signal}"), "Content-Type: application/json\r\n", line.as_bytes());
                assert_eq!(status, 200, "the Collector refused a request of {}", dir.display());
            }
        }
    }
}

fn report_of(inputs: &[&Path], extra: &[&str]) -> Value {
    let mut args: Vec<String> = vec!["report".into(), "-q".into()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--format".into(), "json".into()]);
    let out = Command::new(BIN).args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "report {inputs:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The report over the captures as they are in testdata/ (what report.rs and emitters.rs
/// check against each capture's truth).
fn truth_of(dirs: &[PathBuf]) -> Value {
    report_of(&dirs.iter().map(PathBuf::as_path).collect::<Vec<_>>(), &[])
}

/// The OTLP receiver every test Collector has, on `port`.
fn receiver(port: u16) -> String {
    format!("receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{port}\n")
}

/// The start of every test Collector's `service` section (no internal metrics server).
const SERVICE: &str = "service:\n  telemetry:\n    metrics:\n      level: none\n  pipelines:\n";

/// One pipeline per signal from the receiver to the same `exporters`.
fn pipelines(exporters: &[String]) -> String {
    let mut out = String::from(SERVICE);
    for signal in SIGNALS {
        out += &format!("    {signal}:\n      receivers: [otlp]\n      exporters: [{}]\n", exporters.join(", "));
    }
    out
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A file exporter `id` writing `path`, with more settings (YAML lines under it).
fn file_exporter(id: &str, path: &Path, settings: &[&str]) -> String {
    let mut out = format!("  {id}:\n    path: {}\n    create_directory: true\n", path.display());
    for setting in settings {
        out += &format!("    {setting}\n");
    }
    out
}

/// The file exporter in each of its modes, all fed the same replay by one Collector: per
/// signal where the layout does not tell the signals apart (`format: proto`), one file for
/// every signal otherwise, as a user would configure it. `flush_interval` short, so a
/// running Collector's files are complete soon after the replay.
fn file_modes_config(dir: &Path, port: u16) -> (String, Vec<String>) {
    let flush = "flush_interval: 100ms";
    let mut exporters = String::from("exporters:\n");
    let mut ids = Vec::new();
    let mut add = |id: &str, yaml: String| {
        exporters += &yaml;
        ids.push(id.to_string());
    };
    for signal in SIGNALS {
        let id = format!("file/proto_{signal}");
        add(&id, file_exporter(&id, &dir.join(format!("proto/{signal}.pb")), &["format: proto", flush]));
        let id = format!("file/proto_zstd_{signal}");
        let settings = ["format: proto", "compression: zstd", flush];
        add(&id, file_exporter(&id, &dir.join(format!("proto_zstd/{signal}.pb.zst")), &settings));
    }
    add("file/json", file_exporter("file/json", &dir.join("json/otlp.jsonl"), &[flush]));
    let settings = ["compression: zstd", flush];
    add("file/json_zstd", file_exporter("file/json_zstd", &dir.join("json_zstd/otlp.jsonl.zst"), &settings));
    let rotation = ["rotation:", "  max_megabytes: 1", "  max_backups: 1000"];
    add("file/rotated", file_exporter("file/rotated", &dir.join("rotated/otlp.jsonl"), &rotation));
    let group_by = ["group_by:", "  enabled: true", "  resource_attribute: service.name", flush];
    add("file/grouped", file_exporter("file/grouped", &dir.join("grouped/*/otlp.jsonl"), &group_by));
    let mut config = receiver(port) + &exporters + SERVICE;
    for signal in SIGNALS {
        // Every exporter of no signal, or of this one.
        let mine: Vec<&str> = ids
            .iter()
            .filter(|id| SIGNALS.iter().all(|s| !id.ends_with(&format!("_{s}"))) || id.ends_with(&format!("_{signal}")))
            .map(String::as_str)
            .collect();
        config += &format!("    {signal}:\n      receivers: [otlp]\n      exporters: [{}]\n", mine.join(", "));
    }
    let modes = ["proto", "proto_zstd", "json", "json_zstd", "rotated", "grouped"];
    (config, modes.iter().map(|m| m.to_string()).collect())
}

/// A byte offset inside the last record of a JSON-lines file: where a reader that comes
/// while the Collector writes may find the file ending.
fn mid_record(data: &[u8]) -> usize {
    let end = data.len() - usize::from(data.ends_with(b"\n"));
    let start = data[..end].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    start + (end - start) / 2
}

fn otelcost_run(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn file_exporter_session(gate: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let port = free_port();
    let (config, modes) = file_modes_config(dir, port);
    let collector = Collector::start(dir, "files", &config, port, gate);
    let captures = captures();
    replay(port, &captures);
    let truth = truth_of(&captures);

    // Read while the Collector still runs and holds the files open: once written (the
    // flush interval), they hold everything acknowledged.
    wait_until("the running Collector's JSON file", || report_of(&[&dir.join("json")], &[]) == truth);
    let rotated = dir.join("rotated");
    let files = files_under(&rotated);
    assert!(files.len() >= 3, "rotation made only {files:?}");
    assert_eq!(report_of(&[&rotated], &[]), truth, "rotated files, read while the Collector writes");

    // A reader that comes mid-write finds the active file ending inside a record: a problem
    // naming it, the rest counted; --strict fails.
    let copy = dir.join("mid-write");
    std::fs::create_dir(&copy).unwrap();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let name = file.file_name().unwrap();
        let cut = if name == "otlp.jsonl" { mid_record(&data) } else { data.len() };
        std::fs::write(copy.join(name), &data[..cut]).unwrap();
    }
    let copy_arg = copy.display().to_string();
    let (code, stderr) = otelcost_run(&["report", &copy_arg, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("otlp.jsonl") && stderr.contains("problem"), "no problem named: {stderr}");
    let (code, _) = otelcost_run(&["report", &copy_arg, "--strict"]);
    assert_ne!(code, 0, "--strict passes over a record cut short");

    collector.stop();
    for mode in &modes {
        assert_eq!(report_of(&[&dir.join(mode)], &[]), truth, "file exporter mode {mode} ({gate:?})");
    }
    let groups = std::fs::read_dir(dir.join("grouped")).unwrap().count();
    assert!(groups >= 10, "group_by made {groups} folders, one per service.name expected");
}

#[test]
#[ignore = "needs the Collector: OTELCOST_TEST_COLLECTOR, set by .ci/run"]
fn every_file_exporter_mode_reads_as_the_captures() {
    file_exporter_session(&[]);
}

#[test]
#[ignore = "needs the Collector: OTELCOST_TEST_COLLECTOR, set by .ci/run"]
fn every_file_exporter_mode_reads_as_the_captures_with_native_compression() {
    // The feature gate that changes the zstd layouts (one stream, JSON newline-delimited).
    file_exporter_session(&["--feature-gates=exporter.file.nativeCompression"]);
}

#[test]
#[ignore = "needs the Collector: OTELCOST_TEST_COLLECTOR, set by .ci/run"]
fn the_debug_exporters_output_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let port = free_port();
    let exporters = "exporters:\n  debug:\n    verbosity: detailed\n";
    let config = receiver(port) + exporters + &pipelines(&["debug".to_string()]);
    let collector = Collector::start(dir, "debug", &config, port, &[]);
    replay(port, &[root().join("testdata/emitters/c_openinference")]);
    let log = collector.stop();
    assert!(log.contains("ResourceSpans #0"), "{log}");
    let path = dir.join("debug.log").display().to_string();
    let (code, stderr) = otelcost_run(&["report", &path, "--strict"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("debug exporter output") && stderr.contains("file exporter"), "{stderr}");
}

/// A running `otelcost listen` on loopback, its output in files.
struct Listen {
    child: Child,
    http: SocketAddr,
    grpc: Option<SocketAddr>,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Listen {
    fn start(dir: &Path, name: &str, http: &str, grpc: &str, args: &[&str]) -> Listen {
        let (stdout, stderr) = (dir.join(format!("{name}.out")), dir.join(format!("{name}.err")));
        let child = Command::new(BIN)
            .args(["listen", "--http", http, "--grpc", grpc, "--format", "json"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut first = String::new();
        wait_until("listen's endpoints", || {
            first = std::fs::read_to_string(&stderr).unwrap_or_default();
            first.contains('\n')
        });
        let addr = |label: &str| {
            let rest = first.split(label).nth(1)?;
            let end = rest.find([',', ';', ' ', '\n']).unwrap_or(rest.len());
            rest[..end].parse::<SocketAddr>().ok()
        };
        let http = addr("OTLP/HTTP on http://").unwrap_or_else(|| panic!("no endpoint in {first:?}"));
        Listen { child, http, grpc: addr("OTLP/gRPC on http://"), stdout, stderr }
    }

    /// Ends the session (SIGTERM unless it ended by itself) and returns its report.
    fn finish(mut self) -> Value {
        if self.child.try_wait().unwrap().is_none() {
            terminate(&self.child);
        }
        let code = wait_exit(&mut self.child, "otelcost listen");
        let stderr = std::fs::read_to_string(&self.stderr).unwrap();
        assert_eq!(code, 0, "listen: {stderr}");
        let stdout = std::fs::read_to_string(&self.stdout).unwrap();
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"))
    }
}

/// The Collector's OTLP exporters as clients of `otelcost listen`: each exporter setting
/// its own listener, all fed the same replay; every listener's report equals the captures'.
#[test]
#[ignore = "needs the Collector: OTELCOST_TEST_COLLECTOR, set by .ci/run"]
fn the_collectors_otlp_exporters_with_every_compression_reach_listen() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let port = free_port();
    let mut exporters = String::from("exporters:\n");
    let mut listeners = Vec::new();
    for compression in ["none", "gzip", "zstd", "snappy", "x-snappy-framed", "zlib", "deflate", "lz4"] {
        for encoding in ["proto", "json"] {
            let name = format!("otlp_http/{compression}_{encoding}");
            let listen = Listen::start(dir, &name.replace('/', "-"), "127.0.0.1:0", "127.0.0.1:0", &[]);
            exporters += &format!(
                "  {name}:\n    endpoint: http://{}\n    compression: {compression}\n    encoding: {encoding}\n",
                listen.http
            );
            listeners.push((name, listen));
        }
    }
    for compression in ["none", "gzip", "zstd", "snappy"] {
        let name = format!("otlp_grpc/{compression}");
        let listen = Listen::start(dir, &name.replace('/', "-"), "127.0.0.1:0", "127.0.0.1:0", &[]);
        exporters += &format!(
            "  {name}:\n    endpoint: {}\n    tls:\n      insecure: true\n    compression: {compression}\n",
            listen.grpc.unwrap()
        );
        listeners.push((name, listen));
    }
    let ids: Vec<String> = listeners.iter().map(|(name, _)| name.clone()).collect();
    let config = receiver(port) + &exporters + &pipelines(&ids);
    let collector = Collector::start(dir, "to-listen", &config, port, &[]);
    let captures = captures();
    replay(port, &captures);
    let log = collector.stop();
    assert!(!log.contains("\terror\t"), "the Collector logged errors:\n{log}");
    let truth = truth_of(&captures);
    for (name, listen) in listeners {
        assert_eq!(listen.finish(), truth, "{name}");
    }
}

/// Requests in a `--save-format json` directory.
fn saved_requests(dir: &Path) -> usize {
    files_under(dir).iter().map(|f| std::fs::read_to_string(f).unwrap().lines().count()).sum()
}

/// `listen` ends after a few requests (answering 503 / UNAVAILABLE to those in flight, then
/// refusing connections) and comes back on the same ports: the Collector's queue and retries
/// deliver the rest, nothing acknowledged is lost and nothing is counted twice.
fn restart_session(grpc: bool) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let port = free_port();
    let (http_addr, grpc_addr) = (format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port()));
    let (first, second) = (dir.join("first"), dir.join("second"));
    let save = |d: &Path| ["--save".to_string(), d.display().to_string(), "--save-format".into(), "json".into()];
    let mut args = save(&first).to_vec();
    args.extend(["--max-requests".into(), "5".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let listen = Listen::start(dir, "first", &http_addr, &grpc_addr, &args);
    let retry = "    retry_on_failure:\n      initial_interval: 100ms\n      max_interval: 500ms\n      max_elapsed_time: 120s\n";
    let exporter = if grpc {
        format!("  otlp_grpc:\n    endpoint: {grpc_addr}\n    tls:\n      insecure: true\n{retry}")
    } else {
        format!("  otlp_http:\n    endpoint: http://{http_addr}\n{retry}")
    };
    let id = if grpc { "otlp_grpc" } else { "otlp_http" };
    let config = receiver(port) + "exporters:\n" + &exporter + &pipelines(&[id.to_string()]);
    let collector = Collector::start(dir, "retrying", &config, port, &[]);
    let captures = captures();
    replay(port, &captures);
    let truth = truth_of(&captures);
    let first_report = listen.finish();
    assert_ne!(first_report, truth, "the first session took everything: nothing was retried");
    let args: Vec<String> = save(&second).to_vec();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let listen = Listen::start(dir, "second", &http_addr, &grpc_addr, &args);
    wait_until("the retried requests", || report_of(&[&first, &second], &[]) == truth);
    let log = collector.stop();
    listen.finish();
    assert!(log.contains("Will retry"), "the Collector never retried:\n{log}");
    let requests: usize = captures
        .iter()
        .flat_map(|c| SIGNALS.iter().filter_map(|s| signal_requests(c, s)))
        .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
        .sum();
    assert_eq!(saved_requests(&first) + saved_requests(&second), requests, "each request stored exactly once");
    assert_eq!(report_of(&[&first, &second], &[]), truth);
}

#[test]
#[ignore = "needs the Collector: OTELCOST_TEST_COLLECTOR, set by .ci/run"]
fn the_collectors_http_exporter_retries_through_a_listen_restart() {
    restart_session(false);
}

#[test]
#[ignore = "needs the Collector: OTELCOST_TEST_COLLECTOR, set by .ci/run"]
fn the_collectors_grpc_exporter_retries_through_a_listen_restart() {
    restart_session(true);
}

/// The Collector configs the README and docs/ recommend, exactly as written there: each
/// YAML block right after a `<!-- collector-config NAME -->` line, with its name.
fn documented_configs() -> Vec<(String, String)> {
    let mut pages = vec![root().join("README.md")];
    pages.extend(files_under(&root().join("docs")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "md")));
    let marker = regex::Regex::new(r"(?m)^<!-- collector-config ([\w-]+) -->\n```yaml\n((?s:.*?))```").unwrap();
    let mut configs = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        configs.extend(marker.captures_iter(&text).map(|c| (c[1].to_string(), c[2].to_string())));
    }
    configs.sort();
    configs
}

/// What a test changes in a documented config, as a second `--config` the Collector merges
/// over it (the text itself is run as written): free loopback ports for the OTLP receiver,
/// each file exporter's file in `dir`, no internal metrics server. `port` is OTLP/HTTP's.
fn overlay(config: &str, dir: &Path, port: u16) -> String {
    let exporter =
        regex::Regex::new(r"(?m)^  (file(?:/[\w.-]+)?):\s*(?:\{\s*path:\s*([^\s,}]+)|\n\s+path:\s*(\S+))").unwrap();
    let mut out = format!(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{}\n      http:\n        endpoint: 127.0.0.1:{port}\n",
        free_port()
    );
    out += "exporters:\n";
    for c in exporter.captures_iter(config) {
        let path = c.get(2).or(c.get(3)).unwrap().as_str();
        let file = Path::new(path).file_name().unwrap().to_string_lossy();
        out += &format!("  {}:\n    path: {}\n", &c[1], dir.join(c[1].replace('/', "_")).join(&*file).display());
    }
    assert!(out.contains("path: "), "no file exporter in:\n{config}");
    out + "service:\n  telemetry:\n    metrics:\n      level: none\n"
}

/// Captures with traces, metrics and logs between them, replayed in two halves.
fn restart_captures() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let dirs = |names: &[&str]| names.iter().map(|n| PathBuf::from(testdata(n))).collect::<Vec<_>>();
    (dirs(&["emitters/a_openai_v2_latest", "emitters/b_openllmetry"]), dirs(&["agents/claude-http-protobuf-1"]))
}

/// A documented config on the Collector `bin`: half the captures, a shutdown, a restart,
/// the other half, a shutdown. Each shutdown must be clean and the files must hold everything.
fn documented_config_survives_a_restart(bin: &str, name: &str, config: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (dir, out) = (dir.path(), dir.path().join("files"));
    let (first, second) = restart_captures();
    for (round, captures) in [&first, &second].into_iter().enumerate() {
        let port = free_port();
        let overlay_path = dir.join(format!("overlay-{round}.yaml"));
        std::fs::write(&overlay_path, overlay(config, &out, port)).unwrap();
        let merged = format!("file:{}", overlay_path.display());
        let collector =
            Collector::start_release(bin, dir, &format!("{name}-{round}"), config, port, &["--config", &merged]);
        replay(port, captures);
        let (code, log) = collector.exit();
        assert_eq!(code, 0, "{bin}: config {name:?} did not shut down cleanly (round {round}):\n{log}");
    }
    let all: Vec<PathBuf> = first.into_iter().chain(second).collect();
    assert_eq!(report_of(&[&out], &[]), truth_of(&all), "{bin}: config {name:?} lost or repeated calls");
}

fn both_releases() -> [String; 2] {
    [collector_bin(), external("OTELCOST_TEST_COLLECTOR_PREVIOUS")]
}

#[test]
#[ignore = "needs both Collectors: OTELCOST_TEST_COLLECTOR and OTELCOST_TEST_COLLECTOR_PREVIOUS, set by .ci/run"]
fn the_documented_collector_configs_survive_a_restart_on_two_releases() {
    let configs = documented_configs();
    let names: Vec<&str> = configs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["files", "files-batch"], "the configs the README and docs/collector.md recommend");
    for bin in both_releases() {
        for (name, config) in &configs {
            documented_config_survives_a_restart(&bin, name, config);
        }
    }
}

/// Why the docs recommend no `batch` in front of a file exporter shared by the three
/// pipelines: v0.161's file exporter is shut down with the first pipeline, and the batch
/// of another flushing into it at shutdown dereferences its closed writer.
#[test]
#[ignore = "needs the previous Collector: OTELCOST_TEST_COLLECTOR_PREVIOUS, set by .ci/run"]
fn a_batch_in_front_of_one_shared_file_exporter_panics_at_shutdown_on_v0161() {
    let bin = external("OTELCOST_TEST_COLLECTOR_PREVIOUS");
    let (_, files) = documented_configs().into_iter().find(|(n, _)| n == "files").unwrap();
    let batched = files.replace("exporters: [file/genai]", "processors: [batch], exporters: [file/genai]")
        + "processors:\n  batch:\n    timeout: 10s\n";
    assert_ne!(batched.matches("processors: [batch]").count(), 0);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let port = free_port();
    std::fs::write(dir.join("overlay.yaml"), overlay(&batched, &dir.join("files"), port)).unwrap();
    let merged = format!("file:{}", dir.join("overlay.yaml").display());
    let collector = Collector::start_release(&bin, dir, "batched", &batched, port, &["--config", &merged]);
    replay(port, &restart_captures().0);
    let (code, log) = collector.exit();
    assert!(code != 0 && log.contains("nil pointer dereference"), "v0.161 shut down cleanly ({code}):\n{log}");
}

/// Per-shard JSON reports made in parallel, as separate machines would, then merged.
fn shard_reports_merged(shards: &[PathBuf], dir: &Path, by: &str) -> Value {
    let children: Vec<(Child, PathBuf)> = shards
        .iter()
        .enumerate()
        .map(|(i, shard)| {
            let out = dir.join(format!("shard-{i}.json"));
            let child = Command::new(BIN)
                .arg("report")
                .arg("-q")
                .arg(shard)
                .args(["--by", by, "--format", "json", "--output"])
                .arg(&out)
                .spawn()
                .unwrap();
            (child, out)
        })
        .collect();
    let mut reports = Vec::new();
    for (mut child, out) in children {
        assert_eq!(wait_exit(&mut child, "a shard's report"), 0);
        reports.push(out);
    }
    let out = Command::new(BIN).arg("merge").args(&reports).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "merge: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Scale-out on the Collector: three hosts, each with its own Collector writing rotated
/// files; each application's telemetry (all its signals) goes through its host's Collector.
/// Per-shard reports, made in parallel and merged, equal one report over everything.
#[test]
#[ignore = "needs the Collector: OTELCOST_TEST_COLLECTOR, set by .ci/run"]
fn per_host_collectors_shard_reports_merge_to_the_report_of_everything() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let captures = captures();
    const HOSTS: usize = 3;
    let mut shards = Vec::new();
    for host in 0..HOSTS {
        let port = free_port();
        let shard = dir.join(format!("host-{host}"));
        let rotation = ["rotation:", "  max_megabytes: 1", "  max_backups: 1000"];
        let exporter = "exporters:\n".to_string() + &file_exporter("file", &shard.join("otlp.jsonl"), &rotation);
        let config = receiver(port) + &exporter + &pipelines(&["file".to_string()]);
        let collector = Collector::start(dir, &format!("host-{host}"), &config, port, &[]);
        let mine: Vec<PathBuf> = captures.iter().skip(host).step_by(HOSTS).cloned().collect();
        replay(port, &mine);
        collector.stop();
        shards.push(shard);
    }
    for by in ["model", "service,model", "session"] {
        let merged = shard_reports_merged(&shards, dir, by);
        let one = report_of(&captures.iter().map(PathBuf::as_path).collect::<Vec<_>>(), &["--by", by]);
        assert_eq!(merged, one, "--by {by}");
    }
}

/// What a shard boundary through one call's records does: the openai-v2 capture's chat calls
/// are each a span and a log event (and metric points); routed by signal, each shard sees
/// one record of the call and counts it. Nothing in the shard reports identifies calls, so
/// merge cannot tell: the README says which routing keys keep "counted once" exact.
#[test]
#[ignore = "needs the Collector: OTELCOST_TEST_COLLECTOR, set by .ci/run"]
fn a_shard_boundary_through_a_calls_records_counts_it_in_each_shard() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let capture = root().join("testdata/emitters/a_openai_v2_latest");
    let port = free_port();
    let mut exporters = String::from("exporters:\n");
    for signal in SIGNALS {
        exporters += &file_exporter(&format!("file/{signal}"), &dir.join(format!("{signal}/otlp.jsonl")), &[]);
    }
    let mut config = receiver(port) + &exporters + SERVICE;
    for signal in SIGNALS {
        config += &format!("    {signal}:\n      receivers: [otlp]\n      exporters: [file/{signal}]\n");
    }
    let collector = Collector::start(dir, "by-signal", &config, port, &[]);
    replay(port, std::slice::from_ref(&capture));
    collector.stop();
    let shards: Vec<PathBuf> = SIGNALS.iter().map(|s| dir.join(s)).collect();
    let merged = shard_reports_merged(&shards, dir, "model");
    let one = report_of(&[&capture], &[]);
    let requests = |r: &Value| r["total"]["requests"].as_u64().unwrap();
    assert!(requests(&merged) > requests(&one), "merged {merged}\none run {one}");
    // The same files read in one run count each call once.
    assert_eq!(report_of(&shards.iter().map(PathBuf::as_path).collect::<Vec<_>>(), &[]), one);
}

/// The line items (`--lines`) and the FOCUS dataset as Parquet, one file per shard (one per
/// capture) as a distributed job writes them, in `dir`; the merged JSON report of the shards.
fn shards_as_parquet(dir: &Path) -> Value {
    let shards = captures();
    for (i, shard) in shards.iter().enumerate() {
        let shard = shard.display().to_string();
        let lines = dir.join(format!("lines-{i}.parquet")).display().to_string();
        let focus = dir.join(format!("focus-{i}.parquet")).display().to_string();
        for args in [vec!["--lines", "--output", &lines], vec!["--format", "focus", "--output", &focus]] {
            let (code, stderr) = otelcost_run(&[&["report", "-q", &shard][..], &args].concat());
            assert_eq!(code, 0, "{stderr}");
        }
    }
    shard_reports_merged(&shards, dir, "model")
}

/// What an engine's script printed, `{"lines": [requests, input, cache_read, cache_write,
/// output, reasoning, cost], "focus": [[token type, quantity, billed cost], …]}` (all as
/// text), equals the merged report exactly: decimals compared as decimals, never floats.
fn assert_engine_sums(engine: &str, sums: &Value, merged: &Value) {
    let dec = |v: &Value| v.as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap().normalize();
    let total = &merged["total"];
    let tokens = &total["tokens"];
    let want_lines = [
        &total["requests"],
        &tokens["input"],
        &tokens["cache_read"],
        &tokens["cache_write"],
        &tokens["output"],
        &tokens["reasoning"],
    ];
    for (i, want) in want_lines.iter().enumerate() {
        assert_eq!(dec(&sums["lines"][i]), dec(&Value::String(want.to_string())), "{engine}: line items column {i}");
    }
    assert_eq!(dec(&sums["lines"][6]), dec(&total["cost"]), "{engine}: line items cost");
    // FOCUS: one charge per token type (output includes reasoning), quantities and costs.
    let mut focus_cost = rust_decimal::Decimal::ZERO;
    for row in sums["focus"].as_array().unwrap() {
        let kind = row[0].as_str().unwrap();
        let want = match kind {
            "cache_write_5m" => tokens["cache_write"].as_u64().unwrap() - tokens["cache_write_1h"].as_u64().unwrap(),
            other => tokens[other].as_u64().unwrap_or_else(|| panic!("{engine}: token type {other}")),
        };
        assert_eq!(dec(&row[1]), rust_decimal::Decimal::from(want), "{engine}: FOCUS {kind}");
        focus_cost += dec(&row[2]);
    }
    assert_eq!(focus_cost, dec(&total["cost"]), "{engine}: FOCUS BilledCost");
}

fn run_engine(python: &str, script: &str, dir: &Path) -> Value {
    let out = Command::new(python).arg("-c").arg(script).arg(dir).output().unwrap();
    assert!(out.status.success(), "{script}\n{}", String::from_utf8_lossy(&out.stderr));
    let last = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_string();
    serde_json::from_str(&last).unwrap_or_else(|e| panic!("{e}: {last}"))
}

/// DuckDB reads every shard's Parquet files back: the sums are the merged report's.
#[test]
#[ignore = "needs DuckDB in the Python venv: OTELCOST_TEST_PYTHON, set by .ci/run"]
fn duckdb_sums_the_shards_parquet_line_items_and_focus_to_the_merged_report() {
    let python = external("OTELCOST_TEST_PYTHON");
    let dir = tempfile::tempdir().unwrap();
    let merged = shards_as_parquet(dir.path());
    let script = r#"
import duckdb, json, sys
d = sys.argv[1]
lines = duckdb.sql(f"""SELECT sum(requests), sum(input), sum(cache_read),
    sum(cache_write_5m) + sum(cache_write_1h), sum(output), sum(reasoning), sum(cost)::VARCHAR
    FROM '{d}/lines-*.parquet'""").fetchall()[0]
focus = duckdb.sql(f"""SELECT x_TokenType, sum(ConsumedQuantity)::VARCHAR, sum(BilledCost)::VARCHAR
    FROM '{d}/focus-*.parquet' GROUP BY ALL ORDER BY ALL""").fetchall()
print(json.dumps({"lines": [str(v) for v in lines], "focus": focus}))
"#;
    assert_engine_sums("DuckDB", &run_engine(&python, script, dir.path()), &merged);
}

/// Spark (pyspark, local mode) does the same. Opt-in: `OTELCOST_CI_SPARK=1 bash .ci/run`
/// installs it (a large download and a JVM start), sets OTELCOST_TEST_SPARK_PYTHON and
/// runs this test; otherwise `.ci/run` leaves it out by name (`--skip`, counted as filtered out).
#[test]
#[ignore = "opt-in, needs Spark: OTELCOST_TEST_SPARK_PYTHON, set by OTELCOST_CI_SPARK=1 bash .ci/run"]
fn spark_sums_the_shards_parquet_line_items_and_focus_to_the_merged_report() {
    let python = external("OTELCOST_TEST_SPARK_PYTHON");
    let dir = tempfile::tempdir().unwrap();
    let merged = shards_as_parquet(dir.path());
    let script = r#"
import json, sys
from pyspark.sql import SparkSession
d = sys.argv[1]
spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.sql.legacy.parquet.nanosAsLong", "true").getOrCreate())
spark.read.parquet(f"{d}/lines-*.parquet").createOrReplaceTempView("lines")
spark.read.parquet(f"{d}/focus-*.parquet").createOrReplaceTempView("focus")
lines = spark.sql("""SELECT sum(requests), sum(input), sum(cache_read),
    sum(cache_write_5m) + sum(cache_write_1h), sum(output), sum(reasoning), CAST(sum(cost) AS STRING)
    FROM lines""").collect()[0]
focus = spark.sql("""SELECT x_TokenType, CAST(sum(ConsumedQuantity) AS STRING), CAST(sum(BilledCost) AS STRING)
    FROM focus GROUP BY x_TokenType ORDER BY x_TokenType""").collect()
print(json.dumps({"lines": [str(v) for v in lines], "focus": [list(r) for r in focus]}))
spark.stop()
"#;
    assert_engine_sums("Spark", &run_engine(&python, script, dir.path()), &merged);
}

/// The same encodings by hand, without a Collector (so a bare `cargo test` checks them):
/// one real request body under every `Content-Encoding` the Collector's `otlp_http`
/// exporter offers is accepted and counted once; an unknown one is 415, a body that is not
/// what its encoding says 400, and one over `--max-body` once decompressed 413.
#[test]
fn listen_reads_every_content_encoding_the_collector_sends() {
    let body = std::fs::read(root().join("testdata/bodies/d_litellm_default/0001-traces.pb")).unwrap();
    let gzip = |data: &[u8]| {
        let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        w.write_all(data).unwrap();
        w.finish().unwrap()
    };
    let zlib = |data: &[u8]| {
        let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        w.write_all(data).unwrap();
        w.finish().unwrap()
    };
    let snappy_framed = |data: &[u8]| {
        let mut w = snap::write::FrameEncoder::new(Vec::new());
        w.write_all(data).unwrap();
        w.into_inner().unwrap()
    };
    let lz4 = |data: &[u8]| {
        let mut w = lz4_flex::frame::FrameEncoder::new(Vec::new());
        w.write_all(data).unwrap();
        w.finish().unwrap()
    };
    let encodings: [(&str, Vec<u8>); 8] = [
        ("identity", body.clone()),
        ("gzip", gzip(&body)),
        ("zstd", zstd::encode_all(&body[..], 3).unwrap()),
        ("zlib", zlib(&body)),
        ("deflate", zlib(&body)),
        ("snappy", snap::raw::Encoder::new().compress_vec(&body).unwrap()),
        ("x-snappy-framed", snappy_framed(&body)),
        ("lz4", lz4(&body)),
    ];
    let dir = tempfile::tempdir().unwrap();
    let listen = Listen::start(dir.path(), "by-hand", "127.0.0.1:0", "127.0.0.1:0", &["--max-body", "64KiB"]);
    let port = listen.http.port();
    let proto = |encoding: &str| format!("Content-Type: application/x-protobuf\r\nContent-Encoding: {encoding}\r\n");
    for (encoding, wire) in &encodings {
        assert_eq!(post(port, "/v1/traces", &proto(encoding), wire), 200, "{encoding}");
        if *encoding != "identity" {
            assert_eq!(post(port, "/v1/traces", &proto(encoding), b"not compressed at all"), 400, "{encoding}");
        }
    }
    assert_eq!(post(port, "/v1/traces", &proto("br"), &body), 415);
    let bomb = vec![0u8; 65 * 1024];
    for (encoding, wire) in [
        ("zstd", zstd::encode_all(&bomb[..], 3).unwrap()),
        ("lz4", lz4(&bomb)),
        ("snappy", snap::raw::Encoder::new().compress_vec(&bomb).unwrap()),
    ] {
        assert_eq!(post(port, "/v1/traces", &proto(encoding), &wire), 413, "{encoding} bomb");
    }
    let live = listen.finish();
    let once = report_of(&[&root().join("testdata/bodies/d_litellm_default/0001-traces.pb")], &[]);
    assert_eq!(live, once);
}

//! `otelcost prices update` through the binary, against a local HTTP server serving price
//! files made from the bundled ones: kept and used by every later report (with its date),
//! `--offline` for the bundled prices; truncated, huge, mistyped, negative or shrunken
//! data is refused and the prices in use stay; `report` never fetches.

mod common;

use assert_cmd::Command;
use common::{root, testdata};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A connection the test server answers on: plain TCP, or TLS over it.
trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

/// Serves `files` over plain HTTP (see `serve_on`).
fn serve(files: HashMap<&'static str, Vec<u8>>) -> (String, Arc<AtomicUsize>) {
    serve_on(files, "http", |stream| Some(Box::new(stream)))
}

/// Serves `files` over HTTPS with the certificate and key `tls` holds.
fn serve_tls(files: HashMap<&'static str, Vec<u8>>, tls: Arc<rustls::ServerConfig>) -> (String, Arc<AtomicUsize>) {
    serve_on(files, "https", move |stream| {
        let connection = rustls::ServerConnection::new(tls.clone()).ok()?;
        Some(Box::new(rustls::StreamOwned::new(connection, stream)))
    })
}

/// Serves `files` by the last segment of the request path (404 otherwise), as an origin
/// or as a proxy (absolute-form requests and CONNECT); counts the requests. A file named
/// `cut-…` is a transfer cut short: the connection closes after half the bytes announced.
fn serve_on(
    files: HashMap<&'static str, Vec<u8>>,
    scheme: &str,
    wrap: impl Fn(TcpStream) -> Option<Box<dyn Conn>> + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("{scheme}://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let (files, counter, wrap) = (Arc::new(files), hits.clone(), Arc::new(wrap));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (files, counter, wrap) = (files.clone(), counter.clone(), wrap.clone());
            std::thread::spawn(move || {
                let Some(conn) = wrap(stream) else { return };
                let mut reader = BufReader::new(conn);
                loop {
                    let mut head = String::new();
                    if reader.read_line(&mut head).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        line.clear();
                    }
                    let stream = reader.get_mut();
                    if head.starts_with("CONNECT ") {
                        let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                        continue;
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let path = head.split_whitespace().nth(1).unwrap_or("");
                    let name = path.rsplit('/').next().unwrap_or("");
                    let (status, body) = match files.get(name) {
                        Some(body) => ("200 OK", body.as_slice()),
                        None => ("404 Not Found", &b"no such file"[..]),
                    };
                    let announced = if name.starts_with("cut-") { body.len() * 2 } else { body.len() };
                    let head = format!("HTTP/1.1 {status}\r\nContent-Length: {announced}\r\n\r\n");
                    let sent = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body));
                    if sent.and_then(|()| stream.flush()).is_err() || announced != body.len() {
                        return;
                    }
                }
            });
        }
    });
    (address, hits)
}

fn bundled(name: &str) -> String {
    std::fs::read_to_string(root().join("pricing").join(name)).unwrap()
}

/// The bundled genai-prices data with Claude Haiku 4.5's input at $2 (was $1), Claude 3
/// Haiku's output at $0 (was $1.25), Claude 3 Opus gone and a new model added.
fn newer_genai() -> Vec<u8> {
    let mut data: Value = serde_json::from_str(&bundled("genai-prices-v2.json")).unwrap();
    let anthropic = data.as_array_mut().unwrap().iter_mut().find(|p| p["id"] == "anthropic").unwrap();
    let models = anthropic["models"].as_array_mut().unwrap();
    let model = |models: &mut Vec<Value>, id: &str| models.iter().position(|m| m["id"] == id).unwrap();
    let i = model(models, "claude-haiku-4-5");
    models[i]["prices"]["input_mtok"] = Value::from(2);
    let i = model(models, "claude-3-haiku");
    models[i]["prices"]["output_mtok"] = Value::from(0);
    let i = model(models, "claude-3-opus-latest");
    models.remove(i);
    models.push(serde_json::json!({"id": "claude-test-9", "match": {"equals": "claude-test-9"},
        "prices": {"input_mtok": 4, "output_mtok": 20}}));
    serde_json::to_vec(&data).unwrap()
}

struct Home {
    cache: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home { cache: tempfile::tempdir().unwrap() }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut cmd = Command::cargo_bin("otelcost").unwrap();
        cmd.args(args).env("XDG_CACHE_HOME", self.cache.path());
        for proxy in ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY"] {
            cmd.env_remove(proxy);
        }
        cmd.env_remove("OTELCOST_GENAI_PRICES_URL").env_remove("OTELCOST_LITELLM_PRICES_URL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
    }

    fn update(&self, genai: &str, litellm: &str) -> (i32, String, String) {
        self.run(&["prices", "update", "--url-genai", genai, "--url-litellm", litellm], &[])
    }

    /// The report's total cost and price date.
    fn report(&self, extra: &[&str]) -> (String, String) {
        let capture = testdata("emitters/b_openllmetry/traces.jsonl");
        let mut args = vec!["report", capture.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = self.run(&args, &[]);
        assert_eq!(code, 0, "{stderr}");
        let doc: Value = serde_json::from_str(&stdout).unwrap();
        (doc["total"]["cost"].as_str().unwrap().to_string(), doc["prices_date"].as_str().unwrap().to_string())
    }

    fn kept(&self) -> Vec<String> {
        let dir = self.cache.path().join("otelcost/prices");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }
}

fn today() -> String {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

fn files() -> HashMap<&'static str, Vec<u8>> {
    let genai = newer_genai();
    let negative = String::from_utf8(genai.clone()).unwrap().replacen("\"input_mtok\":2,", "\"input_mtok\":-2,", 1);
    let shrunk: Value = serde_json::from_str(&bundled("genai-prices-v2.json")).unwrap();
    let shrunk = Value::Array(shrunk.as_array().unwrap()[..1].to_vec());
    HashMap::from([
        ("genai.json", genai.clone()),
        ("litellm.json", bundled("litellm-model-prices.json").into_bytes()),
        ("truncated.json", genai[..genai.len() / 2].to_vec()),
        ("negative.json", negative.into_bytes()),
        ("wrong-types.json", br#"[{"id": "anthropic", "models": {"claude": 3}}]"#.to_vec()),
        ("shrunk.json", serde_json::to_vec(&shrunk).unwrap()),
        // Past the 64 MiB any real price file stays far below.
        ("huge.json", [b"[".as_slice(), &vec![b' '; 65 << 20], b"]"].concat()),
    ])
}

#[test]
fn fetched_prices_are_checked_kept_and_used_until_offline() {
    let (server, hits) = serve(files());
    let home = Home::new();
    let (bundled_cost, bundled_date) = home.report(&[]);
    assert_eq!(bundled_date, "2026-11-23 (bundled)");

    let (genai, litellm) = (format!("{server}/genai.json"), format!("{server}/litellm.json"));
    let (code, stdout, stderr) = home.update(&genai, &litellm);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("1 added, 1 removed, 2 with new prices since the prices of 2026-11-23 (bundled)"),
        "{stdout}"
    );
    assert!(stdout.contains("added: genai-prices:anthropic/claude-test-9"), "{stdout}");
    assert!(stdout.contains("removed: genai-prices:anthropic/claude-3-opus-latest"), "{stdout}");
    assert!(stdout.contains("genai-prices:anthropic/claude-haiku-4-5"), "{stdout}");
    assert!(
        stderr.contains(
            "warning: price dropped to zero or removed: genai-prices:anthropic/claude-3-haiku: output 1.25 → 0"
        ),
        "{stderr}"
    );
    assert_eq!(home.kept(), ["fetched", "genai-prices-v2.json", "litellm-model-prices.json"]);

    // Two Claude Haiku 4.5 calls with 68 input tokens: $1 more per million of them.
    let (cost, date) = home.report(&[]);
    assert_eq!(date, format!("{} (fetched)", today()));
    let (cost, bundled_cost): (rust_decimal::Decimal, rust_decimal::Decimal) =
        (cost.parse().unwrap(), bundled_cost.parse().unwrap());
    assert_eq!(cost - bundled_cost, "0.000068".parse().unwrap());
    assert_eq!(home.report(&["--offline"]), (bundled_cost.to_string(), bundled_date));

    // The table says it too; `prices` uses the fetched data unless --offline.
    let capture = testdata("emitters/b_openllmetry/traces.jsonl");
    let (_, table, _) = home.run(&["report", &capture], &[]);
    assert!(table.contains(&format!("Prices of {} (fetched).", today())), "{table}");
    // Every format names the prices' date: in the document, or, for CSV (a plain table its
    // readers take whole), in the summary on stderr.
    let fetched = format!("{} (fetched)", today());
    for format in ["markdown", "html", "json", "csv"] {
        let (code, stdout, stderr) = home.run(&["report", &capture, "--format", format], &[]);
        assert_eq!(code, 0, "{stderr}");
        let (inside, outside) = if format == "csv" { (&stderr, &stdout) } else { (&stdout, &stderr) };
        assert!(inside.contains(&fetched), "{format}: {inside}");
        assert!(outside.contains(&fetched) == (format != "csv"), "{format} summary: {outside}");
    }
    let (_, shown, _) = home.run(&["prices", "show", "claude-test-9"], &[]);
    assert!(shown.contains("genai-prices:anthropic/claude-test-9"), "{shown}");
    let (_, shown, _) = home.run(&["prices", "show", "claude-test-9", "--offline"], &[]);
    assert!(shown.contains("unpriced"), "{shown}");

    // Reports never fetch, whatever the environment names.
    let before = hits.load(Ordering::SeqCst);
    let env = [("OTELCOST_GENAI_PRICES_URL", genai.as_str()), ("HTTP_PROXY", server.as_str())];
    let (code, _, _) = home.run(&["report", &capture], &env);
    assert_eq!((code, hits.load(Ordering::SeqCst)), (0, before));
}

#[test]
fn broken_or_hostile_data_is_refused_and_the_prices_in_use_stay() {
    let (server, _) = serve(files());
    let home = Home::new();
    let litellm = format!("{server}/litellm.json");
    let (code, _, stderr) = home.update(&format!("{server}/genai.json"), &litellm);
    assert_eq!(code, 0, "{stderr}");
    let kept = std::fs::read(home.cache.path().join("otelcost/prices/genai-prices-v2.json")).unwrap();
    let cases = [
        ("truncated.json", "not a genai-prices v2 file"),
        ("negative.json", "negative price"),
        ("wrong-types.json", "not a genai-prices v2 file"),
        ("shrunk.json", "entries where there were"),
        ("huge.json", "cannot fetch"),
        ("missing.json", "404"),
    ];
    for (file, why) in cases {
        let (code, stdout, stderr) = home.update(&format!("{server}/{file}"), &litellm);
        assert_eq!(code, 1, "{file}: {stdout}{stderr}");
        assert!(stderr.contains(why), "{file}: {stderr}");
        let now = std::fs::read(home.cache.path().join("otelcost/prices/genai-prices-v2.json")).unwrap();
        assert!(now == kept, "{file} replaced the kept prices");
    }
    // A LiteLLM map in place of genai-prices data (or the reverse) is refused too.
    let (code, _, stderr) = home.update(&litellm, &litellm);
    assert_eq!(code, 1, "{stderr}");
}

#[test]
fn proxies_from_the_environment_are_used() {
    let (proxy, hits) = serve(files());
    let home = Home::new();
    // Hosts that do not resolve: only the proxy can answer.
    let env = [("HTTP_PROXY", proxy.as_str())];
    let args = [
        "prices",
        "update",
        "--url-genai",
        "http://prices.invalid/genai.json",
        "--url-litellm",
        "http://prices.invalid/litellm.json",
    ];
    let (code, _, stderr) = home.run(&args, &env);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert!(Path::new(&home.cache.path().join("otelcost/prices/fetched")).is_file());
}

/// A self-signed certificate for 127.0.0.1, made here: the PEM a user would give
/// SSL_CERT_FILE, and the server's TLS configuration.
fn self_signed() -> (String, Arc<rustls::ServerConfig>) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
    (cert.pem(), Arc::new(config))
}

#[test]
fn https_trusts_the_authorities_ssl_cert_file_names_and_refuses_broken_transfers() {
    let (pem, tls) = self_signed();
    let mut files = files();
    let genai = files["genai.json"].clone();
    files.insert("cut-genai.json", genai.clone());
    // Not text at all: bytes that are no UTF-8.
    files.insert("garbage.json", (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 0x80).collect());
    let (server, hits) = serve_tls(files, tls);
    let home = Home::new();
    let ca = home.cache.path().join("test-ca.pem");
    std::fs::write(&ca, &pem).unwrap();
    let ca = ca.display().to_string();
    let update = |genai: &str, env: &[(&str, &str)]| {
        let args = ["prices", "update", "--url-genai", genai, "--url-litellm", &format!("{server}/litellm.json")];
        home.run(&args, env)
    };
    let genai_url = format!("{server}/genai.json");

    // The built-in roots do not know the test's authority: refused, nothing kept.
    let (code, _, stderr) = update(&genai_url, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot fetch") && stderr.contains("certificate"), "{stderr}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a request went through an untrusted connection");
    assert!(home.kept().is_empty());
    // SSL_CERT_FILE naming no certificate, or no file, is an error that names it.
    let not_pem = home.cache.path().join("not-pem.txt");
    std::fs::write(&not_pem, "hello").unwrap();
    let (code, _, stderr) = update(&genai_url, &[("SSL_CERT_FILE", &not_pem.display().to_string())]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("SSL_CERT_FILE") && stderr.contains("no PEM certificate"), "{stderr}");
    let (code, _, stderr) = update(&genai_url, &[("SSL_CERT_FILE", "/nonexistent/ca.pem")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("SSL_CERT_FILE /nonexistent/ca.pem"), "{stderr}");

    // Trusted through SSL_CERT_FILE: fetched, kept and used.
    let trusted = [("SSL_CERT_FILE", ca.as_str())];
    let (code, stdout, stderr) = update(&genai_url, &trusted);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("1 added, 1 removed, 2 with new prices"), "{stdout}");
    assert_eq!(home.report(&[]).1, format!("{} (fetched)", today()));
    let kept = std::fs::read(home.cache.path().join("otelcost/prices/genai-prices-v2.json")).unwrap();
    assert!(kept == genai);

    // Broken or hostile answers over HTTPS: refused, the prices in use stay.
    let cases = [
        ("cut-genai.json", "cannot fetch"),
        ("truncated.json", "not a genai-prices v2 file"),
        ("garbage.json", "cannot fetch"),
        ("huge.json", "cannot fetch"),
    ];
    for (file, why) in cases {
        let (code, stdout, stderr) = update(&format!("{server}/{file}"), &trusted);
        assert_eq!(code, 1, "{file}: {stdout}{stderr}");
        assert!(stderr.contains(why), "{file}: {stderr}");
        let now = std::fs::read(home.cache.path().join("otelcost/prices/genai-prices-v2.json")).unwrap();
        assert!(now == kept, "{file} replaced the kept prices");
    }
}

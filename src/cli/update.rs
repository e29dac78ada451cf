//! `otelcost prices update`: fetch the newest genai-prices and LiteLLM data, check it, say
//! what changed, and keep it in the cache directory, where every later run finds it.
//! Only this command goes to the network.

use super::{error, exit, Failure};
use crate::price::{snapshot, Catalog};
use clap::Args;

/// Where the two projects publish their data (their repositories' raw files).
pub const UPSTREAM: Upstream = Upstream {
    genai: "https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/data.json",
    litellm: "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json",
};

pub struct Upstream {
    pub genai: &'static str,
    pub litellm: &'static str,
}

/// Far above either file's size (a few MB); a larger answer is not price data.
const MAX_BYTES: u64 = 64 << 20;

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Where to fetch the genai-prices v2 data from.
    #[arg(long, env = "OTELCOST_GENAI_PRICES_URL", default_value = UPSTREAM.genai, value_name = "URL")]
    pub url_genai: String,
    /// Where to fetch LiteLLM's price map from.
    #[arg(long, env = "OTELCOST_LITELLM_PRICES_URL", default_value = UPSTREAM.litellm, value_name = "URL")]
    pub url_litellm: String,
}

pub fn run(args: &UpdateArgs) -> Result<i32, Failure> {
    let dir = snapshot::dir()
        .ok_or_else(|| error("no cache directory: set XDG_CACHE_HOME or HOME (or LOCALAPPDATA)".into()))?;
    let genai = fetch(&args.url_genai)?;
    let litellm = fetch(&args.url_litellm)?;
    let fetched = Catalog::from_files((&args.url_genai, &genai), (&args.url_litellm, &litellm))
        .map_err(|e| error(format!("the fetched prices were not kept: {e:#}")))?;
    // The prices in use until now: the last fetched ones, else the bundled ones.
    let current = Catalog::load(&[], false).or_else(|_| Catalog::embedded()).map_err(|e| error(format!("{e:#}")))?;
    let d = snapshot::diff(&current, &fetched);
    // A file that parses but lost most of its models is a broken publication, not news.
    if !d.shrunk.is_empty() {
        return Err(error(format!(
            "the fetched prices were not kept: {}; the current prices stay in use",
            d.shrunk.join("; ")
        )));
    }
    let date = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    snapshot::save(&dir, &genai, &litellm, &date)
        .map_err(|e| error(format!("cannot keep the prices in {}: {e}", dir.display())))?;
    println!("{}", summary(&d, current.prices_date()));
    for z in &d.zeroed {
        eprintln!("warning: price dropped to zero or removed: {z}");
    }
    println!(
        "kept in {}; every report now uses prices fetched {date} (--offline: the bundled ones of {})",
        dir.display(),
        crate::price::BUNDLED_DATE
    );
    Ok(exit::OK)
}

fn fetch(url: &str) -> Result<String, Failure> {
    // Proxies come from HTTPS_PROXY / ALL_PROXY / NO_PROXY (ureq's default configuration).
    let tls = ureq::tls::TlsConfig::builder().root_certs(root_certs()?).build();
    let config = ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(std::time::Duration::from_secs(120)))
        .user_agent(concat!("otelcost/", env!("CARGO_PKG_VERSION")))
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let failed = |e: ureq::Error| error(format!("cannot fetch {url}: {e}"));
    let mut response = agent.get(url).call().map_err(failed)?;
    response.body_mut().with_config().limit(MAX_BYTES).read_to_string().map_err(failed)
}

/// The certificate authorities HTTPS trusts: the Mozilla roots built in, or, as OpenSSL
/// and curl read it, the PEM bundle `SSL_CERT_FILE` names (a company proxy's CA, a mirror
/// with a private CA). Verification is never turned off.
fn root_certs() -> Result<ureq::tls::RootCerts, Failure> {
    use ureq::tls::{parse_pem, PemItem, RootCerts};
    let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) else {
        return Ok(RootCerts::WebPki);
    };
    let shown = std::path::Path::new(&path).display().to_string();
    let pem = std::fs::read(&path).map_err(|e| error(format!("SSL_CERT_FILE {shown}: {e}")))?;
    let mut certs = Vec::new();
    for item in parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(error(format!("SSL_CERT_FILE {shown}: {e}"))),
        }
    }
    if certs.is_empty() {
        return Err(error(format!("SSL_CERT_FILE {shown}: no PEM certificate in it")));
    }
    Ok(RootCerts::new_with_certs(&certs))
}

/// `12 entries added, 3 removed, 40 changed since 2026-11-23 (bundled)`, with the first few names.
fn summary(d: &snapshot::Diff, since: &str) -> String {
    let mut s = format!(
        "{} entries: {} added, {} removed, {} with new prices since the prices of {since}",
        d.entries_after,
        d.added.len(),
        d.removed.len(),
        d.changed.len()
    );
    for (what, names) in [("added", &d.added), ("removed", &d.removed), ("new prices", &d.changed)] {
        if names.is_empty() {
            continue;
        }
        let more = if names.len() > 10 { format!(" and {} more", names.len() - 10) } else { String::new() };
        let first: Vec<&str> = names.iter().take(10).map(String::as_str).collect();
        s.push_str(&format!("\n  {what}: {}{more}", first.join(", ")));
    }
    s
}

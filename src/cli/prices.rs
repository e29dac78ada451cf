//! `otelcost prices list|show|match`: look into the price catalog.

use super::{error, exit, write_failure, Failure};
use crate::price::{Catalog, EntryInfo, MatchExplanation};
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct PricesArgs {
    #[command(subcommand)]
    pub command: PricesCommand,

    /// Price files layered on the bundled catalog, in order: a newer genai-prices or
    /// LiteLLM JSON (replaces the bundled one), or an overrides TOML (later files win).
    #[arg(long = "prices", value_name = "FILE", global = true)]
    pub prices: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "table", global = true)]
    pub format: PricesFormat,

    /// The prices bundled in otelcost even when `otelcost prices update` fetched newer ones.
    #[arg(long, global = true)]
    pub offline: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PricesFormat {
    Table,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum PricesCommand {
    /// List catalog entries.
    List {
        /// Only this provider's entries (a catalog id like `anthropic`, or a telemetry name).
        #[arg(long)]
        provider: Option<String>,
        /// Only entries whose name contains this text.
        #[arg(long)]
        search: Option<String>,
    },
    /// The entry a model resolves to, with its price history and tiers.
    Show {
        model: String,
        /// The provider as the telemetry names it (gen_ai.provider.name / gen_ai.system).
        #[arg(long)]
        provider: Option<String>,
    },
    /// Which entry a model string matches, and why (or why none).
    Match {
        model: String,
        /// The provider as the telemetry names it (gen_ai.provider.name / gen_ai.system).
        #[arg(long)]
        provider: Option<String>,
        /// The call's server.address: picks the provider when --provider names none the
        /// catalog knows (e.g. bedrock-runtime.us-east-1.amazonaws.com).
        #[arg(long)]
        address: Option<String>,
    },
    /// Fetch the newest genai-prices and LiteLLM data (HTTPS) into your cache directory,
    /// check it, show what changed, and price with it from then on (--offline: the bundled
    /// prices). Nothing is ever fetched otherwise. Proxies from HTTPS_PROXY/ALL_PROXY/NO_PROXY;
    /// certificate authorities: the Mozilla roots built in, or the PEM bundle SSL_CERT_FILE names.
    #[cfg(feature = "update")]
    Update(super::update::UpdateArgs),
}

pub fn run(args: PricesArgs) -> Result<i32, Failure> {
    let catalog = || Catalog::load(&args.prices, args.offline).map_err(|e| error(format!("{e:#}")));
    let json = matches!(args.format, PricesFormat::Json);
    let mut out = std::io::stdout().lock();
    let text = match &args.command {
        PricesCommand::List { provider, search } => {
            let list = catalog()?.list(provider.as_deref(), search.as_deref());
            if json {
                to_json(&list)?
            } else {
                list_table(&list)
            }
        }
        PricesCommand::Show { model, provider } => {
            let (x, info) = catalog()?.show(model, provider.as_deref());
            if json {
                to_json(&serde_json::json!({ "match": x, "entry": info }))?
            } else {
                let mut s = match_text(&x);
                if let Some(info) = info {
                    s.push('\n');
                    s.push_str(&history_table(&info));
                }
                s
            }
        }
        PricesCommand::Match { model, provider, address } => {
            let x = catalog()?.explain_match_at(model, provider.as_deref(), address.as_deref());
            if json {
                to_json(&x)?
            } else {
                match_text(&x)
            }
        }
        #[cfg(feature = "update")]
        PricesCommand::Update(update) => return super::update::run(update),
    };
    writeln!(out, "{}", text.trim_end()).map_err(|e| write_failure("cannot write", &e.into()))?;
    // `show`/`match` of a model that resolves to nothing is an answer, not an error.
    Ok(exit::OK)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(v).map_err(|e| error(format!("cannot write JSON: {e}")))
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled).set_header(header);
    t
}

/// A rate with its tiers, `3 (>200000: 6)`.
fn rate(info: &crate::price::PriceInfo, k: &str) -> String {
    info.rates.get(k).map_or_else(String::new, |r| {
        let mut s = r.base.normalize().to_string();
        for (start, p) in &r.tiers {
            s.push_str(&format!(" (>{start}: {p})"));
        }
        s
    })
}

const BUCKETS: [&str; 6] = ["input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning"];

fn list_table(list: &[EntryInfo]) -> String {
    let mut t = table(&["entry", "input", "cache read", "cache write", "output", "applies", "from"]);
    for e in list {
        // The newest price set is the one listed; `show` gives the history.
        let Some(p) = e.prices.last() else { continue };
        t.add_row(vec![
            e.entry.to_string(),
            rate(p, "input"),
            rate(p, "cache_read"),
            rate(p, "cache_write_5m"),
            rate(p, "output"),
            p.applies.clone(),
            e.origin.to_string(),
        ]);
    }
    format!("{t}\n{} entries; prices in USD per million tokens", list.len())
}

fn history_table(info: &EntryInfo) -> String {
    let mut header = vec!["applies"];
    header.extend(BUCKETS);
    let mut t = table(&header);
    for p in &info.prices {
        let mut row = vec![p.applies.clone()];
        row.extend(BUCKETS.iter().map(|k| rate(p, k)));
        t.add_row(row);
    }
    format!(
        "{} ({}, {})\n{t}\nUSD per million tokens; (>N: p) is the price when a request has more than N input tokens",
        info.entry,
        info.source.name(),
        info.origin
    )
}

fn match_text(x: &MatchExplanation) -> String {
    let mut s = String::new();
    let provider = x.provider.as_deref().map(|p| format!(" (provider {p})")).unwrap_or_default();
    match &x.entry {
        Some(e) => s.push_str(&format!("{:?}{provider} → {e}\n", x.model)),
        None => s.push_str(&format!("{:?}{provider} → unpriced\n", x.model)),
    }
    s.push_str(&format!("  step: {}\n", x.step));
    if let Some(r) = &x.rule {
        s.push_str(&format!("  rule: {r}\n"));
    }
    if let Some(p) = &x.catalog_provider {
        s.push_str(&format!("  provider searched first: {p}\n"));
    }
    s.push_str(&format!("  names tried: {}\n", x.names.join(", ")));
    if !x.variants.is_empty() {
        s.push_str(&format!("  then variants: {}\n", x.variants.join(", ")));
    }
    for n in &x.notes {
        s.push_str(&format!("  note: {n}\n"));
    }
    for r in &x.rejected {
        s.push_str(&format!("  not taken: {r}\n"));
    }
    s
}

//! The price data `otelcost prices update` fetched: where it is kept, and reading it back.
//! Once fetched it is the catalog's base instead of the bundled files (`--offline` keeps
//! the bundled ones); nothing here goes to the network.

use std::path::{Path, PathBuf};

/// The two files and the day they were fetched, kept side by side.
pub const GENAI_FILE: &str = "genai-prices-v2.json";
pub const LITELLM_FILE: &str = "litellm-model-prices.json";
/// Written last: a directory without it holds no complete snapshot.
const DATE_FILE: &str = "fetched";

/// A fetched snapshot, read back.
pub struct Snapshot {
    pub dir: PathBuf,
    /// The UTC day it was fetched (`YYYY-MM-DD`).
    pub date: String,
    pub genai: String,
    pub litellm: String,
}

/// `$XDG_CACHE_HOME/otelcost/prices`, else the platform's cache directory
/// (`~/.cache`, `~/Library/Caches`, `%LOCALAPPDATA%`).
pub fn dir() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = env("XDG_CACHE_HOME").or_else(|| {
        if cfg!(windows) {
            env("LOCALAPPDATA")
        } else if cfg!(target_os = "macos") {
            env("HOME").map(|h| h.join("Library/Caches"))
        } else {
            env("HOME").map(|h| h.join(".cache"))
        }
    })?;
    Some(base.join("otelcost").join("prices"))
}

/// The fetched snapshot, if there is one; an incomplete or unreadable one is an error
/// (it would otherwise silently price with other data than the user asked for).
pub fn load() -> anyhow::Result<Option<Snapshot>> {
    let Some(dir) = dir() else { return Ok(None) };
    let date = match std::fs::read_to_string(dir.join(DATE_FILE)) {
        Ok(date) => date.trim().to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => anyhow::bail!("cannot read {}: {e}", dir.join(DATE_FILE).display()),
    };
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "the fetched prices in {} are incomplete ({name}: {e}): run `otelcost prices update` again, \
                 or use --offline for the bundled prices",
                dir.display()
            )
        })
    };
    Ok(Some(Snapshot { genai: read(GENAI_FILE)?, litellm: read(LITELLM_FILE)?, date, dir }))
}

/// Keeps a validated snapshot: each file written beside its final name and renamed into
/// place, the date last, so a reader never sees a half-written file.
pub fn save(dir: &Path, genai: &str, litellm: &str, date: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in [(GENAI_FILE, genai), (LITELLM_FILE, litellm), (DATE_FILE, date)] {
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        file.persist(dir.join(name)).map_err(|e| e.error)?;
    }
    Ok(())
}

/// What changed between two catalogs, entry by entry (the newest price set of each).
#[derive(Debug, Default)]
pub struct Diff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    /// `entry: bucket 3 → 0`: a price that was charged and is now zero or gone.
    pub zeroed: Vec<String>,
    pub entries_after: usize,
    /// `genai-prices: 36 entries where there were 1466`: a source that lost most of its
    /// entries (a broken publication rather than news).
    pub shrunk: Vec<String>,
}

pub fn diff(before: &super::Catalog, after: &super::Catalog) -> Diff {
    use std::collections::BTreeMap;
    let newest = |c: &super::Catalog| -> BTreeMap<String, super::PriceInfo> {
        c.list(None, None).into_iter().filter_map(|e| Some((e.entry.to_string(), e.prices.last()?.clone()))).collect()
    };
    let (old, new) = (newest(before), newest(after));
    let mut d = Diff { entries_after: new.len(), ..Diff::default() };
    for source in [super::Source::GenaiPrices, super::Source::Litellm] {
        let prefix = format!("{}:", source.name());
        let count = |m: &BTreeMap<String, super::PriceInfo>| m.keys().filter(|k| k.starts_with(&prefix)).count();
        let (was, now) = (count(&old), count(&new));
        if now * 2 < was {
            d.shrunk.push(format!("{}: {now} entries where there were {was}", source.name()));
        }
    }
    for (name, was) in &old {
        let Some(now) = new.get(name) else {
            d.removed.push(name.clone());
            continue;
        };
        let text = |p: &super::PriceInfo| serde_json::to_string(p).unwrap_or_default();
        if text(was) != text(now) {
            d.changed.push(name.clone());
        }
        for (bucket, rate) in &was.rates {
            let after = now.rates.get(bucket).map(|r| r.base);
            if !rate.base.is_zero() && after.is_none_or(|b| b.is_zero()) {
                let after = after.map_or("none".to_string(), |b| b.normalize().to_string());
                d.zeroed.push(format!("{name}: {bucket} {} → {after}", rate.base.normalize()));
            }
        }
    }
    d.added = new.keys().filter(|k| !old.contains_key(*k)).cloned().collect();
    d
}

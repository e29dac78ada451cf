//! The user's overrides file (TOML, see `pricing/overrides.example.toml`): aliases,
//! custom models, discounts and markups, and a fallback price.
//!
//! Prices are read exactly: a quoted decimal string (`"0.15"`), or a bare TOML number
//! whose *source text* is parsed as a decimal (the document is parsed with spans, so the
//! f64 the TOML parser makes is never used).

use super::entries::Entries;
use super::load::RawClause;
use super::matcher::Clause;
use super::rates::{parse_day, Constraint, PriceSet, Rate};
use super::{Entry, Prices, Provider, Source};
use crate::toml_file::TomlSource;
use anyhow::{anyhow, bail, Context};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use toml_edit::{Document, Item, Table, Value};

#[derive(Debug)]
pub(crate) struct Alias {
    pub target: String,
    pub provider: Option<String>,
    pub origin: String,
}

/// A negotiated discount (negative percent) or markup (positive) on list prices.
#[derive(Debug)]
pub(crate) struct Adjustment {
    /// Catalog provider id (or the name as written when it is none).
    pub provider: Option<String>,
    /// Entry model id, lowercase; a trailing `*` makes it a prefix.
    pub model: Option<String>,
    pub percent: Decimal,
    pub start_day: Option<i64>,
    pub end_day: Option<i64>,
}

impl Adjustment {
    /// More specific adjustments win: model and provider, then model, then provider.
    pub(crate) fn specificity(&self) -> u8 {
        u8::from(self.model.is_some()) * 2 + u8::from(self.provider.is_some())
    }

    pub(crate) fn applies(&self, provider: &str, call_provider: Option<&str>, model: &str, day: i64) -> bool {
        let model_ok = self.model.as_deref().is_none_or(|m| match m.strip_suffix('*') {
            Some(pre) => model.starts_with(pre),
            None => model == m,
        });
        let provider_ok = self.provider.as_deref().is_none_or(|p| p == provider || Some(p) == call_provider);
        model_ok && provider_ok && self.start_day.is_none_or(|s| day >= s) && self.end_day.is_none_or(|e| day < e)
    }
}

/// Everything the user's files add, layered in file order.
#[derive(Debug, Default)]
pub(crate) struct UserLayer {
    pub aliases: HashMap<String, Alias>,
    /// Custom models grouped by file and provider scope (`None`: any provider), in file order.
    pub models: Vec<(Option<String>, Provider)>,
    pub adjustments: Vec<Adjustment>,
    pub fallback: Option<usize>,
}

impl TomlSource<'_> {
    fn decimal(&self, key: &str, v: &Value) -> anyhow::Result<Decimal> {
        let at = self.line(v.span());
        let text = match v {
            Value::String(s) => s.value().trim().to_string(),
            // The number's own text, not the f64 the parser made of it.
            Value::Integer(_) | Value::Float(_) => {
                let span = v.span().ok_or_else(|| anyhow!("{at}: {key}: cannot read the number's text"))?;
                self.text.get(span).unwrap_or("").trim().replace('_', "")
            }
            _ => bail!("{at}: {key} must be a number or a decimal string like \"0.15\""),
        };
        let d = Decimal::from_str_exact(&text)
            .or_else(|_| Decimal::from_scientific(&text.to_ascii_lowercase()))
            .map_err(|_| anyhow!("{at}: {key} = {text:?} is not a decimal number"))?;
        // Bounded so that no sum of costs can overflow a decimal (see price::MAX_PRICE).
        if d.abs() > Decimal::from(super::MAX_PRICE) {
            bail!("{at}: {key} = {text} is beyond {}, the largest price or percent otelcost takes", super::MAX_PRICE);
        }
        Ok(d.normalize())
    }

    fn string(&self, t: &Table, key: &str) -> anyhow::Result<Option<String>> {
        match t.get(key) {
            None => Ok(None),
            Some(Item::Value(Value::String(s))) => Ok(Some(s.value().trim().to_string())),
            Some(other) => bail!("{}: {key} must be a string", self.line(other.span())),
        }
    }

    fn day(&self, t: &Table, key: &str) -> anyhow::Result<Option<i64>> {
        let Some(s) = self.string(t, key)? else { return Ok(None) };
        let at = self.line(t.get(key).and_then(Item::span));
        parse_day(&s).map(Some).ok_or_else(|| anyhow!("{at}: {key} = {s:?} is not a date like 2026-01-31"))
    }

    /// The genai-prices per-Mtok price fields of a table.
    fn price_set(&self, t: &Table, what: &str) -> anyhow::Result<PriceSet> {
        let rate = |k: &str| -> anyhow::Result<Option<Rate>> {
            match t.get(k) {
                None => Ok(None),
                Some(Item::Value(v)) => Ok(Some(Rate::Flat(self.decimal(k, v)?))),
                Some(i) => bail!("{}: {k} must be a number", self.line(i.span())),
            }
        };
        let set = PriceSet {
            input: rate("input_mtok")?,
            cache_read: rate("cache_read_mtok")?,
            cache_write: rate("cache_write_mtok")?,
            cache_write_1h: rate("cache_write_1h_mtok")?,
            output: rate("output_mtok")?,
            reasoning: rate("output_reasoning_mtok")?,
            requests: None,
        };
        if set == PriceSet::default() {
            bail!(
                "{}: {what} has no prices: set input_mtok, output_mtok, … (USD per million tokens)",
                self.line(t.span())
            );
        }
        Ok(set)
    }

    fn check_keys(&self, t: &Table, allowed: &[&str], what: &str) -> anyhow::Result<()> {
        for (k, v) in t.iter() {
            if !allowed.contains(&k) {
                bail!("{}: unknown key {k:?} in {what}; allowed: {}", self.line(v.span()), allowed.join(", "));
            }
        }
        Ok(())
    }
}

const PRICE_KEYS: &[&str] = &[
    "input_mtok",
    "cache_read_mtok",
    "cache_write_mtok",
    "cache_write_1h_mtok",
    "output_mtok",
    "output_reasoning_mtok",
];

/// A TOML value as JSON, to reuse the genai-prices clause syntax for `match`.
fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::String(s) => serde_json::Value::String(s.value().clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(to_json).collect()),
        Value::InlineTable(t) => t.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect(),
        Value::Boolean(b) => serde_json::Value::Bool(*b.value()),
        _ => serde_json::Value::Null,
    }
}

fn tables<'a>(doc: &'a Table, key: &str, ctx: &TomlSource) -> anyhow::Result<Vec<&'a Table>> {
    match doc.get(key) {
        None => Ok(Vec::new()),
        Some(Item::ArrayOfTables(a)) => Ok(a.iter().collect()),
        Some(Item::Table(t)) => Ok(vec![t]),
        Some(i) => bail!("{}: {key} must be written [[{key}]]", ctx.line(i.span())),
    }
}

/// Apply one overrides file on top of `layer`. `provider_key` maps a provider name to the
/// catalog's id for it.
pub(crate) fn load_toml(
    file: &str,
    text: &str,
    entries: &mut Entries,
    layer: &mut UserLayer,
    provider_key: &dyn Fn(&str) -> String,
) -> anyhow::Result<()> {
    let doc = Document::parse(text).map_err(|e| anyhow!("{file}: not a valid TOML overrides file: {e}"))?;
    let ctx = TomlSource { file, text };
    let root = doc.as_table();
    ctx.check_keys(root, &["aliases", "model", "adjust", "fallback"], "the file")?;
    let origin: Arc<str> = Arc::from(file);

    if let Some(item) = root.get("aliases") {
        let t = item.as_table().ok_or_else(|| anyhow!("{}: [aliases] must be a table", ctx.line(item.span())))?;
        for (from, v) in t.iter() {
            let at = ctx.line(v.span());
            let (target, provider) = match v {
                Item::Value(Value::String(s)) => (s.value().clone(), None),
                Item::Value(Value::InlineTable(it)) => {
                    let get = |k| it.get(k).and_then(Value::as_str).map(str::to_string);
                    let m = get("model").ok_or_else(|| anyhow!("{at}: alias {from:?} needs model = \"…\""))?;
                    (m, get("provider").map(|p| p.to_lowercase()))
                }
                _ => bail!("{at}: alias {from:?} must be \"model\" or {{ model = \"…\", provider = \"…\" }}"),
            };
            layer.aliases.insert(from.trim().to_lowercase(), Alias { target, provider, origin: at });
        }
    }

    // Custom models: blocks with the same id and provider form one dated price history.
    struct Custom {
        scope: Option<String>,
        id: String,
        clause: Clause,
        /// (start day, start date as written, prices)
        history: Vec<(Option<i64>, Arc<str>, PriceSet)>,
    }
    let mut new: Vec<Custom> = Vec::new();
    for t in tables(root, "model", &ctx)? {
        let mut allowed = vec!["id", "provider", "match", "start_date"];
        allowed.extend_from_slice(PRICE_KEYS);
        ctx.check_keys(t, &allowed, "[[model]]")?;
        let at = ctx.line(t.span());
        let id = ctx.string(t, "id")?.ok_or_else(|| anyhow!("{at}: [[model]] needs id = \"…\""))?;
        let scope = ctx.string(t, "provider")?.map(|p| provider_key(&p));
        let clause = match t.get("match") {
            None => Clause::Equals(id.to_lowercase()),
            Some(Item::Value(v)) => {
                let raw: RawClause = serde_json::from_value(to_json(v)).map_err(|e| {
                    anyhow!("{}: match: {e}; write e.g. {{ starts_with = \"my-model\" }}", ctx.line(v.span()))
                })?;
                let clause = Clause::compile(raw).with_context(|| ctx.line(v.span()))?;
                clause.check().with_context(|| ctx.line(v.span()))?;
                clause
            }
            Some(i) => bail!("{}: match must be an inline table like {{ equals = \"…\" }}", ctx.line(i.span())),
        };
        let start = ctx.day(t, "start_date")?;
        let date: Arc<str> = Arc::from(ctx.string(t, "start_date")?.unwrap_or_default());
        let set = ctx.price_set(t, &format!("model {id:?}"))?;
        match new.iter_mut().find(|m| m.scope == scope && m.id == id) {
            Some(m) => m.history.push((start, date, set)),
            None => new.push(Custom { scope, id, clause, history: vec![(start, date, set)] }),
        }
    }
    let mut file_models: Vec<(Option<String>, Provider)> = Vec::new();
    for Custom { scope, id, clause, mut history } in new {
        // Undated first, then by date: the last active set applies.
        history.sort_by_key(|h| h.0);
        let prices = Prices::Parsed(
            history
                .into_iter()
                .map(|(start, date, set)| match start {
                    Some(day) => (Constraint::StartDay { day, date }, set),
                    None => (Constraint::Always, set),
                })
                .collect(),
        );
        let provider: Arc<str> = Arc::from(scope.as_deref().unwrap_or("user"));
        let idx = entries.push(Entry {
            name: Arc::from(format!("user:{provider}/{id}")),
            source: Source::User,
            provider,
            id: Arc::from(id.as_str()),
            origin: origin.clone(),
            prices,
            service_tiers: Vec::new(),
            tier_prices: OnceLock::new(),
        });
        let p = match file_models.iter_mut().position(|(s, _)| *s == scope) {
            Some(i) => &mut file_models[i].1,
            None => {
                file_models.push((scope.clone(), Provider::empty(scope.as_deref().unwrap_or("user"))));
                &mut file_models.last_mut().expect("just pushed").1
            }
        };
        match clause {
            Clause::Equals(s) => {
                p.exact.insert(s, idx);
            }
            c => p.rules.push((c, idx)),
        }
    }
    // Searched newest file first (`UserLayer::models` is in file order).
    layer.models.extend(file_models);

    for t in tables(root, "adjust", &ctx)? {
        ctx.check_keys(t, &["provider", "model", "percent", "start_date", "end_date"], "[[adjust]]")?;
        let at = ctx.line(t.span());
        let percent = match t.get("percent") {
            Some(Item::Value(v)) => ctx.decimal("percent", v)?,
            _ => bail!("{at}: [[adjust]] needs percent = -10 (a discount) or 5 (a markup)"),
        };
        if percent < Decimal::from(-100) {
            bail!("{at}: percent {percent} would make prices negative");
        }
        let provider = ctx.string(t, "provider")?.map(|p| provider_key(&p));
        let model = ctx.string(t, "model")?.map(|m| m.to_lowercase());
        layer.adjustments.push(Adjustment {
            provider,
            model,
            percent,
            start_day: ctx.day(t, "start_date")?,
            end_day: ctx.day(t, "end_date")?,
        });
    }

    if let Some(item) = root.get("fallback") {
        let t = item.as_table().ok_or_else(|| anyhow!("{}: [fallback] must be a table", ctx.line(item.span())))?;
        ctx.check_keys(t, PRICE_KEYS, "[fallback]")?;
        let set = ctx.price_set(t, "[fallback]")?;
        layer.fallback = Some(entries.push(Entry {
            name: Arc::from("user:fallback"),
            source: Source::User,
            provider: Arc::from("user"),
            id: Arc::from("fallback"),
            origin,
            prices: Prices::Parsed(vec![(Constraint::Always, set)]),
            service_tiers: Vec::new(),
            tier_prices: OnceLock::new(),
        }));
    }
    Ok(())
}

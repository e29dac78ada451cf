//! The meter table: how LLM token charges are found in FOCUS exports' free text (see
//! `meters.toml`, whose comments are the documentation; users extend it with `--meters`).

use super::{token_class, Class};
use regex::Regex;

static BUILT_IN: &str = include_str!("meters.toml");

/// The text columns tried, in order.
pub const TEXT_COLUMNS: [&str; 5] =
    ["x_UsageType", "SkuMeter", "x_SkuMeterName", "ChargeDescription", "x_SkuDescription"];

struct Meter {
    provider: String,
    pattern: Regex,
    class: Option<String>,
    tier: Option<String>,
}

struct Rewrite {
    pattern: Regex,
    replace: String,
}

pub struct Meters {
    meters: Vec<Meter>,
    rewrites: Vec<Rewrite>,
}

/// What a meter made of a row's text.
#[derive(Debug, PartialEq)]
pub struct Recognised {
    pub provider: String,
    pub model: Option<String>,
    pub class: Class,
    pub tier: String,
}

impl Meters {
    /// The built-in table, after the user's tables (tried first).
    pub fn load(user: &[std::path::PathBuf]) -> Result<Meters, String> {
        let mut m = Meters { meters: Vec::new(), rewrites: Vec::new() };
        for path in user {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            m.add(&path.display().to_string(), &text)?;
        }
        m.add("built-in meters.toml", BUILT_IN)?;
        Ok(m)
    }

    fn add(&mut self, file: &str, text: &str) -> Result<(), String> {
        let doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{file}: not TOML: {e}"))?;
        let str_of = |t: &toml_edit::Table, key: &str| t.get(key).and_then(|v| v.as_str()).map(String::from);
        let regex = |at: String, text: Option<String>| -> Result<Regex, String> {
            let text = text.ok_or_else(|| format!("{at}: `match` is missing"))?;
            Regex::new(&format!("(?i){text}")).map_err(|e| format!("{at}: `match` is not a regular expression: {e}"))
        };
        if let Some(list) = doc.get("meter").and_then(|v| v.as_array_of_tables()) {
            for (i, t) in list.iter().enumerate() {
                let at = format!("{file}: [[meter]] {}", i + 1);
                self.meters.push(Meter {
                    provider: str_of(t, "provider").ok_or_else(|| format!("{at}: `provider` is missing"))?,
                    pattern: regex(at, str_of(t, "match"))?,
                    class: str_of(t, "class"),
                    tier: str_of(t, "tier"),
                });
            }
        }
        if let Some(list) = doc.get("model").and_then(|v| v.as_array_of_tables()) {
            for (i, t) in list.iter().enumerate() {
                let at = format!("{file}: [[model]] {}", i + 1);
                let replace = str_of(t, "replace").ok_or_else(|| format!("{at}: `replace` is missing"))?;
                self.rewrites.push(Rewrite { pattern: regex(at, str_of(t, "match"))?, replace });
            }
        }
        Ok(())
    }

    /// The first meter that matches one of `texts` (in `TEXT_COLUMNS` order, each `None`
    /// when the row has no such column); `usage_type` decides `from-usage-type` classes.
    pub fn recognise(&self, texts: &[Option<&str>]) -> Option<Recognised> {
        let usage_type = texts.first().copied().flatten().unwrap_or("");
        for meter in &self.meters {
            for text in texts.iter().flatten() {
                let Some(caps) = meter.pattern.captures(text) else { continue };
                let class = match meter.class.as_deref() {
                    Some("charge") => Class::charge_from_text(text).unwrap_or(Class::OtherCharge),
                    Some("from-usage-type") => token_class(usage_type)?,
                    Some(fixed) => token_class(fixed)?,
                    None => token_class(caps.name("class")?.as_str())?,
                };
                let tier = meter
                    .tier
                    .clone()
                    .or_else(|| caps.name("tier").map(|t| t.as_str().trim().to_string()))
                    .map_or("standard".to_string(), |t| crate::model::ServiceTier::parse(&t).name().to_string());
                let model = caps.name("model").map(|m| self.rewrite(m.as_str().trim()));
                return Some(Recognised { provider: meter.provider.clone(), model, class, tier });
            }
        }
        None
    }

    fn rewrite(&self, model: &str) -> String {
        let mut m = model.to_string();
        for r in &self.rewrites {
            m = r.pattern.replace(&m, r.replace.as_str()).into_owned();
        }
        m.to_lowercase().split_whitespace().collect::<Vec<_>>().join("-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Option<Recognised> {
        Meters::load(&[]).unwrap().recognise(&[Some(text)])
    }

    fn r(provider: &str, model: &str, class: Class, tier: &str) -> Option<Recognised> {
        Some(Recognised { provider: provider.into(), model: Some(model.into()), class, tier: tier.into() })
    }

    /// The example strings of the shared reference (bills/*_examples.txt, *_descriptions.txt).
    #[test]
    fn reference_examples() {
        assert_eq!(one("USE1-Claude4.6Sonnet-input-tokens"), r("aws", "claude-sonnet-4-6", Class::Input, "standard"));
        assert_eq!(
            one("USE1-Claude4.6Sonnet-cache-read-input-token-count"),
            r("aws", "claude-sonnet-4-6", Class::CacheRead, "standard")
        );
        assert_eq!(one("USE1-Nova2.0Lite-input-tokens-flex"), r("aws", "nova2.0lite", Class::Input, "flex"));
        assert_eq!(
            one("USE1-gpt-oss-120b-output-tokens-priority"),
            r("aws", "gpt-oss-120b", Class::Output, "priority")
        );
        assert_eq!(
            one("USE1-Claude4.6Opus-input-tokens-cross-region-global"),
            r("aws", "claude-opus-4-6", Class::Input, "standard")
        );
        assert_eq!(one("gpt 4.1 cached Inp glbl Tokens"), r("azure", "gpt-4.1", Class::CacheRead, "standard"));
        assert_eq!(one("gpt 4.1 mini Inp glbl Tokens"), r("azure", "gpt-4.1-mini", Class::Input, "standard"));
        assert_eq!(one("GPT 5 Mini outpt Glbl 1M Tokens"), r("azure", "gpt-5-mini", Class::Output, "standard"));
        assert_eq!(one("gpt-4o-0513 Inp glbl Tokens"), r("azure", "gpt-4o-0513", Class::Input, "standard"));
        assert_eq!(
            one("Gemini 2.5 Flash Text Input - Predictions"),
            r("google", "gemini-2.5-flash", Class::Input, "standard")
        );
        assert_eq!(
            one("Gemini 2.5 Flash Text Input - Batch Predictions"),
            r("google", "gemini-2.5-flash", Class::Input, "batch")
        );
        assert_eq!(
            one("Gemini 2.5 Flash Thinking Text Output - Predictions"),
            r("google", "gemini-2.5-flash", Class::Output, "standard")
        );
        assert_eq!(
            one("Gemini 3 Flash Text Input Caching"),
            r("google", "gemini-3-flash", Class::CacheRead, "standard")
        );
        assert_eq!(one("Gemini 2.5 Flash Input Text Caching Storage").map(|r| r.class), Some(Class::Storage));
        // Marketplace: the model from the product name, the token type from the usage type.
        let m = Meters::load(&[]).unwrap();
        let got = m.recognise(&[
            Some("USE1-MP:USE1_OutputTokenCount-Units"),
            None,
            None,
            Some("Claude Sonnet 4.5 (Amazon Bedrock Edition)"),
        ]);
        assert_eq!(got, r("aws", "claude-sonnet-4-5", Class::Output, "standard"));
        assert_eq!(one("Virtual Machines D2s v3"), None);
    }
}

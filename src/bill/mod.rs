//! Provider bills and usage exports, read into one row shape so that `compare-bill` can
//! hold the telemetry's estimate against what was actually billed.
//!
//! One module per format family, each recognised by content (never by file name):
//! - `openai`: the Costs API and Usage API responses (pages of buckets, as saved);
//! - `anthropic`: the Admin API `cost_report` and `usage_report/messages`, and the
//!   Analytics API `analytics/cost` and `analytics/usage` rows;
//! - `focus`: a FinOps FOCUS 1.x dataset (CSV; Parquet with the `parquet` feature) as AWS,
//!   Azure and Google Cloud export it, LLM rows found through the meter table (`meters.rs`).
//!
//! Money is parsed from its text (JSON number literals included) into `Decimal`; days are
//! UTC dates taken from each row's own bucket start.

pub mod anthropic;
pub mod compare;
pub mod focus;
pub mod meters;
pub mod openai;

use rust_decimal::Decimal;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// What a bill row (or a share of a telemetry call) is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Uncached input tokens.
    Input,
    CacheRead,
    CacheWrite5m,
    CacheWrite1h,
    /// Output tokens, reasoning included.
    Output,
    /// A per-request fee.
    Request,
    /// Money the bill does not break down (a Costs API page not grouped by line item).
    Unitemised,
    WebSearch,
    CodeExecution,
    Storage,
    Image,
    Audio,
    Tax,
    /// Anything else billed that is not tokens (fine-tuning, sessions, support…).
    OtherCharge,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Input => "input",
            Class::CacheRead => "cache_read",
            Class::CacheWrite5m => "cache_write_5m",
            Class::CacheWrite1h => "cache_write_1h",
            Class::Output => "output",
            Class::Request => "request",
            Class::Unitemised => "unitemised",
            Class::WebSearch => "web_search",
            Class::CodeExecution => "code_execution",
            Class::Storage => "storage",
            Class::Image => "image",
            Class::Audio => "audio",
            Class::Tax => "tax",
            Class::OtherCharge => "other_charge",
        }
    }

    /// Token classes: what telemetry can explain.
    pub fn is_tokens(self) -> bool {
        matches!(self, Class::Input | Class::CacheRead | Class::CacheWrite5m | Class::CacheWrite1h | Class::Output)
    }

    /// The input-side token classes, between which cache accounting moves tokens.
    pub fn is_input_side(self) -> bool {
        matches!(self, Class::Input | Class::CacheRead | Class::CacheWrite5m | Class::CacheWrite1h)
    }

    /// A charge named in free text (a line item, a cost type, a meter): the non-token
    /// kinds by keyword, `None` when the text names none of them.
    pub fn charge_from_text(text: &str) -> Option<Class> {
        let t = text.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
        Some(if has(&["web search", "web_search", "websearch", "search tool", "grounding"]) {
            Class::WebSearch
        } else if has(&["code execution", "code_execution", "code interpreter", "code_interpreter", "session"]) {
            Class::CodeExecution
        } else if has(&["storage", "vector store", "vector_store", "file search", "file_search"]) {
            Class::Storage
        } else if has(&["image", "dall-e", "dall·e"]) {
            Class::Image
        } else if has(&["audio", "speech", "transcription", "tts", "whisper"]) {
            Class::Audio
        } else if has(&["tax", "vat"]) {
            Class::Tax
        } else {
            return None;
        })
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which export a row came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    OpenaiCosts,
    OpenaiUsage,
    AnthropicCostReport,
    AnthropicUsageReport,
    AnthropicAnalyticsCost,
    AnthropicAnalyticsUsage,
    Focus,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::OpenaiCosts => "OpenAI Costs API",
            Kind::OpenaiUsage => "OpenAI Usage API",
            Kind::AnthropicCostReport => "Anthropic cost_report",
            Kind::AnthropicUsageReport => "Anthropic usage_report/messages",
            Kind::AnthropicAnalyticsCost => "Anthropic analytics/cost",
            Kind::AnthropicAnalyticsUsage => "Anthropic analytics/usage",
            Kind::Focus => "FinOps FOCUS",
        }
    }
}

/// The scopes a bill row can carry, each matched to a telemetry dimension by `--scope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScopeField {
    /// OpenAI `project_id`.
    Project,
    /// OpenAI and Anthropic `api_key_id`.
    ApiKey,
    /// Anthropic `workspace_id`.
    Workspace,
    /// FOCUS `SubAccountId` (AWS account, Azure subscription, Google project).
    SubAccount,
}

/// One line of a bill, normalised.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BillRow {
    pub kind: Option<Kind>,
    /// The UTC day the charge is for.
    pub day: String,
    /// The provider as the bill names it (`openai`, `anthropic`, `aws`, `azure`, `google`).
    pub provider: String,
    /// The model as billed, when the row names one.
    pub model: Option<String>,
    pub class: Option<Class>,
    /// Service tier as billed (`standard` when the bill does not say).
    pub tier: String,
    pub project: Option<String>,
    pub api_key: Option<String>,
    pub workspace: Option<String>,
    pub sub_account: Option<String>,
    /// Money in USD; `None` for a usage export (tokens only).
    pub amount: Option<Decimal>,
    /// Tokens (or for a charge, its quantity in its own unit) when the row says.
    pub quantity: Option<u64>,
    /// Where the row is, for messages: `file: bucket 3, result 2`.
    pub location: String,
}

impl BillRow {
    pub fn scope(&self, field: ScopeField) -> Option<&str> {
        match field {
            ScopeField::Project => self.project.as_deref(),
            ScopeField::ApiKey => self.api_key.as_deref(),
            ScopeField::Workspace => self.workspace.as_deref(),
            ScopeField::SubAccount => self.sub_account.as_deref(),
        }
    }
}

/// A bill file read: its rows and which export it was.
#[derive(Debug)]
pub struct Bill {
    pub file: String,
    pub kind: Kind,
    pub rows: Vec<BillRow>,
    /// What was left out of the file, for stderr.
    pub notes: Vec<String>,
}

/// What each reader expects, for the error on a file in none of the shapes.
pub const EXPECTED: &str = "expected an OpenAI Costs or Usage API response (pages of buckets), an Anthropic \
cost_report, usage_report/messages or analytics cost/usage response, or a FinOps FOCUS 1.x dataset \
(CSV with BilledCost and ChargePeriodStart columns, or Parquet)";

/// Reads a bill file, recognising its format by content.
pub fn read(path: &Path, meters: &meters::Meters) -> Result<Bill, String> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("{file}: cannot read: {e}"))?;
    if bytes.starts_with(b"PAR1") {
        return focus::read_parquet(&file, &bytes, meters);
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| format!("{file}: not UTF-8 text; {EXPECTED}"))?;
    let text = text.trim_start_matches('\u{feff}');
    let first = text.trim_start().chars().next();
    if matches!(first, Some('{' | '[')) {
        let docs = json_documents(text).map_err(|e| format!("{file}: not JSON ({e}); {EXPECTED}"))?;
        if let Some(bill) = openai::read(&file, &docs)? {
            return Ok(bill);
        }
        if let Some(bill) = anthropic::read(&file, &docs)? {
            return Ok(bill);
        }
        return Err(format!("{file}: JSON, but not a bill export otelcost knows; {EXPECTED}"));
    }
    if let Some(bill) = focus::read_csv(&file, text, meters)? {
        return Ok(bill);
    }
    Err(format!("{file}: not a bill export otelcost knows; {EXPECTED}"))
}

/// The JSON documents of a saved response: one document, pages one after another (JSON
/// lines), or an array of pages. Kept as raw text so that numbers keep their literal.
fn json_documents(text: &str) -> Result<Vec<&serde_json::value::RawValue>, serde_json::Error> {
    let mut docs = Vec::new();
    for doc in serde_json::Deserializer::from_str(text).into_iter::<&serde_json::value::RawValue>() {
        let doc = doc?;
        if doc.get().trim_start().starts_with('[') {
            docs.extend(serde_json::from_str::<Vec<&serde_json::value::RawValue>>(doc.get())?);
        } else {
            docs.push(doc);
        }
    }
    Ok(docs)
}

/// A decimal from a number's literal text (`0.06`, `1e-7`, `"123.45"`), never via f64.
pub fn decimal(text: &str) -> Option<Decimal> {
    let t = text.trim().trim_matches('"');
    Decimal::from_str(t).ok().or_else(|| Decimal::from_scientific(t).ok())
}

/// The UTC date of a Unix time in seconds.
pub fn day_of_unix(seconds: i64) -> Option<String> {
    Some(jiff::Timestamp::from_second(seconds).ok()?.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
}

/// The UTC date of an RFC 3339 time (or of a bare date).
pub fn day_of_rfc3339(text: &str) -> Option<String> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts.to_zoned(jiff::tz::TimeZone::UTC).date().to_string());
    }
    // FOCUS exports also write `2026-11-23 00:00:00` (UTC by the spec) or a bare date.
    let date = text.get(..10)?.parse::<jiff::civil::Date>().ok()?;
    Some(date.to_string())
}

/// A token class from a token-type name as the providers write it.
pub fn token_class(text: &str) -> Option<Class> {
    let t = text.trim().to_ascii_lowercase().replace(['_', '-', '.'], " ");
    let has = |w: &str| t.contains(w);
    Some(if has("cache creation") || has("cache write") || has("cache writ") {
        if has("1h") || has("12h") {
            Class::CacheWrite1h
        } else {
            Class::CacheWrite5m
        }
    } else if has("uncached") || has("non cached") {
        Class::Input
    } else if has("cache read") || has("cached") || has("cache hit") || has("caching") && !has("storage") {
        Class::CacheRead
    } else if has("output") || has("outp") || has("completion") || has("reasoning") {
        Class::Output
    } else if has("input") || has("inp") || has("prompt") {
        Class::Input
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_from_literals() {
        assert_eq!(decimal("0.06").unwrap().to_string(), "0.06");
        assert_eq!(decimal("\"123.78912\"").unwrap().to_string(), "123.78912");
        assert_eq!(decimal("1e-7").unwrap().to_string(), "0.0000001");
        // Digits an f64 would not keep, kept exactly.
        assert_eq!(decimal("0.30000000000000004").unwrap().to_string(), "0.30000000000000004");
        assert_eq!(decimal("12345678.123456789012").unwrap().to_string(), "12345678.123456789012");
        assert!(decimal("abc").is_none());
    }

    #[test]
    fn days_are_utc() {
        assert_eq!(day_of_unix(1_730_419_200).unwrap(), "2024-11-01");
        assert_eq!(day_of_rfc3339("2025-08-01T23:30:00-02:00").unwrap(), "2025-08-02");
        assert_eq!(day_of_rfc3339("2026-11-23 00:00:00").unwrap(), "2026-11-23");
    }

    #[test]
    fn token_classes_by_name() {
        for (text, class) in [
            ("uncached_input_tokens", Class::Input),
            ("cache_read_input_tokens", Class::CacheRead),
            ("cache_creation.ephemeral_5m_input_tokens", Class::CacheWrite5m),
            ("cache_creation.ephemeral_1h_input_tokens", Class::CacheWrite1h),
            ("output_tokens", Class::Output),
            ("cached input", Class::CacheRead),
            ("input", Class::Input),
        ] {
            assert_eq!(token_class(text), Some(class), "{text}");
        }
        assert_eq!(token_class("Image models"), None);
    }
}

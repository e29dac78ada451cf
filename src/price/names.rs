//! The names a telemetry model string may stand for. A string rarely equals a catalog id:
//! it carries an address (ARN, Vertex resource path, `provider/` prefix), a region
//! (Bedrock `us.`), a vendor (`anthropic.`), a version (`-v1:0`, `@20250929`) or another
//! separator (`4.5` for `4-5`). `primary` names are the same string with the address
//! removed; `variants` drop qualifiers or swap separators and are only tried when no
//! primary name matches anywhere.

use std::sync::OnceLock;

use regex::Regex;

#[derive(Debug, Default)]
pub(crate) struct Names {
    pub primary: Vec<String>,
    pub variants: Vec<String>,
    /// A provider implied by the form of the string (`arn:aws:bedrock` → aws), or the
    /// `prefix/` it carried; mapped to a catalog provider by the caller.
    pub hint: Option<String>,
    /// How the names were derived, for explanations.
    pub notes: Vec<String>,
    /// For a cloud platform's id of a vendor's model (Bedrock `us.anthropic.claude-…-v1:0`):
    /// the vendor and its own name for the model (`anthropic`, `claude-…`).
    pub vendor_model: Option<(String, String)>,
}

fn push(v: &mut Vec<String>, s: &str) {
    if !s.is_empty() && !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// Bedrock's geo prefixes (genai-prices ids say `regional.`) and the vendors it serves.
const BEDROCK_GEOS: &[&str] = &["us", "eu", "apac", "au", "jp", "ca", "global", "us-gov", "regional"];
const BEDROCK_VENDORS: &[&str] = &[
    "anthropic",
    "meta",
    "amazon",
    "mistral",
    "cohere",
    "ai21",
    "deepseek",
    "openai",
    "qwen",
    "writer",
    "twelvelabs",
    "moonshot",
    "moonshotai",
    "minimax",
    "nvidia",
    "google",
    "stability",
];

/// Bedrock model ids: optional geo prefix, vendor, model, optional `-vN[:M]` / `:M`.
/// `None` without compiling it for a name that cannot be one (its first dot-separated
/// part is no geo nor vendor): compiling it is a large part of a small report's run.
fn bedrock_captures(s: &str) -> Option<regex::Captures<'_>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let head = s.split('.').next().unwrap_or_default();
    if !BEDROCK_GEOS.contains(&head) && !BEDROCK_VENDORS.contains(&head) {
        return None;
    }
    let re = RE.get_or_init(|| {
        let (geos, vendors) = (BEDROCK_GEOS.join("|"), BEDROCK_VENDORS.join("|"));
        Regex::new(&format!(r"^(?:({geos})\.)?({vendors})\.([a-z0-9][a-z0-9._-]*?)(-v\d+(?::\d+)?|:\d+)?$"))
            .expect("static regex")
    });
    re.captures(s)
}

/// `4.5` ↔ `4-5` between single digits (`claude-3.5-sonnet`, `claude-sonnet-4.5`,
/// `gpt-4-1`); dates and multi-digit numbers are left alone.
fn separator_variant(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = b.to_vec();
    let mut changed = false;
    for i in 1..b.len().saturating_sub(1) {
        let single = |j: usize, dir: isize| {
            let k = j as isize + dir;
            b[j].is_ascii_digit() && (k < 0 || k as usize >= b.len() || !b[k as usize].is_ascii_digit())
        };
        if (b[i] == b'.' || b[i] == b'-') && single(i - 1, -1) && single(i + 1, 1) {
            out[i] = if b[i] == b'.' { b'-' } else { b'.' };
            changed = true;
        }
    }
    changed.then(|| String::from_utf8(out).ok()).flatten()
}

/// Derive the names of `full` (already trimmed and lowercased). `is_provider` says whether
/// a `prefix/` names a known provider.
pub(crate) fn names_for(full: &str, is_provider: &dyn Fn(&str) -> bool) -> Names {
    let mut n = Names::default();
    push(&mut n.primary, full);
    let mut s = full.to_string();

    // Bedrock ARN: `arn:aws:bedrock:<region>:<account>:<kind>/<id>`.
    if s.starts_with("arn:") && s.contains(":bedrock:") {
        if let Some((kind, id)) = s.splitn(6, ':').nth(5).and_then(|t| t.split_once('/')) {
            n.hint = Some("aws".into());
            if kind == "application-inference-profile" || kind == "provisioned-model" {
                n.notes.push(format!("ARN of an {kind}: its id {id:?} does not name a model; add an alias"));
            } else {
                n.notes.push(format!("Bedrock ARN ({kind}): model id {id:?}"));
            }
            s = id.to_string();
            push(&mut n.primary, &s);
        }
    }
    // Vertex resource name `projects/…/publishers/<p>/models/<id>`; Gemini API `models/<id>`.
    if let Some(i) = s.find("publishers/") {
        if let Some(j) = s[i..].find("/models/") {
            let id = s[i + j + "/models/".len()..].to_string();
            n.notes.push(format!("Vertex resource path: model id {id:?}"));
            n.hint.get_or_insert_with(|| "vertex_ai".into());
            s = id;
            push(&mut n.primary, &s);
        }
    } else if let Some(id) = s.strip_prefix("models/") {
        s = id.to_string();
        push(&mut n.primary, &s);
    }
    // Provider prefixes, possibly nested (`openrouter/anthropic/claude-…`).
    for _ in 0..3 {
        match s.split_once('/') {
            Some((pre, rest)) if !rest.is_empty() && is_provider(pre) => {
                n.notes.push(format!("provider prefix {pre:?} removed"));
                n.hint.get_or_insert_with(|| pre.to_string());
                s = rest.to_string();
                push(&mut n.primary, &s);
            }
            _ => break,
        }
    }
    // Bedrock ids: region, vendor and version are dropped in the variants; genai-prices
    // matches most Bedrock ids as given (regional prices differ), LiteLLM by exact key.
    if let Some(c) = bedrock_captures(&s) {
        let vendor = &c[2];
        let model = &c[3];
        if c.get(1).is_some() || c.get(4).is_some() {
            n.hint.get_or_insert_with(|| "aws".into());
        }
        if let Some(geo) = c.get(1) {
            push(&mut n.variants, &s[geo.end() + 1..]);
        }
        push(&mut n.variants, &format!("{vendor}.{model}"));
        push(&mut n.variants, model);
        n.notes.push(format!("Bedrock id: vendor {vendor:?}, model {model:?}"));
        n.vendor_model = Some((vendor.to_string(), model.to_string()));
    }
    // Vertex `model@version`.
    if let Some((model, _)) = s.split_once('@') {
        push(&mut n.variants, model);
    }
    let mut alt = Vec::new();
    for name in n.primary.iter().chain(&n.variants) {
        if let Some(v) = separator_variant(name) {
            alt.push(v);
        }
    }
    for v in alt {
        if !n.primary.contains(&v) {
            push(&mut n.variants, &v);
        }
    }
    n
}

/// Does `rest`, what a rule's literal leaves of a model id, only qualify the same model
/// (a date, a version, `-latest`, `@…`, `:…`)? Such a match counts as exact; any other
/// remainder (`-preview`, `-exp`) makes it a prefix match that an exact id elsewhere beats.
pub(crate) fn is_qualifier(rest: &str) -> bool {
    // Nothing left (an exact id, the common case) needs no regex compiled.
    if rest.is_empty() {
        return true;
    }
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^(?:[-_.](?:\d{4}(?:-\d{2}-\d{2})?|\d{8}|\d{6}|0\d{1,3}|v\d+(?::\d+)?|latest)|[@:].*)*$")
            .expect("static regex")
    });
    re.is_match(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_variants() {
        assert_eq!(separator_variant("claude-sonnet-4.5").as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(separator_variant("claude-3-5-sonnet-20241022").as_deref(), Some("claude-3.5-sonnet-20241022"));
        assert_eq!(separator_variant("gpt-4o-2024-05-13"), None);
        assert_eq!(separator_variant("gpt-4.1").as_deref(), Some("gpt-4-1"));
    }

    #[test]
    fn qualifiers() {
        for q in ["", "-20250929", "-2024-07-18", "-20250929-v1:0", "@20250929", ":beta", "-latest", "-001", "-0613"] {
            assert!(is_qualifier(q), "{q}");
        }
        for q in ["-preview", "-8b", "-exp-1206", "-mini", "o"] {
            assert!(!is_qualifier(q), "{q}");
        }
    }

    #[test]
    fn bedrock_and_vertex_names() {
        let n = names_for("us.anthropic.claude-sonnet-4-5-20250929-v1:0", &|_| false);
        assert_eq!(n.hint.as_deref(), Some("aws"));
        assert!(n.variants.contains(&"claude-sonnet-4-5-20250929".to_string()), "{n:?}");
        assert_eq!(n.vendor_model, Some(("anthropic".into(), "claude-sonnet-4-5-20250929".into())));
        let n = names_for(
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            &|_| false,
        );
        assert_eq!(n.primary[1], "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
        let n = names_for("projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro", &|_| false);
        assert_eq!(n.primary.last().map(String::as_str), Some("gemini-2.5-pro"));
    }
}

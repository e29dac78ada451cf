//! The price side seen from outside: model strings from the wild and the entry each must
//! resolve to, overrides files, and a cross-check of the two bundled sources.

mod common;

use otelcost::model::TokenBuckets;
use otelcost::price::{Catalog, Source};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::OnceLock;

fn cat() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::embedded().expect("embedded catalog"))
}

/// (model string as telemetry carries it, provider from telemetry, expected entry or
/// `-` for unpriced). Every form the matcher knows: dated snapshots, provider prefixes,
/// OpenRouter ids, Bedrock ids with geo prefixes, versions and ARNs, Vertex `@` versions
/// and resource paths, `.`/`-` variants, case, and strings that must stay unpriced.
const TABLE: &[(&str, &str, &str)] = &[
    ("claude-sonnet-4-5-20250929", "anthropic", "genai-prices:anthropic/claude-sonnet-4-5"),
    ("claude-sonnet-4-5", "", "genai-prices:anthropic/claude-sonnet-4-5"),
    ("claude-haiku-4-5-20251001", "", "genai-prices:anthropic/claude-haiku-4-5"),
    ("claude-3-5-sonnet-20241022", "anthropic", "genai-prices:anthropic/claude-3-5-sonnet"),
    ("claude-3-5-haiku-latest", "", "genai-prices:anthropic/claude-3-5-haiku-latest"),
    ("claude-opus-4-1-20250805", "anthropic.messages", "genai-prices:anthropic/claude-opus-4-1"),
    ("claude-3.5-sonnet", "", "genai-prices:anthropic/claude-3-5-sonnet"),
    ("claude-sonnet-4.5", "", "genai-prices:anthropic/claude-sonnet-4-5"),
    ("claude-opus-5-5", "anthropic", "litellm:anthropic/claude-opus-5-5"),
    ("gpt-4o-mini-2024-07-18", "openai", "genai-prices:openai/gpt-4o-mini"),
    ("gpt-4o-mini", "", "genai-prices:openai/gpt-4o-mini"),
    ("gpt-4o-2024-05-13", "openai", "genai-prices:openai/gpt-4o"),
    ("gpt-4o", "openai.chat", "genai-prices:openai/gpt-4o"),
    ("gpt-4.1-2025-04-14", "openai", "genai-prices:openai/gpt-4.1"),
    ("gpt-4.1-mini", "", "genai-prices:openai/gpt-4.1-mini"),
    ("o3", "openai", "genai-prices:openai/o3"),
    ("o4-mini-2025-04-16", "", "genai-prices:openai/o4-mini"),
    ("gpt-5", "openai", "genai-prices:openai/gpt-5"),
    ("text-embedding-3-small", "openai", "genai-prices:openai/text-embedding-3-small"),
    ("GPT-4O-MINI", "OpenAI", "genai-prices:openai/gpt-4o-mini"),
    ("anthropic/claude-sonnet-4-5", "", "genai-prices:anthropic/claude-sonnet-4-5"),
    ("openai/gpt-4o-mini", "", "genai-prices:openai/gpt-4o-mini"),
    ("openrouter/anthropic/claude-sonnet-4.5", "", "genai-prices:openrouter/anthropic/claude-sonnet-4.5"),
    ("openrouter/openai/gpt-4o-mini", "", "genai-prices:openrouter/openai/gpt-4o-mini"),
    ("anthropic/claude-sonnet-4.5", "openrouter", "genai-prices:openrouter/anthropic/claude-sonnet-4.5"),
    // Bedrock: regional (us./eu./no prefix) and global profiles are priced differently.
    (
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "aws.bedrock",
        "genai-prices:aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    (
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "aws.bedrock",
        "genai-prices:aws/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    (
        "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "",
        "genai-prices:aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    (
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "aws.bedrock",
        "genai-prices:aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    (
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "aws.bedrock",
        "genai-prices:aws/regional.anthropic.claude-3-5-haiku-20241022-v1:0",
    ),
    (
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "",
        "genai-prices:aws/regional.anthropic.claude-3-7-sonnet-20250219-v1:0",
    ),
    ("amazon.nova-pro-v1:0", "aws.bedrock", "genai-prices:aws/amazon.nova-pro-v1:0"),
    ("meta.llama3-3-70b-instruct-v1:0", "aws.bedrock", "genai-prices:aws/meta.llama3-3-70b-instruct-v1:0"),
    (
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "",
        "genai-prices:aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    (
        "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
        "",
        "genai-prices:aws/regional.anthropic.claude-3-5-haiku-20241022-v1:0",
    ),
    // An application inference profile id names no model: only an alias can price it.
    ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6", "aws.bedrock", "-"),
    // Vertex: Google's own Claude entries where it has them, else its fallback (anthropic).
    ("claude-sonnet-4-5@20250929", "gcp.vertex_ai", "genai-prices:anthropic/claude-sonnet-4-5"),
    ("claude-opus-4-1@20250805", "gcp.vertex_ai", "genai-prices:google/claude-4-opus"),
    ("claude-3-5-sonnet-v2@20241022", "gcp.vertex_ai", "genai-prices:google/claude-3-5-sonnet"),
    ("publishers/google/models/gemini-2.5-pro", "", "genai-prices:google/gemini-2.5-pro"),
    (
        "projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-flash",
        "gcp.vertex_ai",
        "genai-prices:google/gemini-2.5-flash",
    ),
    (
        "projects/my-proj/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929",
        "",
        "genai-prices:anthropic/claude-sonnet-4-5",
    ),
    ("models/gemini-2.5-flash", "gcp.gemini", "genai-prices:google/gemini-2.5-flash"),
    ("gemini-2.5-pro", "gcp.gemini", "genai-prices:google/gemini-2.5-pro"),
    ("gemini-2.0-flash-001", "", "genai-prices:google/gemini-2.0-flash"),
    ("vertex_ai/gemini-2.5-pro", "", "genai-prices:google/gemini-2.5-pro"),
    // `gemini-1.5-flash` must not take the cheaper, different 8b model.
    ("gemini-1.5-flash-8b", "google", "-"),
    ("mistral-large-latest", "mistral_ai", "genai-prices:mistral/mistral-large"),
    // Only resellers (azure_ai/, vertex_ai/) list this snapshot: no first-party price.
    ("mistral-small-2503", "", "-"),
    ("deepseek-chat", "deepseek", "genai-prices:deepseek/deepseek-chat"),
    ("deepseek-reasoner", "", "genai-prices:deepseek/deepseek-reasoner"),
    ("grok-4", "xai", "genai-prices:x-ai/grok-4-0709"),
    ("grok-3-mini", "", "genai-prices:x-ai/grok-3-mini"),
    ("xai/grok-4", "", "genai-prices:x-ai/grok-4-0709"),
    // Azure deployment names are the user's own: unpriced without an alias.
    ("my-azure-gpt4o-deployment", "azure.ai.openai", "-"),
    ("totally-unknown-model", "", "-"),
    ("claude-opus-45", "anthropic", "-"),
];

fn provider(p: &str) -> Option<&str> {
    (!p.is_empty()).then_some(p)
}

#[test]
fn model_strings_from_the_wild() {
    assert!(TABLE.len() >= 40);
    let mut wrong = Vec::new();
    for (model, p, want) in TABLE {
        let x = cat().explain_match(model, provider(p));
        let got = x.entry.as_deref().unwrap_or("-");
        if got != *want {
            wrong.push(format!("{model} ({p}): got {got} by {:?}, want {want}", x.step));
        }
        if *want == "-" {
            assert!(!x.step.is_empty(), "{model}: an unpriced match still says why");
        }
    }
    assert!(wrong.is_empty(), "{} mismatches:\n{}", wrong.len(), wrong.join("\n"));
}

/// Every fourth row again through the binary's JSON, as users see it.
#[test]
fn prices_match_through_the_binary() {
    for (model, p, want) in TABLE.iter().step_by(4) {
        let mut args = vec!["prices", "match", model, "--format", "json"];
        if !p.is_empty() {
            args.extend(["--provider", p]);
        }
        let run = common::otelcost(&args);
        assert_eq!(run.code, 0, "{model}: {}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        let got = v["entry"].as_str().unwrap_or("-");
        assert_eq!(got, *want, "{model} ({p})");
        assert!(v["step"].as_str().is_some_and(|s| !s.is_empty()));
    }
}

#[test]
fn prices_list_and_show() {
    let run = common::otelcost(&["prices", "list", "--provider", "aws", "--search", "nova-pro", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|e| e["provider"] == "aws" && e["entry"].as_str().unwrap().contains("nova-pro")));
    let run = common::otelcost(&["prices", "show", "o3", "--provider", "openai"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("from 2025-06-10"), "{}", run.stdout);
}

fn d(s: &str) -> rust_decimal::Decimal {
    rust_decimal::Decimal::from_str(s).unwrap()
}

/// Unix ns of noon UTC on a day.
fn noon(date: &str) -> u64 {
    let ts: jiff::Timestamp = format!("{date}T12:00:00Z").parse().unwrap();
    ts.as_nanosecond() as u64
}

#[test]
fn overrides_file_example() {
    let example = common::root().join("pricing/overrides.example.toml");
    let c = Catalog::load(&[example], true).expect("the example loads");
    let t = TokenBuckets { input: 1_000_000, output: 1_000_000, ..Default::default() };
    // Custom model with a price history, scoped to its provider.
    let q = c.quote("acme-llama-3.3-70b-instruct", Some("acme-vllm"), noon("2026-09-30"), &t).unwrap();
    assert_eq!((q.cost, q.source), (d("0.8"), Source::User));
    let q = c.quote("acme-llama-3.3-70b-instruct", Some("acme-vllm"), noon("2026-10-01"), &t).unwrap();
    assert_eq!(q.cost, d("0.6"));
    assert!(c.quote("acme-llama-3.3-70b-instruct", Some("openai"), noon("2026-10-01"), &t).is_none());
    // A bare TOML number is read from its text.
    let q = c.quote("ft:gpt-4o-mini-2024-07-18:acme::abc123", Some("openai"), noon("2026-10-01"), &t).unwrap();
    assert_eq!(q.cost, d("1.5"));
    // Alias of an Azure deployment, then the 5% Azure gpt-4o markup.
    let q = c.quote("prod-gpt4o-eastus", Some("azure.ai.openai"), noon("2026-10-01"), &t).unwrap();
    assert_eq!((q.list_cost, q.cost, q.adjustment_percent), (d("12.5"), d("13.125"), Some(d("5"))));
    // The Anthropic discount from 2026-01-01.
    let small = TokenBuckets { input: 100_000, output: 100_000, ..Default::default() }; // below the 200k tier
    let before = c.quote("claude-sonnet-4-5", Some("anthropic"), noon("2025-12-31"), &small).unwrap();
    let after = c.quote("claude-sonnet-4-5", Some("anthropic"), noon("2026-01-01"), &small).unwrap();
    assert_eq!((before.cost, after.cost, after.list_cost), (d("1.8"), d("1.62"), d("1.8")));
    let line = otelcost::price::explain_quote(&after);
    assert!(line.contains("genai-prices:anthropic/claude-sonnet-4-5") && line.contains("-10%"), "{line}");
}

#[test]
fn overrides_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        ("typo.toml", "[[model]]\nid = \"x\"\nimput_mtok = 1\n", "typo.toml:3: unknown key \"imput_mtok\""),
        ("noprice.toml", "[[model]]\nid = \"x\"\n", "has no prices"),
        ("badnum.toml", "[[model]]\nid = \"x\"\ninput_mtok = \"cheap\"\n", "badnum.toml:3: input_mtok"),
        ("baddate.toml", "[[adjust]]\npercent = 5\nstart_date = \"soon\"\n", "not a date"),
        ("negative.toml", "[[adjust]]\npercent = -150\n", "negative"),
    ];
    for (name, text, want) in cases {
        let err = Catalog::load(&[write(name, text)], true).err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains(want), "{name}: {err}");
    }
    // Later files override earlier ones.
    let a = write("a.toml", "[[model]]\nid = \"m\"\ninput_mtok = \"1\"\n");
    let b = write("b.toml", "[[model]]\nid = \"m\"\ninput_mtok = \"2\"\n[fallback]\ninput_mtok = \"9\"\n");
    let c = Catalog::load(&[a, b], true).unwrap();
    let t = TokenBuckets { input: 1_000_000, ..Default::default() };
    assert_eq!(c.quote("m", None, 0, &t).unwrap().cost, d("2"));
    let q = c.quote("never-heard-of-it", None, 0, &t).unwrap();
    assert_eq!((q.cost, &*q.entry), (d("9"), "user:fallback"));
}

/// Common current models of the main providers, priced by each bundled source alone.
const COMMON: &[(&str, &str)] = &[
    ("gpt-5", "openai"),
    ("gpt-5-mini", "openai"),
    ("gpt-5-nano", "openai"),
    ("gpt-4.1", "openai"),
    ("gpt-4.1-mini", "openai"),
    ("gpt-4.1-nano", "openai"),
    ("gpt-4o", "openai"),
    ("gpt-4o-2024-05-13", "openai"),
    ("gpt-4o-mini", "openai"),
    ("o3", "openai"),
    ("o4-mini", "openai"),
    ("o3-mini", "openai"),
    ("claude-opus-4-1", "anthropic"),
    ("claude-sonnet-4-5", "anthropic"),
    ("claude-haiku-4-5", "anthropic"),
    ("claude-sonnet-4", "anthropic"),
    ("claude-3-7-sonnet-20250219", "anthropic"),
    ("claude-3-5-haiku-20241022", "anthropic"),
    ("gemini-2.5-pro", "gemini"),
    ("gemini-2.5-flash", "gemini"),
    ("gemini-2.5-flash-lite", "gemini"),
    ("gemini-2.0-flash", "gemini"),
    ("mistral-large-latest", "mistral"),
    ("mistral-medium-latest", "mistral"),
    ("codestral-latest", "mistral"),
    ("deepseek-chat", "deepseek"),
    ("deepseek-reasoner", "deepseek"),
    ("grok-4", "xai"),
    ("grok-3", "xai"),
    ("grok-3-mini", "xai"),
];

fn show_rate(r: Option<&otelcost::price::RateInfo>) -> String {
    r.map_or_else(
        || "none".to_string(),
        |r| {
            let mut s = r.base.normalize().to_string();
            for (start, p) in &r.tiers {
                s.push_str(&format!(" >{start}:{p}"));
            }
            s
        },
    )
}

/// Every bucket where genai-prices and LiteLLM disagree on a common model. The expected
/// list (`tests/price_disagreements.txt`) carries a reason for each line; a new or a
/// vanished disagreement fails this test until it is explained there.
#[test]
fn sources_cross_check() {
    let mut found = Vec::new();
    for (model, p) in COMMON {
        let g = cat().current_rates(Source::GenaiPrices, model, Some(p));
        let l = cat().current_rates(Source::Litellm, model, Some(p));
        let (Some((_, g)), Some((_, l))) = (&g, &l) else {
            let side = |x: &Option<_>| if x.is_some() { "priced" } else { "missing" };
            found.push(format!("{model} | * | genai-prices {} | litellm {}", side(&g), side(&l)));
            continue;
        };
        // Buckets either source prices; a bucket one leaves out falls back (cache reads to
        // input) so only compare where both set it.
        let keys: std::collections::BTreeSet<_> = g.keys().chain(l.keys()).collect();
        for k in keys {
            let (gs, ls) = (show_rate(g.get(*k)), show_rate(l.get(*k)));
            if gs != ls && gs != "none" && ls != "none" {
                found.push(format!("{model} | {k} | {gs} | {ls}"));
            }
        }
    }
    let text = std::fs::read_to_string(common::root().join("tests/price_disagreements.txt")).unwrap();
    let expected: BTreeMap<String, String> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (row, why) = l.rsplit_once(" # ").unwrap_or((l, ""));
            assert!(!why.trim().is_empty(), "no reason given for: {l}");
            (row.trim().to_string(), why.to_string())
        })
        .collect();
    let found: std::collections::BTreeSet<String> = found.into_iter().collect();
    let new: Vec<_> = found.iter().filter(|f| !expected.contains_key(*f)).collect();
    let gone: Vec<_> = expected.keys().filter(|e| !found.contains(*e)).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "unexplained disagreements (add with a reason to tests/price_disagreements.txt):\n{}\n\nno longer found:\n{}",
        new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
        gone.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
    );
}

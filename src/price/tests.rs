use super::matcher::acceptable_rest;
use super::rates::{parse_day, parse_time_of_day};
use super::*;
use std::str::FromStr;
use std::sync::OnceLock;

fn cat() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        let t = std::time::Instant::now();
        let c = Catalog::embedded().expect("embedded catalog loads");
        eprintln!("Catalog::embedded() took {:?}", t.elapsed());
        c
    })
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn tok(input: u64, cache_read: u64, cw5: u64, cw1h: u64, output: u64) -> TokenBuckets {
    TokenBuckets { input, cache_read, cache_write_5m: cw5, cache_write_1h: cw1h, output, reasoning: 0 }
}

/// Unix ns of midnight UTC of `YYYY-MM-DD` plus `secs`.
fn at(date: &str, secs: u64) -> u64 {
    (parse_day(date).unwrap() as u64 * 86_400 + secs) * 1_000_000_000
}

const MID_2026: &str = "2026-06-01";

fn q(model: &str, provider: Option<&str>, t: &TokenBuckets) -> Option<Quote> {
    cat().quote(model, provider, at(MID_2026, 43_200), t)
}

#[test]
fn gpt_4o_mini_dated_snapshot_openai() {
    let r = q("gpt-4o-mini-2024-07-18", Some("openai"), &tok(1_000_000, 1_000_000, 0, 0, 1_000_000)).unwrap();
    assert_eq!(r.cost, d("0.825")); // 0.15 + 0.075 + 0.6
    assert_eq!(&*r.entry, "genai-prices:openai/gpt-4o-mini");
    assert_eq!(r.source, Source::GenaiPrices);
    let r = q("gpt-4o-mini-2024-07-18", Some("openai"), &tok(1234, 0, 0, 0, 56)).unwrap();
    // 1234*0.15/1e6 + 56*0.6/1e6
    assert_eq!(r.cost, d("0.0002187"));
}

#[test]
fn claude_sonnet_4_5_cache_and_tier_boundary() {
    // Below/at the 200k threshold: base rates. input 3, cw 3.75, cw1h 6, cr 0.3, out 15.
    let t = tok(100_000, 50_000, 30_000, 20_000, 10_000); // total input = 200_000
    let r = q("claude-sonnet-4-5-20250929", Some("anthropic"), &t).unwrap();
    let want = (d("100000") * d("3")
        + d("50000") * d("0.3")
        + d("30000") * d("3.75")
        + d("20000") * d("6")
        + d("10000") * d("15"))
        / d("1000000");
    assert_eq!(r.cost, want);
    assert_eq!(r.cost, d("0.6975"));
    assert_eq!(r.tier_threshold, None);
    assert_eq!(&*r.entry, "genai-prices:anthropic/claude-sonnet-4-5");
    // One more input token: every token pays the tier rate (6, 7.5, 12, 0.6, 22.5).
    let t = tok(100_001, 50_000, 30_000, 20_000, 10_000);
    let r = q("claude-sonnet-4-5-20250929", Some("anthropic"), &t).unwrap();
    let want = (d("100001") * d("6")
        + d("50000") * d("0.6")
        + d("30000") * d("7.5")
        + d("20000") * d("12")
        + d("10000") * d("22.5"))
        / d("1000000");
    assert_eq!(r.cost, want);
    assert_eq!(r.tier_threshold, Some(200_000));
    assert_eq!(r.rates.input, Some(d("6")));
    // Vertex-style and provider-message spellings resolve the same.
    for (m, p) in [
        ("claude-sonnet-4-5@20250929", Some("anthropic")),
        ("anthropic/claude-sonnet-4-5", None),
        ("claude-sonnet-4-5", Some("anthropic.messages")),
    ] {
        assert_eq!(cat().entry_for(m, p).as_deref(), Some("genai-prices:anthropic/claude-sonnet-4-5"), "{m} {p:?}");
    }
}

#[test]
fn claude_haiku_4_5_without_provider() {
    let r = q("claude-haiku-4-5", None, &tok(1_000_000, 0, 0, 0, 1_000_000)).unwrap();
    assert_eq!(r.cost, d("6")); // 1 + 5
    assert_eq!(&*r.entry, "genai-prices:anthropic/claude-haiku-4-5");
    let r = q("claude-haiku-4-5-20251001", None, &tok(0, 0, 0, 1_000_000, 0)).unwrap();
    assert_eq!(r.cost, d("2")); // 1h cache write
}

#[test]
fn claude_opus_5_5_is_not_claude_opus_5() {
    let t = tok(1_000_000, 1_000_000, 1_000_000, 0, 1_000_000);
    let r = q("claude-opus-5-5", Some("anthropic"), &t).unwrap();
    assert_eq!(r.source, Source::Litellm);
    assert_eq!(&*r.entry, "litellm:anthropic/claude-opus-5-5");
    assert_eq!(r.cost, d("29.2")); // 4 + 0.2 + 5 + 20
    let r = q("claude-opus-5-5", None, &t).unwrap();
    assert_eq!(r.source, Source::Litellm);
    // While claude-opus-5 and its dated snapshot stay on genai-prices.
    assert_eq!(
        cat().entry_for("claude-opus-5-20260101", Some("anthropic")).as_deref(),
        Some("genai-prices:anthropic/claude-opus-5")
    );
}

#[test]
fn o4_mini_and_embedding_and_gpt_5_5() {
    let r = q("o4-mini", None, &tok(1_000_000, 1_000_000, 0, 0, 1_000_000)).unwrap();
    assert_eq!(&*r.entry, "genai-prices:openai/o4-mini");
    assert_eq!(r.cost, d("5.775")); // 1.1 + 0.275 + 4.4
    let r = q("o4-mini-2025-04-16", Some("openai"), &tok(2_000, 0, 0, 0, 0)).unwrap();
    assert_eq!(r.cost, d("0.0022"));
    let r = q("text-embedding-3-small", Some("openai"), &tok(1_000_000, 0, 0, 0, 0)).unwrap();
    assert_eq!(r.cost, d("0.02"));
    let r = q("gpt-5.5", Some("openai"), &tok(1_000_000, 1_000_000, 0, 0, 1_000_000)).unwrap();
    assert_eq!(r.cost, d("35.5")); // 5 + 0.5 + 30
    assert_eq!(&*r.entry, "genai-prices:openai/gpt-5.5");
}

#[test]
fn dated_price_history() {
    // o3: 10/40 until 2025-06-10, then 2/8.
    let t = tok(1_000_000, 0, 0, 0, 1_000_000);
    let before = cat().quote("o3", Some("openai"), at("2025-06-09", 86_399), &t).unwrap();
    let after = cat().quote("o3", Some("openai"), at("2025-06-10", 0), &t).unwrap();
    assert_eq!(before.cost, d("50"));
    assert_eq!(after.cost, d("10"));
    assert_eq!(after.effective_from.as_deref(), Some("2025-06-10"));
    assert_eq!(before.effective_from, None);
    // claude-sonnet-5: 2/10 before 2026-09-01, 3/15 from then.
    let b = cat().quote("claude-sonnet-5", Some("anthropic"), at("2026-08-31", 0), &t).unwrap();
    let a = cat().quote("claude-sonnet-5", Some("anthropic"), at("2026-09-01", 0), &t).unwrap();
    assert_eq!((b.cost, a.cost), (d("12"), d("18")));
    // Unknown time: the price in effect now (never a scheduled future one).
    let u = cat().quote("o3", Some("openai"), 0, &t).unwrap();
    assert_eq!(u.cost, d("10"));
}

#[test]
fn time_of_day_constraint() {
    // deepseek-chat: 0.27/1.1 between 00:30 and 16:30 UTC, 0.135/0.55 otherwise.
    let t = tok(1_000_000, 0, 0, 0, 1_000_000);
    let peak = cat().quote("deepseek-chat", None, at(MID_2026, 3600), &t).unwrap();
    let off = cat().quote("deepseek-chat", None, at(MID_2026, 17 * 3600), &t).unwrap();
    let edge = cat().quote("deepseek-chat", None, at(MID_2026, 16 * 3600 + 1800), &t).unwrap();
    assert_eq!(peak.cost, d("1.37"));
    assert_eq!(off.cost, d("0.685"));
    assert_eq!(edge.cost, d("0.685"));
    assert_eq!(parse_time_of_day("00:30:00Z"), Some(1800));
    assert_eq!(parse_time_of_day("01:30:00+01:00"), Some(1800));
}

#[test]
fn unknown_and_empty_are_unpriced() {
    let t = tok(10, 0, 0, 0, 10);
    assert!(q("totally-unknown-model", None, &t).is_none());
    assert!(q("totally-unknown-model", Some("openai"), &t).is_none());
    assert!(q("", None, &t).is_none());
    assert!(q("   ", Some("anthropic"), &t).is_none());
    assert!(q("claude-opus-45", Some("anthropic"), &t).is_none());
}

#[test]
fn provider_normalisation() {
    let c = cat();
    let pid = |s: &str| c.find_provider(s).map(|i| c.providers[i].id.as_str());
    assert_eq!(pid("openai"), Some("openai"));
    assert_eq!(pid("openai.chat"), Some("openai"));
    assert_eq!(pid("anthropic.messages"), Some("anthropic"));
    assert_eq!(pid("gcp.vertex_ai"), Some("google"));
    assert_eq!(pid("gcp.gemini"), Some("google"));
    assert_eq!(pid("aws.bedrock"), Some("aws"));
    assert_eq!(pid("bedrock"), Some("aws"));
    assert_eq!(pid("azure.ai.openai"), Some("azure"));
    assert_eq!(pid("AZURE.AI.OPENAI"), Some("azure"));
    assert_eq!(pid("no-such-provider"), None);
}

#[test]
fn selection_steps() {
    let c = cat();
    // Step 3: exact beats rules (azure has `contains: o4-mini`; openai has `equals`).
    assert_eq!(c.entry_for("o4-mini", Some("openai")).as_deref(), Some("genai-prices:openai/o4-mini"));
    // Step 3: longest literal wins among rules.
    assert_eq!(
        c.entry_for("claude-3-5-haiku-20241022", Some("anthropic")).as_deref(),
        Some("genai-prices:anthropic/claude-3-5-haiku-latest")
    );
    // Step 4: azure has no claude models of its own → fallback provider anthropic.
    let azure_claude = c.entry_for("claude-haiku-4-5", Some("azure.ai.openai"));
    assert!(azure_claude.as_deref().is_some_and(|e| e.starts_with("genai-prices:")), "{azure_claude:?}");
    // Step 5: no provider, model_match picks the provider (gemini → google).
    assert!(c.entry_for("gemini-2.5-pro", None).as_deref().is_some_and(|e| e.starts_with("genai-prices:google/")));
    // Step 5 with an unknown telemetry provider.
    assert_eq!(c.entry_for("gpt-4o-mini", Some("my-gateway")).as_deref(), Some("genai-prices:openai/gpt-4o-mini"));
    // Step 7: LiteLLM with a provider prefix added.
    assert!(c.entry_for("gpt-6.1-sol", Some("azure")).as_deref().is_some_and(|e| e.starts_with("litellm:")));
}

#[test]
fn rest_rule_both_directions() {
    // Accepted qualifiers.
    for (lit, rest) in [
        ("claude-sonnet-4-5", "-20250929"),
        ("claude-haiku-4-5", "-20251001"),
        ("gpt-4o-mini", "-2024-07-18"),
        ("claude-sonnet-4-5", "@20250929"),
        ("anthropic.claude-sonnet-4-5", "-20250929-v1:0"),
        ("claude-3-5-haiku", "-latest"),
        ("claude-sonnet-4-2025", "0514"),
        ("mistral.mistral-7b-instruct-v0", ":2"),
        ("gemini-1.5-flash", "-001"),
        ("gemini-2.0-flash-0", "01"),
        ("x", ""),
    ] {
        assert!(acceptable_rest(lit, rest), "{lit}{rest} should match {lit}");
    }
    // Rejected: a different, longer model id.
    for (lit, rest) in [
        ("claude-opus-5", "-5"),
        ("claude-opus-5", ".5"),
        ("claude-opus-5", "-5-20260101"),
        ("claude-opus-4", "5"),
        ("gpt-4", "o"),
        ("gpt-4", "0"),
        ("claude-3-5-sonnet-2", "0"),
        ("gemini-1.5-flash", "-8b"),
    ] {
        assert!(!acceptable_rest(lit, rest), "{lit}{rest} must not match {lit}");
    }
}

/// Real ids from the data where one extends another: the longer must not resolve to the
/// shorter's entry unless the remainder is a qualifier.
#[test]
fn real_pairs_from_data() {
    let c = cat();
    assert_ne!(c.entry_for("claude-opus-5-5", Some("anthropic")), c.entry_for("claude-opus-5", Some("anthropic")));
    // `contains: gemini-1.5-flash` must not take the (cheaper, different) 8b model.
    assert_ne!(c.entry_for("gemini-1.5-flash-8b", Some("google")), c.entry_for("gemini-1.5-flash", Some("google")));
    assert!(c.entry_for("gemini-1.5-flash-001", Some("google")).is_some());
    assert_eq!(c.entry_for("gpt-4.1-2025-04-14", Some("openai")).as_deref(), Some("genai-prices:openai/gpt-4.1"));
    assert!(c.entry_for("anthropic.claude-sonnet-4-5-20250929-v1:0", Some("aws.bedrock")).is_some());
}

#[test]
fn cache_read_without_price_uses_input() {
    // text-embedding-3-small has only an input price.
    let r = q("text-embedding-3-small", Some("openai"), &tok(0, 1_000_000, 0, 0, 0)).unwrap();
    assert_eq!(r.cost, d("0.02"));
    // …but output tokens with no output price make the call unpriced, never $0.
    assert!(q("text-embedding-3-small", Some("openai"), &tok(10, 0, 0, 0, 10)).is_none());
}

#[test]
fn reasoning_rate_when_distinct() {
    // perplexity sonar-deep-research: output 8, reasoning 3.
    let t = TokenBuckets { output: 1_000_000, reasoning: 400_000, ..Default::default() };
    let r = q("sonar-deep-research", Some("perplexity"), &t).unwrap();
    assert_eq!(r.cost, d("6")); // 0.6M*8 + 0.4M*3
                                // Elsewhere reasoning is inside output and not billed twice.
    let r = q("o4-mini", Some("openai"), &t).unwrap();
    assert_eq!(r.cost, d("4.4"));
}

#[test]
fn cost_is_additive_and_non_negative() {
    // Deterministic pseudo-random buckets; below the tiers so additivity holds.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    for model in ["claude-sonnet-4-5", "gpt-4o-mini", "claude-opus-5-5", "gemini-2.5-pro", "o4-mini"] {
        for _ in 0..200 {
            let a = tok(next(40_000), next(40_000), next(10_000), next(10_000), next(50_000));
            let b = tok(next(40_000), next(40_000), next(10_000), next(10_000), next(50_000));
            let mut s = a;
            s.add(&b);
            let (qa, qb, qs) = (q(model, None, &a).unwrap(), q(model, None, &b).unwrap(), q(model, None, &s).unwrap());
            assert!(qa.cost >= Decimal::ZERO && qb.cost >= Decimal::ZERO);
            assert_eq!(qa.cost + qb.cost, qs.cost, "{model} {a:?} {b:?}");
        }
    }
    assert_eq!(q("gpt-4o-mini", None, &TokenBuckets::default()).unwrap().cost, Decimal::ZERO);
}

#[test]
fn every_entry_loads_and_huge_counts_do_not_panic() {
    let c = cat();
    assert!(c.entries.iter().count() > 3000);
    let t = tok(u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX);
    // Overflow must give None or a value, never a panic.
    let _ = c.quote("claude-sonnet-4-5", Some("anthropic"), u64::MAX, &t);
    for (_, e) in c.entries.iter() {
        for (_, set) in e.prices.get() {
            let _ = set.cost(None, &tok(1, 1, 1, 1, 1), 1);
        }
    }
}

#[test]
fn decimal_parsing_is_exact() {
    use serde_json::value::RawValue;
    let raw: Box<RawValue> = serde_json::from_str("3e-06").unwrap();
    assert_eq!(rates::decimal_from_json(raw.get()).unwrap(), d("0.000003"));
    let raw: Box<RawValue> = serde_json::from_str("0.075").unwrap();
    assert_eq!(rates::decimal_from_json(raw.get()).unwrap(), d("0.075"));
    let raw: Box<RawValue> = serde_json::from_str("1.25E-7").unwrap();
    assert_eq!(rates::decimal_from_json(raw.get()).unwrap(), d("0.000000125"));
    let raw: Box<RawValue> = serde_json::from_str("-1").unwrap();
    assert!(rates::decimal_from_json(raw.get()).is_err());
}

fn terms(tier: ServiceTier, requests: u64) -> Terms<'static> {
    Terms { tier, requests, ..Terms::default() }
}

fn quote_in(model: &str, provider: Option<&str>, t: Terms<'_>, tokens: &TokenBuckets) -> Quote {
    cat().quote_with(model, provider, t, at(MID_2026, 43_200), tokens).unwrap()
}

/// The per-type costs add up to the call's cost, exactly.
fn assert_parts_sum(q: &Quote) {
    assert_eq!(q.cost_by_type.iter().sum::<Decimal>(), q.cost, "{q:?}");
    assert_eq!(q.list_by_type.iter().sum::<Decimal>(), q.list_cost, "{q:?}");
}

#[test]
fn service_tiers_take_litellms_tier_rates_exactly() {
    // gpt-5: genai-prices prices it; LiteLLM `gpt-5` has flex, priority and batch rates.
    let t = tok(1_000_000, 1_000_000, 0, 0, 1_000_000);
    let standard = quote_in("gpt-5", Some("openai"), terms(ServiceTier::Standard, 1), &t);
    assert_eq!(standard.cost, d("11.375")); // 1.25 + 0.125 + 10
    assert_eq!((standard.tier_entry.as_deref(), standard.tier_missing()), (None, false));
    for (tier, want) in [
        (ServiceTier::Flex, "5.6875"),    // 0.625 + 0.0625 + 5
        (ServiceTier::Priority, "22.75"), // 2.5 + 0.25 + 20
        (ServiceTier::Batch, "5.6875"),   // 0.625 + 0.0625 + 5
    ] {
        let q = quote_in("gpt-5-2025-08-07", Some("openai"), terms(tier, 1), &t);
        assert_eq!(q.cost, d(want), "{tier:?}");
        assert_eq!(&*q.entry, "genai-prices:openai/gpt-5");
        assert_eq!(q.tier_entry.as_deref(), Some("litellm:openai/gpt-5"), "{tier:?}");
        assert!(!q.tier_missing());
        assert_parts_sum(&q);
        assert!(explain_quote(&q).contains(&format!("service tier {} (litellm:openai/gpt-5)", tier.name())));
    }
    // A bucket the tier does not list keeps its standard rate: gpt-4o batch has no cache
    // read rate.
    let q = quote_in("gpt-4o", Some("openai"), terms(ServiceTier::Batch, 1), &t);
    assert_eq!(q.cost, d("7.5")); // 1.25 + 1.25 (standard cache read) + 5
                                  // Gemini: LiteLLM's `gemini/` key has the tiers (`vertex_ai/` does not).
    let q = quote_in("gemini-2.5-pro", Some("gcp.gemini"), terms(ServiceTier::Flex, 1), &tok(100_000, 0, 0, 0, 0));
    assert_eq!((q.cost, q.tier_entry.as_deref()), (d("0.0625"), Some("litellm:gemini/gemini-2.5-pro")));
}

#[test]
fn a_tier_without_a_price_is_priced_at_standard_rates_and_says_so() {
    let t = tok(1_000_000, 1_000_000, 0, 0, 1_000_000);
    // gpt-4o has batch and priority prices, no flex; Claude has no priority price.
    for (model, provider, tier, want) in [
        ("gpt-4o", "openai", ServiceTier::Flex, "13.75"),
        ("claude-sonnet-4-5", "anthropic", ServiceTier::Priority, "29.1"), // 6 + 0.6 + 22.5: the >200k input rates
        ("gpt-5", "openai", ServiceTier::Other, "11.375"),
    ] {
        let q = quote_in(model, Some(provider), terms(tier, 1), &t);
        assert_eq!(q.cost, d(want), "{model} {tier:?}");
        assert!(q.tier_missing(), "{model}");
        assert_eq!(q.service_tier, tier);
        let line = explain_quote(&q);
        assert!(
            line.contains(&format!("service tier {}: no price for this model, standard rates", tier.name())),
            "{line}"
        );
    }
    // `default`, `standard`, `auto`, `scale` are standard processing.
    for s in ["default", "standard", "Auto", "scale", ""] {
        assert_eq!(ServiceTier::parse(s), ServiceTier::Standard, "{s}");
    }
    assert_eq!(ServiceTier::parse("batch"), ServiceTier::Batch);
    assert_eq!(ServiceTier::parse("reserved"), ServiceTier::Other);
}

#[test]
fn per_request_fees_are_added_per_request_exactly() {
    // Perplexity sonar: input 1, output 1 USD/Mtok and 12 USD per 1000 requests.
    let t = tok(1_000_000, 0, 0, 0, 1_000_000);
    let q = quote_in("sonar", Some("perplexity"), terms(ServiceTier::Standard, 3), &t);
    let request = TokenType::ALL.iter().position(|t| *t == TokenType::Request).unwrap();
    assert_eq!(q.cost, d("2.036")); // 1 + 1 + 3 × 12 / 1000
    assert_eq!((q.billed[request], q.cost_by_type[request]), (3, d("0.036")));
    assert_eq!(q.list_rate(TokenType::Request), Some(d("12")));
    assert_parts_sum(&q);
    assert!(explain_quote(&q).contains("request 12 USD/1000 requests"), "{}", explain_quote(&q));
    // `quote` is one request; a price without a fee charges none for any number of them.
    assert_eq!(cat().quote("sonar", Some("perplexity"), at(MID_2026, 0), &t).unwrap().cost, d("2.012"));
    let q = quote_in("gpt-5", Some("openai"), terms(ServiceTier::Standard, 5), &t);
    assert_eq!((q.cost, q.billed[request]), (d("11.25"), 0));
}

#[test]
fn server_address_picks_the_provider_when_the_telemetry_names_none() {
    let c = cat();
    let id = |host: &str| c.provider_at(host).map(|i| c.providers[i].id.as_str());
    assert_eq!(id("bedrock-runtime.us-east-1.amazonaws.com"), Some("aws"));
    assert_eq!(id("api.anthropic.com"), Some("anthropic"));
    assert_eq!(id("API.OpenAI.com"), Some("openai"));
    assert_eq!(id("generativelanguage.googleapis.com"), Some("google"));
    assert_eq!(id("us-central1-aiplatform.googleapis.com"), Some("google"));
    assert_eq!(id("https://myres.openai.azure.com"), Some("azure"));
    for unknown in ["llm.internal.example.com", "127.0.0.1", "", "amazonaws.com"] {
        assert_eq!(id(unknown), None, "{unknown}");
    }
    // Bedrock's regional price, not Anthropic's, for a call that names only the host.
    let t = tok(1_000_000, 0, 0, 0, 0);
    let bedrock = Terms { address: Some("bedrock-runtime.us-east-1.amazonaws.com"), ..Terms::default() };
    let q = quote_in("claude-sonnet-4-5-20250929", None, bedrock, &t);
    assert_eq!((q.cost, q.entry.starts_with("genai-prices:aws/")), (d("3.3"), true), "{}", q.entry);
    let x = c.explain_match_at("claude-sonnet-4-5-20250929", None, bedrock.address);
    assert!(x.catalog_provider.as_deref().is_some_and(|p| p.starts_with("aws (from server.address")), "{x:?}");
    // A provider the telemetry names wins; an unknown host changes nothing.
    // (1M input tokens: Anthropic's >200k long-context rate, 6.)
    let q = quote_in("claude-sonnet-4-5-20250929", Some("anthropic"), bedrock, &t);
    assert_eq!((q.cost, &*q.entry), (d("6"), "genai-prices:anthropic/claude-sonnet-4-5"));
    let plain = quote_in("claude-sonnet-4-5-20250929", None, Terms::default(), &t);
    let unknown = Terms { address: Some("llm.internal.example.com"), ..Terms::default() };
    assert_eq!(quote_in("claude-sonnet-4-5-20250929", None, unknown, &t), plain);
    assert!(crate::model::provider::is_well_known("AWS.Bedrock") && !crate::model::provider::is_well_known("_OTHER"));
}

#[test]
fn every_name_of_one_model_has_one_family() {
    let c = cat();
    let family = |model: &str, provider: Option<&str>, address: Option<&str>| {
        let terms = Terms { address, ..Terms::default() };
        let q = c.quote_with(model, provider, terms, 0, &tok(1000, 0, 0, 0, 10)).expect(model);
        c.catalog_name(model, &q).map(|f| f.model.to_string())
    };
    let sonnet = Some("claude-sonnet-4-5".to_string());
    // Bedrock ids are priced by Bedrock's own entries, and still Anthropic's model.
    assert_eq!(family("us.anthropic.claude-sonnet-4-5-20250929-v1:0", None, None), sonnet);
    assert_eq!(family("anthropic.claude-sonnet-4-5-20250929-v1:0", Some("aws.bedrock"), None), sonnet);
    assert_eq!(family("claude-sonnet-4-5-20250929", None, Some("bedrock-runtime.us-east-1.amazonaws.com")), sonnet);
    assert_eq!(family("claude-sonnet-4-5@20250929", None, None), sonnet);
    assert_eq!(family("anthropic/claude-sonnet-4-5", None, None), sonnet);
    assert_eq!(family("gpt-4o-mini-2024-07-18", Some("openai"), None).as_deref(), Some("gpt-4o-mini"));
    assert_eq!(family("openai/o4-mini", None, None).as_deref(), Some("o4-mini"));
}

#[test]
fn the_bundled_catalog_is_its_json_parsed_at_run_time() {
    // The bundled files are read from what build.rs prepared (genai-prices as statics,
    // LiteLLM as lines with a key index), entries and prices built on first use; a price
    // file is parsed whole at load. The same JSON both ways must give the same catalog:
    // providers, entries in order, and every LiteLLM key the same entry.
    let genai = include_str!("../../pricing/genai-prices-v2.json");
    let litellm = include_str!("../../pricing/litellm-model-prices.json");
    let bundled = Catalog::embedded().unwrap();
    let parsed = Catalog::build(PriceFile::File("embedded", genai), PriceFile::File("embedded", litellm)).unwrap();
    let described = |c: &Catalog| -> Vec<String> {
        let name = |i: usize| c.entries[i].name.clone();
        let entries = c.entries.iter().map(|(i, e)| {
            let fields = (&e.name, e.source, &e.provider, &e.id, &e.origin, e.prices.get(), &e.service_tiers);
            format!("{fields:?} tier prices of {:?}", c.tier_prices(i).map(name))
        });
        let providers = c.providers.iter().map(|p| {
            let clause = |c: &Option<Clause>| c.as_ref().map(ToString::to_string);
            let mut exact: Vec<_> = p.exact.iter().map(|(k, &i)| (k, name(i))).collect();
            exact.sort();
            let rules: Vec<_> = p.rules.iter().map(|(r, i)| (r.to_string(), name(*i))).collect();
            let fallbacks: Vec<_> = p.fallbacks.iter().map(|&f| &c.providers[f].id).collect();
            let api = p.api_pattern.as_ref().map(|r| r.as_str());
            format!("{} {:?}", p.id, (clause(&p.provider_match), clause(&p.model_match), fallbacks, api, exact, rules))
        });
        providers.chain(entries).collect()
    };
    let catalog = described(&parsed);
    assert!(catalog.len() > 3000, "{} entries", catalog.len());
    assert_eq!(described(&bundled), catalog);
    let keys: serde_json::Map<String, serde_json::Value> = serde_json::from_str(litellm).unwrap();
    let mut found = 0;
    for key in keys.keys().map(|k| k.to_lowercase()) {
        let name = |c: &Catalog| c.entries.litellm(&key).map(|i| c.entries[i].name.clone());
        assert_eq!(name(&bundled), name(&parsed), "{key}");
        found += usize::from(name(&parsed).is_some());
    }
    assert!(found > 2000, "{found} keys");
}

#[test]
fn every_bundled_regex_compiles() {
    // They compile on first use (matcher::LazyRegex), which treats a bad one as no match.
    let c = cat();
    let mut regexes = 0;
    for p in &c.providers {
        p.check().unwrap();
        regexes += usize::from(p.api_pattern.is_some());
        for (clause, _) in &p.rules {
            clause.check().unwrap();
            regexes += usize::from(matches!(clause, matcher::Clause::Regex(_)));
        }
    }
    assert!(regexes > 40, "{regexes} regexes");
}

#[test]
fn a_bad_regex_in_a_price_file_fails_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("genai.json");
    let text = r#"[{"id": "p", "models": [{"id": "m", "match": {"regex": "m("}, "prices": {"input_mtok": 1}}]}]"#;
    std::fs::write(&file, text).unwrap();
    let err = Catalog::load(&[file], true).err().expect("refused").to_string();
    assert!(err.contains("bad regex \"m(\""), "{err}");
}

fn call_of(
    model: Option<&str>,
    provider: Option<&str>,
    address: Option<&str>,
    tier: ServiceTier,
    time_ns: u64,
) -> Call {
    Call {
        emitter: crate::model::Emitter::Semconv,
        signal: crate::model::Signal::Traces,
        time_ns,
        model: model.map(String::from),
        provider: provider.map(String::from),
        address: address.map(Box::from),
        tier,
        operation: None,
        service: None,
        tokens: tok(1_000, 200, 30, 0, 400),
        requests: 1,
        reported_cost: None,
        session: None,
        instance: None,
        span: None,
        dims: Vec::new(),
        route: None,
    }
}

proptest::proptest! {
    /// `price_calls` resolves each distinct (model, provider, address) once: every call is
    /// still priced, and named, exactly as quoting it on its own does.
    #[test]
    fn pricing_a_stream_is_quoting_each_call_alone(
        calls in proptest::collection::vec((0..6usize, 0..4usize, 0..3usize, 0..3usize, 0..3u64), 1..30)
    ) {
        let models = [None, Some("gpt-4o-mini-2024-07-18"), Some("claude-sonnet-4-5"), Some("GPT-4o-mini"), Some("no-such-model"), Some("gpt-5")];
        let providers = [None, Some("openai"), Some("anthropic"), Some("azure")];
        let addresses = [None, Some("api.openai.com"), Some("api.anthropic.com")];
        let tiers = [ServiceTier::Standard, ServiceTier::Flex, ServiceTier::Priority];
        let calls: Vec<Call> = calls
            .into_iter()
            .map(|(m, p, a, t, day)| call_of(models[m], providers[p], addresses[a], tiers[t], at(MID_2026, 0) + day * 40 * NS_PER_DAY))
            .collect();
        let priced: Vec<PricedCall> = price_calls(cat(), calls.clone(), true).collect();
        for (call, p) in calls.iter().zip(&priced) {
            let terms = Terms { address: call.address.as_deref(), tier: call.tier, requests: call.requests };
            let alone = call.model.as_deref().and_then(|m| cat().quote_with(m, call.provider.as_deref(), terms, call.time_ns, &call.tokens));
            proptest::prop_assert_eq!(p.quote.as_deref(), alone.as_ref());
            proptest::prop_assert_eq!(p.cost, alone.as_ref().map(|q| q.cost));
            let name = alone.as_ref().zip(call.model.as_deref()).and_then(|(q, m)| cat().catalog_name(m, q));
            proptest::prop_assert_eq!(&p.catalog_name, &name);
            let line = alone.as_ref().map(explain_quote);
            proptest::prop_assert_eq!(p.explanation.as_deref(), line.as_deref());
        }
    }
}

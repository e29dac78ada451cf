//! `report --what-if` end to end on real captures: every repriced figure is checked against
//! arithmetic done here, from the catalog's own unit prices (`otelcost prices show`, or the
//! bundled LiteLLM file for tier rates) times the report's tokens.

mod common;

use common::{otelcost, report_json, testdata};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => Decimal::from_str(s).unwrap(),
        Value::Number(n) => {
            let t = n.to_string();
            Decimal::from_str(&t).or_else(|_| Decimal::from_scientific(&t)).unwrap()
        }
        other => panic!("not a number: {other}"),
    }
}

/// The rates (USD per million tokens) in effect now for `model`, from `prices show`.
fn rates(model: &str) -> Value {
    let run = otelcost(&["prices", "show", model, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let prices = doc["entry"]["prices"].as_array().unwrap();
    prices.last().unwrap()["rates"].clone()
}

fn rate(rates: &Value, bucket: &str) -> Decimal {
    dec(&rates[bucket]["base"])
}

/// Tokens × rates, per million, for a row's tokens (cache writes all at the 5-minute rate:
/// these captures write no 1-hour cache).
fn priced(tokens: &Value, r: &Value, no_cache: bool) -> Decimal {
    let n = |k: &str| Decimal::from(tokens[k].as_u64().unwrap());
    let per_m = Decimal::from(1_000_000);
    assert_eq!(tokens["cache_write_1h"], 0);
    if no_cache {
        return ((n("input") + n("cache_read") + n("cache_write")) * rate(r, "input")
            + n("output") * rate(r, "output"))
            / per_m;
    }
    (n("input") * rate(r, "input")
        + n("cache_read") * rate(r, "cache_read")
        + n("cache_write") * rate(r, "cache_write_5m")
        + n("output") * rate(r, "output"))
        / per_m
}

fn row<'a>(report: &'a Value, key: &str, value: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"][key] == value)
        .unwrap_or_else(|| panic!("no row {value}"))
}

#[test]
fn a_model_switch_prices_the_same_tokens_at_the_other_models_rates() {
    let capture = testdata("emitters/b_openllmetry");
    let report = report_json(&[&capture, "--what-if", "model=claude-sonnet-4-5:claude-haiku-4-5", "--by", "model_id"]);
    let haiku = rates("claude-haiku-4-5");
    let sonnet = row(&report, "model_id", "claude-sonnet-4-5-20250929");
    let want = priced(&sonnet["tokens"], &haiku, false);
    assert_eq!(dec(&sonnet["what_if_cost"]), want);
    assert_eq!(dec(&sonnet["what_if_difference"]), want - dec(&sonnet["cost"]));
    // Other models are not switched: same cost, zero difference.
    for r in report["rows"].as_array().unwrap() {
        if r["group"]["model_id"] != "claude-sonnet-4-5-20250929" {
            assert_eq!(r["what_if_cost"], r["cost"], "{r}");
            assert_eq!(r["what_if_difference"], "0");
        }
    }
    let sum: Decimal = report["rows"].as_array().unwrap().iter().map(|r| dec(&r["what_if_cost"])).sum();
    assert_eq!(dec(&report["total"]["what_if_cost"]), sum);
    assert_eq!(report["what_if"]["scenario"][0], "model=claude-sonnet-4-5:claude-haiku-4-5");
    assert!(report["what_if"]["notes"][0].as_str().unwrap().contains("tokenize the same text differently"));
}

#[test]
fn no_cache_prices_every_cached_token_as_input() {
    // Claude Code's session reads and writes the cache heavily.
    let capture = testdata("agents/claude-http-protobuf-1");
    let report = report_json(&[&capture, "--what-if", "no-cache", "--by", "model_id"]);
    for r in report["rows"].as_array().unwrap() {
        let model = r["group"]["model_id"].as_str().unwrap();
        assert_eq!(dec(&r["what_if_cost"]), priced(&r["tokens"], &rates(model), true), "{model}");
        // And the report's own cost is the same arithmetic with cache rates.
        assert_eq!(dec(&r["cost"]), priced(&r["tokens"], &rates(model), false), "{model}");
    }
    // What caching saved is the difference: positive here.
    assert!(dec(&report["total"]["what_if_difference"]) > Decimal::ZERO);
    assert!(report["what_if"]["notes"].as_array().unwrap().is_empty());
}

#[test]
fn batch_tier_takes_the_tier_rates_where_the_model_has_them() {
    let capture = testdata("emitters/b_openllmetry");
    let report = report_json(&[&capture, "--what-if", "tier=batch", "--by", "model_id"]);
    let litellm: Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("pricing/litellm-model-prices.json")).unwrap(),
    )
    .unwrap();
    let gpt41 = &litellm["gpt-4.1"];
    let row = row(&report, "model_id", "gpt-4.1-2025-04-14");
    let n = |k: &str| Decimal::from(row["tokens"][k].as_u64().unwrap());
    // LiteLLM has no batch cache-read price for gpt-4.1: that bucket keeps its standard rate.
    let want = n("input") * dec(&gpt41["input_cost_per_token_batches"])
        + n("cache_read") * dec(&gpt41["cache_read_input_token_cost"])
        + n("output") * dec(&gpt41["output_cost_per_token_batches"]);
    assert_eq!(dec(&row["what_if_cost"]), want);
}

#[test]
fn another_price_sheet_and_another_date() {
    // A price sheet where gpt-4.1 halves from 2027 on: the calls (2026-11-23) keep today's
    // price unless priced at a 2027 date.
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("next-year.toml");
    std::fs::write(
        &sheet,
        r#"
[[model]]
id = "gpt-4.1"
provider = "openai"
match = { starts_with = "gpt-4.1" }
input_mtok = "2"
cache_read_mtok = "0.5"
output_mtok = "8"

[[model]]
id = "gpt-4.1"
provider = "openai"
match = { starts_with = "gpt-4.1" }
start_date = "2027-01-01"
input_mtok = "1"
cache_read_mtok = "0.25"
output_mtok = "4"
"#,
    )
    .unwrap();
    let prices = format!("prices={}", sheet.display());
    let capture = testdata("emitters/b_openllmetry");
    let now = report_json(&[&capture, "--what-if", &prices, "--by", "model_id"]);
    let gpt = row(&now, "model_id", "gpt-4.1-2025-04-14");
    assert_eq!(gpt["what_if_cost"], gpt["cost"]);
    let later = report_json(&[&capture, "--what-if", &prices, "--what-if", "date=2027-01-15", "--by", "model_id"]);
    let gpt = row(&later, "model_id", "gpt-4.1-2025-04-14");
    let n = |k: &str| Decimal::from(gpt["tokens"][k].as_u64().unwrap());
    let want = (n("input") * Decimal::ONE
        + n("cache_read") * Decimal::from_str("0.25").unwrap()
        + n("output") * Decimal::from(4))
        / Decimal::from(1_000_000);
    assert_eq!(dec(&gpt["what_if_cost"]), want);
    assert_eq!(dec(&gpt["what_if_difference"]), want - dec(&gpt["cost"]));
}

#[test]
fn what_if_where_limits_the_scenario_to_some_calls() {
    let capture = testdata("emitters/b_openllmetry");
    let report = report_json(&[
        &capture,
        "--by",
        "user",
        "--what-if",
        "model=*:gpt-4o-mini",
        "--what-if-where",
        "user=user-erin",
    ]);
    let dave = row(&report, "user", "user-dave");
    assert_eq!(dave["what_if_cost"], dave["cost"]);
    let erin = row(&report, "user", "user-erin");
    assert_ne!(erin["what_if_cost"], erin["cost"]);
    assert_eq!(report["what_if"]["scenario"][1], "only where user=user-erin");
}

#[test]
fn bad_assumptions_are_usage_errors() {
    let capture = testdata("emitters/b_openllmetry");
    for bad in ["model=gpt-4o", "tier=gold", "cheaper"] {
        let run = otelcost(&["report", &capture, "--what-if", bad]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("--what-if"), "{}", run.stderr);
    }
}

#[test]
fn every_format_shows_both_costs_and_the_difference() {
    let capture = testdata("emitters/b_openllmetry");
    let args = |format: &'static str| {
        vec![
            "report",
            capture.as_str(),
            "--what-if",
            "model=claude-sonnet-4-5:claude-haiku-4-5",
            "--format",
            format,
            "-q",
        ]
    };
    let csv = otelcost(&args("csv")).stdout;
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",cost,unpriced_requests,what_if_cost,what_if_difference,what_if_unpriced_requests"),
        "{csv}"
    );
    let table = otelcost(&args("table")).stdout;
    assert!(
        table.contains("what-if (USD)")
            && table.contains("what-if difference")
            && table.contains("Note: a model switch"),
        "{table}"
    );
    let md = otelcost(&args("markdown")).stdout;
    assert!(
        md.contains("| what-if (USD) | what-if difference |")
            && md.contains("What-if: model=claude-sonnet-4-5:claude-haiku-4-5"),
        "{md}"
    );
    // Merging JSON reports keeps the what-if columns exact.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("a.json");
    std::fs::write(&json, otelcost(&args("json")).stdout).unwrap();
    let merged = otelcost(&["merge", &json.display().to_string(), &json.display().to_string(), "--format", "json"]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    let merged: Value = serde_json::from_str(&merged.stdout).unwrap();
    let single: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(dec(&merged["total"]["what_if_cost"]), dec(&single["total"]["what_if_cost"]) * Decimal::TWO);
    #[cfg(feature = "parquet")]
    {
        use polars::prelude::{ParquetReader, SerReader};
        let out = dir.path().join("r.parquet");
        let run = otelcost(&["report", &capture, "--what-if", "no-cache", "-o", &out.display().to_string(), "-q"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let df = ParquetReader::new(std::fs::File::open(&out).unwrap()).finish().unwrap();
        for col in ["what_if_cost", "what_if_difference", "what_if_unpriced_requests"] {
            assert!(df.column(col).is_ok(), "{col} missing: {:?}", df.get_column_names());
        }
    }
}

#[test]
fn what_if_is_for_grouped_reports_with_the_computed_cost() {
    let capture = testdata("emitters/b_openllmetry");
    for extra in [&["--lines"][..], &["--format", "focus"], &["--cost", "reported"]] {
        let mut args = vec!["report", capture.as_str(), "--what-if", "no-cache"];
        args.extend_from_slice(extra);
        let run = otelcost(&args);
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
        assert!(run.stderr.contains("--what-if"), "{}", run.stderr);
    }
}

/// A whole catalog file as the other price sheet ("what did the price change do?"): here
/// the bundled genai-prices file itself, so nothing may change.
#[test]
fn a_catalog_file_as_the_other_price_sheet() {
    let capture = testdata("emitters/b_openllmetry");
    let catalog = format!("prices={}", common::root().join("pricing/genai-prices-v2.json").display());
    let report = report_json(&[&capture, "--what-if", &catalog]);
    for r in report["rows"].as_array().unwrap().iter().chain([&report["total"]]) {
        assert_eq!(r["what_if_cost"], r["cost"], "{r}");
        assert_eq!(r["what_if_difference"], "0");
    }
}

//! Service tiers, per-request fees and `server.address` through the binary, on small OTLP
//! JSON requests written here; and the real captures' `default`/`standard` tiers.

mod common;

use common::*;
use serde_json::Value;

/// One OTLP/JSON traces request: a chat span per `(span id, attributes)`.
fn request(spans: &[(&str, &[(&str, &str)])]) -> Vec<u8> {
    let spans: Vec<Value> = spans
        .iter()
        .map(|(id, attrs)| {
            let mut attributes: Vec<Value> =
                attrs.iter().map(|(k, v)| serde_json::json!({"key": k, "value": {"stringValue": v}})).collect();
            for (k, n) in [("gen_ai.usage.input_tokens", "1000"), ("gen_ai.usage.output_tokens", "500")] {
                attributes.push(serde_json::json!({"key": k, "value": {"intValue": n}}));
            }
            serde_json::json!({
                "traceId": "0102030405060708090a0b0c0d0e0f10",
                "spanId": id,
                "name": "chat",
                "endTimeUnixNano": "1795392559000000000",
                "attributes": attributes,
            })
        })
        .collect();
    serde_json::json!({"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}]}).to_string().into_bytes()
}

fn report(body: Vec<u8>, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["report", "--format", "json", "--by", "model_id"];
    args.extend_from_slice(extra);
    let run = otelcost_stdin(&args, Some(body));
    assert_eq!(run.code, 0, "{}", run.stderr);
    (serde_json::from_str(&run.stdout).unwrap(), run.stderr)
}

fn cost_of(report: &Value, model: &str) -> String {
    let row = model_row(report, model);
    row["cost"].as_str().unwrap().to_string()
}

#[test]
fn a_flex_call_is_priced_at_flex_rates_and_a_tier_without_a_price_is_flagged() {
    let body = request(&[
        (
            "1111111111111111",
            &[
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.system", "openai"),
                ("gen_ai.request.model", "gpt-5"),
                ("gen_ai.openai.request.service_tier", "auto"),
                ("gen_ai.openai.response.service_tier", "flex"),
            ][..],
        ),
        (
            "2222222222222222",
            &[
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.system", "openai"),
                ("gen_ai.request.model", "gpt-4o"),
                ("gen_ai.openai.response.service_tier", "flex"),
            ][..],
        ),
    ]);
    let (r, stderr) = report(body, &["--explain"]);
    // gpt-5 flex: 1000 × 0.625 + 500 × 5 per Mtok (standard would be 0.00625).
    assert_eq!(cost_of(&r, "gpt-5"), "0.003125");
    // gpt-4o has no flex price: standard 1000 × 2.5 + 500 × 10 per Mtok, and a warning.
    assert_eq!(cost_of(&r, "gpt-4o"), "0.0075");
    assert!(
        stderr.contains("warning: service tier flex has no price for model \"gpt-4o\"; priced at standard rates"),
        "{stderr}"
    );
    assert!(!stderr.contains("model \"gpt-5\"; priced at standard"), "{stderr}");
    let used: Vec<&str> = r["prices_used"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(used.iter().any(|l| l.contains("service tier flex (litellm:openai/gpt-5)")), "{used:?}");
    assert!(used.iter().any(|l| l.contains("service tier flex: no price for this model, standard rates")), "{used:?}");
}

#[test]
fn server_address_picks_the_provider_when_the_span_names_none() {
    let span = |address: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.request.model", "claude-sonnet-4-5-20250929"),
            ("server.address", address),
        ]
    };
    let bedrock = span("bedrock-runtime.us-east-1.amazonaws.com");
    let (r, _) = report(request(&[("1111111111111111", bedrock.as_slice())]), &[]);
    // Bedrock's regional price (3.3 / 16.5 per Mtok), not Anthropic's (3 / 15).
    assert_eq!(cost_of(&r, "claude-sonnet-4-5-20250929"), "0.01155");
    let local = span("127.0.0.1");
    let (r, _) = report(request(&[("1111111111111111", local.as_slice())]), &[]);
    assert_eq!(cost_of(&r, "claude-sonnet-4-5-20250929"), "0.0105");
}

#[test]
fn the_captures_default_and_standard_tiers_are_standard_prices() {
    // These captures say `default` (OpenAI) and `standard` (LiteLLM, Anthropic): no warning,
    // no tier in the prices applied.
    for capture in ["emitters/a_openai_v2_default/traces.jsonl", "emitters/d_litellm_default/traces.jsonl"] {
        let run = otelcost(&["report", &testdata(capture), "--explain", "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stderr.contains("service tier"), "{capture}: {}", run.stderr);
        assert!(!run.stdout.contains("service tier"), "{capture}");
    }
}

#[test]
fn a_per_request_fee_is_its_own_component_in_json_and_focus() {
    let sonar = [("gen_ai.operation.name", "chat"), ("gen_ai.system", "perplexity"), ("gen_ai.request.model", "sonar")];
    let body = request(&[("1111111111111111", &sonar[..])]);
    let (r, _) = report(body.clone(), &[]);
    // 1000 × 1 + 500 × 1 per Mtok, plus 12 USD per 1000 requests.
    assert_eq!(r["total"]["cost"], "0.0135");
    assert_eq!(r["total"]["cost_by_type"]["request"], "0.012");
    let run = otelcost_stdin(&["report", "--format", "focus"], Some(body));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut lines = run.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let row = lines.find(|l| l.contains("/sonar/request")).expect("a request row");
    // The (quoted) description holds a comma: columns after it are counted from the end.
    let fields: Vec<&str> = row.split(',').collect();
    assert!(row.contains(",Requests,") && row.contains(",1000 Requests,"), "{row}");
    assert_eq!(fields[fields.len() - (header.len() - col("x_TokenType"))], "request");
}

#!/usr/bin/env python3
"""Writes the SYNTHETIC bill fixtures of tests/bills/ from a capture's truth.

No provider bill was captured for the telemetry in testdata/: these bills are built from
the truth of one capture, tests/expected/b_openllmetry.json (`expected_totals`, what the
fake LLM servers sent), priced at the bundled catalog's list prices (USD per million
tokens, as `otelcost prices show MODEL` prints them), then perturbed on purpose so that
every reason class of `compare-bill` shows up:

  1. a missing day: OpenAI bills gpt-4.1 on 2026-11-22 (the capture day's gpt-4.1 tokens,
     uncached), a day with no telemetry;
  2. a batch-tier call: OpenAI bills the gpt-4o-mini call in the batch tier (half price);
  3. a web-search charge: OpenAI bills one "web search tool calls" call, $0.01 (no model,
     not tokens);
  4. a renamed model: Anthropic names claude-haiku-4-5 by its alias where the telemetry
     has the snapshot claude-haiku-4-5-20251001 (the catalog matches both);
  5. cache accounting: Anthropic bills sonnet's cache writes at the 1-hour rate where the
     telemetry says 5-minute.

Everything else is billed exactly as the truth says. OpenAI amounts are JSON numbers
(dollars), Anthropic amounts decimal strings in cents, as the real APIs write them.
Run from the repository root: python3 tests/bills/make_synthetic.py
"""
import json
from decimal import Decimal

TRUTH = json.load(open("tests/expected/b_openllmetry.json"))["expected_totals"]["by_response_model"]
DAY = 1795392000  # 2026-11-23T00:00:00Z, the capture's day
DAY_BEFORE = DAY - 86400

# Catalog list prices, USD per million tokens: (input, cache read, cache write 5m, cache write 1h, output)
PRICES = {
    "gpt-4.1-2025-04-14": ("2", "0.5", None, None, "8"),
    "o4-mini-2025-04-16": ("1.1", "0.275", None, None, "4.4"),
    "gpt-4o-mini-2024-07-18": ("0.15", "0.075", None, None, "0.6"),
    "text-embedding-3-small": ("0.02", None, None, None, "0"),
    "claude-sonnet-4-5-20250929": ("3", "0.3", "3.75", "6", "15"),
    "claude-haiku-4-5-20251001": ("1", "0.1", "1.25", "2", "5"),
}
BATCH = Decimal("0.5")


def usd(tokens, per_mtok):
    return Decimal(tokens) * Decimal(per_mtok) / Decimal(1_000_000)


def literal(d):
    """A decimal as a JSON number literal, exactly (no float on the way)."""
    return format(d.normalize(), "f") if d >= Decimal("0.000001") or d == 0 else format(d.normalize(), "E").replace("E", "e")


def openai_costs():
    rows = []  # (bucket start, line_item, amount)
    gpt41 = TRUTH["gpt-4.1-2025-04-14"]  # 1. the same gpt-4.1 calls the day before: no telemetry
    rows.append((DAY_BEFORE, "gpt-4.1-2025-04-14, input", usd(gpt41["input_tokens_total_incl_cache"], "2")))
    rows.append((DAY_BEFORE, "gpt-4.1-2025-04-14, output", usd(gpt41["output_tokens_total_incl_reasoning"], "8")))
    for model, t in TRUTH.items():
        if t["provider"] != "openai":
            continue
        p = PRICES[model]
        batch = model == "gpt-4o-mini-2024-07-18"  # 2. billed in the batch tier
        factor, suffix = (BATCH, " (batch)") if batch else (Decimal(1), "")
        parts = [("input", t["input_tokens_uncached"], p[0]), ("cached input", t["cache_read_tokens"], p[1]),
                 ("output", t["output_tokens_total_incl_reasoning"], p[4])]
        for kind, n, price in parts:
            if n:
                rows.append((DAY, f"{model}, {kind}{suffix}", usd(n, price) * factor))
    rows.append((DAY, "web search tool calls", Decimal("0.01")))  # 3. one web search call, $10 per 1000
    pages = []
    for start in (DAY_BEFORE, DAY):
        results = [
            '{"object": "organization.costs.result", "amount": {"value": %s, "currency": "usd"}, '
            '"line_item": %s, "project_id": "proj_synthetic"}' % (literal(a), json.dumps(item))
            for s, item, a in rows if s == start
        ]
        pages.append('{"object": "bucket", "start_time": %d, "end_time": %d, "results": [%s]}'
                     % (start, start + 86400, ", ".join(results)))
    return '{"object": "page", "data": [%s], "has_more": false, "next_page": null}\n' % ",\n  ".join(pages)


def anthropic_cost_report():
    results = []
    for model, t in TRUTH.items():
        if t["provider"] != "anthropic":
            continue
        p = PRICES[model]
        billed_as = "claude-haiku-4-5" if model.startswith("claude-haiku") else model  # 4. renamed
        parts = [("uncached_input_tokens", t["input_tokens_uncached"], p[0]),
                 ("cache_read_input_tokens", t["cache_read_tokens"], p[1]),
                 ("cache_creation.ephemeral_1h_input_tokens", t["cache_write_tokens"], p[3]),  # 5. 1h rate
                 ("output_tokens", t["output_tokens_total_incl_reasoning"], p[4])]
        for token_type, n, price in parts:
            if n:
                cents = usd(n, price) * 100
                results.append({"amount": format(cents.normalize(), "f"), "context_window": "0-200k",
                                "cost_type": "tokens", "currency": "USD",
                                "description": f"{billed_as} Usage - {token_type}", "inference_geo": "global",
                                "model": billed_as, "service_tier": "standard", "token_type": token_type,
                                "workspace_id": "wrkspc_synthetic"})
    doc = {"data": [{"starting_at": "2026-11-23T00:00:00Z", "ending_at": "2026-11-24T00:00:00Z",
                     "results": results}], "has_more": False, "next_page": None}
    return json.dumps(doc, indent=2) + "\n"


open("tests/bills/synthetic_openai_costs.json", "w").write(openai_costs())
open("tests/bills/synthetic_anthropic_cost_report.json", "w").write(anthropic_cost_report())

"""Writes tests/expected/<scenario>.json (the truth the tests compare with) from what the fake
LLM server logged it sent, for the captures of tests/capture/i19b and i19c.

Usage: python3 tests/capture/expected_from_log.py SCENARIO FAKE_LLM_LOG DESCRIPTION
Only responses whose usage reached the client count (`usage_delivered_to_client`).
"""
import json
import os
import sys

FIELDS = ["requests", "input_tokens_total_incl_cache", "input_tokens_uncached", "cache_read_tokens",
          "cache_write_tokens", "output_tokens_total_incl_reasoning", "reasoning_tokens"]


def normalise(e):
    """(input incl. cache, uncached input, cache read, cache write, output incl. reasoning, reasoning)."""
    u, api = e["usage"], e["api"]
    if api == "openai.chat":
        read = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
        reasoning = (u.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
        return u["prompt_tokens"], u["prompt_tokens"] - read, read, 0, u["completion_tokens"], reasoning
    if api == "openai.responses":
        read = (u.get("input_tokens_details") or {}).get("cached_tokens", 0)
        reasoning = (u.get("output_tokens_details") or {}).get("reasoning_tokens", 0)
        return u["input_tokens"], u["input_tokens"] - read, read, 0, u["output_tokens"], reasoning
    if api.startswith("anthropic") or api.startswith("bedrock.invoke"):
        # Anthropic's input_tokens leaves the cache reads and writes out.
        read, write = u["cache_read_input_tokens"], u["cache_creation_input_tokens"]
        return u["input_tokens"] + read + write, u["input_tokens"], read, write, u["output_tokens"], 0
    if api == "bedrock.converse":
        read, write = u.get("cacheReadInputTokens", 0), u.get("cacheWriteInputTokens", 0)
        return u["inputTokens"] + read + write, u["inputTokens"], read, write, u["outputTokens"], 0
    raise ValueError(api)


def provider(api):
    return "openai" if api.startswith("openai") else "bedrock" if api.startswith("bedrock") else "anthropic"


def main():
    scenario, log_path, description = sys.argv[1:4]
    log = [json.loads(line) for line in open(log_path) if line.strip()]
    by_response, by_request, per_request, not_delivered = {}, {}, [], []
    for e in log:
        if not e.get("usage_delivered_to_client", True):
            not_delivered.append(e)
            continue
        n = dict(zip(FIELDS, (1, *normalise(e))))
        r = by_response.setdefault(e["response_model"], {"provider": provider(e["api"]), "request_models": [],
                                                          **dict.fromkeys(FIELDS, 0)})
        if e["request_model"] not in r["request_models"]:
            r["request_models"].append(e["request_model"])
        q = by_request.setdefault(e["request_model"], dict.fromkeys(FIELDS, 0))
        for k in FIELDS:
            r[k] += n[k]
            q[k] += n[k]
        per_request.append({"fake_request": e["n"], "api": e["api"], "request_model": e["request_model"],
                            "response_model": e["response_model"], "stream": e["stream"], **n})
    truth = {
        "scenario": scenario,
        "description": description,
        "fake_llm_log": os.path.relpath(log_path),
        "expected_totals": {
            "note": "computed from the fake server's log of what it sent; only responses whose usage reached "
                    "the client (see usage_not_delivered)",
            "by_response_model": by_response,
            "by_request_model": by_request,
        },
        "usage_not_delivered": not_delivered,
        "per_request": per_request,
    }
    out = os.path.join(os.path.dirname(__file__), "..", "expected", f"{scenario}.json")
    with open(out, "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")


main()

"""The truth of a capture: what the fake LLM server logged it sent (`fake_llm_log.jsonl`),
in totals per response model and per request model."""

FIELDS = ["requests", "input_tokens_total_incl_cache", "input_tokens_uncached", "cache_read_tokens",
          "cache_write_tokens", "output_tokens_total_incl_reasoning", "reasoning_tokens"]


def counts(inc, read, write, out, reasoning, uncached=None):
    return dict(requests=1, input_tokens_total_incl_cache=inc,
                input_tokens_uncached=inc - read - write if uncached is None else uncached,
                cache_read_tokens=read, cache_write_tokens=write, output_tokens_total_incl_reasoning=out,
                reasoning_tokens=reasoning)


def normalise(entry):
    """One response's usage in the truth's names, and its provider."""
    u, api = entry["usage"], entry["api"]
    if api == "openai.chat":
        # OpenAI: prompt tokens include the cached ones, completion tokens the reasoning.
        return counts(u["prompt_tokens"], u["prompt_tokens_details"]["cached_tokens"], 0, u["completion_tokens"],
                      u["completion_tokens_details"]["reasoning_tokens"]), "openai"
    if api == "openai.responses":
        return counts(u["input_tokens"], u["input_tokens_details"]["cached_tokens"], 0, u["output_tokens"],
                      u["output_tokens_details"]["reasoning_tokens"]), "openai"
    if api == "anthropic.messages" or api.startswith("bedrock.invoke_model"):
        # Anthropic (also through Bedrock's InvokeModel): input_tokens leaves the cache reads
        # and writes out.
        read, write = u["cache_read_input_tokens"], u["cache_creation_input_tokens"]
        provider = "anthropic" if api == "anthropic.messages" else "bedrock"
        return counts(u["input_tokens"] + read + write, read, write, u["output_tokens"], 0), provider
    if api == "bedrock.converse":
        # Converse: inputTokens leaves the cache out; the cache fields only when asked for.
        read, write = u.get("cacheReadInputTokens", 0), u.get("cacheWriteInputTokens", 0)
        return counts(u["inputTokens"] + read + write, read, write, u["outputTokens"], 0), "bedrock"
    # Gemini: the prompt count includes cached content; thoughts are billed as output but
    # reported apart from the candidates.
    cached, thoughts = u.get("cachedContentTokenCount", 0), u.get("thoughtsTokenCount", 0)
    return counts(u["promptTokenCount"], cached, 0, u["candidatesTokenCount"] + thoughts, thoughts), "google"


def totals(log):
    by_response, by_request, overall = {}, {}, dict.fromkeys(FIELDS, 0)
    per_request, not_delivered = [], []
    for e in log:
        if not e["usage_delivered_to_client"]:
            not_delivered.append(e)
            continue
        n, provider = normalise(e)
        r = by_response.setdefault(e["response_model"], {"provider": provider, "request_models": [],
                                                          **dict.fromkeys(FIELDS, 0)})
        if e["request_model"] not in r["request_models"]:
            r["request_models"].append(e["request_model"])
        q = by_request.setdefault(e["request_model"], dict.fromkeys(FIELDS, 0))
        for k in FIELDS:
            r[k] += n[k]
            q[k] += n[k]
            overall[k] += n[k]
        per_request.append({"fake_request": e["n"], "api": e["api"], "request_model": e["request_model"],
                            "response_model": e["response_model"], "stream": e["stream"],
                            "tool_call": e["tool_call"], "raw_usage_sent": e["usage"], **n})
    return {"note": "computed from the fake server's log of what it sent; only responses whose usage reached "
                    "the client (see usage_not_delivered)",
            "by_response_model": by_response, "by_request_model": by_request, "overall": overall,
            "usage_not_delivered": not_delivered}, per_request

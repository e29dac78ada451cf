"""Langfuse Python SDK: OpenAI via the drop-in `from langfuse.openai import openai`, Anthropic via
@observe(as_type="generation") functions that report usage_details / cost_details themselves (Langfuse
has no Anthropic wrapper). Langfuse exports OTLP/HTTP to LANGFUSE_HOST (= the local sink, set by run.sh)
at /api/public/otel/v1/traces. Default settings otherwise. Fake LLM API only."""
import os
import sys

import anthropic
import langfuse
from langfuse import get_client, observe
from langfuse.openai import openai  # drop-in OpenAI integration

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import scenario_calls as sc  # noqa: E402

lf = get_client()
oa = openai.OpenAI(base_url=sc.FAKE_URL + "/v1", api_key="sk-fake-local", max_retries=0)
an = anthropic.Anthropic(base_url=sc.FAKE_URL, api_key="sk-ant-fake-local", max_retries=0)

# Example USD prices per 1M tokens the PROGRAM uses for cost_details (its own numbers, not Langfuse's):
PRICE = {"claude-sonnet-4-5-20250929": dict(input=3.0, output=15.0, cache_read_input_tokens=0.30,
                                            cache_creation_input_tokens=3.75),
         "claude-haiku-4-5": dict(input=1.0, output=5.0, cache_read_input_tokens=0.10,
                                  cache_creation_input_tokens=1.25)}


def anthropic_generation(label, fn):
    """Wrap one Anthropic call in an @observe(as_type="generation") that reports usage and cost."""
    @observe(as_type="generation", name=f"anthropic-{label}")
    def gen(**kw):
        out = fn(**kw)
        if hasattr(out, "usage"):  # Message
            u = {k: v for k, v in out.usage.model_dump().items() if isinstance(v, int)}
        else:  # our stream helper: usage collected from message_start + message_delta
            u = dict(sc.STREAM_USAGE)
        usage = {"input": u.get("input_tokens", 0), "output": u.get("output_tokens", 0),
                 "cache_read_input_tokens": u.get("cache_read_input_tokens") or 0,
                 "cache_creation_input_tokens": u.get("cache_creation_input_tokens") or 0}
        p = PRICE[kw["model"]]
        cost = {k: round(usage[k] * p[k] / 1e6, 9) for k in usage}
        cost["total"] = round(sum(cost.values()), 9)
        lf.update_current_generation(model=kw["model"], model_parameters={"max_tokens": kw["max_tokens"]},
                                     usage_details=usage, cost_details=cost)
        return out
    return gen


@observe(name="openai_session")
def openai_session():
    sc.openai_calls(oa)


@observe(name="anthropic_session")
def anthropic_session():
    sc.anthropic_calls(an, wrap=anthropic_generation)


openai_session()
anthropic_session()
lf.flush()
sc.save_calls(langfuse_version=getattr(langfuse, "__version__", None) or __import__("importlib.metadata").metadata.version("langfuse"))
print("done")

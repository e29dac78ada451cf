"""Turns one agent capture into the project's test data:

  testdata/agents/<run>/<signal>.jsonl          what otelcost's receiver saved (OTLP/JSON lines)
  testdata/agents/<run>/<the agent's own file>  where the agent wrote its telemetry itself
  tests/capture/agents/<run>/usage.jsonl        every usage the fake server sent
  tests/expected/<run>.json                     the truth: expected_tokens_by_model from that log,
                                                the CLI version, environment, prompt, and the
                                                hand-written notes kept from the previous version

Usage: python3 finalize.py RUN RUN_DIR REPO (RUN_DIR as capture.sh leaves it)
"""
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict

FIELDS = ["requests", "input_tokens_total_incl_cache", "input_tokens_uncached", "cache_read_tokens",
          "cache_write_tokens", "output_tokens_total_incl_reasoning", "reasoning_tokens"]


def normalise(entry):
    """One response's usage in the exclusive buckets the tests compare."""
    u, api = entry["usage"], entry["api"]
    if api == "gemini":
        # Gemini bills the tool-use prompt as input and thoughts as output.
        cached = u.get("cachedContentTokenCount", 0)
        prompt = u["promptTokenCount"] + u.get("toolUsePromptTokenCount", 0)
        thoughts = u.get("thoughtsTokenCount", 0)
        return [1, prompt, prompt - cached, cached, 0, u["candidatesTokenCount"] + thoughts, thoughts]
    if api == "openai":
        cached = u["prompt_tokens_details"]["cached_tokens"]
        return [1, u["prompt_tokens"], u["prompt_tokens"] - cached, cached, 0, u["completion_tokens"],
                u["completion_tokens_details"]["reasoning_tokens"]]
    if api == "openai.responses":
        cached = u["input_tokens_details"]["cached_tokens"]
        return [1, u["input_tokens"], u["input_tokens"] - cached, cached, 0, u["output_tokens"],
                u["output_tokens_details"]["reasoning_tokens"]]
    if api == "anthropic":
        i, cr, cw = u["input_tokens"], u["cache_read_input_tokens"], u["cache_creation_input_tokens"]
        return [1, i + cr + cw, i, cr, cw, u["output_tokens"], 0]
    raise ValueError(api)


def main():
    run, run_dir, repo = sys.argv[1:]
    data = os.path.join(repo, "testdata", "agents", run)
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    # zstd with a long window: the agents repeat their system prompt and tool definitions in
    # every call's telemetry, so the files shrink ~20 times (otelcost reads zstd by content).
    sink, out = os.path.join(run_dir, "sink"), os.path.join(run_dir, "out")
    files = [os.path.join(sink, n) for n in sorted(os.listdir(sink))] if os.path.isdir(sink) else []
    files += [os.path.join(out, n) for n in sorted(os.listdir(out))]
    for path in files:
        if os.path.getsize(path):
            target = os.path.join(data, os.path.basename(path) + ".zst")
            subprocess.run(["zstd", "-q", "-19", "--long=27", path, "-o", target], check=True)

    kit = os.path.join(repo, "tests", "capture", "agents", run)
    os.makedirs(kit, exist_ok=True)
    shutil.copy(os.path.join(run_dir, "fake", "usage.jsonl"), kit)
    by_model = defaultdict(lambda: [0] * len(FIELDS))
    for line in open(os.path.join(run_dir, "fake", "usage.jsonl")):
        entry = json.loads(line)
        for i, v in enumerate(normalise(entry)):
            by_model[entry["model"]][i] += v

    meta = json.load(open(os.path.join(run_dir, "run.meta.json")))
    scratch = run_dir.rstrip("/")
    fake = open(os.path.join(run_dir, "fake.url")).read().strip()
    # Scratch paths and ports change with every run.
    env = [re.sub(r"http://127\.0\.0\.1:\d+", "$OTLP", line.rstrip("\n").replace(scratch, "$RUN")
                  .replace(fake, "$FAKE_LLM")) for line in open(os.path.join(run_dir, "agent.env"))]
    truth_path = os.path.join(repo, "tests", "expected", run + ".json")
    previous = json.load(open(truth_path)) if os.path.exists(truth_path) else {}
    truth = {
        "run": run,
        "description": previous.get("description", ""),
        "cli_version": meta["cli_version"],
        "command": meta["command"],
        "prompt": meta["prompt"],
        "env": env,
        "fake_server_tool_script": json.loads(json.dumps(meta["fake_server_tool_script"]).replace(scratch, "$RUN")),
        "files": sorted(os.listdir(data)),
        "responses": sum(v[0] for v in by_model.values()),
        "expected_tokens_by_model": {m: dict(zip(FIELDS, v)) for m, v in sorted(by_model.items())},
        "notes": previous.get("notes", []),
    }
    if run.startswith("claude-agent-sdk"):
        # The SDK's own ResultMessage (claude_sdk_session.py prints it last).
        truth["sdk_result"] = json.loads(open(os.path.join(run_dir, "agent.stdout")).read().splitlines()[-1])
    with open(truth_path, "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
    print(json.dumps(truth["expected_tokens_by_model"], indent=1))


main()

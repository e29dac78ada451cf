"""Writes tests/expected/<name>.json for the tracing-library captures in this folder: the
truth computed from each capture's fake_llm_log.jsonl (as ../finalize.py computes it), the
calls its program made, the pinned libraries, and a description taken from its NOTES.md.

Usage: python3 tests/capture/libraries/truth.py   (from the repository root; stdlib only)
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from truth import totals  # noqa: E402  (tests/capture/truth.py, first on the path)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def pins(folder):
    """The pins of the requirements file its run.sh installs (a variant shares its base's)."""
    found = {}
    run = open(os.path.join(folder, "run.sh")).read()
    for rel in sorted(set(re.findall(r"-r ((?:\.\./\w+/)?requirements-[\w-]+\.txt)", run))):
        for line in open(os.path.join(folder, rel)):
            m = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", line.strip())
            if m:
                found[m.group(1).lower()] = m.group(2)
    return found


def main():
    for name in sorted(os.listdir(HERE)):
        folder = os.path.join(HERE, name)
        log_path = os.path.join(folder, "fake_llm_log.jsonl")
        if not os.path.exists(log_path):
            continue
        log = [json.loads(line) for line in open(log_path)]
        expected_totals, per_request = totals(log)
        calls_path = os.path.join(folder, "calls.json")
        calls = json.load(open(calls_path)) if os.path.exists(calls_path) else None
        title = open(os.path.join(folder, "NOTES.md")).readline().lstrip("# ").strip()
        truth = {
            "scenario": name,
            "description": title + " (see tests/capture/libraries/" + name + "/NOTES.md)",
            "emitter_script": f"tests/capture/libraries/{name}/program.py",
            "libraries": pins(folder),
            "calls": calls,
            "expected_totals": expected_totals,
            "per_request": per_request,
        }
        with open(os.path.join(REPO, "tests/expected", f"{name}.json"), "w") as f:
            f.write(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    main()

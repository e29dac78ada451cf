"""Writes tests/expected/<scenario>.json (the truth the tests compare with) from what the fake
LLM server logged it sent, for the captures of tests/capture/i19b and i19c, whose telemetry was
copied into testdata/ as captured.

Usage: python3 tests/capture/expected_from_log.py SCENARIO FAKE_LLM_LOG DESCRIPTION
"""
import json
import os
import sys

from truth import totals


def main():
    scenario, log_path, description = sys.argv[1:4]
    log = [json.loads(line) for line in open(log_path) if line.strip()]
    expected_totals, per_request = totals(log)
    truth = {
        "scenario": scenario,
        "description": description,
        "fake_llm_log": os.path.relpath(log_path),
        "expected_totals": expected_totals,
        "per_request": per_request,
    }
    with open(os.path.join(os.path.dirname(__file__), "..", "expected", f"{scenario}.json"), "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")


main()

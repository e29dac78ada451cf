"""Turns one capture run into the project's test data:

  testdata/protobuf/<scenario>/<signal>.pb   the requests exactly as otelcost --save stored them
  testdata/emitters/<scenario>/<signal>.jsonl the same requests as Collector file-exporter JSON lines
  tests/capture/<scenario>/fake_llm_log.jsonl what the fake server sent
  testdata/emitters/<scenario>/stdout.txt      for a console scenario, the program's stdout
  tests/expected/<scenario>.json               the truth: expected totals from that log, plus the
                                               hand-written description and notes kept from the
                                               previous version of the file

Usage: python finalize.py SCENARIO RUN_DIR REPO
  (RUN_DIR holds otlp/ or stdout.txt, calls.json, fake_llm_log.jsonl)
"""
import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from collections import defaultdict
from importlib import metadata

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from truth import totals

REQUESTS = {"traces": ExportTraceServiceRequest, "metrics": ExportMetricsServiceRequest,
            "logs": ExportLogsServiceRequest}
IDS = {"traceId", "spanId", "parentSpanId"}
LIBRARIES = {
    "g_strands": ["strands-agents", "openai", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"],
    "h_google_adk": ["google-adk", "google-genai", "litellm", "openai", "opentelemetry-sdk",
                     "opentelemetry-exporter-otlp-proto-http"],
    "i_openlit": ["openlit", "openai", "anthropic", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"],
    "i_openlit_console": ["openlit", "openai", "anthropic", "opentelemetry-sdk"],
}


def spring_ai_versions(repo):
    """The Java libraries inside the Spring Boot jar that made the capture."""
    jar = os.path.join(repo, "tests/capture/spring_ai/target/spring-ai-capture.jar")
    wanted = {"spring-ai-client-chat", "spring-ai-openai", "spring-boot", "micrometer-core",
              "micrometer-registry-otlp", "micrometer-tracing-bridge-otel", "opentelemetry-sdk",
              "opentelemetry-exporter-otlp"}
    found = {}
    for name in zipfile.ZipFile(jar).namelist():
        m = re.fullmatch(r"BOOT-INF/lib/(.+?)-(\d[^/]*)\.jar", name)
        if m and m.group(1) in wanted:
            found[m.group(1)] = m.group(2)
    return dict(sorted(found.items()))


def versions(scenario, repo):
    if scenario == "i_spring_ai":
        return spring_ai_versions(repo)
    found = {p: metadata.version(p) for p in LIBRARIES[scenario]}
    if scenario == "h_google_adk":
        # The ADK 1 run has an interpreter of its own.
        probe = "import importlib.metadata as m; print(m.version('google-adk'), m.version('google-genai'))"
        adk, genai = subprocess.check_output([os.environ["ADK1_PYTHON"], "-c", probe], text=True).split()
        found.update({"google-adk (adk1 run)": adk, "google-genai (adk1 run)": genai})
    return found


def frames(path):
    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        yield data[pos + 4:pos + 4 + n]
        pos += 4 + n


def hex_ids(node):
    """OTLP/JSON writes ids as hex; protobuf's JSON mapping writes bytes as base64."""
    if isinstance(node, dict):
        return {k: base64.b64decode(v).hex() if k in IDS and isinstance(v, str) else hex_ids(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [hex_ids(v) for v in node]
    return node


def to_jsonl(pb_path, signal):
    lines = []
    for frame in frames(pb_path):
        msg = REQUESTS[signal].FromString(frame)
        line = json.dumps(hex_ids(MessageToDict(msg, use_integers_for_enums=True)), separators=(",", ":"))
        # Exponents as OTLP/JSON writers (and otelcost's transcoder) print them: 6.9e-6, not
        # Python's 6.9e-06.
        line = re.sub(r"(?<=[0-9])e-0(?=[0-9])", "e-", line)
        lines.append(re.sub(r"(?<=[0-9])e\+0?(?=[0-9])", "e", line))
    return lines


def observed(trace_lines):
    """Token-looking span attributes summed by span name: for reference only."""
    sums = defaultdict(lambda: defaultdict(int))
    for line in trace_lines:
        for rs in json.loads(line).get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                for span in ss.get("spans", []):
                    for kv in span.get("attributes", []):
                        v = kv["value"].get("intValue")
                        if "token" in kv["key"] and v is not None:
                            sums[span["name"]][kv["key"]] += int(v)
    return {name: dict(sorted(attrs.items())) for name, attrs in sorted(sums.items())}


def main():
    scenario, run, repo = sys.argv[1:4]
    pb_dir = os.path.join(repo, "testdata/protobuf", scenario)
    json_dir = os.path.join(repo, "testdata/emitters", scenario)
    kit_dir = os.path.join(repo, "tests/capture", scenario)
    for d in (pb_dir, json_dir, kit_dir):
        os.makedirs(d, exist_ok=True)
    trace_lines = []
    for signal in REQUESTS:
        src = os.path.join(run, "otlp", f"{signal}.pb")
        if not os.path.exists(src):
            continue
        shutil.copy(src, os.path.join(pb_dir, f"{signal}.pb"))
        lines = to_jsonl(src, signal)
        with open(os.path.join(json_dir, f"{signal}.jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if signal == "traces":
            trace_lines = lines
    if os.path.exists(os.path.join(run, "stdout.txt")):
        shutil.copy(os.path.join(run, "stdout.txt"), os.path.join(json_dir, "stdout.txt"))
        os.rmdir(pb_dir)
    shutil.copy(os.path.join(run, "fake_llm_log.jsonl"), os.path.join(kit_dir, "fake_llm_log.jsonl"))
    log = [json.loads(line) for line in open(os.path.join(run, "fake_llm_log.jsonl"))]
    expected_totals, per_request = totals(log)
    truth_path = os.path.join(repo, "tests/expected", f"{scenario}.json")
    previous = json.load(open(truth_path)) if os.path.exists(truth_path) else {}
    truth = {
        "scenario": scenario,
        "description": previous.get("description", ""),
        "emitter_script": "tests/capture/spring_ai/"
        if scenario == "i_spring_ai"
        else f"tests/capture/{scenario.removesuffix('_console')}.py",
        "libraries": versions(scenario, repo),
        "calls": json.load(open(os.path.join(run, "calls.json"))),
        "expected_totals": expected_totals,
        "per_request": per_request,
        "observed_in_capture_for_reference_only": {"span_token_attribute_sums_by_span_name": observed(trace_lines)},
        "notes": previous.get("notes", []),
    }
    with open(truth_path, "w") as f:
        f.write(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    main()

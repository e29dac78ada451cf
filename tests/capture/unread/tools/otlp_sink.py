#!/usr/bin/env python3
"""Small OTLP dump receiver (test-data capture tool).

Listens on 127.0.0.1 only.

OTLP/HTTP:  POST /v1/traces | /v1/metrics | /v1/logs
            Content-Type application/x-protobuf or application/json,
            optional Content-Encoding: gzip.
            Replies 200 with an empty Export*ServiceResponse in the request's encoding.
OTLP/gRPC:  optional (--grpc-port), the three standard collector services.

For every request received, writes into --out DIR:
  raw/NNNN-<signal>.pb|.json  the request body as received (gzip removed)
  <signal>.jsonl              one Export*ServiceRequest per line, OTLP/JSON as the
                              Collector file exporter (format: json) writes it:
                              lowerCamelCase names, hex trace/span ids, enums as
                              integers, 64-bit integers as decimal strings
  <signal>.pb                 Export*ServiceRequest protobuf bytes, each preceded by a
                              4-byte big-endian unsigned length, as the Collector file
                              exporter (format: proto) writes it (see FORMAT.md)
"""
import argparse
import base64
import gzip
import json
import os
import signal
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

REQUEST = {
    "traces": trace_service_pb2.ExportTraceServiceRequest,
    "metrics": metrics_service_pb2.ExportMetricsServiceRequest,
    "logs": logs_service_pb2.ExportLogsServiceRequest,
}
RESPONSE = {
    "traces": trace_service_pb2.ExportTraceServiceResponse,
    "metrics": metrics_service_pb2.ExportMetricsServiceResponse,
    "logs": logs_service_pb2.ExportLogsServiceResponse,
}
ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _walk_ids(obj, conv):
    """Apply conv to every traceId/spanId/parentSpanId string, at any depth
    (spans, span links, log records, metric exemplars)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ID_KEYS and isinstance(v, str):
                obj[k] = conv(v)
            else:
                _walk_ids(v, conv)
    elif isinstance(obj, list):
        for v in obj:
            _walk_ids(v, conv)
    return obj


def b64_to_hex(s):
    return base64.b64decode(s).hex()


def hex_to_b64(s):
    return base64.b64encode(bytes.fromhex(s)).decode("ascii") if s else ""


def proto_to_otlp_json(msg):
    d = json_format.MessageToDict(msg, use_integers_for_enums=True)  # lowerCamelCase by default
    return _walk_ids(d, b64_to_hex)


def otlp_json_to_proto(signal_name, text):
    d = json.loads(text)
    _walk_ids(d, hex_to_b64)  # OTLP/JSON ids are hex; protobuf JSON mapping wants base64
    msg = REQUEST[signal_name]()
    json_format.ParseDict(d, msg, ignore_unknown_fields=True)
    return msg


class Dumper:
    def __init__(self, out):
        self.out = out
        self.raw = os.path.join(out, "raw")
        os.makedirs(self.raw, exist_ok=True)
        self.lock = threading.Lock()
        self.n = 0

    def dump(self, signal_name, body, is_json, transport):
        """body: uncompressed request bytes. Returns the parsed proto message."""
        if is_json:
            msg = otlp_json_to_proto(signal_name, body)
            line = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
        else:
            msg = REQUEST[signal_name]()
            msg.ParseFromString(body)
            line = json.dumps(proto_to_otlp_json(msg), separators=(",", ":"), ensure_ascii=False)
        pb = msg.SerializeToString()
        with self.lock:
            self.n += 1
            ext = "json" if is_json else "pb"
            with open(os.path.join(self.raw, f"{self.n:04d}-{signal_name}.{ext}"), "wb") as f:
                f.write(body)
            with open(os.path.join(self.out, f"{signal_name}.jsonl"), "a", encoding="utf-8") as f:
                f.write(line + "\n")
            with open(os.path.join(self.out, f"{signal_name}.pb"), "ab") as f:
                f.write(struct.pack(">I", len(pb)) + pb)
            with open(os.path.join(self.out, "requests.log"), "a") as f:
                f.write(f"{self.n:04d} {transport} {signal_name} {'json' if is_json else 'protobuf'} {len(body)} bytes\n")
        return msg


def make_handler(dumper):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            sys.stderr.write("sink: " + (fmt % args) + "\n")

        def _reply(self, code, body, ctype):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _read_body(self):
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                # e.g. the Node.js OTLP/HTTP exporter sends chunked bodies without Content-Length
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()  # CRLF after each chunk
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_POST(self):
            path = self.path.split("?", 1)[0].rstrip("/")
            # i19b copy: accept any prefix before /v1/<signal> (e.g. Braintrust's /otel/v1/traces)
            signal_name = next((s for s in ("traces", "metrics", "logs") if path.endswith("/v1/" + s)), None)
            body = self._read_body()
            with open(os.path.join(dumper.out, "paths.log"), "a") as f:
                hdrs = {k: ("<redacted>" if k.lower() in ("authorization", "x-api-key", "api-key") else v)
                        for k, v in self.headers.items()}
                f.write(f"POST {path} {len(body)} bytes headers={json.dumps(hdrs)}\n")
            if signal_name is None:
                if path.endswith("/graphql"):
                    # i19b: the W&B GraphQL answers weave.init() needs (project exists, viewer), nothing else
                    q = json.loads(body or b"{}").get("query", "")
                    data = {"project": {"name": "capture"}} if "project(" in q else \
                        {"viewer": {"username": "capture", "defaultEntity": {"name": "otelcost"}}}
                    return self._reply(200, json.dumps({"data": data}).encode(), "application/json")
                return self._reply(404, b"not found", "text/plain")
            if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                body = gzip.decompress(body)
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            is_json = ctype == "application/json"
            if not is_json and ctype not in ("application/x-protobuf", "application/protobuf"):
                return self._reply(415, b"unsupported content type", "text/plain")
            try:
                dumper.dump(signal_name, body, is_json, "http")
            except Exception as e:  # keep the sink alive, tell the client
                sys.stderr.write(f"sink: failed to decode {signal_name}: {e!r}\n")
                return self._reply(400, str(e).encode(), "text/plain")
            if is_json:
                self._reply(200, b"{}", "application/json")
            else:
                self._reply(200, RESPONSE[signal_name]().SerializeToString(), "application/x-protobuf")

        def do_GET(self):
            with open(os.path.join(dumper.out, "paths.log"), "a") as f:
                f.write(f"GET {self.path}\n")
            if self.path.split("?")[0].rstrip("/").endswith("/server_info"):
                # i19b: the one trace-server call weave.init() needs before it installs its OTLP exporter
                return self._reply(200, json.dumps({"min_required_weave_python_version": "0.0.0",
                                                    "trace_server_version": "0.0.0"}).encode(), "application/json")
            self._reply(404, b"not found", "text/plain")

    return Handler


def start_grpc(dumper, port):
    import grpc
    from concurrent import futures
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

    def servicer(base, signal_name):
        class S(base):
            def Export(self, request, context):
                with open(os.path.join(dumper.out, "paths.log"), "a") as f:
                    md = {k: ("<redacted>" if k.lower() in ("authorization", "x-api-key", "api-key") else v)
                          for k, v in context.invocation_metadata()}
                    f.write(f"GRPC {signal_name} metadata={json.dumps(md)}\n")
                dumper.dump(signal_name, request.SerializeToString(), False, "grpc")
                return RESPONSE[signal_name]()
        return S()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(
        servicer(trace_service_pb2_grpc.TraceServiceServicer, "traces"), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(
        servicer(metrics_service_pb2_grpc.MetricsServiceServicer, "metrics"), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(
        servicer(logs_service_pb2_grpc.LogsServiceServicer, "logs"), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return server


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=4318)
    ap.add_argument("--grpc-port", type=int, default=0, help="0 = no gRPC receiver")
    ap.add_argument("--max-seconds", type=int, default=1800, help="exit by itself after this long")
    a = ap.parse_args()
    dumper = Dumper(a.out)
    httpd = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(dumper))
    grpc_server = start_grpc(dumper, a.grpc_port) if a.grpc_port else None

    def stop(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    timer = threading.Timer(a.max_seconds, stop)
    timer.daemon = True
    timer.start()
    sys.stderr.write(f"sink: http 127.0.0.1:{a.port} grpc {a.grpc_port or '-'} -> {a.out}\n")
    httpd.serve_forever()
    if grpc_server:
        grpc_server.stop(1)
    sys.stderr.write(f"sink: stopped after {dumper.n} requests\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""benches/live_load.py — requests/s, spans/s and memory of `otelcost listen` under load.

Starts `otelcost listen` on a free loopback port (HTTP only), then CONNECTIONS worker
processes each post the same OTLP/HTTP protobuf request over one keep-alive connection,
as fast as the answers come, for SECONDS. The request is every frame of
testdata/protobuf/b_openllmetry/traces.pb merged into one body (protobuf concatenation
appends the repeated resource_spans), REPEAT times. The listener's RSS is sampled from
/proc every 100 ms. At the end it gets SIGTERM and its own count of records ("N records"
on stderr) must equal spans-per-request x the 200 answers: nothing acknowledged is lost.

With --save the listener also appends every request to a temporary directory (deleted
at the end), in its default layout or, given --save FORMAT, with --save-format FORMAT
(json transcodes these protobuf requests to OTLP/JSON lines; proto keeps them as sent);
--sync adds --save-sync (an fsync before each answer).

Loopback only, bounded in time; stdlib only. On a 2-core machine the load generator
competes with the listener for the CPU, so the figures are a floor.

Usage: benches/live_load.py [--binary target/release/otelcost] [--seconds 10]
                            [--connections 2] [--repeat 1] [--save [json|proto]] [--sync]
"""
import argparse
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def frames(path):
    data = open(path, "rb").read()
    out, pos = [], 0
    while pos + 4 <= len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        out.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def worker(port, body, seconds, results):
    request = (
        f"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/x-protobuf\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ok = bad = 0
    buf = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sock.sendall(request)
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit("the listener closed the connection")
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(buf) < length:
            buf += sock.recv(65536)
        buf = buf[length:]
        if head.startswith(b"HTTP/1.1 200"):
            ok += 1
        else:
            bad += 1
    sock.close()
    results.put((ok, bad))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/otelcost"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--save", nargs="?", const="", metavar="FORMAT")
    ap.add_argument("--sync", action="store_true", help="with --save: --save-sync (fsync before each answer)")
    args = ap.parse_args()

    body = b"".join(frames(os.path.join(ROOT, "testdata/protobuf/b_openllmetry/traces.pb"))) * args.repeat
    command = [args.binary, "listen", "--http", "127.0.0.1:0", "--no-grpc", "--format", "json"]
    save_dir = None
    if args.save is not None:
        save_dir = tempfile.mkdtemp(prefix="live_load-")
        command += ["--save", save_dir] + (["--save-format", args.save] if args.save else [])
        command += ["--save-sync"] if args.sync else []
    listener = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    first = listener.stderr.readline()
    port = int(re.search(r"http://127\.0\.0\.1:(\d+)", first).group(1))
    rest = []
    threading.Thread(target=lambda: rest.append(listener.stderr.read()), daemon=True).start()

    peak = [0]
    sampling = [True]

    def sample():
        while sampling[0]:
            try:
                status = open(f"/proc/{listener.pid}/status").read()
                peak[0] = max(peak[0], int(re.search(r"VmRSS:\s+(\d+)", status).group(1)))
            except (OSError, AttributeError):
                pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    idle_rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{listener.pid}/status").read()).group(1))

    results = mp.Queue()
    procs = [mp.Process(target=worker, args=(port, body, args.seconds, results)) for _ in range(args.connections)]
    start = time.monotonic()
    for p in procs:
        p.start()
    counts = [results.get(timeout=args.seconds + 60) for _ in procs]
    elapsed = time.monotonic() - start
    for p in procs:
        p.join(timeout=10)
    sampling[0] = False
    sampler.join()

    listener.send_signal(signal.SIGTERM)
    listener.wait(timeout=120)
    time.sleep(0.2)
    stderr = first + "".join(rest)
    records = int(re.search(r"(\d+) records", stderr).group(1))
    ok = sum(c[0] for c in counts)
    bad = sum(c[1] for c in counts)
    spans_per_request = records // ok if ok else 0
    if bad or records != spans_per_request * ok:
        if save_dir:
            shutil.rmtree(save_dir)
        sys.exit(f"FAILED: {ok} accepted, {bad} refused, {records} records counted\n{stderr}")
    print(f"body: {len(body)} bytes, {spans_per_request} spans; {args.connections} connections, {elapsed:.1f} s")
    print(f"requests/s: {ok / elapsed:,.0f}   spans/s: {records / elapsed:,.0f}   ({ok} requests, {records} spans)")
    print(f"listener RSS: {idle_rss / 1024:.1f} MiB idle, {peak[0] / 1024:.1f} MiB peak")
    if save_dir:
        saved = {name: os.path.getsize(os.path.join(save_dir, name)) for name in sorted(os.listdir(save_dir))}
        print("saved: " + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in saved.items()))
        shutil.rmtree(save_dir)


if __name__ == "__main__":
    main()

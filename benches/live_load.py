#!/usr/bin/env python3
"""benches/live_load.py — requests/s, spans/s and memory of `otelcost listen` under load.

Starts `otelcost listen` on a free loopback port (HTTP only), then CONNECTIONS worker
processes each post OTLP/HTTP protobuf requests over one keep-alive connection, as fast as
the answers come, for SECONDS. The request is every frame of
testdata/protobuf/b_openllmetry/traces.pb merged into one body (protobuf concatenation
appends the repeated resource_spans), REPEAT times, each time with new trace ids (its
calls are new calls, as a busy service's are; the same spans sent again would be one call,
and one trace that grows without end). The listener's RSS is sampled from
/proc every 100 ms. At the end it gets SIGTERM and its own count of records ("N records"
on stderr) must equal spans-per-request x the 200 answers: nothing acknowledged is lost.

--rate caps the requests/s (in all), e.g. to keep a long --save run within the disk: at
full rate the saved OTLP/JSON grows by ~100 MB/s here (--save proto: ~60 MB/s); the work
directory is made in $TMPDIR.

The listener's RSS is reported over time too: its peak in the first and in the last
--window seconds (default 60, at most a third of the run) and per window in between, so a
long run (--seconds 600) shows whether its memory grows with what it has received.

With --save the listener also appends every request to a temporary directory (deleted
at the end), in its default layout or, given --save FORMAT, with --save-format FORMAT
(json transcodes these protobuf requests to OTLP/JSON lines; proto keeps them as sent);
--sync adds --save-sync (an fsync before each answer). Then `otelcost report` reads the
saved directory with the same options (--format json and --args) and its report must be
byte for byte the listener's own (written with --output): what was saved is what was
counted.

Loopback only, bounded in time; stdlib only. On a 2-core machine the load generator
competes with the listener for the CPU, so the figures are a floor.

Usage: benches/live_load.py [--binary target/release/otelcost] [--seconds 10]
                            [--connections 2] [--repeat 1] [--save [json|proto]] [--sync]
                            [--rate REQUESTS_PER_S] [--window 60] [--args "OTELCOST OPTIONS"]
"""
import argparse
import multiprocessing as mp
import os
import re
import shlex
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


def varint(data, pos):
    shift = value = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def fields(data):
    """(field number, wire type, value) of one protobuf message; bytes for length-delimited."""
    pos = 0
    while pos < len(data):
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = varint(data, pos)
            value, pos = data[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def trace_ids(request):
    """The trace ids of an ExportTraceServiceRequest (resource_spans > scope_spans > spans)."""
    ids = set()
    for n, _, resource_spans in fields(request):
        for m, _, scope_spans in fields(resource_spans) if n == 1 else ():
            for k, _, span in fields(scope_spans) if m == 2 else ():
                ids.update(v for f, w, v in fields(span) if k == 2 and f == 1 and w == 2 and len(v) == 16)
    return sorted(ids)


def worker(port, body, seconds, rate, results):
    request_head = (
        f"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/x-protobuf\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    ids = trace_ids(body)
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ok = bad = 0
    buf = b""
    begin = time.monotonic()
    end = begin + seconds
    while time.monotonic() < end:
        if rate:  # at most `rate` requests/s on this connection
            time.sleep(max(0.0, begin + (ok + bad) / rate - time.monotonic()))
        request = body
        for old in ids:  # random 16 bytes never occur by chance elsewhere in the body
            request = request.replace(old, os.urandom(16))
        sock.sendall(request_head + request)
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


def rss_kib(pid):
    return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))


def rss_windows(samples, seconds, window):
    """Peak RSS (KiB) per window of the run: [(start s, end s, peak)], from (t, kib) samples."""
    out, start = [], 0.0
    while start < seconds:
        end = min(start + window, seconds)
        peak = max((kib for t, kib in samples if start <= t < end), default=0)
        out.append((start, end, peak))
        start = end
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/otelcost"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--save", nargs="?", const="", metavar="FORMAT")
    ap.add_argument("--sync", action="store_true", help="with --save: --save-sync (fsync before each answer)")
    ap.add_argument("--rate", type=float, default=0,
                    help="requests/s in all, spread over the connections (default: as fast as answered)")
    ap.add_argument("--window", type=float, default=60, help="seconds per RSS window (at most a third of the run)")
    ap.add_argument("--args", default="", help="more options for both `listen` and `report`, e.g. \"--by model,service\"")
    args = ap.parse_args()

    body = b"".join(frames(os.path.join(ROOT, "testdata/protobuf/b_openllmetry/traces.pb"))) * args.repeat
    work = tempfile.mkdtemp(prefix="live_load-")
    report_options = ["--format", "json"] + shlex.split(args.args)
    listen_report = os.path.join(work, "listen.json")
    command = [args.binary, "listen", "--http", "127.0.0.1:0", "--no-grpc", "--output", listen_report]
    command += report_options
    save_dir = None
    if args.save is not None:
        save_dir = os.path.join(work, "saved")
        command += ["--save", save_dir] + (["--save-format", args.save] if args.save else [])
        command += ["--save-sync"] if args.sync else []
    listener = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    first = listener.stderr.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
    if not match:
        shutil.rmtree(work)
        sys.exit(f"FAILED: the listener did not start: {first}{listener.stderr.read()}")
    port = int(match.group(1))
    rest = []
    threading.Thread(target=lambda: rest.append(listener.stderr.read()), daemon=True).start()

    samples = []  # (seconds since the load started, RSS KiB)
    sampling = [True]
    idle_rss = rss_kib(listener.pid)
    start = time.monotonic()

    def sample():
        while sampling[0]:
            try:
                samples.append((time.monotonic() - start, rss_kib(listener.pid)))
            except (OSError, AttributeError):
                pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    results = mp.Queue()
    procs = [mp.Process(target=worker, args=(port, body, args.seconds, args.rate / args.connections, results)) for _ in range(args.connections)]
    for p in procs:
        p.start()
    counts = [results.get(timeout=args.seconds + 60) for _ in procs]
    elapsed = time.monotonic() - start
    for p in procs:
        p.join(timeout=10)
    load_rss = max((k for _, k in samples), default=idle_rss)

    # Sampled until the listener ends: counting what it holds (or spilled) is part of it.
    listener.send_signal(signal.SIGTERM)
    ending = time.monotonic()
    listener.wait(timeout=3600)
    ended_in = time.monotonic() - ending
    sampling[0] = False
    sampler.join()
    time.sleep(0.2)
    stderr = first + "".join(rest)
    records = int(re.search(r"(\d+) records", stderr).group(1))
    ok = sum(c[0] for c in counts)
    bad = sum(c[1] for c in counts)
    spans_per_request = records // ok if ok else 0
    if bad or records != spans_per_request * ok:
        shutil.rmtree(work)
        sys.exit(f"FAILED: {ok} accepted, {bad} refused, {records} records counted\n{stderr}")
    print(f"body: {len(body)} bytes, {spans_per_request} spans; {args.connections} connections, {elapsed:.1f} s")
    print(f"requests/s: {ok / elapsed:,.0f}   spans/s: {records / elapsed:,.0f}   ({ok} requests, {records} spans)")
    window = min(args.window, elapsed / 3)
    windows = rss_windows(samples, elapsed, window)
    mib = lambda kib: f"{kib / 1024:.1f}"
    print(f"listener RSS (MiB): {mib(idle_rss)} idle, {mib(max((k for _, k in samples), default=idle_rss))} peak; "
          f"peak in the first {window:.0f} s {mib(windows[0][2])}, in the last {windows[-1][1] - windows[-1][0]:.0f} s "
          f"{mib(windows[-1][2])} ({(windows[-1][2] - windows[0][2]) / 1024:+.1f})")
    print(f"peak RSS per {window:.0f} s (MiB): " + ", ".join(mib(peak) for _, _, peak in windows))
    end_rss = max((k for t, k in samples if t >= elapsed), default=0)
    print(f"after SIGTERM: the report took {ended_in:.1f} s, peak RSS {mib(end_rss)} MiB "
          f"(under load: {mib(load_rss)} MiB)")
    failed = None
    if save_dir:
        saved = {name: os.path.getsize(os.path.join(save_dir, name)) for name in sorted(os.listdir(save_dir))}
        print("saved: " + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in saved.items()))
        saved_report = os.path.join(work, "report.json")
        t0 = time.monotonic()
        done = subprocess.run([args.binary, "report", save_dir, "--output", saved_report] + report_options,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if done.returncode != 0:
            failed = f"otelcost report {save_dir} failed (exit {done.returncode}):\n{done.stderr}"
        elif open(saved_report, "rb").read() != open(listen_report, "rb").read():
            kept = tempfile.mkdtemp(prefix="live_load-differ-")
            for name in ("listen.json", "report.json"):
                shutil.copy(os.path.join(work, name), kept)
            failed = f"the report over the saved directory differs from the listener's own (both kept in {kept})"
        else:
            print(f"report over the saved directory ({time.monotonic() - t0:.1f} s): "
                  f"byte for byte the listener's own ({os.path.getsize(listen_report):,} bytes)")
    shutil.rmtree(work)
    if failed:
        sys.exit(f"FAILED: {failed}")


if __name__ == "__main__":
    main()

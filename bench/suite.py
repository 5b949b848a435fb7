#!/usr/bin/env python3
"""icnode's benchmarks. Each figure is measured beside its baseline in the same run, the two
alternating so a noisy machine slows both alike, and is printed as a ratio in one table.
Run it through `bench/run`, which builds the release binary and installs wrk first.

Sections (all by default):
  crypto     minting beside the SHA-512 limit of one core, and OpenSSL's own PBKDF2
  service    POST /v1/meetings through the service vs the same meetings straight to the
             broker, at 1,000 iterations (SQLite file, then PostgreSQL)
  pipeline   `icnode up` at 13,602 iterations vs cores x mint rate / 2 tokens per meeting
  footprint  start-up to the first answer, resident memory idle and after 10,000 links,
             binary size
  instructions  user-space instructions per meeting of the service beside the broker's, one
             meeting at a time under callgrind: repeatable where the times above are not
             (kernel time is not counted)
  growth     create, get, list-by-prefix and list p50 with 10^4, 10^5 and 10^6 meetings stored
             (SQLite file, then PostgreSQL), each beside the first size's
  visits     visits booked a second beside meetings made a second; 10,000 reminders due at
             once: the lag from due to sent (p50, p99) and the drain beside making as many
             meetings
  links      link-open redirects a second and p50/p99 of the service's own link `/l/{code}`
             (a read, then an open recorded: an UPDATE and an INSERT committed) beside the
             broker's short link `/visit/{short}` (a read), both 302s of one `icnode up`
  webhooks   delivery lag (201 -> received) p50/p99 of 1,000 meetings made at once through
             `icnode up`, each meeting.created delivered to a receiver in the bench, beside
             the same receiver sent 1,000 POSTs of the same size straight (the transport's lag)

Usage: bench/run [--quick] [SECTION...]
"""

import argparse
import asyncio
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ICNODE_BENCH_BINARY measures another build (an earlier commit's, for before and after).
# Otherwise the release build of bench/run's `cargo build`, in CARGO_TARGET_DIR when it is set.
ICNODE = os.environ.get("ICNODE_BENCH_BINARY") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "icnode")
WRK_SCRIPT = os.path.join(ROOT, "bench", "wrk", "post.lua")
WRK_GET_SCRIPT = os.path.join(ROOT, "bench", "wrk", "get.lua")
PRODUCTION_ITERATIONS = 13602
SERVICE_ITERATIONS = 1000
BROKER_TOKEN = "bench-broker-token"
POSTGRES_ADMIN = os.environ.get(
    "ICNODE_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)
CORES = os.cpu_count() or 1
# The one meeting every load makes, per target: one host and one guest link. Straight to the
# broker it is what the service asks for such a meeting (short URLs, the `hc` vertical, the
# service's default validity of 15 minutes). %CHAT% and %EXP% are filled in per request, here
# and by bench/wrk/post.lua.
REQUESTS = {
    "broker": ("/api/v2/joseencrypt",
               '{"aud":"a4d886b0-979f-4e2c-a958-3e8c14605e51","jwt":{"sub":"%CHAT%","exp":%EXP%},'
               '"numGuest":1,"provideShortUrls":true,"verticalType":"hc"}'),
    "service": ("/v1/meetings", '{"chatId":"%CHAT%","guests":1}'),
}

# (section, measure, value, baseline, ratio, target) rows of the one table.
ROWS = []


def row(section, measure, value, baseline="", ratio=None, target=""):
    ROWS.append((section, measure, value, baseline, "" if ratio is None else f"{ratio:.2f}", target))
    print(f"  {measure}: {value}" + (f" ({ratio:.2f} of {baseline})" if ratio is not None else ""),
          file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values)


# --- baselines and icnode's own loops ------------------------------------------------------

def openssl_sha512_rate(seconds):
    """SHA-512 bytes per second of OpenSSL on 16 KiB buffers: the compression's best rate."""
    out = subprocess.run(
        ["openssl", "speed", "-evp", "sha512", "-bytes", "16384", "-seconds", str(int(seconds))],
        capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("sha512"))
    return float(line.split()[1].rstrip("k")) * 1000


def icnode_mint(iterations, seconds):
    out = subprocess.run(
        [ICNODE, "bench", "mint", "--iterations", str(iterations), "--seconds", str(seconds), "--json"],
        capture_output=True, text=True, check=True).stdout
    return json.loads(out)["tokensPerSecond"]


def openssl_pbkdf2(iterations, seconds):
    """OpenSSL's PBKDF2-HMAC-SHA512 (through hashlib) with a PBES2 token's salt shape."""
    salt = b"PBES2-HS512+A256KW\x00" + b"s" * 21
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        hashlib.pbkdf2_hmac("sha512", b"icnode bench secret", salt, iterations, 32)
        count += 1
    return count / (time.perf_counter() - start)


# --- processes -----------------------------------------------------------------------------

def cpu_seconds_of(pid):
    """User and system CPU a process has used so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds():
    """CPU used so far by the machine's PostgreSQL processes (the server and its backends)."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as comm:
                if comm.read().strip() == "postgres":
                    total += cpu_seconds_of(pid)
        except OSError:
            pass  # gone meanwhile
    return total


class Process:
    """An icnode process, up once a line of its stdout matches `ready`; stderr goes to a file."""

    def __init__(self, args, ready, log, env=None, under=()):
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [*under, ICNODE, *args], stdout=subprocess.PIPE, stderr=self.log, text=True,
            env={**os.environ, **(env or {})})
        self.match = None
        deadline = time.monotonic() + 120
        for line in self.proc.stdout:
            self.match = re.search(ready, line)
            if self.match or time.monotonic() > deadline:
                break
        if not self.match:
            self.stop()
            sys.exit(f"icnode {args[0]} did not start; see {log}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def status(self, field):
        """A line of /proc/PID/status in KiB (VmRSS, VmHWM)."""
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def cpu_seconds(self):
        return cpu_seconds_of(self.proc.pid)

    def context_switches(self):
        """Times its threads have given up a core so far, by waiting or being made to: each is a
        wake-up that one request at a time waits for. A thread that ended meanwhile is not
        counted."""
        total = 0
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{task}/status") as status:
                    total += sum(int(line.split()[1]) for line in status if "ctxt_switches" in line)
            except OSError:
                pass  # ended meanwhile
        return total

    def stop(self, wait=10):
        self.proc.terminate()
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- load ----------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, target, bearer, connections, seconds, run_id):
    threads = min(connections, CORES)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", WRK_SCRIPT, url],
        capture_output=True, text=True, check=True,
        env={**os.environ, "BENCH_PATH": REQUESTS[target][0], "BENCH_BODY": REQUESTS[target][1],
             "BENCH_BEARER": bearer, "BENCH_RUN": run_id}).stdout
    return wrk_figures(out, target)


def wrk_figures(out, target):
    """Requests, requests/s, p50 and p99 (ms) of wrk's report; a failure stops the run."""
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if failed or errors:
        sys.exit(f"wrk against {target} had failures:\n{out}")

    def latency(p):
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * UNITS[unit]

    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency(50),
        "p99": latency(99),
    }


RUNS = iter(range(1, 1_000_000))


def run_id():
    return f"{os.getpid()}-{next(RUNS)}"


# --- sections ------------------------------------------------------------------------------

def crypto(quick):
    rounds, seconds = (1, 2) if quick else (3, 3)
    print(f"crypto: {rounds} rounds of {seconds} s at {PRODUCTION_ITERATIONS} iterations", file=sys.stderr)
    sha, ours, base = [], [], []
    for _ in range(rounds):
        sha.append(openssl_sha512_rate(seconds))
        ours.append(icnode_mint(PRODUCTION_ITERATIONS, seconds))
        base.append(openssl_pbkdf2(PRODUCTION_ITERATIONS, seconds))
    limit = median(sha) / 128 / (2 * PRODUCTION_ITERATIONS)
    row("crypto", f"one-core limit: SHA-512 {median(sha) / 1e6:.0f} MB/s / 128 / (2 x {PRODUCTION_ITERATIONS})",
        f"{limit:.1f} tokens/s", "limit", 1.0)
    row("crypto", "icnode bench mint", f"{median(ours):.1f} tokens/s", "limit", median(ours) / limit, ">= 0.90")
    row("crypto", "OpenSSL PBKDF2-HMAC-SHA512 (hashlib)", f"{median(base):.1f} /s", "limit",
        median(base) / limit)


def postgres_database(name):
    """A fresh database on the machine's PostgreSQL; its URL."""
    admin = POSTGRES_ADMIN
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True, capture_output=True)
    return admin.rsplit("/", 1)[0] + "/" + name


def start_broker(work, name, under=()):
    """The local broker at the service section's iterations; the process and its URL."""
    broker = Process(
        ["broker", "--ephemeral", "--listen", "127.0.0.1:0", "--iterations", str(SERVICE_ITERATIONS)],
        r"listening on (http://\S+)", os.path.join(work, f"{name}.log"),
        env={"ICNODE_BROKER_TOKENS": BROKER_TOKEN}, under=under)
    return broker, broker.match.group(1)


def start_service(work, name, broker_url, store, under=()):
    """`icnode serve` on `store` (its --data-dir or --database-url), with a new API key; the
    process, its URL and the key."""
    svc = Process(["serve", "--listen", "127.0.0.1:0", "--broker-url", broker_url, *store],
                  r"listening on (http://\S+)", os.path.join(work, f"{name}.log"),
                  env={"ICNODE_BROKER_TOKEN": BROKER_TOKEN}, under=under)
    try:
        key = subprocess.run([ICNODE, "keys", "create", "bench", *store],
                             capture_output=True, text=True, check=True).stdout.strip()
    except BaseException:
        svc.stop()
        raise
    return svc, svc.match.group(1), key


def service(quick, db, work):
    """Through the service vs straight to the broker, in short windows that alternate (ABBA),
    so the machine's drift within the run slows both alike; each figure is the median over the
    pairs of windows, the ratio and the added latency taken pair by pair."""
    pairs, load_seconds, one_seconds = (3, 2, 1) if quick else (6, 4, 2)
    print(f"service on {db}: {pairs} pairs of windows ({load_seconds} s under load, {one_seconds} s one at a "
          f"time) at {SERVICE_ITERATIONS} iterations", file=sys.stderr)
    broker, broker_url = start_broker(work, f"broker-{db}")
    if db == "sqlite":
        store = ["--data-dir", os.path.join(work, "service-data")]
    else:
        store = ["--database-url", postgres_database("icnode_bench")]
    svc, service_url, key = start_service(work, f"service-{db}", broker_url, store)
    targets = {"broker": (broker_url, BROKER_TOKEN), "service": (service_url, key)}

    # CPU per meeting of each process, over the windows through the service under load.
    cpu = {"service": 0.0, "broker": 0.0, "postgres": 0.0, "meetings": 0}
    # The service's context switches per meeting, over its windows one at a time.
    switches = {"service": 0, "meetings": 0}
    # What the service waited for its store, over its windows one at a time (its /metrics).
    waits = {call: [0, 0.0] for call in STORE_WAITS}

    def alternate(connections, seconds):
        runs = {"broker": [], "service": []}
        for pair in range(pairs):
            order = ("broker", "service") if pair % 2 == 0 else ("service", "broker")
            for target in order:
                url, bearer = targets[target]
                before = svc.cpu_seconds(), broker.cpu_seconds(), postgres_cpu_seconds()
                switched = svc.context_switches()
                waited = store_waits(service_url)
                run = wrk(url, target, bearer, connections, seconds, run_id())
                if target == "service" and connections == 1:
                    switches["service"] += svc.context_switches() - switched
                    switches["meetings"] += run["requests"]
                    for call, (count, total) in store_waits(service_url).items():
                        waits[call][0] += count - waited[call][0]
                        waits[call][1] += total - waited[call][1]
                if target == "service" and connections > 1:
                    cpu["service"] += svc.cpu_seconds() - before[0]
                    cpu["broker"] += broker.cpu_seconds() - before[1]
                    cpu["postgres"] += postgres_cpu_seconds() - before[2]
                    cpu["meetings"] += run["requests"]
                runs[target].append(run)
        return runs

    try:
        # Warm both paths (connections, caches, SQLite pages) before measuring.
        for target, (url, bearer) in targets.items():
            wrk(url, target, bearer, 8, 1, run_id())
        load = alternate(16, load_seconds)
        one = alternate(1, one_seconds)
        if db == "postgres":
            floor = postgres_round_trips(store[1], work, one_seconds * pairs)
    finally:
        svc.stop()
        broker.stop()
        if db == "postgres":
            # Made fresh for this run; nothing of it is kept.
            subprocess.run(["psql", POSTGRES_ADMIN, "-q", "-c", "DROP DATABASE IF EXISTS icnode_bench"],
                           check=True, capture_output=True)

    def m(runs, field):
        return median(r[field] for r in runs)

    def paired(runs, combine, field):
        return median(combine(s[field], b[field]) for b, s in zip(runs["broker"], runs["service"]))

    direct, through = m(load["broker"], "rps"), m(load["service"], "rps")
    row(f"service ({db})", "meetings/s straight to the broker, 16 connections", f"{direct:.0f}/s", "direct", 1.0)
    row(f"service ({db})", "meetings/s through POST /v1/meetings, 16 connections", f"{through:.0f}/s", "direct",
        paired(load, lambda s, b: s / b, "rps"), ">= 0.85")
    d50, s50 = m(one["broker"], "p50"), m(one["service"], "p50")
    added = paired(one, lambda s, b: s - b, "p50")
    row(f"service ({db})", "p50 one at a time: broker / through the service",
        f"{d50:.2f} / {s50:.2f} ms (+{added:.2f})", "", None, "added <= 0.5 ms")
    if db == "postgres":
        row(f"service ({db})", "PostgreSQL alone: a key read and a one-row INSERT committed (pgbench, one at a time)",
            f"{floor['read']:.3f} read + {floor['insert']:.3f} INSERT committed = {floor['read'] + floor['insert']:.2f} ms",
            "added", (floor["read"] + floor["insert"]) / added)
    mean = {call: total * 1000 / count for call, (count, total) in waits.items()}
    row(f"service ({db})", "of the added p50, the service's waits for its store one at a time (mean, /metrics)",
        f"{mean['key_check']:.3f} key check + {mean['meeting_write']:.3f} meeting write = "
        f"{mean['key_check'] + mean['meeting_write']:.2f} ms", "added",
        (mean["key_check"] + mean["meeting_write"]) / added)
    row(f"service ({db})", "context switches per meeting one at a time, the service's threads",
        f"{switches['service'] / switches['meetings']:.1f}")
    row(f"service ({db})", "p99 one at a time: broker / through the service",
        f"{m(one['broker'], 'p99'):.2f} / {m(one['service'], 'p99'):.2f} ms")
    # Every process shares the same cores, so through/direct is at most about
    # broker / (broker + service + its database server).
    ms = {name: cpu[name] * 1000 / cpu["meetings"] for name in ("service", "broker", "postgres")}
    if db == "sqlite":
        row(f"service ({db})", "CPU per meeting under 16 connections: service / broker",
            f"{ms['service']:.3f} / {ms['broker']:.3f} ms", "broker", ms["service"] / ms["broker"])
    else:
        row(f"service ({db})", "CPU per meeting under 16 connections: service + PostgreSQL / broker",
            f"{ms['service']:.3f} + {ms['postgres']:.3f} / {ms['broker']:.3f} ms", "broker",
            (ms["service"] + ms["postgres"]) / ms["broker"])
    row(f"service ({db})", "p50 / p99 under 16 connections, through the service",
        f"{m(load['service'], 'p50'):.1f} / {m(load['service'], 'p99'):.1f} ms")


STORE_WAITS = ("key_check", "meeting_write")


def store_waits(base):
    """The service's `store_wait_duration_seconds` count and sum by call, from its /metrics."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = {}
    for call in STORE_WAITS:
        count = re.search(rf'^icnode_store_wait_duration_seconds_count{{call="{call}"}} (\S+)$', text, re.M)
        total = re.search(rf'^icnode_store_wait_duration_seconds_sum{{call="{call}"}} (\S+)$', text, re.M)
        found[call] = (int(count.group(1)), float(total.group(1))) if count and total else (0, 0.0)
    return found


def postgres_round_trips(url, work, seconds):
    """What the database alone costs a meeting one at a time: pgbench's average latency of the
    service's two round trips, a key read by primary key and an INSERT that commits, on a
    table of their own (prepared statements, one client, as the service sends them)."""
    subprocess.run(["psql", url, "-q", "-c", "CREATE TABLE round_trips (id text PRIMARY KEY, body text);"
                    "INSERT INTO round_trips VALUES ('key', 'digest')"], check=True, capture_output=True)
    scripts = {"read": "SELECT body FROM round_trips WHERE id = 'key';",
               "insert": "INSERT INTO round_trips VALUES (md5(random()::text), 'meeting');"}
    latency = {}
    for name, sql in scripts.items():
        script = os.path.join(work, f"{name}.sql")
        with open(script, "w") as f:
            f.write(sql + "\n")
        out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c1", f"-T{max(1, seconds // 2)}",
                              "-f", script, url], capture_output=True, text=True, check=True).stdout
        latency[name] = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return latency


def start_up(work, name, iterations):
    data = os.path.join(work, name)
    return Process(["up", "--listen", "127.0.0.1:0", "--data-dir", data, "--iterations", str(iterations)],
                   r"icnode is up at (http://\S+)", os.path.join(work, f"{name}.log")), data


def pipeline(quick, work):
    rounds, seconds = (1, 5) if quick else (3, 8)
    print(f"pipeline: icnode up at {PRODUCTION_ITERATIONS} iterations, {rounds} rounds of {seconds} s",
          file=sys.stderr)
    up, data = start_up(work, "pipeline", PRODUCTION_ITERATIONS)
    mint, got = [], []
    try:
        key = open(os.path.join(data, "dev-api-key")).read().strip()
        wrk(up.match.group(1), "service", key, 2 * CORES, 2, run_id())
        # The limit is measured between the loads, as the machine's speed drifts.
        for _ in range(rounds):
            mint.append(icnode_mint(PRODUCTION_ITERATIONS, 3))
            got.append(wrk(up.match.group(1), "service", key, 2 * CORES, seconds, run_id())["rps"])
    finally:
        up.stop()
    limit = CORES * median(mint) / 2
    row("pipeline", f"limit: {CORES} cores x {median(mint):.1f} tokens/s / 2 tokens per meeting",
        f"{limit:.1f} meetings/s", "limit", 1.0)
    row("pipeline", f"icnode up, POST /v1/meetings, {2 * CORES} connections", f"{median(got):.1f} meetings/s",
        "limit", median(got) / limit, ">= 0.80")


def first_answer(work, attempt):
    """Milliseconds from exec to the first 200 from /healthz of a fresh `icnode up`."""
    port = free_port()
    data = os.path.join(work, f"start-{attempt}")
    log = open(os.path.join(work, f"start-{attempt}.log"), "w")
    started = time.perf_counter()
    proc = subprocess.Popen([ICNODE, "up", "--listen", f"127.0.0.1:{port}", "--data-dir", data,
                             "--iterations", str(SERVICE_ITERATIONS)],
                            stdout=subprocess.DEVNULL, stderr=log)
    try:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return (time.perf_counter() - started) * 1000
            except OSError:
                time.sleep(0.001)
            if time.perf_counter() - started > 30:
                sys.exit("icnode up did not answer /healthz within 30 s")
    finally:
        proc.terminate()
        proc.wait()
        log.close()


def create_meetings(base, key, count):
    """POSTs `count` meetings from 4 client threads; returns how many were created."""
    host, port = base.removeprefix("http://").split(":")
    local = threading.local()
    body = json.dumps({"guests": 1})

    def one(_):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        local.conn.request("POST", "/v1/meetings", body=body,
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = local.conn.getresponse()
        response.read()
        return response.status == 201

    with ThreadPoolExecutor(4) as pool:
        return sum(pool.map(one, range(count)))


def footprint(quick, work):
    attempts = 3 if quick else 7
    print(f"footprint: {attempts} cold starts, then 10,000 links", file=sys.stderr)
    starts = [first_answer(work, i) for i in range(attempts)]
    row("footprint", f"start-up to the first answer (fresh data dir, median of {attempts})",
        f"{median(starts):.0f} ms", "", None, "<= 300 ms")
    up, data = start_up(work, "footprint", SERVICE_ITERATIONS)
    try:
        time.sleep(1)
        idle = up.status("VmRSS")
        key = open(os.path.join(data, "dev-api-key")).read().strip()
        meetings = 5000
        created = create_meetings(up.match.group(1), key, meetings)
        if created != meetings:
            sys.exit(f"only {created} of {meetings} meetings were created")
        after, peak = up.status("VmRSS"), up.status("VmHWM")
    finally:
        up.stop()
    row("footprint", "resident memory of icnode up, idle", f"{idle / 1024:.1f} MiB", "", None, "<= 64 MiB")
    row("footprint", f"resident memory after {2 * meetings:,} links (peak)",
        f"{after / 1024:.1f} MiB ({peak / 1024:.1f})", "", None, "<= 64 MiB")
    size = os.path.getsize(ICNODE)
    stripped = os.path.join(work, "icnode-stripped")
    subprocess.run(["strip", "-o", stripped, ICNODE], check=True)
    row("footprint", "release binary (stripped)",
        f"{size / 2**20:.1f} MiB ({os.path.getsize(stripped) / 2**20:.1f})")


def post_meetings(base, bearer, target, count, tag):
    """`count` meetings one after another on one connection, as wrk's script posts them."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    path, template = REQUESTS[target]
    for i in range(count):
        body = template.replace("%CHAT%", f"count-{tag}-{i}").replace("%EXP%", str(int(time.time()) + 900))
        conn.request("POST", path, body=body,
                     headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 201):
            sys.exit(f"{target} answered {response.status} while counting instructions")


def counted_instructions(work, target, meetings):
    """Instructions (callgrind's Ir) the target process ran from start to stop, `meetings`
    meetings after 20 to warm up."""
    out = os.path.join(work, f"callgrind-{target}-{meetings}.out")
    under = ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}")
    broker, base = start_broker(work, f"count-broker-{target}", under if target == "broker" else ())
    procs = [broker]
    try:
        bearer = BROKER_TOKEN
        if target == "service":
            store = ["--data-dir", os.path.join(work, f"count-data-{meetings}")]
            svc, base, bearer = start_service(work, f"count-service-{meetings}", base, store, under)
            procs.append(svc)
        post_meetings(base, bearer, target, 20 + meetings, f"{os.getpid()}-{meetings}")
    finally:
        for proc in reversed(procs):
            proc.stop(wait=120)
    with open(out) as totals:
        return int([l for l in totals if l.startswith(("summary:", "totals:"))][-1].split()[1])


def instructions(quick, work):
    meetings = 100 if quick else 300
    print(f"instructions: {meetings} meetings one at a time under callgrind, less a run of none",
          file=sys.stderr)
    per = {}
    for target in ("broker", "service"):
        per[target] = (counted_instructions(work, target, meetings)
                       - counted_instructions(work, target, 0)) / meetings
    row("instructions", f"broker, straight, at {SERVICE_ITERATIONS} iterations",
        f"{per['broker'] / 1000:,.0f} k per meeting", "broker", 1.0)
    row("instructions", "service, POST /v1/meetings on SQLite (the broker not counted)",
        f"{per['service'] / 1000:,.0f} k per meeting ({per['service'] / per['broker']:.3f} of the broker's)",
        "broker", per["service"] / per["broker"])


# --- growth --------------------------------------------------------------------------------

GROWTH_SIZES = (10_000, 100_000, 1_000_000)
# Matches ten stored meetings at every size (bulk-0000120 to bulk-0000129), among the oldest.
GROWTH_PREFIX = "bulk-000012"


def fill_sql(db, start, end):
    """SQL that copies the meeting `template` and its links as `bulk-{i:07d}` for i in
    [start, end), each a millisecond older than the next, the oldest first."""
    meeting_columns = "created_by, vertical, host_login, short_urls, not_before, expires_at"
    link_columns = ("role, issued_at_ms, position, cipher, short, short_url, long_url, not_before, "
                    "expires_at, cipher_at")
    if db == "sqlite":
        numbers = (f"WITH RECURSIVE n(i) AS (SELECT {start} UNION ALL SELECT i + 1 FROM n "
                   f"WHERE i + 1 < {end}) ")
        name = "printf('bulk-%07d', n.i)"
        source = "n"
    else:
        numbers = ""
        name = "'bulk-' || lpad(n.i::text, 7, '0')"
        source = f"generate_series({start}, {end - 1}) AS n(i)"
    # The template's tenant (`default`, whose subjects are its chat ids) owns every copy.
    return [
        f"{numbers}INSERT INTO meetings (tenant_id, chat_id, subject, {meeting_columns}, created_at_ms) "
        f"SELECT t.tenant_id, {name}, {name}, {meeting_columns}, t.created_at_ms - 10000000 + n.i "
        f"FROM {source}, meetings t WHERE t.chat_id = 'template'",
        f"{numbers}INSERT INTO links (id, tenant_id, chat_id, {link_columns}) "
        f"SELECT t.id || '-' || n.i, t.tenant_id, {name}, {', '.join('t.' + c.strip() for c in link_columns.split(','))} "
        f"FROM {source}, links t WHERE t.chat_id = 'template'",
    ]


def fill(db, store, start, end):
    """Stores meetings `start` to `end` straight into the database, beside the service."""
    statements = fill_sql(db, start, end)
    if db == "sqlite":
        import sqlite3
        conn = sqlite3.connect(os.path.join(store[1], "icnode.db"))
        with conn:
            for sql in statements:
                conn.execute(sql)
        conn.execute("ANALYZE")
        conn.close()
    else:
        for sql in statements + ["ANALYZE"]:
            subprocess.run(["psql", store[1], "-q", "-c", sql], check=True, capture_output=True)


def p50_of(base, key, requests):
    """The median time of each (method, path, body) in `requests`, one after another on one
    connection, in ms; every answer must be 2xx."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    took = []
    for method, path, body in requests:
        started = time.perf_counter()
        conn.request(method, path, body=body,
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        took.append((time.perf_counter() - started) * 1000)
        if response.status >= 300:
            sys.exit(f"{method} {path} answered {response.status} in the growth section")
    return median(took)


def growth(quick, db, work):
    """Create, get and list-by-prefix p50 as the store grows; each size's beside the first's."""
    sizes = GROWTH_SIZES[:2] if quick else GROWTH_SIZES
    count = 50 if quick else 200
    print(f"growth on {db}: {', '.join(f'{s:,}' for s in sizes)} meetings, {count} requests of each kind",
          file=sys.stderr)
    broker, broker_url = start_broker(work, f"growth-broker-{db}")
    if db == "sqlite":
        store = ["--data-dir", os.path.join(work, "growth-data")]
    else:
        store = ["--database-url", postgres_database("icnode_growth")]
    figures = {}
    stored = 0
    try:
        svc, base, key = start_service(work, f"growth-{db}-0", broker_url, store)
        p50_of(base, key, [("POST", "/v1/meetings", json.dumps({"chatId": "template", "guests": 1}))])
        for size in sizes:
            svc.stop()
            fill(db, store, stored, size)
            stored = size
            svc = Process(["serve", "--listen", "127.0.0.1:0", "--broker-url", broker_url, *store],
                          r"listening on (http://\S+)", os.path.join(work, f"growth-{db}-{size}.log"),
                          env={"ICNODE_BROKER_TOKEN": BROKER_TOKEN})
            base = svc.match.group(1)
            kinds = {
                "create": [("POST", "/v1/meetings", json.dumps({"chatId": f"new-{size}-{i}", "guests": 1}))
                           for i in range(count)],
                "get": [("GET", f"/v1/meetings/bulk-{(i * 7919) % size:07d}", None) for i in range(count)],
                "list by prefix": [("GET", f"/v1/meetings?chatIdPrefix={GROWTH_PREFIX}&limit=10", None)] * count,
                "list newest": [("GET", "/v1/meetings?limit=10", None)] * count,
            }
            # Warm the connection and the pages the requests read.
            p50_of(base, key, [kinds["get"][0], kinds["list by prefix"][0]])
            figures[size] = {kind: p50_of(base, key, requests) for kind, requests in kinds.items()}
        svc.stop()
    finally:
        broker.stop()
        if db == "postgres":
            subprocess.run(["psql", POSTGRES_ADMIN, "-q", "-c", "DROP DATABASE IF EXISTS icnode_growth"],
                           check=True, capture_output=True)
    first = sizes[0]
    for kind in ("create", "get", "list by prefix", "list newest"):
        for size in sizes:
            target = "<= 1.3" if size == GROWTH_SIZES[-1] else ""
            row(f"growth ({db})", f"{kind} p50 with {size:,} meetings", f"{figures[size][kind]:.2f} ms",
                f"{first:,}", figures[size][kind] / figures[first][kind], target)


def post_all(base, key, path, bodies, threads=4):
    """POSTs each of `bodies` to `path` from `threads` client threads; the seconds it took and
    the answers' JSON (a failure stops the run)."""
    host, port = base.removeprefix("http://").split(":")
    local = threading.local()

    def one(body):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        local.conn.request("POST", path, body=json.dumps(body),
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = local.conn.getresponse()
        answer = response.read()
        if response.status not in (200, 201):
            sys.exit(f"POST {path} answered {response.status}: {answer[:300]!r}")
        return json.loads(answer)

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(one, bodies))
    return time.monotonic() - started, answers


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def visits(quick, work):
    """Visits booked a second beside meetings made a second through the same service; then
    `due` visits whose reminders fall due at the same second, each texted through the broker
    (its links made first): the lag from due to sent (p50, p99, the last), and the whole
    drain beside the time the same number of meetings takes through POST /v1/meetings, which
    is the work a reminder cannot do without (its links)."""
    due = 1_000 if quick else 10_000
    booked_count = 500 if quick else 2_000
    print(f"visits: {booked_count} booked, then {due} reminders due at once, at {SERVICE_ITERATIONS} iterations",
          file=sys.stderr)
    broker, broker_url = start_broker(work, "broker-visits")
    data = os.path.join(work, "visits-data")
    svc, service_url, key = start_service(work, "service-visits", broker_url, ["--data-dir", data])
    try:
        far = int(time.time()) + 30 * 86_400
        booking = [{"start": far + i, "end": far + i + 1800, "reminders": [],
                    "hosts": [{}], "guests": [{}]} for i in range(booked_count)]
        booked_seconds, _ = post_all(service_url, key, "/v1/visits", booking)
        made_seconds, _ = post_all(service_url, key, "/v1/meetings", [{"guests": 1}] * booked_count)
        rate, baseline = booked_count / booked_seconds, booked_count / made_seconds
        row("visits", "visits booked (POST /v1/visits, 4 clients)", f"{rate:.0f} /s",
            f"{baseline:.0f} meetings/s", rate / baseline)

        # Reminders 15 minutes before a start far enough ahead that all are booked before they
        # fall due, at the same second as their links (the service's default lead is 15
        # minutes too): each reminder makes its visit's links, then texts.
        lead = 900
        margin = 30 if quick else 120
        start = int(time.time()) + lead + margin
        reminded = [{"start": start, "end": start + 1800, "reminders": ["-PT15M"],
                     "hosts": [{}], "guests": [{"phone": f"+1415{i:07d}"}]} for i in range(due)]
        took, _ = post_all(service_url, key, "/v1/visits", reminded)
        due_at = start - lead
        if time.time() >= due_at:
            sys.exit(f"booking {due} visits took {took:.0f} s, past the {margin} s margin")
        database = os.path.join(data, "icnode.db")
        lags = []
        deadline = due_at + 3600
        while time.time() < deadline:
            time.sleep(2)
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
                lags = [lag for (lag,) in db.execute(
                    "SELECT m.at - j.due_at FROM messages m JOIN jobs j ON j.id = m.job_id "
                    "WHERE m.channel = 'sms' AND m.outcome = 'sent'")]
            if len(lags) >= due:
                break
        if len(lags) < due:
            sys.exit(f"only {len(lags)} of {due} reminders were sent within an hour")
        drained = max(lags)
        made_seconds, _ = post_all(service_url, key, "/v1/meetings", [{"guests": 1}] * due)
        row("visits", f"reminder lag, {due} due at once (1 s resolution)",
            f"p50 {percentile(lags, 0.5)} s, p99 {percentile(lags, 0.99)} s")
        row("visits", f"all {due} reminders sent (links made and texted)", f"{drained} s",
            f"{made_seconds:.0f} s for {due} meetings", drained / made_seconds)
    finally:
        svc.stop()
        broker.stop()


# --- links ---------------------------------------------------------------------------------

def wrk_get(base, paths, target, connections, seconds):
    """wrk GETs against `base` of paths picked at random from the file `paths`, redirects not
    followed (wrk never does); its figures, and `found`, the answers that were 302. Any other
    answer stops the run."""
    threads = min(connections, CORES)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", WRK_GET_SCRIPT, base],
        capture_output=True, text=True, check=True, env={**os.environ, "BENCH_PATHS": paths}).stdout
    found, other = map(int, re.search(r"^Statuses: 302 (\d+), other (\d+)$", out, re.M).groups())
    if other:
        sys.exit(f"{other} of {found + other} answers of the {target} were not 302:\n{out}")
    return {**wrk_figures(out, target), "found": found}


def redirect_of(conn, path):
    """The status and Location of one GET of `path`, not followed."""
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status, response.getheader("Location")


def links(quick, work):
    """Opening the service's own link, `GET /l/{code}` (302 to the broker's short URL), beside
    opening the broker's short link, `GET /visit/{short}` (302 to the long join URL): one
    `icnode up`, where both are answered by the same process on the same address. The own
    link reads the link, then records the open (an UPDATE of the link and an INSERT of the
    open, committed, on SQLite); the short link is a read. Both sides get the same load (wrk,
    a path picked at random per request from the links made), in windows that alternate
    (ABBA), each figure the median over the pairs, each ratio taken pair by pair."""
    meetings, guests = (50, 4) if quick else (200, 4)
    pairs, load_seconds, one_seconds = (3, 2, 1) if quick else (6, 4, 2)
    connections = 16
    print(f"links: {meetings} meetings of 1 host and {guests} guests, {pairs} pairs of windows "
          f"({load_seconds} s under {connections} connections, {one_seconds} s one at a time)", file=sys.stderr)
    up, data = start_up(work, "links", SERVICE_ITERATIONS)
    base = up.match.group(1).rstrip("/")
    try:
        key = open(os.path.join(data, "dev-api-key")).read().strip()
        bodies = [{"chatId": f"links-{os.getpid()}-{i}", "hosts": 1, "guests": guests, "shortUrls": True,
                   "ttlSeconds": 3600} for i in range(meetings)]
        _, answers = post_all(base, key, "/v1/meetings", bodies)
        made = [(link["url"], link["shortUrl"]) for answer in answers
                for link in answer["hosts"] + answer["guests"]]
        paths = {"own link": [], "short link": []}
        host, port = base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        # Every pair checked once (which also warms both paths): the own link goes to the
        # broker's short URL, which goes on to a join page.
        for own, short in made:
            if not (own.startswith(base + "/l/") and short and short.startswith(base + "/visit/")):
                sys.exit(f"links not of the form {base}/l/{{code}} and {base}/visit/{{short}}: {own}, {short}")
            status, location = redirect_of(conn, own.removeprefix(base))
            if (status, location) != (302, short):
                sys.exit(f"GET {own} answered {status} to {location}, not 302 to {short}")
            status, location = redirect_of(conn, short.removeprefix(base))
            if status != 302 or not location or "/visit/" in location:
                sys.exit(f"GET {short} answered {status} to {location}, not 302 to a join URL")
            paths["own link"].append(own.removeprefix(base))
            paths["short link"].append(short.removeprefix(base))
        conn.close()
        files = {}
        for target, listed in paths.items():
            files[target] = os.path.join(work, f"links-{target.replace(' ', '-')}.txt")
            with open(files[target], "w") as f:
                f.write("\n".join(listed) + "\n")
        for target in paths:
            wrk_get(base, files[target], target, connections, 1)

        cpu = {target: [0.0, 0] for target in paths}  # CPU seconds of `up`, requests, under load

        def alternate(conns, seconds):
            runs = {target: [] for target in paths}
            for pair in range(pairs):
                order = ("short link", "own link") if pair % 2 == 0 else ("own link", "short link")
                for target in order:
                    before = up.cpu_seconds()
                    run = wrk_get(base, files[target], target, conns, seconds)
                    if conns > 1:
                        cpu[target][0] += up.cpu_seconds() - before
                        cpu[target][1] += run["requests"]
                    runs[target].append(run)
            return runs

        load = alternate(connections, load_seconds)
        one = alternate(1, one_seconds)
    finally:
        up.stop()

    def m(runs, target, field):
        return median(r[field] for r in runs[target])

    def paired(runs, field):
        return median(o[field] / s[field] for s, o in zip(runs["short link"], runs["own link"]))

    row("links", f"broker's short link GET /visit/{{short}} (a read), {connections} connections",
        f"{m(load, 'short link', 'rps'):.0f}/s", "short link", 1.0)
    row("links", f"own link GET /l/{{code}} (a read, then an UPDATE and two INSERTs, the open and its event, committed on SQLite), "
        f"{connections} connections", f"{m(load, 'own link', 'rps'):.0f}/s", "short link", paired(load, "rps"))
    for runs, how in ((load, f"under {connections} connections"), (one, "one at a time")):
        for p in ("p50", "p99"):
            row("links", f"{p} {how}: own link / short link",
                f"{m(runs, 'own link', p):.3f} / {m(runs, 'short link', p):.3f} ms", "short link",
                paired(runs, p))
    ms = {target: seconds * 1000 / count for target, (seconds, count) in cpu.items()}
    row("links", f"CPU of icnode up per open under {connections} connections: own link / short link",
        f"{ms['own link']:.3f} / {ms['short link']:.3f} ms", "short link", ms["own link"] / ms["short link"])
    answered = {target: sum(r["found"] for r in load[target] + one[target]) for target in paths}
    row("links", f"answers 302 (any other stops the run), {len(made)} links of {meetings} meetings",
        f"{answered['own link']:,} own, {answered['short link']:,} short, 0 other")


# --- webhooks ------------------------------------------------------------------------------

class Receiver(asyncio.Protocol):
    """One connection to the bench's webhook receiver (HTTP/1.1 on 127.0.0.1, kept alive):
    each request is recorded as it is read whole, `(time.monotonic(), webhook-id, the body,
    the request's size)`, and answered 204. The clock is the one the bench's client reads when
    it sends and when an answer arrives, in the same process."""

    def __init__(self, got):
        self.got, self.buffer = got, bytearray()

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = dict((k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in head[1:]))
            if "content-length" not in headers:
                self.got["errors"].append(f"a request without Content-Length: {head[0]}")
                self.transport.close()
                return
            size = end + 4 + int(headers["content-length"])
            if len(self.buffer) < size:
                return
            at = time.monotonic()
            body = bytes(self.buffer[end + 4:size])
            del self.buffer[:size]
            self.got["requests"].append((at, headers.get("webhook-id"), body, size))
            self.transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")


async def read_answer(reader):
    """Status and body of one HTTP/1.1 answer (Content-Length or chunked)."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = dict((k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in head[1:] if h))
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # the end of the (empty) trailers
                return status, bytes(body)
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    return status, b""


def request_bytes(method, path, port, headers, body):
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
             *(f"{k}: {v}" for k, v in headers.items()), f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode() + body


async def burst(port, requests):
    """Opens one connection per request (100 connects at a time), then writes every request at
    once and reads the answers: per request `(sent, answered, status, body)`, monotonic."""
    connections = []
    for start in range(0, len(requests), 100):
        connections += await asyncio.gather(
            *(asyncio.open_connection("127.0.0.1", port) for _ in requests[start:start + 100]))

    async def one(connection, request):
        reader, writer = connection
        sent = time.monotonic()
        writer.write(request)
        status, body = await read_answer(reader)
        answered = time.monotonic()
        writer.close()
        return sent, answered, status, body

    return await asyncio.gather(*(one(c, r) for c, r in zip(connections, requests)))


def rounds_of(arrivals, gap=0.25):
    """Arrival times split where more than `gap` seconds pass without one: the dispatcher's
    rounds as the receiver saw them, each `(first, last, count)`."""
    groups = []
    for at in sorted(arrivals):
        if groups and at - groups[-1][1] <= gap:
            groups[-1] = (groups[-1][0], at, groups[-1][2] + 1)
        else:
            groups.append((at, at, 1))
    return groups


def webhooks(quick, work):
    """Webhook delivery lag: `events` meetings made at once through `POST /v1/meetings` of one
    `icnode up` (one connection each, every request written at once), each acknowledged by its
    201 after its meeting and its `meeting.created` event are committed; a receiver in this
    process records when each event's delivery arrives. Lag = arrived - acknowledged, per
    chatId. Baseline alongside: the same receiver sent `events` POSTs of the same size and
    headers by this process, at the same concurrency, the lag there being arrived - sent (the
    transport's own). Each event must arrive exactly once (distinct `webhook-id`s)."""
    events = 200 if quick else 1_000
    print(f"webhooks: {events} meetings at once, each meeting.created delivered to a receiver on 127.0.0.1, "
          f"beside {events} POSTs of the same size sent to it straight", file=sys.stderr)
    up, data = start_up(work, "webhooks", SERVICE_ITERATIONS)
    base = up.match.group(1).rstrip("/")
    port = int(base.rsplit(":", 1)[1])
    key = open(os.path.join(data, "dev-api-key")).read().strip()
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    got = {"requests": [], "errors": []}

    async def measure():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: Receiver(got), "127.0.0.1", 0, backlog=4096)
        receiver_port = server.sockets[0].getsockname()[1]

        async def call(method, path, body=None):
            status, answer = (await burst(port, [request_bytes(
                method, path, port, auth, json.dumps(body).encode() if body is not None else b"")]))[0][2:]
            return status, json.loads(answer) if answer else None

        status, hook = await call("POST", "/v1/webhooks", {"url": f"http://127.0.0.1:{receiver_port}/hook",
                                                           "events": ["meeting.created"]})
        if status != 201:
            sys.exit(f"POST /v1/webhooks answered {status}: {hook}")

        async def until_received(count, seconds):
            deadline = time.monotonic() + seconds
            while len({r[1] for r in got["requests"]}) < count and time.monotonic() < deadline:
                await asyncio.sleep(0.05)

        def meetings(tag, count):
            return [request_bytes("POST", "/v1/meetings", port, auth,
                                  json.dumps({"chatId": f"{tag}-{i:04d}"}).encode()) for i in range(count)]

        # Warm: a few meetings, their deliveries received (the dispatcher's connections to the
        # receiver opened, SQLite's pages read), then nothing left to deliver.
        await burst(port, meetings("wrm", 20))
        await until_received(20, 30)
        await asyncio.sleep(1.5)
        # (`up` made a meeting of its own at start-up, whose event is delivered too.)
        warm = [r for r in got["requests"] if json.loads(r[2])["data"]["chatId"].startswith("wrm-")]
        if len(warm) != 20 or got["errors"]:
            sys.exit(f"warming: {len(warm)} deliveries of 20 meetings, errors {got['errors'][:3]}")
        sample_at, sample_id, sample_body, sample_size = warm[0]
        got["requests"].clear()

        # Baseline: the same receiver sent `events` requests of a delivery's size and headers.
        def straight(i):
            payload = json.loads(sample_body)
            payload["data"]["chatId"] = f"lag-{i:04d}"
            body = json.dumps(payload, separators=(",", ":")).encode()
            return request_bytes("POST", "/hook", receiver_port, {
                "user-agent": "icnode-bench", "content-type": "application/json",
                "webhook-id": f"evt_{uuid.uuid4().hex}", "webhook-timestamp": str(int(time.time())),
                "webhook-signature": "v1," + "A" * 44}, body)
        sent = await burst(receiver_port, [straight(i) for i in range(events)])
        received = {json.loads(body)["data"]["chatId"]: at for at, _, body, _ in got["requests"]}
        baseline = {"lags": [received[f"lag-{i:04d}"] - s[0] for i, s in enumerate(sent)],
                    "drained": max(received.values()) - min(s[0] for s in sent),
                    "size": statistics.mean(r[3] for r in got["requests"])}
        if len(got["requests"]) != events or any(s[2] != 204 for s in sent):
            sys.exit(f"baseline: {len(got['requests'])} received of {events}")
        got["requests"].clear()

        # The events: `events` meetings at once, then their deliveries until all arrived (or a
        # minute), then 3 s more to catch any sent twice.
        started = time.monotonic()
        answers = await burst(port, meetings("lag", events))
        if any(a[2] != 201 for a in answers):
            bad = [a for a in answers if a[2] != 201]
            sys.exit(f"{len(bad)} of {events} POST /v1/meetings did not answer 201: {bad[0][2]} {bad[0][3][:300]!r}")
        await until_received(events, 60)
        await asyncio.sleep(3)
        server.close()
        acknowledged = {f"lag-{i:04d}": a[1] for i, a in enumerate(answers)}
        arrivals = {}
        for at, event_id, body, _ in got["requests"]:
            arrivals.setdefault(json.loads(body)["data"]["chatId"], []).append((at, event_id))
        deliveries, before = [], ""
        while True:
            status, listed = await call("GET", f"/v1/webhooks/{hook['id']}/deliveries?limit=1000&before={before}")
            if status != 200:
                sys.exit(f"GET deliveries answered {status}: {listed}")
            deliveries += listed["items"]
            before = listed.get("nextBefore")
            if not before:
                break
        return {"started": started, "answers": answers, "acknowledged": acknowledged,
                "arrivals": arrivals, "baseline": baseline, "deliveries": deliveries, "size": sample_size}

    try:
        m = asyncio.run(measure())
    finally:
        up.stop()

    arrivals, acknowledged = m["arrivals"], m["acknowledged"]
    all_ids = [event_id for seen in arrivals.values() for _, event_id in seen]
    missing = sorted(set(acknowledged) - set(arrivals))
    strangers = sorted(set(arrivals) - set(acknowledged))
    duplicates = len(all_ids) - len(set(all_ids))
    twice = sum(1 for seen in arrivals.values() if len(seen) > 1)
    lags = [min(at for at, _ in arrivals[chat]) - acknowledged[chat] for chat in acknowledged if chat in arrivals]
    first_arrival = [min(at for at, _ in seen) for seen in arrivals.values()]
    last_201 = max(acknowledged.values()) - m["started"]
    drained = max(first_arrival) - m["started"] if first_arrival else float("nan")
    base = m["baseline"]

    def ms(values, share):
        return percentile(values, share) * 1000

    row("webhooks", f"transport alone: {events} POSTs of {base['size']:.0f} bytes at once to the receiver, "
        f"lag sent -> received p50 / p99 / max",
        f"{ms(base['lags'], 0.5):.1f} / {ms(base['lags'], 0.99):.1f} / {max(base['lags']) * 1000:.1f} ms",
        "transport", 1.0)
    if lags:
        row("webhooks", f"{events} meetings at once: lag 201 -> delivery received p50",
            f"{ms(lags, 0.5):.0f} ms", "transport", percentile(lags, 0.5) / percentile(base["lags"], 0.5))
        row("webhooks", f"{events} meetings at once: lag 201 -> delivery received p99",
            f"{ms(lags, 0.99):.0f} ms", "transport", percentile(lags, 0.99) / percentile(base["lags"], 0.99))
        row("webhooks", "lag max / min", f"{max(lags) * 1000:.0f} / {min(lags) * 1000:.0f} ms")
    row("webhooks", f"all {events} received, from the first POST sent (the last 201 at {last_201:.2f} s; "
        f"the transport's from its first sent)", f"{drained:.2f} s ({drained - last_201:.2f} after the last 201; "
        f"{base['drained'] * 1000:.0f} ms)", "transport", drained / base["drained"])
    # Each round as the receiver saw it: how many it delivered, when their 201s came and when
    # they arrived (seconds after the first POST): the wait for a round beside its own work.
    rounds = []
    for first, last, count in rounds_of(first_arrival):
        acked = [acknowledged[chat] for chat, seen in arrivals.items()
                 if chat in acknowledged and first <= min(at for at, _ in seen) <= last]
        at = lambda t: f"{t - m['started']:.2f}"
        rounds.append(f"{count}: 201 {at(min(acked))}-{at(max(acked))}, received {at(first)}-{at(last)}"
                      if acked else f"{count}: received {at(first)}-{at(last)}")
    row("webhooks", f"by round (first 201 at {min(acknowledged.values()) - m['started']:.2f} s; "
        f"s after the first POST)", "; ".join(rounds))
    states = {}
    for delivery in m["deliveries"]:
        key = (delivery["state"], delivery["attempts"])
        states[key] = states.get(key, 0) + 1
    row("webhooks", "exactly once: received, distinct webhook-ids, duplicates, missing, other chatIds",
        f"{len(all_ids)}, {len(set(all_ids))}, {duplicates} ({twice} chatIds twice), {len(missing)}, "
        f"{len(strangers)}")
    row("webhooks", "the service's deliveries, the warming's and up's own meeting's too (state, attempts: count)",
        ", ".join(f"{s} {a}: {n}" for (s, a), n in sorted(states.items())))
    if missing or duplicates:
        print(f"  missing {missing[:5]}, duplicates {duplicates}", file=sys.stderr)


SECTIONS = ["crypto", "service", "pipeline", "footprint", "instructions", "growth", "visits", "links", "webhooks"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs, for trying the script")
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=" ".join(SECTIONS))
    args = parser.parse_args()
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    with tempfile.TemporaryDirectory(prefix="icnode-bench-") as work:
        for section in args.sections or SECTIONS:
            if section == "crypto":
                crypto(args.quick)
            elif section == "service":
                service(args.quick, "sqlite", work)
                service(args.quick, "postgres", work)
            elif section == "pipeline":
                pipeline(args.quick, work)
            elif section == "instructions":
                instructions(args.quick, work)
            elif section == "visits":
                visits(args.quick, work)
            elif section == "links":
                links(args.quick, work)
            elif section == "webhooks":
                webhooks(args.quick, work)
            elif section == "growth":
                growth(args.quick, "sqlite", work)
                growth(args.quick, "postgres", work)
            else:
                footprint(args.quick, work)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"\n{CORES} cores ({cpu}), {time.strftime('%Y-%m-%d')}, {subprocess.run([ICNODE, '--version'], capture_output=True, text=True).stdout.strip()}")
    header = ("section", "measure", "value", "ratio", "of", "target")
    table = [header] + [(s, m, v, r, b, t) for s, m, v, b, r, t in ROWS]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    for line in table:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths)) + " |")


if __name__ == "__main__":
    main()

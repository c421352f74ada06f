"""The "outage storm" benchmark: many customers report no internet at once.

N customers write to Theo at the same moment and walk the "sem internet" flow
(greeting, support menu, no internet, CPF, red light? no, back after a
restart? no, visit in the morning). Each customer waits for Theo's reply to
reach the fake Z-API before sending the next message, like a person would.
The fake Z-API answers every send after `--latency` seconds.

Three configurations, each started by the same command (gunicorn with
gunicorn.conf.py, the same threads), each with a fresh fake Z-API:

- embedded: Theo as `make run` runs it (SQLite in a temporary folder, no Redis,
  one process) with SENDER_CONCURRENCY sender threads;
- redis: Theo with REDIS_URL (an empty Redis database, flushed afterwards) and
  DATABASE_URL on a throwaway Postgres schema (dropped afterwards), WEB_CONCURRENCY
  processes;
- floor: scripts/floor_app.py, a minimal Flask app that makes one Z-API send per
  webhook inside the request: the floor of a synchronous architecture.

Reported per run: messages/s (webhooks acknowledged per second over the whole
run), acknowledgement latency (time to the 200), reply latency (from posting a
message until its reply reaches the fake Z-API; for the floor, the same as the
acknowledgement), lost replies (not there within REPLY_WAIT seconds, or never
acknowledged) and duplicates, the peak memory of the server processes (RSS of
the gunicorn master and workers, sampled every 0.2 s) and, on the console, the
acknowledgement p99 of each message of the flow and where the machine's CPU went.
Every request goes to 127.0.0.1; each run is bounded by --max-seconds, each
reply wait by REPLY_WAIT seconds, each acknowledgement by ACK_TIMEOUT.

The customers are threads (one per customer, each with its own kept-alive
connection): with the fake Z-API they cost about 1 ms of CPU per message, under
a tenth of the machine in the full run.

`--modes split` (not in the default run) measures the embedded setup with
SENDER_MODE=off on the web and `python manage.py sender` beside it.

Usage: python scripts/bench.py [--customers 1000] [--latency 0.3 0] \
           [--modes embedded redis floor] [--sender-concurrency 64] [--no-readme]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from gunicorn_server import free_port, stop, wait_healthy  # noqa: E402
from zapi_fake import FakeZApiServer  # noqa: E402

README = ROOT / "README.md"
SECRET = secrets.token_urlsafe(24)  # a throwaway webhook secret for this run
INSTANCE, TOKEN = "BENCHINSTANCE", "BENCHTOKEN"
POSTGRES_URL = os.environ.get(
    "THEO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_SERVER = os.environ.get("THEO_BENCH_REDIS", "redis://127.0.0.1:6379")

# The "sem internet" flow; each message gets exactly one reply, containing the marker.
CONVERSATION = [
    ("oi", "assistente virtual"),  # greeting and main menu
    ("2", "Qual é o problema"),  # support menu
    ("1", "CPF ou CNPJ"),  # no internet: who is the customer?
    ("529.982.247-25", "luz está vermelha"),  # account fine: red light on the modem?
    ("nao", "reiniciar o modem"),  # no red light: restart the modem; back?
    ("nao", "enviar um técnico"),  # not back: a visit; the holder's CEP first (LGPD)
    ("01310-100", "melhor período"),  # the installation CEP: which period?
    ("1", "visita técnica foi solicitada"),  # morning: visit recorded
]
MAX_SECONDS = 420  # one configuration's run: no new message is posted after this
REPLY_WAIT = 60.0  # a reply not there within this is lost (even if it comes later)
STORM_TURNS = 2  # the first messages arrive close together (the storm itself), the rest spread
# The customers' first messages arrive evenly over this many seconds (--ramp). 0: all at
# the same instant, the storm. A ramp also stretches the fast runs (the floor at
# 0 s), so messages/s compare fairly only between runs with the same ramp.
RAMP_SECONDS = 0.0
ACK_TIMEOUT = 120.0  # the floor answers only after its send: its queue can be long
SETTLE_SECONDS = 10.0  # after the run, how long stragglers (or duplicates) may still arrive
SAMPLE_EVERY = 0.2  # seconds between /proc samples of the server's memory
MODES = ("embedded", "redis", "floor")
EXTRA_MODES = ("split",)  # not in the default run: SQLite, sender in its own process
LABELS = {
    "embedded": "Theo embutido (SQLite, 1 processo)",
    "redis": "Theo com Redis + Postgres ({workers} processos)",
    "floor": "Piso síncrono (Flask mínimo, 1 processo)",
    "split": "Theo embutido (SQLite), enviador em outro processo",
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


# --- The fake Z-API, watched per phone ------------------------------------------------------
class _Inbox:
    """The sends one customer received, with the moment each was answered."""

    __slots__ = ("arrivals", "cond")

    def __init__(self) -> None:
        self.cond = threading.Condition(threading.Lock())
        self.arrivals: list[tuple[float, str]] = []

    def wait_for(self, count: int, deadline: float) -> tuple[float, str] | None:
        """The `count`-th send, waiting until `deadline` (perf_counter) at most."""
        with self.cond:
            while len(self.arrivals) < count:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return None
                self.cond.wait(remaining)
            return self.arrivals[count - 1]


class _Server(ThreadingHTTPServer):
    # Z-API accepts many connections at once; the stdlib's backlog of 5 would drop
    # SYNs under a burst and add 1 s retransmits that are the fake's fault, not Theo's.
    request_queue_size = 1024


class WatchedZApi(FakeZApiServer):
    """tests/zapi_fake.py's server, keep-alive (HTTP/1.1, like Z-API over HTTPS), with a
    per-phone inbox so each customer is woken by its own reply instead of polling."""

    def __init__(self) -> None:
        self.inboxes: dict[str, _Inbox] = {}
        super().__init__()

    def watch(self, phones: list[str]) -> None:
        self.inboxes = {phone: _Inbox() for phone in phones}

    def _serve(self, port: int) -> ThreadingHTTPServer:
        # Keep-alive answers are written in two sends (headers, body): without TCP_NODELAY,
        # Nagle's algorithm and the client's delayed ACK would add 40 ms to every send.
        options = {"protocol_version": "HTTP/1.1", "disable_nagle_algorithm": True}
        handler = type("KeepAliveHandler", (self._handler(),), options)
        server = _Server(("127.0.0.1", port), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def _record(self, path: str, headers: dict, body: dict) -> str:
        message_id = super()._record(path, headers, body)
        inbox = self.inboxes.get(str(body.get("phone")))
        if inbox is not None:
            with inbox.cond:
                inbox.arrivals.append((time.perf_counter(), str(body.get("message", ""))))
                inbox.cond.notify()
        return message_id


# --- Servers and their resources -----------------------------------------------------------
def start_server(app_uri: str, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """`gunicorn <app_uri> --config gunicorn.conf.py`, as tests/gunicorn_server.start_theo
    starts Theo (the same command for Theo and the floor); returns once /health answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", app_uri, "--config", "gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}", "--pythonpath", str(ROOT / "scripts"),
        "--access-logfile", "/dev/null",
    ]  # fmt: skip
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=log_file, stderr=log_file
        )
    process.base_url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    try:
        wait_healthy(process.base_url, process, seconds=60)  # type: ignore[attr-defined]
    except BaseException:
        stop(process)
        print(tail(log_path), file=sys.stderr)
        raise
    return process


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def redis_database() -> Iterator[str]:
    """An empty Redis database of our own (claimed with a key), flushed afterwards."""
    import redis

    token = secrets.token_hex(8)
    admin = redis.Redis.from_url(REDIS_SERVER, socket_timeout=5)
    count = int(admin.config_get("databases").get("databases", 16))
    for number in range(count - 1, 0, -1):  # from the last: tests use database 0
        client = redis.Redis.from_url(f"{REDIS_SERVER}/{number}", socket_timeout=5)
        if not client.set("theo-bench:claim", token, nx=True, ex=3600):
            continue
        if client.dbsize() != 1:  # someone else's data lives here
            client.delete("theo-bench:claim")
            continue
        try:
            yield f"{REDIS_SERVER}/{number}"
        finally:
            if client.get("theo-bench:claim") == token.encode():
                client.flushdb()
        return
    raise SystemExit("no empty Redis database to run the benchmark in")


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A DATABASE_URL whose search_path is a throwaway schema (as tests/conftest.py does)."""
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"theo_bench_{secrets.token_hex(6)}"
    libpq = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(libpq, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextlib.contextmanager
def server_for(mode: str, zapi_url: str, args: argparse.Namespace) -> Iterator[subprocess.Popen]:
    common = {
        "ZAPI_INSTANCE_ID": INSTANCE,
        "ZAPI_TOKEN": TOKEN,
        "ZAPI_CLIENT_TOKEN": "",
        "ZAPI_BASE_URL": zapi_url,
        "WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "SIMULATOR_ENABLED": "false",
        "REDIS_URL": "",
        "DATABASE_URL": "",
    }
    theo = {"SENDER_MODE": "thread", "SENDER_CONCURRENCY": str(args.sender_concurrency)}
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="theo-bench-")))
        log_path = folder / "gunicorn.log"
        if mode == "embedded":
            env = {**common, **theo, "SQLITE_PATH": str(folder / "bench.sqlite3")}
            app_uri = "app:app"
        elif mode == "redis":
            env = {
                **common,
                **theo,
                "REDIS_URL": stack.enter_context(redis_database()),
                "DATABASE_URL": stack.enter_context(postgres_schema()),
                "WEB_CONCURRENCY": str(args.web_concurrency),
            }
            app_uri = "app:app"
        elif mode == "split":  # SENDER_MODE=off on the web, `manage.py sender` beside it
            env = {**common, **theo, "SQLITE_PATH": str(folder / "bench.sqlite3")}
            app_uri = "app:app"
        else:
            env, app_uri = common, "floor_app:app"
        web_env = {**env, "SENDER_MODE": "off"} if mode == "split" else env
        process = start_server(app_uri, web_env, log_path)
        process.log_path = log_path  # type: ignore[attr-defined]
        process.helpers = []  # type: ignore[attr-defined]
        try:
            if mode == "split":
                with open(log_path, "ab") as log_file:
                    sender = subprocess.Popen(
                        [sys.executable, "manage.py", "sender"],
                        cwd=ROOT, env={**os.environ, **env}, stdout=log_file, stderr=log_file,
                    )  # fmt: skip
                stack.callback(stop, sender)
                process.helpers.append(sender)  # type: ignore[attr-defined]
            yield process
        finally:
            stop(process)


# --- What the machine did: memory and CPU from /proc ----------------------------------------
def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    return [int(child) for child in _read(f"/proc/{pid}/task/{pid}/children").split()]


def proc_stat(pid: int) -> tuple[str, float, int] | None:
    """(command name, CPU seconds, RSS in KiB) of one process, or None when it is gone."""
    raw = _read(f"/proc/{pid}/stat")
    if not raw:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    return name, cpu, int(fields[21]) * PAGE_KIB  # rss pages


def all_cpu() -> dict[int, tuple[str, float]]:
    """{pid: (command name, CPU seconds so far)} of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := proc_stat(int(entry))):
            found[int(entry)] = stat[:2]
    return found


def cpu_used_by_name(before: dict, after: dict, skip: set[int]) -> dict[str, float]:
    """CPU seconds each command name used between two `all_cpu()` snapshots (processes that
    exited in between are missed; those born in between count whole)."""
    used: dict[str, float] = {}
    for pid, (name, cpu) in after.items():
        if pid in skip:
            continue
        earlier = before.get(pid)
        delta = cpu - earlier[1] if earlier else cpu  # (a kernel thread's name changes)
        if delta > 0:
            key = name if name.startswith("redis-server") else name.split("-")[0]
            key = "postgres" if name.startswith("postgres") else key
            used[key] = used.get(key, 0.0) + delta
    return used


def machine_busy() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat)."""
    values = [int(v) for v in _read("/proc/stat").splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


class ServerSampler:
    """Samples the gunicorn master and its workers every SAMPLE_EVERY s: peak summed RSS,
    and each process's latest CPU time (so workers' CPU is known even after they exit)."""

    def __init__(self, master: int, helpers: tuple[int, ...] = ()) -> None:
        self.master = master
        self.helpers = helpers  # other processes of the server (a separate sender)
        self.peak_kib = 0
        self.cpu: dict[int, float] = {}
        self.workers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> ServerSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sample()

    def sample(self) -> None:
        workers = children(self.master)
        pids = [self.master, *workers, *self.helpers]
        total = 0
        for pid in pids:
            if stat := proc_stat(pid):
                total += stat[2]
                self.cpu[pid] = stat[1]
        self.peak_kib = max(self.peak_kib, total)
        self.workers = max(self.workers, len(workers))

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY):
            self.sample()


# --- The customers ------------------------------------------------------------------------
@dataclass
class Customer:
    """What one customer saw."""

    acks: list[tuple[int, float]] = field(default_factory=list)  # (turn, ms to its 200)
    replies: list[float] = field(default_factory=list)  # ms to each reply's arrival
    posted: int = 0  # messages posted (a reply is expected for each)
    errors: int = 0  # webhooks not answered 200 (after retries)
    late: int = 0  # replies not there after REPLY_WAIT: lost for the customer
    wrong: int = 0  # a reply that is not the flow's expected answer
    unsent: int = 0  # messages not posted: the run's time was over
    failures: list[str] = field(default_factory=list)


class Connection:
    """One kept-alive HTTP connection per customer; reopened when the server closed it."""

    def __init__(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes) -> int:
        for attempt in range(2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=ACK_TIMEOUT)
            try:
                self.conn.request("POST", path, body, {"Content-Type": "application/json"})
                response = self.conn.getresponse()
                response.read()
                if response.will_close:
                    self.close()
                return response.status
            except (ConnectionResetError, BrokenPipeError, http.client.BadStatusLine):
                # An idle kept-alive connection the server closed (its keepalive is 2 s): the
                # request did not reach the app, send it again on a new connection.
                self.close()
                if not reused or attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def converse(
    base_url: str, inbox: _Inbox, phone: str, tag: str, go: threading.Event, deadline: float,
    *, check_text: bool, reply_is_ack: bool, delay: float = 0.0,
) -> Customer:  # fmt: skip
    seen = Customer()
    path = f"/webhook/{SECRET}"
    connection = Connection(base_url)
    go.wait()
    time.sleep(delay)  # the storm's ramp: this customer notices the outage a moment later
    try:
        for turn, (text, marker) in enumerate(CONVERSATION):
            if time.perf_counter() > deadline:
                seen.unsent += len(CONVERSATION) - turn
                break
            body = json.dumps({
                "type": "ReceivedCallback", "instanceId": INSTANCE, "phone": phone,
                "messageId": f"BENCH{tag}{phone[-7:]}{turn:02d}", "fromMe": False,
                "fromApi": False, "momment": int(time.time() * 1000), "text": {"message": text},
            }).encode()  # fmt: skip
            started = time.perf_counter()
            seen.posted += 1
            status = 0
            for _ in range(3):  # Z-API delivers again after an error; so does the customer
                try:
                    status = connection.post(path, body)
                except OSError as error:  # includes timeouts
                    seen.failures.append(f"{type(error).__name__}: {error}")
                    status = 0
                if status == 200:
                    break
                if status:
                    seen.failures.append(f"HTTP {status}")
                time.sleep(1)
            acked = time.perf_counter()
            if status != 200:
                seen.errors += 1
                continue
            seen.acks.append((turn, (acked - started) * 1000))
            arrival = inbox.wait_for(turn + 1, started + REPLY_WAIT)
            if arrival is None:
                seen.late += 1
                continue
            seen.replies.append(((acked if reply_is_ack else arrival[0]) - started) * 1000)
            if check_text and marker not in arrival[1]:
                seen.wrong += 1
                seen.failures.append(f"turn {turn}: expected {marker!r}, got {arrival[1][:80]!r}")
    finally:
        connection.close()
    return seen


def settle(zapi: WatchedZApi, expected: int) -> None:
    """Let late replies (and any duplicate) arrive: until all are in and 1 s passed quietly."""
    deadline = time.monotonic() + SETTLE_SECONDS
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(zapi.requests)
        if count != last:
            last, quiet_since = count, time.monotonic()
        elif count >= expected and time.monotonic() - quiet_since >= 1.0:
            return
        time.sleep(0.1)


# --- One configuration --------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 when there is nothing to rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def run(mode: str, latency: float, customers: int, args: argparse.Namespace) -> dict:
    phones = [f"5511{970000000 + index}" for index in range(customers)]
    tag = secrets.token_hex(3).upper()
    with WatchedZApi() as zapi, server_for(mode, zapi.base_url, args) as server:
        zapi.latency = latency
        zapi.watch(phones)
        go = threading.Event()
        helpers = tuple(helper.pid for helper in server.helpers)  # type: ignore[attr-defined]
        with (
            ServerSampler(server.pid, helpers) as sampler,
            ThreadPoolExecutor(customers) as pool,
        ):
            deadline = time.perf_counter() + args.max_seconds
            checks = {"check_text": mode != "floor", "reply_is_ack": mode == "floor"}
            futures = [
                pool.submit(
                    converse,
                    server.base_url,
                    zapi.inboxes[phone],
                    phone,
                    tag,
                    go,
                    deadline,
                    **checks,
                    delay=args.ramp * index / customers,
                )
                for index, phone in enumerate(phones)
            ]
            processes = all_cpu()
            busy, mine = machine_busy(), resource.getrusage(resource.RUSAGE_SELF)
            sampler.sample()
            server_cpu = sum(sampler.cpu.values())
            started = time.perf_counter()
            go.set()
            seen = [future.result() for future in futures]
            elapsed = time.perf_counter() - started
            sampler.sample()
            server_cpu = sum(sampler.cpu.values()) - server_cpu
            busy = machine_busy() - busy
            after = resource.getrusage(resource.RUSAGE_SELF)
            bench_cpu = after.ru_utime - mine.ru_utime + after.ru_stime - mine.ru_stime
            skip = {os.getpid(), server.pid, *children(server.pid), *helpers}
            others = cpu_used_by_name(processes, all_cpu(), skip)
            settle(zapi, sum(s.posted for s in seen))
        received = {phone: len(zapi.inboxes[phone].arrivals) for phone in phones}
        log_tail = tail(server.log_path)  # type: ignore[attr-defined]
    posted = [s.posted for s in seen]
    never = sum(max(0, p - received[phone]) for p, phone in zip(posted, phones, strict=True))
    duplicates = sum(max(0, received[phone] - p) for p, phone in zip(posted, phones, strict=True))
    acks = [ms for s in seen for _, ms in s.acks]
    by_turn = [
        [ms for s in seen for t, ms in s.acks if t == turn] for turn in range(len(CONVERSATION))
    ]
    replies = [v for s in seen for v in s.replies]
    failures = [f for s in seen for f in s.failures]
    accounted = server_cpu + bench_cpu + sum(others.values())
    postgres, redis_cpu = others.pop("postgres", 0.0), others.pop("redis-server", 0.0)
    busiest = sorted(others.items(), key=lambda item: -item[1])[:3]
    return {
        "mode": mode,
        "latency": latency,
        "customers": customers,
        "workers": max(1, sampler.workers),
        "webhooks": len(acks),
        "errors": sum(s.errors for s in seen),
        "seconds": elapsed,
        "rate": len(acks) / elapsed,
        "ack_p50": percentile(acks, 0.50),
        "ack_p99": percentile(acks, 0.99),
        # The first message of every customer arrives at the same moment: a burst apart.
        "ack_p99_by_turn": [percentile(values, 0.99) for values in by_turn],
        # p99 once the storm's first waves are acknowledged (customers no longer in step).
        "ack_p99_steady": percentile(
            [ms for values in by_turn[STORM_TURNS:] for ms in values], 0.99
        ),
        "reply_p50": percentile(replies, 0.50),
        "reply_p99": percentile(replies, 0.99),
        # Lost: no reply within REPLY_WAIT, or the webhook never acknowledged (no reply due).
        "lost": sum(s.late + s.errors for s in seen),
        "never": never,  # of those, replies that had not arrived even at the end
        "duplicates": duplicates,
        "late": sum(s.late for s in seen),
        "wrong": sum(s.wrong for s in seen),
        "unsent": sum(s.unsent for s in seen),
        "peak_mib": sampler.peak_kib / 1024,
        "cpu": {
            "server": server_cpu,
            "bench": bench_cpu,
            "postgres": postgres,
            "redis": redis_cpu,
            "others": sum(others.values()),
            "busiest_others": busiest,
            "unattributed": max(0.0, busy - accounted),
            "capacity": elapsed * (os.cpu_count() or 1),
        },
        "failures": failures[:5],
        "log_tail": log_tail if (failures or never or duplicates) else "",
    }


# --- Verdicts and the README ----------------------------------------------------------------
def br(value: float, digits: int = 1) -> str:
    """A number as written in pt-BR: 1.234,5"""
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def duration(ms: float) -> str:
    return f"{br(ms, 1)} ms" if ms < 1000 else f"{br(ms / 1000, 1)} s"


def label(figures: dict) -> str:
    return LABELS[figures["mode"]].format(workers=figures["workers"])


def verdicts(results: list[dict]) -> list[tuple[bool, str]]:
    """(met, sentence in pt-BR) for each of the issue's targets that this run measured."""
    found = {(r["latency"], r["mode"]): r for r in results}
    lines: list[tuple[bool, str]] = []
    for latency in sorted({r["latency"] for r in results}, reverse=True):
        floor = found.get((latency, "floor"))
        for mode in ("embedded", "redis"):
            theo = found.get((latency, mode))
            if theo is None:
                continue
            name, at = label(theo), f"Z-API a {br(latency, 1)} s"
            if latency >= 0.3:
                missing = theo["lost"] + theo["duplicates"] + theo["wrong"]
                lines.append((missing == 0, (
                    f"{at}, {name}: nenhuma resposta perdida — {theo['lost']} sem resposta "
                    f"em {REPLY_WAIT:.0f} s ({theo['never']} nunca chegaram), "
                    f"{theo['duplicates']} duplicadas, {theo['wrong']} erradas, "
                    f"{theo['errors']} webhooks recusados"
                )))  # fmt: skip
                lines.append((theo["ack_p99"] < 100, (
                    f"{at}, {name}: confirmação p99 abaixo de 100 ms — "
                    f"{duration(theo['ack_p99'])} (sem as {STORM_TURNS} primeiras mensagens "
                    f"de cada cliente: {duration(theo['ack_p99_steady'])})"
                )))  # fmt: skip
            need = 5.0 if latency >= 0.3 else 0.7 if latency == 0 else None
            if floor is not None and need is not None:
                ratio = theo["rate"] / floor["rate"] if floor["rate"] else 0.0
                lines.append((ratio >= need, (
                    f"{at}, {name}: vazão pelo menos {br(need, 1)}× a do piso — "
                    f"{br(ratio, 2)}× ({br(theo['rate'], 0)} contra {br(floor['rate'], 0)} "
                    "mensagens/s)"
                )))  # fmt: skip
    return lines


def render(results: list[dict], args: argparse.Namespace) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} núcleos, Python {platform.python_version()}"
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    customers = results[0]["customers"]
    rows = []
    for r in results:
        lost = str(r["lost"]) + (f" (+{r['duplicates']} duplicadas)" if r["duplicates"] else "")
        if r["unsent"]:
            lost += f" ({r['unsent']} mensagens não enviadas: tempo esgotado)"
        rows.append(
            f"| {br(r['latency'], 1)} s | {label(r)} | {br(r['rate'], 0)} | "
            f"{duration(r['ack_p50'])} / {duration(r['ack_p99'])} | "
            f"{duration(r['reply_p50'])} / {duration(r['reply_p99'])} | {lost} | "
            f"{br(r['peak_mib'], 0)} MiB |"
        )
    marks = [f"- {'✅' if met else '❌'} {sentence}" for met, sentence in verdicts(results)]
    scenario = "" if customers == 1000 else f" (cenário reduzido: {customers} clientes)"
    arrival = (
        "escrevem no mesmo instante"
        if not args.ramp
        else f"mandam a primeira mensagem ao longo de {br(args.ramp, 0)} s "
        f"({br(customers / args.ramp, 0)} conversas novas por segundo)"
    )
    return (
        f"Medido com `make bench` em {when} ({machine}). **Tempestade de quedas:** "
        f"{customers} clientes {arrival} e percorrem o fluxo “sem internet” "
        "(saudação, suporte, sem internet, CPF, luz vermelha? não, voltou depois de "
        "reiniciar? não, CEP de instalação, visita de manhã), cada um esperando a resposta "
        "do Theo chegar à "
        "Z-API antes de mandar a próxima mensagem. A Z-API é falsa e local e demora o tempo "
        "da primeira coluna para aceitar cada envio; o piso é um app Flask mínimo, servido "
        "do mesmo jeito (gunicorn com as mesmas threads), que envia a resposta dentro do "
        "próprio webhook: o limite de uma arquitetura síncrona.\n\n"
        "| Z-API | Configuração | Mensagens/s | Confirmação p50 / p99 | "
        f"Resposta p50 / p99 | Respostas perdidas (> {REPLY_WAIT:.0f} s) | Memória máx. |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "Mensagens/s: webhooks confirmados (200) por segundo, do início ao fim da rodada. "
        "Confirmação: tempo até o 200. Resposta: da mensagem do cliente até a resposta "
        "chegar à Z-API (no piso, igual à confirmação). Memória: soma do RSS do gunicorn "
        f"(mestre e workers). `SENDER_CONCURRENCY={args.sender_concurrency}`.\n\n"
        f"Metas{scenario}:\n\n" + ("\n".join(marks) or "- (nenhuma meta medida nesta rodada)")
    )


def write_readme(text: str) -> None:
    original = README.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- bench:start -->\n).*?(\n<!-- bench:end -->)", re.DOTALL)
    if not pattern.search(original):
        raise SystemExit("README.md has no <!-- bench:start --> / <!-- bench:end --> markers")
    README.write_text(pattern.sub(lambda m: m.group(1) + text + m.group(2), original), "utf-8")


def describe(r: dict) -> str:
    cpu = r["cpu"]
    return (
        f"[{r['mode']} @ {r['latency']:g} s, {r['customers']} customers, {r['workers']} worker(s)] "
        f"{r['webhooks']} acks in {r['seconds']:.1f} s = {r['rate']:.1f} msg/s; "
        f"ack p50/p99 {r['ack_p50']:.1f}/{r['ack_p99']:.1f} ms "
        f"(p99 after the first {STORM_TURNS} messages {r['ack_p99_steady']:.1f} ms; by message "
        f"{'/'.join(f'{ms:.0f}' for ms in r['ack_p99_by_turn'])}); "
        f"reply p50/p99 {r['reply_p50']:.1f}/{r['reply_p99']:.1f} ms; "
        f"lost {r['lost']} (never arrived {r['never']}), duplicates {r['duplicates']}, "
        f"wrong {r['wrong']}, "
        f"errors {r['errors']}, unsent {r['unsent']}; peak RSS {r['peak_mib']:.0f} MiB\n"
        f"    CPU s: server {cpu['server']:.1f}, bench {cpu['bench']:.1f}, "
        f"postgres {cpu['postgres']:.1f}, redis {cpu['redis']:.1f}, "
        f"other processes {cpu['others']:.1f} "
        f"({', '.join(f'{name} {used:.1f}' for name, used in cpu['busiest_others']) or '-'}), "
        f"kernel/exited {cpu['unattributed']:.1f}; {cpu['capacity']:.1f} available"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument(
        "--latency", type=float, nargs="+", default=[0.3, 0.0],
        help="seconds the fake Z-API takes per send (several values: one run each)",
    )  # fmt: skip
    parser.add_argument(
        "--modes", nargs="+", choices=MODES + EXTRA_MODES, default=list(MODES),
        help="split (not run by default): SQLite, SENDER_MODE=off and `manage.py sender`",
    )  # fmt: skip
    parser.add_argument("--sender-concurrency", type=int, default=64)
    parser.add_argument(
        "--ramp", type=float, default=RAMP_SECONDS,
        help="seconds over which the customers write their first message (0: the same instant)",
    )  # fmt: skip
    parser.add_argument("--web-concurrency", type=int, default=2, help="processes, redis mode")
    parser.add_argument(
        "--max-seconds", type=float, default=MAX_SECONDS,
        help="per configuration: no message is posted after this",
    )  # fmt: skip
    parser.add_argument("--no-readme", action="store_true", help="only print the figures")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    if not 1 <= args.customers <= 5000:
        raise SystemExit("--customers must be between 1 and 5000")
    results = []
    for latency in args.latency:
        for mode in args.modes:
            print(f"running {mode} with Z-API latency {latency:g} s…", flush=True)
            figures = run(mode, latency, args.customers, args)
            results.append(figures)
            print(describe(figures), flush=True)
            for failure in figures["failures"]:
                print("    e.g.", failure)
            if figures["log_tail"]:
                print("    server log (tail):\n" + figures["log_tail"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    text = render(results, args)
    print("\n" + text)
    if not args.no_readme:
        write_readme(text)
        print("\nREADME.md atualizado.")


if __name__ == "__main__":
    main()

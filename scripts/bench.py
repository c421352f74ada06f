"""Benchmark Theo's webhook and write the figures into the README.

Starts Theo under gunicorn exactly as production does (one process, threads),
with a real HTTP fake of Z-API on loopback and SQLite in a temporary folder,
then drives whole conversations from several simulated customers at once.
Every request goes to 127.0.0.1 only; the run is bounded in count and time.

Usage: python scripts/bench.py [--customers 40] [--concurrency 8] [--no-readme]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from gunicorn_server import start_theo, stop  # noqa: E402
from zapi_fake import FakeZApiServer  # noqa: E402

README = ROOT / "README.md"
SECRET = secrets.token_urlsafe(24)  # a throwaway webhook secret for this run
# One whole boleto conversation, then support with diagnosis and a visit request.
CONVERSATION = ["oi", "1", "529.982.247-25", "menu", "2", "1", "2", "2", "1", "sair"]
MAX_SECONDS = 300


def start_bench_theo(zapi_url: str, folder: str) -> tuple[str, subprocess.Popen]:
    env = {
        "ZAPI_INSTANCE_ID": "BENCHINSTANCE",
        "ZAPI_TOKEN": "BENCHTOKEN",
        "ZAPI_BASE_URL": zapi_url,
        "WEBHOOK_SECRET": SECRET,
        "SQLITE_PATH": str(Path(folder) / "bench.sqlite3"),
        "DATABASE_URL": "",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_MINUTE": "100000",
    }
    return start_theo(
        env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        extra_args=("--access-logfile", "/dev/null"),
    )


def webhook_url(base: str, session: requests.Session) -> str:
    """The secret path when this version supports it, else the plain one."""
    probe = session.post(f"{base}/webhook/{SECRET}", json={"type": "PresenceChatCallback"})
    return f"{base}/webhook/{SECRET}" if probe.status_code == 200 else f"{base}/webhook"


def converse(url: str, customer: int, deadline: float) -> list[float]:
    """One customer's whole conversation; returns each webhook's latency in ms."""
    latencies = []
    phone = f"55119{customer:08d}"
    with requests.Session() as session:
        for turn, text in enumerate(CONVERSATION):
            if time.monotonic() > deadline:
                break
            body = {
                "type": "ReceivedCallback", "instanceId": "BENCHINSTANCE",
                "messageId": f"BENCH-{customer}-{turn}", "phone": phone,
                "fromMe": False, "text": {"message": text},
            }  # fmt: skip
            started = time.perf_counter()
            response = session.post(url, json=body, timeout=30)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"webhook answered {response.status_code}: {response.text}")
    return latencies


def run(customers: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory() as folder, FakeZApiServer() as zapi:
        base, theo = start_bench_theo(zapi.base_url, folder)
        try:
            with requests.Session() as session:
                url = webhook_url(base, session)
            deadline = time.monotonic() + MAX_SECONDS
            started = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                results = list(pool.map(lambda c: converse(url, c, deadline), range(customers)))
            elapsed = time.perf_counter() - started
        finally:
            stop(theo)
        sends = len(zapi.requests)
    latencies = sorted(value for result in results for value in result)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "webhooks": len(latencies),
        "sends": sends,
        "seconds": elapsed,
        "rate": len(latencies) / elapsed,
        "p50": quantiles[49],
        "p95": quantiles[94],
        "p99": quantiles[98],
        "customers": customers,
        "concurrency": concurrency,
    }


def br(value: float, digits: int = 1) -> str:
    """A number as written in pt-BR: 1.234,5"""
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def render(figures: dict) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} núcleos, Python {platform.python_version()}"
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    return (
        f"Medido com `make bench` em {when} ({machine}). O Theo roda como em produção "
        "(gunicorn, 1 processo com threads, SQLite) e fala com uma Z-API falsa local; "
        f"{figures['customers']} clientes conversam ao mesmo tempo ({figures['concurrency']} "
        "conexões simultâneas), cada um com uma conversa inteira (boleto e suporte com visita).\n\n"
        "| Medida | Valor |\n|---|---|\n"
        f"| Webhooks processados | {figures['webhooks']} em {br(figures['seconds'])} s |\n"
        f"| Vazão | {br(figures['rate'], 0)} webhooks/s |\n"
        f"| Mensagens enviadas à Z-API | {figures['sends']} |\n"
        f"| Latência p50 / p95 / p99 | {br(figures['p50'])} / {br(figures['p95'])} / "
        f"{br(figures['p99'])} ms |\n\n"
        "A latência inclui o envio à Z-API (falsa, local): com a Z-API real, some o tempo "
        "de resposta dela a cada mensagem enviada."
    )


def write_readme(text: str) -> None:
    original = README.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- bench:start -->\n).*?(\n<!-- bench:end -->)", re.DOTALL)
    if not pattern.search(original):
        raise SystemExit("README.md has no <!-- bench:start --> / <!-- bench:end --> markers")
    README.write_text(pattern.sub(lambda m: m.group(1) + text + m.group(2), original), "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--no-readme", action="store_true", help="only print the figures")
    args = parser.parse_args()
    text = render(run(args.customers, args.concurrency))
    print(text)
    if not args.no_readme:
        write_readme(text)
        print("\nREADME.md atualizado.")


if __name__ == "__main__":
    main()

"""gunicorn settings shared by `make run` and Render.

Embedded mode (no REDIS_URL): sessions and the duplicate filter live in memory,
so Theo runs as ONE process with several threads. With Redis (sessions, message
ids, locks) and Postgres (records and the outbox, row locks) several worker
processes share everything: WEB_CONCURRENCY of them (default 2).
"""

import os
import sys

from dotenv import load_dotenv

# A local .env must reach gunicorn's own settings and log masking too, not only the app.
load_dotenv()


def _threads() -> int:
    raw = os.environ.get("GUNICORN_THREADS", "8")
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"GUNICORN_THREADS must be a whole number of at least 1, got {raw!r}")
    return int(raw)


bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"


def _workers() -> int:
    shared = os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    )
    if not shared:
        return 1  # in-memory sessions and SQLite: one process
    raw = os.environ.get("WEB_CONCURRENCY", "2")
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"WEB_CONCURRENCY must be a whole number of at least 1, got {raw!r}")
    return int(raw)


workers = _workers()
threads = _threads()
# gthread with a time limit on reading each request (see web_worker.py): silent clients
# cannot hold the threads.
worker_class = "web_worker.TimedThreadWorker"
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# Masks the webhook secret (it is in the request line) and personal data in both logs.
logger_class = "security.GunicornLogger"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's control socket could change the worker count at run time: keep what is set here.
control_socket_disable = True


def on_starting(server):
    """Refuse to start, one line per problem, before any worker tries (and fails) to boot."""
    from checks import all_problems

    problems = all_problems(reach=False)
    for line in problems:
        print(f"Theo não pode iniciar: {line}", file=sys.stderr, flush=True)
    if problems:
        raise SystemExit(1)


def worker_exit(server, worker):
    """SIGTERM (a deploy): requests in flight end, then the sends in flight; the rest stays
    queued in the database for the next start."""
    theo = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("theo")
    if theo is not None:
        if theo.scheduler is not None:
            theo.scheduler.stop()
        theo.deliverer.stop()

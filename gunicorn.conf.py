"""gunicorn settings shared by `make run` and Render.

Sessions and the duplicate-delivery filter live in memory, so Theo runs as ONE
process with several threads: every webhook sees the same conversations.
"""

import os

from dotenv import load_dotenv

# A local .env must reach gunicorn's own settings and log masking too, not only the app.
load_dotenv()


def _threads() -> int:
    raw = os.environ.get("GUNICORN_THREADS", "8")
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"GUNICORN_THREADS must be a whole number of at least 1, got {raw!r}")
    return int(raw)


bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = 1  # in-memory sessions: do not raise without a shared session store
threads = _threads()
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# Masks the webhook secret (it is in the request line) and personal data in both logs.
logger_class = "security.GunicornLogger"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's control socket could change the worker count at run time: Theo needs exactly one.
control_socket_disable = True

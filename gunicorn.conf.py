"""gunicorn settings shared by `make run` and Render.

Sessions and the duplicate-delivery filter live in memory, so Theo runs as ONE
process with several threads: every webhook sees the same conversations.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = 1  # in-memory sessions: do not raise without a shared session store
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# Masks the webhook secret (it is in the request line) and personal data in both logs.
logger_class = "security.GunicornLogger"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

"""`GET /metrics` for Prometheus, from the official `prometheus-client` library.

Each app has its own registry (`Metrics`), handed to the engine and the sender, so two
apps in one process (the tests) never mix their counts. No label ever holds personal
data: outcomes, flow keys and results are short words from the code.

Under gunicorn the counters are per process: with several workers
(`WEB_CONCURRENCY` > 1) each scrape reaches one of them. Theo's default is one worker
with threads, which this covers; prometheus-client's multiprocess mode is not used.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from flask_limiter import Limiter
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from rate_limits import ADMIN_LIMIT
from security import WEBHOOK_BASE, token_required

METRICS = ("metrics_token", "admin_token")
blueprint = Blueprint("metrics", __name__)
# Z-API usually answers in well under a second; retries and timeouts reach tens of seconds.
SEND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The counters of one app: webhooks, replies, sends, flows and handoffs."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.started = time.monotonic()
        registry = self.registry
        self.webhooks = Counter(
            "theo_webhook_requests", "Webhook requests by outcome.", ["outcome"], registry=registry
        )
        self.replies = Counter(
            "theo_replies", "Replies by send result (sent, retried, failed).", ["result"],
            registry=registry,
        )  # fmt: skip
        self.send_seconds = Histogram(
            "theo_send_seconds", "Time one send to Z-API took.", buckets=SEND_BUCKETS,
            registry=registry,
        )  # fmt: skip
        self.flows_started = Counter(
            "theo_flows_started", "Flows started, by flow.", ["flow"], registry=registry
        )
        self.flows_completed = Counter(
            "theo_flows_completed", "Flows that reached an outcome, by flow and outcome.",
            ["flow", "outcome"], registry=registry,
        )  # fmt: skip
        self.handoffs = Counter(
            "theo_handoffs", "Conversations handed to a person.", registry=registry
        )

    def count_webhook(self, outcome: str) -> None:
        """One more webhook that ended with `outcome` ("queued", "404"...)."""
        self.webhooks.labels(outcome=_label(outcome)).inc()

    def count_reply(self, result: str, seconds: float | None = None) -> None:
        """One reply `result` ("sent", "retried", "failed"), and how long the send took."""
        self.replies.labels(result=result).inc()
        if seconds is not None:
            self.send_seconds.observe(seconds)

    def count_flow(self, flow: str, *, started: bool = False, outcome: str = "") -> None:
        """A run of `flow` started, or reached `outcome`."""
        if started:
            self.flows_started.labels(flow=_label(flow)).inc()
        if outcome:
            self.flows_completed.labels(flow=_label(flow), outcome=_label(outcome)).inc()


class StateGauges(Collector):
    """Gauges read at scrape time from the running app (uptime, stores, queue, sessions)."""

    def __init__(self, theo: Any, started: float) -> None:
        self.theo = theo
        self.started = started

    def collect(self) -> Iterator[Metric]:
        theo = self.theo
        gauges: dict[str, tuple[str, float]] = {
            "theo_uptime_seconds": ("Seconds since start.", time.monotonic() - self.started),
            "theo_database_up": ("1 when the database answers.", int(theo.records.ping())),
            "theo_gateway_up": (
                "1 unless Z-API refuses sends.",
                int(not theo.deliverer.health.problem),
            ),
        }
        for status, total in theo.outbox.counts().items():
            gauges[f"theo_outbox_{_label(status)}"] = (f"Replies {status} in the outbox.", total)
        if hasattr(theo.sessions, "__len__"):
            gauges["theo_sessions_active"] = ("Conversations in progress.", len(theo.sessions))
        for name, (help_text, value) in gauges.items():
            yield GaugeMetricFamily(name, help_text, value=value)


def _label(value: str) -> str:
    """Outcomes are short words; keep label values to safe characters anyway."""
    return "".join(ch for ch in value if ch.isalnum() or ch == "_")[:40]


def _count_webhook(response: Response) -> Response:
    """after_request: count webhook outcomes, by JSON status on 200, else by HTTP code."""
    if request.path == WEBHOOK_BASE or request.path.startswith(WEBHOOK_BASE + "/"):
        status = response.status_code
        body = response.get_json(silent=True) if status == 200 else None
        outcome = body.get("status") if isinstance(body, dict) else None
        current_app.extensions["theo_metrics"].count_webhook(str(outcome or status))
    return response


@blueprint.get("/metrics")
@token_required(*METRICS)
def metrics() -> Response:
    """Every counter and gauge, in the format the scraper asks for."""
    registry = current_app.extensions["theo_metrics"].registry
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(registry), content_type=content_type)


def install(app: Flask, limiter: Limiter, metrics: Metrics) -> None:
    """Register `/metrics` (rate limited like /admin) and the webhook counters."""
    app.extensions["theo_metrics"] = metrics
    metrics.registry.register(StateGauges(app.extensions["theo"], metrics.started))
    app.after_request(_count_webhook)
    limiter.limit(ADMIN_LIMIT, deduct_when=lambda response: response.status_code == 401)(blueprint)
    app.register_blueprint(blueprint)

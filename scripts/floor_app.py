"""The floor of a synchronous webhook, for `scripts/bench.py` to compare Theo against.

For each customer message it makes exactly one Z-API send-text call (one pooled
`requests.Session`, the same fake Z-API) and only then answers 200: no state, no
database, no queue. Whatever Theo does on top of receiving and sending costs
time; an architecture that sends inside the request cannot answer faster than
this, nor serve more customers per second with the same threads.

Served by the same command as Theo (`gunicorn floor_app:app --config gunicorn.conf.py`,
with `--pythonpath scripts`) and configured by the same variables: ZAPI_BASE_URL,
ZAPI_INSTANCE_ID, ZAPI_TOKEN, ZAPI_CLIENT_TOKEN and WEBHOOK_SECRET.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

import requests
from flask import Flask, jsonify, request
from requests.adapters import HTTPAdapter

BASE_URL = os.environ.get("ZAPI_BASE_URL", "http://127.0.0.1:9").rstrip("/")
SEND_TEXT_URL = (
    f"{BASE_URL}/instances/{os.environ.get('ZAPI_INSTANCE_ID', '')}"
    f"/token/{os.environ.get('ZAPI_TOKEN', '')}/send-text"
)
SECRET = os.environ.get("WEBHOOK_SECRET", "")
HEADERS = {"Content-Type": "application/json"}
if os.environ.get("ZAPI_CLIENT_TOKEN"):
    HEADERS["Client-Token"] = os.environ["ZAPI_CLIENT_TOKEN"]
TIMEOUT = (3.05, 15.0)  # Theo's defaults (ZAPI_CONNECT_TIMEOUT / ZAPI_READ_TIMEOUT)

app = Flask(__name__)
# One pooled session, as Theo's ZApiClient: enough connections for every gunicorn thread.
session = requests.Session()
session.mount(f"{BASE_URL}/", HTTPAdapter(pool_maxsize=64))


@app.get("/health")
def health() -> tuple[Any, int]:
    return jsonify(status="ok"), 200


@app.post("/webhook/<path:secret>")
def receive(secret: str) -> tuple[Any, int]:
    if not SECRET or not hmac.compare_digest(secret, SECRET):
        return jsonify(error="not_found"), 404
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or payload.get("type") != "ReceivedCallback":
        return jsonify(status="ignored"), 200
    phone = str(payload.get("phone") or "")
    text = str((payload.get("text") or {}).get("message") or "")
    if not phone or payload.get("fromMe"):
        return jsonify(status="ignored"), 200
    try:
        answer = session.post(
            SEND_TEXT_URL,
            json={"phone": phone, "message": f"Recebido: {text[:200]}"},
            headers=HEADERS,
            timeout=TIMEOUT,
        )
    except requests.RequestException as error:
        return jsonify(error="zapi_unreachable", detail=type(error).__name__), 503
    if answer.status_code != 200:
        return jsonify(error="zapi_refused", status=answer.status_code), 503
    return jsonify(status="sent"), 200

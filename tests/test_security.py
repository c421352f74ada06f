"""Who may talk to Theo: webhook secret, Z-API instance, admin tokens, body shape, headers."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote_plus

import pytest
from flask import Response
from gunicorn.config import Config as GunicornConfig
from werkzeug.test import EnvironBuilder, run_wsgi_app

import security
from app import create_app
from config import ConfigError, load_config
from conftest import (
    CUSTOMER_PHONE,
    INSTANCE,
    TOKEN,
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    Chat,
    load_fixture,
)

ROOT = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "admin-token-0123456789abcdef"
METRICS_TOKEN = "metrics-token-0123456789abcdef"


def admin_app(config, clock, **changes):
    app = create_app(replace(config, **changes), clock=clock)
    app.config.update(TESTING=True)
    return app


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- The webhook secret -----------------------------------------------------------
def test_right_secret_is_answered(client, zapi):
    response = client.post(WEBHOOK_PATH, json=load_fixture("text_message"))

    assert response.get_json() == {"status": "queued"}
    assert len(zapi.sent) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/webhook",
        "/webhook/",
        "/webhook/wrong",
        f"/webhook/{WEBHOOK_SECRET[:-1]}",
        f"/webhook/{WEBHOOK_SECRET}x",
        f"/webhook/{WEBHOOK_SECRET.upper()}",
        f"/webhook/{WEBHOOK_SECRET}/extra",
        f"/webhook/x/{WEBHOOK_SECRET}",
        "/webhook/s%C3%A9cr%C3%A9t-%F0%9F%94%91",
        "/webhook/%ff%fe",
        "/webhook/..%2f..%2fetc",
    ],
)
def test_any_other_webhook_path_is_a_plain_404_that_does_nothing(client, zapi, app, path):
    unknown = client.get("/nothing-here")

    response = client.post(path, json=load_fixture("text_message"))

    assert response.status_code == 404
    assert response.get_json() == unknown.get_json()
    assert WEBHOOK_SECRET not in response.get_data(as_text=True)
    assert zapi.sent == []
    assert app.extensions["theo"].sessions.get(CUSTOMER_PHONE) is None


@pytest.mark.parametrize(
    "path",
    ["/webhook//x", f"/webhook//{WEBHOOK_SECRET}", "//webhook", "/admin//requests", "/health//"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_double_slash_paths_are_a_json_404_not_a_redirect(client, zapi, path, method):
    response = getattr(client, method)(path, json=load_fixture("text_message"))

    assert response.status_code == 404
    assert response.is_json
    assert "Location" not in response.headers
    assert zapi.sent == []


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_on_a_wrong_path_are_404_not_405(client, method):
    assert getattr(client, method)("/webhook/wrong").status_code == 404
    assert getattr(client, method)("/webhook").status_code == 404
    assert getattr(client, method)(WEBHOOK_PATH).status_code == 405


def test_secret_is_compared_in_constant_time(client, zapi, monkeypatch):
    calls = []
    real = security.hmac.compare_digest

    def spy(given, expected):
        calls.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)

    client.post("/webhook/guess", json=load_fixture("text_message"))
    client.post(WEBHOOK_PATH, json=load_fixture("text_message"))

    assert (b"guess", WEBHOOK_SECRET.encode()) in calls
    assert (WEBHOOK_SECRET.encode(), WEBHOOK_SECRET.encode()) in calls


def test_a_render_style_base64_secret_with_slash_and_plus_works(config, clock, zapi):
    secret = "q+Zr/8Jd0Xb3lY6m+Ue2s1A9kPz/NcWvTg4hRo5iF7E="
    app = admin_app(config, clock, webhook_secret=secret)

    response = app.test_client().post(f"/webhook/{secret}", json=load_fixture("text_message"))

    assert response.get_json() == {"status": "queued"}
    assert app.config["THEO_WEBHOOK_PATH"] == f"/webhook/{secret}"


def test_the_active_webhook_path_is_exposed_for_the_simulator(app, tmp_path):
    console = create_app(load_config(environ={}, sqlite_path=str(tmp_path / "c.sqlite3")))

    assert app.config["THEO_WEBHOOK_PATH"] == WEBHOOK_PATH
    assert console.config["THEO_WEBHOOK_PATH"] == "/webhook"


def test_console_mode_keeps_plain_webhook_and_refuses_other_paths(tmp_path):
    app = create_app(load_config(environ={}, sqlite_path=str(tmp_path / "db.sqlite3")))
    client = app.test_client()

    assert client.post("/webhook/anything", json=load_fixture("text_message")).status_code == 404
    assert client.post("/webhook", json=load_fixture("text_message")).status_code == 200


# --- The Z-API instance -------------------------------------------------------------
@pytest.mark.parametrize("instance", ["OTHER-INSTANCE", INSTANCE.lower(), "", 42, None, ["x"]])
def test_callback_of_another_instance_is_refused_with_403(client, zapi, app, instance):
    payload = load_fixture("text_message") | {"instanceId": instance}

    response = client.post(WEBHOOK_PATH, json=payload)

    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert INSTANCE not in response.get_data(as_text=True)
    assert zapi.sent == []
    assert app.extensions["theo"].sessions.get(CUSTOMER_PHONE) is None


def test_callback_without_instance_id_passed_the_secret_and_is_handled(client, zapi):
    payload = load_fixture("text_message")
    del payload["instanceId"]

    assert client.post(WEBHOOK_PATH, json=payload).get_json() == {"status": "queued"}


# --- Start-up refusal ---------------------------------------------------------------------
def test_zapi_credentials_without_webhook_secret_refuse_to_start():
    environ = {"ZAPI_INSTANCE_ID": INSTANCE, "ZAPI_TOKEN": TOKEN}

    with pytest.raises(ConfigError, match="WEBHOOK_SECRET: obrigatório"):
        load_config(environ=environ)


@pytest.mark.parametrize(
    "environ, variable",
    [
        ({"WEBHOOK_SECRET": "short"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "has spaces in the secret!"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "question?mark-0123456789"}, "WEBHOOK_SECRET"),
        ({"ADMIN_TOKEN": "1234"}, "ADMIN_TOKEN"),
        ({"METRICS_TOKEN": "1234"}, "METRICS_TOKEN"),
        ({"RATE_LIMIT_PER_MINUTE": "0"}, "RATE_LIMIT_PER_MINUTE"),
        ({"RECORDS_RETENTION_DAYS": "-1"}, "RECORDS_RETENTION_DAYS"),
        ({"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL"),
    ],
)
def test_weak_or_malformed_security_settings_are_refused(environ, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config(environ=environ)


def test_production_process_refuses_to_start_without_the_secret(tmp_path):
    env = {
        **os.environ,
        "ZAPI_INSTANCE_ID": INSTANCE,
        "ZAPI_TOKEN": TOKEN,
        "WEBHOOK_SECRET": "",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }

    started = subprocess.run(
        [sys.executable, "-c", "import app; app.app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode != 0
    assert "WEBHOOK_SECRET: obrigatório" in started.stderr
    assert "Traceback" not in started.stderr  # one line per problem, for a person
    assert TOKEN not in started.stderr


def test_debug_mode_is_never_on_with_zapi_credentials(config, clock, zapi, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")

    app = create_app(config, clock=clock)

    assert app.debug is False


# --- Body size and shape -------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b'{"type": "ReceivedCallback", "x": ' + b"[" * 17 + b"]" * 17 + b"}",
        b"[" + b"0," * 6000 + b"0]",
        b'{"type": "ReceivedCallback", "phone": "5511\\ud800", "messageId": "X"}',
        b'{"type": "ReceivedCallback", "text": {"\\udfff": "oi"}}',
        b'{"n": ' + b"9" * 5000 + b"}",
    ],
    ids=[
        "deep-list",
        "deep-object",
        "depth-17",
        "too-many-values",
        "surrogate",
        "surrogate-key",
        "huge-int",
    ],
)
def test_deep_wide_or_broken_json_is_a_400_never_a_500(client, zapi, body):
    response = client.post(WEBHOOK_PATH, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json()["error"] in ("invalid_json", "invalid_payload")
    assert zapi.sent == []


def test_a_normal_callback_is_well_within_the_shape_limits():
    security.check_shape(load_fixture("text_message") | {"x": [[[{"y": [1, 2, 3]}]]]})


def test_body_over_the_limit_is_413_even_without_content_length(app, zapi):
    body = b'{"type": "ReceivedCallback", "pad": "' + b"a" * 70_000 + b'"}'
    environ = EnvironBuilder(
        WEBHOOK_PATH, method="POST", input_stream=io.BytesIO(body)
    ).get_environ()
    del environ["CONTENT_LENGTH"]  # chunked: the size is only known by reading
    environ.update({"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    environ["CONTENT_TYPE"] = "application/json"

    _, status, _ = run_wsgi_app(app, environ, buffered=True)

    assert status.startswith("413")
    assert zapi.sent == []


# --- Admin and metrics tokens ------------------------------------------------------------
@pytest.mark.parametrize("path", ["/metrics", "/admin/requests"])
def test_admin_surfaces_are_off_without_tokens(client, path):
    assert client.get(path).status_code == 404


def test_every_admin_and_metrics_route_needs_the_token(config, clock, zapi):
    app = admin_app(config, clock, admin_token=ADMIN_TOKEN)
    client = app.test_client()
    rules = [
        rule for rule in app.url_map.iter_rules() if rule.rule.startswith(("/admin", "/metrics"))
    ]

    assert {rule.rule for rule in rules} >= {"/metrics", "/admin/requests"}
    for rule in rules:
        path = rule.rule.replace("<phone>", CUSTOMER_PHONE)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            for headers in ({}, bearer("wrong-token-0123456789"), {"Authorization": ADMIN_TOKEN}):
                response = client.open(path, method=method, headers=headers)
                assert response.status_code == 401, (path, method, headers)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_admin_token_opens_admin_and_metrics(config, clock, zapi):
    client = admin_app(config, clock, admin_token=ADMIN_TOKEN).test_client()

    assert client.get("/admin/requests", headers=bearer(ADMIN_TOKEN)).status_code == 200
    assert client.get("/metrics", headers=bearer(ADMIN_TOKEN)).status_code == 200


def test_a_metrics_token_opens_only_metrics(config, clock, zapi):
    app = admin_app(config, clock, admin_token=ADMIN_TOKEN, metrics_token=METRICS_TOKEN)
    client = app.test_client()

    assert client.get("/metrics", headers=bearer(METRICS_TOKEN)).status_code == 200
    assert client.get("/metrics", headers=bearer(ADMIN_TOKEN)).status_code == 401
    assert client.get("/admin/requests", headers=bearer(METRICS_TOKEN)).status_code == 401


def test_metrics_alone_can_be_on_while_admin_is_off(config, clock, zapi):
    client = admin_app(config, clock, metrics_token=METRICS_TOKEN).test_client()

    assert client.get("/metrics", headers=bearer(METRICS_TOKEN)).status_code == 200
    assert client.get("/admin/requests", headers=bearer(METRICS_TOKEN)).status_code == 404


def test_metrics_count_webhook_outcomes_in_prometheus_format(config, clock, zapi):
    app = admin_app(config, clock, metrics_token=METRICS_TOKEN)
    client = app.test_client()
    chat = Chat(client, zapi)
    chat.say("oi")
    chat.say("1")
    client.post("/webhook/wrong", json={})
    client.post(WEBHOOK_PATH, data=b"{", content_type="application/json")

    response = client.get("/metrics", headers=bearer(METRICS_TOKEN))

    text = response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=0.0.4")
    assert 'theo_webhook_requests_total{outcome="queued"} 2' in text
    assert 'theo_webhook_requests_total{outcome="404"} 1' in text
    assert 'theo_webhook_requests_total{outcome="400"} 1' in text
    assert "theo_database_up 1" in text
    assert "theo_sessions_active 1" in text
    assert CUSTOMER_PHONE not in text
    assert response.headers["Cache-Control"] == "no-store"


# The ops API shows the contact data the team needs (tests/test_ops_api.py): masking is
# for logs, which tests/test_log_privacy.py checks.


def test_release_hands_a_human_conversation_back_to_theo(config, clock, zapi):
    app = admin_app(config, clock, admin_token=ADMIN_TOKEN)
    client = app.test_client()
    chat = Chat(client, zapi)
    chat.say("oi")
    client.post(WEBHOOK_PATH, json=load_fixture("from_me_attendant"))
    assert chat.state() == "human"
    path = f"/admin/conversations/{CUSTOMER_PHONE}/release"

    response = client.post(path, headers=bearer(ADMIN_TOKEN))

    assert response.get_json() == {"status": "released"}
    assert "Segunda via de boleto" in chat.say("oi de novo")
    assert client.post(path, headers=bearer(ADMIN_TOKEN)).status_code == 409
    other = "/admin/conversations/5511900000009/release"
    assert client.post(other, headers=bearer(ADMIN_TOKEN)).status_code == 404


def test_forget_deletes_records_and_the_live_conversation(config, clock, zapi):
    app = admin_app(config, clock, admin_token=ADMIN_TOKEN)
    client = app.test_client()
    chat = Chat(client, zapi)
    chat.say("oi")
    chat.say("6")
    protocol = chat.protocol()

    response = client.post(f"/admin/customers/{CUSTOMER_PHONE}/forget", headers=bearer(ADMIN_TOKEN))

    deleted = {"requests": 1, "protocols": 1, "replies": 2, "outage_notices": 0}
    assert response.get_json()["deleted"] == deleted
    assert chat.state() is None
    assert app.extensions["theo"].records.requests_for_protocol(protocol) == []


def test_valid_tokens_are_not_counted_by_the_admin_limit(config, clock, zapi):
    client = admin_app(config, clock, admin_token=ADMIN_TOKEN).test_client()

    codes = {
        client.get("/admin/requests", headers=bearer(ADMIN_TOKEN)).status_code for _ in range(70)
    }

    assert codes == {200}


def test_behind_a_proxy_each_client_address_has_its_own_admin_limit(config, clock, zapi):
    app = admin_app(config, clock, admin_token=ADMIN_TOKEN, trusted_proxy_hops=1)
    client = app.test_client()
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(61):
        client.get("/admin/requests", headers=attacker)

    ops = {"X-Forwarded-For": "198.51.100.7", **bearer(ADMIN_TOKEN)}

    assert client.get("/admin/requests", headers=attacker).status_code == 429
    assert client.get("/admin/requests", headers=ops).status_code == 200


def test_admin_is_rate_limited_per_address(config, clock, zapi):
    client = admin_app(config, clock, admin_token=ADMIN_TOKEN).test_client()

    codes = [client.get("/admin/requests").status_code for _ in range(61)]

    assert codes[:60] == [401] * 60
    assert codes[60] == 429


# --- Headers and log masking ---------------------------------------------------------------
def test_security_headers_on_json_and_csp_on_html(config, clock, zapi):
    app = admin_app(config, clock)
    app.add_url_rule("/page", "page", lambda: Response("<p>oi</p>", mimetype="text/html"))
    client = app.test_client()

    page = client.get("/page")
    health = client.get("/health")

    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    for response in (page, health):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Content-Security-Policy" not in health.headers


def test_a_page_may_set_its_own_csp(config, clock, zapi):
    app = admin_app(config, clock)
    own = "default-src 'self' 'unsafe-inline'"
    app.add_url_rule(
        "/page",
        "page",
        lambda: Response(
            "<p>oi</p>", mimetype="text/html", headers={"Content-Security-Policy": own}
        ),
    )

    assert app.test_client().get("/page").headers["Content-Security-Policy"] == own


def test_secret_filter_masks_secrets_and_the_webhook_segment():
    masking = security.SecretFilter(["a-very-long-token-value", "short"])
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "POST %s token=%s short",
        ("/webhook/abc+/=", "a-very-long-token-value"),
        None,
    )

    masking.filter(record)

    assert record.getMessage() == "POST /webhook/*** token=*** short"


def gunicorn_access_line(raw_uri: str) -> str:
    """What gunicorn's access log (with Theo's logger class) writes for one request."""
    config = GunicornConfig()
    config.set("accesslog", "-")
    logger = security.GunicornLogger(config)
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))
    logger.access_log.addHandler(handler)
    path, _, query = raw_uri.partition("?")
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
    }
    response = SimpleNamespace(status="200 OK", sent=20, headers=[])
    try:
        logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=5))
    finally:
        logger.access_log.removeHandler(handler)
    [line] = lines
    return line


@pytest.mark.parametrize(
    "raw_uri",
    [
        "/admin/customers/55%2011%2098765%200001/forget",
        "/admin/customers/%2B55%20%2811%29%2098765-0001/forget",
        "/admin/customers/%35%35%31%31%39%38%37%36%35%30%30%30%31/forget",
        "/admin/conversations/5511987650001/release?x=55+11+98765+0001",
        "/admin/customers/529%2E982%2E247-25/forget",
    ],
)
def test_access_log_masks_personal_data_hidden_by_percent_encoding(raw_uri):
    line = gunicorn_access_line(raw_uri)

    shown = re.sub(r"[\s().+-]", "", unquote_plus(line))  # as a reader would decode it
    assert "5511987650001" not in shown and "52998224725" not in shown
    assert '" 200 ' in line and line.isprintable()


def test_access_log_keeps_ordinary_encoded_paths_and_escapes_control_characters():
    assert "/simulator/static/simulator.js?v=caf%C3%A9" in gunicorn_access_line(
        "/simulator/static/simulator.js?v=caf%C3%A9"
    )
    decoded = gunicorn_access_line("/admin/customers/5511987650001%0a%1b[31m/forget")
    assert decoded.isprintable() and "5511987650001" not in decoded


# --- Secrets hygiene -----------------------------------------------------------------------
SECRET_VARIABLES = [
    "ZAPI_INSTANCE_ID", "ZAPI_TOKEN", "ZAPI_CLIENT_TOKEN", "DATABASE_URL", "REDIS_URL",
    "WEBHOOK_SECRET", "ADMIN_TOKEN", "METRICS_TOKEN",
]  # fmt: skip
NEW_SETTINGS = [
    "WEBHOOK_SECRET", "ADMIN_TOKEN", "METRICS_TOKEN", "RATE_LIMIT_PER_MINUTE", "REDIS_URL",
    "RECORDS_RETENTION_DAYS",
]  # fmt: skip


@pytest.mark.parametrize("variable", SECRET_VARIABLES)
def test_render_never_holds_a_secret_value(variable):
    blueprint = (ROOT / "render.yaml").read_text(encoding="utf-8")

    entry = re.search(rf"- key: {variable}\n\s+(\w+):( \S+)?", blueprint)

    assert entry, f"{variable} missing from render.yaml"
    # Typed in the dashboard, generated by Render, or wired from a Render database/Key Value.
    allowed = {("sync", " false"), ("generateValue", " true"), ("fromDatabase", None)}
    assert entry.groups() in allowed | {("fromService", None)}


def test_the_webhook_secret_is_generated_by_render():
    blueprint = (ROOT / "render.yaml").read_text(encoding="utf-8")

    assert re.search(r"- key: WEBHOOK_SECRET\n\s+generateValue: true", blueprint)


@pytest.mark.parametrize("variable", NEW_SETTINGS)
def test_new_settings_are_documented_and_declared(variable):
    assert re.search(rf"^{variable}=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    assert f"- key: {variable}\n" in (ROOT / "render.yaml").read_text()
    assert f"`{variable}`" in (ROOT / "README.md").read_text()


def test_dotenv_is_ignored_by_git():
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize("limit", ["²", "9" * 5000, "-3", "abc", "0", "100000"])
def test_admin_listing_refuses_a_bad_limit_without_a_500(config, clock, zapi, limit):
    client = admin_app(config, clock, admin_token=ADMIN_TOKEN).test_client()

    response = client.get(f"/admin/requests?limit={limit}", headers=bearer(ADMIN_TOKEN))

    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"

"""Tests for z_api_client: request shapes, retry policy, error mapping, privacy, ConsoleSender.

Shapes and status mapping use `responses` (it replays urllib3's status retries itself).
Connection errors, Retry-After sleeps and read timeouts need real sockets, so those tests
talk to a small HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import responses
import urllib3.util.connection
import urllib3.util.retry

from replies import Option, Reply
from z_api_client import (
    ConsoleSender,
    ZApiAuthError,
    ZApiClient,
    ZApiError,
    ZApiNotConnectedError,
    ZApiRejectedError,
    ZApiUnavailableError,
    mask_phone,
)

INSTANCE = "3C0FFEE0INSTANCE"
TOKEN = "TOKEN-s3cr3t-9f8e7d"
CLIENT_TOKEN = "CLIENT-s3cr3t-1a2b3c"
PHONE = "5511987650001"
MASKED = "5511*****0001"
BASE = "https://api.z-api.io"
PREFIX = f"{BASE}/instances/{INSTANCE}/token/{TOKEN}"
MENU = (Option("1", "Segunda via de boleto", "Boleto em PDF"), Option("2", "Suporte técnico"))


def ok(message_id: str = "MSG-1") -> dict[str, str]:
    """A Z-API success answer."""
    return {"zaapId": "ZAAP", "messageId": message_id, "id": message_id}


def sent_json(call: Any) -> Any:
    """The JSON body of a recorded `responses` call."""
    return json.loads(call.request.body)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def client() -> Iterator[ZApiClient]:
    zapi = ZApiClient(INSTANCE, TOKEN, CLIENT_TOKEN, retries=2, backoff_factor=0)
    yield zapi
    zapi.close()


# --- request shapes --------------------------------------------------------------------


def test_send_text_posts_contract_body_headers_and_url(mocked, client):
    mocked.post(f"{PREFIX}/send-text", json=ok("D241"))

    assert client.send_text(PHONE, "Olá!") == "D241"

    request = mocked.calls[0].request
    assert request.url == f"{PREFIX}/send-text"
    assert json.loads(request.body) == {"phone": PHONE, "message": "Olá!"}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Client-Token"] == CLIENT_TOKEN


def test_send_option_list_body(mocked, client):
    mocked.post(f"{PREFIX}/send-option-list", json=ok())

    client.send_option_list(PHONE, "Como posso ajudar?", "Atendimento", "Ver opções", MENU)

    assert sent_json(mocked.calls[0]) == {
        "phone": PHONE,
        "message": "Como posso ajudar?",
        "optionList": {
            "title": "Atendimento",
            "buttonLabel": "Ver opções",
            "options": [
                {"id": "1", "title": "Segunda via de boleto", "description": "Boleto em PDF"},
                {"id": "2", "title": "Suporte técnico"},
            ],
        },
    }


def test_send_button_list_uses_title_as_label(mocked, client):
    mocked.post(f"{PREFIX}/send-button-list", json=ok())

    client.send_button_list(PHONE, "Resolveu?", (Option("1", "Sim"), Option("2", "Não")))

    assert sent_json(mocked.calls[0]) == {
        "phone": PHONE,
        "message": "Resolveu?",
        "buttonList": {"buttons": [{"id": "1", "label": "Sim"}, {"id": "2", "label": "Não"}]},
    }


def test_send_document_pdf_body(mocked, client):
    mocked.post(f"{PREFIX}/send-document/pdf", json=ok("PDF-1"))

    assert client.send_document_pdf(PHONE, "https://x.test/b.pdf", "boleto-2026-11") == "PDF-1"
    assert sent_json(mocked.calls[0]) == {
        "phone": PHONE,
        "document": "https://x.test/b.pdf",
        "fileName": "boleto-2026-11",
    }


def test_client_token_header_absent_when_not_configured(mocked):
    mocked.post(f"{PREFIX}/send-text", json=ok())
    zapi = ZApiClient(INSTANCE, TOKEN, base_url=BASE + "/")  # trailing slash is tolerated

    zapi.send_text(PHONE, "Oi")

    assert mocked.calls[0].request.url == f"{PREFIX}/send-text"
    assert "Client-Token" not in mocked.calls[0].request.headers


def test_message_id_falls_back_to_id(mocked, client):
    mocked.post(f"{PREFIX}/send-text", json={"zaapId": "Z", "id": "ONLY-ID"})

    assert client.send_text(PHONE, "Oi") == "ONLY-ID"


# --- send(): the seam ------------------------------------------------------------------


def test_send_uses_text_when_interactive_is_off(mocked, client):
    mocked.post(f"{PREFIX}/send-text", json=ok("T1"))
    reply = Reply("Escolha:\n1. Boleto\n2. Suporte", options=MENU)

    assert client.send(PHONE, [reply]) == ["T1"]
    assert sent_json(mocked.calls[0]) == {"phone": PHONE, "message": reply.text}


def test_send_interactive_list_with_default_title(mocked, client):
    mocked.post(f"{PREFIX}/send-option-list", json=ok("L1"))
    client.interactive = True

    client.send(PHONE, [Reply("Escolha:\n1. Boleto\n2. Suporte", options=MENU)])

    option_list = sent_json(mocked.calls[0])["optionList"]
    assert option_list["title"] == "Atendimento"
    assert option_list["buttonLabel"] == "Ver opções"
    assert [o["id"] for o in option_list["options"]] == ["1", "2"]


def test_send_interactive_list_with_custom_title_and_button(mocked, client):
    mocked.post(f"{PREFIX}/send-option-list", json=ok("L1"))
    client.interactive = True

    client.send(PHONE, [Reply("1. Boleto", options=MENU, list_title="Menu", list_button="Abrir")])

    option_list = sent_json(mocked.calls[0])["optionList"]
    assert (option_list["title"], option_list["buttonLabel"]) == ("Menu", "Abrir")


def test_send_interactive_buttons_and_plain_text(mocked):
    mocked.post(f"{PREFIX}/send-button-list", json=ok("B1"))
    mocked.post(f"{PREFIX}/send-text", json=ok("T2"))
    zapi = ZApiClient(INSTANCE, TOKEN, interactive=True, backoff_factor=0)
    yes_no = (Option("1", "Sim"), Option("2", "Não"))

    ids = zapi.send(PHONE, [Reply("Resolveu?\n1. Sim\n2. Não", yes_no, "buttons"), Reply("Ok!")])

    assert ids == ["B1", "T2"]
    assert sent_json(mocked.calls[0])["message"] == "Resolveu?\n1. Sim\n2. Não"
    assert sent_json(mocked.calls[1]) == {"phone": PHONE, "message": "Ok!"}


def test_send_document_after_text_in_order(mocked, client):
    mocked.post(f"{PREFIX}/send-text", json=ok("T1"))
    mocked.post(f"{PREFIX}/send-document/pdf", json=ok("P1"))
    reply = Reply("Segue seu boleto.", document_url="https://x.test/b.pdf")

    assert client.send(PHONE, [reply]) == ["T1", "P1"]
    assert [c.request.url for c in mocked.calls] == [
        f"{PREFIX}/send-text",
        f"{PREFIX}/send-document/pdf",
    ]
    assert sent_json(mocked.calls[1])["fileName"] == "boleto"


def test_send_stops_at_first_failure_and_reports_sent_ids(mocked, client):
    mocked.post(f"{PREFIX}/send-text", json=ok("T1"))
    mocked.post(f"{PREFIX}/send-document/pdf", status=400, json={"error": "Invalid document"})
    replies = [Reply("Boleto:", document_url="https://x.test/b.pdf"), Reply("Mais algo?")]

    with pytest.raises(ZApiRejectedError) as caught:
        client.send(PHONE, replies)

    assert caught.value.sent_ids == ["T1"]
    assert len(mocked.calls) == 2  # "Mais algo?" was never attempted


# --- retries and error mapping (responses replays urllib3's status retries) -------------


def test_retries_503_then_succeeds(mocked, client):
    mocked.post(f"{PREFIX}/send-text", status=503, json={"error": "busy"})
    mocked.post(f"{PREFIX}/send-text", json=ok("AFTER-503"))

    assert client.send_text(PHONE, "Oi") == "AFTER-503"
    assert len(mocked.calls) == 2


def test_retries_429_with_retry_after_then_succeeds(mocked, client):
    mocked.post(f"{PREFIX}/send-text", status=429, headers={"Retry-After": "0"}, json={})
    mocked.post(f"{PREFIX}/send-text", json=ok("AFTER-429"))

    assert client.send_text(PHONE, "Oi") == "AFTER-429"
    assert len(mocked.calls) == 2


def test_persistent_503_becomes_unavailable_after_retries(mocked, client):
    mocked.post(f"{PREFIX}/send-text", status=503, body="Service Unavailable")

    with pytest.raises(ZApiUnavailableError) as caught:
        client.send_text(PHONE, "Oi")

    assert caught.value.status == 503
    assert caught.value.body == "Service Unavailable"
    assert len(mocked.calls) == 3  # first try + retries=2


@pytest.mark.parametrize(
    ("status", "body", "error_class"),
    [
        (400, {"error": "Invalid phone"}, ZApiRejectedError),
        (403, {"error": "Invalid client-token"}, ZApiAuthError),
        (401, {"message": "Unauthorized"}, ZApiAuthError),
        (400, {"error": "your client-token is not configured"}, ZApiAuthError),
        (200, {"error": "null not allowed"}, ZApiAuthError),
        (400, {"error": "You are not connected."}, ZApiNotConnectedError),
        (200, {"error": "NOT_FOUND", "message": "Unable to find matching target resource"},
         ZApiRejectedError),
        (405, {"error": "Method not allowed"}, ZApiRejectedError),
    ],
)  # fmt: skip
def test_error_answers_are_typed_and_not_retried(mocked, client, status, body, error_class):
    mocked.post(f"{PREFIX}/send-text", status=status, json=body)

    with pytest.raises(error_class) as caught:
        client.send_text(PHONE, "Oi")

    assert len(mocked.calls) == 1
    assert caught.value.status == status
    assert json.loads(caught.value.body) == body
    assert str(body.get("error", "")) in str(caught.value)


def test_non_json_success_is_rejected(mocked, client):
    mocked.post(f"{PREFIX}/send-text", body="<html>ok</html>", content_type="text/html")

    with pytest.raises(ZApiRejectedError, match="not JSON"):
        client.send_text(PHONE, "Oi")


def test_success_without_message_id_is_rejected(mocked, client):
    mocked.post(f"{PREFIX}/send-text", json={"zaapId": "Z"})

    with pytest.raises(ZApiRejectedError, match="without messageId"):
        client.send_text(PHONE, "Oi")


def test_error_body_is_truncated(mocked, client):
    mocked.post(f"{PREFIX}/send-text", status=400, body="x" * 5000)

    with pytest.raises(ZApiRejectedError) as caught:
        client.send_text(PHONE, "Oi")

    assert len(caught.value.body) == 500


def test_transport_error_is_unavailable_chained_and_scrubbed(mocked, client):
    leaky = requests.ConnectionError(f"Max retries exceeded with url: /instances/I/token/{TOKEN}/x")
    mocked.post(f"{PREFIX}/send-text", body=leaky)

    with pytest.raises(ZApiUnavailableError) as caught:
        client.send_text(PHONE, "Oi")

    assert caught.value.status is None
    assert caught.value.__cause__ is leaky
    assert TOKEN not in "".join(traceback.format_exception(caught.value))


def test_error_text_never_contains_secrets(mocked, client):
    echo = {"error": f"bad token {TOKEN} / {CLIENT_TOKEN}"}
    mocked.post(f"{PREFIX}/send-text", status=400, json=echo)

    with pytest.raises(ZApiError) as caught:
        client.send_text(PHONE, "Oi")

    for secret in (TOKEN, CLIENT_TOKEN):
        assert secret not in str(caught.value)
        assert secret not in caught.value.body
        assert secret not in repr(caught.value)


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"connect_timeout": 0},
        {"read_timeout": 0},
        {"connect_timeout": -1},
        {"read_timeout": -0.5},
        {"retries": -1},
    ],
)
def test_bad_settings_are_rejected_at_start(kwargs):
    with pytest.raises(ValueError) as caught:
        ZApiClient(INSTANCE, TOKEN, **kwargs)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(("instance", "token"), [("", TOKEN), (INSTANCE, "")])
def test_missing_credentials_are_rejected(instance, token):
    with pytest.raises(ValueError, match="required"):
        ZApiClient(instance, token)


def test_injected_session_is_used_and_left_open(mocked):
    mocked.post(f"{PREFIX}/send-text", json=ok())
    session = requests.Session()
    zapi = ZApiClient(INSTANCE, TOKEN, session=session)

    zapi.send_text(PHONE, "Oi")
    zapi.close()

    assert session.get_adapter(f"{PREFIX}/send-text").max_retries.allowed_methods == {"POST"}
    assert len(mocked.calls) == 1


# --- logging ----------------------------------------------------------------------------


def test_info_log_line_has_masked_phone_endpoint_status_and_no_text(mocked, client, caplog):
    mocked.post(f"{PREFIX}/send-text", json=ok("D241"))
    caplog.set_level(logging.INFO, logger="theo.zapi")

    client.send_text(PHONE, "Seu CPF 529.982.247-25 confere")

    (record,) = [r for r in caplog.records if r.name == "theo.zapi"]
    line = record.getMessage()
    assert record.levelno == logging.INFO
    assert all(part in line for part in (MASKED, "send-text", "status=200", "elapsed_ms="))
    assert "message_id=D241" in line
    assert PHONE not in line
    assert "CPF" not in caplog.text


def test_failure_is_logged_as_warning_without_secrets(mocked, client, caplog):
    mocked.post(f"{PREFIX}/send-text", status=403, json={"error": "forbidden"})
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ZApiAuthError):
        client.send_text(PHONE, "Oi")

    assert "Z-API send-text failed" in caplog.text
    assert f"phone={MASKED}" in caplog.text
    for secret in (TOKEN, CLIENT_TOKEN, PHONE):
        assert secret not in caplog.text


def test_mask_phone():
    assert mask_phone(PHONE) == MASKED
    assert mask_phone("551187650001") == "551******001"
    assert mask_phone("12345") == "1***5"
    assert mask_phone("") == ""


# --- real sockets: connection errors, Retry-After sleeps, read timeouts -----------------


class _ScriptedHandler(BaseHTTPRequestHandler):
    """Answers each POST with the next scripted (status, headers, body), or hangs."""

    def do_POST(self) -> None:
        server: _ScriptedServer = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length", "0"))
        server.received.append({"path": self.path, "json": json.loads(self.rfile.read(length))})
        action = server.script.pop(0) if server.script else (200, {}, ok("DEFAULT"))
        if action == "hang":
            server.release.wait(timeout=10)
            return
        status, headers, body = action
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class _ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.script: list[Any] = []
        self.received: list[dict[str, Any]] = []
        self.release = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A hung request's client is gone by the time it is released: not a test failure."""


@pytest.fixture
def server() -> Iterator[_ScriptedServer]:
    httpd = _ScriptedServer()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def local_client(port: int, **kwargs: Any) -> ZApiClient:
    """A client pointed at 127.0.0.1:<port> with fast, deterministic retries."""
    settings = {"retries": 2, "backoff_factor": 0, "base_url": f"http://127.0.0.1:{port}", **kwargs}
    return ZApiClient(INSTANCE, TOKEN, CLIENT_TOKEN, **settings)


@pytest.fixture
def refuse_connects(monkeypatch) -> list[int]:
    """Make the first N TCP connects fail as refused; returns [N, attempts] to set and inspect."""
    real = urllib3.util.connection.create_connection
    state = [0, 0]  # refusals left, attempts seen

    def flaky(*args: Any, **kwargs: Any) -> socket.socket:
        state[1] += 1
        if state[0] > 0:
            state[0] -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", flaky)
    return state


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Record urllib3's retry sleeps instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(urllib3.util.retry.time, "sleep", recorded.append)
    return recorded


def test_connection_error_is_retried_then_succeeds(server, refuse_connects, caplog):
    refuse_connects[0] = 1
    caplog.set_level(logging.DEBUG)
    zapi = local_client(server.server_address[1])

    assert zapi.send_text(PHONE, "Oi") == "DEFAULT"

    assert refuse_connects[1] == 2
    assert len(server.received) == 1
    assert server.received[0]["path"] == f"/instances/{INSTANCE}/token/{TOKEN}/send-text"
    assert "Retrying" in caplog.text  # urllib3's own warning, with the token path redacted
    assert "/token/***" in caplog.text
    assert TOKEN not in caplog.text
    zapi.close()


def test_connection_refused_until_exhausted_is_unavailable(server, refuse_connects, caplog):
    refuse_connects[0] = 99
    caplog.set_level(logging.DEBUG)
    zapi = local_client(server.server_address[1])

    with pytest.raises(ZApiUnavailableError) as caught:
        zapi.send_text(PHONE, "Oi")

    assert refuse_connects[1] == 3  # first try + retries=2
    assert server.received == []
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    trace = "".join(traceback.format_exception(caught.value))
    assert "Max retries exceeded" in trace  # the chained cause is kept, only scrubbed
    for secret in (TOKEN, CLIENT_TOKEN):
        assert secret not in trace
        assert secret not in caplog.text
    zapi.close()


def test_429_retry_after_is_honoured(server, sleeps):
    server.script = [(429, {"Retry-After": "7"}, {"error": "rate limited"})]
    zapi = local_client(server.server_address[1])

    assert zapi.send_text(PHONE, "Oi") == "DEFAULT"

    assert sleeps == [7]
    assert len(server.received) == 2
    zapi.close()


def test_huge_retry_after_is_capped(server, sleeps):
    server.script = [(503, {"Retry-After": "3600"}, {"error": "maintenance"})]
    zapi = local_client(server.server_address[1])

    zapi.send_text(PHONE, "Oi")

    assert sleeps == [30]
    zapi.close()


def test_503_then_success_over_real_http(server):
    server.script = [(503, {}, {"error": "busy"}), (200, {}, ok("REAL"))]
    zapi = local_client(server.server_address[1])

    assert zapi.send_text(PHONE, "Oi") == "REAL"
    assert len(server.received) == 2
    zapi.close()


def test_403_is_not_retried_over_real_http(server):
    server.script = [(403, {}, {"error": "forbidden"})]
    zapi = local_client(server.server_address[1])

    with pytest.raises(ZApiAuthError):
        zapi.send_text(PHONE, "Oi")
    assert len(server.received) == 1
    zapi.close()


def test_read_timeout_is_unavailable_and_never_resent(server):
    server.script = ["hang"]
    zapi = local_client(server.server_address[1], read_timeout=0.2)

    with pytest.raises(ZApiUnavailableError, match="ReadTimeout") as caught:
        zapi.send_text(PHONE, "Oi")

    assert isinstance(caught.value.__cause__, requests.ReadTimeout)
    assert len(server.received) == 1
    assert TOKEN not in "".join(traceback.format_exception(caught.value))
    zapi.close()


# --- ConsoleSender ----------------------------------------------------------------------


def test_console_sender_prints_and_keeps_history():
    out = io.StringIO()
    console = ConsoleSender(stream=out)
    replies = [
        Reply("Escolha:\n1. Boleto\n2. Suporte", options=MENU),
        Reply("Segue o boleto.", document_url="https://x.test/b.pdf", document_name="boleto-11"),
    ]

    ids = console.send(PHONE, replies)

    assert len(ids) == 2
    assert all(i.startswith("console-") for i in ids)
    assert len(set(ids)) == 2
    printed = out.getvalue()
    assert "1. Boleto" in printed
    assert "[PDF boleto-11: https://x.test/b.pdf]" in printed
    assert PHONE not in printed
    first, second = console.history(PHONE)
    assert first["id"] == ids[0]
    assert first["phone"] == PHONE
    assert first["style"] == "list"
    assert first["options"][0] == {
        "id": "1",
        "title": "Segunda via de boleto",
        "description": "Boleto em PDF",
    }
    assert second["document_url"] == "https://x.test/b.pdf"
    assert second["at"].endswith("+00:00")


def test_console_sender_defaults_to_stdout(capsys):
    ConsoleSender().send(PHONE, [Reply("Olá!")])

    assert "Olá!" in capsys.readouterr().out


def test_console_history_is_bounded_per_phone():
    console = ConsoleSender(stream=io.StringIO())

    console.send(PHONE, [Reply(f"msg {i}") for i in range(250)])

    texts = [m["text"] for m in console.history(PHONE)]
    assert len(texts) == ConsoleSender.MAX_PER_PHONE == 200
    assert texts[0] == "msg 50"
    assert texts[-1] == "msg 249"


def test_console_history_evicts_least_recently_used_phone():
    console = ConsoleSender(stream=io.StringIO())
    console.send("5500000000000", [Reply("primeiro")])
    for n in range(1, ConsoleSender.MAX_PHONES):
        console.send(f"55{n:011d}", [Reply("oi")])
    console.send("5500000000000", [Reply("de novo")])  # now most recently used

    console.send("5599999999999", [Reply("novo")])

    assert console.history("5500000000000") != []
    assert console.history(f"55{1:011d}") == []  # the oldest untouched phone went
    assert console.history("5599999999999")[0]["text"] == "novo"


def test_console_history_is_a_copy_and_clear_forgets():
    console = ConsoleSender(stream=io.StringIO())
    console.send(PHONE, [Reply("Oi", options=MENU)])

    console.history(PHONE)[0]["options"].clear()
    assert len(console.history(PHONE)[0]["options"]) == 2

    console.clear(PHONE)
    console.clear("5500000000000")  # unknown phone: no error
    assert console.history(PHONE) == []


def test_console_sender_logs_masked_phone_without_text(caplog):
    caplog.set_level(logging.DEBUG)

    ConsoleSender(stream=io.StringIO()).send(PHONE, [Reply("Seu CPF 529.982.247-25")])

    assert MASKED in caplog.text
    assert PHONE not in caplog.text
    assert "CPF" not in caplog.text


BARCODE = "34191790010104351004791020150008184410000026000"
PIX = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)


def test_console_prints_personal_data_masked_but_keeps_it_for_the_simulator():
    out = io.StringIO()
    console = ConsoleSender(stream=out)
    replies = [
        Reply("Cadastro 529.982.247-25, empresa 11 222 333 0001 81, fone +55 11 987650001"),
        Reply(BARCODE, alone=True),
        Reply(PIX, alone=True),
        Reply("Boleto", document_url="https://x.test/b.pdf?cpf=52998224725"),
    ]

    console.send(PHONE, replies)

    printed = out.getvalue()
    for private in ("52998224725", "11222333000181", "5511987650001", BARCODE, PIX):
        assert private not in printed.replace(".", "").replace("-", "").replace(" ", "")
    assert "529.***.***-25" in printed and "Cadastro" in printed
    assert "34191" in printed and "6000" in printed  # the ends stay, to tell codes apart
    assert [entry["text"] for entry in console.history(PHONE)][:3] == [
        replies[0].text,
        BARCODE,
        PIX,
    ]


def test_the_connection_pool_holds_one_connection_per_sender_thread():
    client = ZApiClient(INSTANCE, TOKEN, base_url=BASE, pool_size=64)
    adapter = client._session.get_adapter(f"{BASE}/instances/")
    # Fewer than the sender's threads and every concurrent send past the pool would open
    # and discard its own connection ("Connection pool is full").
    assert adapter._pool_maxsize == 64


def test_proxy_settings_are_read_from_the_environment_once(monkeypatch):
    # requests would walk the whole environment on every send (trust_env); Theo reads it
    # when the client is built, and still honours a proxy set there.
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "")
    zapi = ZApiClient(INSTANCE, TOKEN, CLIENT_TOKEN)
    try:
        assert zapi._session.trust_env is False
        assert zapi._session.proxies["https"] == "http://proxy.example:3128"
    finally:
        zapi.close()

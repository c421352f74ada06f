"""Theo under gunicorn, talking to a real HTTP fake of Z-API and to Postgres."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import (
    CLIENT_TOKEN,
    INSTANCE,
    TOKEN,
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    load_fixture,
    says,
    shows_menu,
    zapi_env,
)
from gunicorn_server import start_theo, stop
from records import RecordsStore
from zapi_fake import FakeZApiServer, texts_of


@pytest.fixture
def theo_server(postgres_url):
    with FakeZApiServer() as zapi:
        env = {
            **zapi_env(zapi.base_url),
            "DATABASE_URL": postgres_url,
            "GUNICORN_THREADS": "4",
        }
        base, process = start_theo(env)
        try:
            yield base, zapi, process
        finally:
            stop(process)


def test_boleto_flow_end_to_end(theo_server):
    base, zapi, process = theo_server
    payload = load_fixture("text_message")

    def say(number: int, text: str) -> list[str]:
        before = len(zapi.requests)
        body = payload | {"messageId": f"E2E-{number}", "text": {"message": text}}
        response = requests.post(f"{base}{WEBHOOK_PATH}", json=body, timeout=10)
        assert response.status_code == 200
        assert response.json()["status"] == "queued"
        return texts_of(zapi.settled(before))

    greeting = say(1, "Oi, boa tarde")
    assert says(greeting[0], "geral.saudacao")
    assert shows_menu(greeting[0], "principal")
    assert says(say(2, "1")[0], "documento.pedir_boleto")
    answer = say(3, "529.982.247-25")

    assert any(re.fullmatch(r"\d{47}", text) for text in answer)
    assert says(answer[-1], "geral.encerramento")
    first = zapi.requests[0]
    assert first["path"] == f"/instances/{INSTANCE}/token/{TOKEN}/send-text"
    assert first["headers"]["Client-Token"] == CLIENT_TOKEN
    assert first["body"]["phone"] == payload["phone"]

    duplicate = requests.post(
        f"{base}{WEBHOOK_PATH}",
        json=payload | {"messageId": "E2E-3", "text": {"message": "529.982.247-25"}},
        timeout=10,
    )
    assert duplicate.json() == {"status": "duplicate"}
    malformed = requests.post(
        f"{base}{WEBHOOK_PATH}",
        data=b"{oops",
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code == 400

    logs = stop(process)
    assert TOKEN not in logs
    assert WEBHOOK_SECRET not in logs
    assert "POST /webhook/*** HTTP" in logs  # gunicorn's access log, secret masked
    assert "529.982.247-25" not in logs and "52998224725" not in logs
    assert payload["phone"] not in logs


def test_requests_are_recorded_in_postgres(theo_server, postgres_url):
    base, zapi, _ = theo_server
    payload = load_fixture("text_message") | {"phone": "5511955550005"}
    for number, text in enumerate(["oi", "3", "69900-000", "sim"]):
        body = payload | {"messageId": f"PG-{number}", "text": {"message": text}}
        before = len(zapi.requests)
        assert requests.post(f"{base}{WEBHOOK_PATH}", json=body, timeout=10).status_code == 200
        assert zapi.settled(before)  # each answer is sent before the next message

    store = RecordsStore(postgres_url)
    try:
        recorded = [(r.kind, r.phone, r.details) for r in store.recent_requests()]
    finally:
        store.dispose()
    assert recorded == [("coverage_interest", "5511955550005", {"cep": "69900000"})]


def test_broken_chunked_body_is_a_400_not_a_500(theo_server):
    base, zapi, process = theo_server
    host, port = base.removeprefix("http://").split(":")
    request = (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
    ).encode()

    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = connection.recv(4096).decode("latin-1")

    assert answer.startswith("HTTP/1.1 400"), answer.splitlines()[0]
    assert zapi.requests == []
    assert "Traceback" not in stop(process)


def test_replies_acknowledged_before_a_sigkill_are_sent_after_restart(tmp_path):
    """200 means stored: kill -9 right after, start again, and the customer still gets it all."""
    with FakeZApiServer() as zapi:
        zapi.down()
        env = {
            **zapi_env(zapi.base_url),
            "DATABASE_URL": "",
            "SQLITE_PATH": str(tmp_path / "theo.sqlite3"),
            "ZAPI_CONNECT_TIMEOUT": "1",
            "ZAPI_READ_TIMEOUT": "1",
            "SEND_RETRY_FIRST_SECONDS": "0.2",
            "SEND_RETRY_MAX_SECONDS": "0.5",
        }
        base, process = start_theo(env, new_session=True, stdout=subprocess.DEVNULL)
        payload = load_fixture("text_message")
        for number, text in enumerate(["oi", "1", "529.982.247-25"]):
            body = payload | {"messageId": f"KILL-{number}", "text": {"message": text}}
            response = requests.post(f"{base}{WEBHOOK_PATH}", json=body, timeout=10)
            assert response.json() == {"status": "queued"}
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        assert zapi.requests == []

        zapi.up()
        base, process = start_theo(env)
        try:
            sent = zapi.settled(0, quiet=1.0, timeout=40)
        finally:
            stop(process)
    texts = texts_of(sent)
    assert says(texts[0], "geral.saudacao")
    assert any(says(text, "documento.pedir_boleto") for text in texts)
    assert says(texts[-1], "geral.encerramento")
    assert len(texts) == len(set(texts))  # each reply once


def test_two_processes_sharing_redis_and_postgres_hold_one_conversation(postgres_url):
    """One customer's messages alternate between two Theo processes: one conversation."""
    phone = f"55119{uuid.uuid4().int % 10**8:08d}"
    with FakeZApiServer() as zapi:
        env = {
            **zapi_env(zapi.base_url),
            "DATABASE_URL": postgres_url,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "WEB_CONCURRENCY": "1",
        }
        servers = [start_theo(env), start_theo(env)]
        try:
            answers = []
            for number, text in enumerate(["oi", "1", "529.982.247-25", "sair"]):
                base = servers[number % 2][0]
                body = load_fixture("text_message") | {
                    "phone": phone,
                    "messageId": f"TWO-{phone}-{number}",
                    "text": {"message": text},
                }
                before = len(zapi.requests)
                assert requests.post(f"{base}{WEBHOOK_PATH}", json=body, timeout=10).ok
                answers.append(" ".join(texts_of(zapi.settled(before))))
            again = requests.post(
                f"{servers[0][0]}{WEBHOOK_PATH}", json=body, timeout=10
            )  # the other process
        finally:
            for _, process in servers:
                stop(process)
    assert says(answers[0], "geral.saudacao")
    assert says(answers[1], "documento.pedir_boleto")
    assert says(answers[2], "boleto.varias_faturas")  # the second process knew the conversation
    assert says(answers[3], "geral.despedida")
    assert again.json() == {"status": "duplicate"}  # the message ids are shared too
    assert len(zapi.texts(phone)) == len(set(zapi.texts(phone)))  # nothing sent twice


def test_silent_clients_cannot_hold_every_thread(tmp_path):
    """Sockets that send a request line and go quiet are dropped; /health keeps answering."""
    env = {
        "GUNICORN_THREADS": "4",
        "REQUEST_READ_TIMEOUT": "2",
        "DATABASE_URL": "",
        "SQLITE_PATH": str(tmp_path / "theo.sqlite3"),
    }
    base, process = start_theo(env)
    host, port = base.removeprefix("http://").split(":")
    silent = [socket.create_connection((host, int(port)), timeout=10) for _ in range(8)]
    try:
        for connection in silent:
            connection.sendall(b"GET /health HTTP/1.1\r\n")  # and never the rest
        started = time.monotonic()
        answer = requests.get(f"{base}/health", timeout=20)
        waited = time.monotonic() - started
    finally:
        for connection in silent:
            connection.close()
        logs = stop(process)
    assert answer.status_code == 200
    assert waited < 8
    assert "dropped a client that did not send its request" in logs
    assert "Traceback" not in logs


def test_a_slow_gateway_and_a_burst_from_one_customer_hold_no_thread(tmp_path):
    """20 messages at once from one phone, a 3 s gateway: all acknowledged fast, /health too."""
    with FakeZApiServer() as zapi:
        zapi.latency = 3.0
        env = {
            **zapi_env(zapi.base_url),
            "DATABASE_URL": "",
            "SQLITE_PATH": str(tmp_path / "theo.sqlite3"),
            "GUNICORN_THREADS": "4",
            "RATE_LIMIT_PER_MINUTE": "100",
        }
        base, process = start_theo(env)
        try:
            payload = load_fixture("text_message")
            bodies = [
                payload | {"messageId": f"BURST-{n}", "text": {"message": "menu"}}
                for n in range(20)
            ]
            started = time.monotonic()
            with ThreadPoolExecutor(20) as pool:
                codes = list(
                    pool.map(
                        lambda b: requests.post(f"{base}{WEBHOOK_PATH}", json=b, timeout=30),
                        bodies,
                    )
                )
            acknowledged = time.monotonic() - started
            health = requests.get(f"{base}/health", timeout=5)
        finally:
            stop(process)
    assert [c.status_code for c in codes] == [200] * 20
    assert acknowledged < 5  # the gateway's 3 s per send is paid by the sender, not the webhook
    assert health.status_code == 200


def test_sigterm_finishes_the_send_in_flight_and_the_next_start_sends_the_rest(tmp_path):
    """A deploy's SIGTERM: the reply being sent goes out once, the queued ones wait."""
    with FakeZApiServer() as zapi:
        zapi.latency = 0.6
        env = {
            **zapi_env(zapi.base_url),
            "DATABASE_URL": "",
            "SQLITE_PATH": str(tmp_path / "theo.sqlite3"),
            "SENDER_CONCURRENCY": "1",
        }
        base, process = start_theo(env)
        payload = load_fixture("text_message")
        for number, text in enumerate(["oi", "1", "529.982.247-25"]):
            body = payload | {"messageId": f"TERM-{number}", "text": {"message": text}}
            requests.post(f"{base}{WEBHOOK_PATH}", json=body, timeout=10)
        time.sleep(1.0)  # one reply sent, the next one in flight
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        before_restart = zapi.texts()

        base, process = start_theo(env)
        try:
            everything = texts_of(zapi.settled(0, quiet=1.5, timeout=40))
        finally:
            stop(process)
    assert 1 <= len(before_restart) < len(everything)  # some were left for the next start
    assert everything[: len(before_restart)] == before_restart
    assert len(everything) == len(set(everything))  # the one in flight was not sent twice
    assert says(everything[-1], "geral.encerramento")

"""Structured logs: one JSON object per line, with a request id, and no document in full."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from log_setup import JsonFormatter, MessageIdFilter, configure_logging
from privacy import PrivacyFilter
from tests.conftest import MARIA_PHONE, WEBHOOK_PATH, Chat

MARIA_CPF = "529.982.247-25"
BUSINESS_CNPJ = "11.222.333/0001-81"
ALPHANUMERIC_CNPJ = "12.ABC.345/01DE-35"


class JsonLines(logging.Handler):
    """Formats records as configure_logging's handler does with LOG_FORMAT=json."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.addFilter(MessageIdFilter())
        self.addFilter(PrivacyFilter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def lines() -> Iterator[JsonLines]:
    handler = JsonLines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def test_every_line_is_one_json_object_with_the_request_id(client, zapi, lines):
    chat = Chat(client, zapi, MARIA_PHONE)
    response = client.post(
        WEBHOOK_PATH, json=chat.payload("oi"), headers={"X-Request-Id": "req-42"}
    )

    assert response.headers["X-Request-Id"] == "req-42"
    entries = [json.loads(line) for line in lines.lines]
    handled = [entry for entry in entries if entry["logger"] == "theo.bot"]
    assert handled and all(entry["request_id"] == "req-42" for entry in handled)
    assert all(entry["message_id"].startswith("3EB0") for entry in handled)
    assert {"time", "level", "logger", "message"} <= set(entries[0])


def test_a_request_without_an_id_gets_a_new_one_each_time(client, zapi):
    chat = Chat(client, zapi, MARIA_PHONE)
    first = client.post(WEBHOOK_PATH, json=chat.payload("oi")).headers["X-Request-Id"]
    second = client.post(WEBHOOK_PATH, json=chat.payload("1")).headers["X-Request-Id"]

    assert first and second and first != second


def test_a_request_id_cannot_smuggle_a_document_or_a_line(client, zapi):
    chat = Chat(client, zapi, MARIA_PHONE)
    headers = {"X-Request-Id": "52998224725\x1b[2K"}

    echoed = client.post(WEBHOOK_PATH, json=chat.payload("oi"), headers=headers)

    assert "52998224725" not in echoed.headers["X-Request-Id"]
    assert echoed.headers["X-Request-Id"].isprintable()


@pytest.mark.parametrize("document", [MARIA_CPF, BUSINESS_CNPJ, ALPHANUMERIC_CNPJ])
def test_no_full_cpf_or_cnpj_in_the_json_logs(client, zapi, lines, document):
    chat = Chat(client, zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("segunda via")
    chat.say(document)
    chat.say(f"meu documento é {document} tá")
    logging.getLogger("theo.test").warning("document typed: %s", document)

    digits = "".join(ch for ch in document if ch.isalnum())
    assert len(lines.lines) > 5
    for line in lines.lines:
        json.loads(line)
        assert document not in line and digits not in line, line


def test_configure_logging_switches_between_json_and_text():
    root = logging.getLogger()
    try:
        configure_logging("INFO", "text")
        ours = [h for h in root.handlers if getattr(h, "_theo", False)]
        assert len(ours) == 1 and not isinstance(ours[0].formatter, JsonFormatter)
        configure_logging("INFO", "json")
        ours = [h for h in root.handlers if getattr(h, "_theo", False)]
        assert len(ours) == 1 and isinstance(ours[0].formatter, JsonFormatter)
    finally:
        configure_logging("INFO", "json")

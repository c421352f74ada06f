"""Property-based fuzzing of POST /webhook: whatever arrives, no 5xx, no crash, no stray send.

Bounded on purpose (a few hundred examples per property, no deadline) so that
`make test` stays quick; raise FUZZ_EXAMPLES locally for a longer hunt.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import os
import re
from datetime import datetime

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from conftest import (
    WEBHOOK_PATH,
    ZAPI_PREFIX,
    FakeClock,
    FakeZApi,
    load_fixture,
    zapi_config,
)

_IDS = itertools.count()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIELDS = [
    "type", "phone", "messageId", "instanceId", "fromMe", "fromApi", "isGroup", "isNewsletter",
    "broadcast", "isStatusReply", "waitingMessage", "isEdit", "notification", "text", "momment",
    "buttonsResponseMessage", "listResponseMessage", "image", "audio", "reaction", "senderName",
    "chatName", "participantPhone", "connectedPhone", "status",
]  # fmt: skip
# Marks that look harmless on screen and trip naive code: RTL/LTR, zero-width, BOM, emoji.
ODD = [
    "\u200f", "\u202e", "\u200b", "\u200d", "\ufeff", "\u2066", "\u00a0", "👨‍👩‍👧", "🇧🇷",
    "1️⃣", "٣", "５２９", "e\u0301", "\x00", "\n", "\\", '"', "%s", "{}", "{protocolo}",
]  # fmt: skip

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)
odd_text = st.lists(st.sampled_from(ODD) | st.text(max_size=8), max_size=12).map("".join)
customer_text = st.one_of(
    odd_text,
    st.text(max_size=300),
    st.sampled_from(["oi", "1", "2", "3", "6", "menu", "sair", "529.982.247-25", "01310-100"]),
    st.integers(0, 80_000).map(lambda n: "a" * n),
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app for every example, Z-API faked, the per-phone limit out of the way."""
    folder = tmp_path_factory.mktemp("fuzz")
    config = zapi_config(folder / "fuzz.sqlite3", rate_limit_per_minute=1_000_000)
    fake = FakeZApi()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, re.compile(re.escape(ZAPI_PREFIX) + ".*"), fake.callback)
        app = create_app(config, clock=FakeClock(datetime(2026, 11, 24, 10, 0)))
        yield app, fake
        app.extensions["theo"].records.dispose()


class Problems(logging.Handler):
    """Collects every record at ERROR or above, and every record carrying a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info or record.exc_text:
            self.found.append(record)


def check(fuzz_app, body: bytes, content_type: str = "application/json") -> None:
    """Post `body`; assert no 5xx, no logged problem, and sends only to the writer."""
    app, fake = fuzz_app
    fake.sent.clear()
    problems = Problems()
    root = logging.getLogger()
    root.addHandler(problems)
    try:
        response = app.test_client().post(WEBHOOK_PATH, data=body, content_type=content_type)
    finally:
        root.removeHandler(problems)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json
    assert problems.found == [], [r.getMessage() for r in problems.found]
    writer = _writer(body)
    assert all(sent.body.get("phone") == writer for sent in fake.sent), (writer, fake.sent)
    if fake.sent:
        assert response.status_code == 200


def _writer(body: bytes) -> str | None:
    """The phone that wrote, as Theo must answer it (None: nobody may be answered)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    phone = payload.get("phone") if isinstance(payload, dict) else None
    if isinstance(phone, int) and not isinstance(phone, bool):
        phone = str(phone)
    return phone.strip() if isinstance(phone, str) else None


def fresh_id() -> str:
    return f"-FUZZ-{next(_IDS)}"


def encode(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")


@FUZZ
@given(payload=json_values)
def test_arbitrary_json(fuzz_app, payload):
    check(fuzz_app, encode(payload))


@FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(FIELDS), json_values, min_size=1, max_size=6),
    removed=st.sets(st.sampled_from(FIELDS), max_size=4),
)
def test_a_real_callback_with_wrong_types_in_its_fields(fuzz_app, changes, removed):
    payload = copy.deepcopy(load_fixture("text_message")) | {"messageId": fresh_id()}
    for name in removed:
        payload.pop(name, None)
    payload.update(changes)
    check(fuzz_app, encode(payload))


@FUZZ
@given(text=customer_text, message_id=st.text(min_size=1, max_size=40), phone=odd_text)
def test_odd_unicode_and_huge_text_from_a_customer(fuzz_app, text, message_id, phone):
    payload = load_fixture("text_message") | {
        "messageId": message_id + fresh_id(),  # a repeated id would only test the dedup
        "text": {"message": text},
    }
    if phone:
        payload["phone"] = "5511" + phone
    check(fuzz_app, encode(payload))


@FUZZ
@given(depth=st.integers(1, 40_000), opener=st.sampled_from(["[", '{"a":']))
def test_deep_nesting(fuzz_app, depth, opener):
    closer = "]" if opener == "[" else "}"
    check(fuzz_app, (opener * depth + "1" + closer * depth).encode())


@settings(max_examples=max(EXAMPLES // 2, 10), deadline=None)
@given(
    garbage=st.binary(max_size=300),
    at=st.integers(0, 400),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "", "application/x-www-form-urlencoded"]
    ),
)
def test_invalid_utf8_and_raw_bytes(fuzz_app, garbage, at, content_type):
    valid = encode(load_fixture("text_message"))
    body = valid[:at] + garbage + valid[at:]
    check(fuzz_app, body, content_type)

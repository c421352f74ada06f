"""Shared fixtures: an app wired to a recorded fake of Z-API, a controllable clock."""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import responses
from sqlalchemy.engine import make_url

import content
from app import create_app
from config import Config, load_config
from delivery import Deliverer
from records import RecordsStore
from timers import Scheduler

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get(
    "THEO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
INSTANCE = "3C0FFEE0INSTANCE"
TOKEN = "T0KEN-SECRET-123"
CLIENT_TOKEN = "CLIENT-TOKEN-456"
WEBHOOK_SECRET = "w3bh00k-S3CRET-0123456789abcdef"
WEBHOOK_PATH = f"/webhook/{WEBHOOK_SECRET}"
ZAPI_BASE = "https://api.z-api.io"
ZAPI_PREFIX = f"{ZAPI_BASE}/instances/{INSTANCE}/token/{TOKEN}/"
CUSTOMER_PHONE = "5511987650001"
# Maria's phone on record (data/LEIAME.md): she writes from it, so acting on her
# account needs no CEP. Tests of the second factor write from CUSTOMER_PHONE.
MARIA_PHONE = "5511912340001"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# Tuesday 2026-11-24, 10:00 in São Paulo: inside attendance hours.
MAIN_MENU_TITLES = (
    "Segunda via de boleto",
    "Suporte técnico",
    "Contratar internet",
    "Consultar cobertura",
    "Cancelamento ou alteração de plano",
    "Falar com um atendente",
)  # the spec's main menu, in order
WORKDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=SAO_PAULO)


# --- Theo's sentences by key, not by wording ------------------------------------------
# Tests refer to what Theo says through its key in content/messages.toml, so a
# rewording there breaks no test (tests/test_wording.py proves it). Only the
# tests marked `golden` pin exact wording, on purpose.
TURN_SEPARATOR = "\n---\n"  # Chat.say joins the messages of one turn with it
_WITHIN_TURN = r"(?:(?!\n---\n).)*?"  # a placeholder: anything, inside one message


def sentence_pattern(key: str, **values: object) -> re.Pattern[str]:
    """A regex for the sentence `key` as Theo sends it.

    Placeholders given in `values` read as content.text writes them; the others
    match anything within one message (never across the messages of a turn).
    """
    hole = "\x00"  # no sentence holds it: where an unknown value goes
    holes = dict.fromkeys(content.placeholders(key) - values.keys(), hole)
    rendered = content.text(key, **values, **holes)
    return re.compile(_WITHIN_TURN.join(map(re.escape, rendered.split(hole))), re.DOTALL)


def says(answer: str, key: str, **values: object) -> bool:
    """Whether `answer` holds the sentence `key` of content/messages.toml.

    With every placeholder given it is content.text(key, **values) verbatim; with
    none (or some), its fixed parts in order, whatever the other placeholders hold.
    """
    return sentence_pattern(key, **values).search(answer) is not None


def shows_menu(answer: str, name: str, *, question: bool = True) -> bool:
    """Whether `answer` holds the numbered menu `name`: every option, after its question.

    question=False for a menu whose question is another sentence (e.g. sistema_fora).
    """
    menu = content.menu(name)
    options = content.numbered(menu.options)
    if not question:
        return options in answer
    return re.search(re.escape(menu.question) + r"\s*" + re.escape(options), answer) is not None


def option(name: str, number: int) -> str:
    """The title of option `number` (from 1) of the menu `name`."""
    return content.menu(name).options[number - 1]


def load_fixture(name: str) -> dict:
    """A recorded Z-API callback from tests/fixtures."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


class FakeClock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self, start: datetime = WORKDAY_MORNING) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()


@dataclass
class SentMessage:
    """One request Theo made to Z-API."""

    endpoint: str
    url: str
    headers: dict
    body: dict

    @property
    def text(self) -> str:
        return self.body.get("message") or self.body.get("document") or ""


@dataclass
class FakeZApi:
    """Records what Theo sends; each call answers like Z-API does."""

    sent: list[SentMessage] = field(default_factory=list)
    history: list[SentMessage] = field(default_factory=list)  # never cleared by take()
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def callback(self, request):
        endpoint = request.url.removeprefix(ZAPI_PREFIX)
        body = json.loads(request.body)
        message = SentMessage(endpoint, request.url, dict(request.headers), body)
        self.sent.append(message)
        self.history.append(message)
        message_id = f"D241{next(self.ids):016d}"
        answer = {"zaapId": f"Z{message_id}", "messageId": message_id, "id": message_id}
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    def texts(self) -> list[str]:
        return [message.text for message in self.sent]

    def take(self) -> list[str]:
        """The texts sent since the last take."""
        texts = self.texts()
        self.sent.clear()
        return texts


@pytest.fixture(autouse=True)
def _stop_senders() -> Iterator[None]:
    """Apps built in "thread" sender mode start workers: stop them after each test."""
    yield
    for deliverer in list(Deliverer.running_instances):
        deliverer.stop(timeout=5)
    for scheduler in list(Scheduler.running_instances):
        scheduler.stop(timeout=5)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def zapi():
    fake = FakeZApi()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, re.compile(re.escape(ZAPI_PREFIX) + ".*"), fake.callback)
        # The IXC fake is a real HTTP server on loopback (tests/ixc_fake.py).
        mock.add_passthru(re.compile(r"http://127\.0\.0\.1:\d+/webservice/"))
        yield fake


def zapi_config(sqlite_path: Path, **overrides: object) -> Config:
    """Theo configured for the recorded Z-API fake, with the webhook secret."""
    return load_config(
        environ={},
        zapi_instance_id=INSTANCE,
        zapi_token=TOKEN,
        zapi_client_token=CLIENT_TOKEN,
        zapi_base_url=ZAPI_BASE,
        zapi_retries=0,
        sender_mode="inline",
        webhook_secret=WEBHOOK_SECRET,
        sqlite_path=str(sqlite_path),
        **overrides,
    )


def zapi_env(base_url: str) -> dict[str, str]:
    """The same settings as environment variables, for Theo under gunicorn."""
    return {
        "ZAPI_INSTANCE_ID": INSTANCE,
        "ZAPI_TOKEN": TOKEN,
        "ZAPI_CLIENT_TOKEN": CLIENT_TOKEN,
        "ZAPI_BASE_URL": base_url,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


@pytest.fixture
def config(tmp_path):
    return zapi_config(tmp_path / "theo.sqlite3")


@pytest.fixture
def app(config, clock, zapi):
    app = create_app(config, clock=clock)
    app.config.update(TESTING=True)
    yield app
    app.extensions["theo"].records.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Chat:
    """A customer writing to Theo through the webhook, as Z-API would post it."""

    def __init__(self, client, zapi: FakeZApi, phone: str = CUSTOMER_PHONE) -> None:
        self.client = client
        self.zapi = zapi
        self.phone = phone
        self.ids = itertools.count(1)
        self.answer = ""  # Theo's last answer, as say() returned it

    def payload(self, text: str | None = None, **content: object) -> dict:
        body = copy.deepcopy(load_fixture("text_message"))
        body["phone"] = self.phone
        body["messageId"] = f"3EB0{self.phone[-4:]}{next(self.ids):012d}"
        if text is None:
            del body["text"]
            body.update(content)
        else:
            body["text"] = {"message": text}
        return body

    def post(self, body: dict) -> list[str]:
        response = self.client.post(WEBHOOK_PATH, json=body)
        assert response.status_code == 200, response.get_json()
        texts = self.zapi.take()
        self.answer = TURN_SEPARATOR.join(texts)
        return texts

    def said(self, key: str, **values: object) -> bool:
        """Whether Theo's last answer to this customer holds the sentence `key` (see says)."""
        return says(self.answer, key, **values)

    def say(self, text: str) -> str:
        """Send `text`; return everything Theo answered, joined."""
        return "\n---\n".join(self.post(self.payload(text)))

    def tap_list(self, row_id: str, title: str = "") -> str:
        body = self.payload(
            listResponseMessage={"message": "", "title": title, "selectedRowId": row_id}
        )
        return "\n---\n".join(self.post(body))

    def tap_button(self, button_id: str, label: str = "") -> str:
        body = self.payload(buttonsResponseMessage={"buttonId": button_id, "message": label})
        return "\n---\n".join(self.post(body))

    def state(self) -> str | None:
        session = self.client.application.extensions["theo"].sessions.get(self.phone)
        return session.state if session else None

    def protocol(self) -> str:
        session = self.client.application.extensions["theo"].sessions.get(self.phone)
        return session.data["protocol"]

    def records(self) -> list:
        store = self.client.application.extensions["theo"].records
        return store.requests_for_protocol(self.protocol())


@pytest.fixture
def chat(client, zapi) -> Chat:
    return Chat(client, zapi, MARIA_PHONE)


@pytest.fixture
def stranger(client, zapi) -> Chat:
    """Someone writing from a phone that is on no customer's record."""
    return Chat(client, zapi, CUSTOMER_PHONE)


# --- A real browser: Debian's Chromium, headless, for the simulator and the ops page ---
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests skipped: /usr/bin/chromium is missing "
    "(install Debian's package: apt-get install chromium; `make test` does it as root)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (Playwright is imported only by the tests that use it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# --- Databases: a throwaway Postgres schema, or the same test on SQLite too -----------
def _libpq_conninfo(sqlalchemy_url: str) -> str:
    """The same database as a plain libpq URL, for psycopg without SQLAlchemy."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a throwaway schema, dropped after the test."""
    schema = f"theo_test_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(_libpq_conninfo(POSTGRES_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("THEO_SKIP_POSTGRES") == "1":
            pytest.skip(f"Postgres unreachable and THEO_SKIP_POSTGRES=1: {exc}")
        pytest.fail(f"Postgres unreachable at {POSTGRES_URL} (set THEO_SKIP_POSTGRES=1 to skip)")
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests on a SQLite file and on Postgres."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'theo.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url: str) -> Iterator[RecordsStore]:
    """A records store on each test database (a module may define its own `store`)."""
    records = RecordsStore(database_url)
    yield records
    records.dispose()

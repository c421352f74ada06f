"""How well Theo serves, measured: flow runs, /admin/stats and the Prometheus counters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from app import create_app
from flow_stats import ABANDONED, HANDED_OVER, RESOLVED, FlowRuns, flow_runs_table, new_run
from flows import STATS_KEYS
from records import RecordsStore
from tests.conftest import MARIA_PHONE, WEBHOOK_PATH, Chat, says, shows_menu, zapi_config
from tests.test_backends import Failing

ADMIN_TOKEN = "admin-token-0123456789abcdef"
MARIA_CPF = "529.982.247-25"
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
ISSUE_KEYS = {"boleto", "support", "contract", "coverage", "plan", "attendant"}


@pytest.fixture
def config(config):
    """The usual test configuration (conftest's `app` builds on it), with the ops token."""
    return replace(config, admin_token=ADMIN_TOKEN)


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def stats(client, **query: str) -> dict:
    response = client.get("/admin/stats", query_string=query, headers=auth())
    assert response.status_code == 200, response.get_json()
    return response.get_json()["flows"]


def runs(chat: Chat) -> list[dict]:
    engine = chat.client.application.extensions["theo"].records.engine
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(select(flow_runs_table)).mappings()]


# --- Outcomes ------------------------------------------------------------------------
def test_invoices_sent_count_as_resolved(chat, client):
    chat.say("oi")
    chat.say("1")
    chat.say(MARIA_CPF)

    boleto = stats(client)["boleto"]

    assert boleto["started"] == 1 and boleto["resolved"] == 1
    assert boleto["abandoned"] == 0 and boleto["containment"] == 1.0


def test_a_sub_menu_is_the_same_run(chat, client):
    chat.say("oi")
    chat.say("2")  # support menu
    chat.say("1")  # no internet: asks the document

    assert stats(client)["support"]["started"] == 1
    assert [run["flow"] for run in runs(chat)] == ["support"]


def test_leaving_for_another_flow_abandons_at_the_last_step(chat, client):
    chat.say("preciso da segunda via do boleto")
    chat.say("menu")
    chat.say("quero contratar internet")

    report = stats(client)

    assert report["boleto"]["abandoned"] == 1
    assert report["boleto"]["abandoned_at"] == {"boleto_document": 1}
    assert report["contract"]["in_progress"] == 1


def test_sair_mid_flow_ends_the_run_at_once(chat, client):
    chat.say("oi")
    chat.say("1")
    chat.say("sair")

    (run,) = runs(chat)
    assert run["outcome"] == ABANDONED and run["ended_at"] is not None
    assert run["step"] == "boleto_document"


def test_an_expired_session_counts_as_abandoned_when_reported(chat, client, clock):
    chat.say("oi")
    chat.say("4")  # coverage: asks the CEP
    assert stats(client)["coverage"]["in_progress"] == 1

    clock.advance(1801)

    coverage = stats(client)["coverage"]
    assert coverage["abandoned"] == 1 and coverage["in_progress"] == 0


def test_asking_for_a_person_is_handed_over(chat, client):
    chat.say("oi")
    chat.say("quero falar com um atendente")

    attendant = stats(client)["attendant"]

    assert attendant["started"] == 1 and attendant["handed_over"] == 1


def test_a_recorded_request_resolves_the_flow(chat, client):
    chat.say("oi")
    chat.say("2")
    chat.say("3")  # modem off
    chat.say("nao ligou")  # -> technician visit
    chat.say(MARIA_CPF)
    chat.say("de manha")

    assert [(run["flow"], run["outcome"]) for run in runs(chat)] == [("support", RESOLVED)]


def test_the_system_out_of_reach_is_no_outcome(tmp_path, clock, zapi):
    # A note for the team (system_unavailable) is not Theo solving anything; a person is.
    app = create_app(
        zapi_config(tmp_path / "theo.sqlite3"), business=Failing("find_customer"), clock=clock
    )
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)
    chat.say("segunda via")
    chat.say(MARIA_CPF)
    assert [run["outcome"] for run in runs(chat)] == [None]

    chat.say("2")  # a person, please

    assert [run["outcome"] for run in runs(chat)] == [HANDED_OVER]
    app.extensions["theo"].records.dispose()


def test_an_attendant_taking_over_hands_the_run_over(chat, client, zapi):
    chat.say("oi")
    chat.say("1")
    body = chat.payload("Oi, aqui é a Ana da START")
    body["fromMe"] = True
    client.post(WEBHOOK_PATH, json=body)

    assert [run["outcome"] for run in runs(chat)] == [HANDED_OVER]


# --- Writes per turn -------------------------------------------------------------------
def test_a_turn_that_changes_nothing_writes_no_run(chat, client):
    chat.say("oi")
    chat.say("1")
    engine = client.application.extensions["theo"].records.engine
    writes: list[str] = []

    def spy(conn, cursor, statement, *args):
        if "flow_runs" in statement:
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        chat.say("sei la")  # not a document: same step, no change
        assert writes == []
        chat.say(MARIA_CPF)  # resolved: one update
        assert len(writes) == 1
    finally:
        event.remove(engine, "before_cursor_execute", spy)


# --- The route -------------------------------------------------------------------------
def test_every_flow_appears_even_unused(client):
    report = stats(client)

    assert set(report) == set(STATS_KEYS.values()) >= ISSUE_KEYS
    assert report["plan"] == {
        "started": 0,
        "resolved": 0,
        "handed_over": 0,
        "abandoned": 0,
        "in_progress": 0,
        "abandoned_at": {},
        "containment": None,
        "csat": {"count": 0, "average": None},
    }


def test_since_limits_the_period(chat, client):
    chat.say("oi")
    chat.say("1")

    assert stats(client, since="2026-11-24")["boleto"]["started"] == 1
    assert stats(client, since="2026-11-25T00:00")["boleto"]["started"] == 0
    assert stats(client, since="2026-11-24T12:00:00+00:00")["boleto"]["started"] == 1


@pytest.mark.parametrize(
    "query", [{"since": "ontem"}, {"since": "2026-13-01"}, {"sinse": "2026-11-01"}, {"x": "1"}]
)
def test_bad_queries_are_refused_with_a_json_error(client, query):
    response = client.get("/admin/stats", query_string=query, headers=auth())

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_query"


def test_stats_need_the_token(client, config, clock, zapi):
    assert client.get("/admin/stats").status_code == 401
    # No ADMIN_TOKEN: the route is off.
    off = create_app(replace(config, admin_token=""), clock=clock).test_client()
    assert off.get("/admin/stats", headers=auth()).status_code == 404


# --- The store, on SQLite and Postgres ------------------------------------------------
def test_runs_are_stored_and_reported(database_url):
    store = RecordsStore(database_url)
    flow_runs = FlowRuns(store.engine)
    first, second = new_run("boleto"), new_run("boleto")
    flow_runs.flush("P1", {}, first, NOW)
    flow_runs.flush("P2", {}, second, NOW)
    before = dict(second)
    second.update(step="boleto_document", outcome=RESOLVED, csat=4)
    flow_runs.flush("P2", before, second, NOW + timedelta(minutes=1))
    third = new_run("support")
    flow_runs.flush("P1", {}, third, NOW + timedelta(minutes=2))

    assert flow_runs.session_ended("P1", NOW + timedelta(minutes=3)) == 2  # both still open
    report = flow_runs.report(NOW - timedelta(hours=1), NOW, 1800, ["boleto", "support"])

    boleto, support = report["flows"]["boleto"], report["flows"]["support"]
    assert (boleto["started"], boleto["resolved"], boleto["abandoned"]) == (2, 1, 1)
    assert boleto["csat"] == {"count": 1, "average": 4.0}
    assert support["abandoned"] == 1
    store.dispose()


# --- Metrics -----------------------------------------------------------------------
def metric(client, line_start: str) -> float:
    text = client.get("/metrics", headers=auth()).get_data(as_text=True)
    found = [line for line in text.splitlines() if line.startswith(line_start + " ")]
    return float(found[0].split()[-1]) if found else 0.0


def test_metrics_count_flows_replies_and_handoffs(chat, client):
    chat.say("oi")
    chat.say("1")
    chat.say(MARIA_CPF)
    chat.say("quero falar com um atendente")

    assert metric(client, 'theo_flows_started_total{flow="boleto"}') == 1
    assert metric(client, 'theo_flows_completed_total{flow="boleto",outcome="resolved"}') == 1
    assert metric(client, 'theo_flows_completed_total{flow="attendant",outcome="handed_over"}') == 1
    assert metric(client, "theo_handoffs_total") == 1
    assert metric(client, 'theo_replies_total{result="sent"}') >= 4
    assert metric(client, "theo_send_seconds_count") == metric(
        client, 'theo_replies_total{result="sent"}'
    )
    assert metric(client, 'theo_webhook_requests_total{outcome="queued"}') == 4
    assert metric(client, "theo_sessions_active") == 1


def test_metrics_count_a_duplicate_and_an_ignored_webhook(chat, client):
    body = chat.payload("oi")
    chat.post(body)
    chat.post(body)
    mine = chat.payload("oi")
    mine.update(fromMe=True, fromApi=True)
    chat.post(mine)

    assert metric(client, 'theo_webhook_requests_total{outcome="duplicate"}') == 1
    assert metric(client, 'theo_webhook_requests_total{outcome="ignored"}') == 1


# --- Satisfaction survey (CSAT_ENABLED) -------------------------------------------------
@pytest.fixture
def surveyed(config, clock, zapi) -> Iterator[Chat]:
    app = create_app(replace(config, admin_token=ADMIN_TOKEN, csat_enabled=True), clock=clock)
    yield Chat(app.test_client(), zapi, MARIA_PHONE)
    app.extensions["theo"].records.dispose()


def test_a_resolved_flow_asks_one_score_and_keeps_it(surveyed):
    surveyed.say("oi")
    surveyed.say("1")
    answer = surveyed.say(MARIA_CPF)
    assert shows_menu(answer, "avaliacao") and surveyed.state() == "survey"

    thanks = surveyed.say("5")

    assert says(thanks, "avaliacao.agradecimento")
    assert says(thanks, "geral.encerramento", protocolo=surveyed.protocol())
    boleto = stats(surveyed.client)["boleto"]
    assert boleto["csat"] == {"count": 1, "average": 5.0}
    assert [run["csat"] for run in runs(surveyed)] == [5]


@pytest.mark.parametrize("typed", ["4", "opcao 4", "4️⃣"])
def test_scores_are_read_like_menu_options(surveyed, typed):
    surveyed.say("segunda via")
    surveyed.say(MARIA_CPF)

    surveyed.say(typed)

    assert [run["csat"] for run in runs(surveyed)] == [4]


@pytest.mark.parametrize(
    ("typed", "state"),
    [
        ("to sem internet agora", "red_light"),  # the customer is known already
        ("quero falar com atendente", "human"),
        ("obg, tchau", None),
    ],
)
def test_the_survey_never_traps_the_customer(surveyed, typed, state):
    surveyed.say("segunda via")
    surveyed.say(MARIA_CPF)

    surveyed.say(typed)

    assert surveyed.state() == state
    assert all(run["csat"] is None for run in runs(surveyed))


def test_a_wrong_answer_to_the_survey_meets_the_closing_not_the_survey_again(surveyed):
    surveyed.say("segunda via")
    surveyed.say(MARIA_CPF)

    answer = surveyed.say("asdfgh")

    assert not shows_menu(answer, "avaliacao")
    assert surveyed.state() == "anything_else"


def test_no_survey_without_csat_or_without_a_resolution(chat, surveyed):
    chat.say("segunda via")
    assert not shows_menu(chat.say(MARIA_CPF), "avaliacao")  # CSAT_ENABLED off

    surveyed.say("oi")
    assert not shows_menu(surveyed.say("quero falar com atendente"), "avaliacao")

"""Outages in the database: start, end, area matching, customers told, the demo seed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from business_data import DEFAULT_FOLDER, load_outage_seeds
from outages import OutageError, OutageStore
from records import RecordsStore

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=5)


@pytest.fixture
def records(database_url: str) -> Iterator[RecordsStore]:
    store = RecordsStore(database_url)
    yield store
    store.dispose()


@pytest.fixture
def outages(records: RecordsStore) -> OutageStore:
    return OutageStore(records.engine)


def test_an_outage_covers_the_ceps_under_its_prefixes(outages):
    outage = outages.start(("01310", "014"), "Cabo rompido", LATER, NOW)

    assert outages.for_cep("01310-100", NOW) == outage
    assert outages.for_cep("01415000", NOW) == outage
    assert outages.for_cep("01311000", NOW) is None
    assert outages.for_cep("04538133", NOW) is None
    assert outage.active and outage.customers_told == 0


def test_an_outage_without_prefixes_covers_everywhere(outages):
    outage = outages.start((), "Falha geral no provedor", LATER, NOW)

    assert outages.for_cep("69900000", NOW) == outage
    assert outages.for_cep("01310100", NOW) == outage


def test_the_latest_forecast_wins_when_two_cover_a_cep(outages):
    outages.start(("013",), "Manutenção", LATER, NOW)
    longer = outages.start(("01310",), "Cabo rompido", LATER + timedelta(hours=3), NOW)

    assert outages.for_cep("01310100", NOW) == longer


def test_an_ended_outage_no_longer_covers_anything(outages):
    outage = outages.start(("01310",), "Cabo rompido", LATER, NOW)

    ended, told = outages.end(outage.id, LATER)

    assert ended.ended_at == LATER and not ended.active
    assert told == []
    assert outages.for_cep("01310100", LATER) is None


def test_an_outage_forgotten_long_after_its_forecast_is_ignored(outages, caplog):
    outage = outages.start(("01310",), "Cabo rompido", NOW, NOW - timedelta(hours=2))

    assert outages.for_cep("01310100", NOW + timedelta(hours=23)) == outage
    assert outages.for_cep("01310100", NOW + timedelta(hours=25)) is None
    assert f"outage {outage.id} ignored" in caplog.text


def test_each_customer_told_is_counted_once(outages):
    outage = outages.start(("01310",), "Cabo rompido", LATER, NOW)

    outages.note_told(outage, "5511900000001", NOW)
    outages.note_told(outage, "5511900000002", NOW)
    outages.note_told(outage, "5511900000001", NOW + timedelta(minutes=5))  # asked again

    assert outages.get(outage.id).customers_told == 2
    ended, told = outages.end(outage.id, LATER)
    assert told == ["5511900000001", "5511900000002"]
    assert ended.customers_told == 2


def test_ending_twice_or_an_unknown_outage_is_refused(outages):
    outage = outages.start(("01310",), "Cabo rompido", LATER, NOW)
    outages.end(outage.id, LATER)

    with pytest.raises(OutageError) as twice:
        outages.end(outage.id, LATER)
    with pytest.raises(OutageError) as unknown:
        outages.end(outage.id + 1000, LATER)

    assert twice.value.reason == "already_ended"
    assert unknown.value.reason == "not_found"


def test_the_count_is_kept_with_the_ended_outage(outages):
    outage = outages.start(("01310",), "Cabo rompido", LATER, NOW)
    outages.note_told(outage, "5511900000001", NOW)
    outages.end(outage.id, LATER)

    [listed] = outages.listed()

    assert listed.customers_told == 1 and listed.ended_at == LATER


def test_told_about_finds_the_active_outage_a_phone_heard_of(outages):
    first = outages.start(("01310",), "Cabo rompido", LATER, NOW)
    other = outages.start(("014",), "Manutenção", LATER, NOW)
    outages.note_told(first, "5511900000001", NOW)

    assert outages.told_about("5511900000001", NOW).id == first.id
    assert outages.told_about("5511900000002", NOW) is None
    outages.end(first.id, LATER)
    assert outages.told_about("5511900000001", LATER) is None
    assert other.active


def test_two_stores_on_one_database_see_the_same_outages(records, outages):
    other_instance = OutageStore(records.engine)

    outage = outages.start(("01310",), "Cabo rompido", LATER, NOW)

    assert other_instance.for_cep("01310100", NOW) == outage
    other_instance.end(outage.id, LATER)
    assert outages.for_cep("01310100", LATER) is None


# --- The demo file only seeds an empty table ------------------------------------------------
def _write(folder: Path, outages: list[dict]) -> None:
    (folder / "outages.json").write_text(json.dumps({"outages": outages}), encoding="utf-8")


def _seed(active: bool) -> dict:
    return {
        "id": "OC-1",
        "cep_prefixes": ["01310"],
        "message": "Cabo rompido",
        "expected_restoration": "2026-11-24T18:00:00-03:00",
        "active": active,
    }


def test_the_shipped_demo_seeds_an_ended_example(outages):
    assert outages.seed_if_empty(DEFAULT_FOLDER) == len(load_outage_seeds(DEFAULT_FOLDER)) > 0

    assert [outage.active for outage in outages.listed()] == [False] * len(outages.listed())
    assert outages.for_cep("01310100", NOW) is None


def test_the_seed_fills_an_empty_table_only(tmp_path, outages):
    _write(tmp_path, [_seed(active=True)])

    assert outages.seed_if_empty(tmp_path) == 1
    assert outages.seed_if_empty(tmp_path) == 0  # a restart does not bring it back

    [outage] = outages.listed()
    assert outage.active and outage.cep_prefixes == ("01310",)
    assert outage.expected_end == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


def test_no_seed_file_is_no_outage(tmp_path, outages):
    assert outages.seed_if_empty(tmp_path) == 0
    assert outages.listed() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("expected_restoration", "2026-09-18 16:00", r"outages\[0\].expected_restoration"),
        ("active", "false", r"outages\[0\].active: esperado true ou false"),
    ],
)
def test_a_bad_seed_field_names_the_file_and_the_field(tmp_path, field, value, message):
    shutil.copy(DEFAULT_FOLDER / "outages.json", tmp_path / "outages.json")
    _write(tmp_path, [{**_seed(active=False), field: value}])

    with pytest.raises(ValueError, match=r"outages.json: " + message):
        load_outage_seeds(tmp_path)


def test_a_forgotten_phone_leaves_no_notice_but_the_ended_count_stays(outages):
    outage = outages.start(("01310",), "Cabo rompido", LATER, NOW)
    outages.note_told(outage, "5511900000001", NOW)
    outages.end(outage.id, LATER)

    assert outages.forget("5511900000001") == 1
    assert outages.purge_before(LATER) == 0

    assert outages.told_phones(outage.id) == []
    assert outages.get(outage.id).customers_told == 1

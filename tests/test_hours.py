"""Tests for hours.py: attendance windows, holidays, next opening and pt-BR wording."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hours import AttendanceHours, describe_moment

SP = ZoneInfo("America/Sao_Paulo")
HOURS = AttendanceHours.parse(None)


def sp(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SP)


def test_default_windows_and_timezone() -> None:
    weekdays = {day: (time(8), time(18)) for day in range(5)}

    assert HOURS.windows == {**weekdays, 5: (time(8), time(12))}
    assert HOURS.timezone == SP
    assert HOURS.close_on_holidays is True
    assert AttendanceHours.parse("") == HOURS


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (sp(2026, 11, 24, 7, 59), False),  # Tuesday, just before opening
        (sp(2026, 11, 24, 8, 0), True),  # opening minute is open
        (sp(2026, 11, 24, 17, 59), True),
        (sp(2026, 11, 24, 18, 0), False),  # closing minute is closed
        (sp(2026, 11, 28, 8, 0), True),  # Saturday morning
        (sp(2026, 11, 28, 11, 59), True),
        (sp(2026, 11, 28, 12, 0), False),
        (sp(2026, 11, 28, 15, 0), False),  # Saturday afternoon
        (sp(2026, 11, 29, 10, 0), False),  # Sunday
    ],
)
def test_is_open_at_boundaries(moment: datetime, expected: bool) -> None:
    assert HOURS.is_open(moment) is expected


@pytest.mark.parametrize(
    "holiday",
    [
        sp(2026, 12, 25, 10),  # Natal (Friday)
        sp(2026, 11, 20, 10),  # Consciência Negra, national since 2024 (Friday)
        sp(2026, 9, 7, 10),  # Independência (Monday)
        sp(2026, 4, 3, 10),  # Sexta-feira Santa
    ],
)
def test_closed_on_national_holidays(holiday: datetime) -> None:
    assert HOURS.is_open(holiday) is False


def test_holidays_can_be_kept_open() -> None:
    hours = AttendanceHours.parse(None, close_on_holidays=False)

    assert hours.is_open(sp(2026, 12, 25, 10)) is True


def test_state_holidays_are_ignored() -> None:
    # 2026-07-09 is a São Paulo state holiday (Revolução Constitucionalista), not a national one.
    assert HOURS.is_open(sp(2026, 7, 9, 10)) is True


def test_utc_now_is_converted() -> None:
    # 11:00 UTC is 08:00 in São Paulo (UTC-3): open; 10:59 UTC is 07:59: closed.
    assert HOURS.is_open(datetime(2026, 11, 24, 11, 0, tzinfo=UTC)) is True
    assert HOURS.is_open(datetime(2026, 11, 24, 10, 59, tzinfo=UTC)) is False
    # 22:00 UTC on Tuesday is 19:00 local: already closed although UTC-wise "daytime".
    assert HOURS.is_open(datetime(2026, 11, 24, 22, 0, tzinfo=UTC)) is False


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        HOURS.is_open(datetime(2026, 11, 24, 10, 0))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (sp(2026, 11, 24, 6, 30), sp(2026, 11, 24, 8)),  # early morning -> same day
        (sp(2026, 11, 24, 18, 0), sp(2026, 11, 25, 8)),  # after close -> next day
        (sp(2026, 11, 28, 12, 0), sp(2026, 11, 30, 8)),  # Saturday noon -> Monday
        (sp(2026, 11, 29, 9, 0), sp(2026, 11, 30, 8)),  # Sunday -> Monday
        (sp(2026, 11, 19, 18, 30), sp(2026, 11, 21, 8)),  # Thu night, Fri 20/11 holiday -> Sat
        (sp(2026, 9, 5, 13, 0), sp(2026, 9, 8, 8)),  # Sat, Sun, Mon 7/9 holiday -> Tue
        (sp(2026, 12, 24, 19, 0), sp(2026, 12, 26, 8)),  # Christmas Friday -> Saturday
        (sp(2026, 12, 31, 18, 0), sp(2027, 1, 2, 8)),  # New Year's Day -> Saturday 2/1
    ],
)
def test_next_opening(now: datetime, expected: datetime) -> None:
    opening = HOURS.next_opening(now)

    assert opening == expected
    assert opening.tzinfo == SP
    assert HOURS.is_open(opening) is True


def test_next_opening_when_open_is_now() -> None:
    now = sp(2026, 11, 24, 10, 15)

    assert HOURS.next_opening(now) == now


def test_next_opening_from_utc_is_in_attendance_zone() -> None:
    # Saturday 2026-11-28 16:00 UTC = 13:00 local, after Saturday's closing.
    opening = HOURS.next_opening(datetime(2026, 11, 28, 16, 0, tzinfo=UTC))

    assert opening == sp(2026, 11, 30, 8)
    assert opening.tzinfo == SP
    assert (opening.hour, opening.minute) == (8, 0)


def test_parse_custom_spec_with_lists_accents_and_short_times() -> None:
    hours = AttendanceHours.parse("Seg,QUA 9h-12h30 ; Sáb 10:00 - 14:00;dom 8-9", "UTC", False)

    assert hours.windows == {
        0: (time(9), time(12, 30)),
        2: (time(9), time(12, 30)),
        5: (time(10), time(14)),
        6: (time(8), time(9)),
    }
    assert hours.timezone == ZoneInfo("UTC")
    assert hours.close_on_holidays is False


def test_parse_full_day_names_and_wrapping_range() -> None:
    hours = AttendanceHours.parse("sexta-domingo 08:00-12:00")

    assert sorted(hours.windows) == [4, 5, 6]


def test_custom_spec_changes_is_open() -> None:
    hours = AttendanceHours.parse("ter-qui 09:00-17:00")

    assert hours.is_open(sp(2026, 11, 24, 16, 59)) is True  # Tuesday
    assert hours.is_open(sp(2026, 11, 23, 10, 0)) is False  # Monday
    assert hours.next_opening(sp(2026, 11, 26, 17, 0)) == sp(2026, 12, 1, 9)  # Thu -> next Tue


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("seg-sex", "não entendi 'seg-sex'"),
        ("seg-sex 08:00", "não entendi"),
        ("xyz 08:00-18:00", "dia desconhecido 'xyz'"),
        ("seg-sex 18:00-08:00", "a abertura deve vir antes do fechamento"),
        ("seg-sex 08:00-08:00", "a abertura deve vir antes do fechamento"),
        ("seg 25:00-26:00", "horário inválido '25:00'"),
        ("seg 08:61-09:00", "horário inválido '08:61'"),
        ("seg-sex 08:00-18:00; sex 08:00-12:00", "'sex' aparece duas vezes"),
        ("seg,seg 08:00-12:00", "repetido"),
        (" ; ", "vazio"),
        ("seg-sex 08:00-18:00, sab 08:00-12:00", "não entendi"),
    ],
)
def test_bad_specs_rejected(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match="ATTENDANCE_HOURS") as error:
        AttendanceHours.parse(spec)

    assert message in str(error.value)


def test_unknown_timezone_rejected() -> None:
    with pytest.raises(
        ValueError, match="ATTENDANCE_TIMEZONE: fuso horário desconhecido 'Mars/Olympus'"
    ):
        AttendanceHours.parse(None, timezone="Mars/Olympus")


def test_empty_windows_rejected() -> None:
    with pytest.raises(ValueError, match="pelo menos um dia"):
        AttendanceHours({}, SP)


def test_describe_default() -> None:
    assert HOURS.describe() == (
        "segunda a sexta, das 8h às 18h; sábado, das 8h às 12h (exceto feriados nacionais)"
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("seg,qua 09:00-12:30", "segunda e quarta, das 9h às 12h30"),
        (
            "ter-qui 09:00-17:00; dom 01:00-02:00",
            "terça a quinta, das 9h às 17h; domingo, da 1h às 2h",
        ),
        (
            "seg-ter 08:00-18:00; qui-sab 08:00-18:00",
            "segunda, terça e quinta a sábado, das 8h às 18h",
        ),
    ],
)
def test_describe_custom(spec: str, expected: str) -> None:
    assert AttendanceHours.parse(spec, close_on_holidays=False).describe() == expected


@pytest.mark.parametrize(
    ("moment", "now", "expected"),
    [
        (sp(2026, 11, 24, 13), sp(2026, 11, 24, 12, 10), "hoje às 13h"),
        (sp(2026, 11, 25, 8), sp(2026, 11, 24, 18, 30), "amanhã às 8h"),
        (sp(2026, 11, 30, 8), sp(2026, 11, 28, 12, 0), "segunda-feira (30/11) às 8h"),
        (sp(2026, 11, 21, 8, 30), sp(2026, 11, 19, 19), "sábado (21/11) às 8h30"),
        (sp(2026, 11, 25, 1), sp(2026, 11, 24, 20), "amanhã à 1h"),
    ],
)
def test_describe_moment(moment: datetime, now: datetime, expected: str) -> None:
    assert describe_moment(moment, now) == expected


def test_describe_moment_uses_local_day_for_utc_now() -> None:
    # 2026-11-25 01:00 UTC is still the 24th (22:00) in São Paulo: 8h on the 25th is "amanhã".
    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)

    assert describe_moment(HOURS.next_opening(now), now) == "amanhã às 8h"


# --- The provider's state holidays and its own closed dates -----------------------------
def test_a_state_holiday_closes_attendance_in_that_state_only() -> None:
    revolution_day = datetime(2026, 7, 9, 10, 0, tzinfo=SP)  # a Thursday, SP holiday

    assert not AttendanceHours.parse(None, state="sp").is_open(revolution_day)
    assert AttendanceHours.parse(None, state="RJ").is_open(revolution_day)
    assert AttendanceHours.parse(None).is_open(revolution_day)


def test_closed_dates_every_year_once_and_from_an_hour_on() -> None:
    hours = AttendanceHours.parse(None, closed_dates="25/01; 24/12 12h, 20/11/2026")

    assert not hours.is_open(datetime(2027, 1, 25, 10, 0, tzinfo=SP))  # every year
    assert hours.is_open(datetime(2026, 12, 24, 11, 0, tzinfo=SP))  # morning of 24/12
    assert not hours.is_open(datetime(2026, 12, 24, 13, 0, tzinfo=SP))  # closed from 12h
    assert not hours.is_open(datetime(2026, 11, 20, 10, 0, tzinfo=SP))  # that year only
    assert hours.is_open(datetime(2027, 11, 19, 10, 0, tzinfo=SP))


def test_the_next_opening_skips_closed_dates() -> None:
    hours = AttendanceHours.parse(None, closed_dates="24/12 12h")

    reopening = hours.next_opening(datetime(2026, 12, 24, 12, 30, tzinfo=SP))

    assert reopening == datetime(2026, 12, 26, 8, 0, tzinfo=SP)  # 25/12 is a holiday


@pytest.mark.parametrize(
    "closed, message",
    [
        ("31/02", "ATTENDANCE_CLOSED_DATES: não entendi '31/02'"),
        ("natal", "ATTENDANCE_CLOSED_DATES: não entendi 'natal'"),
        ("24/12 25h", "ATTENDANCE_CLOSED_DATES: não entendi '24/12 25h'"),
    ],
)
def test_bad_closed_dates_are_refused_naming_the_variable(closed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AttendanceHours.parse(None, closed_dates=closed)


def test_an_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="ATTENDANCE_STATE: estado desconhecido 'XX'"):
        AttendanceHours.parse(None, state="xx")


def test_the_state_is_told_with_the_hours() -> None:
    assert (
        AttendanceHours.parse(None, state="SP")
        .describe()
        .endswith("(exceto feriados nacionais e de SP)")
    )

"""Human attendance hours: when a person can take over the conversation.

Configured by a short spec such as "seg-sex 08:00-18:00; sab 08:00-12:00"
(ATTENDANCE_HOURS), read in a time zone, closed on Brazilian national holidays,
on the holidays of the provider's state (ATTENDANCE_STATE=SP, from the `holidays`
package) and on its own closed dates (ATTENDANCE_CLOSED_DATES="25/01; 24/12 12h;
31/12 12h": a date every year, or DD/MM/AAAA once; with a time, closed from then on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import groupby
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from documents import fold

if TYPE_CHECKING:
    from config import Config

DEFAULT_SPEC = "seg-sex 08:00-18:00; sab 08:00-12:00"
DEFAULT_TIMEZONE = "America/Sao_Paulo"
SPEC_EXAMPLE = f"ATTENDANCE_HOURS={DEFAULT_SPEC!r}"

DAY_CODES = ("seg", "ter", "qua", "qui", "sex", "sab", "dom")
_FULL_DAY_NAMES = ("segunda", "terca", "quarta", "quinta", "sexta", "sabado", "domingo")
DAY_NAMES = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")
WEEKDAY_NAMES = (
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
    "domingo",
)

_TIME = r"\d{1,2}(?::\d{2}|h\d{2}|h)?"
_PART_RE = re.compile(rf"^(?P<days>[a-z ,-]+?)\s+(?P<open>{_TIME})\s*-\s*(?P<close>{_TIME})$")
_TIME_RE = re.compile(r"^(?P<hour>\d{1,2})(?:[:h](?P<minute>\d{2})?)?$")
# A year has fewer closed days in a row than this, whatever the holidays.
_SEARCH_DAYS = 366
CLOSED_EXAMPLE = 'ATTENDANCE_CLOSED_DATES="25/01; 24/12 12h; 31/12 12h; 20/11/2026"'
_CLOSED_RE = re.compile(
    rf"^(?P<day>\d{{1,2}})/(?P<month>\d{{1,2}})(?:/(?P<year>\d{{4}}))?"
    rf"(?:\s+(?:a partir das?|desde|depois das?)?\s*(?P<since>{_TIME})\s*-?)?$"
)


@dataclass(frozen=True)
class ClosedDate:
    """A day the provider closes: every year (`year` None) or once; from `since` on, or all day."""

    day: int
    month: int
    year: int | None = None
    since: time | None = None

    def covers(self, day: date) -> bool:
        return (day.day, day.month) == (self.day, self.month) and self.year in (None, day.year)


@dataclass(frozen=True)
class AttendanceHours:
    """Weekly opening windows (weekday 0=Monday -> open, close) in one time zone."""

    windows: dict[int, tuple[time, time]]
    timezone: ZoneInfo
    close_on_holidays: bool = True
    state: str = ""  # the provider's state (UF): its holidays close attendance too
    closed: tuple[ClosedDate, ...] = ()

    def __post_init__(self) -> None:
        """Refuse an empty week or a window that closes before it opens."""
        if not self.windows:
            raise ValueError("ATTENDANCE_HOURS: pelo menos um dia precisa estar aberto")
        for weekday, (opens, closes) in self.windows.items():
            if weekday not in range(7) or opens >= closes:
                raise ValueError(f"ATTENDANCE_HOURS: horário inválido no dia {weekday}")

    @classmethod
    def parse(
        cls,
        spec: str | None,
        timezone: str = DEFAULT_TIMEZONE,
        close_on_holidays: bool = True,
        *,
        state: str = "",
        closed_dates: str = "",
    ) -> AttendanceHours:
        """Build from a spec like "seg-sex 08:00-18:00; sab 08:00-12:00" (None/"" = default)."""
        windows: dict[int, tuple[time, time]] = {}
        for part in _split_spec(spec or DEFAULT_SPEC):
            days, window = _parse_part(part)
            for day in days:
                if day in windows:
                    raise ValueError(
                        f"ATTENDANCE_HOURS: {DAY_CODES[day]!r} aparece duas vezes (em {part!r})"
                    )
                windows[day] = window
        closed = tuple(_parse_closed(entry) for entry in re.split(r"[;,]", closed_dates))
        state = _state(state)
        return cls(windows, _zone(timezone), close_on_holidays, state, tuple(filter(None, closed)))

    def is_open(self, now: datetime) -> bool:
        """Tell whether a human attendant is available at the aware datetime `now`."""
        local = self._local(now)
        window = self._window_on(local.date())
        return window is not None and window[0] <= local.time() < window[1]

    def next_opening(self, now: datetime) -> datetime:
        """Return the earliest moment from `now` on when attendance is open (`now` if open)."""
        local = self._local(now)
        for offset in range(_SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            window = self._window_on(day)
            if window is None:
                continue
            opens = datetime.combine(day, window[0], tzinfo=self.timezone)
            closes = datetime.combine(day, window[1], tzinfo=self.timezone)
            if local < closes:
                return max(opens, local)
        raise RuntimeError("attendance never opens in the next year")

    def window_today(self, now: datetime) -> tuple[time, time] | None:
        """Today's opening window where attendance is (None when closed all day)."""
        return self._window_on(self._local(now).date())

    def describe(self) -> str:
        """Say the hours in pt-BR, e.g. "segunda a sexta, das 8h às 18h; sábado, das 8h às 12h"."""
        by_window: dict[tuple[time, time], list[int]] = {}
        for day in sorted(self.windows):
            by_window.setdefault(self.windows[day], []).append(day)
        parts = [
            f"{_describe_days(days)}, {_from(opens)} {_at(closes)}"
            for (opens, closes), days in by_window.items()  # ordered by first weekday
        ]
        suffix = ""
        if self.close_on_holidays:
            suffix = f" (exceto feriados nacionais e de {self.state})" if self.state else ""
            suffix = suffix or " (exceto feriados nacionais)"
        return "; ".join(parts) + suffix

    def _local(self, now: datetime) -> datetime:
        """Convert an aware `now` to the attendance time zone."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("attendance hours need a timezone-aware datetime")
        return now.astimezone(self.timezone)

    def _window_on(self, day: date) -> tuple[time, time] | None:
        """Return the opening window of a calendar day, or None when closed all day."""
        if self.close_on_holidays and day in _holidays(day.year, self.state):
            return None
        window = self.windows.get(day.weekday())
        for closed in self.closed:
            if window is not None and closed.covers(day):
                ends = min(window[1], closed.since) if closed.since else window[0]
                window = (window[0], ends) if window[0] < ends else None
        return window


def attendance_hours(config: Config) -> AttendanceHours:
    """The attendance hours the settings describe (ATTENDANCE_*)."""
    return AttendanceHours.parse(
        config.attendance_hours,
        config.attendance_timezone,
        state=config.attendance_state,
        closed_dates=config.attendance_closed_dates,
    )


def describe_moment(moment: datetime, now: datetime) -> str:
    """Say when `moment` is, seen from `now`, in pt-BR: "hoje às 13h", "amanhã às 8h"..."""
    local_now = now.astimezone(moment.tzinfo)
    days_ahead = (moment.date() - local_now.date()).days
    if days_ahead == 0:
        when = "hoje"
    elif days_ahead == 1:
        when = "amanhã"
    else:
        when = f"{WEEKDAY_NAMES[moment.weekday()]} ({moment:%d/%m})"
    return f"{when} {_at(moment.time())}"


def holidays_of(year: int, state: str = "") -> frozenset[date]:
    """The national holidays of `year`, plus those of the state (UF) when given."""
    return _holidays(year, state.strip().upper())


def describe_window(window: tuple[time, time]) -> str:
    """Say one opening window in pt-BR: "das 8h às 18h"."""
    return f"{_from(window[0])} {_at(window[1])}"


@lru_cache(maxsize=32)
def _holidays(year: int, state: str = "") -> frozenset[date]:
    """National holidays of one year, plus the state's (frozen: safe to share between threads)."""
    return frozenset(holidays.Brazil(years=year, subdiv=state or None))


def _state(code: str) -> str:
    """A Brazilian state (UF) the holidays package knows, upper case; "" for none."""
    code = code.strip().upper()
    if code and code not in holidays.Brazil.subdivisions:
        raise ValueError(
            f"ATTENDANCE_STATE: estado desconhecido {code!r}; use a sigla da UF, ex.: SP"
        )
    return code


def _parse_closed(entry: str) -> ClosedDate | None:
    """One closed date: "25/01", "24/12 12h", "20/11/2026" ("" is nothing)."""
    text = " ".join(fold(entry).split())
    if not text:
        return None
    match = _CLOSED_RE.match(text)
    problem = f"ATTENDANCE_CLOSED_DATES: não entendi {entry.strip()!r}; exemplo: {CLOSED_EXAMPLE}"
    if match is None:
        raise ValueError(problem)
    year = int(match["year"]) if match["year"] else None
    try:
        date(year or 2024, int(match["month"]), int(match["day"]))  # 2024: 29/02 exists
    except ValueError:
        raise ValueError(problem) from None
    try:
        since = _parse_time(match["since"]) if match["since"] else None
    except ValueError:
        raise ValueError(problem) from None
    return ClosedDate(int(match["day"]), int(match["month"]), year, since)


def _zone(name: str) -> ZoneInfo:
    """Load a time zone, turning a bad name into a clear start-up error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"ATTENDANCE_TIMEZONE: fuso horário desconhecido {name!r}") from exc


def _split_spec(spec: str) -> list[str]:
    """Split a spec on ";" into normalized, non-empty parts."""
    parts = [" ".join(fold(part).split()) for part in spec.split(";")]
    parts = [part for part in parts if part]
    if not parts:
        raise ValueError(f"ATTENDANCE_HOURS está vazio; exemplo: {SPEC_EXAMPLE}")
    return parts


def _parse_part(part: str) -> tuple[list[int], tuple[time, time]]:
    """Parse one "seg-sex 08:00-18:00" part into weekdays and a window."""
    match = _PART_RE.match(part)
    if match is None:
        raise ValueError(f"ATTENDANCE_HOURS: não entendi {part!r}; exemplo: {SPEC_EXAMPLE}")
    opens, closes = _parse_time(match["open"]), _parse_time(match["close"])
    if opens >= closes:
        raise ValueError(f"ATTENDANCE_HOURS: em {part!r} a abertura deve vir antes do fechamento")
    return _parse_days(match["days"]), (opens, closes)


def _parse_days(text: str) -> list[int]:
    """Parse "seg-sex", "seg,qua" or "sab" into weekday numbers (ranges may wrap the week)."""
    days: list[int] = []
    for item in (item.strip() for item in text.split(",")):
        first, _, last = (bound.strip() for bound in item.partition("-"))
        start = _parse_day(first)
        span = (_parse_day(last) - start) % 7 if last else 0
        days.extend((start + step) % 7 for step in range(span + 1))
    if len(days) != len(set(days)):
        raise ValueError(f"ATTENDANCE_HOURS: um dia aparece repetido em {text!r}")
    return days


def _parse_day(name: str) -> int:
    """Return the weekday of "seg".."dom" (or "segunda".."domingo")."""
    for names in (DAY_CODES, _FULL_DAY_NAMES):
        if name in names:
            return names.index(name)
    raise ValueError(f"ATTENDANCE_HOURS: dia desconhecido {name!r}; use {' '.join(DAY_CODES)}")


def _parse_time(text: str) -> time:
    """Parse "08:00", "8h", "8h30" or "8" into a time."""
    match = _TIME_RE.match(text)
    if match is None or int(match["hour"]) > 23 or int(match["minute"] or 0) > 59:
        raise ValueError(f"ATTENDANCE_HOURS: horário inválido {text!r}")
    return time(int(match["hour"]), int(match["minute"] or 0))


def _describe_days(days: list[int]) -> str:
    """Name weekdays in pt-BR, folding runs of 3+: "segunda a sexta", "segunda e quarta"."""
    chunks: list[str] = []
    for _, run in groupby(enumerate(days), key=lambda pair: pair[1] - pair[0]):
        names = [DAY_NAMES[day] for _, day in run]
        chunks.extend([f"{names[0]} a {names[-1]}"] if len(names) >= 3 else names)
    if len(chunks) == 1:
        return chunks[0]
    return ", ".join(chunks[:-1]) + " e " + chunks[-1]


def _clock(moment: time) -> str:
    """Format a time the Brazilian way: "8h", "8h30"."""
    return f"{moment.hour}h{moment.minute:02d}" if moment.minute else f"{moment.hour}h"


def _plural(moment: time) -> bool:
    """Tell whether the hour takes a plural article ("às 8h", but "à 1h", "à 0h")."""
    return moment.hour > 1


def _at(moment: time) -> str:
    """Say "às 18h" / "à 1h"."""
    return f"{'às' if _plural(moment) else 'à'} {_clock(moment)}"


def _from(moment: time) -> str:
    """Say "das 8h" / "da 1h"."""
    return f"{'das' if _plural(moment) else 'da'} {_clock(moment)}"

"""The provider's billing rules Theo tells customers: due days, unlock and clearing times.

Read from the settings (DUE_DAYS, UNLOCK_WAIT_MINUTES, BOLETO_CLEARING_BUSINESS_DAYS) once
at start-up; the flows of payments and billing requests read them from the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from hours import holidays_of

if TYPE_CHECKING:
    from config import Config

DEFAULT_DUE_DAYS = (5, 10, 15, 20, 25)
# A due day past 28 would not exist in February: banks and ERPs refuse it.
LAST_DUE_DAY = 28


@dataclass(frozen=True)
class BillingRules:
    """Due days a customer may choose, and how long a payment takes to unlock the service."""

    due_days: tuple[int, ...] = DEFAULT_DUE_DAYS
    unlock_minutes: int = 30  # after the payment is confirmed, the ERP unlocks within this
    boleto_clearing_days: int = 3  # business days a boleto payment takes to clear
    holiday_state: str = ""  # UF whose holidays also stop the clearing, as attendance's

    def clearing_date(self, paid_on: date) -> date:
        """The last day a boleto paid on `paid_on` may take to clear (business days)."""
        return add_business_days(paid_on, self.boleto_clearing_days, self.holiday_state)


def add_business_days(start: date, count: int, state: str = "") -> date:
    """The day `count` business days after `start` (no weekends, no holidays)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays_of(day.year, state):
            count -= 1
    return day


def parse_due_days(text: str) -> tuple[int, ...]:
    """ "5,10,15" as (5, 10, 15); ValueError in pt-BR when a day is not 1 to 28."""
    days: list[int] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= LAST_DUE_DAY:
            raise ValueError(
                f"dia de vencimento inválido {part!r}: use números de 1 a {LAST_DUE_DAY}"
            )
        if int(part) not in days:
            days.append(int(part))
    if not days:
        raise ValueError("informe ao menos um dia de vencimento")
    return tuple(sorted(days))


def billing_rules(config: Config) -> BillingRules:
    """The billing rules the settings describe (validated already by config.py)."""
    return BillingRules(
        due_days=parse_due_days(config.due_days),
        unlock_minutes=config.unlock_wait_minutes,
        boleto_clearing_days=config.boleto_clearing_business_days,
        holiday_state=config.attendance_state,
    )

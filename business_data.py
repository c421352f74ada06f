"""Customers, invoices, plans and coverage: what Theo looks up.

`BusinessData` is the seam a real ERP replaces. `JsonBusinessData` implements it
from the demo files in `data/` (see `data/LEIAME.md`), validated at load so a
typo stops the start-up with a message naming the file and the field.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from documents import (
    DocumentError,
    compact_document,
    mask_document,
    parse_document,
    same_phone,
)

logger = logging.getLogger(__name__)

DEFAULT_FOLDER = Path(__file__).resolve().parent / "data"

CustomerKind = Literal["residential", "business"]
UnlockOutcome = Literal["unlocked", "already", "refused", "unsupported"]
ServiceOrderKind = Literal["visit", "ticket"]
CustomerStatus = Literal["active", "suspended"]
VisitStatus = Literal["scheduled", "waiting"]
VISIT_PERIODS = ("manhã", "tarde", "qualquer")
_T = TypeVar("_T")
_MISSING: Any = object()


@dataclass(frozen=True)
class Plan:
    """An internet plan on sale."""

    id: str
    name: str
    speed_mbps: int
    monthly_price: Decimal
    description: str = ""


@dataclass(frozen=True)
class Invoice:
    """An open invoice (boleto) with the ways to pay it."""

    id: str
    reference_month: str  # "2026-10"
    due_date: date
    amount: Decimal
    barcode_line: str  # linha digitável, 47 digits
    pix_code: str = ""  # PIX copia e cola, "" if none
    pdf_url: str = ""  # "" if none
    fiscal_note_url: str = ""  # link to the nota fiscal, "" if the backend has none

    def is_overdue(self, today: date) -> bool:
        """True when the due date has passed."""
        return self.due_date < today


@dataclass(frozen=True)
class PaidInvoice:
    """An invoice the backend shows as paid: when, how, and its nota fiscal where known."""

    id: str
    reference_month: str  # "2026-10"
    due_date: date
    amount: Decimal
    paid_on: date
    method: str = ""  # "pix", "boleto", "cartao", "debito"... "" when the backend does not say
    fiscal_note_url: str = ""


@dataclass(frozen=True)
class Customer:
    """An account holder; `invoices` holds the open invoices only."""

    id: str
    document: str  # compact CPF/CNPJ, as Document.value
    name: str
    kind: CustomerKind
    plan_id: str
    cep: str  # 8 digits
    status: CustomerStatus
    invoices: tuple[Invoice, ...] = ()
    # Phones on record, digits with country code ("5511912340001"): a message from one
    # of them is the second identity factor, without asking the CEP.
    phones: tuple[str, ...] = ()
    contract_id: str = ""  # the ERP's contract id, where actions on the account need it
    # The contract's loyalty period ("fidelidade"): None where the data has none.
    loyalty_end: date | None = None
    cancellation_fee: Decimal | None = None  # fee to cancel inside the loyalty period

    @property
    def suspended(self) -> bool:
        """True when the contract is suspended for non-payment."""
        return self.status == "suspended"


@dataclass(frozen=True)
class OutageSeed:
    """An outage of the demo file outages.json, which only seeds an empty database."""

    id: str
    cep_prefixes: tuple[str, ...]
    message: str
    expected_restoration: datetime  # tz-aware
    active: bool


@dataclass(frozen=True)
class CoverageArea:
    """CEP prefixes served by the network and the plans offered there."""

    name: str
    cep_prefixes: tuple[str, ...]
    plan_ids: tuple[str, ...]


@dataclass(frozen=True)
class Visit:
    """An open technician visit: a service order in the provider's system.

    `day` is None while the team has not scheduled it; `period` is "manhã", "tarde"
    or "qualquer" ("" when unknown); `status` is "scheduled" or "waiting" (no date yet).
    """

    id: str
    period: str
    day: date | None
    status: VisitStatus
    protocol: str = ""  # Theo's protocol when Theo recorded it


class BackendUnavailable(RuntimeError):
    """The provider's system could not be reached or answered nonsense.

    Raised by any BusinessData method; the engine tells the customer the system is
    out of reach, records the request and offers the attendant. The message is for
    the log and must hold no personal data.
    """


@dataclass(frozen=True)
class UnlockResult:
    """What the backend said to a trust unlock ("desbloqueio de confiança") request.

    `unlocked`: done, until `until`; `already`: one is in force (or was used in the
    period); `refused`: the provider's rule does not allow it (`reason`, the ERP's
    words, goes to the log and the team, not verbatim to the customer);
    `unsupported`: the backend cannot do it, so it is not offered.
    """

    outcome: UnlockOutcome
    until: date | None = None
    reason: str = ""


@runtime_checkable
class BusinessData(Protocol):
    """What Theo needs from the company's systems (ERP, billing, network)."""

    def find_customer(self, document: str) -> Customer | None:
        """The customer holding this compact CPF/CNPJ, if any."""
        ...

    def open_invoices(self, customer: Customer) -> list[Invoice]:
        """The customer's open invoices, oldest due date first."""
        ...

    def plans_for_cep(self, cep: str) -> list[Plan] | None:
        """Plans sold at this CEP by speed, or None when the CEP is not covered."""
        ...

    def plan(self, plan_id: str) -> Plan | None:
        """The plan with this id, if any."""
        ...

    def payment_details(self, invoice: Invoice) -> Invoice:
        """The invoice with the codes and PDF a backend fetches one invoice at a time."""
        ...

    def connection_online(self, customer: Customer) -> bool | None:
        """Whether the customer's connection is up right now; None when unknown."""
        ...

    def supports_trust_unlock(self, customer: Customer) -> bool:
        """Whether a trust unlock can be asked for this customer's contract."""
        ...

    def trust_unlock(self, customer: Customer, protocol: str, today: date) -> UnlockResult:
        """Ask the provider's rule for a trust unlock of the customer's contract."""
        ...

    def open_service_order(
        self, customer: Customer, kind: ServiceOrderKind, protocol: str, message: str
    ) -> str | None:
        """Open a visit/ticket order in the provider's system; its id, or None if none kept."""
        ...

    def paid_invoices(self, customer: Customer) -> list[PaidInvoice]:
        """The customer's recently paid invoices, latest payment first ([] when unknown)."""
        ...

    # --- Account: the phone on record, visits (flows/account.py, flows/visits.py) ---
    def customers_by_phone(self, phone: str) -> list[Customer]:
        """The customers with this phone (digits with country code) on record."""
        ...

    def open_visits(self, customer: Customer) -> list[Visit]:
        """The customer's open technician visits in the provider's system, soonest first."""
        ...


class JsonBusinessData:
    """BusinessData read once from plans.json, coverage.json and customers.json.

    The demo backend also plays the ERP's part in what a demo must show: a trust
    unlock lasts TRUST_UNLOCK_DAYS and is granted once per TRUST_UNLOCK_PERIOD per
    customer, kept in memory (a demo restart forgets it).
    """

    TRUST_UNLOCK_DAYS = 3
    TRUST_UNLOCK_PERIOD = timedelta(days=30)

    def __init__(self, folder: Path | str) -> None:
        folder = Path(folder)
        self._unlocks: dict[str, date] = {}  # customer id -> day of the last trust unlock
        self._plans = _plans_by_id(_load(folder / "plans.json", "plans", _read_plan), "plans.json")
        self._areas = _load(folder / "coverage.json", "areas", _area_reader(self._plans))
        self._online: dict[str, bool] = {}  # customer id -> the demo's "connection" field
        self._paid: dict[str, tuple[PaidInvoice, ...]] = {}  # customer id -> paid invoices
        self._visits: dict[str, list[Visit]] = {}  # customer id -> the demo's open visits
        reader = _customer_reader(self._plans, self._online, self._paid, self._visits)
        customers = _load(folder / "customers.json", "customers", reader)
        _check_unique_ids(customers)
        self._customers = _by_document(customers)

    def find_customer(self, document: str) -> Customer | None:
        """The customer holding this CPF/CNPJ (compact or formatted), if any.

        While a trust unlock is in force the contract is active, as in an ERP.
        """
        customer = self._customers.get(compact_document(document))
        unlocked = customer is not None and customer.id in self._unlocks
        if unlocked and (date.today() - self._unlocks[customer.id]).days < self.TRUST_UNLOCK_DAYS:
            return replace(customer, status="active")
        return customer

    def open_invoices(self, customer: Customer) -> list[Invoice]:
        """The customer's open invoices, oldest due date first."""
        return sorted(customer.invoices, key=lambda invoice: invoice.due_date)

    def plans_for_cep(self, cep: str) -> list[Plan] | None:
        """Plans sold at this CEP by speed (the most specific prefix wins), or None."""
        area = most_specific(self._areas, only_digits(cep), lambda area: area.cep_prefixes)
        if area is None:
            return None
        plans = [self._plans[plan_id] for plan_id in area.plan_ids]
        return sorted(plans, key=lambda plan: (plan.speed_mbps, plan.monthly_price))

    def plan(self, plan_id: str) -> Plan | None:
        """The plan with this id, if any."""
        return self._plans.get(plan_id)

    def payment_details(self, invoice: Invoice) -> Invoice:
        """The demo invoices carry their codes and links already."""
        return invoice

    def connection_online(self, customer: Customer) -> bool | None:
        """The demo's "connection" field ("online"/"offline"), None where it is absent."""
        return self._online.get(customer.id)

    def supports_trust_unlock(self, customer: Customer) -> bool:
        """Any demo customer suspended for debt may ask."""
        return customer.suspended

    def trust_unlock(self, customer: Customer, protocol: str, today: date) -> UnlockResult:
        """Granted once per TRUST_UNLOCK_PERIOD; a second ask inside it is "already"."""
        if not customer.suspended:
            return UnlockResult("refused", reason="contrato não está bloqueado")
        last = self._unlocks.get(customer.id)
        if last is not None and today - last < self.TRUST_UNLOCK_PERIOD:
            until = last + timedelta(days=self.TRUST_UNLOCK_DAYS)
            return UnlockResult("already", until=until if until >= today else None)
        self._unlocks[customer.id] = today
        return UnlockResult("unlocked", until=today + timedelta(days=self.TRUST_UNLOCK_DAYS))

    def open_service_order(
        self, customer: Customer, kind: ServiceOrderKind, protocol: str, message: str
    ) -> str | None:
        """The demo has no order system: the request recorded by Theo is the order."""
        return None

    def paid_invoices(self, customer: Customer) -> list[PaidInvoice]:
        """The demo's "paid_invoices" of the customer, latest payment first."""
        paid = self._paid.get(customer.id, ())
        return sorted(paid, key=lambda invoice: invoice.paid_on, reverse=True)

    def customers_by_phone(self, phone: str) -> list[Customer]:
        """The demo customers with this phone on record."""
        return [c for c in self._customers.values() if any(same_phone(phone, p) for p in c.phones)]

    def open_visits(self, customer: Customer) -> list[Visit]:
        """The demo's "visits" of this customer, soonest first."""
        return sorted(self._visits.get(customer.id, []), key=visit_order)


def visit_order(visit: Visit) -> tuple[date, str]:
    """Scheduled visits by day; the ones without a date last."""
    return (visit.day or date.max, visit.id)


def load_business_data(folder: str | Path | None = None) -> JsonBusinessData:
    """Load the JSON data set from `folder` (default: the repository's data/ folder)."""
    return JsonBusinessData(DEFAULT_FOLDER if folder is None else folder)


def most_specific(
    items: Iterable[_T], cep: str, prefixes: Callable[[_T], tuple[str, ...]]
) -> _T | None:
    """The item whose longest CEP prefix matches `cep`, or None."""
    best: tuple[int, _T] | None = None
    for item in items:
        for prefix in prefixes(item):
            if cep.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), item)
    return best[1] if best else None


def only_digits(text: str) -> str:
    """Only the digits of a CEP typed with or without a dash."""
    return re.sub(r"\D", "", text or "")


# --- Loading and validation -------------------------------------------------


class _Fields:
    """One JSON object being read; every error names the file and the field."""

    def __init__(self, raw: object, file: str, path: str = "") -> None:
        self.file, self.path = file, path
        if not isinstance(raw, dict):
            where = f"{file}: {path}" if path else file
            raise ValueError(f"{where}: esperado um objeto {{...}}, encontrado {_json_type(raw)}")
        self._raw = raw

    def __contains__(self, key: str) -> bool:
        return key in self._raw

    def field(self, key: str) -> str:
        """The field's path inside the file, e.g. "customers[0].invoices[1].due_date"."""
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, problem: str) -> ValueError:
        """A ValueError for this field, to raise."""
        return ValueError(f"{self.file}: {self.field(key)}: {problem}")

    def get(self, key: str, kinds: tuple[type, ...], expected: str, default: Any = _MISSING) -> Any:
        """The raw value, checked against the JSON types allowed for the field."""
        if key not in self._raw:
            if default is _MISSING:
                raise self.error(key, "campo obrigatório ausente")
            return default
        value = self._raw[key]
        # bool is an int subclass: true/false counts only where a flag is expected.
        if not isinstance(value, kinds) or isinstance(value, bool) != (bool in kinds):
            raise self.error(key, f"esperado {expected}, encontrado {_json_type(value)}")
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        """A string field; required ones may not be blank."""
        value = self.get(key, (str,), "um texto entre aspas", default).strip()
        if not value and default is _MISSING:
            raise self.error(key, "não pode ficar vazio")
        return value

    def flag(self, key: str) -> bool:
        """A true/false field."""
        return self.get(key, (bool,), "true ou false")

    def positive_int(self, key: str) -> int:
        """A whole number greater than zero."""
        value = self.get(key, (int,), "um número inteiro")
        if value <= 0:
            raise self.error(key, f"deve ser maior que zero, encontrado {value}")
        return value

    def money(self, key: str) -> Decimal:
        """An amount in reais with at most 2 decimals, as "99.90" or 99.90."""
        raw = self.get(key, (str, int, Decimal), 'um valor como "99.90"')
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise self.error(key, f'valor inválido {raw!r}; use ponto: "99.90"') from None
        if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -2:
            raise self.error(key, f"valor inválido {raw!r}; use até 2 casas decimais, maior que 0")
        return value.quantize(Decimal("0.01"))

    def day(self, key: str) -> date:
        """A date written as "AAAA-MM-DD"."""
        raw = self.text(key)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise self.error(key, f'data inválida {raw!r}; use "AAAA-MM-DD"')
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise self.error(key, f"data inexistente {raw!r}") from None

    def moment(self, key: str) -> datetime:
        """A date and time with its UTC offset, e.g. "2026-11-24T18:00:00-03:00"."""
        raw = self.text(key)
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            value = None
        if value is None or value.utcoffset() is None:
            raise self.error(key, f'use data, hora e fuso: "2026-11-24T18:00:00-03:00" ({raw!r})')
        return value

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        """A string that must be one of `options`."""
        value = self.text(key)
        if value not in options:
            raise self.error(key, f"{value!r} não é um destes valores: {', '.join(options)}")
        return value

    def digits(self, key: str, length: int, separators: str = " .-") -> str:
        """A number of exactly `length` digits, separators allowed."""
        raw = self.text(key)
        value = raw.translate(str.maketrans("", "", separators))
        if not (value.isascii() and value.isdigit() and len(value) == length):
            raise self.error(key, f"esperado {length} dígitos, encontrado {raw!r}")
        return value

    def cep_prefixes(self, key: str) -> tuple[str, ...]:
        """A non-empty list of CEP beginnings, 1 to 8 digits each."""
        prefixes = self.strings(key)
        for prefix in prefixes:
            if not re.fullmatch(r"\d{1,8}", prefix):
                raise self.error(key, f"prefixo de CEP inválido {prefix!r}; use só dígitos (1 a 8)")
        return prefixes

    def strings(self, key: str) -> tuple[str, ...]:
        """A non-empty list of non-empty strings."""
        values = self.get(key, (list,), 'uma lista como ["a", "b"]')
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise self.error(key, f"esperada uma lista não vazia de textos, encontrado {values!r}")
        return tuple(v.strip() for v in values)

    def objects(self, key: str, default: Any = _MISSING) -> list[_Fields]:
        """A list of objects, each readable with its own position in the path."""
        values = self.get(key, (list,), "uma lista [...]", default)
        return [_Fields(v, self.file, f"{self.field(key)}[{i}]") for i, v in enumerate(values)]


def _json_type(value: object) -> str:
    """How a JSON value looks, for errors that must not echo (possibly personal) data."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    names = {dict: "um objeto {...}", list: "uma lista [...]", str: "um texto"}
    return next((name for kind, name in names.items() if isinstance(value, kind)), "um número")


def _load(path: Path, root_key: str, read: Callable[[_Fields], _T]) -> list[_T]:
    """Read `{root_key: [...]}` from a JSON file and build each item with `read`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path.name}: arquivo não encontrado em {path.parent}") from None
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        problem = f"linha {error.lineno}, coluna {error.colno}: {error.msg}"
        raise ValueError(f"{path.name}: JSON inválido na {problem}") from error
    root = _Fields(data, path.name)
    return [read(item) for item in root.objects(root_key)]


def _read_plan(fields: _Fields) -> Plan:
    """Build a Plan from plans.json."""
    return Plan(
        id=fields.text("id"),
        name=fields.text("name"),
        speed_mbps=fields.positive_int("speed_mbps"),
        monthly_price=fields.money("monthly_price"),
        description=fields.text("description", default=""),
    )


def _plans_by_id(plans: list[Plan], filename: str) -> dict[str, Plan]:
    """Index plans by id, refusing duplicates."""
    by_id: dict[str, Plan] = {}
    for plan in plans:
        if plan.id in by_id:
            raise ValueError(f"{filename}: plano com id repetido {plan.id!r}")
        by_id[plan.id] = plan
    return by_id


def _area_reader(plans: dict[str, Plan]) -> Callable[[_Fields], CoverageArea]:
    """A reader for coverage.json areas whose plan ids must exist in plans.json."""

    def read(fields: _Fields) -> CoverageArea:
        plan_ids = fields.strings("plan_ids")
        _check_plan_ids(fields, "plan_ids", plan_ids, plans)
        return CoverageArea(fields.text("name", ""), fields.cep_prefixes("cep_prefixes"), plan_ids)

    return read


def _customer_reader(
    plans: dict[str, Plan],
    online: dict[str, bool],
    paid: dict[str, tuple[PaidInvoice, ...]],
    visits: dict[str, list[Visit]],
) -> Callable[[_Fields], Customer]:
    """A reader for customers.json entries whose plan must exist in plans.json.

    The optional "connection" ("online"/"offline") is not customer data: it goes to
    `online`, by customer id, for the demo's `connection_online`.
    """

    def read(fields: _Fields) -> Customer:
        plan_id = fields.text("plan_id")
        _check_plan_ids(fields, "plan_id", (plan_id,), plans)
        connection = fields.text("connection", default="")
        if connection not in ("", "online", "offline"):
            raise fields.error(
                "connection", f"{connection!r} não é um destes valores: online, offline"
            )
        if connection:
            online[fields.text("id")] = connection == "online"
        paid[fields.text("id")] = _read_paid_invoices(fields)
        visits[fields.text("id")] = [_read_visit(f) for f in fields.objects("visits", default=[])]
        return Customer(
            id=fields.text("id"),
            document=_read_document(fields, "document"),
            name=fields.text("name"),
            kind=fields.choice("kind", ("residential", "business")),
            plan_id=plan_id,
            cep=fields.digits("cep", 8),
            status=fields.choice("status", ("active", "suspended")),
            invoices=tuple(_read_invoice(f) for f in fields.objects("invoices", default=[])),
            phones=_read_phones(fields, "phones"),
            loyalty_end=fields.day("loyalty_end") if "loyalty_end" in fields else None,
            cancellation_fee=_optional_fee(fields),
        )

    return read


def _optional_fee(fields: _Fields) -> Decimal | None:
    """The cancellation fee; "0" (no fee) is allowed, absent is None."""
    if "cancellation_fee" not in fields:
        return None
    raw = fields.get("cancellation_fee", (str, int, Decimal), 'um valor como "0" ou "240.00"')
    if str(raw).strip() in ("0", "0.0", "0.00"):
        return Decimal("0.00")
    return fields.money("cancellation_fee")


def _read_visit(fields: _Fields) -> Visit:
    """Build a Visit from a customer's "visits" list."""
    day = fields.day("date") if "date" in fields else None
    return Visit(
        id=fields.text("id"),
        period=fields.choice("period", VISIT_PERIODS),
        day=day,
        status="scheduled" if day else "waiting",
    )


def _read_phones(fields: _Fields, key: str) -> tuple[str, ...]:
    """Phones on record, with country and area code ("5511912340001"); optional."""
    phones = []
    for raw in fields.get(key, (list,), 'uma lista como ["5511912340001"]', default=[]):
        phone = re.sub(r"[\s()+-]", "", raw) if isinstance(raw, str) else ""
        if not re.fullmatch(r"55[0-9]{10,11}", phone):
            raise fields.error(key, "telefone inválido; use DDI 55 + DDD + número, só dígitos")
        phones.append(phone)
    return tuple(phones)


def _check_plan_ids(
    fields: _Fields, key: str, plan_ids: Iterable[str], plans: dict[str, Plan]
) -> None:
    """Refuse plan ids that plans.json does not define."""
    unknown = [plan_id for plan_id in plan_ids if plan_id not in plans]
    if unknown:
        raise fields.error(key, f"plano inexistente em plans.json: {', '.join(unknown)}")


def _read_document(fields: _Fields, key: str) -> str:
    """A valid CPF/CNPJ, returned compact; errors show it masked."""
    raw = fields.text(key)
    compact = compact_document(raw)
    try:
        document = parse_document(compact)
    except DocumentError as error:
        problem = f"CPF/CNPJ inválido ({error.reason}): {mask_document(raw)}"
        raise fields.error(key, problem) from None
    if document.value != compact:
        raise fields.error(key, f"CPF/CNPJ inválido (format): {mask_document(raw)}")
    return document.value


def _read_invoice(fields: _Fields) -> Invoice:
    """Build an Invoice from a customer's "invoices" list."""
    month = fields.text("reference_month")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise fields.error("reference_month", f'mês inválido {month!r}; use "AAAA-MM"')
    pix_code = fields.text("pix_code", default="")
    if pix_code and not pix_code.startswith("000201"):
        raise fields.error("pix_code", 'o PIX copia e cola começa com "000201"')
    pdf_url = _link(fields, "pdf_url")
    return Invoice(
        id=fields.text("id"),
        reference_month=month,
        due_date=fields.day("due_date"),
        amount=fields.money("amount"),
        barcode_line=fields.digits("barcode_line", 47),
        pix_code=pix_code,
        pdf_url=pdf_url,
        fiscal_note_url=_link(fields, "nf_url"),
    )


def _link(fields: _Fields, key: str) -> str:
    """An optional https link; "" when absent."""
    url = fields.text(key, default="")
    if url and not url.startswith("https://"):
        raise fields.error(key, f'o link deve começar com "https://", encontrado {url!r}')
    return url


PAYMENT_METHODS = ("pix", "boleto", "cartao", "debito", "dinheiro", "outro")


def _read_paid_invoices(fields: _Fields) -> tuple[PaidInvoice, ...]:
    """A customer's optional "paid_invoices" list (invoices already paid)."""
    return tuple(_read_paid_invoice(f) for f in fields.objects("paid_invoices", default=[]))


def _read_paid_invoice(fields: _Fields) -> PaidInvoice:
    """Build a PaidInvoice from a customer's "paid_invoices" list."""
    month = fields.text("reference_month")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise fields.error("reference_month", f'mês inválido {month!r}; use "AAAA-MM"')
    method = fields.text("method", default="")
    if method and method not in PAYMENT_METHODS:
        raise fields.error(
            "method", f"{method!r} não é um destes valores: {', '.join(PAYMENT_METHODS)}"
        )
    return PaidInvoice(
        id=fields.text("id"),
        reference_month=month,
        due_date=fields.day("due_date"),
        amount=fields.money("amount"),
        paid_on=fields.day("paid_on"),
        method=method,
        fiscal_note_url=_link(fields, "nf_url"),
    )


def load_outage_seeds(folder: Path | str) -> list[OutageSeed]:
    """The outages of the demo file (validated like the other files); [] without the file."""
    path = Path(folder) / "outages.json"
    return _load(path, "outages", read_outage_seed) if path.exists() else []


def read_outage_seed(fields: _Fields) -> OutageSeed:
    """Build an OutageSeed from outages.json."""
    return OutageSeed(
        id=fields.text("id"),
        cep_prefixes=fields.cep_prefixes("cep_prefixes"),
        message=fields.text("message"),
        expected_restoration=fields.moment("expected_restoration"),
        active=fields.flag("active"),
    )


def _check_unique_ids(customers: list[Customer]) -> None:
    """Refuse the same customer id or invoice id twice in customers.json."""
    for label, ids in (
        ("cliente", [c.id for c in customers]),
        ("fatura", [i.id for c in customers for i in c.invoices]),
    ):
        repeated = sorted(x for x, n in Counter(ids).items() if n > 1)
        if repeated:
            raise ValueError(f"customers.json: {label} com id repetido: {', '.join(repeated)}")


def _by_document(customers: list[Customer]) -> dict[str, Customer]:
    """Index customers by document, refusing the same document twice."""
    by_document: dict[str, Customer] = {}
    for customer in customers:
        if customer.document in by_document:
            masked = mask_document(customer.document)
            raise ValueError(f"customers.json: documento repetido {masked} ({customer.id})")
        by_document[customer.document] = customer
    return by_document

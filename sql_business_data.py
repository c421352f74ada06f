"""BusinessData read from Theo's own database, filled by `manage.py import` (csv_import.py).

A provider without an ERP API exports spreadsheets; `csv_import` loads them
into the tables below and `SqlBusinessData` answers from there
(`BUSINESS_BACKEND=csv`). The tables live on `records.metadata` and are made by
migration 0003, like every other table of Theo's.

Each call reads what it needs: the tables are small and indexed on what is
looked up, and an import committed a second ago is then seen at once by every
worker, without a cache to invalidate.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    Engine,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    cast,
    or_,
    select,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import SQLAlchemyError

from business_data import (
    BackendUnavailable,
    CoverageArea,
    Customer,
    Invoice,
    PaidInvoice,
    Plan,
    ServiceOrderKind,
    UnlockResult,
    Visit,
    most_specific,
    only_digits,
)
from documents import compact_document, same_phone
from records import _BigId, metadata

log = logging.getLogger(__name__)

MONEY = Numeric(12, 2)

plans_table = Table(
    "business_plans",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("plan_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("speed_mbps", Integer, nullable=False),
    Column("monthly_price", MONEY, nullable=False),
    Column("description", Text, nullable=False),
    UniqueConstraint("plan_id", name="uq_business_plans_plan_id"),
    sqlite_autoincrement=True,
)

# Prefixes and plan ids are short lists read together with their area: JSON keeps one
# row per area, and the handful of areas a provider has are matched in Python.
coverage_areas_table = Table(
    "business_coverage_areas",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("cep_prefixes", JSON(), nullable=False),
    Column("plan_ids", JSON(), nullable=False),
    UniqueConstraint("name", name="uq_business_coverage_areas_name"),
    sqlite_autoincrement=True,
)

customers_table = Table(
    "business_customers",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    # Compact CPF/CNPJ, as documents.Document.value: what find_customer looks up.
    Column("document", String(14), nullable=False),
    # The provider's customer code (Customer.id), or one made at the first import.
    Column("customer_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("plan_id", String(64), nullable=False),
    Column("cep", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("phones", JSON(), nullable=False),  # ["5511912340001", ...]
    # The loyalty period (migration 0008); NULL where the spreadsheet has none.
    Column("loyalty_end", Date, nullable=True),
    Column("cancellation_fee", MONEY, nullable=True),  # 0 = no fee; NULL = not known
    UniqueConstraint("document", name="uq_business_customers_document"),
    sqlite_autoincrement=True,
)

invoices_table = Table(
    "business_invoices",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("invoice_id", String(64), nullable=False),
    # No foreign key on purpose: each kind is imported on its own, and an invoice whose
    # customer left the list is simply never reached.
    Column("customer_document", String(14), nullable=False),
    Column("reference_month", String(7), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("barcode_line", String(64), nullable=False),
    Column("pix_code", Text, nullable=False),
    Column("pdf_url", Text, nullable=False),
    # The nota fiscal's link (migration 0007); "" where the spreadsheet has none.
    Column("nf_url", Text, nullable=False, server_default=""),
    UniqueConstraint("invoice_id", name="uq_business_invoices_invoice_id"),
    Index("ix_business_invoices_customer_document", "customer_document"),
    sqlite_autoincrement=True,
)

BUSINESS_TABLES = (plans_table, coverage_areas_table, customers_table, invoices_table)


class SqlBusinessData:
    """BusinessData from the imported spreadsheets (outages are Theo's own: outages.py).

    The spreadsheets carry no connection state, no trust unlock rule and no order
    system: those answer "unknown", "unsupported" and "none kept", as the
    Protocol allows, and Theo records the request for the team.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def find_customer(self, document: str) -> Customer | None:
        """The customer holding this CPF/CNPJ (compact or formatted), with open invoices."""
        compact = compact_document(document)
        with self._reading() as conn:
            row = (
                conn.execute(select(customers_table).where(customers_table.c.document == compact))
                .mappings()
                .first()
            )
            if row is None:
                return None
            invoices = _invoices_of(conn, compact)
        return _to_customer(row, invoices)

    def open_invoices(self, customer: Customer) -> list[Invoice]:
        """The customer's open invoices, oldest due date first, as last imported."""
        with self._reading() as conn:
            return list(_invoices_of(conn, customer.document))

    def plans_for_cep(self, cep: str) -> list[Plan] | None:
        """Plans sold at this CEP by speed (the most specific prefix wins), or None."""
        with self._reading() as conn:
            areas = [_to_area(row) for row in conn.execute(select(coverage_areas_table)).mappings()]
            area = most_specific(areas, only_digits(cep), lambda area: area.cep_prefixes)
            if area is None:
                return None
            query = select(plans_table).where(plans_table.c.plan_id.in_(area.plan_ids))
            plans = [_to_plan(row) for row in conn.execute(query).mappings()]
        if len(plans) < len(set(area.plan_ids)):
            # A plans import dropped a plan this area still lists: offer the others.
            log.warning("coverage area lists plans missing from the plans table")
        return sorted(plans, key=lambda plan: (plan.speed_mbps, plan.monthly_price))

    def plan(self, plan_id: str) -> Plan | None:
        """The plan with this id, if any."""
        with self._reading() as conn:
            query = select(plans_table).where(plans_table.c.plan_id == plan_id)
            row = conn.execute(query).mappings().first()
        return None if row is None else _to_plan(row)

    def payment_details(self, invoice: Invoice) -> Invoice:
        """The imported invoices carry their codes and links already."""
        return invoice

    def connection_online(self, customer: Customer) -> bool | None:
        """A spreadsheet knows nothing of the connection right now."""
        return None

    def supports_trust_unlock(self, customer: Customer) -> bool:
        """No provider rule to ask: the unlock is never offered."""
        return False

    def trust_unlock(self, customer: Customer, protocol: str, today: date) -> UnlockResult:
        """Never offered (supports_trust_unlock is False); "unsupported" if asked anyway."""
        return UnlockResult("unsupported")

    def open_service_order(
        self, customer: Customer, kind: ServiceOrderKind, protocol: str, message: str
    ) -> str | None:
        """No order system behind the spreadsheets: the request Theo records is the order."""
        return None

    def paid_invoices(self, customer: Customer) -> list[PaidInvoice]:
        """The spreadsheets list open invoices only: no payment is known here."""
        return []

    def customers_by_phone(self, phone: str) -> list[Customer]:
        """The imported customers with this phone on record.

        The importer stores every phone as "55" + DDD + number in a JSON list, so the
        database finds the rows by the quoted number in the list's text (SQLite and
        Postgres alike), with and without the ninth digit; `same_phone` confirms them.
        """
        forms = phone_forms(phone)
        if not forms:
            return []
        listed = cast(customers_table.c.phones, String)
        query = select(customers_table).where(or_(*(listed.contains(f'"{f}"') for f in forms)))
        with self._reading() as conn:
            rows = conn.execute(query).mappings().all()
            matching = [r for r in rows if any(same_phone(phone, p) for p in r["phones"] or ())]
            return [_to_customer(row, _invoices_of(conn, row["document"])) for row in matching]

    def open_visits(self, customer: Customer) -> list[Visit]:
        """No order system behind the spreadsheets: Theo's own visit requests are the visits."""
        return []

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A connection; any database error becomes BackendUnavailable, without its SQL.

        The original error is not chained: its text carries the query's parameters
        (a CPF), and the log must not.
        """
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            log.warning("business tables unreachable: %s", type(exc).__name__)
            raise BackendUnavailable(f"business tables unreachable: {type(exc).__name__}") from None


def phone_forms(phone: str) -> list[str]:
    """A WhatsApp number as the importer may have stored it: with and without the ninth digit."""
    digits = only_digits(phone)
    if len(digits) == 13 and digits.startswith("55") and digits[4] == "9":
        return [digits, digits[:4] + digits[5:]]
    if len(digits) == 12 and digits.startswith("55"):
        return [digits, digits[:4] + "9" + digits[4:]]
    return [digits] if digits else []


def _invoices_of(conn: Connection, document: str) -> tuple[Invoice, ...]:
    """The invoices of the customer with this compact document, oldest due first."""
    query = (
        select(invoices_table)
        .where(invoices_table.c.customer_document == document)
        .order_by(invoices_table.c.due_date, invoices_table.c.invoice_id)
    )
    return tuple(_to_invoice(row) for row in conn.execute(query).mappings())


def _to_customer(row: RowMapping, invoices: tuple[Invoice, ...]) -> Customer:
    """Build a Customer from a business_customers row."""
    return Customer(
        id=row["customer_id"],
        document=row["document"],
        name=row["name"],
        kind=row["kind"],
        plan_id=row["plan_id"],
        cep=row["cep"],
        status=row["status"],
        invoices=invoices,
        phones=tuple(row["phones"] or ()),
        loyalty_end=row["loyalty_end"],
        cancellation_fee=None
        if row["cancellation_fee"] is None
        else _money(row["cancellation_fee"]),
    )


def _to_invoice(row: RowMapping) -> Invoice:
    """Build an Invoice from a business_invoices row."""
    return Invoice(
        id=row["invoice_id"],
        reference_month=row["reference_month"],
        due_date=row["due_date"],
        amount=_money(row["amount"]),
        barcode_line=row["barcode_line"],
        pix_code=row["pix_code"],
        pdf_url=row["pdf_url"],
        fiscal_note_url=row["nf_url"] or "",
    )


def _to_plan(row: RowMapping) -> Plan:
    """Build a Plan from a business_plans row."""
    return Plan(
        id=row["plan_id"],
        name=row["name"],
        speed_mbps=row["speed_mbps"],
        monthly_price=_money(row["monthly_price"]),
        description=row["description"],
    )


def _to_area(row: RowMapping) -> CoverageArea:
    """Build a CoverageArea from a business_coverage_areas row."""
    return CoverageArea(
        name=row["name"],
        cep_prefixes=tuple(row["cep_prefixes"]),
        plan_ids=tuple(row["plan_ids"]),
    )


def _money(value: Decimal | float | str) -> Decimal:
    """An amount as Decimal with 2 places, whatever the driver returned (SQLite: float)."""
    return Decimal(str(value)).quantize(Decimal("0.01"))

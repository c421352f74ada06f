"""Business tables: plans, coverage areas, customers and open invoices imported from CSV.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

A provider without an ERP API exports spreadsheets; `manage.py import` loads
them here and `sql_business_data.SqlBusinessData` answers from these tables
(`BUSINESS_BACKEND=csv`). Empty until the first import.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# As in records.py: a plain INTEGER PRIMARY KEY is what SQLite needs for AUTOINCREMENT.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(12, 2)


def upgrade() -> None:
    op.create_table(
        "business_plans",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("speed_mbps", sa.Integer(), nullable=False),
        sa.Column("monthly_price", MONEY, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.UniqueConstraint("plan_id", name="uq_business_plans_plan_id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "business_coverage_areas",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("cep_prefixes", sa.JSON(), nullable=False),
        sa.Column("plan_ids", sa.JSON(), nullable=False),
        sa.UniqueConstraint("name", name="uq_business_coverage_areas_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "business_customers",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("document", sa.String(14), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("cep", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.UniqueConstraint("document", name="uq_business_customers_document"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "business_invoices",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("customer_document", sa.String(14), nullable=False),
        sa.Column("reference_month", sa.String(7), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("barcode_line", sa.String(64), nullable=False),
        sa.Column("pix_code", sa.Text(), nullable=False),
        sa.Column("pdf_url", sa.Text(), nullable=False),
        sa.UniqueConstraint("invoice_id", name="uq_business_invoices_invoice_id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_business_invoices_customer_document", "business_invoices", ["customer_document"]
    )


def downgrade() -> None:
    op.drop_index("ix_business_invoices_customer_document", table_name="business_invoices")
    op.drop_table("business_invoices")
    op.drop_table("business_customers")
    op.drop_table("business_coverage_areas")
    op.drop_table("business_plans")

"""Imported invoices keep the link to their nota fiscal.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-02

`manage.py import` reads an optional "nota_fiscal" column of the invoices spreadsheet;
older files still import, and their invoices keep "" (Theo then records a request for
the billing team instead of sending a link).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "business_invoices",
        sa.Column("nf_url", sa.Text(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("business_invoices", "nf_url")

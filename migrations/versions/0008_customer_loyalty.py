"""Imported customers keep the end of their loyalty period and the cancellation fee.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

`manage.py import` reads optional "fim_fidelidade" and "multa_cancelamento" columns
of the customers spreadsheet; older files still import, and their customers keep NULL
(Theo then says no loyalty period is recorded, and never invents a fee).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("business_customers", sa.Column("loyalty_end", sa.Date(), nullable=True))
    op.add_column(
        "business_customers",
        sa.Column("cancellation_fee", sa.Numeric(12, 2), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("business_customers", "cancellation_fee")
    op.drop_column("business_customers", "loyalty_end")

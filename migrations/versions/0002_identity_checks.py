"""Identity checks: documents looked up and second-factor failures, per phone and day.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

They bound CPF enumeration (a few distinct documents per phone a day) and end
the CEP check for the day after three wrong answers, across every instance.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "identity_checks",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_identity_checks_phone_day", "identity_checks", ["phone", "day", "kind"])


def downgrade() -> None:
    op.drop_index("ix_identity_checks_phone_day", table_name="identity_checks")
    op.drop_table("identity_checks")

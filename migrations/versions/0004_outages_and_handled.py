"""Outages ("massivas") in the database, who was told about them, and handled requests.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Outages registered by ops through the API live here, so every instance sees the
same ones; `outage_notices` keeps each phone told about an outage once (the
count ops want, and who gets the "service is back" message). Recorded requests
gain a status (open/handled) with who handled them and when.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("cep_prefixes", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("expected_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customers_told", sa.Integer(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "outage_notices",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("outage_id", sa.BigInteger(), nullable=False),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("outage_id", "phone", name="uq_outage_notices_outage_phone"),
        sqlite_autoincrement=True,
    )
    # Plain ADD COLUMN (SQLite too): a batch copy would cost the table its AUTOINCREMENT.
    requests = "recorded_requests"
    op.add_column(
        requests, sa.Column("status", sa.String(16), nullable=False, server_default="open")
    )
    op.add_column(requests, sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(requests, sa.Column("handled_by", sa.String(100), nullable=True))


def downgrade() -> None:
    kept = {"sqlite_autoincrement": True}
    with op.batch_alter_table("recorded_requests", table_kwargs=kept) as batch:
        batch.drop_column("handled_by")
        batch.drop_column("handled_at")
        batch.drop_column("status")
    op.drop_table("outage_notices")
    op.drop_table("outages")

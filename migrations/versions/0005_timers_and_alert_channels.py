"""Timers that fire by themselves, and outbox rows for other channels than WhatsApp.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04

`timers`: one row per message Theo must send without a customer message (the idle
reminder, the goodbye when a conversation expires, the hand-back after an attendant
went quiet), with its due time, so it survives restarts and is claimed by one
instance only. `outbox.channel`: "whatsapp" (a Z-API send, as before) or "webhook"
(a team alert POSTed to TEAM_WEBHOOK_URL), retried by the same sender.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "timers",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("protocol", sa.String(32), nullable=False),
        sa.Column("mark", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_timers_due", "timers", ["fired_at", "due_at"])
    op.create_index("ix_timers_phone", "timers", ["phone"])
    # A database whose tables `metadata.create_all` made (stamped at the baseline) may
    # have the column already.
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("outbox")}
    if "channel" not in columns:
        with op.batch_alter_table("outbox") as batch:
            batch.add_column(
                sa.Column("channel", sa.String(16), nullable=False, server_default="whatsapp")
            )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("channel")
    op.drop_index("ix_timers_phone", table_name="timers")
    op.drop_index("ix_timers_due", table_name="timers")
    op.drop_table("timers")

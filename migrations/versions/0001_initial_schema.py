"""Protocols, recorded requests and the outbox, as `metadata.create_all` made them.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

A database made before migrations already holds these tables: `records.migrate`
stamps it at this revision instead. One older than the outbox lacks only that
table, so tables already there are left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# As in records.py: a plain INTEGER PRIMARY KEY is what SQLite needs for AUTOINCREMENT.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# records.UtcDateTime stores this type.
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    existing = _existing_tables()
    if "protocols" not in existing:
        op.create_table(
            "protocols",
            sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
            sa.Column("protocol", sa.String(32), nullable=True),
            sa.Column("phone", sa.String(32), nullable=False),
            sa.Column("created_at", TIMESTAMP, nullable=False),
            sa.UniqueConstraint("protocol"),
            sqlite_autoincrement=True,
        )
    if "recorded_requests" not in existing:
        op.create_table(
            "recorded_requests",
            sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("protocol", sa.String(32), nullable=False),
            sa.Column("phone", sa.String(32), nullable=False),
            sa.Column(
                "details", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
            ),
            sa.Column("created_at", TIMESTAMP, nullable=False),
            sqlite_autoincrement=True,
        )
        op.create_index("ix_recorded_requests_protocol", "recorded_requests", ["protocol"])
    if "outbox" not in existing:
        op.create_table(
            "outbox",
            sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
            sa.Column("phone", sa.String(64), nullable=False),
            sa.Column("source_id", sa.String(200), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("body", sa.JSON(), nullable=False),
            sa.Column("status", sa.String(12), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
            sa.Column("lease_until", TIMESTAMP, nullable=True),
            sa.Column("created_at", TIMESTAMP, nullable=False),
            sa.Column("sent_at", TIMESTAMP, nullable=True),
            sa.Column("last_error", sa.String(300), nullable=False),
            sa.Column("sent_ids", sa.JSON(), nullable=True),
            sa.UniqueConstraint("phone", "source_id", "position", name="uq_outbox_source"),
            sqlite_autoincrement=True,
        )
        op.create_index("ix_outbox_status_phone", "outbox", ["status", "phone"])
        op.create_index("ix_outbox_phone_sent_at", "outbox", ["phone", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_phone_sent_at", table_name="outbox")
    op.drop_index("ix_outbox_status_phone", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_recorded_requests_protocol", table_name="recorded_requests")
    op.drop_table("recorded_requests")
    op.drop_table("protocols")


def _existing_tables() -> set[str]:
    """Tables the database holds already (none when only writing SQL with --sql)."""
    if context.is_offline_mode():
        return set()
    return set(sa.inspect(op.get_bind()).get_table_names())

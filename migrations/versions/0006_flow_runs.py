"""Flow runs: one row per flow a customer started, with its outcome (for /admin/stats).

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-03

No phone and no document: a run is known by its protocol, its flow, the last step
it reached and how it ended (resolved, handed_over, abandoned), plus the optional
satisfaction score (1-5).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# As in records.py: a plain INTEGER PRIMARY KEY is what SQLite needs for AUTOINCREMENT.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "flow_runs",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("protocol", sa.String(32), nullable=False),
        sa.Column("flow", sa.String(32), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("csat", sa.SmallInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_flow_runs_started_at", "flow_runs", ["started_at"])
    op.create_index("ix_flow_runs_protocol", "flow_runs", ["protocol"])


def downgrade() -> None:
    op.drop_index("ix_flow_runs_protocol", table_name="flow_runs")
    op.drop_index("ix_flow_runs_started_at", table_name="flow_runs")
    op.drop_table("flow_runs")

"""The sender finds the next due replies through an index, not by grouping the whole queue.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

A claim used to group every queued reply by phone to find each phone's first one:
milliseconds per claim with a thousand customers waiting, and the sender claims after
every send. It now walks the due replies in order on (status, next_attempt_at, id) and
skips those with an earlier reply of the same phone still queued.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")

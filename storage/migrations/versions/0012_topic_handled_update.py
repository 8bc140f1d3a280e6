"""counselor topics remember the last Telegram update handled in them

Telegram delivers an update again until it hears it was handled; a counselor's message in a
client's topic, delivered again after a crash, must not reach the client twice.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("counselor_topics") as batch_op:
        batch_op.add_column(sa.Column("handled_update", sa.BigInteger(), server_default="0",
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("counselor_topics") as batch_op:
        batch_op.drop_column("handled_update")

"""encryption at rest: the encrypted columns become text (a token is longer than the value)

Message texts, consent texts, summaries and notes were text already. Downgrading needs a store
without encrypted values: tokens do not fit the old lengths, nor JSON.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 17:05:57.782065
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAS_STRING = (('appointments', 'location', 300), ('appointments', 'with_whom', 200),
              ('clients', 'first_name', 200), ('clients', 'contact', 300),
              ('jobs', 'employer', 200))


def upgrade() -> None:
    for table, column, length in WAS_STRING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column,
                   existing_type=sa.String(length=length),
                   type_=sa.Text(),
                   existing_nullable=False)

    with op.batch_alter_table('conversation_states', schema=None) as batch_op:
        batch_op.alter_column('data',
               existing_type=sa.JSON(),
               type_=sa.Text(),
               existing_nullable=False,
               postgresql_using='data::text')


def downgrade() -> None:
    with op.batch_alter_table('conversation_states', schema=None) as batch_op:
        batch_op.alter_column('data',
               existing_type=sa.Text(),
               type_=sa.JSON(),
               existing_nullable=False,
               postgresql_using='data::json')

    for table, column, length in reversed(WAS_STRING):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column,
                   existing_type=sa.Text(),
                   type_=sa.String(length=length),
                   existing_nullable=False)

"""compact audit records: bodies stored zstd-compressed, and the columns searches read

A served ranking's canonical JSON (what its seal covers) was kept as text in `body`, ~62 KB a
list at 200 scored items; records filed from now on keep it zstd-compressed in `body_zstd`
(with `body` empty) and their feature rows packed (fairness/audit_log.py), a few KB a list.
Searches read two new columns instead of the text: `item_ids` (the scored items' external ids,
a JSON array) and `interleaved` (whether the list was team-drafted with a challenger).

Rows filed before this revision are not touched: a sealed row is never rewritten, and filling
the new columns would read every body (months of records). They keep `body` as written and NULL
in the new columns; the searches fall back to their text for such rows (data/storage/
audit_search.py, data/storage/interleaving.py). Adding nullable columns rewrites no table on
either database (SQLite's ADD COLUMN, PostgreSQL's catalogue-only change).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_records') as batch:
        batch.add_column(sa.Column('body_zstd', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('item_ids', sa.Text(), nullable=True))
        batch.add_column(sa.Column('interleaved', sa.Boolean(), nullable=True))


def downgrade() -> None:
    # Records filed compressed cannot go back into an older schema's `body` without rewriting
    # sealed rows: refuse rather than drop them.
    connection = op.get_bind()
    compressed = connection.execute(
        sa.text('SELECT count(*) FROM audit_records WHERE body_zstd IS NOT NULL')
    ).scalar_one()
    if compressed:
        raise RuntimeError(
            f'{compressed} audit records are stored compressed (revision 0023): downgrading '
            'would lose them'
        )
    with op.batch_alter_table('audit_records') as batch:
        batch.drop_column('interleaved')
        batch.drop_column('item_ids')
        batch.drop_column('body_zstd')

"""audit seals over the interaction log and the oversight record

`audit_seals` holds keyed seals over batches of `interactions` and `oversight_events` rows,
chained like `audit_records` (fairness/audit_log.py); each of those rows gets `sealed_by`, the
seal that covers it (NULL: not sealed yet).

Rows written before this revision are not sealed here: a migration does not hold the audit key
(it lives outside the data folder, see serving/keys.py). They keep `sealed_by` NULL and the
service seals them once, on its first start after the upgrade (its audit log seals every row
still unsealed when it opens, and again after each write commits); `talent audit checkpoint`
does the same from the command line. Until then `talent audit verify` counts them as pending.

On PostgreSQL the change trigger of `interactions` (revision 0009) fires only for updates of
the event's own columns: stamping `sealed_by` must not wake every server process.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# The interaction columns whose change other processes must hear of (all but `sealed_by`).
EVENT_COLUMNS = (
    'id', 'request_id', 'employee_external_id', 'opportunity_external_id', 'type', 'position',
    'rating', 'occurred_at', 'actor_role', 'actor', 'details',
)


def upgrade() -> None:
    op.create_table('audit_seals',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stream', sa.String(length=20), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('hash')
    )
    for table in ('interactions', 'oversight_events'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('sealed_by', sa.Integer(), nullable=True))
            batch.create_index(f'ix_{table}_sealed_by', ['sealed_by'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        _interactions_trigger('UPDATE OF ' + ', '.join(f'"{c}"' for c in EVENT_COLUMNS))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _interactions_trigger('UPDATE')
    for table in ('oversight_events', 'interactions'):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f'ix_{table}_sealed_by')
            batch.drop_column('sealed_by')
    op.drop_table('audit_seals')


def _interactions_trigger(update: str) -> None:
    op.execute('DROP TRIGGER IF EXISTS "interactions_notify_change" ON "interactions"')
    op.execute(
        f'CREATE TRIGGER "interactions_notify_change" AFTER INSERT OR {update} OR DELETE '
        'ON "interactions" FOR EACH STATEMENT EXECUTE FUNCTION talent_notify_change()'
    )

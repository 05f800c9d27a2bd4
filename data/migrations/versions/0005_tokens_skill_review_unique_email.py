"""keyed token digests with ids, expiry and revocation; custom-skill review; unique e-mail

Tokens: the SHA-256 digest column becomes `digest` (an HMAC under a server secret from now on;
old rows are marked `sha256` and re-keyed on their next use), with a public `token_id`, scopes,
an expiry (90 days from this migration for old tokens) and a revocation time.
Skills: `status` (unreviewed | reviewed | rejected; existing custom skills start unreviewed),
who introduced them, and when they last changed (other server processes poll it).
Employees: one person per e-mail address, case-insensitively.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""
import datetime as dt
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.alter_column('token_sha256', new_column_name='digest', existing_type=sa.String(64))
        batch.add_column(sa.Column('token_id', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('scheme', sa.String(length=10), nullable=False, server_default='sha256'))
        batch.add_column(sa.Column('scopes', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table('api_tokens', sa.column('digest', sa.String), sa.column('token_id', sa.String),
                      sa.column('expires_at', sa.DateTime(timezone=True)))
    connection = op.get_bind()
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    for (digest,) in connection.execute(sa.select(tokens.c.digest)).all():
        connection.execute(
            tokens.update().where(tokens.c.digest == digest)
            .values(token_id=secrets.token_hex(6), expires_at=expiry)
        )
    with op.batch_alter_table('api_tokens') as batch:
        batch.alter_column('token_id', existing_type=sa.String(16), nullable=False)
        batch.alter_column('scheme', existing_type=sa.String(10), server_default=None)
        batch.alter_column('scopes', existing_type=sa.JSON(), server_default=None)
        batch.create_unique_constraint('uq_api_tokens_token_id', ['token_id'])

    with op.batch_alter_table('skills') as batch:
        batch.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='reviewed'))
        batch.add_column(sa.Column('created_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()))
    skills = sa.table('skills', sa.column('source', sa.String), sa.column('status', sa.String))
    connection.execute(skills.update().where(skills.c.source == 'custom').values(status='unreviewed'))
    with op.batch_alter_table('skills') as batch:
        batch.alter_column('status', existing_type=sa.String(12), server_default=None)
    op.create_index(op.f('ix_skills_status'), 'skills', ['status'], unique=False)

    with op.batch_alter_table('employees') as batch:
        batch.add_column(sa.Column('email_key', sa.String(length=254), nullable=True))
    employees = sa.table('employees', sa.column('id', sa.Integer), sa.column('email', sa.String),
                         sa.column('email_key', sa.String))
    seen: dict[str, int] = {}
    for row_id, email in connection.execute(sa.select(employees.c.id, employees.c.email)).all():
        if not email:
            continue
        key = email.casefold()
        if key in seen:
            raise RuntimeError(
                f"employees {seen[key]} and {row_id} share the e-mail address {email!r}: give "
                "each person their own address, then run the migration again"
            )
        seen[key] = row_id
        connection.execute(employees.update().where(employees.c.id == row_id).values(email_key=key))
    with op.batch_alter_table('employees') as batch:
        batch.create_unique_constraint('uq_employees_email_key', ['email_key'])


def downgrade() -> None:
    with op.batch_alter_table('employees') as batch:
        batch.drop_constraint('uq_employees_email_key', type_='unique')
        batch.drop_column('email_key')
    op.drop_index(op.f('ix_skills_status'), table_name='skills')
    with op.batch_alter_table('skills') as batch:
        batch.drop_column('updated_at')
        batch.drop_column('created_by')
        batch.drop_column('status')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_constraint('uq_api_tokens_token_id', type_='unique')
        batch.drop_column('revoked_at')
        batch.drop_column('expires_at')
        batch.drop_column('scopes')
        batch.drop_column('scheme')
        batch.drop_column('token_id')
        batch.alter_column('digest', new_column_name='token_sha256', existing_type=sa.String(64))

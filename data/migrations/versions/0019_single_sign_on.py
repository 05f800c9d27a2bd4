"""single sign-on: a web session may carry an SSO principal; sign-ins under way (sso_logins)

`web_sessions` opened by single sign-on have no token: `token_digest` becomes optional, and such
a session keeps the employee it signed in as, the role and permissions its groups gave, and the
ID token (the hint the provider's sign-out takes). `sso_logins` holds each started sign-in's
state digest, nonce and PKCE verifier until it returns (once) or lapses.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('web_sessions') as batch:
        batch.alter_column('token_digest', existing_type=sa.String(length=64), nullable=True)
        batch.add_column(sa.Column('subject_external_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('role', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('scopes', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('id_token', sa.Text(), nullable=True))
        batch.create_index(
            'ix_web_sessions_subject_external_id', ['subject_external_id'], unique=False
        )
    op.create_table('sso_logins',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('code_verifier', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('digest')
    )
    op.create_index(op.f('ix_sso_logins_expires_at'), 'sso_logins', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sso_logins_expires_at'), table_name='sso_logins')
    op.drop_table('sso_logins')
    # Single sign-on sessions have no token to fall back on: they end with the downgrade.
    op.execute("DELETE FROM web_sessions WHERE token_digest IS NULL")
    with op.batch_alter_table('web_sessions') as batch:
        batch.drop_index('ix_web_sessions_subject_external_id')
        batch.drop_column('id_token')
        batch.drop_column('scopes')
        batch.drop_column('role')
        batch.drop_column('subject_external_id')
        batch.alter_column('token_digest', existing_type=sa.String(length=64), nullable=False)

"""a team's own contact plan: contact (silence before a nag) and review cadences per tier, over the CRMBOT_* defaults

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12 10:00:00
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch:
        batch.add_column(sa.Column('contact_plan', storage.types.JSONDict(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch:
        batch.drop_column('contact_plan')

"""inbox rows not handled yet: a partial index (platform, chat, id), so a chat's earlier unhandled message
(per-chat order across replicas) and the inbox sweep cost the same after any number of handled rows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-13 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

RECEIVED = sa.text("status = 'received'")  # as storage/models.py INBOX_RECEIVED


def upgrade() -> None:
    op.create_index('ix_inbox_received', 'inbox', ['platform', 'chat_id', 'id'], unique=False, sqlite_where=RECEIVED, postgresql_where=RECEIVED)


def downgrade() -> None:
    op.drop_index('ix_inbox_received', table_name='inbox')

"""replicas: a team's customer version (the customer index's invalidation), the shared send windows
(platform limits across replicas) and attachments kept in the database (charts)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('team') as batch:
        batch.add_column(sa.Column('customer_version', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('send_window',
    sa.Column('platform', sa.String(), nullable=False),
    sa.Column('bucket', sa.String(), nullable=False),
    sa.Column('stamps', sa.Text(), nullable=False, server_default='[]'),
    sa.Column('blocked_until', sa.Float(), nullable=False, server_default='0'),
    sa.PrimaryKeyConstraint('platform', 'bucket'),
    )
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('content_type', sa.String(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('attachment')
    op.drop_table('send_window')
    with op.batch_alter_table('team') as batch:
        batch.drop_column('customer_version')

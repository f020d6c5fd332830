"""corrections: what users fixed in a note's reading (customer, date, channel…), one row per note

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('interaction_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reference_time', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('parsed', storage.types.JSONDict(), nullable=False),
    sa.Column('corrected', storage.types.JSONDict(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('interaction_id')
    )
    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_customer_id'))
        batch_op.drop_index(batch_op.f('ix_correction_team_id'))
    op.drop_table('correction')

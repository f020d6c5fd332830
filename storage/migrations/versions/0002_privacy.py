"""privacy: customer shares, account codes, contact hashes

phone and email keep their column type: with CRMBOT_ENCRYPTION_KEY set they hold Fernet tokens
(storage/crypto.py); phone_hash/email_hash are keyed hashes for exact lookups.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:31:31.215724
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_code',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('account_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_code_member_id'), ['member_id'], unique=False)

    op.create_table('customer_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_id', 'member_id')
    )
    with op.batch_alter_table('customer_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_share_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_share_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('email_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customer_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_phone_hash'), ['phone_hash'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_customer_email_hash'))
        batch_op.drop_column('email_hash')
        batch_op.drop_column('phone_hash')

    with op.batch_alter_table('customer_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_share_member_id'))
        batch_op.drop_index(batch_op.f('ix_customer_share_customer_id'))

    op.drop_table('customer_share')
    with op.batch_alter_table('account_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_code_member_id'))

    op.drop_table('account_code')

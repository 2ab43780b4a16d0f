"""notifications, sweep records, digest opt-out and calendar-feed token on users

Revision ID: 0003_notifications
Revises: 0002_web_auth
Create Date: 2026-11-23 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_notifications'
down_revision = '0002_web_auth'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_calendar_token_hash'), ['calendar_token_hash'])

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('for_date', sa.Date(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_notification_household_id_household')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_notification_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['recipient_id'], ['user_account.id'], name=op.f('fk_notification_recipient_id_user_account')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_notification_task_id_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('recipient_id', 'kind', 'subject_id', 'for_date', name='uq_notification_key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index('ix_notification_recipient_read', ['recipient_id', 'read_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_task_id'), ['task_id'], unique=False)
        batch_op.create_index('ix_notification_undelivered', ['id'], unique=False, sqlite_where=sa.text('delivered_at IS NULL'), postgresql_where=sa.text('delivered_at IS NULL'))

    op.create_table('sweep_run',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_sweep_run'))
    )

    # The sweep scans unsettled tasks by due date across every municipality.
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_unsettled_due', ['due_date'], unique=False, sqlite_where=sa.text("status IN ('open', 'waiting')"), postgresql_where=sa.text("status IN ('open', 'waiting')"))
        batch_op.create_index('ix_task_unsettled_key_due', ['key', 'due_date'], unique=False, sqlite_where=sa.text("status IN ('open', 'waiting')"), postgresql_where=sa.text("status IN ('open', 'waiting')"))


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_unsettled_key_due')
        batch_op.drop_index('ix_task_unsettled_due')
    op.drop_table('sweep_run')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_undelivered')
        batch_op.drop_index(batch_op.f('ix_notification_task_id'))
        batch_op.drop_index('ix_notification_recipient_read')
        batch_op.drop_index(batch_op.f('ix_notification_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_notification_household_id'))
    op.drop_table('notification')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_account_calendar_token_hash'), type_='unique')
        batch_op.drop_column('calendar_token_hash')
        batch_op.drop_column('digest_enabled')

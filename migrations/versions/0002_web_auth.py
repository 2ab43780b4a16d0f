"""web sign-in: when each user last signed in

Revision ID: 0002_web_auth
Revises: 0001_initial
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_web_auth"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("last_login_at")

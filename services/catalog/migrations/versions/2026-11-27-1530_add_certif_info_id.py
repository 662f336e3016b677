"""Add the Certif Info code of certifications (certif_info_id, unique when set).

Revision ID: 5c2f0e7d9a41
Revises: a57f21b222d9
Create Date: 2026-11-27 15:30:00.000000+00:00

"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "5c2f0e7d9a41"
down_revision: str | Sequence[str] | None = "a57f21b222d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ALTER TABLE and CREATE INDEX, no batch mode: on SQLite a batch rebuild of
    # `certification` would drop the triggers that keep the full-text table in step.
    op.add_column(
        "certification", sa.Column("certif_info_id", sa.BigInteger(), nullable=True)
    )
    op.create_index(
        op.f("ix_certification_certif_info_id"),
        "certification",
        ["certif_info_id"],
        unique=True,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_certification_certif_info_id"), table_name="certification")
    op.drop_column("certification", "certif_info_id")

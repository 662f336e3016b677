"""Create the catalog: certifications, blocks, codes, certifiers, lineage, imports, outbox.

Revision ID: a57f21b222d9
Revises:
Create Date: 2026-11-27 09:22:47.556008+00:00

"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "a57f21b222d9"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "catalog_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_revision")),
    )
    op.create_table(
        "certification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rncp_code", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("abbreviation_code", sa.String(length=100), nullable=True),
        sa.Column("abbreviation_label", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("registration_type", sa.String(length=16), nullable=True),
        sa.Column("fiche_state", sa.String(length=100), nullable=True),
        sa.Column("rncp_active", sa.Boolean(), nullable=False),
        sa.Column("vae_eligible", sa.Boolean(), nullable=False),
        sa.Column("vae_jury_composition", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("delivery_deadline_date", sa.Date(), nullable=True),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("activities", sa.Text(), nullable=True),
        sa.Column("capabilities", sa.Text(), nullable=True),
        sa.Column("sectors", sa.Text(), nullable=True),
        sa.Column("job_types", sa.Text(), nullable=True),
        sa.Column("description_urls", sa.JSON(), nullable=False),
        sa.Column("statistics", sa.JSON(), nullable=False),
        sa.Column("partners", sa.JSON(), nullable=False),
        sa.Column("retention_policy", sa.String(length=16), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=True),
        sa.Column("retention_policy_source", sa.String(length=16), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification")),
        sa.UniqueConstraint("rncp_code", name=op.f("uq_certification_rncp_code")),
    )
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certification_end_date"), ["end_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certification_kind"), ["kind"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certification_level"), ["level"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certification_vae_eligible"), ["vae_eligible"], unique=False
        )

    op.create_table(
        "certifier",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifier")),
    )
    with op.batch_alter_table("certifier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certifier_siret"), ["siret"], unique=False)

    op.create_table(
        "import_job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("active_slot", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=300), nullable=True),
        sa.Column("file_bytes", sa.BigInteger(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("fiches_read", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
        sa.UniqueConstraint("active_slot", name=op.f("uq_import_job_active_slot")),
    )
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_event_pending", ["delivered_at", "next_attempt_at"], unique=False
        )

    op.create_table(
        "block",
        sa.Column("rncp_code", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("competences_text", sa.Text(), nullable=True),
        sa.Column("competences", sa.JSON(), nullable=False),
        sa.Column("evaluation_modalities", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rncp_code"],
            ["certification.rncp_code"],
            name=op.f("fk_block_rncp_code_certification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rncp_code", "code", name=op.f("pk_block")),
    )
    with op.batch_alter_table("block", schema=None) as batch_op:
        batch_op.create_index("ix_block_code", ["code"], unique=False)

    op.create_table(
        "block_correspondence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("declared_by", sa.String(length=16), nullable=False),
        sa.Column("source_block_codes", sa.JSON(), nullable=False),
        sa.Column("destination_rncp_code", sa.String(length=16), nullable=False),
        sa.Column("destination_block_codes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declared_by"],
            ["certification.rncp_code"],
            name=op.f("fk_block_correspondence_declared_by_certification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_correspondence")),
    )
    with op.batch_alter_table("block_correspondence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_block_correspondence_declared_by"),
            ["declared_by"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_block_correspondence_destination_rncp_code"),
            ["destination_rncp_code"],
            unique=False,
        )

    op.create_table(
        "certification_certifier",
        sa.Column("rncp_code", sa.String(length=16), nullable=False),
        sa.Column("certifier_id", sa.Uuid(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certifier_id"],
            ["certifier.id"],
            name=op.f("fk_certification_certifier_certifier_id_certifier"),
        ),
        sa.ForeignKeyConstraint(
            ["rncp_code"],
            ["certification.rncp_code"],
            name=op.f("fk_certification_certifier_rncp_code_certification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "rncp_code", "certifier_id", name=op.f("pk_certification_certifier")
        ),
    )
    with op.batch_alter_table("certification_certifier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certification_certifier_certifier_id"),
            ["certifier_id"],
            unique=False,
        )

    op.create_table(
        "certification_code",
        sa.Column("rncp_code", sa.String(length=16), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["rncp_code"],
            ["certification.rncp_code"],
            name=op.f("fk_certification_code_rncp_code_certification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "rncp_code", "scheme", "code", name=op.f("pk_certification_code")
        ),
    )
    with op.batch_alter_table("certification_code", schema=None) as batch_op:
        batch_op.create_index(
            "ix_certification_code_scheme_code", ["scheme", "code"], unique=False
        )

    op.create_table(
        "lineage_link",
        sa.Column("declared_by", sa.String(length=16), nullable=False),
        sa.Column("previous_code", sa.String(length=16), nullable=False),
        sa.Column("next_code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["declared_by"],
            ["certification.rncp_code"],
            name=op.f("fk_lineage_link_declared_by_certification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "declared_by", "previous_code", "next_code", name=op.f("pk_lineage_link")
        ),
    )
    with op.batch_alter_table("lineage_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lineage_link_next_code"), ["next_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lineage_link_previous_code"), ["previous_code"], unique=False
        )

    _create_search_index()


def downgrade() -> None:
    """Downgrade schema."""
    _drop_search_index()
    with op.batch_alter_table("lineage_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lineage_link_previous_code"))
        batch_op.drop_index(batch_op.f("ix_lineage_link_next_code"))

    op.drop_table("lineage_link")
    with op.batch_alter_table("certification_code", schema=None) as batch_op:
        batch_op.drop_index("ix_certification_code_scheme_code")

    op.drop_table("certification_code")
    with op.batch_alter_table("certification_certifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_certifier_certifier_id"))

    op.drop_table("certification_certifier")
    with op.batch_alter_table("block_correspondence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_block_correspondence_destination_rncp_code"))
        batch_op.drop_index(batch_op.f("ix_block_correspondence_declared_by"))

    op.drop_table("block_correspondence")
    with op.batch_alter_table("block", schema=None) as batch_op:
        batch_op.drop_index("ix_block_code")

    op.drop_table("block")
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_event_pending")

    op.drop_table("outbox_event")
    op.drop_table("import_job")
    with op.batch_alter_table("certifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certifier_siret"))

    op.drop_table("certifier")
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_vae_eligible"))
        batch_op.drop_index(batch_op.f("ix_certification_level"))
        batch_op.drop_index(batch_op.f("ix_certification_kind"))
        batch_op.drop_index(batch_op.f("ix_certification_end_date"))

    op.drop_table("certification")
    op.drop_table("catalog_revision")


def _create_search_index() -> None:
    """French full-text search: PostgreSQL tsvector with unaccent, SQLite FTS5 without diacritics."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute(
            """
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'fr_unaccent'
                             AND cfgnamespace = 'public'::regnamespace) THEN
                CREATE TEXT SEARCH CONFIGURATION public.fr_unaccent (COPY = pg_catalog.french);
                ALTER TEXT SEARCH CONFIGURATION public.fr_unaccent
                  ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, french_stem;
              END IF;
            END $$
            """
        )
        op.execute(
            "ALTER TABLE certification ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('public.fr_unaccent'::regconfig, title), 'A') || "
            "setweight(to_tsvector('public.fr_unaccent'::regconfig, search_text), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_certification_search_vector ON certification USING gin (search_vector)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE certification_fts USING fts5(title, search_text, "
        "content='certification', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER certification_fts_insert AFTER INSERT ON certification BEGIN "
        "INSERT INTO certification_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER certification_fts_delete AFTER DELETE ON certification BEGIN "
        "INSERT INTO certification_fts(certification_fts, rowid, title, search_text) "
        "VALUES ('delete', old.id, old.title, old.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER certification_fts_update AFTER UPDATE OF title, search_text ON certification BEGIN "
        "INSERT INTO certification_fts(certification_fts, rowid, title, search_text) "
        "VALUES ('delete', old.id, old.title, old.search_text); "
        "INSERT INTO certification_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text); END"
    )


def _drop_search_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_certification_search_vector")
        op.execute("ALTER TABLE certification DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS public.fr_unaccent")
        return
    for trigger in ("certification_fts_insert", "certification_fts_delete", "certification_fts_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS certification_fts")

"""A person's data imports (Mastodon's CSV files): one row per import with its progress, and one row per
CSV line, so an import that a restart interrupts carries on where it stopped."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class AccountImport(Entity):
    """An uploaded CSV being applied in the background, with its progress"""

    account = fields.ForeignKeyField("models.Account", related_name="imports", on_delete=fields.CASCADE)
    kind = fields.CharField(
        max_length=16
    )  # following | blocking | muting | domain_blocking | bookmarks | lists
    mode = fields.CharField(max_length=16)  # merge | overwrite
    state = fields.CharField(max_length=16, default="running")  # running | finished
    filename = fields.CharField(max_length=255, default="")
    total_items = fields.IntField(default=0)
    processed_items = fields.IntField(default=0)
    imported_items = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_imports"
        indexes = (("state", "id"),)


class AccountImportRow(Entity):
    """One line of an import: what it asks for, and once applied what it came to"""

    account_import = fields.ForeignKeyField(
        "models.AccountImport", related_name="rows", on_delete=fields.CASCADE
    )
    data = fields.JSONField()
    state = fields.CharField(max_length=16, default="pending")  # pending | imported | failed
    result_id = fields.BigIntField(null=True)  # the account, status or list row it resolved to
    error = fields.CharField(max_length=255, default="")

    class Meta:
        table = "account_import_rows"
        indexes = (("account_import_id", "state"),)


class AccountArchive(Entity):
    """A requested archive of one's account (a zip of AS2 documents and media), built in the background"""

    account = fields.ForeignKeyField("models.Account", related_name="archives", on_delete=fields.CASCADE)
    state = fields.CharField(max_length=16, default="pending")  # pending | ready | failed | expired
    file_path = fields.CharField(max_length=512, default="")  # under the data folder's archives/
    file_size = fields.BigIntField(default=0)
    total_items = fields.IntField(default=0)  # statuses to write, for the progress shown
    processed_items = fields.IntField(default=0)
    error = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_archives"
        indexes = (("account_id", "created_at"), ("state", "id"))

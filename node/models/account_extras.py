"""What an account keeps about other accounts and servers for itself: private notes, endorsements (featured
profiles) and blocked domains."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class AccountNote(Entity):
    """A private note an account keeps on another (shown only to its writer, in the Relationship)"""

    account = fields.ForeignKeyField("models.Account", related_name="notes_written", on_delete=fields.CASCADE)
    target_account = fields.ForeignKeyField(
        "models.Account", related_name="notes_about", on_delete=fields.CASCADE
    )
    comment = fields.TextField(default="")

    class Meta:
        table = "account_notes"
        unique_together = (("account", "target_account"),)


class AccountPin(Entity):
    """An endorsement: a followed account featured on the endorser's profile"""

    account = fields.ForeignKeyField("models.Account", related_name="endorsements", on_delete=fields.CASCADE)
    target_account = fields.ForeignKeyField(
        "models.Account", related_name="endorsed_by", on_delete=fields.CASCADE
    )

    class Meta:
        table = "account_pins"
        unique_together = (("account", "target_account"),)


class AccountDomainBlock(Entity):
    """A server one account does not want to hear from (a user-level domain block)"""

    account = fields.ForeignKeyField("models.Account", related_name="domain_blocks", on_delete=fields.CASCADE)
    domain = fields.CharField(max_length=255)

    class Meta:
        table = "account_domain_blocks"
        unique_together = (("account", "domain"),)


class SuggestionDismissal(Entity):
    """An account someone asked not to be suggested to follow again"""

    account = fields.ForeignKeyField(
        "models.Account", related_name="dismissed_suggestions", on_delete=fields.CASCADE
    )
    target_account = fields.ForeignKeyField(
        "models.Account", related_name="dismissed_by", on_delete=fields.CASCADE
    )

    class Meta:
        table = "suggestion_dismissals"
        unique_together = (("account", "target_account"),)

"""What admins block at the door: e-mail addresses by their canonical hash, e-mail domains, and IP ranges
(Mastodon's CanonicalEmailBlock, EmailDomainBlock and IpBlock)."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

IP_SEVERITIES = ("sign_up_requires_approval", "sign_up_block", "no_access")


class CanonicalEmailBlock(Entity):
    """An e-mail address nobody may sign up with, stored as the SHA-256 of its canonical form"""

    canonical_email_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "canonical_email_blocks"


class IpBlock(Entity):
    """An address or range (CIDR) and what it may no longer do, until an optional expiry"""

    ip = fields.CharField(max_length=49)
    severity = fields.CharField(max_length=32)
    comment = fields.CharField(max_length=1000, default="")
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ip_blocks"


class EmailDomainBlock(Entity):
    """An e-mail domain (and its subdomains) nobody may sign up with"""

    domain = fields.CharField(max_length=253, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "email_domain_blocks"

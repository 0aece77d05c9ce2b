"""Mastodon's Admin::Account, Admin::CanonicalEmailBlock and Admin::IpBlock entities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...models import Account, CanonicalEmailBlock, EmailDomainBlock, IpBlock, User
from ...runtime import Node
from .accounts import account_entity
from .common import iso

# Mastodon's role objects: the admin role (every permission) and the everyone role.
ADMIN_ROLE = {"id": "3", "name": "Admin", "color": "", "permissions": "1048575", "highlighted": True}
EVERYONE_ROLE = {"id": "-99", "name": "", "color": "", "permissions": "65536", "highlighted": False}


async def admin_account_entities(node: Node, accounts: Sequence[Account]) -> list[dict[str, Any]]:
    users = {u.account_id: u for u in await User.filter(account_id__in=[a.id for a in accounts])}
    return [admin_account_entity(node, a, users.get(a.id)) for a in accounts]


def admin_account_entity(node: Node, account: Account, user: User | None) -> dict[str, Any]:
    ip = user.sign_up_ip if user is not None and user.sign_up_ip else None
    return {
        "id": str(account.id), "username": account.username, "domain": account.domain or None,
        "created_at": iso(account.created_at), "email": user.email if user else None, "ip": ip,
        "ips": [{"ip": ip, "used_at": iso(user.created_at)}] if ip and user else [],
        "locale": user.locale if user else None,
        "invite_request": (user.sign_up_reason or None) if user else None,
        "role": (ADMIN_ROLE if user.admin else EVERYONE_ROLE) if user else None,
        "confirmed": user.email_confirmed if user else True, "approved": user.approved if user else True,
        "disabled": user.disabled if user else False, "silenced": account.silenced_at is not None,
        "suspended": account.suspended_at is not None, "sensitized": account.sensitized_at is not None,
        "account": account_entity(node, account), "created_by_application_id": None, "invited_by_account_id": None,
    }


def email_block_entity(block: CanonicalEmailBlock) -> dict[str, Any]:
    return {"id": str(block.id), "canonical_email_hash": block.canonical_email_hash}


def ip_block_entity(block: IpBlock) -> dict[str, Any]:
    return {"id": str(block.id), "ip": block.ip, "severity": block.severity, "comment": block.comment,
            "created_at": iso(block.created_at), "expires_at": iso(block.expires_at)}


def email_domain_block_entity(block: EmailDomainBlock, history: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": str(block.id), "domain": block.domain, "created_at": iso(block.created_at), "history": history}

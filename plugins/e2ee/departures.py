"""A local account that deletes itself takes its messaging with it: its devices (public keys, one-time keys,
queued ciphertext), its encrypted attachments (rows and files), its presence and contacts, and its place in
groups (it leaves each, so the others rotate; a group it owned is dissolved, as nobody else may manage it).
Runs on the core's `account.deleted` event; whatever a crash leaves behind still goes with the 30-day
retention of ciphertext and blobs."""

from __future__ import annotations

from node.plugin_api import AccountInfo, NodeApi

from . import attachments, groups
from .errors import E2EEError
from .models import Attachment, Contact, Device, Group, GroupMember, Presence


async def forget_account(api: NodeApi, account: AccountInfo) -> None:
    if not account.local:
        return
    blobs = list(await Attachment.filter(owner_id=account.id).values_list("blob_id", flat=True))
    await Attachment.filter(owner_id=account.id).delete()
    for blob_id in blobs:
        attachments.blob_path(api, blob_id).unlink(missing_ok=True)
    await Device.filter(account_id=account.id, local=True).delete()  # one-time keys and envelopes cascade
    for group in await Group.filter(members__account_id=account.id).distinct():
        if group.local and group.owner_id == account.id:
            await GroupMember.filter(group=group).delete()
            await group.delete()
            continue
        try:
            await groups.remove_member(api, account, group, account.id)
        except E2EEError:  # gone meanwhile
            continue
    await Contact.filter(account_id=account.id).delete()
    await Presence.filter(account_id=account.id).delete()

"""The E2EE plugin's tables: devices and their public keys, one-time keys, queued ciphertext envelopes,
groups and their members, the remote accounts each local account exchanges messages with, and the
ciphertext of encrypted attachments."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Device(Model):
    """One device of an account (local or a cached copy of a remote one) with its public keys only."""

    id = fields.IntField(primary_key=True)
    account_id = fields.BigIntField(db_index=True)  # an id, not a foreign key into the core's tables
    local = fields.BooleanField(default=True)
    device_id = fields.CharField(max_length=64)
    name = fields.CharField(max_length=128, default="")
    identity_key = fields.CharField(max_length=64)  # Curve25519, unpadded base64
    fingerprint_key = fields.CharField(max_length=64)  # Ed25519, unpadded base64
    algorithms = fields.JSONField(default=list)
    signature = fields.CharField(max_length=128, default="")  # Ed25519 over the canonical device object
    token_digest = fields.CharField(max_length=64, null=True, db_index=True)  # the access token it is bound to
    claim_url = fields.CharField(max_length=1024, default="")  # remote devices: where one-time keys are claimed
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "e2ee_devices"
        unique_together = (("account_id", "device_id"),)


class OneTimeKey(Model):
    """A Curve25519 one-time key of a local device, handed out once (the fallback key is handed out when none
    is left and stays until replaced)."""

    id = fields.IntField(primary_key=True)
    device = fields.ForeignKeyField("e2ee.Device", related_name="one_time_keys", on_delete=fields.CASCADE)
    key_id = fields.CharField(max_length=64)
    key = fields.CharField(max_length=64)
    signature = fields.CharField(max_length=128, default="")
    fallback = fields.BooleanField(default=False)

    class Meta:
        table = "e2ee_one_time_keys"
        unique_together = (("device", "key_id", "fallback"),)  # fallback key ids are their own series


class Envelope(Model):
    """Ciphertext waiting for one local device: read by cursor, deleted when acknowledged, after 30 days, or
    at its disappearing-message expiry."""

    id = fields.BigIntField(primary_key=True)
    device = fields.ForeignKeyField("e2ee.Device", related_name="envelopes", on_delete=fields.CASCADE)
    message_uri = fields.CharField(max_length=512)  # the sender's id for the message: de-duplicates redeliveries
    from_account_id = fields.BigIntField()
    from_device_id = fields.CharField(max_length=64)
    type = fields.IntField()  # 0 Olm pre-key, 1 Olm, 2 Megolm
    body = fields.TextField()
    digest = fields.CharField(max_length=128, default="")
    group_id = fields.IntField(null=True)
    activity_uri = fields.CharField(max_length=512, null=True)  # the federated batch it came in or went out with
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "e2ee_envelopes"
        unique_together = (("device", "message_uri"),)


class SentBatch(Model):
    """A federated batch of ciphertext this node sent or received with an expiry, remembered until then so
    every stored copy can be forgotten (received envelopes are deleted once read, their batch stays)."""

    id = fields.IntField(primary_key=True)
    activity_uri = fields.CharField(max_length=512, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "e2ee_sent_batches"


class Group(Model):
    """An encrypted group: authoritative on its owner's node, a replica elsewhere. `epoch` grows whenever a
    member leaves, telling senders to rotate their Megolm session."""

    id = fields.IntField(primary_key=True)
    uri = fields.CharField(max_length=512, unique=True)
    owner_id = fields.BigIntField()
    local = fields.BooleanField(default=True)
    name = fields.CharField(max_length=128, default="")
    epoch = fields.IntField(default=0)
    rotate_after_messages = fields.IntField(default=100)
    rotate_after_seconds = fields.IntField(default=7 * 24 * 3600)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "e2ee_groups"


class GroupMember(Model):
    """A member of a group, since the epoch they joined in."""

    id = fields.IntField(primary_key=True)
    group = fields.ForeignKeyField("e2ee.Group", related_name="members", on_delete=fields.CASCADE)
    account_id = fields.BigIntField(db_index=True)
    joined_epoch = fields.IntField(default=0)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "e2ee_group_members"
        unique_together = (("group", "account_id"),)


class Contact(Model):
    """An account a local account exchanged ciphertext with: a remote one's server hears of device-list
    changes, and both see each other's presence when they share it."""

    id = fields.IntField(primary_key=True)
    account_id = fields.BigIntField()
    remote_account_id = fields.BigIntField()

    class Meta:
        table = "e2ee_contacts"
        unique_together = (("account_id", "remote_account_id"),)


class Attachment(Model):
    """The ciphertext of one encrypted attachment, kept on its uploader's node only (other nodes relay it to
    their members on demand and keep no copy), readable by the conversation it was uploaded for, deleted
    with its file at `expires_at` (the message's disappearing time, else 30 days)."""

    id = fields.BigIntField(primary_key=True)
    blob_id = fields.CharField(max_length=64, unique=True)  # random: the blob's name in URLs and on disk
    owner_id = fields.BigIntField(db_index=True)  # the local account that uploaded it (its quota)
    account_id = fields.BigIntField(null=True)  # a 1:1 conversation: the other person
    group_id = fields.IntField(null=True, db_index=True)  # a group conversation (its members may read)
    size = fields.BigIntField()  # ciphertext bytes
    sha256 = fields.CharField(max_length=64)  # of the ciphertext, unpadded base64 (as Matrix's `hashes`)
    created_at = fields.DatetimeField()  # the node's clock, not the database's: expiry is tested on it
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "e2ee_attachments"

class Presence(Model):
    """Who may see an account's presence, and when it was last seen: the only presence that is stored. Whether
    someone is online right now lives in memory (open streams here, announcements from other servers)."""

    id = fields.IntField(primary_key=True)
    account_id = fields.BigIntField(unique=True)  # a local account (its setting) or a remote one (last seen)
    share = fields.CharField(max_length=16, default="contacts")  # "contacts" (everyone I chat with) or "nobody"
    last_seen_at = fields.DatetimeField(null=True)

    class Meta:
        table = "e2ee_presence"

"""The E2EE client: one device of one account. It registers the device's keys, checks every key the server
hands it (signatures, no weak keys, pinned devices), keeps Olm sessions with other devices, shares and
rotates Megolm group sessions, encrypts and decrypts messages, and refuses replays and messages meant for
another conversation. All cryptography goes through a CryptoBackend."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .. import signing
from . import attachments
from .api import ApiError, NodeClient
from .backend import (
    CryptoBackend,
    CryptoError,
    InboundGroupSession,
    OlmAccount,
    OlmSession,
    OutboundGroupSession,
)
from .backend import load_backend as _load_backend
from .messages import Message, dm_conversation, dm_participants

ONE_TIME_KEYS = 20
PAGE = 80
MAX_DELIVERY = 2000
# The node reads JSON bodies of up to 1 MiB: a delivery request stays under it (ciphertext plus ~200 bytes of
# JSON around each envelope), so a key share with thousands of devices goes out in several requests.
DELIVERY_BYTES = 900 * 1024
NOTIFYING = ("text", "attachment")  # the kinds a recipient is notified of; receipts, keys, edits and timers are silent


def delivery_batches(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Envelopes split into requests of at most MAX_DELIVERY items and DELIVERY_BYTES."""
    batches: list[list[dict[str, Any]]] = []
    size = 0
    for item in items:
        weight = len(item["body"]) + 200
        if not batches or len(batches[-1]) == MAX_DELIVERY or size + weight > DELIVERY_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += weight
    return batches


class Refused(Exception):
    """Something the server (or a sender) handed us failed a check: a bad signature, a weak key, a changed
    device, a message for another conversation."""


@dataclass
class TrustedDevice:
    account_id: str
    account_uri: str
    device_id: str
    identity_key: str
    fingerprint_key: str


@dataclass
class Outbound:
    session: OutboundGroupSession
    group_uri: str
    epoch: int
    created: float
    sent: int = 0
    shared: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Inbound:
    session: InboundGroupSession
    group_uri: str
    sender_account_id: str
    sender_device: str
    sender_key: str


class E2EEClient:
    """One device. `await setup()` once, then send/receive; `refused` records what failed a check."""

    def __init__(self, api: NodeClient, backend: CryptoBackend | str = "vodozemac", *,
                 device_id: str | None = None, device_name: str = "") -> None:
        self.api = api
        self.backend = _load_backend(backend) if isinstance(backend, str) else backend
        self.device_id = device_id or uuid.uuid4().hex[:16]
        self.device_name = device_name or f"entativa-{self.backend.name}"
        self.account: OlmAccount | None = None
        self.me: dict[str, Any] = {}
        self.my_uri = ""
        self.sessions: dict[tuple[str, str], list[OlmSession]] = {}
        self.pinned: dict[tuple[str, str], tuple[str, str]] = {}  # (account, device) -> keys first seen
        self.account_uris: dict[str, str] = {}
        self.outbound: dict[str, Outbound] = {}
        self.inbound: dict[str, Inbound] = {}
        self.seen_megolm: set[tuple[str, int]] = set()
        self.seen_ids: set[str] = set()
        self.pending: list[dict[str, Any]] = []
        self.timers: dict[str, int] = {}  # conversation -> disappearing seconds
        self.refused: list[str] = []
        self.cursor = 0
        self._seq = 0

    # ---- set-up ----------------------------------------------------------------------------------------------

    @property
    def my_id(self) -> str:
        return str(self.me["id"])

    async def setup(self, one_time_keys: int = ONE_TIME_KEYS) -> None:
        """Make this device's keys and publish them: the signed device, one-time keys and a fallback key."""
        self.me = await self.api.me()
        mine = await self.api.query_keys([self.my_id])
        self.my_uri = mine[0]["account_uri"]
        self.account = self.backend.new_account()
        identity, fingerprint = self.account.identity_key, self.account.fingerprint_key
        device = signing.device_object(self.my_uri, self.device_id, identity, fingerprint, signing.ALGORITHMS)
        body = {"device": {"device_id": self.device_id, "name": self.device_name, "identity_key": identity,
                           "fingerprint_key": fingerprint, "algorithms": list(signing.ALGORITHMS),
                           "signature": self.account.sign(signing.canonical_json(device))},
                "one_time_keys": self._signed_keys(one_time_keys)}
        key_id, key = self.account.generate_fallback_key()
        body["fallback_key"] = {"key_id": key_id, "key": key, "signature": self.account.sign(
            signing.canonical_json(signing.one_time_key_object(key, fallback=True)))}
        await self.api.upload_keys(body)
        self.account.mark_published()

    def _signed_keys(self, count: int) -> list[dict[str, str]]:
        assert self.account is not None
        keys = self.account.generate_one_time_keys(count)
        return [{"key_id": key_id, "key": key,
                 "signature": self.account.sign(signing.canonical_json(signing.one_time_key_object(key)))}
                for key_id, key in keys.items()]

    async def replenish(self, low: int = ONE_TIME_KEYS // 2) -> int:
        """Upload fresh one-time keys when fewer than `low` are left on the server."""
        left = (await self.api.key_count())["one_time_keys"]
        if left >= low:
            return 0
        keys = self._signed_keys(ONE_TIME_KEYS - left)
        await self.api.upload_keys({"device": {}, "one_time_keys": keys})
        assert self.account is not None
        self.account.mark_published()
        return len(keys)

    # ---- devices we trust --------------------------------------------------------------------------------

    def _refuse(self, reason: str) -> None:
        self.refused.append(reason)

    def _check_device(self, account_id: str, account_uri: str, d: dict[str, Any]) -> TrustedDevice | None:
        label = f"device {d.get('device_id')} of account {account_id}"
        try:
            signing.check_curve25519(d["identity_key"])
            signing.check_ed25519(d["fingerprint_key"])
            signing.check_signature(d.get("signature") or "")
            signed = signing.device_object(account_uri, d["device_id"], d["identity_key"], d["fingerprint_key"],
                                           d.get("algorithms") or [])
            self.backend.verify(d["fingerprint_key"], signing.canonical_json(signed), d["signature"])
        except (KeyError, signing.KeyRefused, CryptoError) as exc:
            self._refuse(f"{label}: {exc}")
            return None
        keys = (d["identity_key"], d["fingerprint_key"])
        pinned = self.pinned.setdefault((account_id, d["device_id"]), keys)
        if pinned != keys:
            self._refuse(f"{label}: its keys changed since we first saw it")
            return None
        return TrustedDevice(account_id, account_uri, d["device_id"], *keys)

    async def devices_of(self, account_ids: list[str]) -> dict[str, list[TrustedDevice]]:
        """The devices of these accounts that pass every check (the others are in `refused`)."""
        found: dict[str, list[TrustedDevice]] = {str(a): [] for a in account_ids}
        for start in range(0, len(account_ids), 500):
            for result in await self.api.query_keys([str(a) for a in account_ids[start:start + 500]]):
                account_id = str(result["account_id"])
                uri = self.account_uris.setdefault(account_id, result["account_uri"])
                if uri != result["account_uri"]:
                    self._refuse(f"account {account_id} changed its actor URI")
                    continue
                for d in result["devices"]:
                    trusted = self._check_device(account_id, uri, d)
                    if trusted is not None:
                        found[account_id].append(trusted)
        return found

    async def _device(self, account_id: str, device_id: str) -> TrustedDevice | None:
        for d in (await self.devices_of([account_id]))[account_id]:
            if d.device_id == device_id:
                return d
        return None

    # ---- Olm sessions ----------------------------------------------------------------------------------------

    async def _sessions_for(self, devices: list[TrustedDevice]) -> dict[tuple[str, str], OlmSession]:
        """An Olm session with each device, claiming one-time keys for those we have none with."""
        assert self.account is not None
        ready = {(d.account_id, d.device_id): self.sessions[(d.account_id, d.device_id)][0]
                 for d in devices if self.sessions.get((d.account_id, d.device_id))}
        missing = {(d.account_id, d.device_id): d for d in devices if (d.account_id, d.device_id) not in ready}
        wanted = [{"account_id": a, "device_id": dev} for a, dev in missing]
        for start in range(0, len(wanted), MAX_DELIVERY):
            for claimed in await self.api.claim_keys(wanted[start:start + MAX_DELIVERY]):
                key = (str(claimed["account_id"]), claimed["device_id"])
                device = missing.get(key)
                if device is None or key in ready:
                    continue
                try:
                    signing.check_curve25519(claimed["key"])
                    signing.check_signature(claimed.get("signature") or "")
                    signed = signing.one_time_key_object(claimed["key"], fallback=bool(claimed.get("fallback")))
                    self.backend.verify(device.fingerprint_key, signing.canonical_json(signed), claimed["signature"])
                    session = self.account.create_outbound(device.identity_key, claimed["key"])
                except (KeyError, signing.KeyRefused, CryptoError) as exc:
                    self._refuse(f"one-time key of device {key[1]} of account {key[0]}: {exc}")
                    continue
                self.sessions.setdefault(key, []).insert(0, session)
                ready[key] = session
        return ready

    def _inner(self, kind: str, conversation_id: str, content: dict[str, Any]) -> dict[str, Any]:
        assert self.account is not None
        self._seq += 1
        return {"type": kind, "conversation_id": conversation_id, "id": uuid.uuid4().hex, "sender": self.my_uri,
                "sender_device": self.device_id, "sender_key": self.account.fingerprint_key, "sent_at": time.time(),
                "seq": self._seq, **content}

    async def _to_devices(self, devices: list[TrustedDevice], inner: dict[str, Any],
                          expires_in: int | None = None) -> set[tuple[str, str]]:
        """Encrypt `inner` for each device we can reach safely and deliver; returns the (account, device)
        pairs it went to."""
        sessions = await self._sessions_for(devices)
        items = []
        for d in devices:
            session = sessions.get((d.account_id, d.device_id))
            if session is None:
                continue
            plaintext = {**inner, "recipient": {"account": d.account_uri, "device_id": d.device_id,
                                                "key": d.fingerprint_key}}
            kind, body = session.encrypt(signing.canonical_json(plaintext))
            items.append({"account_id": d.account_id, "device_id": d.device_id, "type": kind, "body": body,
                          "message_id": f"{inner['id'][:40]}-{len(items)}"})
            if inner["type"] in NOTIFYING and d.account_id != self.my_id:
                items[-1]["notify"] = True  # "New message from ..." for them (the node never sees the text)
        for batch in delivery_batches(items):
            await self.api.deliver(batch, expires_in)
        return {(i["account_id"], i["device_id"]) for i in items}

    async def send(self, account_id: str, kind: str = "text", **content: Any) -> str:
        """Send one message to every device of `account_id` and to our own other devices; returns its id."""
        account_id = str(account_id)
        found = await self.devices_of([account_id, self.my_id])
        theirs = found[account_id]
        if not theirs:
            raise Refused(f"account {account_id} has no device we can trust")
        mine = [d for d in found[self.my_id] if d.device_id != self.device_id]
        conversation = dm_conversation(self.my_uri, self.account_uris[account_id])
        if kind == "timer":
            self.timers[conversation] = int(content.get("seconds") or 0)
        inner = self._inner(kind, conversation, content)
        expires = self.timers.get(conversation) or None
        reached = await self._to_devices(theirs + mine, inner, expires)
        if not any((d.account_id, d.device_id) in reached for d in theirs):
            raise Refused(f"no device of account {account_id} could be reached safely (see refused)")
        return inner["id"]

    async def send_text(self, account_id: str, text: str) -> str:
        return await self.send(account_id, "text", text=text)

    # ---- attachments -----------------------------------------------------------------------------------------

    async def _encrypted_file(self, data: bytes, name: str, mimetype: str | None, *, account_id: str | None = None,
                              group_id: str | None = None, expires_in: int | None = None) -> dict[str, Any]:
        """Encrypt `data` with a fresh key, upload the ciphertext, and return the message content that
        carries the key (the node only ever sees the ciphertext)."""
        ciphertext, file = attachments.encrypt(data)
        stored = await self.api.upload_attachment(ciphertext, file["hashes"]["sha256"], account_id=account_id,
                                                  group_id=group_id, expires_in=expires_in)
        mimetype = mimetype or attachments.guess_type(name)
        return {"name": name, "mimetype": mimetype, "size": len(data), "media": attachments.kind_of(mimetype),
                "file": {**file, "url": stored["url"]}}

    async def send_file(self, account_id: str, data: bytes, name: str, mimetype: str | None = None,
                        text: str = "") -> str:
        """Send a file to a 1:1 conversation (encrypted, uploaded, its key inside the message)."""
        account_id = str(account_id)
        await self.devices_of([account_id])
        conversation = dm_conversation(self.my_uri, self.account_uris[account_id])
        content = await self._encrypted_file(data, name, mimetype, account_id=account_id,
                                             expires_in=self.timers.get(conversation) or None)
        return await self.send(account_id, "attachment", **content, **({"text": text} if text else {}))

    async def send_group_file(self, group_id: str, data: bytes, name: str, mimetype: str | None = None) -> str:
        group = await self.api.group(str(group_id))
        content = await self._encrypted_file(data, name, mimetype, group_id=str(group_id),
                                             expires_in=self.timers.get(group["uri"]) or None)
        return await self.send_group(str(group_id), "attachment", **content)

    async def download(self, message: Message, part: str = "file") -> bytes:
        """The plaintext of an attachment message (`part` "thumbnail" for its thumbnail), after checking the
        downloaded ciphertext against the hash the message carried; AttachmentRefused if it does not match."""
        file = message.content.get(part) if part == "file" else (message.content.get(part) or {}).get("file")
        if not isinstance(file, dict) or not isinstance(file.get("url"), str):
            raise attachments.AttachmentRefused(f"the message has no {part}")
        return attachments.decrypt(await self.api.download_attachment(file["url"]), file)

    # ---- receiving -------------------------------------------------------------------------------------------

    async def receive(self) -> list[Message]:
        """Read, decrypt and acknowledge everything queued for this device; returns the messages in the order
        they were sent (per sender), replays and refused ones left out."""
        out: list[Message] = []
        while True:
            page = sorted(await self.api.messages(self.cursor, PAGE), key=lambda e: int(e["id"]))
            if not page:
                break
            for envelope in page:
                message = await self._open(envelope)
                if message is not None:
                    out.append(message)
            self.cursor = int(page[-1]["id"])
            await self.api.clear(self.cursor)
            if len(page) < PAGE:
                break
        waiting, self.pending = self.pending, []
        for envelope in waiting:
            message = await self._open(envelope)
            if message is not None:
                out.append(message)
        out.sort(key=lambda m: (m.sent_at, m.sender, m.content.get("seq", 0)))
        return [m for m in out if m.type != "room_key"]

    async def _open(self, envelope: dict[str, Any]) -> Message | None:
        try:
            if int(envelope["type"]) == 2:
                return await self._open_group(envelope)
            return await self._open_olm(envelope)
        except Refused as exc:
            self._refuse(f"message {envelope.get('id')}: {exc}")
            return None

    async def _open_olm(self, envelope: dict[str, Any]) -> Message | None:
        assert self.account is not None
        sender_id, device_id = str(envelope["account_id"]), envelope["device_id"]
        device = await self._device(sender_id, device_id)
        if device is None:
            raise Refused("from a device we cannot trust")
        kind, body = int(envelope["type"]), envelope["body"]
        sessions = self.sessions.setdefault((sender_id, device_id), [])
        plaintext = None
        for session in list(sessions):
            if kind == 0 and not session.matches(body, device.identity_key):
                continue
            try:
                plaintext = session.decrypt(kind, body)
                sessions.remove(session)
                sessions.insert(0, session)  # the session they last used is the one we answer on
                break
            except CryptoError:
                continue
        if plaintext is None:
            if kind != 0:
                raise Refused("no session decrypts it (a replay, or not for this device)")
            try:
                session, plaintext = self.account.create_inbound(device.identity_key, body)
            except CryptoError as exc:
                raise Refused(f"cannot start a session: {exc}") from None
            sessions.insert(0, session)
        inner = self._parse(plaintext)
        recipient = inner.get("recipient") or {}
        if recipient.get("key") != self.account.fingerprint_key or recipient.get("device_id") != self.device_id:
            raise Refused("it was encrypted for another device")
        if inner.get("sender_key") != device.fingerprint_key or inner.get("sender") != device.account_uri:
            raise Refused("its sender is not the device that sent it")
        if inner["id"] in self.seen_ids:
            return None
        if inner["type"] == "room_key":
            await self._accept_room_key(inner, device)
            self.seen_ids.add(inner["id"])
            return None
        participants = dm_participants(inner["conversation_id"])
        if self.my_uri not in participants or device.account_uri not in participants:
            raise Refused("it belongs to another conversation")
        self.seen_ids.add(inner["id"])
        if inner["type"] == "timer":
            self.timers[inner["conversation_id"]] = int(inner.get("seconds") or 0)
        return self._message(inner, envelope, None)

    @staticmethod
    def _parse(plaintext: bytes) -> dict[str, Any]:
        try:
            inner = json.loads(plaintext)
        except ValueError:
            raise Refused("its plaintext is not JSON") from None
        if not isinstance(inner, dict) or not all(isinstance(inner.get(k), str)
                                                  for k in ("type", "conversation_id", "id", "sender")):
            raise Refused("its plaintext lacks type, conversation_id, id or sender")
        return inner

    def _message(self, inner: dict[str, Any], envelope: dict[str, Any], group_uri: str | None) -> Message:
        reserved = {"type", "conversation_id", "id", "sender", "sender_device", "sender_key", "sent_at",
                    "recipient"}
        return Message(type=inner["type"], conversation_id=inner["conversation_id"], id=inner["id"],
                       sender=inner["sender"], sender_account_id=str(envelope["account_id"]),
                       sender_device=envelope["device_id"], sent_at=float(inner.get("sent_at") or 0),
                       content={k: v for k, v in inner.items() if k not in reserved}, group_uri=group_uri,
                       envelope_id=str(envelope["id"]))

    # ---- groups ----------------------------------------------------------------------------------------------

    async def _accept_room_key(self, inner: dict[str, Any], device: TrustedDevice) -> None:
        group_uri = inner["conversation_id"]
        group = next((g for g in await self.api.groups() if g["uri"] == group_uri), None)
        if group is None:
            raise Refused("a group key for a group we are not in")
        # A member who left since sharing the key is fine for what they sent before (an older epoch).
        member = device.account_id in {m["account_id"] for m in group["members"]}
        if not member and int(inner.get("epoch", group["epoch"])) >= group["epoch"]:
            raise Refused("a group key from someone outside the group")
        try:
            session = self.backend.new_inbound_group(inner["session_key"])
        except (KeyError, CryptoError) as exc:
            raise Refused(f"a bad group key: {exc}") from None
        if session.session_id != inner.get("session_id"):
            raise Refused("a group key whose session id does not match")
        self.inbound[session.session_id] = Inbound(session, group_uri, device.account_id, device.device_id,
                                                   device.fingerprint_key)

    async def _open_group(self, envelope: dict[str, Any]) -> Message | None:
        sender_id, device_id = str(envelope["account_id"]), envelope["device_id"]
        candidates = [i for i in self.inbound.values()
                      if i.sender_account_id == sender_id and i.sender_device == device_id]
        for inbound in candidates:
            try:
                plaintext, index = inbound.session.decrypt(envelope["body"])
            except CryptoError:
                continue
            if inbound.group_uri != envelope.get("group_uri"):
                raise Refused("a group message delivered as another group's")
            if (inbound.session.session_id, index) in self.seen_megolm:
                return None  # a replay: shown once only
            inner = self._parse(plaintext)
            if inner["conversation_id"] != inbound.group_uri or inner.get("sender_key") != inbound.sender_key:
                raise Refused("it belongs to another conversation")
            self.seen_megolm.add((inbound.session.session_id, index))
            if inner["type"] == "timer":
                self.timers[inbound.group_uri] = int(inner.get("seconds") or 0)
            return self._message(inner, envelope, inbound.group_uri)
        # The key may still be on its way (it travels separately): try again on the next receive.
        envelope["_tries"] = envelope.get("_tries", 0) + 1
        if envelope["_tries"] <= 5:
            self.pending.append(envelope)
        else:
            self._refuse(f"message {envelope.get('id')}: no group key decrypts it")
        return None

    async def create_group(self, account_ids: list[str], **policy: Any) -> dict[str, Any]:
        return await self.api.create_group([str(a) for a in account_ids], **policy)

    async def send_group(self, group_id: str, kind: str = "text", **content: Any) -> str:
        """Encrypt once with our Megolm session (rotating it when the server's epoch moved, or after the
        group's message count or time), share the key with member devices that lack it, and send."""
        for attempt in range(2):
            group = await self.api.group(str(group_id))
            outbound = await self._ready_outbound(group, force=attempt > 0)
            if kind == "timer":
                self.timers[group["uri"]] = int(content.get("seconds") or 0)
            inner = self._inner(kind, group["uri"], content)
            body = outbound.session.encrypt(signing.canonical_json(inner))
            request = {"body": body, "epoch": outbound.epoch, "message_id": inner["id"], "notify": kind in NOTIFYING}
            if self.timers.get(group["uri"]):
                request["expires_in"] = self.timers[group["uri"]]
            try:
                await self.api.group_message(str(group_id), request)
            except ApiError as exc:
                if exc.status == 409 and attempt == 0:
                    continue  # the epoch moved while we were sharing: rotate and send again
                raise
            outbound.sent += 1
            return inner["id"]
        raise AssertionError("unreachable")

    async def _ready_outbound(self, group: dict[str, Any], *, force: bool = False) -> Outbound:
        uri = group["uri"]
        rotation = group["rotation"]
        current = self.outbound.get(uri)
        rotate = force or current is None or current.epoch != group["epoch"] \
            or current.sent >= rotation["messages"] or time.time() - current.created >= rotation["seconds"]
        if rotate:
            session = self.backend.new_outbound_group()
            current = self.outbound[uri] = Outbound(session, uri, group["epoch"], time.time())
            assert self.account is not None
            own = self.backend.new_inbound_group(session.session_key)
            self.inbound[own.session_id] = Inbound(own, uri, self.my_id, self.device_id, self.account.fingerprint_key)
        assert current is not None
        members = [m["account_id"] for m in group["members"]]
        found = await self.devices_of(members)
        devices = [d for ds in found.values() for d in ds
                   if not (d.account_id == self.my_id and d.device_id == self.device_id)
                   and (d.account_id, d.device_id) not in current.shared]
        if devices:
            key = {"session_id": current.session.session_id, "session_key": current.session.session_key,
                   "epoch": current.epoch}
            await self._to_devices(devices, self._inner("room_key", uri, key))
            current.shared.update((d.account_id, d.device_id) for d in devices)
        return current

    # ---- ephemeral -------------------------------------------------------------------------------------------

    async def typing(self, account_id: str, typing: bool = True) -> None:
        conversation = dm_conversation(self.my_uri, self.account_uris.get(str(account_id), str(account_id)))
        await self.api.typing(str(account_id), conversation, typing)

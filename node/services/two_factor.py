"""Two-factor sign-in with TOTP (RFC 6238, as authenticator apps and Mastodon do it) and one-time recovery
codes.

Setting up stores a secret that counts only once a code from it is confirmed; then ten recovery codes are
shown once and kept as argon2 hashes, like passwords. Codes are read against the node's clock, a TOTP
time step is accepted once, and wrong codes are throttled with the same back-off as wrong passwords."""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from tortoise.transactions import in_transaction

from ..errors import BadRequest, TooManyRequests, Unauthorized
from ..models import User
from ..runtime import Node
from . import auth

RECOVERY_CODES = 10
STEP = 30  # seconds per TOTP code, what every authenticator app assumes
DRIFT_STEPS = 1  # a code from the step before or after is still taken (a phone's clock drifts)


@dataclass(frozen=True)
class Setup:
    """What the set-up page shows: the secret as text and as a QR code (an SVG data: URI, which the
    pages' Content-Security-Policy allows for images)."""

    secret: str
    uri: str
    qr_data_uri: str


def enabled(user: User) -> bool:
    return user.otp_enabled_at is not None and bool(user.otp_secret)


async def begin(node: Node, user: User) -> Setup:
    """A secret to scan (the pending one again on a reload, so a half-done scan still matches)."""
    if enabled(user):
        raise BadRequest("Two-factor sign-in is already on")
    if not user.otp_secret:
        user.otp_secret = pyotp.random_base32()
        await User.filter(id=user.id).update(otp_secret=user.otp_secret)
    uri = pyotp.TOTP(user.otp_secret).provisioning_uri(name=user.email, issuer_name=node.config.node.name)
    return Setup(secret=user.otp_secret, uri=uri, qr_data_uri=segno.make(uri, error="m").svg_data_uri(scale=4))


def _matching_step(node: Node, user: User, code: str) -> int | None:
    """The time step whose code this is, if it is one not used before."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6) or not user.otp_secret:
        return None
    totp = pyotp.TOTP(user.otp_secret)
    now = node.clock.now()
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        moment = now + timedelta(seconds=offset * STEP)
        step = totp.timecode(moment)
        if step > (user.otp_last_step or -1) and hmac.compare_digest(totp.at(moment), code):
            return step
    return None


def _throttled(node: Node, user: User) -> str:
    key = f"otp:{user.id}"
    wait = node.throttles.login_account.wait(key)
    if wait > 0:
        raise TooManyRequests(f"Too many wrong codes: try again in {math.ceil(wait)} seconds", math.ceil(wait))
    return key


async def confirm(node: Node, user: User, code: str) -> list[str]:
    """Turn it on with a first code from the app; returns the recovery codes (the only time they are
    readable)."""
    if enabled(user):
        raise BadRequest("Two-factor sign-in is already on")
    key = _throttled(node, user)
    step = _matching_step(node, user, code)
    if step is None:
        node.throttles.login_account.failed(key)
        raise Unauthorized("That code is not right: check the time on your phone and enter the newest code")
    node.throttles.login_account.succeeded(key)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    hashes = [await auth.hash_password(node, c) for c in codes]
    user.otp_enabled_at, user.otp_last_step, user.otp_recovery_hashes = node.clock.now(), step, hashes
    await User.filter(id=user.id).update(otp_enabled_at=user.otp_enabled_at, otp_last_step=step,
                                         otp_recovery_hashes=hashes)
    return codes


async def verify(node: Node, user: User, code: str) -> None:
    """A sign-in's second step: a current TOTP code or an unused recovery code (which is then spent)."""
    key = _throttled(node, user)
    if (step := _matching_step(node, user, code)) is not None:
        # The update is conditional, so two requests racing with one code cannot both pass.
        if await User.filter(id=user.id, otp_last_step=user.otp_last_step).update(otp_last_step=step):
            user.otp_last_step = step
            node.throttles.login_account.succeeded(key)
            return
    elif await _spend_recovery_code(node, user, code):
        node.throttles.login_account.succeeded(key)
        return
    node.throttles.login_account.failed(key)
    raise Unauthorized("That code is not right")


async def _spend_recovery_code(node: Node, user: User, code: str) -> bool:
    code = "".join(code.split()).lower()
    if len(code) != 10:
        return False
    for stored in list(user.otp_recovery_hashes or []):
        if await auth.check_password(node, stored, code):
            async with in_transaction():  # re-read under lock: a code spent twice at once works only once
                row = await User.filter(id=user.id).select_for_update().first()
                hashes = list(row.otp_recovery_hashes or []) if row else []
                if stored not in hashes:
                    return False
                hashes.remove(stored)
                await User.filter(id=user.id).update(otp_recovery_hashes=hashes)
            user.otp_recovery_hashes = hashes
            return True
    return False


async def disable(node: Node, user: User, code: str) -> None:
    """Turn it off, proven with a current code or a recovery code."""
    if not enabled(user):
        raise BadRequest("Two-factor sign-in is not on")
    await verify(node, user, code)
    await turn_off(user)


async def turn_off(user: User) -> None:
    """Without proof: what an administrator does for someone who lost their phone and codes."""
    await User.filter(id=user.id).update(otp_secret=None, otp_enabled_at=None, otp_recovery_hashes=None,
                                         otp_last_step=None)
    user.otp_secret = user.otp_enabled_at = user.otp_recovery_hashes = user.otp_last_step = None


def recovery_codes_left(user: User) -> int:
    return len(user.otp_recovery_hashes or [])

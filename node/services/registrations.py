"""Sign-ups through the API (POST /api/v1/accounts), honouring the node's registrations mode.

"open" makes a working account; "approval" makes one that cannot sign in until an admin approves it;
"closed" refuses. Validation reports every problem at once, with Mastodon's per-field error details.

With mail on, a sign-up never tells whether its address is registered: a taken address gets the answer a
new one gets (a token that waits for the address to be confirmed, see SignUpDecoy) and its owner a mail.
With mail off a node cannot prove who owns an address, so a taken one is reported (ERR_TAKEN).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from federation.signatures import generate_rsa_keypair

from ..errors import Forbidden, ValidationFailed
from ..models import Account, OAuthApp, SignUpDecoy, User
from ..notify import account_mail
from ..notify.dispatcher import mail_enabled
from ..runtime import Node
from . import account_moderation, accounts, auth, oauth

USERNAME_MAX = 30
PASSWORD_MAX = 72  # as Mastodon (bcrypt's limit there; kept so clients see the same rule)
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_DESCRIPTIONS = {
    "ERR_BLANK": "can't be blank",
    "ERR_INVALID": "is invalid",
    "ERR_TAKEN": "is already taken",
    "ERR_RESERVED": "is reserved",
    "ERR_ACCEPTED": "must be accepted",
    "ERR_INCLUSION": "is not included in the list",
    "ERR_BLOCKED": "is blocked",
}


class RegistrationInvalid(ValidationFailed):
    """422 with Mastodon's `details`: {field: [{"error": "ERR_...", "description": "..."}]}."""

    def __init__(self, problems: dict[str, list[tuple[str, str]]]) -> None:
        sentences = [f"{name.capitalize()} {text}" for name, items in problems.items() for _, text in items]
        super().__init__("Validation failed: " + ", ".join(sentences))
        self.details = {name: [{"error": code, "description": text} for code, text in items]
                        for name, items in problems.items()}

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "details": self.details}


@dataclass
class SignUp:
    username: str
    email: str
    password: str
    agreement: bool
    locale: str = "en"
    reason: str = ""
    ip: str | None = None  # where the sign-up came from, for the admins' IP blocks


async def _problems(signup: SignUp, *, hide_taken_email: bool) -> dict[str, list[tuple[str, str]]]:
    problems: dict[str, list[tuple[str, str]]] = {}

    def add(name: str, code: str, text: str | None = None) -> None:
        problems.setdefault(name, []).append((code, text or _DESCRIPTIONS[code]))

    username, email = signup.username.strip(), signup.email.strip().lower()
    if not username:
        add("username", "ERR_BLANK")
    elif len(username) > USERNAME_MAX:
        add("username", "ERR_TOO_LONG", f"is too long (maximum is {USERNAME_MAX} characters)")
    elif not accounts.USERNAME.match(username):
        add("username", "ERR_INVALID", "must contain only letters, numbers and underscores")
    elif username.lower() in accounts.RESERVED:
        add("username", "ERR_RESERVED")
    elif await Account.filter(username__iexact=username, domain="").exists():
        add("username", "ERR_TAKEN")
    if not email:
        add("email", "ERR_BLANK")
    elif not accounts.EMAIL.match(email) or len(email) > 254:
        add("email", "ERR_INVALID")
    elif not hide_taken_email and await User.filter(email=email).exists():
        add("email", "ERR_TAKEN")
    if not signup.password:
        add("password", "ERR_BLANK")
    elif len(signup.password) < accounts.MIN_PASSWORD:
        add("password", "ERR_TOO_SHORT", f"is too short (minimum is {accounts.MIN_PASSWORD} characters)")
    elif len(signup.password) > PASSWORD_MAX:
        add("password", "ERR_TOO_LONG", f"is too long (maximum is {PASSWORD_MAX} characters)")
    if not signup.agreement:
        add("agreement", "ERR_ACCEPTED")
    if not _LOCALE.match(signup.locale or ""):
        add("locale", "ERR_INCLUSION")
    if len(signup.reason) > 1000:
        add("reason", "ERR_TOO_LONG", "is too long (maximum is 1000 characters)")
    return problems


async def admission(node: Node, email: str, ip: str | None) -> bool:
    """Whether a sign-up may go ahead (403 when registrations are closed or an IP block refuses it, 422 when
    the address is blocked) and whether it starts approved: only in "open" mode, and not from an address an
    IP block sends to approval. Every sign-up (API and web) passes here."""
    mode = node.config.node.registrations
    verdict = await account_moderation.door(node, email, ip)
    if mode == "closed" or verdict is False:
        raise Forbidden("This action is not allowed")
    if email and await account_moderation.email_blocks_matching(email):
        raise RegistrationInvalid({"email": [("ERR_BLOCKED", _DESCRIPTIONS["ERR_BLOCKED"])]})
    return mode == "open" and verdict is True


async def register(node: Node, app: OAuthApp | None, signup: SignUp) -> oauth.IssuedToken:
    """Create the account and a token for it with the app's scopes, as Mastodon's AppSignUpService."""
    if node.config.node.registrations == "closed":
        raise Forbidden("This action is not allowed")
    mail_on = mail_enabled(node)
    if problems := await _problems(signup, hide_taken_email=mail_on):
        raise RegistrationInvalid(problems)
    approved = await admission(node, signup.email, signup.ip)
    scope = app.scopes if app is not None else "read write follow push"
    try:
        user = await accounts.create_local_account(node, signup.username.strip(), signup.email, signup.password,
                                                   approved=approved)
    except accounts.EmailTaken:
        if not mail_on:
            raise
        return await _decoy(node, signup, scope)
    user.locale = signup.locale.replace("_", "-")[:16]
    user.sign_up_reason, user.sign_up_ip = signup.reason.strip(), (signup.ip or "")[:45]
    await user.save(update_fields=["locale", "sign_up_reason", "sign_up_ip"])
    await account_mail.signed_up(node, user)
    return await oauth.issue_for(user, app, scope)


async def taken_address(node: Node, email: str, password: str) -> None:
    """A sign-up (API or web) came with an address that already has an account, mail on: its owner is told
    by mail. The new account's password hash and key pair are made all the same, so that the answer takes
    as long as a real sign-up's and the timing tells nothing either."""
    await auth.hash_password(node, password)
    await node.run_blocking(generate_rsa_keypair)
    await account_mail.sign_up_attempted(node, email)


async def _decoy(node: Node, signup: SignUp, scope: str) -> oauth.IssuedToken:
    """The answer to a sign-up with a registered address: the caller gets a token shaped and behaving as a
    new, unconfirmed account's (every use is 403 until a confirmation that never comes)."""
    await taken_address(node, signup.email, signup.password)
    token = auth.new_secret()
    await SignUpDecoy.create(token_hash=auth.digest(token))
    return oauth.IssuedToken(access_token=token, scope=scope, created_at=int(time.time()))

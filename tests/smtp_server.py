"""A real SMTP server for tests (aiosmtpd on loopback, in its own thread as aiosmtpd runs it) that keeps
every mail it accepts, parsed, and can be told to refuse the next ones with a temporary error."""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailSink:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_next = 0  # answer this many DATA commands with 451
        self.port = _free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def bodies(message: EmailMessage) -> tuple[str, str]:
        """(plain text, HTML) of a multipart/alternative mail."""
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        return (text.get_content() if text else ""), (html.get_content() if html else "")

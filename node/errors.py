"""Domain errors. Services raise these; one middleware maps each to its HTTP status and {"error": ...}."""

from __future__ import annotations


class DomainError(Exception):
    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DomainError):
    status = 400


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "Record not found") -> None:
        super().__init__(message)


class Conflict(DomainError):
    status = 409


class PayloadTooLarge(DomainError):
    status = 413


class UnsupportedMedia(DomainError):
    status = 415


class ValidationFailed(DomainError):
    """422, as Mastodon answers for a well-formed request with values it will not accept."""

    status = 422


class TooManyRequests(DomainError):
    """429; `retry_after` seconds go out as the Retry-After header."""

    status = 429

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

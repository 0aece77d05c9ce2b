"""The plugin's refusals: each carries the HTTP status its route answers with {"error": ...}."""

from __future__ import annotations


class E2EEError(Exception):
    status = 422

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(E2EEError):
    status = 400


class NotFound(E2EEError):
    status = 404

    def __init__(self, message: str = "Record not found") -> None:
        super().__init__(message)


class Conflict(E2EEError):
    status = 409


class Invalid(E2EEError):
    status = 422

"""The E2EE client library (never imported by the server): `E2EEClient` over a `CryptoBackend`
(vodozemac by default, or python-olm), `NodeClient` for the HTTP API, and a chat CLI (`cli.py`)."""

from .api import ApiError, NodeClient
from .backend import CryptoBackend, CryptoError, load_backend
from .client import E2EEClient, Refused
from .messages import Message, dm_conversation

__all__ = ["ApiError", "CryptoBackend", "CryptoError", "E2EEClient", "Message", "NodeClient", "Refused",
           "dm_conversation", "load_backend"]

"""One exception hierarchy for everything fastsigv4 rejects.

Messages say what is wrong and how to fix it, and never contain a secret key,
a signing key or a session token.
"""

from __future__ import annotations

__all__ = ["InvalidRequestError", "SigV4Error"]


class SigV4Error(Exception):
    """Root of every error fastsigv4 raises on bad input."""


class InvalidRequestError(SigV4Error, ValueError):
    """The request, settings or credentials cannot be signed as given."""

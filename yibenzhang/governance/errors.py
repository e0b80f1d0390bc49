"""What the governance service refuses, by kind: each error carries its HTTP status.

The API maps `status` to the response code and the message to `{"detail": ...}`; the CLI prints
the message. Messages are Chinese and name what is wrong (the resource, the request, the state).
"""

from __future__ import annotations


class GovernanceError(Exception):
    """A refusal of the governance service; `status` is the HTTP status the API answers."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(GovernanceError):
    """The caller is not logged in (or its credentials were not accepted)."""

    status = 401


class Forbidden(GovernanceError):
    """The caller may not do this (or, for a request it is no party to, may not know of it)."""

    status = 403


class NotFound(GovernanceError):
    status = 404


class Conflict(GovernanceError):
    """The record is not in a state that allows the action (someone else acted first, ...)."""

    status = 409


class Invalid(GovernanceError):
    """The input is malformed: a bad column, term, code, e-mail address, ..."""

    status = 422


__all__ = ["Conflict", "Forbidden", "GovernanceError", "Invalid", "NotFound", "Unauthenticated"]

"""Helpers of the API tests: a stand-in for the governance service (the API's routing is
tested on its own; the service has its own tests) and signed claims."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from yibenzhang.governance.claims import signed_headers
from yibenzhang.governance.identity import Principal

SECRET = "test-service-secret"


@dataclass
class View:
    """What the service's views offer the API: `as_json()`."""

    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return dict(self.data)


def request_json(request_id: int = 7, state: str = "submitted", **extra: Any) -> dict[str, Any]:
    return {"id": request_id, "kind": "share", "state": state, "resource_code": "R-0001",
            "requester": "alice", "term_start": "2026-01-01", "term_end": "2026-06-30",
            "transitions": [], "delivery": None, "actions": [], **extra}


@dataclass
class FakeGovernance:
    """Records every call (method, principal, arguments); answers from `answers` (a value, or an
    exception to raise, or a callable of the call's arguments)."""

    answers: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, tuple, dict]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name in ("answers", "calls"):
            raise AttributeError(name)

        def method(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            answer = self.answers.get(name)
            if isinstance(answer, Exception):
                raise answer
            if callable(answer):
                return answer(*args, **kwargs)
            return answer

        return method

    def called(self, name: str) -> list[tuple[tuple, dict]]:
        return [(args, kwargs) for n, args, kwargs in self.calls if n == name]

    def principal_of(self, name: str) -> Principal:
        (args, _), *_ = self.called(name)
        return args[0]



def signed(user: str | None = "alice", memberships: dict[str, str] | None = None,
           sysadmin: bool = False, secret: str = SECRET, now: float | None = None) -> dict[str, str]:
    return signed_headers({"user": user, "sysadmin": sysadmin, "memberships": memberships or {}},
                          secret, now=now)

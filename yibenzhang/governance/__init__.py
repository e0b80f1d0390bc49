"""The use side (docs/governance.md): who may request what, the request/grant state machine,
deliveries, masking and the hash-chained audit log. A plain library: no FastAPI, no dagster,
no CKAN.

    from yibenzhang.governance import Governance, Principal
    Governance(settings).requests(Principal.operator_from_os(), scope="queue")

Modules: `identity` (Principal, Role), `errors` (GovernanceError and its HTTP kinds), `rules`
(verdict from the contract), `states`, `audit` (the chain and its anchor), `service`
(Governance), `views` (what the service hands out), `delivery` and `masking` (extracts),
`claims` (the API's signed caller claims).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yibenzhang.governance.errors import Conflict, Forbidden, GovernanceError, Invalid, NotFound, Unauthenticated
from yibenzhang.governance.identity import Principal, Role

if TYPE_CHECKING:
    from yibenzhang.governance.service import Governance


def __getattr__(name: str) -> Any:
    # The service pulls in the registry, the facade and deliveries: load it only when asked.
    if name == "Governance":
        from yibenzhang.governance.service import Governance

        return Governance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Conflict",
    "Forbidden",
    "Governance",
    "GovernanceError",
    "Invalid",
    "NotFound",
    "Principal",
    "Role",
    "Unauthenticated",
]

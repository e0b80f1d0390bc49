"""Quality tickets (问题工单): the closed loop from a run's problems to the department and back.

A run opens a ticket per dataset and problem (`observe`, `sync`), assigned to the department
that provides the dataset, due after the severity's working days (`sla`). The department
acknowledges, fixes or disputes it; only the next run closes it (verification) or a steward's
acceptance of a dispute (an exception that keeps the same rows from reopening it); a problem
seen again reopens it. Departments hear of new, reopened and overdue tickets by e-mail and in
the portal (`notify`). `TicketService` (the facade's `tickets`) is the way in.
"""

from yibenzhang.tickets.observe import BLOCKED_KEY, STALE_KEY, Describe, Observation, RunObservations, observe
from yibenzhang.tickets.service import TicketService
from yibenzhang.tickets.states import CloseReason, Resolution, TicketKind, TicketSeverity, TicketState
from yibenzhang.tickets.sync import SyncOutcome

__all__ = ["BLOCKED_KEY", "STALE_KEY", "CloseReason", "Describe", "Observation", "Resolution", "RunObservations",
           "SyncOutcome", "TicketKind", "TicketService", "TicketSeverity", "TicketState", "observe"]

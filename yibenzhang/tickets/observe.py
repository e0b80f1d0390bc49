"""What one run says about one dataset's problems: the problems it saw, and which problems it
could have seen (so their absence verifies a fix).

A problem's identity (`problem_key`) is stable across runs:

| key | kind | seen when |
|---|---|---|
| `rule:<rule id>` | rule | the rule's check failed (a check that could not run says nothing) |
| `note:<rule id>` | rule | loaded rows carry a standardization note of that rule |
| `quarantine:<rule id>` | quarantine | rows were quarantined for that reason |
| `delivery:<problem kind>:<file or *>` | delivery | a file-level problem of the delivery |
| `promotion:blocked` | promotion | blocking checks failed: nothing was promoted |
| `stale` | stale | the freshness check found the dataset late (`open_stale`) |

What a problem is called and how to fix it is the 问题清单's business (`quality.report`): the
pipeline passes a `Describe` built from it; without one the recorded reasons are used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from yibenzhang.facts import CheckFact, ProblemFact, RunFacts
from yibenzhang.ledger.findings import FINDINGS
from yibenzhang.ledger.quarantine import QUARANTINE
from yibenzhang.registry.runs import ProblemKind, RunStatus
from yibenzhang.tickets.rows import SAMPLES, RowGroup
from yibenzhang.tickets.states import TicketKind, TicketSeverity, severity_of

STALE_KEY = "stale"
BLOCKED_KEY = "promotion:blocked"
GENERIC_FIX = "按原因修正后重新报送 / correct the rows and deliver them again"

# What a problem is called and how to fix it: (title, suggested fix) of a failed check, a group
# of quarantined or noted rows, or a file-level problem.
Describe = Callable[[CheckFact | RowGroup | ProblemFact], tuple[str, str]]


def rule_key(rule_id: str) -> str:
    return f"rule:{rule_id}"


def note_key(rule_id: str) -> str:
    return f"note:{rule_id}"


def quarantine_key(rule_id: str) -> str:
    return f"quarantine:{rule_id}"


def delivery_key(kind: str, file: str | None) -> str:
    return f"delivery:{kind}:{file or '*'}"


def problem_key_of(problem: ProblemFact) -> str:
    """The key of a file-level problem (or of the blocked promotion) of a run."""
    if problem.kind == ProblemKind.BLOCKED_PROMOTION:
        return BLOCKED_KEY
    return delivery_key(problem.kind, problem.file)


def kind_of_key(problem_key: str) -> TicketKind:
    prefix = problem_key.split(":", 1)[0]
    return {"rule": TicketKind.RULE, "note": TicketKind.RULE, "quarantine": TicketKind.QUARANTINE,
            "delivery": TicketKind.DELIVERY, "promotion": TicketKind.PROMOTION}.get(prefix, TicketKind.STALE)


def recorded_text(item: CheckFact | RowGroup | ProblemFact) -> tuple[str, str]:
    """The default `Describe`: what the run recorded, and the generic fix."""
    if isinstance(item, CheckFact):
        return f"规则 {item.rule_id} 未通过", GENERIC_FIX
    if isinstance(item, RowGroup):
        return item.reason, GENERIC_FIX
    return item.message, GENERIC_FIX


@dataclass
class Observation:
    """A problem as one run saw it. `group`: its rows, when it has any (exceptions cover rows
    by their signatures); otherwise only a whole-problem exception covers it."""

    problem_key: str
    kind: TicketKind
    severity: TicketSeverity
    title: str
    suggested_fix: str
    affected_rows: int
    samples: list[str] = field(default_factory=list)
    group: RowGroup | None = None


@dataclass
class RunObservations:
    """One dataset's run: the problems seen, and the keys a check could not evaluate."""

    run: RunFacts
    observations: dict[str, Observation] = field(default_factory=dict)
    unevaluated: set[str] = field(default_factory=set)

    @property
    def dataset_id(self) -> str:
        return self.run.dataset_id

    @property
    def concludes(self) -> bool:
        """A run that failed (or has not finished) verifies nothing and sees nothing."""
        return self.run.status in (RunStatus.SUCCEEDED, RunStatus.BLOCKED)

    def verifies(self, problem_key: str) -> bool:
        """Whether the problem's absence from this run means it is fixed."""
        if not self.concludes or problem_key in self.unevaluated:
            return False
        kind = kind_of_key(problem_key)
        read_rows = bool(self.run.files) and self.run.rows_in > 0
        if problem_key.startswith("note:") or kind is TicketKind.QUARANTINE:
            return read_rows  # an append-only run with no new file read no rows to judge by
        if kind is TicketKind.RULE:
            return bool(self.run.checks)
        if kind is TicketKind.DELIVERY:
            return bool(self.run.files)
        if kind is TicketKind.PROMOTION:
            return self.run.status is RunStatus.SUCCEEDED
        return self.run.status is RunStatus.SUCCEEDED and self.run.promoted  # stale: a new promotion


def observe(run: RunFacts, groups: dict[tuple[str, str, str], RowGroup],
            describe: Describe | None = None) -> RunObservations:
    """The problems of one dataset's run from its facts and its rows in the ledger."""
    seen = RunObservations(run)
    if not seen.concludes:
        return seen
    dataset = run.dataset_id
    checked = {c.rule_id for c in run.checks}

    def add(observation: Observation) -> None:
        earlier = seen.observations.get(observation.problem_key)
        if earlier is None:
            seen.observations[observation.problem_key] = observation
            return
        # Two file-level problems of one kind and file (two sheets): one ticket, both told.
        earlier.title = f"{earlier.title}；{observation.title}"
        earlier.affected_rows += observation.affected_rows
        earlier.samples = (earlier.samples + observation.samples)[:SAMPLES]

    for check in run.checks:
        key = rule_key(check.rule_id)
        if check.error:
            seen.unevaluated.add(key)
            continue
        if check.passed:
            continue
        rows = groups.get((dataset, FINDINGS, check.rule_id))
        if describe is not None:
            title, fix = describe(check)
        else:  # the rule's reason is recorded with its flagged rows
            title, fix = (rows.reason, GENERIC_FIX) if rows else recorded_text(check)
        samples = ([s for *_, s, _sig in sorted(rows.firsts)][:SAMPLES] if rows
                   else [str(v) for v in check.sample[:SAMPLES]])
        add(Observation(key, TicketKind.RULE, severity_of(check.severity), title, fix,
                        rows.rows if rows else max(check.unexpected_count or 0, 1), samples, rows))
    for (ds, table, rule_id), rows in sorted(groups.items()):
        if ds != dataset or (table == FINDINGS and rule_id in checked):
            continue
        title, fix = (describe or recorded_text)(rows)
        if table == QUARANTINE:
            add(Observation(quarantine_key(rule_id), TicketKind.QUARANTINE, TicketSeverity.BLOCKING,
                            title, fix, rows.rows, rows.uncovered(frozenset())[1], rows))
        else:  # a standardization note on loaded rows
            add(Observation(note_key(rule_id), TicketKind.RULE, TicketSeverity.WARNING,
                            title, fix, rows.rows, rows.uncovered(frozenset())[1], rows))
    for problem in run.problems:
        title, fix = (describe or recorded_text)(problem)
        key = problem_key_of(problem)
        if key == BLOCKED_KEY:
            # Every row that passed the split waited for a promotion that did not come.
            add(Observation(key, TicketKind.PROMOTION, TicketSeverity.BLOCKING, title, fix,
                            run.rows_loaded, []))
        else:
            add(Observation(key, TicketKind.DELIVERY,
                            severity_of(problem.severity), title, fix, problem.rows or 0,
                            [problem.file] if problem.file else []))
    return seen


__all__ = ["BLOCKED_KEY", "GENERIC_FIX", "STALE_KEY", "Describe", "Observation", "RunObservations",
           "delivery_key", "kind_of_key", "note_key", "observe", "problem_key_of", "quarantine_key", "recorded_text", "rule_key"]

"""The escalation lifecycle: the one table of allowed status changes.

No Django imports: the services consult it, the seed command walks it, and tests read it edge by edge.
"""

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    WAITING_ON_PARTNER = "waiting_on_partner"
    WAITING_ON_USER = "waiting_on_user"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.NEW: "New",
    Status.TRIAGED: "Triaged",
    Status.IN_PROGRESS: "In progress",
    Status.WAITING_ON_PARTNER: "Waiting on partner",
    Status.WAITING_ON_USER: "Waiting on customer",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
    Status.REJECTED: "Rejected",
    Status.DUPLICATE: "Duplicate",
}

# Tuples, not sets: their order ends up in migrations (partial indexes) and must not vary between runs.
OPEN_STATUSES = (Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING_ON_PARTNER, Status.WAITING_ON_USER)
FINISHED_STATUSES = tuple(status for status in Status if status not in OPEN_STATUSES)

# (from, to) -> the name of the action, as people say it.
ALLOWED_TRANSITIONS: dict[tuple[Status, Status], str] = {
    (Status.NEW, Status.TRIAGED): "triage",
    (Status.NEW, Status.REJECTED): "reject",
    (Status.TRIAGED, Status.IN_PROGRESS): "start",
    (Status.TRIAGED, Status.RESOLVED): "resolve",
    (Status.IN_PROGRESS, Status.WAITING_ON_PARTNER): "wait on partner",
    (Status.IN_PROGRESS, Status.WAITING_ON_USER): "wait on customer",
    (Status.IN_PROGRESS, Status.RESOLVED): "resolve",
    (Status.WAITING_ON_PARTNER, Status.IN_PROGRESS): "resume",
    (Status.WAITING_ON_PARTNER, Status.RESOLVED): "resolve",
    (Status.WAITING_ON_USER, Status.IN_PROGRESS): "customer replied",
    (Status.WAITING_ON_USER, Status.RESOLVED): "resolve",
    (Status.RESOLVED, Status.CLOSED): "close",
    (Status.RESOLVED, Status.IN_PROGRESS): "reopen",
    (Status.CLOSED, Status.IN_PROGRESS): "reopen",
    **{(status, Status.DUPLICATE): "mark duplicate" for status in OPEN_STATUSES},
}


def allowed_targets(current: Status) -> list[Status]:
    """The statuses an escalation in `current` may move to, in lifecycle order."""
    return [target for (source, target) in ALLOWED_TRANSITIONS if source == current]


def is_allowed(current: Status, target: Status) -> bool:
    return (current, target) in ALLOWED_TRANSITIONS


def refusal_message(current: Status, target: Status) -> str:
    """Why `current` cannot move to `target`, in words a specialist understands."""
    if current == target:
        return f"The escalation is already {current.label.lower()}."
    options = [t.label.lower() for t in allowed_targets(current)]
    name = current.label.lower()
    article = "An" if name[0] in "aeiou" else "A"
    if not options:
        return f"{article} {name} escalation is final and cannot change status."
    spelled = options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"
    return f"{article} {name} escalation cannot move to {target.label.lower()}; it can only become {spelled}."

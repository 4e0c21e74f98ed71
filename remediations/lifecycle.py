"""The remediation lifecycle: the one table of allowed status changes.

No Django imports: the transition service consults it, the pages and the API list the moves it allows, and the
tests read it edge by edge.

```
proposed ──accept──> accepted ──start──> in_progress ──ship──> shipped ──verify──> verified
   │                    │                    │                    │
   └────────────────────┴─────decline────────┘                    └──reopen (the fix did not hold)──> in_progress
```
"""

from enum import StrEnum


class RemediationStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    SHIPPED = "shipped"
    VERIFIED = "verified"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    RemediationStatus.PROPOSED: "Proposed",
    RemediationStatus.ACCEPTED: "Accepted",
    RemediationStatus.IN_PROGRESS: "In progress",
    RemediationStatus.SHIPPED: "Shipped",
    RemediationStatus.VERIFIED: "Verified",
    RemediationStatus.DECLINED: "Declined",
}

# The statuses in which the owner team still owes the fix: due dates, reminders and the "owes" page count these.
# Tuples, not sets: their order ends up in migrations (partial indexes) and must not vary between runs.
OPEN_STATUSES = (RemediationStatus.PROPOSED, RemediationStatus.ACCEPTED, RemediationStatus.IN_PROGRESS)
DELIVERED_STATUSES = (RemediationStatus.SHIPPED, RemediationStatus.VERIFIED)

# (from, to) -> the name of the move, as people say it.
ALLOWED_TRANSITIONS: dict[tuple[RemediationStatus, RemediationStatus], str] = {
    (RemediationStatus.PROPOSED, RemediationStatus.ACCEPTED): "accept",
    (RemediationStatus.PROPOSED, RemediationStatus.DECLINED): "decline",
    (RemediationStatus.ACCEPTED, RemediationStatus.IN_PROGRESS): "start",
    (RemediationStatus.ACCEPTED, RemediationStatus.DECLINED): "decline",
    (RemediationStatus.IN_PROGRESS, RemediationStatus.SHIPPED): "ship",
    (RemediationStatus.IN_PROGRESS, RemediationStatus.DECLINED): "decline",
    (RemediationStatus.SHIPPED, RemediationStatus.VERIFIED): "verify",
    (RemediationStatus.SHIPPED, RemediationStatus.IN_PROGRESS): "reopen",
}


def is_allowed(from_status: RemediationStatus, to_status: RemediationStatus) -> bool:
    return (RemediationStatus(from_status), RemediationStatus(to_status)) in ALLOWED_TRANSITIONS


def allowed_targets(from_status: RemediationStatus) -> list[RemediationStatus]:
    """Where a remediation in `from_status` may go next, in lifecycle order."""
    from_status = RemediationStatus(from_status)
    return [target for (source, target) in ALLOWED_TRANSITIONS if source == from_status]


def action_name(from_status: RemediationStatus, to_status: RemediationStatus) -> str:
    return ALLOWED_TRANSITIONS[(RemediationStatus(from_status), RemediationStatus(to_status))]


def refusal_message(from_status: RemediationStatus, to_status: RemediationStatus) -> str:
    """Why a move is refused, naming the moves that are possible."""
    from_status, to_status = RemediationStatus(from_status), RemediationStatus(to_status)
    targets = allowed_targets(from_status)
    if from_status == to_status:
        return f"The remediation is already {from_status.label.lower()}."
    if not targets:
        return f"A {from_status.label.lower()} remediation is finished; it cannot move to {to_status.label.lower()}."
    options = " or ".join(target.label.lower() for target in targets)
    return (
        f"A {from_status.label.lower()} remediation cannot move to {to_status.label.lower()}; "
        f"it can only become {options}."
    )


# (value, label) pairs, importable by name (e.g. for drf-spectacular's ENUM_NAME_OVERRIDES).
STATUS_CHOICES = [(status.value, STATUS_LABELS[status]) for status in RemediationStatus]

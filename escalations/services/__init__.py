"""Every write on an escalation that carries a business rule.

Each service runs in one transaction, checks who is acting and the case's state, writes the
timeline event, queues notifications through the outbox, and raises a `DomainError` with a
message for people when it refuses.
"""

from escalations.services.conversation import escalation_comment, escalation_follow, escalation_watch
from escalations.services.filing import MAX_LINKS, account_add, escalation_file, reference_allocate
from escalations.services.lifecycle import escalation_auto_close_due, escalation_transition

__all__ = [
    "MAX_LINKS",
    "account_add",
    "escalation_auto_close_due",
    "escalation_comment",
    "escalation_file",
    "escalation_follow",
    "escalation_transition",
    "escalation_watch",
    "reference_allocate",
]

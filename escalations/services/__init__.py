"""Every write on an escalation that carries a business rule.

Each service runs in one transaction, checks who is acting and the case's state, writes the
timeline event, queues notifications through the outbox, and raises a `DomainError` with a
message for people when it refuses.
"""

from escalations.services.casework import (
    BulkOutcome,
    escalation_assign,
    escalation_set_category,
    escalation_set_priority,
    escalation_set_root_cause,
    escalation_triage,
    escalations_bulk_update,
    escalations_move_root_cause,
)
from escalations.services.communications import (
    communication_template_render,
    escalation_email_customer,
    escalation_log_call,
)
from escalations.services.conversation import escalation_comment, escalation_follow, escalation_watch
from escalations.services.filing import MAX_LINKS, account_add, escalation_file, reference_allocate
from escalations.services.handoffs import handoff_acknowledge, handoff_answer, handoff_default_due, handoff_request
from escalations.services.lifecycle import escalation_auto_close_due, escalation_transition
from escalations.services.saved_views import SAVED_VIEWS_MAX, saved_view_create, saved_view_delete

__all__ = [
    "MAX_LINKS",
    "BulkOutcome",
    "account_add",
    "communication_template_render",
    "escalation_assign",
    "escalation_email_customer",
    "escalation_log_call",
    "escalation_set_category",
    "escalation_set_priority",
    "escalation_set_root_cause",
    "escalation_triage",
    "escalations_bulk_update",
    "escalations_move_root_cause",
    "handoff_acknowledge",
    "handoff_answer",
    "handoff_default_due",
    "handoff_request",
    "escalation_auto_close_due",
    "escalation_comment",
    "escalation_file",
    "escalation_follow",
    "escalation_transition",
    "escalation_watch",
    "reference_allocate",
    "SAVED_VIEWS_MAX",
    "saved_view_create",
    "saved_view_delete",
]

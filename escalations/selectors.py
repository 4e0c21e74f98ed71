"""Reusable reads. Each selector owns its joins so a page costs a fixed number of queries."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from escalations.lifecycle import OPEN_STATUSES
from escalations.models import Escalation, EscalationEvent, EscalationWatcher, Handoff, OutboxMessage

LIST_RELATED = ("account", "assignee", "category", "requester")


def escalations_visible_to(*, user) -> QuerySet[Escalation]:
    """Every escalation `user` may see: the one place that says who sees what."""
    queryset = Escalation.objects.all()
    if user.works_cases:
        return queryset
    watched = EscalationWatcher.objects.filter(escalation=OuterRef("pk"), user=user)
    visible = Q(requester=user) | Q(Exists(watched))
    if user.role == user.Role.PARTNER:
        handed_to_my_team = Handoff.objects.filter(escalation=OuterRef("pk"), partner_team__members=user)
        visible |= Q(Exists(handed_to_my_team))
    return queryset.filter(visible)


def escalation_get_for_user(*, user, reference: str) -> Escalation:
    """The escalation called `reference` if `user` may see it; a 404 otherwise, so existence is not revealed."""
    try:
        return (
            escalations_visible_to(user=user)
            .select_related(*LIST_RELATED, "root_cause__parent", "duplicate_of")
            .get(reference=reference.upper())
        )
    except Escalation.DoesNotExist:
        raise Http404(f"No escalation {reference} that you can see.") from None


def escalation_timeline(*, escalation: Escalation, user) -> QuerySet[EscalationEvent]:
    """The case's events, oldest first; requesters and partners see only what is shared with requesters."""
    events = escalation.events.select_related("actor")
    if not user.works_cases:
        events = events.filter(visibility=EscalationEvent.Visibility.SHARED)
    return events


def escalation_queue(*, status: str | None = None) -> QuerySet[Escalation]:
    """Open escalations for specialists, most urgent first; `status` narrows to one open status."""
    statuses = [status] if status in {s.value for s in OPEN_STATUSES} else [s.value for s in OPEN_STATUSES]
    return (
        Escalation.objects.filter(status__in=statuses)
        .select_related(*LIST_RELATED)
        .order_by("priority", "filed_at", "pk")
    )


def escalations_for_requester(*, user) -> QuerySet[Escalation]:
    """Escalations `user` filed or watches, newest first."""
    watched = EscalationWatcher.objects.filter(escalation=OuterRef("pk"), user=user)
    return (
        Escalation.objects.filter(Q(requester=user) | Q(Exists(watched)))
        .select_related(*LIST_RELATED)
        .order_by("-filed_at", "-pk")
    )


def handoffs_for_user(*, user) -> QuerySet[Handoff]:
    """Handoffs addressed to the user's partner teams (all handoffs for managers), open ones first."""
    handoffs = Handoff.objects.select_related("escalation__account", "partner_team", "requested_by")
    if not user.is_manager:
        handoffs = handoffs.filter(partner_team__members=user)
    return handoffs.order_by("responded_at", "due_at", "-created_at")


def outbox_recent() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.select_related("escalation").order_by("-created_at", "-pk")

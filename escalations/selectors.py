"""Reusable reads. Each selector owns its joins so a page costs a fixed number of queries."""

import math
import re

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.http import Http404

from escalations.lifecycle import OPEN_STATUSES
from escalations.models import (
    Account,
    Attachment,
    Escalation,
    EscalationEvent,
    EscalationWatcher,
    Handoff,
    OutboxMessage,
    PriorityRule,
)

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


def escalation_list_for_user(*, user) -> QuerySet[Escalation]:
    """Every escalation `user` may see, newest first, ready for a list."""
    return escalations_visible_to(user=user).select_related(*LIST_RELATED).order_by("-filed_at", "-pk")


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
    events = escalation.events.select_related("actor").prefetch_related("attachments")
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
    return handoffs.order_by(F("responded_at").asc(nulls_first=True), "due_at", "-created_at")


def outbox_for_user(*, user) -> QuerySet[OutboxMessage]:
    """Recent emails, newest first: all of them for managers and admins, one's own for everyone else."""
    messages = OutboxMessage.objects.select_related("escalation").order_by("-created_at", "-pk")
    return messages if user.is_manager else messages.filter(recipient__iexact=user.email)


def account_search(*, query: str, limit: int = 8) -> QuerySet[Account]:
    """Accounts whose external id starts with, or whose name contains, `query`; exact id first."""
    query = (query or "").strip()
    if len(query) < 2:
        return Account.objects.none()
    return Account.objects.filter(Q(external_id__istartswith=query) | Q(name__icontains=query)).order_by("name", "pk")[
        :limit
    ]


def priority_suggestion(
    *, tier: str, customers_affected: int | None, revenue_at_risk, has_regulatory_exposure: bool
) -> tuple[str, PriorityRule | None]:
    """The priority the rule table suggests, and the rule that decided it (None: the P3 default)."""
    for rule in PriorityRule.objects.filter(is_active=True).order_by("order", "pk"):
        if rule.matches(
            tier=tier,
            customers_affected=customers_affected,
            revenue_at_risk=revenue_at_risk,
            has_regulatory_exposure=has_regulatory_exposure,
        ):
            return rule.priority, rule
    return Escalation.Priority.P3, None


SIMILARITY_THRESHOLD = 0.3
MIN_WORD_LENGTH = 4


def similar_open_escalations(*, account: Account | None = None, title: str = "", limit: int = 5) -> list[Escalation]:
    """Open escalations that may be the same problem: same account, or a similar title.

    PostgreSQL ranks titles by pg_trgm similarity; elsewhere a case counts as similar when it shares
    at least half of the words of four letters or more in `title`. Same-account cases come first.
    """
    title = (title or "").strip()
    open_cases = Escalation.objects.filter(status__in=[s.value for s in OPEN_STATUSES]).select_related(
        "account", "assignee"
    )
    same_account = Q(account=account) if account is not None else Q(pk__in=[])
    if connection.vendor == "postgresql" and title:
        candidates = (
            open_cases.annotate(similarity=TrigramSimilarity("title", title))
            .filter(same_account | Q(similarity__gte=SIMILARITY_THRESHOLD))
            .annotate(is_same_account=Case(When(same_account, then=Value(1)), default=Value(0)))
            .order_by("-is_same_account", "-similarity", "-filed_at")[:limit]
        )
        return list(candidates)
    words = {word.lower() for word in re.findall(r"\w+", title) if len(word) >= MIN_WORD_LENGTH}
    title_match = Q(pk__in=[])
    for word in words:
        title_match |= Q(title__icontains=word)
    candidates = list(open_cases.filter(same_account | title_match).order_by("-filed_at")[: limit * 10])

    def shared_words(case):
        return len(words & {word.lower() for word in re.findall(r"\w+", case.title)})

    needed = max(1, math.ceil(len(words) / 2))
    account_id = account.pk if account is not None else None
    kept = [case for case in candidates if case.account_id == account_id or shared_words(case) >= needed]
    kept.sort(key=lambda case: (case.account_id != account_id, -shared_words(case), -case.filed_at.timestamp()))
    return kept[:limit]


def escalation_get_followable(*, reference: str) -> Escalation:
    """An open escalation anyone may follow instead of filing a duplicate (the duplicate check shows these)."""
    try:
        return Escalation.objects.select_related("account", "assignee").get(
            reference=reference.upper(), status__in=[s.value for s in OPEN_STATUSES]
        )
    except Escalation.DoesNotExist:
        raise Http404(f"No open escalation {reference} to follow.") from None


def escalation_attachments(*, escalation: Escalation, user) -> QuerySet[Attachment]:
    """Files on the case; requesters and partners see only those on shared timeline entries."""
    attachments = escalation.attachments.select_related("uploaded_by").order_by("created_at", "pk")
    if not user.works_cases:
        attachments = attachments.filter(Q(event__isnull=True) | Q(event__visibility=EscalationEvent.Visibility.SHARED))
    return attachments


def is_watching(*, escalation: Escalation, user) -> bool:
    return EscalationWatcher.objects.filter(escalation=escalation, user=user).exists()

"""Reusable reads. Each selector owns its joins so a page costs a fixed number of queries."""

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from escalations.lifecycle import OPEN_STATUSES, Status
from escalations.models import (
    Account,
    Attachment,
    Escalation,
    EscalationEvent,
    EscalationWatcher,
    Handoff,
    OutboxMessage,
    PriorityRule,
    SavedView,
)
from users.models import User

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


def handoffs_answerable_by(*, user) -> QuerySet[Handoff]:
    """Handoffs `user` may acknowledge or answer: their teams' (case workers: all)."""
    handoffs = Handoff.objects.select_related("escalation", "partner_team")
    return handoffs if user.works_cases else handoffs.filter(partner_team__members=user)


HANDOFF_LIST_RELATED = (
    "partner_team",
    "requested_by",
    "responded_by",
    *(f"escalation__{name}" for name in LIST_RELATED),
)


def handoff_list_for_user(*, user) -> QuerySet[Handoff]:
    """The handoffs `user` may see (case workers: all; partners: their teams'), unanswered first, soonest due first."""
    return (
        handoffs_answerable_by(user=user)
        .select_related(*HANDOFF_LIST_RELATED)
        .order_by(F("responded_at").asc(nulls_first=True), F("due_at").asc(nulls_last=True), "-created_at", "-pk")
    )


def handoff_get_for_user(*, user, handoff_id: int) -> Handoff:
    """One handoff `user` may see; a 404 otherwise (another team's handoff is not revealed)."""
    try:
        return handoff_list_for_user(user=user).get(pk=handoff_id)
    except Handoff.DoesNotExist:
        raise Http404(f"No handoff {handoff_id} that you can see.") from None


def escalation_handoffs(*, escalation: Escalation, user) -> list[Handoff]:
    """The case's handoffs, newest first: all for case workers, their own teams' for partners, none for requesters."""
    handoffs = escalation.handoffs.select_related("partner_team", "requested_by", "responded_by").order_by(
        "-created_at", "-pk"
    )
    if user.works_cases:
        return list(handoffs)
    if user.role == user.Role.PARTNER:
        return list(handoffs.filter(partner_team__members=user))
    return []


def escalation_watchers(*, escalation: Escalation) -> list:
    return [link.user for link in escalation.watcher_links.select_related("user").order_by("created_at")]


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


# ---------------------------------------------------------------------------------------------------------------------
# The triage dashboard: its queues (one table), their counts (one query), free-text search and saved views.

# Must stay identical to the expression of the GIN index `escalation_search_idx` (migration 0006) for PostgreSQL to
# use it.
SEARCH_DOCUMENT_SQL = (
    "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || coalesce(reference, ''))"
)
RECENTLY_RESOLVED_DAYS = 7
TRIAGE_LIST_RELATED = ("account", "assignee", "category")


BREACHING_SOON_HOURS = 4
SLA_STATES = {"breached": "Breached", "soon": f"Due within {BREACHING_SOON_HOURS} h", "ok": "On track"}


def sla_state_condition(state: str, now: datetime) -> Q:
    """Open escalations whose service levels are breached, due soon, or on track (indexed `sla_due_at`)."""
    breached = Q(is_sla_breached=True) | Q(sla_due_at__lte=now)
    if state == "breached":
        return _open() & breached
    if state == "soon":
        return _open() & ~breached & Q(sla_due_at__lte=now + timedelta(hours=BREACHING_SOON_HOURS))
    return (
        _open()
        & ~breached
        & (Q(sla_due_at__isnull=True) | Q(sla_due_at__gt=now + timedelta(hours=BREACHING_SOON_HOURS)))
    )


def _open() -> Q:
    return Q(status__in=[s.value for s in OPEN_STATUSES])


def _finished_since(since: datetime) -> Q:
    """Resolved or closed at or after `since`."""
    resolved_or_closed = Q(status__in=[Status.RESOLVED.value, Status.CLOSED.value])
    return resolved_or_closed & (Q(resolved_at__gte=since) | Q(closed_at__gte=since))


@dataclass(frozen=True)
class TriageQueue:
    """One queue of the dashboard: `condition(user, now)` says which escalations are in it."""

    slug: str
    label: str
    description: str
    condition: Callable[[User, datetime], Q]


# The dashboard's queues, in sidebar order. The slug is the `queue` query parameter and the key of its count.
TRIAGE_QUEUES: tuple[TriageQueue, ...] = (
    TriageQueue("new", "New", "Filed, not triaged yet", lambda user, now: Q(status=Status.NEW.value)),
    TriageQueue("mine", "Mine", "Open escalations you own", lambda user, now: _open() & Q(assignee=user)),
    TriageQueue(
        "breaching_soon",
        "Breaching soon",
        f"A service level falls due within {BREACHING_SOON_HOURS} hours",
        lambda user, now: sla_state_condition("soon", now),
    ),
    TriageQueue(
        "breached",
        "Breached",
        "A service level has been missed",
        lambda user, now: sla_state_condition("breached", now),
    ),
    TriageQueue("unassigned", "Unassigned", "Open, nobody owns them", lambda user, now: _open() & Q(assignee=None)),
    TriageQueue(
        "waiting_on_partner",
        "Waiting on partner",
        "A partner team has the next step",
        lambda user, now: Q(status=Status.WAITING_ON_PARTNER.value),
    ),
    TriageQueue(
        "waiting_on_customer",
        "Waiting on customer",
        "The customer has the next step",
        lambda user, now: Q(status=Status.WAITING_ON_USER.value),
    ),
    TriageQueue("open", "All open", "Every escalation not finished yet", lambda user, now: _open()),
    TriageQueue(
        "recently_resolved",
        "Recently resolved",
        f"Resolved or closed in the last {RECENTLY_RESOLVED_DAYS} days",
        lambda user, now: _finished_since(now - timedelta(days=RECENTLY_RESOLVED_DAYS)),
    ),
)
TRIAGE_QUEUES_BY_SLUG = {queue.slug: queue for queue in TRIAGE_QUEUES}
DEFAULT_TRIAGE_QUEUE = "open"


def triage_queue_get(slug: str | None) -> TriageQueue:
    """The queue called `slug`; the default queue (all open) for anything else."""
    return TRIAGE_QUEUES_BY_SLUG.get(slug or "", TRIAGE_QUEUES_BY_SLUG[DEFAULT_TRIAGE_QUEUE])


def triage_queue_counts(*, user, now: datetime | None = None) -> dict[str, int]:
    """How many escalations each queue holds, keyed by slug: one aggregate query whatever the number of queues."""
    now = now or timezone.now()
    conditions = {queue.slug: queue.condition(user, now) for queue in TRIAGE_QUEUES}
    in_any_queue = reduce(operator.or_, conditions.values())
    return Escalation.objects.filter(in_any_queue).aggregate(
        **{slug: Count("pk", filter=condition) for slug, condition in conditions.items()}
    )


def triage_escalations(*, user, queue: str = DEFAULT_TRIAGE_QUEUE, now: datetime | None = None) -> QuerySet[Escalation]:
    """The escalations in one dashboard queue, most urgent first, with what a row shows joined in."""
    condition = triage_queue_get(queue).condition(user, now or timezone.now())
    escalations = Escalation.objects.filter(condition).select_related(*TRIAGE_LIST_RELATED)
    return escalations.order_by("priority", "filed_at", "pk")


def escalation_text_condition(text: str) -> Q:
    """Escalations matching free text: the reference exactly, the account's name, or title, description and reference.

    PostgreSQL matches words with stemming ("invoices" finds "invoice") through the full-text GIN index; elsewhere
    the words are matched as substrings. A bare number means that reference ("1042" finds ESC-1042).
    """
    text = (text or "").strip()
    if not text:
        return Q()
    condition = Q(reference__iexact=text) | Q(account__name__icontains=text)
    if text.isdigit():
        condition |= Q(reference=f"ESC-{text}")
    if connection.vendor == "postgresql":
        matching = RawSQL(
            f"SELECT id FROM escalations_escalation WHERE {SEARCH_DOCUMENT_SQL} @@ websearch_to_tsquery('english', %s)",
            [text],
        )
        return condition | Q(pk__in=matching)
    return condition | Q(title__icontains=text) | Q(description__icontains=text) | Q(reference__icontains=text)


def case_workers() -> QuerySet[User]:
    """Active specialists, managers and admins: who may own an escalation."""
    return User.objects.filter(
        is_active=True, role__in=[User.Role.SPECIALIST, User.Role.MANAGER, User.Role.ADMIN]
    ).order_by("display_name", "email")


def saved_views_for(*, user) -> QuerySet[SavedView]:
    """The user's own saved dashboard views, by name; nobody else's."""
    return SavedView.objects.filter(owner=user).order_by("name", "pk")

"""Reusable reads. Each selector owns its joins so a page costs a fixed number of queries."""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.postgres.search import TrigramDistance, TrigramSimilarity
from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
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
    return queryset.filter(pk__in=_ids_related_to(user, handed_to_team=user.role == user.Role.PARTNER))


def _ids_related_to(user, *, handed_to_team: bool = False) -> QuerySet:
    """The ids of the escalations `user` filed or watches (and, for a partner, those handed to one of their teams).

    One UNION of indexed lookups (requester, watcher's user, team membership), used as `pk IN (…)`: the same rule
    written as `requester = me OR EXISTS (…)` makes PostgreSQL test the EXISTS on every escalation in the table.
    """
    ids = (
        Escalation.objects.filter(requester=user)
        .order_by()
        .values("pk")
        .union(EscalationWatcher.objects.filter(user=user).order_by().values("escalation_id"))
    )
    if handed_to_team:
        ids = ids.union(Handoff.objects.filter(partner_team__members=user).order_by().values("escalation_id"))
    return ids


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
    events = escalation.events.select_related("actor", "communication__outbox_message").prefetch_related("attachments")
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
    return (
        Escalation.objects.filter(pk__in=_ids_related_to(user))
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
        # Same-account cases first, then the nearest titles: two short reads along indexes (the account's open
        # cases; a walk of the trigram GiST index in order of distance, `title <-> …`, which stops after a few
        # entries however many open titles look alike). Filtering on a computed similarity scores every candidate.
        ranked = open_cases.annotate(similarity=TrigramSimilarity("title", title))
        same = []
        if account is not None:
            same = list(ranked.filter(account=account).order_by("-similarity", "-filed_at")[:limit])
        if len(same) == limit:
            return same
        nearest = ranked.filter(title__trigram_similar=title).annotate(distance=TrigramDistance("title", title))
        if account is not None:
            nearest = nearest.exclude(account=account)
        return same + list(nearest.order_by("distance", "-filed_at")[: limit - len(same)])
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
        # Not breached, due in (now, now + 4 h]: written as a range (not "not breached") so it is one index range.
        window = Q(sla_due_at__gt=now, sla_due_at__lte=now + timedelta(hours=BREACHING_SOON_HOURS))
        return _open() & Q(is_sla_breached=False) & window
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
    holds_open_cases_only: bool = True  # lets search use the full-text index of open cases


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
        holds_open_cases_only=False,
    ),
)
TRIAGE_QUEUES_BY_SLUG = {queue.slug: queue for queue in TRIAGE_QUEUES}
DEFAULT_TRIAGE_QUEUE = "open"


def triage_queue_get(slug: str | None) -> TriageQueue:
    """The queue called `slug`; the default queue (all open) for anything else."""
    return TRIAGE_QUEUES_BY_SLUG.get(slug or "", TRIAGE_QUEUES_BY_SLUG[DEFAULT_TRIAGE_QUEUE])


QUEUE_COUNT_CAP = 1000


@dataclass(frozen=True, eq=False)
class CappedCount:
    """How many escalations a queue holds, counted up to a cap: shown as "1,000+" past it."""

    value: int
    is_capped: bool = False

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.is_capped else f"{self.value:,}"

    def __int__(self) -> int:
        return self.value

    def __float__(self) -> float:  # for `pluralize`
        return float(self.value)

    def __eq__(self, other) -> bool:
        if isinstance(other, CappedCount):
            return (self.value, self.is_capped) == (other.value, other.is_capped)
        return not self.is_capped and self.value == other

    def __hash__(self) -> int:
        return hash((self.value, self.is_capped))


def triage_queue_counts(*, user, now: datetime | None = None, cap: int = QUEUE_COUNT_CAP) -> dict[str, CappedCount]:
    """How many escalations each queue holds, keyed by slug, each counted up to `cap`: one query, whatever the
    number of queues, whose cost does not grow with the backlog (each queue's count stops after `cap + 1` rows
    of an index)."""
    now = now or timezone.now()
    parts, params = [], []
    for queue in TRIAGE_QUEUES:
        rows = Escalation.objects.filter(queue.condition(user, now)).order_by().values("pk")[: cap + 1]
        sql, sql_params = rows.query.sql_with_params()
        parts.append(f"(SELECT count(*) FROM ({sql}) AS {queue.slug})")
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        counted = cursor.fetchone()
    return {
        queue.slug: CappedCount(min(count, cap), is_capped=count > cap)
        for queue, count in zip(TRIAGE_QUEUES, counted, strict=True)
    }


def triage_escalations(*, user, queue: str = DEFAULT_TRIAGE_QUEUE, now: datetime | None = None) -> QuerySet[Escalation]:
    """The escalations in one dashboard queue, most urgent first, with what a row shows joined in."""
    condition = triage_queue_get(queue).condition(user, now or timezone.now())
    escalations = Escalation.objects.filter(condition).select_related(*TRIAGE_LIST_RELATED)
    return escalations.order_by("priority", "filed_at", "pk")


def escalation_text_condition(text: str, *, open_only: bool = False, id_array: bool = False) -> Q:
    """Escalations matching free text: the reference exactly, the account's name, or title, description and reference.

    PostgreSQL matches words with stemming ("invoices" finds "invoice") through the full-text GIN index; elsewhere
    the words are matched as substrings. A bare number means that reference ("1042" finds ESC-1042). `open_only`
    says the caller looks at open cases only, so the (much smaller) full-text index of open cases serves it.

    On PostgreSQL the matching ids come first, from one OR of conditions on the escalation row that each have an
    index (the full-text GIN index, the reference, the account), combined in one bitmap scan. Written inline in the
    page's query, PostgreSQL may rather walk the queue's order (or its status) and compute to_tsvector for each row
    it passes: seconds for a common word. By default the ids are a subquery (`id IN (…)`), which suits a LIMITed
    page of rows. `id_array=True` makes them an array computed once, before the rest of the query
    (`id = ANY(ARRAY(…))`), for a caller that reads every match anyway (the dashboard's capped list of ids): the
    bitmap scan cannot be planned away, and there is no semi-join (nor parallel workers) to join them back.
    """
    text = (text or "").strip()
    if not text:
        return Q()
    if connection.vendor == "postgresql":
        references = [text.upper(), *([f"ESC-{text}"] if text.isdigit() else [])]
        name_pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        open_clause = f" AND status IN ({', '.join(['%s'] * len(OPEN_STATUSES))})" if open_only else ""
        matching = (
            f"SELECT id FROM escalations_escalation WHERE ({SEARCH_DOCUMENT_SQL} @@ websearch_to_tsquery('english', %s)"
            " OR reference = ANY(%s)"
            " OR account_id = ANY(ARRAY(SELECT id FROM escalations_account WHERE name ILIKE %s)))" + open_clause
        )
        params = [text, references, name_pattern, *([s.value for s in OPEN_STATUSES] if open_only else [])]
        if id_array:
            table = Escalation._meta.db_table
            return Q(RawSQL(f'"{table}"."id" = ANY(ARRAY({matching}))', params, output_field=BooleanField()))
        return Q(pk__in=RawSQL(matching, params))
    condition = Q(reference__iexact=text) | Q(account__name__icontains=text)
    if text.isdigit():
        condition |= Q(reference=f"ESC-{text}")
    return condition | Q(title__icontains=text) | Q(description__icontains=text) | Q(reference__icontains=text)


def triage_rows(*, ids: list[int]) -> list[Escalation]:
    """The escalations with these ids, in this order, with what a dashboard row shows joined in: one query (none for
    no ids). An id whose case is gone by now is skipped."""
    found = Escalation.objects.select_related(*TRIAGE_LIST_RELATED).order_by().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def case_workers() -> QuerySet[User]:
    """Active specialists, managers and admins: who may own an escalation."""
    return User.objects.filter(
        is_active=True, role__in=[User.Role.SPECIALIST, User.Role.MANAGER, User.Role.ADMIN]
    ).order_by("display_name", "email")


def saved_views_for(*, user) -> QuerySet[SavedView]:
    """The user's own saved dashboard views, by name; nobody else's."""
    return SavedView.objects.filter(owner=user).order_by("name", "pk")

"""Reusable reads for remediations and root causes. Each selector owns its joins and aggregates, so every page
costs a fixed number of queries whatever the number of rows.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.utils import timezone

from escalations.models import Account, Escalation, Handoff
from escalations.selectors import escalations_visible_to
from remediations import access
from remediations.lifecycle import DELIVERED_STATUSES, OPEN_STATUSES, STATUS_LABELS, RemediationStatus
from remediations.models import Remediation, RemediationUpdate, RootCause
from users.models import PartnerTeam, User

OPEN_VALUES = [status.value for status in OPEN_STATUSES]
BOARD_COLUMN_LIMIT = 20


# --- remediations -------------------------------------------------------------------------------------------


def remediations_visible_to(*, user) -> QuerySet[Remediation]:
    """Every remediation `user` may see: the one place that says who sees which. Case workers see all, partner
    team members their teams', everyone else none."""
    if not access.sees_remediations(user):
        return Remediation.objects.none()
    if user.works_cases:
        return Remediation.objects.all()
    return Remediation.objects.filter(owner_team__members=user)


def with_list_details(queryset: QuerySet[Remediation]) -> QuerySet[Remediation]:
    """Ready for a list or a card: team, owner and the number of linked escalations; soonest due first."""
    return (
        queryset.select_related("owner_team", "owner")
        .annotate(escalation_count=Count("escalations", distinct=True))
        .order_by(F("due_date").asc(nulls_last=True), "-created_at", "-pk")
    )


def remediation_list(*, user) -> QuerySet[Remediation]:
    """Remediations `user` may see, ready for a list."""
    return with_list_details(remediations_visible_to(user=user))


def remediation_get_for_user(*, user, pk) -> Remediation:
    """The remediation `pk` if `user` may see it; a 404 otherwise, so its existence is not revealed."""
    try:
        return (
            remediations_visible_to(user=user)
            .select_related("owner_team", "owner", "created_by")
            .prefetch_related(Prefetch("root_causes", queryset=RootCause.objects.select_related("parent")))
            .get(pk=int(pk))
        )
    except (Remediation.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No remediation {pk} that you can see.") from None


def remediation_timeline(*, remediation: Remediation) -> QuerySet[RemediationUpdate]:
    return remediation.updates.select_related("actor").order_by("created_at", "pk")


@dataclass
class LinkedEscalations:
    """The escalations linked to a remediation that the viewer may open, and how many others there are."""

    visible: list[Escalation]
    hidden_count: int


def remediation_escalations(*, remediation: Remediation, user) -> LinkedEscalations:
    """Linked escalations, newest first: partners see the cases their access allows and a count of the rest."""
    linked = remediation.escalations.select_related("account", "root_cause").order_by("-filed_at", "-pk")
    if user.works_cases:
        return LinkedEscalations(list(linked), 0)
    visible_ids = escalations_visible_to(user=user).values("pk")
    visible = list(linked.filter(pk__in=visible_ids))
    return LinkedEscalations(visible, remediation.escalations.count() - len(visible))


@dataclass
class BoardColumn:
    status: RemediationStatus
    count: int
    items: list[Remediation]

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def has_more(self) -> bool:
        return self.count > len(self.items)


def remediation_board(*, queryset: QuerySet[Remediation], limit: int = BOARD_COLUMN_LIMIT) -> list[BoardColumn]:
    """The board over `queryset` (visible and filtered, not yet annotated): one column per status in lifecycle
    order, each with its total and its first `limit` cards, soonest due first. One query for the totals and at
    most one per column, whatever the number of remediations."""
    counts = dict(queryset.order_by().values_list("status").annotate(total=Count("pk", distinct=True)))
    columns = []
    for status in RemediationStatus:
        total = counts.get(status.value, 0)
        items = list(with_list_details(queryset.filter(status=status.value))[:limit]) if total else []
        columns.append(BoardColumn(status=status, count=total, items=items))
    return columns


@dataclass
class TeamDebt:
    """What one partner team owes: its open remediations, soonest due first, with linked escalation counts."""

    team: PartnerTeam
    remediations: list[Remediation] = field(default_factory=list)
    awaiting_verification: int = 0

    @property
    def overdue_count(self) -> int:
        return sum(1 for remediation in self.remediations if remediation.is_overdue)

    @property
    def escalation_count(self) -> int:
        return sum(remediation.escalation_count for remediation in self.remediations)


def teams_owe(*, user, team_slug: str | None = None) -> list[TeamDebt]:
    """What each team `user` may look at owes: their own teams for partners, every team for case workers.

    Three queries: the teams, their open remediations (annotated with linked escalation counts), and how many
    shipped ones wait for verification per team.
    """
    teams = PartnerTeam.objects.order_by("name")
    if not user.works_cases:
        teams = teams.filter(members=user)
    if team_slug:
        teams = teams.filter(slug=team_slug)
    debts = {team.pk: TeamDebt(team=team) for team in teams}
    if not debts:
        return []
    open_remediations = (
        Remediation.objects.filter(owner_team__in=list(debts), status__in=OPEN_VALUES)
        .select_related("owner")
        .annotate(escalation_count=Count("escalations", distinct=True))
        .order_by(F("due_date").asc(nulls_last=True), "-priority", "pk")
    )
    for remediation in open_remediations:
        debts[remediation.owner_team_id].remediations.append(remediation)
    shipped = (
        Remediation.objects.filter(owner_team__in=list(debts), status=RemediationStatus.SHIPPED.value)
        .values_list("owner_team")
        .annotate(total=Count("pk"))
    )
    for team_id, total in shipped:
        debts[team_id].awaiting_verification = total
    return list(debts.values())


def team_owes(*, team: PartnerTeam) -> list[Remediation]:
    """One team's open remediations, soonest due first (no due date last), with linked escalation counts."""
    return list(
        Remediation.objects.filter(owner_team=team, status__in=OPEN_VALUES)
        .select_related("owner")
        .annotate(escalation_count=Count("escalations", distinct=True))
        .order_by(F("due_date").asc(nulls_last=True), "pk")
    )


def team_recipients(team: PartnerTeam, *, owner=None) -> list[str]:
    """Who hears about a team's remediations: its active members, its shared address, and the owner if they are
    not on it; each once, sorted (one query)."""
    emails = set(team.members.filter(is_active=True).values_list("email", flat=True))
    if team.contact_email:
        emails.add(team.contact_email)
    if owner is not None and owner.is_active:
        emails.add(owner.email)
    return sorted(emails)


def suggested_team_for(*, escalation: Escalation) -> PartnerTeam | None:
    """The partner team a case was last handed to: a good first guess for who owns its fix."""
    handoff = Handoff.objects.filter(escalation=escalation).select_related("partner_team").order_by("-created_at")
    latest = handoff.first()
    return latest.partner_team if latest else None


def escalations_by_reference(*, user, references: list[str]) -> tuple[list[Escalation], list[str]]:
    """The escalations `user` may see among `references` (in the order given), and the references not found."""
    wanted = [reference.strip().upper() for reference in references if reference.strip()]
    found = {
        escalation.reference: escalation
        for escalation in escalations_visible_to(user=user).filter(reference__in=wanted)
    }
    unique = list(dict.fromkeys(wanted))
    return [found[ref] for ref in unique if ref in found], [ref for ref in unique if ref not in found]


def team_owner_choices() -> list[tuple[PartnerTeam, list[User]]]:
    """Each team with its active members: the owner picker groups people by team (two queries)."""
    teams = PartnerTeam.objects.order_by("name").prefetch_related(
        Prefetch("members", queryset=User.objects.filter(is_active=True).order_by("display_name", "email"))
    )
    return [(team, list(team.members.all())) for team in teams]


# --- effectiveness ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectivenessWeek:
    index: int  # -N … -1 before shipping, 0 … N-1 after
    starts: datetime
    count: int

    @property
    def is_before(self) -> bool:
        return self.index < 0

    @property
    def label(self) -> str:
        return f"{self.index}" if self.index < 0 else f"+{self.index + 1}"


@dataclass(frozen=True)
class Effectiveness:
    """New escalations with the remediation's root causes, week by week, N weeks before shipping and N after."""

    weeks: int
    shipped_at: datetime | None
    ready_at: datetime | None  # when N full weeks after shipping have passed
    series: list[EffectivenessWeek]
    root_cause_count: int
    records_start: datetime | None = None  # the first escalation on record, of any kind

    @property
    def days_before_records(self) -> int:
        """Whole days of the before window that lie before the first escalation on record (no data, not zero)."""
        if not self.series or self.records_start is None:
            return 0
        return max(0, (self.records_start - self.series[0].starts).days)

    @property
    def before_is_partial(self) -> bool:
        """The before window reaches back a day or more past the first record: its rate is understated."""
        return self.days_before_records >= 1

    @property
    def before_weeks(self) -> list[EffectivenessWeek]:
        return [week for week in self.series if week.is_before]

    @property
    def after_weeks(self) -> list[EffectivenessWeek]:
        return [week for week in self.series if not week.is_before]

    @property
    def has_data(self) -> bool:
        return bool(self.series)

    @property
    def before_count(self) -> int:
        return sum(week.count for week in self.series if week.is_before)

    @property
    def after_count(self) -> int:
        return sum(week.count for week in self.series if not week.is_before)

    @property
    def before_rate(self) -> float:
        return self.before_count / self.weeks

    @property
    def after_rate(self) -> float:
        return self.after_count / self.weeks

    @property
    def change_percent(self) -> float | None:
        """The change in the weekly rate, in percent (-100 means none came back); None with nothing before."""
        if not self.before_count:
            return None
        return (self.after_rate - self.before_rate) / self.before_rate * 100

    @property
    def weeks_passed(self) -> int:
        if self.shipped_at is None:
            return 0
        return max(0, (timezone.now() - self.shipped_at) // timedelta(weeks=1))


def remediation_effectiveness(*, remediation: Remediation, weeks: int, now: datetime | None = None) -> Effectiveness:
    """Compare the weekly rate of new escalations (by when they were filed) whose root cause is one of the
    remediation's, in the `weeks` weeks before it shipped against the `weeks` weeks after.

    Weeks are counted from the moment it shipped (week -1 is the seven days just before, week +1 the seven
    days just after), so both windows are exactly as long. No data until it has shipped and `weeks` full weeks
    have passed since. One aggregate query: a filtered `Count` per week, computed by the database (and one
    more for when records start, to flag a before window that reaches back past them).
    """
    now = now or timezone.now()
    root_cause_ids = [root_cause.pk for root_cause in remediation.root_causes.all()]
    shipped_at = remediation.shipped_at if remediation.lifecycle_status in DELIVERED_STATUSES else None
    if shipped_at is None:
        return Effectiveness(weeks, None, None, [], len(root_cause_ids))
    week = timedelta(weeks=1)
    ready_at = shipped_at + weeks * week
    if now < ready_at or not root_cause_ids:
        return Effectiveness(weeks, shipped_at, ready_at, [], len(root_cause_ids))
    starts = {index: shipped_at + index * week for index in range(-weeks, weeks)}
    counts = Escalation.objects.filter(
        root_cause__in=root_cause_ids, filed_at__gte=starts[-weeks], filed_at__lt=ready_at
    ).aggregate(
        **{
            f"week_{index + weeks}": Count("pk", filter=Q(filed_at__gte=start, filed_at__lt=start + week))
            for index, start in starts.items()
        }
    )
    series = [EffectivenessWeek(index, start, counts[f"week_{index + weeks}"]) for index, start in starts.items()]
    records_start = Escalation.objects.aggregate(first=Min("filed_at"))["first"]
    return Effectiveness(weeks, shipped_at, ready_at, series, len(root_cause_ids), records_start)


# --- root causes --------------------------------------------------------------------------------------------


@dataclass
class AreaRow:
    area: RootCause
    drivers: list[RootCause]

    @property
    def case_count(self) -> int:
        return sum(driver.case_count for driver in self.drivers)


def taxonomy(*, include_retired: bool = True) -> list[AreaRow]:
    """Areas with their drivers, each annotated with its escalation and remediation counts (one query)."""
    nodes = (
        RootCause.objects.select_related("parent", "merged_into", "retired_by")
        .annotate(
            case_count=Count("escalations", distinct=True),
            remediation_count=Count("remediations", distinct=True),
        )
        .order_by("name", "pk")
    )
    if not include_retired:
        nodes = nodes.filter(is_active=True)
    nodes = list(nodes)
    areas = {node.pk: AreaRow(node, []) for node in nodes if node.is_area}
    for node in nodes:
        if node.is_driver and node.parent_id in areas:
            areas[node.parent_id].drivers.append(node)
    return sorted(areas.values(), key=lambda row: (not row.area.is_active, row.area.name.lower()))


def active_drivers() -> QuerySet[RootCause]:
    """Drivers a picker offers: active, under an active area, grouped by area."""
    return (
        RootCause.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .select_related("parent")
        .order_by("parent__name", "name")
    )


def root_cause_get(*, pk) -> RootCause:
    try:
        return RootCause.objects.select_related("parent", "merged_into__parent", "retired_by").get(pk=int(pk))
    except (RootCause.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No root cause {pk}.") from None


@dataclass(frozen=True)
class WeekCount:
    starts: date
    count: int


def driver_weekly_escalations(*, driver: RootCause, weeks: int = 26, now: datetime | None = None) -> list[WeekCount]:
    """New escalations with this root cause per calendar week (Monday first), the last `weeks` weeks, oldest
    first, zero weeks included. The database groups and counts (`TruncWeek`); Python only fills the gaps."""
    now = now or timezone.now()
    this_monday = timezone.localdate(now) - timedelta(days=timezone.localdate(now).weekday())
    first_monday = this_monday - timedelta(weeks=weeks - 1)
    first = timezone.make_aware(datetime.combine(first_monday, datetime.min.time()))
    rows = (
        Escalation.objects.filter(root_cause=driver, filed_at__gte=first)
        .annotate(week=TruncWeek("filed_at"))
        .values("week")
        .annotate(total=Count("pk"))
        .order_by("week")
    )
    by_week = {_as_date(row["week"]): row["total"] for row in rows}
    mondays = [first_monday + timedelta(weeks=index) for index in range(weeks)]
    return [WeekCount(monday, by_week.get(monday, 0)) for monday in mondays]


def _as_date(value) -> date:
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


TIER_RANK = {"strategic": 4, "enterprise": 3, "business": 2, "starter": 1}


def driver_accounts(*, driver: RootCause) -> QuerySet[Account]:
    """Accounts with escalations on this root cause, the most affected first (then the larger tier)."""
    tier_rank = Case(
        *(When(tier=tier, then=Value(rank)) for tier, rank in TIER_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        Account.objects.filter(escalations__root_cause=driver)
        .annotate(case_count=Count("escalations", filter=Q(escalations__root_cause=driver)), tier_rank=tier_rank)
        .order_by("-case_count", "-tier_rank", "name", "pk")
    )


@dataclass(frozen=True)
class ResolutionStats:
    resolved_count: int
    median: timedelta | None

    @property
    def median_display(self) -> str:
        """The median in days and hours (wall-clock time, from filing to resolution), e.g. "3 d 4 h"."""
        if self.median is None:
            return "—"
        hours = round(self.median / timedelta(hours=1))
        days, hours = divmod(hours, 24)
        return f"{days} d {hours} h" if days else f"{hours} h"


def driver_resolution_stats(*, driver: RootCause) -> ResolutionStats:
    """How many escalations with this root cause were resolved, and the median time from filing to resolution.

    The database sorts the durations and hands back only the middle one or two (two queries, any number of cases).
    """
    resolved = Escalation.objects.filter(root_cause=driver, resolved_at__isnull=False).annotate(
        time_to_resolve=ExpressionWrapper(F("resolved_at") - F("filed_at"), output_field=DurationField())
    )
    total = resolved.count()
    if not total:
        return ResolutionStats(0, None)
    middle = (total - 1) // 2
    durations = resolved.order_by("time_to_resolve", "pk").values_list("time_to_resolve", flat=True)
    values = list(durations[middle : middle + 2])
    median = values[0] if total % 2 else (values[0] + values[1]) / 2
    return ResolutionStats(total, median)


def driver_remediations(*, driver: RootCause, user) -> list[Remediation]:
    """Remediations linked to this root cause that `user` may see, open ones first."""
    return list(
        remediation_list(user=user)
        .filter(root_causes=driver)
        .order_by(F("shipped_at").desc(nulls_first=True), F("due_date").asc(nulls_last=True), "-pk")
    )


def driver_recent_escalations(*, driver: RootCause, limit: int = 10) -> list[Escalation]:
    return list(
        Escalation.objects.filter(root_cause=driver).select_related("account").order_by("-filed_at", "-pk")[:limit]
    )

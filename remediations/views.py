"""Remediation and root-cause pages. Each view checks the role, reads through a selector or validates a form and
calls one service, then renders or redirects. A refused change re-renders the page with the service's message next
to the form that was used, and nothing is written.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from escalations import selectors as escalation_selectors
from escalations import services as escalation_services
from escalations.errors import DomainError, StaleVersion, TransitionNotAllowed
from escalations.pages import paginate, query_without_page, show_domain_error
from remediations import access, conf, forms, selectors, services
from remediations.filters import RemediationFilter
from remediations.lifecycle import STATUS_LABELS, RemediationStatus, action_name, allowed_targets
from users.access import role_required
from users.models import PartnerTeam

EFFECTIVENESS_WEEK_CHOICES = (4, 8, 12)
# How the lifecycle moves read on buttons.
ACTION_LABELS = {
    "accept": "Accept",
    "start": "Start work",
    "ship": "Mark shipped",
    "verify": "Verify: it worked",
    "reopen": "Reopen: it did not hold",
    "decline": "Decline",
}

remediations_required = role_required(
    access.sees_remediations, message="Remediations are for specialists, managers and partner teams."
)
case_worker_required = role_required(access.works_taxonomy, message="Root causes are for specialists and managers.")
manager_required = role_required(access.manages_taxonomy, message="Only managers change the root-cause taxonomy.")


def _error_status(error: DomainError) -> int:
    return 409 if isinstance(error, TransitionNotAllowed | StaleVersion) else 400


# --- board, list, owed --------------------------------------------------------------------------------------


@remediations_required
def board(request):
    """Columns by status with the shared filters (team, owner, overdue, priority)."""
    filterset = RemediationFilter(
        request.GET or None, queryset=selectors.remediations_visible_to(user=request.user), request=request
    )
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    columns = selectors.remediation_board(queryset=queryset)
    return render(
        request,
        "remediations/board.html",
        {
            "filter": filterset,
            "columns": columns,
            "total": sum(column.count for column in columns),
            "query": request.GET.urlencode(),
            "can_create": access.can_create_for(request.user, None),
        },
    )


@remediations_required
def remediation_list(request):
    """The same remediations as a table, 25 a page: where a board column with more cards leads."""
    filterset = RemediationFilter(
        request.GET or None, queryset=selectors.remediations_visible_to(user=request.user), request=request
    )
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = paginate(request, selectors.with_list_details(queryset))
    return render(
        request,
        "remediations/list.html",
        {"filter": filterset, "page": page, "extra_query": query_without_page(request)},
    )


@remediations_required
def owed(request):
    """What each team owes: partners see their own teams, case workers every team (or one, with ?team=)."""
    team_slug = request.GET.get("team") or None
    debts = selectors.teams_owe(user=request.user, team_slug=team_slug)
    teams = PartnerTeam.objects.order_by("name") if request.user.works_cases else None
    return render(
        request,
        "remediations/owed.html",
        {
            "debts": debts,
            "teams": teams,
            "team_slug": team_slug or "",
            "due_soon_days": conf.due_soon_days(),
        },
    )


# --- one remediation ----------------------------------------------------------------------------------------


def _moves(remediation) -> list[dict]:
    """The lifecycle moves open from here, with their button labels (decline last: it needs a reason)."""
    moves = []
    for target in allowed_targets(remediation.lifecycle_status):
        action = action_name(remediation.lifecycle_status, target)
        moves.append({"status": target.value, "action": action, "label": ACTION_LABELS[action]})
    return sorted(moves, key=lambda move: move["action"] == "decline")


def _weeks(request) -> int:
    try:
        weeks = int(request.GET.get("weeks", ""))
    except ValueError:
        return conf.effectiveness_weeks()
    return weeks if weeks in EFFECTIVENESS_WEEK_CHOICES else conf.effectiveness_weeks()


def render_remediation(request, remediation, *, bound: dict | None = None, status: int = 200):
    user = request.user
    bound = bound or {}
    rights = access.remediation_rights(user, remediation)
    weeks = _weeks(request)
    effectiveness = selectors.remediation_effectiveness(remediation=remediation, weeks=weeks)
    context = {
        "remediation": remediation,
        "rights": rights,
        "timeline": list(selectors.remediation_timeline(remediation=remediation)),
        "linked": selectors.remediation_escalations(remediation=remediation, user=user),
        "root_causes": list(remediation.root_causes.all()),
        "moves": _moves(remediation) if rights.can_move else [],
        "transition_form": bound.get("transition") or forms.TransitionForm(),
        "update_form": bound.get("update") or forms.UpdateForm(),
        "open_panel": next(iter(bound), ""),
        "effectiveness": effectiveness,
        "weeks": weeks,
        "week_choices": EFFECTIVENESS_WEEK_CHOICES,
        "chart": _chart_data(effectiveness),
        "due_soon_days": conf.due_soon_days(),
    }
    return render(request, "remediations/detail.html", context, status=status)


def _chart_data(effectiveness) -> dict | None:
    if not effectiveness.has_data:
        return None
    return {
        "labels": [f"Week {week.label}" for week in effectiveness.series],
        "counts": [week.count for week in effectiveness.series],
        "before": [week.is_before for week in effectiveness.series],
        "before_rate": round(effectiveness.before_rate, 2),
        "after_rate": round(effectiveness.after_rate, 2),
    }


@remediations_required
@require_http_methods(["GET"])
def detail(request, pk):
    remediation = selectors.remediation_get_for_user(user=request.user, pk=pk)
    return render_remediation(request, remediation)


@require_POST
@remediations_required
def transition(request, pk):
    remediation = selectors.remediation_get_for_user(user=request.user, pk=pk)
    form = forms.TransitionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.remediation_transition(
                acting_user=request.user,
                remediation=remediation,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            show_domain_error(form, error)
            status = _error_status(error)
        else:
            label = STATUS_LABELS[RemediationStatus(form.cleaned_data["to_status"])].lower()
            messages.success(request, f"Moved to {label}; it is on the timeline.")
            return redirect(reverse("remediations:detail", args=[remediation.pk]) + "#timeline")
    return render_remediation(request, remediation, bound={"transition": form}, status=status)


@require_POST
@remediations_required
def update_add(request, pk):
    remediation = selectors.remediation_get_for_user(user=request.user, pk=pk)
    form = forms.UpdateForm(request.POST)
    if form.is_valid():
        try:
            services.remediation_update_add(
                acting_user=request.user, remediation=remediation, body=form.cleaned_data["body"]
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Your update is on the timeline.")
            return redirect(reverse("remediations:detail", args=[remediation.pk]) + "#timeline")
    return render_remediation(request, remediation, bound={"update": form}, status=400)


def _form_teams(user):
    teams = PartnerTeam.objects.order_by("name")
    return teams if user.works_cases else teams.filter(members=user)


@remediations_required
@require_http_methods(["GET", "POST"])
def create(request):
    """Propose a remediation; `?escalation=ESC-1042` pre-links a case and its root cause, `?root_cause=<id>` a
    driver."""
    user = request.user
    source_case, source_driver, initial = None, None, {}
    if reference := request.GET.get("escalation", "").strip():
        source_case = escalation_selectors.escalation_get_for_user(user=user, reference=reference)
        initial["escalations"] = source_case.reference
        if source_case.root_cause and source_case.root_cause.is_active:
            initial["root_causes"] = [source_case.root_cause.pk]
        if team := selectors.suggested_team_for(escalation=source_case):
            initial["owner_team"] = team.pk
    if root_cause_id := request.GET.get("root_cause", "").strip():
        source_driver = selectors.root_cause_get(pk=root_cause_id)
        if source_driver.is_driver and source_driver.is_active:
            initial.setdefault("root_causes", [])
            if source_driver.pk not in initial["root_causes"]:
                initial["root_causes"].append(source_driver.pk)
    teams = _form_teams(user)
    if not user.works_cases and teams.count() == 1:
        initial.setdefault("owner_team", teams.first().pk)
    form = forms.RemediationForm(request.POST or None, user=user, teams=teams, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            remediation = services.remediation_create(acting_user=user, **data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Proposed to {remediation.owner_team}; the team has been emailed.")
            return redirect("remediations:detail", pk=remediation.pk)
    return render(
        request,
        "remediations/form.html",
        {"form": form, "source_case": source_case, "source_driver": source_driver, "remediation": None},
        status=400 if request.method == "POST" else 200,
    )


EDITABLE_DETAILS = ("title", "description", "proposed_fix", "owner", "priority", "due_date", "tracker_url")


@remediations_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    user = request.user
    remediation = selectors.remediation_get_for_user(user=user, pk=pk)
    rights = access.remediation_rights(user, remediation)
    if not (rights.can_edit or rights.can_link):
        raise Http404
    linked_root_causes = list(remediation.root_causes.all())
    initial = {
        **{name: getattr(remediation, name) for name in EDITABLE_DETAILS},
        "owner": remediation.owner_id,
        "owner_team": remediation.owner_team_id,
        "root_causes": [root_cause.pk for root_cause in linked_root_causes],
        "escalations": ", ".join(remediation.escalations.order_by("reference").values_list("reference", flat=True)),
    }
    teams = PartnerTeam.objects.order_by("name") if rights.can_change_team else _form_teams(user)
    form = forms.RemediationForm(
        request.POST or None, user=user, teams=teams, initial=initial, linked_root_causes=linked_root_causes
    )
    locked = set()
    if not rights.can_edit:
        locked |= set(EDITABLE_DETAILS)
    if not rights.can_change_team:
        locked.add("owner_team")
    if not rights.can_link:
        locked |= {"root_causes", "escalations"}
    for name in locked:
        form.fields[name].disabled = True
        form.fields[name].required = False  # what is locked keeps its value, even an empty one
    if request.method == "POST" and form.is_valid():
        changes = {name: value for name, value in form.cleaned_data.items() if name not in locked}
        try:
            services.remediation_edit(acting_user=user, remediation=remediation, changes=changes)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Saved; the timeline says what changed.")
            return redirect("remediations:detail", pk=remediation.pk)
    return render(
        request,
        "remediations/form.html",
        {"form": form, "remediation": remediation, "locked": locked},
        status=400 if request.method == "POST" else 200,
    )


# --- root causes --------------------------------------------------------------------------------------------


@case_worker_required
def root_causes(request, *, bound: dict | None = None, status: int = 200):
    """The taxonomy with counts; managers add, retire, restore and merge here."""
    bound = bound or {}
    manages = access.manages_taxonomy(request.user)
    context = {
        "areas": selectors.taxonomy(),
        "manages": manages,
        "create_form": bound.get("create") or (forms.RootCauseCreateForm() if manages else None),
        "merge_form": bound.get("merge") or (forms.RootCauseMergeForm() if manages else None),
        "open_panel": next(iter(bound), ""),
    }
    return render(request, "remediations/root_causes.html", context, status=status)


@require_POST
@manager_required
def root_cause_create(request):
    form = forms.RootCauseCreateForm(request.POST)
    if form.is_valid():
        try:
            created = services.root_cause_create(acting_user=request.user, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Added {created}.")
            return redirect("remediations:root_causes")
    return root_causes(request, bound={"create": form}, status=400)


@require_POST
@manager_required
def root_cause_merge(request):
    form = forms.RootCauseMergeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.root_cause_merge(
                acting_user=request.user, source=data["source"], target=data["target"], reason=data["reason"]
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            cases = f"{moved} escalation{'s' if moved != 1 else ''}"
            messages.success(
                request,
                f"Merged {data['source'].name} into {data['target'].name}: {cases} moved, each with an event on its "
                "timeline.",
            )
            return redirect("remediations:root_cause", pk=data["target"].pk)
    return root_causes(request, bound={"merge": form}, status=400)


def _retire_or_restore(request, pk, *, service, done: str):
    root_cause = selectors.root_cause_get(pk=pk)
    try:
        service(acting_user=request.user, root_cause=root_cause)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done.format(name=root_cause.name))
    return redirect(request.POST.get("next") or reverse("remediations:root_causes"))


@require_POST
@manager_required
def root_cause_retire(request, pk):
    return _retire_or_restore(
        request, pk, service=services.root_cause_retire, done="Retired {name}: it stays on history, out of pickers."
    )


@require_POST
@manager_required
def root_cause_restore(request, pk):
    return _retire_or_restore(request, pk, service=services.root_cause_restore, done="{name} is back in the pickers.")


@case_worker_required
def driver_detail(request, pk):
    """A driver's page: its escalations week by week, the accounts affected, time to resolve, its remediations."""
    root_cause = selectors.root_cause_get(pk=pk)
    if root_cause.is_area:
        return redirect(reverse("remediations:root_causes") + f"#area-{root_cause.pk}")
    weekly = selectors.driver_weekly_escalations(driver=root_cause)
    accounts = paginate(request, selectors.driver_accounts(driver=root_cause))
    return render(
        request,
        "remediations/driver.html",
        {
            "driver": root_cause,
            "weekly": weekly,
            # The table beneath the chart: two columns of weeks, so 26 weeks take 13 rows.
            "weekly_rows": list(zip(weekly[: len(weekly) // 2], weekly[len(weekly) // 2 :], strict=False)),
            "weekly_total": sum(week.count for week in weekly),
            "chart": {
                "labels": [week.starts.strftime("%b %-d") for week in weekly],
                "counts": [week.count for week in weekly],
            },  # fmt: skip
            "page": accounts,
            "extra_query": query_without_page(request),
            "stats": selectors.driver_resolution_stats(driver=root_cause),
            "remediations": selectors.driver_remediations(driver=root_cause, user=request.user),
            "recent": selectors.driver_recent_escalations(driver=root_cause),
            "total_cases": root_cause.escalations.count(),
            "manages": access.manages_taxonomy(request.user),
        },
    )


@case_worker_required
@require_http_methods(["GET", "POST"])
def root_cause_change(request, reference):
    """Change the root cause of a resolved or closed case (`escalations.services.escalation_set_root_cause`)."""
    escalation = escalation_selectors.escalation_get_for_user(user=request.user, reference=reference)
    form = forms.RootCauseChangeForm(
        request.POST or None, initial={"version": escalation.version, "root_cause": escalation.root_cause_id}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                escalation_services.escalation_set_root_cause(
                    acting_user=request.user,
                    escalation=escalation,
                    root_cause=form.cleaned_data["root_cause"],
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as error:
                show_domain_error(form, error)
                status = _error_status(error)
            else:
                messages.success(request, "Root cause changed; the case timeline says from what to what.")
                return redirect("escalations:detail", reference=escalation.reference)
    return render(
        request,
        "remediations/root_cause_change.html",
        {"escalation": escalation, "form": form, "is_resolved": escalation.root_cause_id is not None},
        status=status,
    )

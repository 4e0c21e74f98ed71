"""The specialists' triage dashboard: queues with live counts, shared filters, saved views and bulk actions.

Views stay thin: the queues and their counts come from `selectors`, filtering and sorting from `TriageFilter`,
and every bulk change goes through `services.escalations_bulk_update`, one case at a time. The page works as
plain GET links and forms; with htmx, filtering, sorting and paging swap only the results region.
"""

from django import forms
from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from escalations import selectors, services
from escalations.errors import DomainError
from escalations.filters import TRIAGE_SORTS, TriageFilter
from escalations.lifecycle import STATUS_LABELS, Status
from escalations.models import Escalation, SavedView
from escalations.pages import PAGE_SIZE, CappedPaginator, show_domain_error
from users.access import role_required, works_cases

PAGE_SIZES = (25, 50, 100)
BULK_MAX = 100
# Statuses a bulk move may target: those that need nothing more than the move (no summary, reason or original).
BULK_STATUSES = [s for s in Status if s not in {Status.NEW, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}]
ME, NOBODY = "me", "nobody"
DEFAULT_SORT = next(iter(TRIAGE_SORTS))

case_worker_required = role_required(works_cases, message="The triage dashboard is for specialists and managers.")


def dashboard_query(query: QueryDict, *, keep_page: bool = False) -> str:
    """The query string that reproduces what `query` shows: known parameters that change something, nothing else."""
    known = {"queue", "per_page", *TriageFilter.base_filters}
    if keep_page:
        known.add("page")
    defaults = {"per_page": str(PAGE_SIZE), "sort": DEFAULT_SORT, "page": "1"}
    clean = QueryDict(mutable=True)
    for key in query:
        if key in known:
            values = [value.strip() for value in query.getlist(key) if value.strip() and value != defaults.get(key)]
            if values:
                clean.setlist(key, values)
    return clean.urlencode()


def _dashboard_url(query: str = "") -> str:
    url = reverse("escalations:triage")
    return f"{url}?{query}" if query else url


def _per_page(query: QueryDict) -> int:
    try:
        per_page = int(query.get("per_page", PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE
    return per_page if per_page in PAGE_SIZES else PAGE_SIZE


class SearchPaginator(CappedPaginator):
    """A searched list's pages: the matching ids in the list's order, up to the cap + 1, in one query (its length is
    the capped count), then the page's rows by id. The full-text match runs once for the count and the page."""

    @cached_property
    def _ids(self) -> list[int]:
        return list(self.object_list.values_list("pk", flat=True)[: self.cap + 1])

    @cached_property
    def _counted(self) -> int:
        return len(self._ids)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = selectors.triage_rows(ids=self._ids[bottom : bottom + self.per_page])
        return self._get_page(rows, number, self)


class SavedViewForm(forms.Form):
    name = forms.CharField(label="Name", max_length=80)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_query(self):
        return dashboard_query(QueryDict(self.cleaned_data["query"]))


class BulkActionForm(forms.Form):
    ACTIONS = [("assign", "Assign"), ("priority", "Set priority"), ("status", "Move status")]
    # action -> (the field holding its value, what to say when that is missing)
    VALUES = {
        "assign": ("assignee", "Choose who should own the selected escalations."),
        "priority": ("priority", "Choose the priority to give the selected escalations."),
        "status": ("status", "Choose the status to move the selected escalations to."),
    }

    action = forms.ChoiceField(choices=ACTIONS)
    selected = forms.ModelMultipleChoiceField(
        queryset=Escalation.objects.all(),
        to_field_name="reference",
        error_messages={"required": "Select at least one escalation first."},
    )
    assignee = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(required=False, choices=Escalation.Priority.choices)
    status = forms.ChoiceField(required=False, choices=[(s.value, STATUS_LABELS[s]) for s in BULK_STATUSES])
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, case_workers, acting_user, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(person.pk): person for person in case_workers}
        self.acting_user = acting_user
        self.fields["assignee"].choices = [
            (ME, "Me"),
            (NOBODY, "Nobody"),
            *((pk, str(person)) for pk, person in self.people.items()),
        ]

    def clean_selected(self):
        selected = self.cleaned_data["selected"]
        if len(selected) > BULK_MAX:
            raise forms.ValidationError(f"Select at most {BULK_MAX} escalations at a time.")
        return selected.order_by("filed_at", "pk")

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action:
            field, missing = self.VALUES[action]
            if not data.get(field):
                self.add_error(field, missing)
        return data

    def value(self):
        """What the chosen action sets: a user (or None) for assign, a priority, or a status."""
        action = self.cleaned_data["action"]
        if action != "assign":
            return self.cleaned_data[action]
        choice = self.cleaned_data["assignee"]
        return self.acting_user if choice == ME else None if choice == NOBODY else self.people[choice]


def _render_dashboard(request, query: QueryDict, *, save_form=None, status=200):
    queue = selectors.triage_queue_get(query.get("queue"))
    filterset = TriageFilter(
        query,
        queryset=selectors.triage_escalations(user=request.user, queue=queue.slug),
        request=request,
        open_only=queue.holds_open_cases_only,
        search_reads_all=True,  # a search is paged by `SearchPaginator`, which reads every match (up to the cap)
    )
    paginator = SearchPaginator if query.get("q", "").strip() else CappedPaginator
    page = paginator(filterset.qs, _per_page(query)).get_page(query.get("page"))
    current_query = dashboard_query(query)
    context = {
        "queue": queue,
        "filter": filterset,
        "page": page,
        "query": current_query,
        "query_with_page": dashboard_query(query, keep_page=True),
        "per_page": page.paginator.per_page,
        "query_without_per_page": [
            (name, value) for name, values in QueryDict(current_query).lists() if name != "per_page" for value in values
        ],
        "page_sizes": PAGE_SIZES,
        "bulk_statuses": [(s.value, STATUS_LABELS[s]) for s in BULK_STATUSES],
        "priorities": Escalation.Priority.choices,
        "save_form": save_form or SavedViewForm(owner=request.user, initial={"query": current_query}),
    }
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        response = render(request, "escalations/dashboard/results.html", context, status=status)
        push_url(response, _dashboard_url(context["query_with_page"]))
    else:
        counts = selectors.triage_queue_counts(user=request.user)
        context.update(
            queues=[(each, counts[each.slug]) for each in selectors.TRIAGE_QUEUES],
            saved_views=list(selectors.saved_views_for(user=request.user)),
        )
        response = render(request, "escalations/dashboard/triage.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])  # one URL, a page or a fragment: caches must tell them apart
    return response


@case_worker_required
@require_GET
def triage(request):
    return _render_dashboard(request, request.GET)


@case_worker_required
@require_POST
def saved_view_create(request):
    form = SavedViewForm(request.POST, owner=request.user)
    if form.is_valid():
        name, query = form.cleaned_data["name"], form.cleaned_data["query"]
        try:
            services.saved_view_create(acting_user=request.user, name=name, query=query)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Saved “{name}”. It is in your saved views.")
            return redirect(_dashboard_url(query))
    return _render_dashboard(request, QueryDict(request.POST.get("query", "")), save_form=form, status=400)


@case_worker_required
@require_POST
def saved_view_delete(request, pk):
    saved_view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    services.saved_view_delete(acting_user=request.user, saved_view=saved_view)
    messages.success(request, f"Deleted the saved view “{saved_view.name}”.")
    return redirect("escalations:triage")


@case_worker_required
@require_POST
def bulk_update(request):
    form = BulkActionForm(request.POST, case_workers=selectors.case_workers(), acting_user=request.user)
    back = _dashboard_url(dashboard_query(QueryDict(request.POST.get("next", "")), keep_page=True))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    action, value = form.cleaned_data["action"], form.value()
    try:
        outcomes = services.escalations_bulk_update(
            acting_user=request.user, escalations=form.cleaned_data["selected"], action=action, value=value
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    done = [outcome.reference for outcome in outcomes if outcome.ok]
    if done:
        messages.success(request, f"{_done_phrase(action, value)}: {', '.join(done)}.")
    for outcome in outcomes:
        if not outcome.ok:
            messages.error(request, f"{outcome.reference} was not changed: {outcome.message}")
    return redirect(back)


def _done_phrase(action: str, value) -> str:
    if action == "assign":
        return f"Assigned to {value}" if value is not None else "Owner removed"
    if action == "priority":
        return f"Priority set to {value}"
    return f"Moved to {STATUS_LABELS[Status(value)].lower()}"

"""The case page's actions: each POST validates one form, calls one service and returns to the case.

A refused change (a stale version, a transition the lifecycle does not allow, a missing field) re-renders
the case page with the message next to the form that was used, and nothing is written.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from escalations import forms, selectors, services
from escalations.errors import DomainError, StaleVersion
from escalations.lifecycle import Status, allowed_targets
from escalations.models import CommunicationTemplate, Handoff
from escalations.pages import show_domain_error
from escalations.sla.explain import case_clock_views
from users.access import role_required, works_cases

# Targets with forms of their own (they need more than a note).
SPECIAL_TARGETS = {Status.TRIAGED, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}

case_worker_required = role_required(works_cases, message="Only specialists and managers work cases.")


def simple_targets(escalation) -> list[Status]:
    return [t for t in allowed_targets(escalation.lifecycle_status) if t not in SPECIAL_TARGETS]


def case_forms(escalation, user, *, template_slug: str = "", bound: dict | None = None) -> dict:
    """The forms the case page shows this user, unbound unless `bound` supplies the one being re-shown."""
    bound = bound or {}
    built = {"comment": bound.get("comment") or forms.CommentForm()}
    if not user.works_cases:
        return built
    version = {"version": escalation.version}
    targets = allowed_targets(escalation.lifecycle_status)
    if escalation.lifecycle_status == Status.NEW:
        built["triage"] = forms.TriageForm(
            initial={**version, "priority": escalation.priority, "category": escalation.category_id,
                     "assignee": escalation.assignee_id or user.pk}
        )  # fmt: skip
        built["reject"] = forms.RejectForm(initial=version)
    if Status.DUPLICATE in targets:
        built["duplicate"] = forms.DuplicateForm(initial=version)
    if Status.RESOLVED in targets:
        built["resolve"] = forms.ResolveForm(initial=version)
    if simple_targets(escalation):
        built["status"] = forms.StatusForm(initial=version, targets=simple_targets(escalation))
    built["assign"] = forms.AssignForm(initial={**version, "assignee": escalation.assignee_id})
    built["priority"] = forms.PriorityForm(initial={**version, "priority": escalation.priority})
    built["email"] = _email_form(escalation, user, template_slug)
    built["call"] = forms.LogCallForm()
    built["handoff"] = forms.HandoffForm()
    for name, form in bound.items():
        built[name] = form
    for name, form in built.items():
        if name != "comment":
            # One page holds every action form: ids like `email-body` keep each label pointing at its own field.
            form.auto_id = f"{name}-%s"
    return built


def _email_form(escalation, user, template_slug: str):
    initial = {"to": escalation.account.contact_email}
    template = None
    if template_slug:
        template = CommunicationTemplate.objects.filter(slug=template_slug, is_active=True).first()
    if template is not None:
        subject, body = services.communication_template_render(
            template=template, escalation=escalation, specialist=user
        )
        initial.update(template=template.pk, subject=subject, body=body)
    return forms.EmailCustomerForm(initial=initial)


def render_case(request, escalation, *, bound: dict | None = None, status: int = 200):
    user = request.user
    context = {
        "escalation": escalation,
        "timeline": list(selectors.escalation_timeline(escalation=escalation, user=user)),
        "attachments": selectors.escalation_attachments(escalation=escalation, user=user),
        "is_watching": selectors.is_watching(escalation=escalation, user=user),
        "forms": case_forms(escalation, user, template_slug=request.GET.get("template", ""), bound=bound),
        "handoffs": selectors.escalation_handoffs(escalation=escalation, user=user),
        "open_panel": next(iter(bound), "") if bound else request.GET.get("panel", ""),
        "clocks": case_clock_views(escalation, timezone.now()),
    }
    if user.works_cases:
        context["watchers"] = selectors.escalation_watchers(escalation=escalation)
    return render(request, "escalations/detail.html", context, status=status)


def _act(request, reference, *, name, form, perform, success):
    """Validate `form`, call `perform(escalation, cleaned_data)`, and go back to the case (or show why not)."""
    escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
    status = 400
    if form.is_valid():
        try:
            perform(escalation, form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
            status = 409 if isinstance(error, StaleVersion) else 400
        else:
            messages.success(request, success)
            return redirect(reverse("escalations:detail", args=[escalation.reference]) + "#timeline")
    return render_case(request, escalation, bound={name: form}, status=status)


@require_POST
@case_worker_required
def triage(request, reference):
    def perform(case, data):
        services.escalation_triage(
            acting_user=request.user, escalation=case, priority=data["priority"], category=data["category"],
            assignee=data["assignee"], expected_version=data["version"],
        )  # fmt: skip

    return _act(request, reference, name="triage", form=forms.TriageForm(request.POST), perform=perform,
                success="Triaged: the owner has it.")  # fmt: skip


def _transition(request, reference, *, name, form, success, **extra):
    def perform(case, data):
        services.escalation_transition(
            acting_user=request.user, escalation=case, expected_version=data["version"],
            **{key: (value(data) if callable(value) else value) for key, value in extra.items()},
        )  # fmt: skip

    return _act(request, reference, name=name, form=form, perform=perform, success=success)


@require_POST
@case_worker_required
def reject(request, reference):
    return _transition(
        request, reference, name="reject", form=forms.RejectForm(request.POST), to_status=Status.REJECTED.value,
        reason=lambda data: data["reason"], success="Rejected; the requester has been told why.",
    )  # fmt: skip


@require_POST
@case_worker_required
def mark_duplicate(request, reference):
    return _transition(
        request, reference, name="duplicate", form=forms.DuplicateForm(request.POST),
        to_status=Status.DUPLICATE.value, duplicate_of=lambda data: data["duplicate_of"],
        success="Marked as a duplicate; the requester has been told.",
    )  # fmt: skip


@require_POST
@case_worker_required
def resolve(request, reference):
    return _transition(
        request, reference, name="resolve", form=forms.ResolveForm(request.POST), to_status=Status.RESOLVED.value,
        resolution_summary=lambda data: data["resolution_summary"], root_cause=lambda data: data["root_cause"],
        success="Resolved; the requester has the summary.",
    )  # fmt: skip


@require_POST
@case_worker_required
def change_status(request, reference):
    escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
    form = forms.StatusForm(request.POST, targets=simple_targets(escalation))
    return _transition(
        request, reference, name="status", form=form, to_status=lambda data: data["to_status"],
        reason=lambda data: data["reason"], success="Status changed.",
    )  # fmt: skip


@require_POST
@case_worker_required
def assign(request, reference):
    def perform(case, data):
        services.escalation_assign(
            acting_user=request.user, escalation=case, assignee=data["assignee"], expected_version=data["version"]
        )

    return _act(request, reference, name="assign", form=forms.AssignForm(request.POST), perform=perform,
                success="Owner updated.")  # fmt: skip


@require_POST
@case_worker_required
def change_priority(request, reference):
    def perform(case, data):
        services.escalation_set_priority(
            acting_user=request.user, escalation=case, priority=data["priority"], reason=data["reason"],
            expected_version=data["version"],
        )  # fmt: skip

    return _act(request, reference, name="priority", form=forms.PriorityForm(request.POST), perform=perform,
                success="Priority updated.")  # fmt: skip


@require_POST
@case_worker_required
def email_customer(request, reference):
    def perform(case, data):
        services.escalation_email_customer(
            acting_user=request.user, escalation=case, to=data["to"], subject=data["subject"], body=data["body"],
            template=data["template"],
        )  # fmt: skip

    return _act(request, reference, name="email", form=forms.EmailCustomerForm(request.POST), perform=perform,
                success="Email queued to the customer; it is on the timeline.")  # fmt: skip


@require_GET
@case_worker_required
def email_compose(request, reference):
    """The email form filled from a template (htmx swaps it in; without JavaScript the case page does this)."""
    escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
    template = request.GET.get("template", "")
    if template.isdigit():
        template = CommunicationTemplate.objects.filter(pk=int(template)).values_list("slug", flat=True).first() or ""
    return render(
        request,
        "escalations/partials/email_fields.html",
        {"form": _email_form(escalation, request.user, template), "escalation": escalation},
    )


@require_POST
@case_worker_required
def log_call(request, reference):
    def perform(case, data):
        services.escalation_log_call(
            acting_user=request.user, escalation=case, direction=data["direction"], outcome=data["outcome"],
            summary=data["summary"], duration_minutes=data["duration_minutes"],
        )  # fmt: skip

    return _act(request, reference, name="call", form=forms.LogCallForm(request.POST), perform=perform,
                success="Call logged.")  # fmt: skip


@require_POST
@case_worker_required
def hand_off(request, reference):
    def perform(case, data):
        services.handoff_request(
            acting_user=request.user, escalation=case, partner_team=data["partner_team"], ask=data["ask"],
            due_at=data["due_at"], wait_on_partner=data["wait_on_partner"],
        )  # fmt: skip

    return _act(request, reference, name="handoff", form=forms.HandoffForm(request.POST), perform=perform,
                success="Handed off; the partner team has been emailed.")  # fmt: skip


def _handoff_for(request, handoff_id) -> Handoff:
    return get_object_or_404(selectors.handoffs_answerable_by(user=request.user), pk=handoff_id)


def _back(request):
    """Where the handoff form came from, if it is one of ours; the handoffs page otherwise."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("escalations:handoffs")


@require_POST
def handoff_acknowledge(request, handoff_id):
    handoff = _handoff_for(request, handoff_id)
    try:
        services.handoff_acknowledge(acting_user=request.user, handoff=handoff)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Acknowledged {handoff.escalation.reference}; the case owner has been told.")
    return _back(request)


@require_POST
def handoff_answer(request, handoff_id):
    handoff = _handoff_for(request, handoff_id)
    form = forms.HandoffAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the answer before sending it.")
        return _back(request)
    try:
        services.handoff_answer(acting_user=request.user, handoff=handoff, response=form.cleaned_data["response"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Answer sent for {handoff.escalation.reference}; the case owner has been told.")
    return _back(request)

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST, require_safe

from escalations import selectors, services
from escalations.case_actions import render_case
from escalations.errors import DomainError
from escalations.filters import MyEscalationsFilter
from escalations.forms import CommentForm, EscalationFileForm, FollowForm
from escalations.lifecycle import OPEN_STATUSES, STATUS_LABELS, Status
from escalations.models import Account
from escalations.pages import paginate, query_without_page, show_domain_error
from escalations.sla.explain import case_clock_views
from escalations.uploads import attachment_response
from users.access import role_required, sees_handoffs, works_cases


def home(request):
    """Send each role to where it works."""
    user = request.user
    if user.works_cases:
        return redirect("escalations:triage")
    if user.role == user.Role.PARTNER:
        return redirect("escalations:handoffs")
    return redirect("escalations:mine")


@role_required(works_cases, message="The queue is for specialists and managers.")
def queue(request):
    status = request.GET.get("status") or None
    page = paginate(request, selectors.escalation_queue(status=status))
    status_options = [(s.value, STATUS_LABELS[s]) for s in Status if s in OPEN_STATUSES]
    return render(
        request,
        "escalations/queue.html",
        {"page": page, "status": status, "status_options": status_options, "extra_query": query_without_page(request)},
    )


def mine(request):
    filterset = MyEscalationsFilter(
        request.GET, queryset=selectors.escalations_for_requester(user=request.user), request=request
    )
    page = paginate(request, filterset.qs)
    return render(
        request,
        "escalations/mine.html",
        {"page": page, "filter": filterset, "extra_query": query_without_page(request)},
    )


def file_new(request):
    """The filing form: validate everything, warn about likely duplicates, then file in one transaction."""
    form = EscalationFileForm(request.POST or None, request.FILES or None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = data["account"] if isinstance(data["account"], Account) else None
        if not data["confirm_not_duplicate"]:
            duplicates = selectors.similar_open_escalations(account=account, title=data["title"])
        if not duplicates:
            try:
                escalation = services.escalation_file(
                    acting_user=request.user,
                    account=account,
                    new_account=None
                    if account
                    else {
                        "external_id": data["account"],
                        "name": data["new_account_name"],
                        "tier": data["new_account_tier"] or Account.Tier.BUSINESS,
                    },
                    title=data["title"],
                    description=data["description"],
                    category=data["category"],
                    requesting_org=data["requesting_org"],
                    customer_need=data["customer_need"],
                    needed_by=data["needed_by"],
                    customers_affected=data["customers_affected"],
                    revenue_at_risk=data["revenue_at_risk"],
                    has_regulatory_exposure=data["has_regulatory_exposure"],
                    preferred_contact_channel=data["preferred_contact_channel"],
                    links=data["links"],
                    attachments=data["attachments"],
                )
            except DomainError as error:
                show_domain_error(form, error)
            else:
                return redirect("escalations:filed", reference=escalation.reference)
    return render(
        request,
        "escalations/new.html",
        {
            "form": form,
            "duplicates": duplicates,
            "had_files": bool(request.FILES),
            "follow_form": FollowForm(initial={"context": request.POST.get("description", "")}),
        },
        status=400 if request.method == "POST" and (form.errors or duplicates) else 200,
    )


@require_GET
def account_suggestions(request):
    accounts = selectors.account_search(query=request.GET.get("account", ""))
    return render(request, "escalations/partials/account_options.html", {"accounts": accounts})


@require_GET
def similar_escalations(request):
    query = (request.GET.get("account") or "").strip()
    account = Account.objects.filter(external_id__iexact=query.split()[0]).first() if query else None
    duplicates = selectors.similar_open_escalations(account=account, title=request.GET.get("title", ""))
    return render(
        request,
        "escalations/partials/similar.html",
        {"duplicates": duplicates, "follow_form": FollowForm(), "live": True},
    )


def filed(request, reference):
    escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
    return render(
        request,
        "escalations/filed.html",
        {"escalation": escalation, "clocks": case_clock_views(escalation, timezone.now())},
    )


@require_GET
def detail(request, reference):
    escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
    return render_case(request, escalation)


@require_POST
def comment(request, reference):
    escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.escalation_comment(
                acting_user=request.user,
                escalation=escalation,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                is_internal=request.POST.get("visibility") == "internal",
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Your comment was added to the timeline.")
            return redirect("escalations:detail", reference=escalation.reference)
    return render_case(request, escalation, bound={"comment": form}, status=400)


@require_POST
def follow(request, reference):
    escalation = selectors.escalation_get_followable(reference=reference)
    form = FollowForm(request.POST)
    form.is_valid()
    try:
        services.escalation_follow(
            acting_user=request.user, escalation=escalation, context=form.cleaned_data.get("context", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("escalations:new")
    messages.success(request, f"You now follow {escalation.reference}; you will be told when it moves.")
    return redirect("escalations:detail", reference=escalation.reference)


@require_POST
def watch(request, reference):
    escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
    watching = request.POST.get("watching") == "1"
    try:
        services.escalation_watch(acting_user=request.user, escalation=escalation, watching=watching)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "You are watching this escalation." if watching else "You stopped watching.")
    return redirect("escalations:detail", reference=escalation.reference)


@require_safe
def attachment_download(request, reference, attachment_id):
    escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
    attachment = get_object_or_404(
        selectors.escalation_attachments(escalation=escalation, user=request.user), pk=attachment_id
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    return attachment_response(handle, filename=attachment.original_name)


@role_required(sees_handoffs, message="Handoffs are for partner team members and managers.")
def handoffs(request):
    page = paginate(request, selectors.handoffs_for_user(user=request.user))
    return render(request, "escalations/handoffs.html", {"page": page})


def outbox(request):
    """Managers and admins see every email; everyone else sees the emails sent to them."""
    page = paginate(request, selectors.outbox_for_user(user=request.user))
    return render(request, "escalations/outbox.html", {"page": page})

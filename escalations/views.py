from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from escalations import selectors
from escalations.lifecycle import OPEN_STATUSES, STATUS_LABELS, Status
from users.access import is_manager, role_required, sees_handoffs, works_cases

PAGE_SIZE = 25


def home(request):
    """Send each role to where it works."""
    user = request.user
    if user.works_cases:
        return redirect("escalations:queue")
    if user.role == user.Role.PARTNER:
        return redirect("escalations:handoffs")
    return redirect("escalations:mine")


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@role_required(works_cases, message="The queue is for specialists and managers.")
def queue(request):
    status = request.GET.get("status") or None
    page = _page(request, selectors.escalation_queue(status=status))
    status_options = [(s.value, STATUS_LABELS[s]) for s in Status if s in OPEN_STATUSES]
    return render(
        request,
        "escalations/queue.html",
        {"page": page, "status": status, "status_options": status_options},
    )


def mine(request):
    page = _page(request, selectors.escalations_for_requester(user=request.user))
    return render(request, "escalations/mine.html", {"page": page})


def detail(request, reference):
    escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
    timeline = selectors.escalation_timeline(escalation=escalation, user=request.user)
    return render(
        request,
        "escalations/detail.html",
        {"escalation": escalation, "timeline": timeline, "back_url": reverse("home")},
    )


@role_required(sees_handoffs, message="Handoffs are for partner team members and managers.")
def handoffs(request):
    page = _page(request, selectors.handoffs_for_user(user=request.user))
    return render(request, "escalations/handoffs.html", {"page": page})


@role_required(is_manager, message="The outbox is for managers and admins.")
def outbox(request):
    page = _page(request, selectors.outbox_recent())
    return render(request, "escalations/outbox.html", {"page": page})

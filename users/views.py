from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from escalations.errors import DomainError
from escalations.pages import paginate, query_without_page, show_domain_error
from users import selectors, services
from users.access import is_manager, role_required
from users.audit import AuditLogFilter, audit_entries, entry_changes
from users.forms import ApiTokenForm, TimeZoneForm


def profile(request, *, form=None, time_zone_form=None, new_token=None, status=200):
    """Who you are, your time zone, and your personal API tokens (create one, see when each was last used, revoke)."""
    context = {
        "form": form or ApiTokenForm(),
        "time_zone_form": time_zone_form or TimeZoneForm(initial={"time_zone": request.user.time_zone}),
        "tokens": selectors.api_tokens_for_user(user=request.user),
        "new_token": new_token,
    }
    return render(request, "users/profile.html", context, status=status)


@never_cache  # the answer holds the raw token: no browser or proxy may keep a copy
@require_POST
def api_token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            # Rendered, not redirected: the raw value lives only in this response and is never stored.
            return profile(request, new_token={"token": token, "raw": raw})
    return profile(request, form=form, status=400)


@require_POST
def time_zone_update(request):
    form = TimeZoneForm(request.POST)
    if form.is_valid():
        try:
            user = services.user_set_time_zone(acting_user=request.user, time_zone=form.cleaned_data["time_zone"])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Times are now shown in {user.time_zone}.")
            return redirect("profile")
    return profile(request, time_zone_form=form, status=400)


@require_POST
def api_token_revoke(request, token_id):
    try:
        token = services.api_token_revoke(acting_user=request.user, token_id=token_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{token.name}” is revoked; calls made with it are now refused.")
    return redirect("profile")


@role_required(is_manager, message="The audit log is for managers and admins.")
def audit_log(request):
    """Who changed what and when, before and after, across escalations, remediations, SLA policies and users."""
    filterset = AuditLogFilter(request.GET, queryset=audit_entries())
    page = paginate(request, filterset.qs, per_page=50)
    rows = [(entry, entry_changes(entry)) for entry in page]
    return render(
        request,
        "users/audit_log.html",
        {"filter": filterset, "page": page, "rows": rows, "extra_query": query_without_page(request)},
    )


def login_locked_out(request, original_response=None, credentials=None):
    """What django-axes shows instead of the login form once an email and address are locked out."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


class SignInView(LoginView):
    """Django's sign-in page, which also warns when the next wrong passwords will lock the address out."""

    redirect_authenticated_user = True
    WARN_WHEN_LEFT = 2

    def form_invalid(self, form):
        username = self.request.POST.get("username", "")
        failures = AxesProxyHandler.get_failures(self.request, {"username": username}) if username else 0
        attempts_left = settings.AXES_FAILURE_LIMIT - failures
        if 0 < attempts_left <= self.WARN_WHEN_LEFT:
            form.add_error(
                None,
                f"{attempts_left} more wrong password{'s' if attempts_left > 1 else ''} and signing in is locked "
                f"for {int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)} minutes.",
            )
        return super().form_invalid(form)

"""The inbound-mail webhook, the unmatched-mail queue for specialists, and "My signature"."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from escalations import selectors as case_selectors
from escalations.errors import DomainError
from escalations.mail import selectors, services
from escalations.mail.forms import AttachToCaseForm, FileFromEmailForm, SignatureForm
from escalations.mail.models import InboundEmail
from escalations.models import Account
from escalations.pages import paginate, show_domain_error
from users.access import role_required, works_cases
from users.services import user_set_email_signature

SECRET_HEADER = "X-Inbound-Mail-Secret"

case_worker_required = role_required(works_cases, message="The unmatched mail is for specialists and managers.")


@csrf_exempt
@login_not_required
@require_POST
def inbound(request):
    """A raw RFC 822 message in the request body, from a mail provider's inbound webhook (or curl)."""
    secret = settings.INBOUND_MAIL_SECRET
    if not secret or not constant_time_compare(request.headers.get(SECRET_HEADER, ""), secret):
        return JsonResponse({"detail": f"Send the inbound-mail secret in the {SECRET_HEADER} header."}, status=403)
    limit = settings.INBOUND_MAIL_MAX_BYTES
    raw = request.read(limit + 1)
    if not raw.strip():
        return JsonResponse({"detail": "The body must be a raw email message (RFC 822)."}, status=400)
    receipt = services.inbound_email_receive(raw=raw, source=InboundEmail.Source.HTTP, truncated=len(raw) > limit)
    inbound_email = receipt.inbound
    return JsonResponse(
        {
            "id": inbound_email.pk,
            "message_id": inbound_email.message_id,
            "status": inbound_email.status,
            "escalation": inbound_email.escalation.reference if inbound_email.escalation_id else None,
            "automatic": inbound_email.automatic or None,
            "problem": inbound_email.problem,
            "duplicate": receipt.is_duplicate,
        },
        status=200 if receipt.is_duplicate else 202,
    )


@case_worker_required
def unmatched(request):
    page = paginate(request, selectors.unmatched_mail())
    return render(request, "escalations/mail/unmatched.html", {"page": page})


def _unmatched_or_404(pk) -> InboundEmail:
    return get_object_or_404(InboundEmail.objects.filter(status=InboundEmail.Status.UNMATCHED), pk=pk)


def _render_detail(request, inbound_email, *, attach_form=None, file_form=None, status=200):
    preview = selectors.inbound_preview(inbound_email)
    account = selectors.account_for_sender(inbound_email.from_address)
    context = {
        "inbound": inbound_email,
        "preview": preview,
        "attach_form": attach_form or AttachToCaseForm(),
        "file_form": file_form
        or FileFromEmailForm(
            initial={"account": account.external_id if account else "", "title": inbound_email.subject[:200]}
        ),
        "suggested_account": account,
    }
    return render(request, "escalations/mail/unmatched_detail.html", context, status=status)


@case_worker_required
def unmatched_detail(request, pk):
    return _render_detail(request, _unmatched_or_404(pk))


@require_POST
@case_worker_required
def unmatched_attach(request, pk):
    inbound_email = _unmatched_or_404(pk)
    form = AttachToCaseForm(request.POST)
    if form.is_valid():
        escalation = (
            case_selectors.escalations_visible_to(user=request.user)
            .filter(reference=form.cleaned_data["reference"].upper())
            .first()
        )
        if escalation is None:
            form.add_error("reference", f"There is no escalation {form.cleaned_data['reference'].upper()}.")
        else:
            try:
                services.inbound_email_attach(acting_user=request.user, inbound=inbound_email, escalation=escalation)
            except DomainError as error:
                show_domain_error(form, error)
            else:
                messages.success(request, f"The email is on {escalation.reference} now.")
                return redirect(reverse("escalations:detail", args=[escalation.reference]) + "#timeline")
    return _render_detail(request, inbound_email, attach_form=form, status=400)


@require_POST
@case_worker_required
def unmatched_file(request, pk):
    inbound_email = _unmatched_or_404(pk)
    form = FileFromEmailForm(request.POST)
    if form.is_valid():
        account = Account.objects.filter(external_id=form.cleaned_data["account"]).first()
        if account is None:
            form.add_error("account", f"There is no account {form.cleaned_data['account']}.")
        else:
            try:
                escalation = services.inbound_email_file_escalation(
                    acting_user=request.user, inbound=inbound_email, account=account, title=form.cleaned_data["title"]
                )
            except DomainError as error:
                show_domain_error(form, error)
            else:
                messages.success(request, f"Filed {escalation.reference} from the email.")
                return redirect("escalations:detail", escalation.reference)
    return _render_detail(request, inbound_email, file_form=form, status=400)


@require_POST
@case_worker_required
def unmatched_dismiss(request, pk):
    inbound_email = _unmatched_or_404(pk)
    try:
        services.inbound_email_dismiss(acting_user=request.user, inbound=inbound_email)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Dismissed the email from {inbound_email.from_address or 'an unknown sender'}.")
    return redirect("mail:unmatched")


@case_worker_required
def signature(request):
    """Each specialist writes their own signature; it is added to the customer emails they send."""
    form = SignatureForm(request.POST or None, initial={"email_signature": request.user.email_signature})
    if request.method == "POST" and form.is_valid():
        try:
            user_set_email_signature(acting_user=request.user, signature=form.cleaned_data["email_signature"])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Signature saved; your next customer email carries it.")
            return redirect("mail:signature")
    return render(request, "escalations/mail/signature.html", {"form": form}, status=400 if form.errors else 200)

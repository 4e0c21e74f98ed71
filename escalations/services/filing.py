"""Filing: new escalations, their references, accounts added on the way, links and files."""

import re
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from escalations import selectors
from escalations.errors import InvalidInput
from escalations.models import (
    ACCOUNT_EXTERNAL_ID_PATTERN,
    Account,
    Attachment,
    Category,
    Escalation,
    EscalationEvent,
    ReferenceCounter,
)
from escalations.notifications import outbox_enqueue
from escalations.sla import engine as sla
from escalations.uploads import safe_content_type, validate_uploads
from escalations.webhooks import events as webhook_events

REFERENCE_SEQUENCE = "escalation"


def reference_allocate(*, count: int = 1) -> list[str]:
    """Reserve `count` consecutive references (`ESC-1001`, …). Must run inside a transaction."""
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
        name=REFERENCE_SEQUENCE, defaults={"last_value": settings.ESCALATION_REFERENCE_START - 1}
    )
    first = counter.last_value + 1
    ReferenceCounter.objects.filter(pk=counter.pk).update(last_value=F("last_value") + count)
    return [f"ESC-{number}" for number in range(first, first + count)]


def account_add(*, external_id: str, name: str, tier: str = Account.Tier.BUSINESS) -> Account:
    """Add a customer account that is not known yet, refusing a malformed or taken `acct_` id."""
    external_id, name = (external_id or "").strip(), (name or "").strip()
    if not re.fullmatch(ACCOUNT_EXTERNAL_ID_PATTERN, external_id):
        raise InvalidInput("Use the account id as acct_ followed by 4–40 letters or digits.", field="account")
    if not name:
        raise InvalidInput(f"Give the name of the new account {external_id}.", field="new_account_name")
    if tier not in Account.Tier.values:
        raise InvalidInput(f"Tier must be one of {', '.join(Account.Tier.values)}.", field="new_account_tier")
    if Account.objects.filter(external_id__iexact=external_id).exists():
        raise InvalidInput(f"{external_id} already exists; choose it from the suggestions.", field="account")
    return Account.objects.create(external_id=external_id, name=name, tier=tier)


MAX_LINKS = 10


def _validated_links(links) -> list[str]:
    links = [link.strip() for link in links or [] if link and link.strip()]
    if len(links) > MAX_LINKS:
        raise InvalidInput(f"Add at most {MAX_LINKS} links.", field="links")
    validate = URLValidator(schemes=["http", "https"])
    for link in links:
        try:
            validate(link)
        except ValidationError:
            raise InvalidInput(
                f"“{link}” is not a web address (it should start with https://).", field="links"
            ) from None
    return links


def attachments_store(*, escalation: Escalation, event: EscalationEvent, files, acting_user) -> list[Attachment]:
    stored = []
    for uploaded in files:
        attachment = Attachment(
            escalation=escalation,
            event=event,
            uploaded_by=acting_user,
            original_name=PurePath(uploaded.name).name[:255],
            content_type=safe_content_type(uploaded.name),
            size=uploaded.size,
            created_at=event.created_at,
        )
        attachment.file.save(attachment.original_name, uploaded, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


@transaction.atomic
def escalation_file(
    *,
    acting_user,
    account: Account | None = None,
    new_account: dict | None = None,
    title: str,
    description: str,
    category: Category | None = None,
    priority: str | None = None,
    requesting_org: str = "",
    customer_need: str = "",
    needed_by=None,
    customers_affected: int | None = None,
    revenue_at_risk=None,
    has_regulatory_exposure: bool = False,
    preferred_contact_channel: str = Escalation.ContactChannel.EMAIL,
    links=(),
    attachments=(),
) -> Escalation:
    """File a new escalation on behalf of `account`, all or nothing.

    `new_account` ({"external_id", "name", "tier"}) adds an unknown account in the same transaction.
    Without an explicit `priority` the rule table suggests one (a specialist confirms it at triage).
    Writes the escalation, its attachments and the shared `filed` event in one transaction, and queues
    exactly one acknowledgement to the requester.
    """
    title = (title or "").strip()
    if not title:
        raise InvalidInput("Give the escalation a short title.", field="title")
    if not (description or "").strip():
        raise InvalidInput("Describe what is happening to the customer.", field="description")
    if priority is not None and priority not in Escalation.Priority.values:
        raise InvalidInput(f"Priority must be one of {', '.join(Escalation.Priority.values)}.", field="priority")
    if needed_by and needed_by < timezone.localdate():
        raise InvalidInput("The date the customer needs it cannot be in the past.", field="needed_by")
    links = _validated_links(links)
    if preferred_contact_channel not in Escalation.ContactChannel.values:
        raise InvalidInput("Choose email, phone or no preference.", field="preferred_contact_channel")
    validate_uploads(attachments)
    if new_account is not None:
        account = account_add(**new_account)
    if account is None:
        raise InvalidInput("Choose the customer account.", field="account")

    rule = None
    if priority is None:
        priority, rule = selectors.priority_suggestion(
            tier=account.tier,
            customers_affected=customers_affected,
            revenue_at_risk=revenue_at_risk,
            has_regulatory_exposure=has_regulatory_exposure,
        )
    (reference,) = reference_allocate()
    now = timezone.now()
    escalation = Escalation.objects.create(
        reference=reference,
        title=title,
        description=description,
        account=account,
        requester=acting_user,
        requesting_org=(requesting_org or "").strip(),
        category=category,
        priority=priority,
        customer_need=(customer_need or "").strip(),
        needed_by=needed_by,
        customers_affected=customers_affected,
        revenue_at_risk=revenue_at_risk,
        has_regulatory_exposure=has_regulatory_exposure,
        preferred_contact_channel=preferred_contact_channel,
        links=links,
        filed_at=now,
        updated_at=now,
    )
    event = EscalationEvent.objects.create(
        escalation=escalation,
        actor=acting_user,
        kind=EscalationEvent.Kind.FILED,
        visibility=EscalationEvent.Visibility.SHARED,
        body=f"{acting_user} filed {reference} for {account.name}.",
        data={"priority": priority, "priority_rule": rule.name if rule else "explicit"},
        created_at=now,
    )
    attachments_store(escalation=escalation, event=event, files=attachments, acting_user=acting_user)
    sla.on_filed(escalation)
    outbox_enqueue(
        recipient=acting_user.email,
        template="escalation_filed",
        context={"escalation": escalation, "event": event, "recipient": acting_user},
        escalation=escalation,
        dedupe_key=f"event:{event.pk}:to:{acting_user.pk}",
    )
    webhook_events.escalation_filed(escalation)
    return escalation

"""Every write on an escalation that carries a business rule.

Each service runs in one transaction, checks who is acting and the case's state, writes the
timeline event, queues notifications through the outbox, and raises a `DomainError` with a
message for people when it refuses.
"""

import logging
import re
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from escalations import selectors
from escalations.errors import InvalidInput, PermissionDenied, StaleVersion, TransitionNotAllowed
from escalations.lifecycle import ALLOWED_TRANSITIONS, Status, is_allowed, refusal_message
from escalations.models import (
    ACCOUNT_EXTERNAL_ID_PATTERN,
    Account,
    Attachment,
    Category,
    Escalation,
    EscalationEvent,
    EscalationWatcher,
    ReferenceCounter,
)
from escalations.notifications import outbox_enqueue
from escalations.uploads import validate_uploads

logger = logging.getLogger(__name__)

REFERENCE_SEQUENCE = "escalation"


def reference_allocate(*, count: int = 1) -> list[str]:
    """Reserve `count` consecutive references (`ESC-1001`, …). Must run inside a transaction."""
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
        name=REFERENCE_SEQUENCE, defaults={"last_value": settings.ESCALATION_REFERENCE_START - 1}
    )
    first = counter.last_value + 1
    ReferenceCounter.objects.filter(pk=counter.pk).update(last_value=F("last_value") + count)
    return [f"ESC-{number}" for number in range(first, first + count)]


def _require_case_worker(user) -> None:
    if user is not None and not user.works_cases:
        raise PermissionDenied("Only specialists, managers and admins can change an escalation's status.")


def _followers(escalation: Escalation) -> list:
    """The requester and the watchers, each once."""
    people = {escalation.requester_id: escalation.requester}
    for user in escalation.watchers.all():
        people.setdefault(user.pk, user)
    return [person for person in people.values() if person.is_active]


def _notify_followers(*, escalation: Escalation, event: EscalationEvent, template: str, acting_user) -> None:
    for person in _followers(escalation):
        if acting_user is not None and person.pk == acting_user.pk:
            continue
        outbox_enqueue(
            recipient=person.email,
            template=template,
            context={"escalation": escalation, "event": event, "recipient": person},
            escalation=escalation,
            dedupe_key=f"event:{event.pk}:to:{person.pk}",
        )


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


def _attachments_store(*, escalation: Escalation, event: EscalationEvent, files, acting_user) -> list[Attachment]:
    stored = []
    for uploaded in files:
        attachment = Attachment(
            escalation=escalation,
            event=event,
            uploaded_by=acting_user,
            original_name=PurePath(uploaded.name).name[:255],
            content_type=(getattr(uploaded, "content_type", "") or "")[:120],
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
    _attachments_store(escalation=escalation, event=event, files=attachments, acting_user=acting_user)
    outbox_enqueue(
        recipient=acting_user.email,
        template="escalation_filed",
        context={"escalation": escalation, "event": event, "recipient": acting_user},
        escalation=escalation,
        dedupe_key=f"event:{event.pk}:to:{acting_user.pk}",
    )
    return escalation


@transaction.atomic
def escalation_comment(
    *,
    acting_user,
    escalation: Escalation,
    body: str,
    attachments=(),
    is_internal: bool = False,
) -> EscalationEvent:
    """Add a comment (and files) to the timeline.

    Only case workers may write internal notes. A shared update from a case worker emails the requester
    and watchers; a comment from a requester or watcher emails the owner. Each person is emailed once.
    """
    body = (body or "").strip()
    attachments = list(attachments or [])
    if not body and not attachments:
        raise InvalidInput("Write a comment or attach a file.", field="body")
    if is_internal and not acting_user.works_cases:
        raise PermissionDenied("Only specialists and managers can write internal notes.")
    validate_uploads(attachments)
    now = timezone.now()
    event = EscalationEvent.objects.create(
        escalation=escalation,
        actor=acting_user,
        kind=EscalationEvent.Kind.NOTE if is_internal else EscalationEvent.Kind.COMMENT,
        visibility=EscalationEvent.Visibility.INTERNAL if is_internal else EscalationEvent.Visibility.SHARED,
        body=body,
        created_at=now,
    )
    stored = _attachments_store(escalation=escalation, event=event, files=attachments, acting_user=acting_user)
    if stored:
        event.data = {"attachments": [attachment.original_name for attachment in stored]}
        event.save(update_fields=["data"])
    Escalation.objects.filter(pk=escalation.pk).update(updated_at=now)
    if is_internal:
        return event
    if acting_user.works_cases:
        _notify_followers(escalation=escalation, event=event, template="case_update", acting_user=acting_user)
    elif escalation.assignee_id and escalation.assignee_id != acting_user.pk:
        owner = escalation.assignee
        outbox_enqueue(
            recipient=owner.email,
            template="case_comment",
            context={"escalation": escalation, "event": event, "recipient": owner},
            escalation=escalation,
            dedupe_key=f"event:{event.pk}:to:{owner.pk}",
        )
    return event


@transaction.atomic
def escalation_follow(*, acting_user, escalation: Escalation, context: str = "") -> EscalationEvent | None:
    """Follow an open escalation instead of filing a duplicate: become a watcher and add what you know.

    Following twice adds the context again but never a second watcher row; returns the timeline event.
    """
    if not escalation.is_open:
        raise InvalidInput(
            f"{escalation.reference} is {escalation.get_status_display().lower()}; file a new escalation instead."
        )
    EscalationWatcher.objects.get_or_create(escalation=escalation, user=acting_user)
    context = (context or "").strip()
    body = f"{acting_user} is also following this escalation for their customer contact."
    if context:
        body += f"\n\n{context}"
    event = EscalationEvent.objects.create(
        escalation=escalation,
        actor=acting_user,
        kind=EscalationEvent.Kind.WATCHER,
        visibility=EscalationEvent.Visibility.SHARED,
        body=body,
        data={"action": "follow", "has_context": bool(context)},
    )
    if escalation.assignee_id and escalation.assignee_id != acting_user.pk:
        owner = escalation.assignee
        outbox_enqueue(
            recipient=owner.email,
            template="case_comment",
            context={"escalation": escalation, "event": event, "recipient": owner},
            escalation=escalation,
            dedupe_key=f"event:{event.pk}:to:{owner.pk}",
        )
    return event


@transaction.atomic
def escalation_watch(*, acting_user, escalation: Escalation, watching: bool) -> bool:
    """Start or stop watching; returns whether anything changed. The requester always follows their own case."""
    if escalation.requester_id == acting_user.pk:
        raise InvalidInput("You filed this escalation, so you are always told when it moves.")
    if watching:
        _, changed = EscalationWatcher.objects.get_or_create(escalation=escalation, user=acting_user)
    else:
        changed = EscalationWatcher.objects.filter(escalation=escalation, user=acting_user).delete()[0] > 0
    if changed:
        EscalationEvent.objects.create(
            escalation=escalation,
            actor=acting_user,
            kind=EscalationEvent.Kind.WATCHER,
            visibility=EscalationEvent.Visibility.INTERNAL,
            body=f"{acting_user} {'started' if watching else 'stopped'} watching.",
            data={"action": "watch" if watching else "unwatch"},
        )
    return changed


@transaction.atomic
def escalation_transition(
    *,
    acting_user,
    escalation: Escalation,
    to_status: str,
    expected_version: int | None = None,
    reason: str = "",
    resolution_summary: str = "",
    root_cause=None,
    duplicate_of: Escalation | None = None,
) -> Escalation:
    """Move an escalation along one allowed edge of the lifecycle.

    Guarantees: only an edge in `ALLOWED_TRANSITIONS` is taken; a stale `expected_version` is refused
    rather than merged; exactly one `status_changed` event is written and the requester and watchers
    are notified once. `acting_user=None` means the system (e.g. auto-close).
    """
    _require_case_worker(acting_user)
    try:
        target = Status(to_status)
    except ValueError:
        raise InvalidInput(f"“{to_status}” is not a status.", field="status") from None

    case = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if expected_version is not None and case.version != expected_version:
        raise StaleVersion(
            f"{case.reference} was changed by someone else since you opened it. Reload it and try again."
        )
    current = case.lifecycle_status
    if not is_allowed(current, target):
        raise TransitionNotAllowed(refusal_message(current, target))

    now = timezone.now()
    action = ALLOWED_TRANSITIONS[(current, target)]
    changed = {"status", "version", "updated_at"}
    data = {"from": current.value, "to": target.value, "action": action}
    reason = (reason or "").strip()

    if target == Status.TRIAGED:
        case.triaged_at = now
        changed.add("triaged_at")
    elif target == Status.REJECTED:
        if not reason:
            raise InvalidInput("Say why the escalation is rejected; the requester will see it.", field="reason")
        case.rejection_reason = reason
        changed.add("rejection_reason")
    elif target == Status.RESOLVED:
        summary = (resolution_summary or "").strip()
        if not summary:
            raise InvalidInput("Write a resolution summary before resolving.", field="resolution_summary")
        if root_cause is None:
            raise InvalidInput("Choose the root cause before resolving.", field="root_cause")
        if root_cause.is_area:
            raise InvalidInput(
                f"“{root_cause.name}” is an area; choose one of its drivers as the root cause.", field="root_cause"
            )
        case.resolution_summary, case.root_cause, case.resolved_at = summary, root_cause, now
        changed |= {"resolution_summary", "root_cause", "resolved_at"}
        data["root_cause"] = str(root_cause)
    elif target == Status.CLOSED:
        case.closed_at = now
        changed.add("closed_at")
    elif target == Status.DUPLICATE:
        if duplicate_of is None:
            raise InvalidInput("Name the escalation this one duplicates.", field="duplicate_of")
        # Follow the whole chain from what the database holds now (the caller's copy may be stale):
        # one step is not enough once an original is itself marked duplicate, and stopping early
        # would let two cases point at each other.
        original, seen = Escalation.objects.get(pk=duplicate_of.pk), set()
        while original.duplicate_of_id and original.pk not in seen:
            seen.add(original.pk)
            original = original.duplicate_of
        if original.pk == case.pk:
            raise InvalidInput("An escalation cannot be a duplicate of itself.", field="duplicate_of")
        case.duplicate_of = original
        changed.add("duplicate_of")
        data["duplicate_of"] = original.reference
    elif target == Status.IN_PROGRESS and current in (Status.RESOLVED, Status.CLOSED):
        case.resolved_at = case.closed_at = None
        case.reopen_count += 1
        changed |= {"resolved_at", "closed_at", "reopen_count"}

    if reason:
        data["reason"] = reason
    case.status = target.value
    case.version += 1
    case.updated_at = now
    case.save(update_fields=sorted(changed))

    actor_name = str(acting_user) if acting_user else "Escalation Desk"
    body = f"{actor_name} moved {case.reference} from {current.label} to {target.label}."
    if reason:
        body += f" Reason: {reason}"
    event = EscalationEvent.objects.create(
        escalation=case,
        actor=acting_user,
        kind=EscalationEvent.Kind.STATUS_CHANGED,
        visibility=EscalationEvent.Visibility.SHARED,
        body=body,
        data=data,
        created_at=now,
    )
    _notify_followers(escalation=case, event=event, template="status_changed", acting_user=acting_user)
    return case


def escalation_auto_close_due(*, now=None) -> int:
    """Close resolved escalations that have stayed resolved for `ESCALATION_AUTO_CLOSE_DAYS`.

    Touches only resolved cases past the cut-off (a partial index covers them); each is closed in its own
    transaction so one failure cannot block the rest, and a case reopened meanwhile is left alone.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ESCALATION_AUTO_CLOSE_DAYS)
    due = list(
        Escalation.objects.filter(status=Status.RESOLVED.value, resolved_at__lte=cutoff)
        .order_by("resolved_at")
        .values_list("pk", "version")[:1000]
    )
    closed = 0
    for escalation_id, version in due:
        try:
            # The version we saw: a case reopened (and perhaps resolved again) since then is not ours to close.
            escalation_transition(
                acting_user=None,
                escalation=Escalation(pk=escalation_id),
                to_status=Status.CLOSED.value,
                expected_version=version,
            )
        except (TransitionNotAllowed, StaleVersion):
            continue  # reopened or closed by someone else since we looked
        except Exception:
            logger.exception("Auto-close failed for escalation %s", escalation_id)
            continue
        closed += 1
    return closed

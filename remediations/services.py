"""Every write on a remediation or the root-cause taxonomy that carries a business rule.

Each service runs in one transaction, checks who is acting (`remediations.access`) and the current state,
writes a `RemediationUpdate` (the remediation's timeline and audit trail) and queues mail through the outbox.
It refuses with a `DomainError` whose message is meant for people: `PermissionDenied` (403),
`TransitionNotAllowed` (409) or `InvalidInput` (400). Escalations are changed only through
`escalations.services`.
"""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from escalations.errors import InvalidInput, PermissionDenied, TransitionNotAllowed
from escalations.notifications import outbox_enqueue_many
from escalations.services import escalations_move_root_cause
from escalations.webhooks import events as webhook_events
from remediations import access, selectors
from remediations.lifecycle import RemediationStatus, action_name, is_allowed, refusal_message
from remediations.models import Remediation, RemediationUpdate, RootCause

DETAIL_FIELDS = ("title", "description", "proposed_fix", "owner", "priority", "due_date", "tracker_url")
FIELD_LABELS = {
    "title": "title",
    "description": "problem statement",
    "proposed_fix": "proposed fix",
    "owner_team": "owner team",
    "owner": "owner",
    "priority": "priority",
    "due_date": "due date",
    "tracker_url": "tracker link",
}
_validate_url = URLValidator(schemes=["http", "https"])


# --- remediations -----------------------------------------------------------------------------------------


@transaction.atomic
def remediation_create(
    *,
    acting_user,
    title: str,
    owner_team,
    description: str = "",
    proposed_fix: str = "",
    owner=None,
    priority: str = Remediation.Priority.MEDIUM,
    due_date: date | None = None,
    tracker_url: str = "",
    root_causes: Iterable[RootCause] = (),
    escalations: Iterable = (),
) -> Remediation:
    """Propose a remediation to a partner team, linked to the root causes and escalations that justify it.

    Case workers propose to any team, partner team members to their own. The owner team is emailed (not the
    person who proposed it), once; the timeline starts with a "created" entry.
    """
    if not access.can_create_for(acting_user, owner_team):
        raise PermissionDenied(
            "Only specialists, managers and members of the owner team can propose a remediation to that team."
        )
    title = _required_text(title, field="title", message="Give the remediation a title.")
    _check_priority(priority)
    if due_date is not None and due_date < timezone.localdate():
        raise InvalidInput("Choose a due date from today on.", field="due_date")
    _check_owner(owner, owner_team)
    _check_tracker_url(tracker_url)
    root_causes = list(root_causes)
    _check_drivers(root_causes, already_linked=set())
    escalations = list(escalations)
    remediation = Remediation.objects.create(
        title=title,
        description=description.strip(),
        proposed_fix=proposed_fix.strip(),
        owner_team=owner_team,
        owner=owner,
        priority=priority,
        due_date=due_date,
        tracker_url=tracker_url.strip(),
        created_by=acting_user,
    )
    remediation.root_causes.set(root_causes)
    remediation.escalations.set(escalations)
    update = _record(
        remediation=remediation,
        acting_user=acting_user,
        kind=RemediationUpdate.Kind.CREATED,
        body=f"{acting_user} proposed this remediation to {owner_team}.",
        data={
            "root_causes": sorted(root_cause.pk for root_cause in root_causes),
            "escalations": sorted(escalation.reference for escalation in escalations),
        },
    )
    outbox_enqueue_many(
        recipients=[r for r in selectors.team_recipients(owner_team, owner=owner) if r != acting_user.email],
        template="remediation_proposed",
        context={"remediation": remediation, "update": update, "acting_user": acting_user},
        dedupe_key=lambda recipient: f"remediation-update:{update.pk}:to:{recipient}",
    )
    return remediation


@transaction.atomic
def remediation_edit(*, acting_user, remediation: Remediation, changes: dict) -> Remediation:
    """Change details (title, problem, fix, owner, priority, due date, tracker link), the owner team, or the
    linked root causes and escalations. One timeline entry says what changed from what to what; no change writes
    nothing.

    `changes` holds only the fields to change: any of `DETAIL_FIELDS`, `owner_team`, `root_causes`, `escalations`.
    """
    unknown = set(changes) - {*DETAIL_FIELDS, "owner_team", "root_causes", "escalations"}
    if unknown:
        raise InvalidInput(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    locked = _lock(remediation)
    rights = access.remediation_rights(acting_user, locked)
    if not rights.can_see:
        raise PermissionDenied("You cannot change a remediation of another team.")

    before = {name: getattr(locked, name) for name in (*DETAIL_FIELDS, "owner_team")}
    changes = {name: value.strip() if isinstance(value, str) else value for name, value in changes.items()}
    detail_changes = {name: value for name, value in changes.items() if name in before and value != before[name]}
    if detail_changes and not rights.can_edit:
        raise PermissionDenied("Only the owner team, managers, or whoever proposed it (while proposed) can edit it.")
    if "owner_team" in detail_changes and not rights.can_change_team:
        raise PermissionDenied("Only managers, or whoever proposed it while it is proposed, can change the team.")
    if "title" in detail_changes:
        detail_changes["title"] = _required_text(detail_changes["title"], field="title", message="Give it a title.")
    if "priority" in detail_changes:
        _check_priority(detail_changes["priority"])
    if "tracker_url" in detail_changes:
        _check_tracker_url(detail_changes["tracker_url"])
    if detail_changes.get("due_date") is not None and detail_changes["due_date"] < timezone.localdate():
        raise InvalidInput("Choose a due date from today on.", field="due_date")
    team = detail_changes.get("owner_team", locked.owner_team)
    owner = detail_changes.get("owner", locked.owner)
    moves_team_keeps_owner = "owner_team" in detail_changes and "owner" not in changes and owner is not None
    if moves_team_keeps_owner and not team.members.filter(pk=owner.pk).exists():
        detail_changes["owner"] = owner = None  # the old owner stays only if they are on the new team too
    if "owner_team" in detail_changes or "owner" in detail_changes:
        _check_owner(owner, team)

    link_data = {}
    if "root_causes" in changes or "escalations" in changes:
        link_data = _relink(locked, changes, rights)

    if not detail_changes and not link_data:
        return locked
    for name, value in detail_changes.items():
        setattr(locked, name, value)
    if detail_changes:
        locked.save(update_fields=[*detail_changes, "updated_at"])
    else:
        locked.save(update_fields=["updated_at"])
    lines = [
        f"{FIELD_LABELS[name]}: {_shown(name, before[name])} → {_shown(name, getattr(locked, name))}"
        for name in detail_changes
        if name not in ("description", "proposed_fix")
    ]
    lines += [f"{FIELD_LABELS[name]} rewritten" for name in detail_changes if name in ("description", "proposed_fix")]
    lines += link_data.pop("lines", [])
    _record(
        remediation=locked,
        acting_user=acting_user,
        kind=RemediationUpdate.Kind.EDITED if detail_changes else RemediationUpdate.Kind.LINKED,
        body=f"{acting_user} changed " + "; ".join(lines) + ".",
        data={
            **{name: [_raw(before[name]), _raw(getattr(locked, name))] for name in detail_changes},
            **link_data,
        },
    )
    return locked


def _relink(remediation: Remediation, changes: dict, rights: access.RemediationRights) -> dict:
    """Replace the linked root causes and/or escalations; returns what changed for the timeline (or nothing)."""
    if not rights.can_link:
        raise PermissionDenied("Only case workers and the owner team can change what a remediation is linked to.")
    data, lines = {}, []
    if "root_causes" in changes:
        current = set(remediation.root_causes.values_list("pk", flat=True))
        wanted = list(changes["root_causes"])
        _check_drivers(wanted, already_linked=current)
        wanted_ids = {root_cause.pk for root_cause in wanted}
        added, removed = wanted_ids - current, current - wanted_ids
        if added or removed:
            remediation.root_causes.set(wanted)
            names = dict(RootCause.objects.filter(pk__in=added | removed).values_list("pk", "name"))
            data["root_causes"] = {"added": sorted(added), "removed": sorted(removed)}
            lines += [f"linked root cause {names[pk]}" for pk in sorted(added)]
            lines += [f"unlinked root cause {names[pk]}" for pk in sorted(removed)]
    if "escalations" in changes:
        current = set(remediation.escalations.values_list("reference", flat=True))
        wanted = list(changes["escalations"])
        wanted_refs = {escalation.reference for escalation in wanted}
        added, removed = wanted_refs - current, current - wanted_refs
        if added or removed:
            remediation.escalations.set(wanted)
            data["escalations"] = {"added": sorted(added), "removed": sorted(removed)}
            if added:
                lines.append("linked " + ", ".join(sorted(added)))
            if removed:
                lines.append("unlinked " + ", ".join(sorted(removed)))
    if lines:
        data["lines"] = lines
    return data


@transaction.atomic
def remediation_transition(
    *, acting_user, remediation: Remediation, to_status: str, reason: str = "", note: str = ""
) -> Remediation:
    """Move a remediation along one allowed edge of `remediations.lifecycle`; anything else is refused (409).

    Only the owner team's members and managers move it. Declining needs a reason. Shipping stamps `shipped_at`
    (what the effectiveness comparison counts from), verifying stamps `verified_at`, reopening a shipped one
    clears `shipped_at`. The timeline gets one entry; whoever proposed and whoever owns it are emailed (not the
    person who moved it).
    """
    if to_status not in {status.value for status in RemediationStatus}:
        raise InvalidInput(
            f"Status must be one of {', '.join(status.value for status in RemediationStatus)}.", field="to_status"
        )
    to_status = RemediationStatus(to_status)
    locked = _lock(remediation)
    if not access.remediation_rights(acting_user, locked).can_move:
        raise PermissionDenied(f"Only members of {locked.owner_team} and managers can move this remediation.")
    from_status = locked.lifecycle_status
    if not is_allowed(from_status, to_status):
        raise TransitionNotAllowed(refusal_message(from_status, to_status), field="to_status")
    reason, note = reason.strip(), note.strip()
    now = timezone.now()
    changed = ["status", "updated_at"]
    locked.status = to_status.value
    if to_status == RemediationStatus.DECLINED:
        if not reason:
            raise InvalidInput("Say why the remediation is declined; the people who proposed it will read it.",
                               field="reason")  # fmt: skip
        locked.decline_reason = reason
        changed.append("decline_reason")
    elif to_status == RemediationStatus.SHIPPED:
        locked.shipped_at = now
        changed.append("shipped_at")
    elif to_status == RemediationStatus.VERIFIED:
        locked.verified_at = now
        changed.append("verified_at")
    elif from_status == RemediationStatus.SHIPPED:  # reopened: it did not hold
        locked.shipped_at = None
        changed.append("shipped_at")
    locked.save(update_fields=changed)
    action = action_name(from_status, to_status)
    body = f"{acting_user} moved it from {from_status.label} to {to_status.label} ({action})."
    if reason:
        body += f"\nReason: {reason}"
    if note:
        body += f"\n{note}"
    update = _record(
        remediation=locked,
        acting_user=acting_user,
        kind=RemediationUpdate.Kind.STATUS_CHANGED,
        body=body,
        data={"from": from_status.value, "to": to_status.value, "reason": reason, "note": note},
        created_at=now,
    )
    people = {
        person.email: person
        for person in (locked.created_by, locked.owner)
        if person and person.pk != acting_user.pk and person.is_active
    }
    outbox_enqueue_many(
        recipients=people,
        template="remediation_status_changed",
        context={"remediation": locked, "update": update, "acting_user": acting_user},
        per_recipient=lambda address: {"recipient": people[address]},
        dedupe_key=lambda address: f"remediation-update:{update.pk}:to:{address}",
    )
    if to_status == RemediationStatus.SHIPPED:
        webhook_events.remediation_shipped(locked)
    return locked


@transaction.atomic
def remediation_update_add(*, acting_user, remediation: Remediation, body: str) -> RemediationUpdate:
    """Post a progress update on the remediation's timeline (anyone who may see the remediation)."""
    body = _required_text(body, field="body", message="Write the update first.")
    if not access.remediation_rights(acting_user, remediation).can_add_update:
        raise PermissionDenied("You cannot post on a remediation of another team.")
    Remediation.objects.filter(pk=remediation.pk).update(updated_at=timezone.now())
    return _record(
        remediation=remediation, acting_user=acting_user, kind=RemediationUpdate.Kind.PROGRESS, body=body, data={}
    )


# --- root causes --------------------------------------------------------------------------------------------


@transaction.atomic
def root_cause_create(*, acting_user, name: str, parent: RootCause | None = None, description: str = "") -> RootCause:
    """Add an area (no parent) or a driver under an active area. Managers only."""
    _require_taxonomy_manager(acting_user)
    name = _required_text(name, field="name", message="Give it a name.")
    if parent is not None and (parent.is_driver or not parent.is_active):
        raise InvalidInput("A driver goes under an active area.", field="parent")
    slug = slugify(name)[:120]
    if not slug:
        raise InvalidInput("Use letters or digits in the name.", field="name")
    siblings = RootCause.objects.filter(parent=parent) if parent else RootCause.objects.filter(parent__isnull=True)
    if siblings.filter(slug=slug).exists():
        where = f"in {parent.name}" if parent else "among the areas"
        raise InvalidInput(f"There is already a “{name}” {where}.", field="name")
    return RootCause.objects.create(parent=parent, name=name, slug=slug, description=description.strip())


@transaction.atomic
def root_cause_rename(*, acting_user, root_cause: RootCause, name: str, description: str | None = None) -> RootCause:
    """Rename an area or driver (the cases keep it: they point at the row, not the name). Managers only."""
    _require_taxonomy_manager(acting_user)
    name = _required_text(name, field="name", message="Give it a name.")
    locked = RootCause.objects.select_for_update().get(pk=root_cause.pk)
    locked.name = name
    fields = ["name"]
    if description is not None:
        locked.description = description.strip()
        fields.append("description")
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def root_cause_retire(*, acting_user, root_cause: RootCause) -> RootCause:
    """Take a driver (or a whole area) out of the pickers; cases and remediations keep it on their history.

    Managers only. Retiring an area hides its drivers too; restoring the area brings them back.
    """
    _require_taxonomy_manager(acting_user)
    locked = RootCause.objects.select_for_update().get(pk=root_cause.pk)
    if not locked.is_active:
        raise InvalidInput(f"“{locked.name}” is already retired.")
    locked.is_active = False
    locked.retired_at = timezone.now()
    locked.retired_by = acting_user
    locked.save(update_fields=["is_active", "retired_at", "retired_by"])
    return locked


@transaction.atomic
def root_cause_restore(*, acting_user, root_cause: RootCause) -> RootCause:
    """Put a retired driver or area back in the pickers. A merged driver stays retired: its cases moved on."""
    _require_taxonomy_manager(acting_user)
    locked = RootCause.objects.select_for_update().get(pk=root_cause.pk)
    if locked.is_active:
        raise InvalidInput(f"“{locked.name}” is not retired.")
    if locked.merged_into_id:
        raise InvalidInput(f"“{locked.name}” was merged into another driver; it cannot come back.")
    locked.is_active = True
    locked.retired_at = None
    locked.retired_by = None
    locked.save(update_fields=["is_active", "retired_at", "retired_by"])
    return locked


@transaction.atomic
def root_cause_merge(*, acting_user, source: RootCause, target: RootCause, reason: str = "") -> int:
    """Merge driver `source` into driver `target`; returns how many escalations moved.

    Every case on `source` moves to `target` with an internal event on its timeline (through
    `escalations.services.escalations_move_root_cause`); remediations linked to `source` are linked to `target`
    too, with an entry on their timelines; `source` is retired and remembers where it went. Managers only.
    """
    _require_taxonomy_manager(acting_user)
    if source.pk == target.pk:
        raise InvalidInput("Choose a different driver to merge into.", field="target")
    pair = RootCause.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
    locked = {root_cause.pk: root_cause for root_cause in pair}
    source, target = locked[source.pk], locked[target.pk]
    if source.is_area or target.is_area:
        raise InvalidInput("Only drivers can be merged; choose a driver under an area.", field="source")
    if source.merged_into_id:
        raise InvalidInput(f"“{source.name}” was already merged into another driver.", field="source")
    if not target.is_active:
        raise InvalidInput(f"“{target.name}” is retired; merge into an active driver.", field="target")
    reason = reason.strip()
    moved = escalations_move_root_cause(acting_user=acting_user, from_driver=source, to_driver=target, reason=reason)
    now = timezone.now()
    for remediation in Remediation.objects.select_for_update(of=("self",)).filter(root_causes=source).order_by("pk"):
        remediation.root_causes.add(target)
        _record(
            remediation=remediation,
            acting_user=acting_user,
            kind=RemediationUpdate.Kind.LINKED,
            body=f"Root cause {source} was merged into {target}; {target.name} is linked now." + (
                f" {reason}" if reason else ""),
            data={"merged": {"from": source.pk, "to": target.pk}, "root_causes": {"added": [target.pk]}},
            created_at=now,
        )  # fmt: skip
    source.is_active = False
    source.retired_at = now
    source.retired_by = acting_user
    source.merged_into = target
    source.save(update_fields=["is_active", "retired_at", "retired_by", "merged_into"])
    return moved


# --- helpers ------------------------------------------------------------------------------------------------


def _lock(remediation: Remediation) -> Remediation:
    return (
        Remediation.objects.select_for_update(of=("self",))
        .select_related("owner_team", "owner", "created_by")
        .get(pk=remediation.pk)
    )


def _record(*, remediation, acting_user, kind, body: str, data: dict, created_at=None) -> RemediationUpdate:
    return RemediationUpdate.objects.create(
        remediation=remediation,
        actor=acting_user,
        kind=kind,
        body=body,
        data=data,
        created_at=created_at or timezone.now(),
    )


def _required_text(value: str, *, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, field=field)
    return value


def _check_priority(priority: str) -> None:
    if priority not in Remediation.Priority.values:
        raise InvalidInput(f"Priority must be one of {', '.join(Remediation.Priority.values)}.", field="priority")


def _check_owner(owner, team) -> None:
    if owner is None:
        return
    if not owner.is_active or not team.members.filter(pk=owner.pk).exists():
        raise InvalidInput(f"{owner} is not an active member of {team}; choose someone on the team.", field="owner")


def _check_tracker_url(url: str) -> None:
    if not url:
        return
    try:
        _validate_url(url.strip())
    except ValidationError:
        raise InvalidInput("Give the tracker link as an http(s) URL.", field="tracker_url") from None


def _check_drivers(root_causes: list[RootCause], *, already_linked: set[int]) -> None:
    for root_cause in root_causes:
        if root_cause.is_area:
            raise InvalidInput(f"“{root_cause.name}” is an area; link one of its drivers.", field="root_causes")
        if not root_cause.is_active and root_cause.pk not in already_linked:
            raise InvalidInput(f"“{root_cause.name}” is retired; link an active driver.", field="root_causes")


def _require_taxonomy_manager(user) -> None:
    if not access.manages_taxonomy(user):
        raise PermissionDenied("Only managers and admins change the root-cause taxonomy.")


def _shown(name: str, value) -> str:
    if value in (None, ""):
        return "none"
    if isinstance(value, date):
        return value.strftime("%b %-d, %Y")
    if name == "priority":
        return Remediation.Priority(value).label
    return str(value)


def _raw(value):
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "pk", str(value))

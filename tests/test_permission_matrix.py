"""One permission matrix for every URL of the project, checked as every role and as a stranger.

`MATRIX` says, for each URL name, the status each role gets for GET, for POST and for every other method an API
view implements (PATCH, DELETE: each API operation). POSTs are empty unless `BODIES` gives a valid body: a
permitted caller gets past the permission check to the validation (400) or the action (redirect, 200, 201);
anyone else is refused. The test walks `django.urls.get_resolver()` recursively and fails for any URL pattern
without an entry, so a new view cannot ship without someone deciding who may use it.

To add a URL: add a line to `MATRIX` (and, if it has a new kind of parameter, to `url_kwargs`). Statuses:
302 for pages means "sent to the sign-in page" for strangers (`LOGIN` below); 403 refused by role; 404 not
yours (object-level rule: a case you cannot see does not exist for you); 405 method not offered.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from escalations.mail.models import InboundEmail
from escalations.models import Attachment, BusinessCalendar, EscalationEvent, SavedView, SLAPolicy
from tests import factories
from users.services import api_token_create

ROLES = ("anonymous", "requester", "partner", "specialist", "manager", "admin")
LOGIN = "login"  # a stranger is sent to the sign-in page (302)
ADMIN_LOGIN = "admin-login"  # the admin site sends non-staff to its own sign-in page (302)
REFUSED = "refused"  # a form action that redirects back with an error message (302): the service said no
SIGN_IN = "a sign-in page"  # the site's or the admin's: the site's login-required middleware may answer first
STAFF_ALLOWED = "let in"  # any answer but a sign-in redirect or a server error (the admin has 200, 302, 403, 404)


def row(anonymous, requester, partner, specialist, manager, admin):
    return dict(zip(ROLES, (anonymous, requester, partner, specialist, manager, admin), strict=True))


def everyone(status, *, anonymous=LOGIN):
    return row(anonymous, status, status, status, status, status)


def case_workers(allowed, *, others=403, anonymous=LOGIN):
    """Specialists, managers and admins get `allowed`; requesters and partners `others`."""
    return row(anonymous, others, others, allowed, allowed, allowed)


def managers(allowed, *, others=403, anonymous=LOGIN):
    return row(anonymous, others, others, others, allowed, allowed)


API_STRANGER = 403  # DRF: no credentials, no access (JSON body in the API's error shape)


def api(requester, partner, specialist, manager, admin):
    return row(API_STRANGER, requester, partner, specialist, manager, admin)


NOT_OFFERED = everyone(405)
API_NOT_OFFERED = everyone(405, anonymous=API_STRANGER)
# DRF checks the role before the method: a method a role-restricted API view does not offer is 403 for the others.
CASE_WORKERS_ONLY_405 = api(403, 403, 405, 405, 405)
HANDOFF_PEOPLE_405 = api(403, 405, 405, 405, 405)
# A lifecycle, communication or handoff action on the case: refused by role, else the empty body is invalid.
CASE_ACTION = api(403, 403, 400, 400, 400)


# ---------------------------------------------------------------------------------------------------------------
# THE MATRIX. Roles in order: anonymous, requester, partner, specialist, manager, admin.
# The world: the requester filed the case, it is handed off to the partner's team, the partner's team owns the
# remediation, the specialist owns the saved view and the requester the API token.

MATRIX = {
    "api-docs": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": NOT_OFFERED},
    "api_token_create": {"GET": NOT_OFFERED, "POST": row(LOGIN, 400, 400, 400, 400, 400)},
    "time_zone_update": {"GET": NOT_OFFERED, "POST": row(LOGIN, 400, 400, 400, 400, 400)},
    "api_token_revoke": {"GET": NOT_OFFERED, "POST": row(LOGIN, 302, REFUSED, REFUSED, REFUSED, REFUSED)},
    "audit_log": {"GET": row(LOGIN, 403, 403, 403, 200, 200), "POST": row(LOGIN, 403, 403, 403, 200, 200)},
    "escalations:account_suggestions": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": NOT_OFFERED},
    "escalations:assign": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:attachment": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": NOT_OFFERED},
    "escalations:call": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:comment": {"GET": NOT_OFFERED, "POST": row(LOGIN, 400, 400, 400, 400, 400)},
    "escalations:detail": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": NOT_OFFERED},
    "escalations:duplicate": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:email": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:email_compose": {"GET": row(LOGIN, 403, 403, 200, 200, 200), "POST": NOT_OFFERED},
    "escalations:filed": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": row(LOGIN, 200, 200, 200, 200, 200)},
    "escalations:follow": {"GET": NOT_OFFERED, "POST": row(LOGIN, 302, 302, 302, 302, 302)},
    "escalations:handoff": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:handoff_acknowledge": {"GET": NOT_OFFERED, "POST": row(LOGIN, 404, 302, 302, 302, 302)},
    "escalations:handoff_answer": {"GET": NOT_OFFERED, "POST": row(LOGIN, 404, REFUSED, REFUSED, REFUSED, REFUSED)},
    "escalations:handoffs": {"GET": row(LOGIN, 403, 200, 403, 200, 200), "POST": row(LOGIN, 403, 200, 403, 200, 200)},
    "escalations:mine": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": row(LOGIN, 200, 200, 200, 200, 200)},
    "escalations:new": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": row(LOGIN, 200, 200, 200, 200, 200)},
    "escalations:outbox": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": row(LOGIN, 200, 200, 200, 200, 200)},
    "escalations:priority": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:queue": {"GET": row(LOGIN, 403, 403, 200, 200, 200), "POST": row(LOGIN, 403, 403, 200, 200, 200)},
    "escalations:reject": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:resolve": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:similar": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": NOT_OFFERED},
    "escalations:status": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:triage": {"GET": row(LOGIN, 403, 403, 200, 200, 200), "POST": row(LOGIN, 403, 403, 405, 405, 405)},
    "escalations:triage_bulk": {
        "GET": row(LOGIN, 403, 403, 405, 405, 405),
        "POST": row(LOGIN, 403, 403, REFUSED, REFUSED, REFUSED),
    },
    "escalations:triage_case": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 400, 400, 400)},
    "escalations:triage_delete_view": {
        "GET": row(LOGIN, 403, 403, 405, 405, 405),
        "POST": row(LOGIN, 403, 403, 302, 404, 404),
    },
    "escalations:triage_save_view": {
        "GET": row(LOGIN, 403, 403, 405, 405, 405),
        "POST": row(LOGIN, 403, 403, 400, 400, 400),
    },
    "escalations:watch": {"GET": NOT_OFFERED, "POST": row(LOGIN, REFUSED, 302, 302, 302, 302)},
    # Everyone looks accounts up to file a case; the customer's contact comes back empty for requesters and partners.
    "escalations_api:account-detail": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:account-list": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:assign": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:attachment-detail": {"GET": row(403, 200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:attachments": {
        "GET": row(403, 200, 200, 200, 200, 200),
        "POST": row(403, 415, 415, 415, 415, 415),
    },
    "escalations_api:calls": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:case-handoffs": {
        "GET": api(200, 200, 200, 200, 200),  # the requester's list is empty; the partner's has their team's
        "POST": CASE_ACTION,
    },
    "escalations_api:category-list": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:comments": {"GET": row(403, 200, 200, 200, 200, 200), "POST": row(403, 403, 403, 201, 201, 201)},
    "escalations_api:communications": {"GET": api(403, 403, 200, 200, 200), "POST": CASE_WORKERS_ONLY_405},
    "escalations_api:duplicate": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:emails": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:escalation-detail": {"GET": row(403, 200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:escalation-list": {
        "GET": row(403, 200, 200, 200, 200, 200),
        "POST": row(403, 400, 400, 400, 400, 400),
    },
    "escalations_api:events": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:follow": {"GET": API_NOT_OFFERED, "POST": row(403, 200, 200, 200, 200, 200)},
    "escalations_api:handoff-acknowledge": {"GET": HANDOFF_PEOPLE_405, "POST": api(403, 200, 200, 200, 200)},
    "escalations_api:handoff-answer": {"GET": HANDOFF_PEOPLE_405, "POST": api(403, 400, 400, 400, 400)},
    # Unlike the handoffs page (partners and managers), the API lists handoffs for specialists too: they see every
    # case and may acknowledge or answer any handoff, as on the case page.
    "escalations_api:handoff-detail": {"GET": api(403, 200, 200, 200, 200), "POST": HANDOFF_PEOPLE_405},
    "escalations_api:handoff-list": {"GET": api(403, 200, 200, 200, 200), "POST": HANDOFF_PEOPLE_405},
    "escalations_api:partner-team-detail": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:partner-team-list": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:priority": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:reject": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:reopen": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:resolve": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:saved-view-detail": {
        "GET": CASE_WORKERS_ONLY_405,
        "POST": CASE_WORKERS_ONLY_405,
        "DELETE": api(403, 403, 204, 404, 404),  # the specialist's own view; nobody else's
    },
    "escalations_api:saved-view-list": {"GET": api(403, 403, 200, 200, 200), "POST": api(403, 403, 400, 400, 400)},
    "escalations_api:sla-calendar-detail": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:sla-calendar-list": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:sla-policy-detail": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:sla-policy-list": {"GET": api(200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "escalations_api:template-list": {"GET": api(403, 403, 200, 200, 200), "POST": CASE_WORKERS_ONLY_405},
    "escalations_api:transition": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:triage": {"GET": CASE_WORKERS_ONLY_405, "POST": CASE_ACTION},
    "escalations_api:watch": {
        "GET": API_NOT_OFFERED,
        "POST": row(403, 400, 200, 200, 200, 200),  # the requester is told their own case is always followed
        "DELETE": row(403, 400, 200, 200, 200, 200),
    },
    "healthz": {"GET": row(200, 200, 200, 200, 200, 200), "POST": row(405, 405, 405, 405, 405, 405)},
    "home": {"GET": row(LOGIN, 302, 302, 302, 302, 302), "POST": row(LOGIN, 302, 302, 302, 302, 302)},
    "login": {"GET": row(200, 302, 302, 302, 302, 302), "POST": row(200, 302, 302, 302, 302, 302)},
    "logout": {"GET": NOT_OFFERED, "POST": row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)},
    # Customer mail. The inbound webhook answers to the shared secret in its header, never to a session: without it
    # everyone (signed in or not) is refused; the unmatched queue and the signature page are for case workers.
    "mail:inbound": {"GET": everyone(405, anonymous=405), "POST": everyone(403, anonymous=403)},
    "mail:signature": {"GET": case_workers(200), "POST": case_workers(200)},  # an empty POST shows the form again
    "mail:unmatched": {"GET": case_workers(200), "POST": case_workers(200)},
    "mail:unmatched_attach": {"GET": NOT_OFFERED, "POST": case_workers(400)},
    "mail:unmatched_detail": {"GET": case_workers(200), "POST": case_workers(200)},
    "mail:unmatched_dismiss": {"GET": NOT_OFFERED, "POST": case_workers(302)},
    "mail:unmatched_file": {"GET": NOT_OFFERED, "POST": case_workers(400)},
    "profile": {"GET": row(LOGIN, 200, 200, 200, 200, 200), "POST": row(LOGIN, 200, 200, 200, 200, 200)},
    "remediations:board": {"GET": row(LOGIN, 403, 200, 200, 200, 200), "POST": row(LOGIN, 403, 200, 200, 200, 200)},
    "remediations:detail": {"GET": row(LOGIN, 403, 200, 200, 200, 200), "POST": row(LOGIN, 403, 405, 405, 405, 405)},
    "remediations:edit": {"GET": row(LOGIN, 403, 200, 200, 200, 200), "POST": row(LOGIN, 403, 400, 400, 400, 400)},
    "remediations:list": {"GET": row(LOGIN, 403, 200, 200, 200, 200), "POST": row(LOGIN, 403, 200, 200, 200, 200)},
    "remediations:new": {"GET": row(LOGIN, 403, 200, 200, 200, 200), "POST": row(LOGIN, 403, 400, 400, 400, 400)},
    "remediations:owed": {"GET": row(LOGIN, 403, 200, 200, 200, 200), "POST": row(LOGIN, 403, 200, 200, 200, 200)},
    "remediations:root_cause": {
        "GET": row(LOGIN, 403, 403, 200, 200, 200),
        "POST": row(LOGIN, 403, 403, 200, 200, 200),
    },
    "remediations:root_cause_change": {
        "GET": row(LOGIN, 403, 403, 200, 200, 200),
        "POST": row(LOGIN, 403, 403, 400, 400, 400),
    },
    "remediations:root_cause_create": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 403, 302, 302)},
    "remediations:root_cause_merge": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 403, 400, 400)},
    "remediations:root_cause_restore": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 403, REFUSED, REFUSED)},
    "remediations:root_cause_retire": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 403, 403, 302, 302)},
    "remediations:root_causes": {
        "GET": row(LOGIN, 403, 403, 200, 200, 200),
        "POST": row(LOGIN, 403, 403, 200, 200, 200),
    },
    "remediations:transition": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 302, 400, 302, 302)},
    "remediations:update": {"GET": NOT_OFFERED, "POST": row(LOGIN, 403, 302, 302, 302, 302)},
    "remediations_api:remediation-detail": {
        "GET": row(403, 403, 200, 200, 200, 200),
        "POST": row(403, 403, 405, 405, 405, 405),
        "PATCH": row(403, 403, 200, 403, 200, 200),  # a specialist edits only what they proposed, while proposed
    },
    "remediations_api:remediation-effectiveness": {
        "GET": row(403, 403, 200, 200, 200, 200),
        "POST": row(403, 403, 405, 405, 405, 405),
    },
    "remediations_api:remediation-list": {
        "GET": row(403, 403, 200, 200, 200, 200),
        "POST": row(403, 403, 201, 201, 201, 201),
    },
    "remediations_api:remediation-transition": {
        "GET": row(403, 403, 405, 405, 405, 405),
        "POST": row(403, 403, 200, 403, 200, 200),
    },
    "remediations_api:remediation-updates": {
        "GET": row(403, 403, 200, 200, 200, 200),
        "POST": row(403, 403, 201, 201, 201, 201),
    },
    "remediations_api:root-cause-detail": {
        "GET": row(403, 403, 200, 200, 200, 200),
        "POST": row(403, 403, 405, 405, 405, 405),
        "PATCH": row(403, 403, 403, 403, 200, 200),
    },
    "remediations_api:root-cause-list": {
        "GET": row(403, 403, 200, 200, 200, 200),
        "POST": row(403, 403, 403, 403, 201, 201),
    },
    "remediations_api:root-cause-merge": {
        "GET": row(403, 403, 405, 405, 405, 405),
        "POST": row(403, 403, 400, 400, 400, 400),
    },
    "remediations_api:root-cause-restore": {
        "GET": row(403, 403, 405, 405, 405, 405),
        "POST": row(403, 403, 403, 403, 400, 400),
    },
    "remediations_api:root-cause-retire": {
        "GET": row(403, 403, 405, 405, 405, 405),
        "POST": row(403, 403, 403, 403, 200, 200),
    },
    # Reports (`reports/access.py`). The sample report is partner accountability, the one partners may read (their
    # teams only); the others are for case workers, checked per report in tests/test_object_permissions.py.
    "reports:csv": {"GET": row(LOGIN, 403, 200, 200, 200, 200), "POST": NOT_OFFERED},
    "reports:index": {"GET": row(LOGIN, 403, 200, 200, 200, 200), "POST": NOT_OFFERED},
    "reports:report": {"GET": row(LOGIN, 403, 200, 200, 200, 200), "POST": NOT_OFFERED},
    "reports_api:report": {"GET": api(403, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
    "schema": {"GET": row(403, 200, 200, 200, 200, 200), "POST": API_NOT_OFFERED},
}


def admin_site_entry(route: Route) -> dict:
    """The admin site lets staff (our admins) in and sends everyone else to its sign-in page, for every model."""
    if route.key == "admin:login":
        return {"GET": row(200, 200, 200, 200, 200, 302)}  # signed-in staff go on to the index
    if route.key == "admin:logout":
        return {"GET": row(SIGN_IN, 302, 302, 302, 302, 405)}
    return {"GET": row(SIGN_IN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, STAFF_ALLOWED)}


def expected_for(route: Route) -> dict | None:
    if route.is_admin:
        return admin_site_entry(route)
    return MATRIX.get(route.key)


# ---------------------------------------------------------------------------------------------------------------
# The world every URL is tried against: a case filed by the requester and handed off to the partner's team, with
# a shared file; a remediation owed by that team; a root cause; a specialist's saved view; the requester's token;
# an email nobody could match to a case; the service-level policies and calendars the data migrations write.


@dataclass
class World:
    users: dict
    escalation: object
    attachment: object
    handoff: object
    remediation: object
    driver: object
    saved_view: object
    token: object
    inbound_email: object


@pytest.fixture
def world(requester, partner, partner_team, specialist, manager, admin_user, account, driver, reference_data):
    escalation = factories.EscalationFactory(requester=requester, account=account, title="Invoices doubled")
    event = factories.EventFactory(escalation=escalation, visibility=EscalationEvent.Visibility.SHARED)
    attachment = Attachment(escalation=escalation, event=event, original_name="notes.txt", size=5)
    attachment.file.save("notes.txt", __import__("io").BytesIO(b"notes"), save=False)
    attachment.save()
    handoff = factories.HandoffFactory(escalation=escalation, partner_team=partner_team, requested_by=specialist)
    remediation = factories.RemediationFactory(owner_team=partner_team, title="Stop double posting")
    saved_view = SavedView.objects.create(owner=specialist, name="P1s", query="priority=P1")
    token, _raw = api_token_create(user=requester, name="script")
    inbound_email = InboundEmail.objects.create(
        message_id="<stray@customer.example>",
        status=InboundEmail.Status.UNMATCHED,
        source=InboundEmail.Source.HTTP,
        from_address="someone@customer.example",
        subject="Where is my refund?",
        raw=b"From: someone@customer.example\r\nSubject: Where is my refund?\r\n\r\nStill waiting.\r\n",
        size=76,
    )
    users = {
        "requester": requester,
        "partner": partner,
        "specialist": specialist,
        "manager": manager,
        "admin": admin_user,
    }
    return World(users, escalation, attachment, handoff, remediation, driver, saved_view, token, inbound_email)


def url_kwargs(name: str, pattern: str, world: World) -> dict:
    """Values for a URL's parameters, taken from the world, by parameter name (and URL name where it varies)."""
    values = {}
    for parameter in re.findall(r"<(?:\w+:)?(\w+)>", pattern):
        if parameter == "reference":
            value = world.escalation.reference
        elif parameter == "attachment_id":
            value = world.attachment.pk
        elif parameter == "handoff_id" or (parameter == "pk" and name.startswith("escalations_api:handoff")):
            value = world.handoff.pk
        elif parameter == "pk" and name.startswith("mail:"):
            value = world.inbound_email.pk
        elif parameter == "pk" and name == "escalations_api:saved-view-detail":
            value = world.saved_view.pk
        elif parameter == "pk" and name == "escalations_api:sla-policy-detail":
            value = SLAPolicy.objects.order_by("pk").first().pk
        elif parameter == "pk" and name == "escalations_api:sla-calendar-detail":
            value = BusinessCalendar.objects.order_by("pk").first().pk
        elif parameter == "external_id":
            value = world.escalation.account.external_id
        elif parameter == "slug" and name == "escalations_api:partner-team-detail":
            value = world.handoff.partner_team.slug
        elif parameter in ("slug", "report") and name.startswith(("reports:", "reports_api:")):
            value = "partner-accountability"  # the one report partners may read (their own teams)
        elif parameter == "table_key":
            value = "teams"
        elif parameter == "token_id":
            value = world.token.pk
        elif parameter == "pk" and "root" in name:
            value = world.driver.pk
        elif parameter == "pk" and name.startswith(("remediations", "remediations_api")):
            value = world.remediation.pk
        elif parameter == "pk" and name == "escalations:triage_delete_view":
            value = world.saved_view.pk
        elif parameter in ("object_id", "id"):
            value = _admin_object_id(name, world)
        elif parameter == "app_label":
            value = "escalations"
        elif parameter == "url":  # the admin's catch-all
            value = "no-such-page/"
        elif parameter == "content_type_id":
            value = ContentType.objects.get_for_model(world.escalation).pk
        else:
            raise AssertionError(f"No sample value for <{parameter}> in {pattern} ({name}): add one to url_kwargs().")
        values[parameter] = value
    return values


def _admin_object_id(name: str, world: World):
    if name == "admin:view_on_site":
        return world.escalation.pk
    for model, _model_admin in admin_site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix) or name == "admin:auth_user_password_change":
            instance = model._default_manager.first() if name.startswith(prefix) else world.users["requester"]
            return instance.pk if instance else 1
    return 1


# ---------------------------------------------------------------------------------------------------------------
# Walking every URL pattern


@dataclass(frozen=True)
class Route:
    key: str  # the URL name with its namespace ("escalations:detail"), or the route itself when unnamed
    pattern: str
    api_methods: tuple = ()  # for an API view: every HTTP method it implements (each is an API operation)

    @property
    def is_admin(self):
        return self.pattern.startswith("admin/")

    @property
    def is_api(self):
        return self.pattern.startswith("api/")


def all_routes(patterns=None, prefix="", namespace=None):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from all_routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            key = (f"{namespace}:{entry.name}" if namespace else entry.name) if entry.name else pattern
            yield Route(key, pattern, api_operations(entry.callback))


def api_operations(callback) -> tuple:
    view_class = getattr(callback, "cls", None)  # DRF's as_view() keeps the APIView class here
    if view_class is None:
        return ()
    return tuple(method.upper() for method in ("get", "post", "put", "patch", "delete") if hasattr(view_class, method))


def concrete_path(route: Route, world: World) -> str:
    kwargs = url_kwargs(route.key, route.pattern, world)
    if route.key != route.pattern:
        return reverse(route.key, kwargs=kwargs)
    path = "/" + route.pattern.lstrip("^").rstrip("$")
    for parameter, value in kwargs.items():
        path = re.sub(rf"\(\?P<{parameter}>[^)]*\)|<(?:\w+:)?{parameter}>", str(value), path)
    return path


# ---------------------------------------------------------------------------------------------------------------
# Trying a URL as each role


# Where a service validates input before it checks who is asking, an empty POST stops at the validation (400)
# for everyone; these URLs get a valid body instead, so the answer shows the permission rule.
BODIES = {
    ("escalations_api:comments", "POST"): lambda world: {"body": "An internal thought", "visibility": "internal"},
    ("remediations:transition", "POST"): lambda world: {"to_status": "accepted"},
    ("remediations:update", "POST"): lambda world: {"body": "Halfway there"},
    ("remediations:root_cause_create", "POST"): lambda world: {"name": "Checkout"},
    ("remediations_api:remediation-list", "POST"): lambda world: {
        "title": "Fix it",
        "owner_team": world.remediation.owner_team.slug,
    },
    ("remediations_api:remediation-detail", "PATCH"): lambda world: {"title": "Stop double posting, for good"},
    ("remediations_api:remediation-transition", "POST"): lambda world: {"to_status": "accepted"},
    ("remediations_api:remediation-updates", "POST"): lambda world: {"body": "Halfway there"},
    ("remediations_api:root-cause-list", "POST"): lambda world: {"name": "Checkout"},
    ("remediations_api:root-cause-detail", "PATCH"): lambda world: {"name": "Invoice rounding errors"},
}


def try_as(client_class, route: Route, path: str, method: str, user, world) -> object:
    client = client_class()
    if user is not None:
        client.force_login(user)
    body = BODIES.get((route.key, method), lambda world: {})(world)
    # Each try in a savepoint that is rolled back: a POST that does something (follow, watch, a move) leaves the
    # world as it was for the next role.
    with transaction.atomic():
        if method == "GET":
            response = client.get(path)
        elif route.is_api:
            response = client.generic(method, path, data=json.dumps(body), content_type="application/json")
        else:
            response = client.post(path, body)
        transaction.set_rollback(True)
    return response


def outcome(response):
    """The status, with redirects told apart: to a sign-in page, or back with an error message (`REFUSED`)."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("login")):
            return LOGIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        queued = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
        if any(message.level_tag == "error" for message in queued):
            return REFUSED
    return response.status_code


def user_for(role, world):
    return None if role == "anonymous" else world.users[role]


ROUTES = sorted(set(all_routes()), key=lambda route: route.key)


def matches(expected, actual) -> bool:
    if expected == SIGN_IN:
        return actual in (LOGIN, ADMIN_LOGIN)
    if expected == STAFF_ALLOWED:
        return actual not in (LOGIN, ADMIN_LOGIN) and (not isinstance(actual, int) or actual < 500)
    return expected == actual


# ---------------------------------------------------------------------------------------------------------------
# What every page sent to a browser must carry


POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[\"']?[^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=[\"']application/json)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def page_problems(response) -> list[str]:
    """Why an HTML page is unsafe: a POST form without the CSRF token, inline script, or no CSP header."""
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return []
    html = response.content.decode()
    problems = []
    for number, form in enumerate(POST_FORM.findall(html), start=1):
        if 'name="csrfmiddlewaretoken"' not in form:
            problems.append(f"POST form #{number} has no CSRF token")
    if INLINE_SCRIPT.search(html):
        problems.append(f"inline <script>: {INLINE_SCRIPT.search(html).group(0)}")
    if INLINE_HANDLER.search(html):
        problems.append(f"inline event handler: {INLINE_HANDLER.search(html).group(0)[:80]}")
    policy = response.get("Content-Security-Policy", "")
    script_src = re.search(r"script-src ([^;]*)", policy)
    if not script_src or "unsafe-inline" in script_src.group(1) or "unsafe-eval" in script_src.group(1):
        problems.append(f"Content-Security-Policy without a strict script-src: {policy!r}")
    return problems


# ---------------------------------------------------------------------------------------------------------------
# The tests


def missing_entries(routes) -> str:
    """The failure message naming every URL pattern without a MATRIX entry; empty when there is none."""
    missing = [f"{route.key!r} (/{route.pattern})" for route in routes if expected_for(route) is None]
    if not missing:
        return ""
    return (
        "These URL patterns have no entry in MATRIX in tests/test_permission_matrix.py; decide what each role gets "
        "and add a line:\n  " + "\n  ".join(missing)
    )


def test_every_url_pattern_has_an_entry_in_the_matrix():
    stale = sorted(set(MATRIX) - {route.key for route in ROUTES})

    assert not missing_entries(ROUTES)
    assert not stale, f"MATRIX has entries for URLs that no longer exist: {stale}"


def test_every_api_operation_has_an_entry_in_the_matrix():
    missing = [
        f"{method} {route.key!r} (/{route.pattern})"
        for route in ROUTES
        for method in route.api_methods
        if method not in (MATRIX.get(route.key) or {})
    ]

    assert not missing, "These API operations have no entry in MATRIX:\n  " + "\n  ".join(missing)


def test_a_new_url_without_an_entry_is_named_in_the_failure():
    new_page = Route("reports:weekly", "reports/weekly/<int:year>/")

    message = missing_entries([*ROUTES, new_page])

    assert "'reports:weekly' (/reports/weekly/<int:year>/)" in message
    assert "escalations:detail" not in message


def check_route(route: Route, world: World, client_class) -> list[str]:
    expected = expected_for(route)
    if expected is None:
        pytest.fail(f"No MATRIX entry for {route.key!r} (/{route.pattern})")
    path = concrete_path(route, world)
    failures = []
    for method, by_role in expected.items():
        for role in ROLES:
            response = try_as(client_class, route, path, method, user_for(role, world), world)
            actual = outcome(response)
            if not matches(by_role[role], actual):
                failures.append(f"{method} {path} as {role}: expected {by_role[role]}, got {actual}")
            if method == "GET":
                failures += [f"GET {path} as {role}: {problem}" for problem in page_problems(response)]
    return failures


@pytest.mark.parametrize("route", [route for route in ROUTES if not route.is_admin], ids=lambda route: route.key)
def test_each_role_gets_what_the_matrix_says(route, world, client):
    failures = check_route(route, world, type(client))

    assert not failures, "\n".join(failures)


def _admin_groups():
    groups = {}
    for route in ROUTES:
        if route.is_admin:
            parts = route.pattern.split("/")
            groups.setdefault("/".join(parts[:3]) if len(parts) > 3 else "admin site", []).append(route)
    return sorted(groups.items())


@pytest.mark.parametrize(("group", "routes"), _admin_groups(), ids=[name for name, _routes in _admin_groups()])
def test_the_admin_is_for_admins_only(group, routes, world, client):
    failures = [failure for route in routes for failure in check_route(route, world, type(client))]

    assert not failures, "\n".join(failures)

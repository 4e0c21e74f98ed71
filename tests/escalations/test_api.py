"""The intake REST API: filing, reading what you may see, comments, files and watching."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from escalations import services
from escalations.api.exceptions import api_exception_handler
from escalations.errors import DomainError, InvalidInput, PermissionDenied, StaleVersion, TransitionNotAllowed
from escalations.models import (
    Account,
    Attachment,
    Escalation,
    EscalationEvent,
    EscalationWatcher,
    OutboxMessage,
)
from tests import factories

LIST_URL = "/api/v1/escalations/"


def detail_url(escalation, suffix=""):
    return f"{LIST_URL}{escalation.reference}/{suffix}"


def error_fields(response) -> dict:
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    return body["fields"]


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_requester(api, requester):
    api.force_login(requester)
    return api


@pytest.fixture
def as_other_requester(api, other_requester):
    api.force_login(other_requester)
    return api


@pytest.fixture
def as_specialist(api, specialist):
    api.force_login(specialist)
    return api


@pytest.fixture
def category(db):
    return factories.CategoryFactory(slug="billing", name="Billing")


@pytest.fixture
def filing(account, category):
    """A valid filing request; tests change only what they are about."""
    return {
        "account": account.external_id,
        "title": "Invoices doubled",
        "description": "Globex was charged twice for March.",
        "category": category.slug,
        "customer_need": "A credit note before the quarter closes.",
    }


def rows():
    return (
        Escalation.objects.count(),
        Account.objects.count(),
        EscalationEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


def upload(name="notes.txt", content=b"what the customer saw", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# Filing


def test_filing_returns_the_new_case_with_a_suggested_priority_and_one_acknowledgement(as_requester, filing, requester):
    response = as_requester.post(
        LIST_URL,
        {
            **filing,
            "has_regulatory_exposure": True,
            "priority": "P4",  # requesters do not choose the priority; the rule table suggests it
            "needed_by": (date.today() + timedelta(days=3)).isoformat(),
            "links": ["https://tickets.example.com/T-123"],
            "customers_affected": 40,
            "revenue_at_risk": "12500.50",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("ESC-")
    assert (body["status"], body["priority"]) == ("new", "P1")
    assert body["account"] == {"external_id": "acct_globex01", "name": "Globex", "tier": "strategic"}
    assert body["category"] == {"slug": "billing", "name": "Billing"}
    assert (body["links"], body["customers_affected"], body["revenue_at_risk"]) == (
        ["https://tickets.example.com/T-123"],
        40,
        "12500.50",
    )
    assert body["possible_duplicates"] == []
    assert response["Location"].endswith(f"/api/v1/escalations/{body['reference']}/")
    case = Escalation.objects.get(reference=body["reference"])
    assert (case.requester, case.priority) == (requester, "P1")
    (acknowledgement,) = OutboxMessage.objects.filter(escalation=case)
    assert (acknowledgement.recipient, acknowledgement.template) == (requester.email, "escalation_filed")


def test_token_authentication_files_and_reads(api, requester, filing):
    api.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token_for(requester)}")

    filed = api.post(LIST_URL, filing, format="json")
    listed = api.get(LIST_URL)

    assert filed.status_code == 201, filed.json()
    assert [row["reference"] for row in listed.json()["results"]] == [filed.json()["reference"]]


def test_a_wrong_token_is_refused(api, filing):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api.post(LIST_URL, filing, format="json")

    assert response.status_code in (401, 403)
    assert error_fields(response) == {}
    assert not Escalation.objects.exists()


OMIT = object()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": OMIT}, "title"),
        ({"title": "   "}, "title"),
        ({"description": OMIT}, "description"),
        ({"customer_need": OMIT}, "customer_need"),
        ({"account": "acct_nobody99"}, "account"),
        ({"account": OMIT}, "account"),
        ({"account": None}, "account"),
        ({"account": OMIT, "new_account": {"external_id": "ACME-1", "name": "Acme"}}, "new_account.external_id"),
        ({"account": OMIT, "new_account": {"external_id": "acct_acme0001"}}, "new_account.name"),
        (
            {"account": OMIT, "new_account": {"external_id": "acct_globex01", "name": "Again"}},
            "new_account.external_id",
        ),
        (
            {"account": OMIT, "new_account": {"external_id": "acct_acme0001", "name": "Acme", "tier": "vip"}},
            "new_account.tier",
        ),
        ({"new_account": {"external_id": "acct_acme0001", "name": "Acme"}}, "account"),
        ({"needed_by": (date.today() - timedelta(days=1)).isoformat()}, "needed_by"),
        ({"links": ["javascript:alert(1)"]}, "links"),
        ({"links": ["ftp://files.example.com/x"]}, "links"),
        ({"links": [f"https://tickets.example.com/T-{n}" for n in range(11)]}, "links"),
        ({"category": "no-such-area"}, "category"),
        ({"category": OMIT}, "category"),
        ({"preferred_contact_channel": "pigeon"}, "preferred_contact_channel"),
        ({"customers_affected": -1}, "customers_affected"),
        ({"revenue_at_risk": "-5"}, "revenue_at_risk"),
    ],
)
def test_invalid_filing_names_the_field_and_writes_nothing(as_requester, filing, change, field):
    payload = {key: value for key, value in {**filing, **change}.items() if value is not OMIT}
    before = rows()

    response = as_requester.post(LIST_URL, payload, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in error_fields(response), response.json()
    assert rows() == before


def test_an_inactive_category_is_refused(as_requester, filing):
    factories.CategoryFactory(slug="retired", is_active=False)

    response = as_requester.post(LIST_URL, {**filing, "category": "retired"}, format="json")

    assert response.status_code == 400
    assert "category" in error_fields(response)


def test_a_non_json_filing_is_refused(as_requester, filing):
    response = as_requester.post(LIST_URL, filing, format="multipart")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not Escalation.objects.exists()


def test_new_account_is_added_together_with_the_case(as_requester, filing):
    payload = {
        **filing,
        "account": None,
        "new_account": {"external_id": "acct_acme0001", "name": "Acme", "tier": "starter"},
    }

    response = as_requester.post(LIST_URL, payload, format="json")

    assert response.status_code == 201, response.json()
    account = Account.objects.get(external_id="acct_acme0001")
    assert (account.name, account.tier) == ("Acme", "starter")
    assert Escalation.objects.get(reference=response.json()["reference"]).account == account
    assert response.json()["priority"] == "P4"  # the rule for starter accounts


def test_possible_duplicates_list_open_cases_on_the_same_account_but_not_the_new_one(
    as_requester, filing, account, other_requester
):
    open_case = factories.EscalationFactory(account=account, requester=other_requester, title="Checkout is slow")
    factories.EscalationFactory(account=account, status="rejected", title="Old rejected case")

    response = as_requester.post(LIST_URL, filing, format="json")

    assert response.status_code == 201
    assert response.json()["possible_duplicates"] == [
        {
            "reference": open_case.reference,
            "title": "Checkout is slow",
            "status": "new",
            "account": {"external_id": "acct_globex01", "name": "Globex", "tier": "strategic"},
        }
    ]


def test_script_in_text_comes_back_as_plain_json_data(as_requester, filing):
    script = "<script>alert('x')</script><img src=x onerror=alert(1)>"

    response = as_requester.post(LIST_URL, {**filing, "title": script, "description": script}, format="json")
    detail = as_requester.get(response["Location"])

    assert response.status_code == 201
    assert detail["Content-Type"] == "application/json"
    assert (detail.json()["title"], detail.json()["description"]) == (script, script)
    assert Escalation.objects.get().title == script


# Reading: who sees what


def test_unauthenticated_callers_are_refused_everywhere(api, escalation, filing):
    for response in (
        api.get(LIST_URL),
        api.post(LIST_URL, filing, format="json"),
        api.get(detail_url(escalation)),
        api.get(detail_url(escalation, "comments/")),
        api.get(detail_url(escalation, "attachments/")),
        api.post(detail_url(escalation, "watch/")),
    ):
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"
    assert Escalation.objects.count() == 1


def test_session_calls_need_the_csrf_token(requester, filing):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(requester)

    response = api.post(LIST_URL, filing, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Escalation.objects.exists()


def test_requester_lists_only_what_they_filed_or_watch(as_requester, requester, escalation, other_requester):
    watched = factories.EscalationFactory(requester=other_requester)
    EscalationWatcher.objects.create(escalation=watched, user=requester)
    factories.EscalationFactory(requester=other_requester)  # someone else's

    response = as_requester.get(LIST_URL)

    assert response.status_code == 200
    assert {row["reference"] for row in response.json()["results"]} == {escalation.reference, watched.reference}
    assert response.json()["count"] == 2


def test_specialist_lists_every_escalation(as_specialist, escalation, other_requester):
    other = factories.EscalationFactory(requester=other_requester)

    response = as_specialist.get(LIST_URL)

    assert {row["reference"] for row in response.json()["results"]} == {escalation.reference, other.reference}


def test_list_filters_by_state_status_priority_and_text(as_specialist, escalation):
    factories.EscalationFactory(status="rejected", title="Refund portal down", priority="P1")

    def references(**query):
        response = as_specialist.get(LIST_URL, query)
        assert response.status_code == 200, response.json()
        return [row["reference"] for row in response.json()["results"]]

    assert references(state="open") == [escalation.reference]
    assert len(references(state="finished")) == 1
    assert references(status="new") == [escalation.reference]
    assert len(references(priority="P1")) == 1
    assert references(q="invoices") == [escalation.reference]
    assert references(q=escalation.reference.lower()) == [escalation.reference]


def test_an_unknown_filter_value_is_a_400_naming_it(as_specialist):
    response = as_specialist.get(LIST_URL, {"status": "sleeping"})

    assert response.status_code == 400
    assert "status" in error_fields(response)


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("get", "comments/", None),
        ("post", "comments/", {"body": "Me too"}),
        ("get", "attachments/", None),
        ("post", "attachments/", "file"),
        ("get", "attachments/{attachment}/", None),
        ("post", "watch/", None),
        ("delete", "watch/", None),
    ],
)
def test_another_requester_gets_404_for_someone_elses_escalation(
    as_other_requester, escalation, requester, method, suffix, data
):
    event = services.escalation_comment(acting_user=requester, escalation=escalation, body="", attachments=[upload()])
    url = detail_url(escalation, suffix.format(attachment=event.attachments.get().pk))
    before = (EscalationEvent.objects.count(), Attachment.objects.count(), EscalationWatcher.objects.count())

    if data == "file":
        response = as_other_requester.post(url, {"file": upload()}, format="multipart")
    else:
        response = getattr(as_other_requester, method)(url, data, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert escalation.reference in response.json()["detail"]
    assert (EscalationEvent.objects.count(), Attachment.objects.count(), EscalationWatcher.objects.count()) == before


def test_watcher_sees_the_case_and_its_shared_timeline(as_other_requester, escalation, other_requester):
    EscalationWatcher.objects.create(escalation=escalation, user=other_requester)

    response = as_other_requester.get(detail_url(escalation))

    assert response.status_code == 200
    assert response.json()["reference"] == escalation.reference
    assert response.json()["is_watching"] is True


def test_partner_sees_only_cases_handed_to_their_team(api, partner, partner_team, escalation):
    api.force_login(partner)
    assert api.get(detail_url(escalation)).status_code == 404

    factories.HandoffFactory(escalation=escalation, partner_team=partner_team)

    assert api.get(detail_url(escalation)).status_code == 200
    assert [row["reference"] for row in api.get(LIST_URL).json()["results"]] == [escalation.reference]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_requester_cannot_edit_or_delete_a_filed_case(as_requester, escalation, method):
    response = getattr(as_requester, method)(
        detail_url(escalation), {"title": "Changed", "priority": "P1"}, format="json"
    )

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    escalation.refresh_from_db()
    assert (escalation.title, escalation.priority) == ("Invoices doubled", "P3")


def test_reference_is_case_insensitive(as_requester, escalation):
    assert as_requester.get(f"{LIST_URL}{escalation.reference.lower()}/").status_code == 200


# Comments and the timeline


def test_comment_adds_a_shared_entry_that_the_timeline_shows(as_requester, escalation, requester):
    response = as_requester.post(detail_url(escalation, "comments/"), {"body": "  They called again.  "}, format="json")

    assert response.status_code == 201, response.json()
    event = EscalationEvent.objects.get(pk=response.json()["id"])
    assert (event.kind, event.visibility, event.actor, event.body) == (
        "comment",
        "shared",
        requester,
        "They called again.",
    )
    timeline = as_requester.get(detail_url(escalation, "comments/")).json()
    assert [(entry["kind"], entry["body"], entry["actor"]) for entry in timeline] == [
        ("comment", "They called again.", "Rita Requester")
    ]


def test_a_blank_comment_is_refused(as_requester, escalation):
    response = as_requester.post(detail_url(escalation, "comments/"), {"body": "   "}, format="json")

    assert response.status_code == 400
    assert "body" in error_fields(response)
    assert not EscalationEvent.objects.exists()


def test_requester_cannot_write_an_internal_note(as_requester, escalation):
    response = as_requester.post(
        detail_url(escalation, "comments/"), {"body": "Psst", "visibility": "internal"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only specialists and managers can write internal notes.",
        "code": "permission_denied",
        "fields": {},
    }
    assert not EscalationEvent.objects.exists()


def test_internal_notes_never_reach_requesters(api, escalation, specialist, requester):
    api.force_login(specialist)
    note = api.post(
        detail_url(escalation, "comments/"),
        {"body": "Customer is on a legacy plan", "visibility": "internal"},
        format="json",
    )
    update = api.post(detail_url(escalation, "comments/"), {"body": "We are on it"}, format="json")
    assert (note.status_code, update.status_code) == (201, 201)
    assert len(api.get(detail_url(escalation, "comments/")).json()) == 2

    api.force_login(requester)
    comments = api.get(detail_url(escalation, "comments/")).json()
    detail = api.get(detail_url(escalation)).json()

    assert [entry["body"] for entry in comments] == ["We are on it"]
    assert [entry["body"] for entry in detail["timeline"]] == ["We are on it"]
    assert "legacy plan" not in str(detail)


# Attachments


def test_an_attached_file_is_stored_listed_and_downloadable(as_requester, escalation, requester):
    response = as_requester.post(
        detail_url(escalation, "attachments/"), {"file": upload("screen.png", b"\x89PNG fake", "image/png")}
    )

    assert response.status_code == 201, response.json()
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.size, attachment.uploaded_by) == ("screen.png", 9, requester)
    assert attachment.event.visibility == "shared"
    assert response.json()["name"] == "screen.png"
    listed = as_requester.get(detail_url(escalation, "attachments/")).json()
    assert [item["id"] for item in listed] == [attachment.pk]
    download = as_requester.get(response.json()["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\x89PNG fake"
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "file",
    [
        pytest.param(lambda: upload("run.exe", b"MZ", "application/octet-stream"), id="wrong-type"),
        pytest.param(lambda: upload("notes.txt", b""), id="empty"),
    ],
)
def test_a_refused_file_is_a_400_and_nothing_is_saved(as_requester, escalation, file):
    response = as_requester.post(detail_url(escalation, "attachments/"), {"file": file()})

    assert response.status_code == 400
    assert "file" in error_fields(response)
    assert not Attachment.objects.exists()
    assert not EscalationEvent.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=10)
def test_an_oversized_file_is_a_400_and_nothing_is_saved(as_requester, escalation):
    response = as_requester.post(detail_url(escalation, "attachments/"), {"file": upload(content=b"x" * 11)})

    assert response.status_code == 400
    assert "at most" in error_fields(response)["file"][0]
    assert not Attachment.objects.exists()
    assert not EscalationEvent.objects.exists()


def test_attachment_post_without_a_file_names_the_field(as_requester, escalation):
    response = as_requester.post(detail_url(escalation, "attachments/"), {})

    assert response.status_code == 400
    assert "file" in error_fields(response)


@pytest.mark.parametrize("attachment_id", ["null", "1.5", "99999999999999999999999"])
def test_a_malformed_file_id_is_a_json_404(as_requester, escalation, attachment_id):
    response = as_requester.get(detail_url(escalation, f"attachments/{attachment_id}/"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_requesters_do_not_see_files_on_internal_notes(api, escalation, specialist, requester):
    services.escalation_comment(
        acting_user=specialist,
        escalation=escalation,
        body="Logs",
        attachments=[upload("internal.log")],
        is_internal=True,
    )
    internal = Attachment.objects.get()
    api.force_login(requester)

    assert api.get(detail_url(escalation, "attachments/")).json() == []
    assert api.get(detail_url(escalation, f"attachments/{internal.pk}/")).status_code == 404


# Watching


def test_watching_and_unwatching(api, escalation, specialist):
    api.force_login(specialist)

    assert api.post(detail_url(escalation, "watch/")).json() == {"watching": True, "changed": True}
    assert api.post(detail_url(escalation, "watch/")).json() == {"watching": True, "changed": False}
    assert EscalationWatcher.objects.filter(escalation=escalation, user=specialist).exists()
    assert api.delete(detail_url(escalation, "watch/")).json() == {"watching": False, "changed": True}
    assert not EscalationWatcher.objects.exists()


def test_requester_cannot_watch_their_own_case(as_requester, escalation):
    response = as_requester.post(detail_url(escalation, "watch/"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "always told" in response.json()["detail"]


# Query counts


def test_list_costs_the_same_queries_with_3_or_30_rows(as_requester, requester, django_assert_max_num_queries):
    factories.EscalationFactory.create_batch(3, requester=requester, assignee=factories.SpecialistFactory())
    with django_assert_max_num_queries(6) as small:
        assert as_requester.get(LIST_URL).status_code == 200

    factories.EscalationFactory.create_batch(27, requester=requester, assignee=factories.SpecialistFactory())
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = as_requester.get(LIST_URL)
    assert response.json()["count"] == 30


def test_detail_costs_the_same_queries_with_few_or_many_entries(
    as_requester, escalation, requester, django_assert_max_num_queries
):
    services.escalation_comment(acting_user=requester, escalation=escalation, body="One", attachments=[upload()])
    with django_assert_max_num_queries(10) as small:
        assert as_requester.get(detail_url(escalation)).status_code == 200

    for n in range(10):
        services.escalation_comment(
            acting_user=requester, escalation=escalation, body=f"More {n}", attachments=[upload()]
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = as_requester.get(detail_url(escalation))
    assert len(response.json()["timeline"]) == 11


# Errors, schema and docs


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidInput("Give a title.", field="title"), 400, "invalid"),
        (PermissionDenied("Not yours."), 403, "permission_denied"),
        (TransitionNotAllowed("A resolved escalation can only be closed or reopened."), 409, "transition_not_allowed"),
        (StaleVersion("Changed by someone else."), 409, "stale_version"),
        (DomainError("Refused."), 400, "refused"),
    ],
)
def test_domain_errors_become_one_error_shape(error, status, code):
    response = api_exception_handler(error, {})

    assert response.status_code == status
    assert response.data == {
        "detail": error.message,
        "code": code,
        "fields": {error.field: [error.message]} if error.field else {},
    }


def test_schema_is_valid_and_generates_without_warnings(tmp_path):
    call_command("spectacular", validate=True, fail_on_warn=True, file=str(tmp_path / "schema.yaml"))

    assert "/api/v1/escalations/{reference}/attachments/" in (tmp_path / "schema.yaml").read_text()


def test_schema_is_served_to_signed_in_callers(as_requester):
    response = as_requester.get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/v1/escalations/{reference}/comments/" in response.content


def test_schema_is_served_to_token_clients_and_not_to_strangers(api, requester):
    assert api.get("/api/schema/").status_code in (401, 403)

    api.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token_for(requester)}")
    assert api.get("/api/schema/").status_code == 200


def test_docs_page_loads_swagger_ui_from_our_own_static_files(as_requester):
    response = as_requester.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "//unpkg" not in html and "jsdelivr" not in html


def test_docs_page_sends_strangers_to_the_login_page(api):
    response = api.get("/api/docs/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_follow_instead_of_filing_makes_the_requester_a_watcher(specialist):
    requester = factories.RequesterFactory()
    client = APIClient()
    client.force_authenticate(requester)
    existing = factories.EscalationFactory(title="Card payments declined", assignee=specialist, status="in_progress")

    response = client.post(
        f"/api/v1/escalations/{existing.reference}/follow/", {"context": "Seen at ACME too"}, format="json"
    )

    assert response.status_code == 200
    assert existing.watchers.filter(pk=requester.pk).exists()
    assert client.get(f"/api/v1/escalations/{existing.reference}/").status_code == 200
    assert "Seen at ACME too" in existing.events.get(kind="watcher").body


@pytest.mark.django_db
def test_a_finished_escalation_cannot_be_followed_through_the_api():
    client = APIClient()
    client.force_authenticate(factories.RequesterFactory())
    finished = factories.EscalationFactory(status="rejected", rejection_reason="Not ours")

    response = client.post(f"/api/v1/escalations/{finished.reference}/follow/", {}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_the_api_list_takes_the_dashboard_filters(specialist):
    client = APIClient()
    client.force_authenticate(specialist)
    urgent = factories.EscalationFactory(priority="P1", title="Checkout down", status="in_progress")
    factories.EscalationFactory(priority="P4", title="Typo on invoice")

    response = client.get("/api/v1/escalations/", {"priority": "P1", "state": "open", "sort": "age"})

    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [urgent.reference]

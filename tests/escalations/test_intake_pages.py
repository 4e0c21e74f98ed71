"""Filing and following escalations through the web pages."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from escalations.models import Account, Attachment, Escalation, EscalationEvent, EscalationWatcher, OutboxMessage
from tests import factories


@pytest.fixture
def category(db):
    return factories.CategoryFactory(name="Billing", slug="billing")


def _form(for_account, in_category, **overrides):
    data = {
        "account": for_account.external_id,
        "title": "Invoices doubled for March",
        "description": "Every invoice since **March 3** was sent twice.",
        "category": in_category.pk,
        "customer_need": "A corrected invoice and a credit note",
        "needed_by": "",
        "customers_affected": "1",
        "revenue_at_risk": "25000",
        "preferred_contact_channel": "email",
        "requesting_org": "Customer Success",
        "links": "https://tickets.example.com/T-1\nhttps://dash.example.com/billing",
    }
    data.update(overrides)
    return data


@pytest.fixture
def signed_in_requester(client, requester):
    client.force_login(requester)
    return client


def test_requester_files_an_escalation_and_sees_the_confirmation(
    signed_in_requester, requester, account, category, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in_requester.post("/escalations/new/", _form(account, category))

    escalation = Escalation.objects.get()
    assert response.status_code == 302
    assert response.url == f"/escalations/{escalation.reference}/filed/"
    assert escalation.requester == requester
    assert escalation.links == ["https://tickets.example.com/T-1", "https://dash.example.com/billing"]
    assert escalation.priority == "P2"  # the default rules: strategic account, under $100k at risk
    confirmation = signed_in_requester.get(response.url).content.decode()
    assert escalation.reference in confirmation
    assert "What happens next" in confirmation
    assert "First response to the customer" in confirmation
    assert OutboxMessage.objects.filter(recipient=requester.email, template="escalation_filed").count() == 1
    assert [m.to for m in mailoutbox] == [[requester.email]]
    assert escalation.reference in signed_in_requester.get("/escalations/mine/").content.decode()


def test_form_page_lists_every_field_with_labels(signed_in_requester, category):
    page = signed_in_requester.get("/escalations/new/").content.decode()

    for label in ["Customer account", "Title", "Description", "Category", "What the customer needs", "Needed by",
                  "Customers affected", "Revenue at risk", "Regulatory or legal exposure", "preferred contact channel",
                  "Links", "Attachments"]:  # fmt: skip
        assert label in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"description": ""}, "description", "This field is required."),
        ({"category": ""}, "category", "This field is required."),
        ({"customer_need": ""}, "customer_need", "This field is required."),
        ({"account": "Nobody Inc"}, "account", "Choose an account from the suggestions"),
        ({"account": "acct_new0001"}, "new_account_name", "is not an account we know yet"),
        ({"needed_by": "2001-01-01"}, "needed_by", "cannot be in the past"),
        ({"customers_affected": "-3"}, "customers_affected", "greater than or equal to 0"),
        ({"revenue_at_risk": "lots"}, "revenue_at_risk", "Enter a number."),
        ({"links": "javascript:alert(1)"}, "links", "is not a web address"),
        ({"preferred_contact_channel": "pigeon"}, "preferred_contact_channel", "Select a valid choice."),
    ],
)
def test_each_invalid_field_is_refused_with_a_message_and_nothing_saved(
    signed_in_requester, account, category, overrides, field, message
):
    response = signed_in_requester.post("/escalations/new/", _form(account, category, **overrides))

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.content.decode()
    assert Escalation.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_form_keeps_what_was_typed_on_error(signed_in_requester, account, category):
    response = signed_in_requester.post("/escalations/new/", _form(account, category, title=""))

    page = response.content.decode()
    assert "A corrected invoice and a credit note" in page
    assert "https://tickets.example.com/T-1" in page


def test_unknown_account_id_with_a_name_is_added_with_the_escalation(signed_in_requester, category):
    data = _form(
        Account(external_id="acct_brandnew1"), category, new_account_name="Initech", new_account_tier="starter"
    )

    response = signed_in_requester.post("/escalations/new/", data)

    assert response.status_code == 302
    escalation = Escalation.objects.get()
    assert escalation.account.external_id == "acct_brandnew1"
    assert escalation.account.name == "Initech"
    assert escalation.priority == "P4"  # starter tier, no special impact


def test_account_can_be_picked_by_its_suggestion_text(signed_in_requester, account, category):
    data = _form(account, category, account=f"{account.external_id} — {account.name}")

    assert signed_in_requester.post("/escalations/new/", data).status_code == 302
    assert Escalation.objects.get().account == account


def test_account_suggestions_match_name_or_id(signed_in_requester, account):
    factories.AccountFactory(name="Umbrella", external_id="acct_umbrella1")

    by_name = signed_in_requester.get("/escalations/new/accounts/", {"account": "glob"}).content.decode()
    by_id = signed_in_requester.get("/escalations/new/accounts/", {"account": "acct_umb"}).content.decode()

    assert "Globex" in by_name and "Umbrella" not in by_name
    assert "Umbrella" in by_id and "Globex" not in by_id


def test_attachments_are_stored_with_the_escalation(signed_in_requester, account, category):
    files = [
        SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 fake", content_type="application/pdf"),
        SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png"),
    ]

    response = signed_in_requester.post("/escalations/new/", {**_form(account, category), "attachments": files})

    assert response.status_code == 302
    escalation = Escalation.objects.get()
    assert sorted(a.original_name for a in escalation.attachments.all()) == ["invoice.pdf", "screen.png"]
    filed_event = escalation.events.get(kind=EscalationEvent.Kind.FILED)
    assert filed_event.attachments.count() == 2
    download = signed_in_requester.get(
        f"/escalations/{escalation.reference}/attachments/{filed_event.attachments.first().pk}/"
    )
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream"), "is not an allowed type"),
        (SimpleUploadedFile("page.html", b"<script>", content_type="text/html"), "is not an allowed type"),
        (SimpleUploadedFile("big.pdf", b"x" * 2048, content_type="application/pdf"), "files can be at most"),
        (SimpleUploadedFile("empty.txt", b"", content_type="text/plain"), "is empty"),
    ],
)
@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_bad_uploads_are_refused_and_nothing_is_saved(signed_in_requester, account, category, upload, message):
    response = signed_in_requester.post("/escalations/new/", {**_form(account, category), "attachments": [upload]})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "choose your attachments again" in response.content.decode()
    assert Escalation.objects.count() == 0
    assert Attachment.objects.count() == 0


@override_settings(ATTACHMENT_MAX_FILES=2)
def test_too_many_attachments_are_refused(signed_in_requester, account, category):
    files = [SimpleUploadedFile(f"f{i}.txt", b"hello", content_type="text/plain") for i in range(3)]

    response = signed_in_requester.post("/escalations/new/", {**_form(account, category), "attachments": files})

    assert response.status_code == 400
    assert "Attach at most 2 files" in response.content.decode()
    assert Escalation.objects.count() == 0


def test_script_in_title_and_description_is_shown_as_text(signed_in_requester, requester, account, category):
    data = _form(
        account,
        category,
        title="<script>alert('t')</script> checkout",
        description="<img src=x onerror=alert(1)> and [click](javascript:alert(2)) <script>alert(3)</script>",
    )
    signed_in_requester.post("/escalations/new/", data)
    escalation = Escalation.objects.get()

    page = signed_in_requester.get(f"/escalations/{escalation.reference}/").content.decode()

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; checkout" in page
    assert "onerror" not in page
    assert "javascript:alert" not in page


def test_submit_warns_about_an_open_case_for_the_same_account(signed_in_requester, account, category):
    existing = factories.EscalationFactory(account=account, title="Card payments declined")

    response = signed_in_requester.post("/escalations/new/", _form(account, category))

    assert response.status_code == 400
    assert existing.reference in response.content.decode()
    assert f"Follow {existing.reference} instead" in response.content.decode()
    assert Escalation.objects.count() == 1

    confirmed = signed_in_requester.post("/escalations/new/", _form(account, category, confirm_not_duplicate="on"))

    assert confirmed.status_code == 302
    assert Escalation.objects.count() == 2


def test_similar_titles_on_other_accounts_are_suggested_while_typing(signed_in_requester, account):
    other = factories.EscalationFactory(title="Invoices doubled after plan change")
    factories.EscalationFactory(title="Login page slow", account=other.account)
    factories.EscalationFactory(title="Invoices doubled long ago", status="rejected", rejection_reason="dup")

    page = signed_in_requester.get(
        "/escalations/new/similar/", {"title": "invoices doubled for march"}
    ).content.decode()

    assert other.reference in page
    assert "Login page slow" not in page
    assert "long ago" not in page


def test_nothing_similar_renders_nothing(signed_in_requester):
    factories.EscalationFactory(title="Login page slow")

    page = signed_in_requester.get("/escalations/new/similar/", {"title": "Invoices doubled"}).content.decode()

    assert page.strip() == ""


def test_following_instead_of_filing_adds_a_watcher_and_context(
    signed_in_requester, requester, specialist, django_capture_on_commit_callbacks
):
    existing = factories.EscalationFactory(title="Card payments declined", assignee=specialist, status="in_progress")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in_requester.post(
            f"/escalations/{existing.reference}/follow/", {"context": "Also seen at ACME since Monday"}
        )

    assert response.status_code == 302
    assert EscalationWatcher.objects.filter(escalation=existing, user=requester).exists()
    page = signed_in_requester.get(f"/escalations/{existing.reference}/").content.decode()
    assert "Also seen at ACME since Monday" in page
    assert OutboxMessage.objects.filter(recipient=specialist.email, template="case_comment").count() == 1
    assert existing.reference in signed_in_requester.get("/escalations/mine/").content.decode()


def test_a_finished_case_cannot_be_followed(signed_in_requester):
    finished = factories.EscalationFactory(status="rejected", rejection_reason="Not ours")

    assert signed_in_requester.post(f"/escalations/{finished.reference}/follow/").status_code == 404


def test_requester_comment_lands_on_the_timeline_and_tells_the_owner(
    signed_in_requester, escalation, specialist, django_capture_on_commit_callbacks
):
    Escalation.objects.filter(pk=escalation.pk).update(assignee=specialist)
    upload = SimpleUploadedFile("log.txt", b"error 500", content_type="text/plain")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in_requester.post(
            f"/escalations/{escalation.reference}/comment/",
            {"body": "It happened again today", "attachments": [upload]},
        )

    assert response.status_code == 302
    page = signed_in_requester.get(f"/escalations/{escalation.reference}/").content.decode()
    assert "It happened again today" in page
    assert "log.txt" in page
    assert OutboxMessage.objects.filter(recipient=specialist.email).count() == 1


def test_empty_comment_is_refused(signed_in_requester, escalation):
    response = signed_in_requester.post(f"/escalations/{escalation.reference}/comment/", {"body": "  "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert escalation.events.count() == 0


def test_requester_cannot_post_an_internal_note(signed_in_requester, escalation):
    response = signed_in_requester.post(
        f"/escalations/{escalation.reference}/comment/", {"body": "psst", "visibility": "internal"}
    )

    assert response.status_code == 400
    assert "Only specialists and managers can write internal notes." in response.content.decode()
    assert escalation.events.count() == 0


def test_specialist_shared_update_emails_requester_and_watchers_once(
    client, escalation, specialist, other_requester, django_capture_on_commit_callbacks
):
    escalation.watchers.add(other_requester)
    client.force_login(specialist)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/escalations/{escalation.reference}/comment/", {"body": "We found the bug", "visibility": "shared"}
        )

    recipients = sorted(OutboxMessage.objects.filter(template="case_update").values_list("recipient", flat=True))
    assert recipients == sorted([escalation.requester.email, other_requester.email])


def test_internal_note_is_hidden_from_the_requester_and_emails_nobody(client, escalation, specialist):
    client.force_login(specialist)
    client.post(
        f"/escalations/{escalation.reference}/comment/", {"body": "Customer is litigious", "visibility": "internal"}
    )

    client.force_login(escalation.requester)
    page = client.get(f"/escalations/{escalation.reference}/").content.decode()

    assert "Customer is litigious" not in page
    assert OutboxMessage.objects.count() == 0


def test_internal_note_attachment_cannot_be_downloaded_by_the_requester(client, escalation, specialist):
    client.force_login(specialist)
    upload = SimpleUploadedFile("secret.txt", b"internal", content_type="text/plain")
    client.post(
        f"/escalations/{escalation.reference}/comment/",
        {"body": "see file", "visibility": "internal", "attachments": [upload]},
    )
    attachment = Attachment.objects.get()

    client.force_login(escalation.requester)

    assert client.get(f"/escalations/{escalation.reference}/attachments/{attachment.pk}/").status_code == 404


def test_another_requester_cannot_see_comment_on_or_follow_through_to_the_case(client, escalation, other_requester):
    client.force_login(other_requester)

    assert client.get(f"/escalations/{escalation.reference}/").status_code == 404
    assert client.post(f"/escalations/{escalation.reference}/comment/", {"body": "hi"}).status_code == 404
    assert client.post(f"/escalations/{escalation.reference}/watch/", {"watching": "1"}).status_code == 404
    assert escalation.reference not in client.get("/escalations/mine/").content.decode()
    assert escalation.events.count() == 0


def test_watch_and_unwatch(client, escalation, specialist):
    client.force_login(specialist)

    client.post(f"/escalations/{escalation.reference}/watch/", {"watching": "1"})
    assert escalation.watchers.filter(pk=specialist.pk).exists()
    assert "Stop watching" in client.get(f"/escalations/{escalation.reference}/").content.decode()

    client.post(f"/escalations/{escalation.reference}/watch/", {"watching": "0"})
    assert not escalation.watchers.filter(pk=specialist.pk).exists()


def test_my_escalations_filters_by_state_relation_and_text(signed_in_requester, requester):
    mine_open = factories.EscalationFactory(requester=requester, title="Open problem")
    mine_done = factories.EscalationFactory(
        requester=requester, title="Done problem", status="rejected", rejection_reason="no"
    )
    watched = factories.EscalationFactory(title="Watched problem")
    watched.watchers.add(requester)

    def shown(query):
        page = signed_in_requester.get("/escalations/mine/", query)
        return {e.reference for e in page.context["page"].object_list}

    assert shown({}) == {mine_open.reference, mine_done.reference, watched.reference}
    assert shown({"state": "open"}) == {mine_open.reference, watched.reference}
    assert shown({"state": "finished"}) == {mine_done.reference}
    assert shown({"relation": "watching"}) == {watched.reference}
    assert shown({"relation": "filed", "q": "done"}) == {mine_done.reference}
    assert "No escalations match" in signed_in_requester.get("/escalations/mine/", {"q": "zzz"}).content.decode()


def test_a_requester_cannot_change_fields_after_filing(signed_in_requester, escalation):
    response = signed_in_requester.post(f"/escalations/{escalation.reference}/", {"title": "Changed"})

    escalation.refresh_from_db()
    assert response.status_code == 405
    assert escalation.title == "Invoices doubled"


def test_needed_by_today_is_accepted(signed_in_requester, account, category):
    today = datetime.date.today().isoformat()

    assert signed_in_requester.post("/escalations/new/", _form(account, category, needed_by=today)).status_code == 302

"""The unmatched-mail queue: specialists attach a message to a case, file a new escalation from it, or dismiss it."""

import pytest

from escalations.lifecycle import Status
from escalations.mail.models import InboundEmail
from escalations.mail.services import inbound_email_attach, inbound_email_receive
from escalations.models import Attachment, Communication, Escalation, OutboxMessage
from tests.escalations.mail.conftest import eml


def queue(raw) -> InboundEmail:
    inbound = inbound_email_receive(raw=raw, source=InboundEmail.Source.HTTP).inbound
    assert inbound.status == "unmatched"
    return inbound


@pytest.fixture
def stray(db):
    """A customer writing to the plain desk address about something new: no token, no reply headers."""
    return queue(eml("html_only.eml"))


@pytest.mark.parametrize("role_fixture", ["requester", "partner"])
@pytest.mark.parametrize("path", ["/mail/unmatched/", "/mail/unmatched/{pk}/", "/mail/signature/"])
def test_only_case_workers_see_the_unmatched_mail(client, request, role_fixture, path, stray):
    client.force_login(request.getfixturevalue(role_fixture))

    assert client.get(path.format(pk=stray.pk)).status_code == 403


@pytest.mark.parametrize("action", ["attach", "file", "dismiss"])
def test_requesters_cannot_act_on_unmatched_mail(client, requester, stray, action):
    client.force_login(requester)

    assert client.post(f"/mail/unmatched/{stray.pk}/{action}/", {"reference": "ESC-1"}).status_code == 403
    stray.refresh_from_db()
    assert stray.status == "unmatched"


def test_the_queue_lists_what_waits_and_says_why(client, specialist, stray):
    queue(eml("malformed.eml"))
    client.force_login(specialist)

    page = client.get("/mail/unmatched/").content.decode()

    assert "Payroll export: screenshots" in page and "Gina Gomez" in page
    assert "No case address and no reply to an email of ours." in page
    assert "Malformed: No sender address (From)." in page and "(no subject)" not in page


def test_an_empty_queue_says_so(client, specialist):
    client.force_login(specialist)

    assert "No unmatched mail." in client.get("/mail/unmatched/").content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_costs_a_fixed_number_of_queries(client, specialist, count, django_assert_max_num_queries):
    for n in range(count):
        queue(eml("html_only.eml", replace={"html-only-0002": f"stray-{n}"}))
    client.force_login(specialist)

    with django_assert_max_num_queries(6):
        response = client.get("/mail/unmatched/")

    assert response.content.decode().count("/mail/unmatched/") >= min(count, 25)


def test_the_detail_shows_the_message_and_suggests_the_senders_account(client, specialist, stray, customer):
    client.force_login(specialist)

    page = client.get(f"/mail/unmatched/{stray.pk}/").content.decode()

    assert "The export for March is still empty." in page
    assert "<script>alert" not in page
    assert 'value="acct_initech01"' in page and "Initech (acct_initech01) has this sender as its contact." in page


def test_attaching_puts_the_mail_on_the_case_and_counts_as_the_customers_reply(client, specialist, waiting_case, stray):
    client.force_login(specialist)

    response = client.post(f"/mail/unmatched/{stray.pk}/attach/", {"reference": waiting_case.reference.lower()})

    assert response.status_code == 302 and response.url == f"/escalations/{waiting_case.reference}/#timeline"
    stray.refresh_from_db()
    assert (stray.status, stray.escalation, stray.matched_by, stray.handled_by) == (
        "on_case", waiting_case, "specialist", specialist
    )  # fmt: skip
    waiting_case.refresh_from_db()
    assert waiting_case.status == Status.IN_PROGRESS
    event = stray.communication.event
    assert event.actor == specialist and "from the unmatched mail by Sam Specialist" in event.body
    # The specialist who attached it owns the case: nobody else needs telling.
    assert not OutboxMessage.objects.filter(template="customer_reply").exists()


def test_attaching_to_an_unknown_case_says_so_and_changes_nothing(client, specialist, stray):
    client.force_login(specialist)

    response = client.post(f"/mail/unmatched/{stray.pk}/attach/", {"reference": "ESC-999999"})

    assert response.status_code == 400
    assert "There is no escalation ESC-999999." in response.content.decode()
    stray.refresh_from_db()
    assert stray.status == "unmatched"


def test_a_bad_reference_is_explained(client, specialist, stray):
    client.force_login(specialist)

    response = client.post(f"/mail/unmatched/{stray.pk}/attach/", {"reference": "1042"})

    assert "Write the reference as ESC- followed by its number" in response.content.decode()


def test_an_email_already_handled_cannot_be_attached_again(specialist, waiting_case, stray):
    inbound_email_attach(acting_user=specialist, inbound=stray, escalation=waiting_case)

    from escalations.errors import InvalidInput

    with pytest.raises(InvalidInput, match=f"already handled \\(on a case\\). It is on {waiting_case.reference}"):
        inbound_email_attach(acting_user=specialist, inbound=stray, escalation=waiting_case)
    assert Communication.objects.filter(direction="inbound").count() == 1


def test_a_handled_email_is_no_longer_in_the_queue(client, specialist, stray):
    client.force_login(specialist)
    client.post(f"/mail/unmatched/{stray.pk}/dismiss/")

    assert client.get(f"/mail/unmatched/{stray.pk}/").status_code == 404
    assert client.post(f"/mail/unmatched/{stray.pk}/dismiss/").status_code == 404


def test_filing_a_new_escalation_from_an_email(client, specialist, stray, customer):
    client.force_login(specialist)

    response = client.post(
        f"/mail/unmatched/{stray.pk}/file/", {"account": "acct_initech01", "title": "March export empty"}
    )

    escalation = Escalation.objects.get(title="March export empty")
    assert response.status_code == 302 and response.url == f"/escalations/{escalation.reference}/"
    assert escalation.account == customer and escalation.requester == specialist
    assert "The export for March is still empty." in escalation.description
    stray.refresh_from_db()
    assert (stray.status, stray.escalation, stray.matched_by) == ("on_case", escalation, "filed")


def test_filing_for_an_unknown_account_is_refused_with_nothing_written(client, specialist, stray):
    client.force_login(specialist)

    response = client.post(f"/mail/unmatched/{stray.pk}/file/", {"account": "acct_nobody99", "title": "X"})

    assert response.status_code == 400 and "There is no account acct_nobody99." in response.content.decode()
    assert not Escalation.objects.exists()


def test_a_dangerous_email_attached_by_hand_keeps_its_text_but_never_its_file(specialist, waiting_case):
    held = queue(eml("dangerous_attachment.eml"))

    inbound_email_attach(acting_user=specialist, inbound=held, escalation=waiting_case)

    held.refresh_from_db()
    assert "Please run the attached fixer." in held.communication.body
    assert "“fixer.exe” is a dangerous type and was not stored." in held.communication.event.body
    assert not Attachment.objects.exists()


def test_dismissing_keeps_the_record_and_who_did_it(client, specialist, stray):
    client.force_login(specialist)

    response = client.post(f"/mail/unmatched/{stray.pk}/dismiss/")

    assert response.status_code == 302
    stray.refresh_from_db()
    assert (stray.status, stray.handled_by) == ("dismissed", specialist)


def test_a_specialist_edits_their_own_signature(client, specialist):
    client.force_login(specialist)

    response = client.post("/mail/signature/", {"email_signature": "Sam Specialist  \nEscalations team\n"})

    assert response.status_code == 302
    specialist.refresh_from_db()
    assert specialist.email_signature == "Sam Specialist\nEscalations team"
    assert "Escalations team" in client.get("/mail/signature/").content.decode()


def test_an_overlong_signature_is_refused(client, specialist):
    client.force_login(specialist)

    response = client.post("/mail/signature/", {"email_signature": "x" * 1001})

    assert response.status_code == 400
    specialist.refresh_from_db()
    assert specialist.email_signature == ""

"""A specialist emails the customer from a case; the customer's reply, posted raw to the inbound endpoint, lands on
the timeline and puts the case back in progress. The unmatched-mail queue is checked in the same browser."""

import urllib.request

import pytest
from playwright.sync_api import expect

from escalations.models import Communication, Escalation
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRET = "test-inbound-mail-secret"  # config/settings/test.py


def _sign_in(page, live_server, user, next_path="/"):
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _post_raw_email(live_server, raw: bytes) -> int:
    request = urllib.request.Request(
        f"{live_server.url}/mail/inbound/",
        data=raw,
        method="POST",
        headers={"Content-Type": "message/rfc822", "X-Inbound-Mail-Secret": SECRET},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def _customer_reply(*, to: str, in_reply_to: str, subject: str) -> bytes:
    return (
        "From: Hank Scorpio <hank@globex.test>\r\n"
        f"To: {to}\r\n"
        f"Subject: Re: {subject}\r\n"
        "Date: Tue, 24 Nov 2026 10:20:00 +0000\r\n"
        "Message-ID: <reply-e2e-1@globex.test>\r\n"
        f"In-Reply-To: {in_reply_to}\r\n"
        f"References: {in_reply_to}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "\r\n"
        "Tonight works for us, go ahead with the re-run.\r\n"
        "\r\n"
        "On Tue, Nov 24, 2026 at 10:02 AM Sasha Specialist wrote:\r\n"
        "> May we re-run the March export tonight?\r\n"
    ).encode()


def test_a_customer_reply_lands_on_the_timeline_and_the_case_is_back_in_progress(page, live_server, screenshot):
    specialist = factories.SpecialistFactory(
        display_name="Sasha Specialist", email_signature="Sasha Specialist\nEscalations team"
    )
    account = factories.AccountFactory(name="Globex", contact_name="Hank Scorpio", contact_email="hank@globex.test")
    case = factories.EscalationFactory(
        account=account, title="March export empty", status="in_progress", assignee=specialist
    )

    _sign_in(page, live_server, specialist, next_path=f"/escalations/{case.reference}/")
    page.get_by_text("Email the customer").click()
    email_form = page.locator("#email-fields")
    email_form.get_by_label("Subject").fill(f"[{case.reference}] March export")
    # By name: the comment box further up the page has the same id, so the label points there.
    email_form.locator('textarea[name="body"]').fill("Hello Hank,\n\nMay we re-run the March export tonight?")
    page.get_by_role("button", name="Send to the customer").click()
    expect(page.get_by_text("Email queued to the customer")).to_be_visible()
    expect(page.locator("#timeline .badge.delivery-sent")).to_have_text("Delivered to the mail server")

    page.get_by_text("Change status").click()
    page.get_by_label("Move to").select_option(label="Waiting on customer")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".badge.status-waiting_on_user").first).to_be_visible()

    sent = Communication.objects.get(escalation=case, direction="outbound").outbox_message
    assert sent.body_text.endswith("-- \nSasha Specialist\nEscalations team")
    status = _post_raw_email(
        live_server,
        _customer_reply(to=sent.headers["Reply-To"], in_reply_to=sent.headers["Message-ID"], subject=sent.subject),
    )
    assert status == 202

    page.reload()
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("Hank Scorpio <hank@globex.test> replied by email")).to_be_visible()
    expect(timeline.get_by_text("Tonight works for us, go ahead with the re-run.")).to_be_visible()
    expect(timeline.get_by_text("from Waiting on customer to In progress")).to_be_visible()
    expect(page.locator(".badge.status-in_progress").first).to_be_visible()
    assert "> May we re-run" not in timeline.inner_text()  # the quoted history is trimmed
    screenshot("customer-reply-on-timeline")
    assert Escalation.objects.get(pk=case.pk).status == "in_progress"

    # Mail that matches no case waits in the unmatched queue; the specialist attaches it to the case.
    stray = _customer_reply(to="escalations@mail.escalations.test", in_reply_to="<unknown@x>", subject="Invoices")
    assert _post_raw_email(live_server, stray.replace(b"reply-e2e-1", b"stray-e2e-2")) == 202
    page.get_by_role("link", name="Unmatched mail").click()
    expect(page.get_by_role("heading", name="Unmatched mail")).to_be_visible()
    screenshot("unmatched-mail-queue")
    page.get_by_role("link", name="Re: Invoices").click()
    page.get_by_label("Case reference").fill(case.reference)
    screenshot("unmatched-mail-detail")
    page.get_by_role("button", name="Attach to this case").click()
    expect(page.get_by_text(f"The email is on {case.reference} now.")).to_be_visible()
    expect(page.locator("#timeline").get_by_text("from the unmatched mail by Sasha Specialist")).to_be_visible()


def test_a_specialist_sets_their_signature_from_the_user_menu(page, live_server, screenshot):
    specialist = factories.SpecialistFactory(display_name="Sasha Specialist")

    _sign_in(page, live_server, specialist)
    page.get_by_role("link", name="My signature").click()
    page.get_by_label("Signature").fill("Sasha Specialist\nEscalations team · +1 555 0100")
    page.get_by_role("button", name="Save signature").click()

    expect(page.get_by_text("Signature saved; your next customer email carries it.")).to_be_visible()
    expect(page.get_by_label("Signature")).to_have_value("Sasha Specialist\nEscalations team · +1 555 0100")
    screenshot("my-signature")
    specialist.refresh_from_db()
    assert specialist.email_signature == "Sasha Specialist\nEscalations team · +1 555 0100"

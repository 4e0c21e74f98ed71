import re

import pytest
from playwright.sync_api import expect

from escalations.models import Escalation, OutboxMessage
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user, next_path="/"):
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_specialist_works_a_case_from_new_to_resolved(page, live_server, screenshot):
    specialist = factories.SpecialistFactory(display_name="Sasha Specialist")
    factories.PartnerTeamFactory(name="Billing Platform", slug="billing-platform", contact_email="billing@example.com")
    factories.CategoryFactory(name="Billing", slug="billing")
    driver = factories.RootCauseDriverFactory(name="Invoice rounding", parent__name="Billing logic")
    account = factories.AccountFactory(name="Globex", contact_name="Hank Scorpio", contact_email="hank@globex.test")
    case = factories.EscalationFactory(account=account, title="Invoices doubled for March", priority="P3")

    _sign_in(page, live_server, specialist, next_path=f"/escalations/{case.reference}/")
    expect(page.get_by_role("heading", name=f"{case.reference} · Invoices doubled for March")).to_be_visible()

    # Triage: confirm priority and area, take ownership.
    page.get_by_label("Priority").first.select_option("P2")
    page.get_by_label("Product area").select_option(label="Billing")
    page.get_by_role("button", name="Accept and assign").click()
    expect(page.get_by_text("Triaged: the owner has it.")).to_be_visible()

    # Start work.
    page.get_by_text("Change status").click()
    page.get_by_label("Move to").select_option(label="In progress")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".badge.status-in_progress").first).to_be_visible()

    # Email the customer from a template (htmx fills subject and body).
    page.get_by_text("Email the customer").click()
    page.get_by_label("Template").select_option(label="First contact")
    expect(page.get_by_label("Subject")).to_have_value(re.compile(rf"^{case.reference}: we are on it"))
    page.get_by_role("button", name="Send to the customer").click()
    expect(page.get_by_text("Email queued to the customer")).to_be_visible()

    # Hand off to a partner team and wait on them.
    page.get_by_text("Hand off to a partner team").click()
    page.get_by_label("Partner team").select_option(label="Billing Platform")
    page.get_by_label("What is needed").fill("Confirm whether the March run double-posted invoices.")
    page.get_by_role("button", name="Hand off", exact=True).click()
    expect(page.get_by_text("Handed off; the partner team has been emailed.")).to_be_visible()
    expect(page.locator(".badge.status-waiting_on_partner").first).to_be_visible()

    # The partner answers (recorded from the case page), then the specialist resumes and resolves.
    page.get_by_label("Answer for Billing Platform").fill("Yes: a retry re-posted 212 invoices. Fixed.")
    page.get_by_role("button", name="Send the answer").click()
    page.get_by_text("Change status").click()
    page.get_by_label("Move to").select_option(label="In progress")
    page.get_by_role("button", name="Move", exact=True).click()
    page.locator("summary", has_text="Resolve").click()
    page.get_by_label("Resolution summary").fill("Duplicate invoices voided and credited.")
    page.get_by_label("Root cause").select_option(label=str(driver))
    page.get_by_role("button", name="Resolve with this summary").click()
    expect(page.get_by_text("Resolved; the requester has the summary.")).to_be_visible()
    screenshot("case-resolved")

    case.refresh_from_db()
    assert case.status == "resolved"
    assert case.priority == "P2" and case.assignee == specialist and case.root_cause == driver
    assert case.first_response_at is not None
    timeline = page.locator("#timeline").inner_text()
    for step in ["Triaged", "emailed the customer", "handed off to Billing Platform",
                 "answered for Billing Platform", "from In progress to Resolved"]:  # fmt: skip
        assert step in timeline
    assert OutboxMessage.objects.filter(recipient="hank@globex.test").count() == 1
    assert OutboxMessage.objects.filter(recipient="billing@example.com").count() == 1
    assert Escalation.objects.get(pk=case.pk).version > 1

"""A specialist proposes a remediation from a resolved case; the partner team takes it all the way to shipped."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalations.models import OutboxMessage
from remediations.models import Remediation
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user, next_path="/"):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_specialist_proposes_a_fix_from_a_case_and_the_partner_ships_it(page, live_server, screenshot):
    specialist = factories.SpecialistFactory(display_name="Sasha Specialist")
    team = factories.PartnerTeamFactory(
        name="Billing Platform", slug="billing-platform", contact_email="billing@x.test"
    )
    parker = factories.PartnerFactory(display_name="Parker Partner")
    team.members.add(parker)
    factories.PartnerTeamFactory(name="Mobile Apps", slug="mobile-apps")
    driver = factories.RootCauseDriverFactory(name="Renewal job retried", parent__name="Product defect")
    factories.RootCauseDriverFactory(name="Unclear docs", parent=driver.parent)
    case = factories.EscalationFactory(
        title="Invoices doubled for March", status="resolved", root_cause=driver, resolution_summary="Voided.",
        resolved_at=timezone.now(), assignee=specialist,
    )  # fmt: skip
    factories.HandoffFactory(escalation=case, partner_team=team, ask="Why twice?")

    # The specialist proposes a fix from the case: the case, its root cause and the team it was handed to are set.
    _sign_in(page, live_server, specialist, next_path=f"/escalations/{case.reference}/")
    expect(page.get_by_role("heading", name=f"{case.reference} · Invoices doubled for March")).to_be_visible()
    page.goto(f"{live_server.url}/remediations/new/?escalation={case.reference}")
    expect(page.get_by_text(f"From {case.reference}")).to_be_visible()
    expect(page.get_by_label("Linked escalations")).to_have_value(case.reference)
    expect(page.get_by_label("Renewal job retried")).to_be_checked()
    expect(page.get_by_label("Unclear docs")).not_to_be_checked()
    expect(page.get_by_label("Owner team")).to_have_value(str(team.pk))
    page.get_by_label("Title").fill("Idempotent renewal job")
    page.get_by_label("Problem statement").fill("Retries of the renewal job post every invoice twice.")
    page.get_by_label("Proposed fix").fill("Give each renewal run an idempotency key.")
    page.get_by_label("Owner", exact=True).select_option(label="Parker Partner")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Due date").fill((timezone.localdate() + timedelta(days=21)).isoformat())
    screenshot("remediation-propose")
    page.get_by_role("button", name="Propose to the team").click()
    expect(page.get_by_text("Proposed to Billing Platform; the team has been emailed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Idempotent renewal job")).to_be_visible()
    expect(page.get_by_text("Members of Billing Platform and managers move this remediation.")).to_be_visible()

    remediation = Remediation.objects.get()
    assert remediation.created_by == specialist and list(remediation.escalations.all()) == [case]
    assert list(remediation.root_causes.all()) == [driver]
    assert set(OutboxMessage.objects.filter(template="remediation_proposed").values_list("recipient", flat=True)) == {
        parker.email,
        "billing@x.test",
    }

    # The partner finds it in what the team owes and takes it to shipped, posting progress on the way.
    _sign_in(page, live_server, parker, next_path="/remediations/owed/")
    expect(page.get_by_role("heading", name="What my team owes")).to_be_visible()
    page.get_by_role("link", name="Idempotent renewal job").click()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Moved to accepted; it is on the timeline.")).to_be_visible()
    page.get_by_role("button", name="Start work").click()
    page.get_by_role("textbox", name="Progress update").fill("Key added to the renewal job; rolling out behind a flag.")
    page.get_by_role("button", name="Post the update").click()
    expect(page.get_by_text("Your update is on the timeline.")).to_be_visible()
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.get_by_text("Moved to shipped; it is on the timeline.")).to_be_visible()
    expect(page.locator(".page-head .badge.rem-status-shipped")).to_have_text("Shipped")
    expect(page.get_by_role("heading", name="Effectiveness")).to_be_visible()
    expect(page.get_by_text("No data yet.")).to_be_visible()
    screenshot("remediation-shipped")

    timeline = page.locator("#timeline").inner_text()
    steps = [
        "proposed this remediation to Billing Platform",
        "from Proposed to Accepted",
        "from Accepted to In progress",
        "rolling out behind a flag",
        "from In progress to Shipped",
    ]
    assert all(step in timeline for step in steps), timeline
    remediation.refresh_from_db()
    assert remediation.status == "shipped" and remediation.shipped_at is not None
    # The specialist who proposed it hears about each move.
    assert OutboxMessage.objects.filter(template="remediation_status_changed", recipient=specialist.email).count() == 3

    # The board shows it in the Shipped column.
    page.goto(f"{live_server.url}/remediations/")
    expect(
        page.locator("section.board-column", has_text="Shipped").get_by_text("Idempotent renewal job")
    ).to_be_visible()
    screenshot("remediation-board-partner")

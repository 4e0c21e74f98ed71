import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_specialist_triages_new_p1s_from_the_dashboard(page, live_server, screenshot):
    specialist = factories.SpecialistFactory(display_name="Sasha Specialist")
    factories.SpecialistFactory(display_name="Tomás Teammate")
    globex = factories.AccountFactory(name="Globex", tier="strategic")
    first = factories.EscalationFactory(title="Checkout fails for EU cards", priority="P1", account=globex)
    second = factories.EscalationFactory(title="Invoices sent twice", priority="P1")
    low = factories.EscalationFactory(title="Typo on the pricing page", priority="P4")
    factories.EscalationFactory(title="Export is slow", priority="P2", status="triaged")

    _sign_in(page, live_server, specialist)

    expect(page.get_by_role("heading", name="Triage", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Triage")).to_have_attribute("aria-current", "page")
    queues = page.get_by_role("navigation", name="Queues")
    expect(queues.get_by_role("link", name="New 3 escalations")).to_be_visible()
    expect(queues.get_by_role("link", name="All open 4 escalations")).to_have_attribute("aria-current", "page")

    queues.get_by_role("link", name="New 3 escalations").click()
    expect(page.get_by_role("heading", name="New", exact=True)).to_be_visible()
    expect(page.get_by_text("Export is slow")).to_have_count(0)
    expect(page.get_by_text(low.title)).to_be_visible()

    page.get_by_label("Priority", exact=True).select_option("P1")  # htmx swaps the results and updates the URL
    expect(page).to_have_url(re.compile(r"queue=new&priority=P1$"))
    expect(page.get_by_text(low.title)).to_have_count(0)
    expect(page.get_by_text("2 escalations match 1 filter")).to_be_visible()

    page.get_by_label(f"Select {first.reference}").check()
    page.get_by_label(f"Select {second.reference}").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    page.get_by_label("Assign to").select_option("me")
    page.get_by_role("button", name="Assign", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text(
        f"Assigned to Sasha Specialist: {first.reference}, {second.reference}."
    )
    expect(page).to_have_url(re.compile(r"/escalations/triage/\?queue=new&priority=P1$"))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Sasha Specialist")).to_have_count(2)
    expect(page.get_by_label("Priority", exact=True)).to_have_value("P1")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("triage-dashboard")

    page.get_by_role("button", name="Save this view").click()
    page.get_by_label("Name this view").fill("New P1s")
    page.get_by_role("button", name="Save", exact=True).click()
    saved = page.get_by_role("region", name="Saved views")
    expect(saved.get_by_role("link", name="New P1s")).to_have_attribute("aria-current", "true")

    page.locator("thead").get_by_label("Select all escalations on this page").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("triage-dashboard-saved-view")


def test_search_and_paging_swap_only_the_results(page, live_server):
    specialist = factories.SpecialistFactory()
    factories.EscalationFactory.create_batch(27, title="Routine question")
    needle = factories.EscalationFactory(title="Refund never arrived", priority="P2")

    _sign_in(page, live_server, specialist)
    expect(page.get_by_text("Page 1 of 2 · 28 in all")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("Page 2 of 2 · 28 in all")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/escalations/triage/\?page=2$"))

    page.get_by_label("Search").fill("refund")  # no Enter: results follow the typing
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name=needle.reference)).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?queue=open&q=refund$"))  # back to page 1
    assert page.evaluate("window.stillTheSamePage") is True  # htmx swapped the results; the page never reloaded

    page.get_by_label("Search").fill("nothing like this")
    expect(page.get_by_text("No escalations in All open match these filters.")).to_be_visible()
    page.get_by_role("link", name="Clear filters").last.click()
    expect(page.get_by_text("Page 1 of 2 · 28 in all")).to_be_visible()


def test_the_dashboard_works_without_javascript(browser, live_server):
    specialist = factories.SpecialistFactory(display_name="Noor Nojs")
    first = factories.EscalationFactory(title="Card declined", priority="P1")
    second = factories.EscalationFactory(title="Card declined again", priority="P1")
    factories.EscalationFactory(title="Low priority note", priority="P4")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _sign_in(page, live_server, specialist)
        page.get_by_role("navigation", name="Queues").get_by_role("link", name=re.compile(r"^New")).click()
        page.get_by_label("Priority", exact=True).select_option("P1")
        page.get_by_role("button", name="Apply filters").click()  # a plain GET form
        expect(page).to_have_url(re.compile(r"queue=new&.*priority=P1"))
        expect(page.locator("tbody tr")).to_have_count(2)

        page.get_by_label(f"Select {first.reference}").check()
        page.get_by_label(f"Select {second.reference}").check()
        page.get_by_role("button", name="Assign", exact=True).click()  # a plain POST, then back to the same list

        expect(page.get_by_role("status")).to_contain_text(
            f"Assigned to Noor Nojs: {first.reference}, {second.reference}."
        )
        expect(page.locator("tbody tr")).to_have_count(2)
    finally:
        context.close()

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


def test_specialist_signs_in_and_lands_on_the_queue(page, live_server, screenshot):
    specialist = factories.SpecialistFactory(display_name="Sasha Specialist")
    factories.EscalationFactory(title="Checkout fails for EU cards", priority="P1")

    _sign_in(page, live_server, specialist)

    expect(page.get_by_role("heading", name="Triage", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Triage")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Checkout fails for EU cards")).to_be_visible()
    expect(page.get_by_text("Sasha Specialist · Specialist")).to_be_visible()
    screenshot("queue")

    page.locator("tbody a").first.click()
    expect(page.get_by_role("heading", name="Checkout fails for EU cards")).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    screenshot("case")


def test_requester_signs_in_sees_my_escalations_and_can_sign_out(page, live_server, screenshot):
    requester = factories.RequesterFactory(display_name="Riley Requester")

    _sign_in(page, live_server, requester)

    expect(page.get_by_role("heading", name="My escalations")).to_be_visible()
    expect(page.get_by_text("You have no escalations yet")).to_be_visible()
    expect(page.get_by_role("link", name="Triage")).to_have_count(0)
    screenshot("mine-empty")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_wrong_password_is_announced(page, live_server, screenshot):
    user = factories.RequesterFactory()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("correct email address and password")
    screenshot("login-error")

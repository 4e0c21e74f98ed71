"""The Content-Security-Policy is on, and every main page, the API docs and the admin still work in Chromium.

Any CSP violation shows up in the browser console as an error ("Refused to execute inline script ..."), so the
test fails on any console error or uncaught page error.
"""

import re

import pytest
from playwright.sync_api import expect

from escalations.mail.models import InboundEmail
from reports.catalog import REPORTS
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_errors(page):
    """Console errors (CSP violations among them), uncaught script errors, and scripts, styles or images that
    failed to load. A page answering 400 to a form is not an error here: the console notes it, the test checks it."""
    errors = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"console: {message.text}")

    def on_response(response):
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} for {response.request.resource_type} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("response", on_response)
    return errors


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


@pytest.fixture
def case_world():
    team = factories.PartnerTeamFactory(name="Billing Platform", slug="billing-platform")
    partner = factories.PartnerFactory(email="pat@example.com", display_name="Pat Partner")
    team.members.add(partner)
    requester = factories.RequesterFactory(email="rita@example.com", display_name="Rita Requester")
    escalation = factories.EscalationFactory(
        requester=requester, title="Invoices doubled", description="**Bold** and <script>alert(1)</script>"
    )
    factories.HandoffFactory(escalation=escalation, partner_team=team, ask="Check the ledger")
    driver = factories.RootCauseDriverFactory(name="Invoice rounding", parent__name="Billing")
    remediation = factories.RemediationFactory(owner_team=team, title="Stop double posting")
    stray_email = InboundEmail.objects.create(
        message_id="<stray@customer.example>",
        status=InboundEmail.Status.UNMATCHED,
        source=InboundEmail.Source.HTTP,
        from_address="someone@customer.example",
        subject="Where is my refund?",
        raw=b"From: someone@customer.example\r\nSubject: Where is my refund?\r\n\r\nStill waiting.\r\n",
        size=76,
    )
    return {"requester": requester, "partner": partner, "escalation": escalation, "driver": driver,
            "remediation": remediation, "stray_email": stray_email}  # fmt: skip


def test_main_pages_run_with_the_csp_and_no_console_errors(page, live_server, browser_errors, case_world, screenshot):
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    escalation = case_world["escalation"]
    manager = factories.ManagerFactory(email="maya@example.com", display_name="Maya Manager")
    sign_in(page, live_server, manager)

    pages = [
        "/escalations/triage/",
        "/escalations/queue/",
        f"/escalations/{escalation.reference}/",
        "/escalations/new/",
        "/escalations/mine/",
        "/escalations/handoffs/",
        "/escalations/outbox/",
        "/remediations/",
        "/remediations/list/",
        f"/remediations/{case_world['remediation'].pk}/",
        "/remediations/root-causes/",
        f"/remediations/root-causes/{case_world['driver'].pk}/",
        "/accounts/profile/",
        "/audit/",
        "/mail/unmatched/",
        f"/mail/unmatched/{case_world['stray_email'].pk}/",
        "/mail/signature/",
        "/reports/",
        *(f"/reports/{spec.slug}/" for spec in REPORTS),  # each draws its charts from a static script
    ]
    for path in pages:
        response = page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert response.status == 200, f"{path}: {response.status}"
        assert not browser_errors, f"{path}: {browser_errors}"
        if path == "/audit/":
            screenshot("audit-log")

    # Scripts from static files still work: the triage page's "select all" and the per-page chooser.
    page.goto(f"{live_server.url}/escalations/triage/")
    page.get_by_label("Select all").check()
    expect(page.get_by_text("1 selected")).to_be_visible()
    page.get_by_label("Show").select_option("50")
    expect(page).to_have_url(re.compile(r"per_page=50"))
    # htmx still swaps results in place (it runs from a static file, and its requests carry the CSRF header).
    page.get_by_label("Search").fill("Invoices")
    expect(page).to_have_url(re.compile(r"q=Invoices"))
    assert not browser_errors, browser_errors

    # A partner's reports: the index and their teams' accountability, with its chart.
    sign_out(page)
    sign_in(page, live_server, case_world["partner"])
    for path in ["/reports/", "/reports/partner-accountability/"]:
        response = page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert response.status == 200, f"{path}: {response.status}"
        assert not browser_errors, f"{path}: {browser_errors}"
    expect(page.get_by_role("cell", name="Billing Platform", exact=True)).to_be_visible()


def test_a_new_user_creates_a_token_on_the_profile_page_and_copies_it(page, live_server, browser_errors, screenshot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    specialist = factories.SpecialistFactory(email="sasha@example.com", display_name="Sasha Specialist")
    sign_in(page, live_server, specialist)

    page.get_by_role("link", name="Sasha Specialist · Specialist").click()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    expect(page.get_by_text("No API tokens yet.")).to_be_visible()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    page.get_by_label("Token name").fill("curl on my laptop")
    page.get_by_role("button", name="Create token").click()

    token = page.get_by_label("New API token").input_value()
    assert token.startswith("edt_")
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token
    screenshot("profile-new-token")

    # The token works in the API, from outside the browser session.
    api = page.context.request.get(
        f"{live_server.url}/api/v1/escalations/", headers={"Authorization": f"Token {token}"}
    )
    assert api.status == 200

    page.goto(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_label("New API token")).to_have_count(0)
    page.get_by_role("button", name="Revoke curl on my laptop").click()
    expect(page.get_by_text("“curl on my laptop” is revoked")).to_be_visible()
    screenshot("profile-revoked-token")
    assert not browser_errors, browser_errors


def test_swagger_ui_works_under_the_csp(page, live_server, browser_errors, screenshot):
    specialist = factories.SpecialistFactory(email="sasha@example.com")
    sign_in(page, live_server, specialist)

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Escalation Desk API")
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    screenshot("api-docs-csp")
    assert not browser_errors, browser_errors


def test_the_admin_works_under_the_csp(page, live_server, browser_errors, case_world, screenshot):
    admin_user = factories.AdminFactory(email="ada@example.com", display_name="Ada Admin")
    sign_in(page, live_server, admin_user)

    for path in [
        "/admin/",
        "/admin/escalations/escalation/",
        f"/admin/escalations/escalation/{case_world['escalation'].pk}/change/",
        "/admin/users/partnerteam/add/",
        "/admin/auditlog/logentry/",
        "/admin/axes/accessattempt/",
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert not browser_errors, f"{path}: {browser_errors}"
    # The admin's own scripts run: the slug is filled from the name as it is typed.
    page.goto(f"{live_server.url}/admin/users/partnerteam/add/")
    page.locator("#id_name").press_sequentially("Data Platform")
    expect(page.locator("#id_slug")).to_have_value("data-platform")
    screenshot("admin-csp")
    assert not browser_errors, browser_errors


def test_a_locked_out_user_sees_why_on_the_sign_in_page(page, live_server, settings, screenshot):
    settings.AXES_FAILURE_LIMIT = 3
    requester = factories.RequesterFactory(email="rita@example.com")
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(3):
        page.get_by_label("Email address").fill(requester.email)
        page.get_by_label("Password").fill("not my password")
        page.get_by_role("button", name="Sign in").click()
        if page.get_by_role("heading", name="Sign-in locked").count():
            break

    expect(page.get_by_role("heading", name="Sign-in locked")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("3 failed sign-in attempts in a row")
    screenshot("login-locked-out")

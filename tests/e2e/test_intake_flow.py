import pytest
from playwright.sync_api import expect

from escalations.models import Escalation, OutboxMessage
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_requester_files_an_escalation_with_an_attachment(page, live_server, screenshot, tmp_path):
    requester = factories.RequesterFactory(display_name="Riley Requester")
    other = factories.RequesterFactory(display_name="Quinn Requester")
    factories.AccountFactory(external_id="acct_globex001", name="Globex Corporation", tier="enterprise")
    factories.CategoryFactory(name="Billing", slug="billing")
    evidence = tmp_path / "invoice-march.pdf"
    evidence.write_bytes(b"%PDF-1.4 duplicated invoice")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(requester.email)
    page.get_by_label("Password").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="File an escalation").first.click()

    expect(page.get_by_role("heading", name="File an escalation")).to_be_visible()
    page.get_by_label("Customer account").press_sequentially("Glob", delay=50)
    expect(page.locator("#account-suggestions option")).to_have_count(1)
    page.get_by_label("Customer account").fill("acct_globex001 — Globex Corporation")
    page.get_by_label("Title").fill("Invoices sent twice since March")
    page.get_by_label("Description").fill("Every invoice since **March 3** went out twice.")
    page.get_by_label("Category").select_option(label="Billing")
    page.get_by_label("What the customer needs").fill("Credit note for the duplicates")
    page.get_by_label("Revenue at risk (USD)").fill("15000")
    page.get_by_label("Attachments").set_input_files(str(evidence))
    screenshot("file-form")
    page.get_by_role("button", name="File escalation").click()

    expect(page.get_by_text("Escalation received")).to_be_visible()
    escalation = Escalation.objects.get()
    expect(page.get_by_role("heading", name=escalation.reference)).to_be_visible()
    expect(page.get_by_text("First response to the customer")).to_be_visible()
    screenshot("filed-confirmation")
    assert escalation.priority == "P2"
    assert [a.original_name for a in escalation.attachments.all()] == ["invoice-march.pdf"]
    assert OutboxMessage.objects.filter(recipient=requester.email, template="escalation_filed").count() == 1

    page.get_by_role("link", name="My email").click()
    expect(page.get_by_text(f"[{escalation.reference}] Received: Invoices sent twice since March")).to_be_visible()

    page.get_by_role("link", name="My escalations").first.click()
    expect(page.get_by_role("link", name=escalation.reference)).to_be_visible()
    page.get_by_role("link", name=escalation.reference).click()
    expect(page.get_by_role("link", name="invoice-march.pdf").first).to_be_visible()
    screenshot("case-requester")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email address").fill(other.email)
    page.get_by_label("Password").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You have no escalations yet")).to_be_visible()
    response = page.goto(f"{live_server.url}/escalations/{escalation.reference}/")
    assert response.status == 404


def test_form_errors_are_announced_and_keep_the_input(page, live_server, screenshot):
    requester = factories.RequesterFactory()
    factories.CategoryFactory(name="Billing", slug="billing")
    page.goto(f"{live_server.url}/accounts/login/?next=/escalations/new/")
    page.get_by_label("Email address").fill(requester.email)
    page.get_by_label("Password").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("Customer account").fill("not an id")
    page.get_by_label("Title").fill("Checkout broken")
    page.get_by_role("button", name="File escalation").click()

    expect(page.get_by_text("Please fix")).to_be_visible()
    expect(page.get_by_text("Choose an account from the suggestions")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Checkout broken")
    screenshot("file-form-errors")

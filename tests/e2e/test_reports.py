"""The demo manager opens every report on the demo data: each chart is drawn, its numbers are in the table beneath,
a CSV downloads, and the printed page has no navigation or filters. A partner sees only their team's page."""

import pytest
from playwright.sync_api import expect

from escalations.demo import demo_seed
from reports.catalog import REPORTS
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-password"
DRAWN_PIXELS = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted++; } }
  return painted;
}"""


def _sign_in(page, live_server, email):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def demo(db):
    demo_seed(escalation_count=150)
    return User.objects.get(email="manager@example.com")


def test_the_demo_manager_reads_every_report_downloads_csv_and_prints(page, live_server, demo, screenshot, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, live_server, demo.email)
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    screenshot("reports-index")

    for spec in REPORTS:
        page.goto(f"{live_server.url}/reports/")
        page.get_by_role("link", name=spec.title).click()
        expect(page.get_by_role("heading", name=spec.title, level=1)).to_be_visible()
        canvases = page.locator("canvas[data-report-chart]")
        expect(canvases.first).to_have_attribute("data-drawn", "true")
        for index in range(canvases.count()):
            canvas = canvases.nth(index)
            expect(canvas).to_have_attribute("data-drawn", "true")
            assert canvas.evaluate(DRAWN_PIXELS) > 500, f"{spec.slug}: chart {index} looks empty"
            # The table of its numbers sits beneath each chart, with at least one row.
            table = canvas.locator("xpath=ancestor::section[1]//table")
            assert table.locator("tbody tr").count() >= 1
        screenshot(f"report-{spec.slug}")

    # A CSV of the first table downloads with a header row.
    page.goto(f"{live_server.url}/reports/top-drivers/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV of Ranked by number of escalations").click()
    saved = tmp_path / "drivers.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("Driver,Area,Escalations,Previous period")
    assert len(lines) > 1

    # Filters apply: an empty priority shows the empty state instead of a chart.
    page.goto(f"{live_server.url}/reports/sla-attainment/")
    page.get_by_label("From").fill("2020-01-01")
    page.get_by_label("To").fill("2020-01-31")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No clock was met or breached in this range.").first).to_be_visible()

    # Printing: no navigation, no filters, no CSV links; the charts are still there.
    page.goto(f"{live_server.url}/reports/volume-backlog/")
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.locator("form.report-filters")).to_be_hidden()
    expect(page.get_by_text("Download CSV").first).to_be_hidden()
    expect(page.locator("canvas[data-report-chart]").first).to_be_visible()
    screenshot("report-volume-backlog-print")
    page.emulate_media(media="screen")


def test_a_partner_sees_only_their_teams_accountability(page, live_server, demo, screenshot):
    _sign_in(page, live_server, "partner@example.com")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("link", name="Partner accountability")).to_be_visible()
    expect(page.get_by_role("link", name="SLA attainment")).to_have_count(0)
    page.get_by_role("link", name="Partner accountability").click()
    rows = page.locator("#table-teams").locator("xpath=ancestor::section[1]//tbody/tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Billing Platform")
    screenshot("report-partner-accountability-partner")

    response = page.goto(f"{live_server.url}/reports/sla-attainment/")
    assert response.status == 403
    expect(page.get_by_text("Reports are for specialists and managers.")).to_be_visible()

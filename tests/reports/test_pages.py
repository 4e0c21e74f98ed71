"""Report pages, CSV downloads and the API: who may open what, what the filters do, what the files hold."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.catalog import REPORTS
from tests import factories
from tests.reports.conftest import RANGE, at

SLUGS = [spec.slug for spec in REPORTS]
MANAGER_REPORTS = [slug for slug in SLUGS if slug != "partner-accountability"]


def page(client, slug, **query):
    return client.get(reverse("reports:report", args=[slug]), {**RANGE, **query})


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("slug", SLUGS)
def test_manager_opens_every_report_with_its_tables_and_chart_data(client, manager, world, slug):
    client.force_login(manager)

    response = page(client, slug)

    assert response.status_code == 200
    html = response.content.decode()
    assert "01 Mar 2026 – 07 Mar 2026" in html
    assert 'type="application/json"' in html and "data-report-chart" in html
    assert "<script>" not in html.replace('<script src="', "")  # no inline code: data only, for the CSP
    assert "Download CSV" in html


def test_sla_page_shows_numbers_and_breaches_with_links(client, manager, world):
    client.force_login(manager)

    html = page(client, "sla-attainment").content.decode()

    assert f'href="/escalations/{world.cases["D"].reference}/"' in html
    assert "33.3" in html  # first response
    assert "Breaches" in html


def test_index_lists_what_the_role_may_open(client, manager, partner, specialist):
    client.force_login(manager)
    assert [r.slug for r in client.get(reverse("reports:index")).context["reports"]] == SLUGS
    client.force_login(specialist)
    assert [r.slug for r in client.get(reverse("reports:index")).context["reports"]] == SLUGS
    client.force_login(partner)
    assert [r.slug for r in client.get(reverse("reports:index")).context["reports"]] == ["partner-accountability"]


@pytest.mark.parametrize("slug", MANAGER_REPORTS)
def test_requesters_and_partners_cannot_open_manager_reports(client, requester, partner, slug):
    for person in (requester, partner):
        client.force_login(person)
        assert page(client, slug).status_code == 403
        assert client.get(reverse("reports:csv", args=[slug, "by_clock"])).status_code == 403
        assert client.get(reverse("reports_api:report", args=[slug])).status_code == 403


def test_requester_gets_no_report_at_all_and_no_navigation_entry(client, requester):
    client.force_login(requester)

    assert client.get(reverse("reports:index")).status_code == 403
    assert page(client, "partner-accountability").status_code == 403
    assert "Reports" not in [label for label, *_ in client.get(reverse("escalations:mine")).context["nav_links"]]


def test_partner_sees_only_their_own_team(client, partner, world):
    other = factories.PartnerFactory(email="olga@example.com")
    world.identity.members.add(other)
    client.force_login(partner)

    response = page(client, "partner-accountability")

    assert response.status_code == 200
    assert [row["team"] for row in response.context["report"].table("teams").rows] == ["Billing Platform"]
    # Another team's slug is not a choice for them: a clear error, no numbers.
    refused = page(client, "partner-accountability", team="identity-access")
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    client.force_login(other)
    assert [row["team"] for row in page(client, "partner-accountability").context["report"].table("teams").rows] == [
        "Identity & Access"
    ]
    api = client.get(reverse("reports_api:report", args=["partner-accountability"]), RANGE).json()
    assert [row["team"] for row in api["tables"]["teams"]["rows"]] == ["Identity & Access"]


def test_reports_navigation_for_case_workers_and_partners(client, manager, partner):
    for person in (manager, partner):
        client.force_login(person)
        links = {label: url for label, url, _ in client.get(reverse("reports:index")).context["nav_links"]}
        assert links["Reports"] == "/reports/"


def test_bad_filters_are_refused_with_a_message(client, manager, world):
    client.force_login(manager)

    backwards = page(client, "volume-backlog", start="2026-03-07", end="2026-03-01")
    assert backwards.status_code == 400
    assert "The end of the range must be on or after its start." in backwards.content.decode()
    assert backwards.context.get("report") is None
    assert page(client, "volume-backlog", start="not-a-date").status_code == 400
    too_long = page(client, "volume-backlog", start="2020-01-01", end="2026-03-01")
    assert "at most 731 days" in too_long.content.decode()
    for far in ({"start": "0001-01-02"}, {"end": "9999-12-31"}):
        refused = client.get(reverse("reports_api:report", args=["top-drivers"]), far)
        assert refused.status_code == 400
        assert refused.json()["fields"]["start"] == ["Choose dates between 01 Jan 2000 and 31 Dec 2099."]


def test_default_range_is_the_last_90_days(client, manager, world):
    client.force_login(manager)

    filters = client.get(reverse("reports:report", args=["top-drivers"])).context["filters"]

    assert (str(filters.start), str(filters.end), filters.days) == ("2025-12-11", "2026-03-10", 90)


def test_csv_holds_the_table_with_the_same_filters(client, manager, world):
    client.force_login(manager)

    response = client.get(reverse("reports:csv", args=["sla-attainment", "by_clock"]), RANGE)

    assert 'filename="sla-attainment-by_clock-2026-03-01-2026-03-07.csv"' in response["Content-Disposition"]
    assert csv_rows(response) == [
        ["Clock", "Met", "Breached", "Judged", "Met %"],
        ["First response", "1", "2", "3", "33.3"],
        ["Resolution", "4", "0", "4", "100.0"],
        ["Handoff response", "1", "0", "1", "100.0"],
    ]
    drivers = csv_rows(client.get(reverse("reports:csv", args=["top-drivers", "by_count"]), RANGE))
    assert drivers[1][:8] == ["Invoice rounding", "Billing logic", "2", "1", "100.0", "21.4", "4.0", "435.0"]
    filtered = csv_rows(
        client.get(reverse("reports:csv", args=["volume-backlog", "reopen_rate"]), {**RANGE, "tier": "starter"})
    )
    assert filtered == [["Resolutions", "Reopens", "Reopen rate %"], ["2", "1", "50.0"]]


def test_breaches_csv_has_every_breach(client, manager, world):
    client.force_login(manager)

    rows = csv_rows(client.get(reverse("reports:csv", args=["sla-attainment", "breaches"]), RANGE))

    assert rows[0] == ["Case", "Title", "Account", "Priority", "Clock", "Owner or team", "Due", "Breached", "Now"]
    assert [(row[0], row[4], row[7]) for row in rows[1:]] == [
        (world.cases["D"].reference, "First response", "2026-03-07 21:00"),
        (world.cases["B"].reference, "First response", "2026-03-03 11:00"),
    ]


def test_csv_of_an_unknown_table_is_404_and_bad_filters_400(client, manager, world):
    client.force_login(manager)

    assert client.get(reverse("reports:csv", args=["top-drivers", "nope"]), RANGE).status_code == 404
    bad = client.get(
        reverse("reports:csv", args=["top-drivers", "by_count"]), {"start": "2026-03-07", "end": "2026-03-01"}
    )
    assert bad.status_code == 400
    assert "end" in bad.content.decode()
    assert client.get("/reports/no-such-report/").status_code == 404


# --- API ----------------------------------------------------------------------------------------------------


def test_api_gives_the_same_numbers_as_the_page(client, manager, world):
    client.force_login(manager)

    body = client.get(reverse("reports_api:report", args=["sla-attainment"]), RANGE).json()
    page_report = page(client, "sla-attainment").context["report"]

    assert body["filters"] == RANGE
    for table in page_report.tables:
        assert body["tables"][table.key]["rows"] == table.as_json()["rows"]
    first = body["tables"]["by_clock"]["rows"][0]
    assert first == {"label": "First response", "met": 1, "breached": 2, "judged": 3, "rate": 33.3}
    assert body["breaches"]["count"] == 2
    assert body["breaches"]["results"][0]["reference"] == {
        "text": world.cases["D"].reference,
        "url": f"/escalations/{world.cases['D'].reference}/",
    }


@pytest.mark.parametrize("slug", SLUGS)
def test_api_answers_every_report(client, manager, world, slug):
    client.force_login(manager)

    response = client.get(reverse("reports_api:report", args=[slug]), RANGE)

    assert response.status_code == 200
    assert response.json()["report"] == slug
    assert response.json()["tables"]


def test_api_errors_have_the_project_shape(client, manager, world):
    client.force_login(manager)

    invalid = client.get(reverse("reports_api:report", args=["volume-backlog"]), {"priority": "P9", "start": "x"})
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "invalid"
    assert set(invalid.json()["fields"]) == {"priority", "start"}
    missing = client.get(reverse("reports_api:report", args=["nope"]))
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    no_page = client.get(reverse("reports_api:report", args=["sla-attainment"]), {**RANGE, "page": 9})
    assert no_page.status_code == 404
    client.logout()
    assert client.get(reverse("reports_api:report", args=["volume-backlog"])).status_code == 403


def test_api_works_with_a_token(client, manager, world):
    token = factories.api_token_for(manager)
    response = client.get(
        reverse("reports_api:report", args=["top-drivers"]), RANGE, HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 200
    assert response.json()["tables"]["by_count"]["rows"][0]["count"] == 2


# --- Query counts -------------------------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, RANGE)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("slug", SLUGS)
def test_query_count_does_not_grow_with_the_data(
    client, manager, world, more_cases, slug, django_assert_max_num_queries
):
    client.force_login(manager)
    urls = [
        reverse("reports:report", args=[slug]),
        reverse("reports_api:report", args=[slug]),
    ]
    small = [_queries(client, url) for url in urls]
    assert max(small) <= 20

    more_cases(20)

    for url, count in zip(urls, small, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url, RANGE)


@pytest.mark.parametrize("slug", ["sla-attainment", "volume-backlog"])
def test_every_reader_gets_the_same_figures_whatever_their_time_zone(client, manager, world, slug):
    """Weeks and days are the site's (UTC) for everyone, so the page, the API and the digest agree."""
    # Sunday 20:00 UTC is already Monday, the next week, in Kiritimati (UTC+14).
    factories.EscalationFactory(filed_at=at(1, 20), account=world.accounts["business"], requesting_org="Support")
    client.force_login(manager)
    url = reverse("reports_api:report", args=[slug])
    in_utc = client.get(url, RANGE).json()
    for zone in ("America/Los_Angeles", "Pacific/Kiritimati"):
        manager.time_zone = zone
        manager.save()
        assert client.get(url, RANGE).json() == in_utc, zone

"""What the benchmark measures: one `Probe` per request, in the order of the table.

To measure another page or endpoint, add one line to `PROBES`. A path may name the seeded fixtures in braces:
`{category}` (a product area slug), `{account}` (an acct_ id with open cases), `{timeline_case}` (the case
with a 50-event timeline), `{requester_case}` (a case the benchmark requester filed), `{report_start}` and
`{report_end}` (the 90 days ending on the day the newest seeded case was filed).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

SPECIALIST, REQUESTER, MANAGER = "specialist", "requester", "manager"


@dataclass(frozen=True)
class Probe:
    name: str
    path: str
    user: str = SPECIALIST
    target_ms: float | None = 50
    method: str = "GET"
    # POST bodies: built per request (a filing needs a fresh title), as form fields or as JSON.
    form: Callable[[dict, int], dict] | None = None
    json: Callable[[dict, int], dict] | None = None
    expect_status: tuple[int, ...] = (200,)
    headers: dict = field(default_factory=dict)


def _intake_form(fixtures: dict, n: int) -> dict:
    return {
        "account": fixtures["account"],
        "title": f"Benchmark filing {n}: exports timing out for EU customers",
        "description": "Seeded by `manage.py bench`: the customer cannot export last month's invoices.",
        "category": fixtures["category_id"],
        "customer_need": "The export, by Friday.",
        "preferred_contact_channel": "email",
        "confirm_not_duplicate": "on",  # the filing itself, after the duplicate check was shown
    }


def _intake_json(fixtures: dict, n: int) -> dict:
    return {
        "account": fixtures["account"],
        "title": f"Benchmark API filing {n}: webhooks failing since the migration",
        "description": "Seeded by `manage.py bench` through the API.",
        "category": fixtures["category"],
        "customer_need": "Webhooks delivered again.",
    }


PROBES: list[Probe] = [
    Probe("dashboard (default queue)", "/escalations/triage/"),
    Probe("filtered queue", "/escalations/triage/?priority=P2&category={category}&tier=enterprise"),
    Probe("full-text search", "/escalations/triage/?q=webhooks+timing+out"),
    Probe("case page (50 events)", "/escalations/{timeline_case}/"),
    Probe("requester list", "/escalations/mine/", user=REQUESTER),
    Probe("API list", "/api/v1/escalations/?priority=P2"),
    Probe("intake (form POST)", "/escalations/new/", REQUESTER, 100, "POST", form=_intake_form, expect_status=(302,)),
    Probe("intake (API POST)", "/api/v1/escalations/", REQUESTER, 100, "POST", json=_intake_json, expect_status=(201,)),
    # Reports (issue 7) through the API, as a manager, over the last 90 days of the seeded history; goal 1 s.
    *(
        Probe(
            f"report: {name}, 90 days",
            f"/api/v1/reports/{slug}/?start={{report_start}}&end={{report_end}}",
            MANAGER,
            1000,
        )
        for slug, name in (
            ("sla-attainment", "SLA attainment"),
            ("volume-backlog", "volume and backlog"),
            ("top-drivers", "top drivers"),
            ("partner-accountability", "partner accountability"),
            ("remediation-impact", "remediation impact"),
        )
    ),
]

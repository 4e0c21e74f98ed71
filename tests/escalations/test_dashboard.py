"""The triage dashboard: queues and counts, filters, sorts, paging, saved views, bulk actions, who may use it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from escalations import selectors
from escalations.models import Escalation, EscalationEvent, SavedView
from tests import factories

TRIAGE = "/escalations/triage/"
SAVE_VIEW = "/escalations/triage/views/"
BULK = "/escalations/triage/bulk/"

pytestmark = pytest.mark.django_db


def _references(response) -> list[str]:
    return [case.reference for case in response.context["page"].object_list]


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def signed_in(client, specialist):
    client.force_login(specialist)
    return client


@pytest.fixture
def world(specialist, manager, driver):
    """Cases in every kind of state, owned by the specialist, the manager or nobody."""
    now = timezone.now()
    make = factories.EscalationFactory
    resolved = {"resolution_summary": "Fixed", "root_cause": driver}
    days_ago = {n: now - timedelta(days=n) for n in (1, 2, 9, 20, 30)}
    return {
        "new_unowned": make(title="New and unowned"),
        "new_mine": make(title="New and mine", assignee=specialist),
        "triaged_theirs": make(
            title="Triaged, the manager's", status="triaged", assignee=manager, sla_due_at=now + timedelta(hours=1)
        ),
        "working_mine": make(
            title="In progress, mine", status="in_progress", assignee=specialist, is_sla_breached=True,
            sla_due_at=now - timedelta(hours=3),
        ),
        "on_partner": make(
            title="Waiting on a partner", status="waiting_on_partner", sla_due_at=now + timedelta(days=2)
        ),
        "on_customer": make(title="Waiting on the customer", status="waiting_on_user", assignee=specialist),
        "resolved_lately": make(title="Resolved lately", status="resolved", resolved_at=days_ago[2], **resolved),
        "closed_lately": make(
            title="Closed lately", status="closed", resolved_at=days_ago[9], closed_at=days_ago[1], **resolved
        ),
        "closed_long_ago": make(
            title="Closed long ago", status="closed", resolved_at=days_ago[30], closed_at=days_ago[20],
            assignee=specialist, **resolved,
        ),
        "rejected": make(title="Rejected", status="rejected", rejection_reason="Not ours"),
    }  # fmt: skip


EXPECTED_QUEUES = {
    "new": {"new_unowned", "new_mine"},
    "mine": {"new_mine", "working_mine", "on_customer"},
    "breaching_soon": {"triaged_theirs"},
    "breached": {"working_mine"},
    "unassigned": {"new_unowned", "on_partner"},
    "waiting_on_partner": {"on_partner"},
    "waiting_on_customer": {"on_customer"},
    "open": {"new_unowned", "new_mine", "triaged_theirs", "working_mine", "on_partner", "on_customer"},
    "recently_resolved": {"resolved_lately", "closed_lately"},
}


# Queues and their counts ---------------------------------------------------------------------------------------------


def test_queue_counts_are_right_and_come_from_one_query(world, specialist, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = selectors.triage_queue_counts(user=specialist)

    assert counts == {slug: len(names) for slug, names in EXPECTED_QUEUES.items()}


def test_counts_depend_on_who_looks(world, manager):
    counts = selectors.triage_queue_counts(user=manager)

    assert counts["mine"] == 1
    assert counts["open"] == 6


def test_dashboard_shows_each_queue_with_its_count(signed_in, world):
    response = signed_in.get(TRIAGE)
    page = response.content.decode()

    assert response.status_code == 200
    assert [(queue.slug, count) for queue, count in response.context["queues"]] == [
        (slug, len(names)) for slug, names in EXPECTED_QUEUES.items()
    ]
    for label in (
        "New",
        "Mine",
        "Breaching soon",
        "Breached",
        "Unassigned",
        "Waiting on partner",
        "Waiting on customer",
        "All open",
    ):
        assert f"<span>{label}</span>" in page
    assert "<span>Recently resolved</span>" in page


@pytest.mark.parametrize(("queue", "expected"), EXPECTED_QUEUES.items())
def test_each_queue_lists_its_escalations(signed_in, world, queue, expected):
    response = signed_in.get(TRIAGE, {"queue": queue})

    assert set(_references(response)) == {world[name].reference for name in expected}
    assert response.context["queue"].slug == queue


def test_default_and_unknown_queues_show_all_open(signed_in, world):
    open_cases = {world[name].reference for name in EXPECTED_QUEUES["open"]}

    assert set(_references(signed_in.get(TRIAGE))) == open_cases
    assert set(_references(signed_in.get(TRIAGE, {"queue": "nonsense"}))) == open_cases


# Filters --------------------------------------------------------------------------------------------------------------


@pytest.fixture
def varied(specialist, manager):
    """Three open cases that differ in every filtered field."""
    now = timezone.now()
    billing, login = factories.CategoryFactory(slug="billing", name="Billing"), factories.CategoryFactory(slug="login")
    team = factories.PartnerTeamFactory(slug="payments", name="Payments")
    other_team = factories.PartnerTeamFactory(slug="identity", name="Identity")
    globex = factories.AccountFactory(name="Globex Corporation", tier="strategic")
    initech = factories.AccountFactory(name="Initech", tier="starter")
    umbrella = factories.AccountFactory(name="Umbrella", tier="enterprise")
    cases = {
        "globex": factories.EscalationFactory(
            title="Invoices doubled for March", description="The customer was charged twice.", priority="P1",
            status="triaged", category=billing, assignee=specialist, account=globex, requesting_org="Sales EMEA",
            filed_at=now - timedelta(days=10), updated_at=now - timedelta(days=1),
        ),
        "initech": factories.EscalationFactory(
            title="Cannot sign in", description="Password reset email never arrives.", priority="P3",
            category=login, account=initech, requesting_org="Customer Support",
            filed_at=now - timedelta(days=2), updated_at=now - timedelta(days=2),
        ),
        "umbrella": factories.EscalationFactory(
            title="Export times out", description="Large CSV exports fail after a minute.", priority="P2",
            status="in_progress", category=login, assignee=manager, account=umbrella, requesting_org="Sales APAC",
            filed_at=now - timedelta(days=30), updated_at=now - timedelta(days=20),
        ),
    }  # fmt: skip
    factories.HandoffFactory(escalation=cases["globex"], partner_team=team)
    factories.HandoffFactory(escalation=cases["globex"], partner_team=team)  # twice: still listed once
    factories.HandoffFactory(escalation=cases["umbrella"], partner_team=other_team)
    return cases


def _days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "triaged"}, ["globex"]),
        ({"status": "new"}, ["initech"]),
        ({"priority": "P2"}, ["umbrella"]),
        ({"category": "billing"}, ["globex"]),
        ({"category": "login"}, ["umbrella", "initech"]),
        ({"assignee": "unassigned"}, ["initech"]),
        ({"partner_team": "payments"}, ["globex"]),
        ({"partner_team": "identity"}, ["umbrella"]),
        ({"tier": "strategic"}, ["globex"]),
        ({"tier": "starter"}, ["initech"]),
        ({"org": "sales"}, ["globex", "umbrella"]),
        ({"org": "Customer Support"}, ["initech"]),
        ({"filed_after": _days_ago(11)}, ["globex", "initech"]),
        ({"filed_before": _days_ago(5)}, ["globex", "umbrella"]),
        ({"filed_after": _days_ago(11), "filed_before": _days_ago(5)}, ["globex"]),
        ({"updated_after": _days_ago(3)}, ["globex", "initech"]),
        ({"updated_before": _days_ago(2)}, ["initech", "umbrella"]),
        ({"priority": "P1", "tier": "starter"}, []),
        ({"q": "invoices doubled"}, ["globex"]),
    ],
)
def test_each_filter_narrows_the_list(signed_in, varied, params, expected):
    response = signed_in.get(TRIAGE, params)

    assert sorted(_references(response)) == sorted(varied[name].reference for name in expected)


def test_assignee_filter_takes_a_person(signed_in, varied, specialist, manager):
    assert _references(signed_in.get(TRIAGE, {"assignee": specialist.pk})) == [varied["globex"].reference]
    assert _references(signed_in.get(TRIAGE, {"assignee": manager.pk})) == [varied["umbrella"].reference]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("doubled", "globex"),  # a word of the title
        ("reset email", "initech"),  # words of the description
        ("Globex", "globex"),  # the account's name
        ("umbrel", "umbrella"),  # part of the account's name
    ],
)
def test_search_finds_title_description_and_account(signed_in, varied, text, expected):
    assert _references(signed_in.get(TRIAGE, {"q": text})) == [varied[expected].reference]


def test_search_finds_a_reference_with_or_without_its_prefix(signed_in, varied):
    reference = varied["umbrella"].reference

    assert _references(signed_in.get(TRIAGE, {"q": reference})) == [reference]
    assert _references(signed_in.get(TRIAGE, {"q": reference.lower()})) == [reference]
    assert _references(signed_in.get(TRIAGE, {"q": reference.removeprefix("ESC-")})) == [reference]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search with stemming needs PostgreSQL")
def test_postgres_full_text_search_matches_words_by_their_stem(signed_in):
    invoice = factories.EscalationFactory(title="Billing question", description="The invoice total is wrong.")
    factories.EscalationFactory(title="Login question", description="Cannot sign in.")

    assert _references(signed_in.get(TRIAGE, {"q": "invoices"})) == [invoice.reference]
    assert _references(signed_in.get(TRIAGE, {"q": "wrong totals"})) == [invoice.reference]
    assert _references(signed_in.get(TRIAGE, {"q": "invoices -wrong"})) == []  # websearch syntax: minus excludes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only")
def test_postgres_search_uses_the_expression_of_the_gin_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'escalation_search_idx'")
        (definition,) = cursor.fetchone()

    # PostgreSQL prints the expression back with casts; the words and their order are what must match.
    for part in ("to_tsvector('english'", "COALESCE(title", "COALESCE(description", "COALESCE(reference"):
        assert part in definition
    assert "websearch_to_tsquery" in str(
        Escalation.objects.filter(selectors.escalation_text_condition("invoice")).query
    )


def test_filters_stay_in_the_form_so_the_page_can_be_bookmarked(signed_in, varied):
    page = signed_in.get(TRIAGE, {"queue": "open", "priority": "P1", "tier": "strategic", "q": "doubled"})
    html = page.content.decode()

    assert '<option value="P1" selected>' in html
    assert '<option value="strategic" selected>' in html
    assert 'value="doubled"' in html
    assert '<details class="more-filters" open>' in html  # a "more" filter is set, so they show
    assert page.context["query"] == "queue=open&priority=P1&tier=strategic&q=doubled"


def test_an_invalid_filter_is_reported_and_ignored(signed_in, varied):
    response = signed_in.get(TRIAGE, {"filed_after": "last tuesday", "priority": "P9"})

    assert response.status_code == 200
    assert len(_references(response)) == 3
    assert "Some filters were ignored" in response.content.decode()


def test_empty_result_offers_to_clear_the_filters(signed_in, varied):
    html = signed_in.get(TRIAGE, {"queue": "new", "priority": "P1"}).content.decode()

    assert "No escalations in New match these filters." in html
    assert '<a href="/escalations/triage/?queue=new">Clear filters</a>' in html


def test_an_empty_queue_says_so(signed_in):
    html = signed_in.get(TRIAGE, {"queue": "waiting_on_partner"}).content.decode()

    assert "Nothing in Waiting on partner right now." in html


# Sorting and paging ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["globex", "umbrella", "initech"]),  # most urgent first
        ("priority", ["globex", "umbrella", "initech"]),
        ("-priority", ["initech", "umbrella", "globex"]),
        ("age", ["umbrella", "globex", "initech"]),  # oldest filed first
        ("-age", ["initech", "globex", "umbrella"]),
        ("-updated", ["globex", "initech", "umbrella"]),
        ("updated", ["umbrella", "initech", "globex"]),
    ],
)
def test_sorts(signed_in, varied, sort, expected):
    response = signed_in.get(TRIAGE, {"sort": sort} if sort else {})

    assert _references(response) == [varied[name].reference for name in expected]


def test_pages_of_25_with_page_x_of_y_and_the_total(signed_in):
    factories.EscalationFactory.create_batch(30, priority="P3")

    first = signed_in.get(TRIAGE)
    second = signed_in.get(TRIAGE, {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert "Page 1 of 2 · 30 in all" in first.content.decode()
    assert set(_references(first)).isdisjoint(_references(second))


def test_page_links_keep_the_filters(signed_in):
    factories.EscalationFactory.create_batch(27, priority="P2")

    html = signed_in.get(TRIAGE, {"queue": "new", "priority": "P2", "sort": "-age"}).content.decode()

    assert 'href="/escalations/triage/?queue=new&amp;priority=P2&amp;sort=-age&amp;page=2"' in html


def test_a_bigger_page_can_be_asked_for(signed_in):
    factories.EscalationFactory.create_batch(30)

    assert len(signed_in.get(TRIAGE, {"per_page": 50}).context["page"].object_list) == 30
    assert len(signed_in.get(TRIAGE, {"per_page": 7}).context["page"].object_list) == 25  # not a size on offer


def test_rows_show_what_triage_needs(signed_in, varied):
    html = signed_in.get(TRIAGE).content.decode()
    case = varied["globex"]

    assert f'<a href="/escalations/{case.reference}/">{case.reference}</a>' in html
    assert "Invoices doubled for March" in html
    assert "Globex Corporation" in html and "Strategic" in html
    assert '<span class="badge P1">P1</span>' in html
    assert '<span class="badge status-triaged">Triaged</span>' in html
    assert "Sam Specialist" in html
    assert "1\xa0day ago" in html  # last activity, through the `ago` filter


def test_the_page_is_labelled_for_assistive_technology(signed_in, varied):
    html = signed_in.get(TRIAGE).content.decode()

    for field_id in ("id_q", "id_status", "id_priority", "id_assignee", "id_category", "id_partner_team", "id_tier",
                     "id_org", "id_filed_after", "id_filed_before", "id_updated_after", "id_updated_before", "id_sort",
                     "id_per_page", "bulk-assignee", "bulk-priority", "bulk-status"):  # fmt: skip
        assert f'<label for="{field_id}"' in html, field_id
    assert '<caption class="visually-hidden">All open: escalations 1 to 3 of 3</caption>' in html
    for case in varied.values():
        assert f'<span class="visually-hidden">Select {case.reference}</span>' in html
    assert "Select all escalations on this page" in html


# htmx and query counts ------------------------------------------------------------------------------------------------


def test_htmx_requests_get_only_the_results(signed_in, varied):
    response = signed_in.get(TRIAGE, {"priority": "P1", "q": ""}, headers={"HX-Request": "true"})
    html = response.content.decode()

    assert response.status_code == 200
    assert "<html" not in html and "Queues" not in html
    assert varied["globex"].reference in html and varied["initech"].reference not in html
    assert response["HX-Push-Url"] == "/escalations/triage/?priority=P1"  # the clean URL goes in the address bar
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(signed_in):
    response = signed_in.get(TRIAGE, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()


def test_the_full_page_wires_htmx_to_the_results_region(signed_in):
    html = signed_in.get(TRIAGE).content.decode()

    assert 'hx-get="/escalations/triage/" hx-target="#results" hx-push-url="true"' in html
    assert '<div id="results">' in html
    assert '<form method="get" action="/escalations/triage/"' in html  # and works as a plain form


def test_the_dashboard_costs_the_same_queries_with_5_or_50_rows(signed_in, django_assert_max_num_queries, specialist):
    def make_rows(count):
        for _ in range(count):
            case = factories.EscalationFactory(assignee=factories.SpecialistFactory())
            factories.HandoffFactory(escalation=case)
            SavedView.objects.create(owner=specialist, name=f"View {SavedView.objects.count()}", query="priority=P1")

    make_rows(5)
    with django_assert_max_num_queries(12) as small:
        assert len(signed_in.get(TRIAGE, {"per_page": 50}).context["page"].object_list) == 5
    make_rows(45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(signed_in.get(TRIAGE, {"per_page": 50}).context["page"].object_list) == 50


# Saved views ----------------------------------------------------------------------------------------------------------


def test_save_the_current_filters_under_a_name(signed_in, specialist):
    response = signed_in.post(
        SAVE_VIEW, {"name": "P1s on partner", "query": "queue=waiting_on_partner&priority=P1&page=3&q=&junk=1"}
    )

    saved = SavedView.objects.get(owner=specialist)
    assert saved.name == "P1s on partner"
    assert saved.query == "queue=waiting_on_partner&priority=P1"  # no page, no empty or unknown parameters
    assert response.status_code == 302
    assert response.url == "/escalations/triage/?queue=waiting_on_partner&priority=P1"
    page = signed_in.get(response.url)
    assert "Saved “P1s on partner”" in _messages(page)[0]
    assert '<a href="/escalations/triage/?queue=waiting_on_partner&amp;priority=P1" aria-current="true">' in (
        page.content.decode()
    )


def test_a_saved_view_needs_a_name(signed_in):
    response = signed_in.post(SAVE_VIEW, {"name": "  ", "query": "priority=P1"})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not SavedView.objects.exists()


def test_a_name_is_used_once_per_person(signed_in, specialist, manager):
    SavedView.objects.create(owner=specialist, name="Mine P1", query="priority=P1")
    SavedView.objects.create(owner=manager, name="Team view", query="priority=P2")

    refused = signed_in.post(SAVE_VIEW, {"name": "mine p1", "query": "priority=P2"})
    allowed = signed_in.post(SAVE_VIEW, {"name": "Team view", "query": "priority=P3"})  # the manager's name: fine

    assert refused.status_code == 400
    assert "You already have a saved view called “mine p1”" in refused.content.decode()
    assert '<details class="save-view" open>' in refused.content.decode()
    assert allowed.status_code == 302
    assert SavedView.objects.filter(owner=specialist).count() == 2


def test_at_most_30_saved_views_each(signed_in, specialist):
    SavedView.objects.bulk_create(SavedView(owner=specialist, name=f"View {n}", query="") for n in range(30))

    response = signed_in.post(SAVE_VIEW, {"name": "One more", "query": ""})

    assert response.status_code == 400
    assert "the most you can keep" in response.content.decode()


def test_the_sidebar_lists_only_my_saved_views(signed_in, specialist, manager):
    SavedView.objects.create(owner=specialist, name="Strategic P1s", query="tier=strategic&priority=P1")
    SavedView.objects.create(owner=manager, name="Managers only", query="priority=P4")

    html = signed_in.get(TRIAGE).content.decode()

    assert "Strategic P1s" in html
    assert 'href="/escalations/triage/?tier=strategic&amp;priority=P1"' in html
    assert "Managers only" not in html


def test_delete_my_saved_view(signed_in, specialist):
    saved = SavedView.objects.create(owner=specialist, name="Old view", query="priority=P1")

    response = signed_in.post(f"/escalations/triage/views/{saved.pk}/delete/")

    assert response.status_code == 302
    assert not SavedView.objects.filter(pk=saved.pk).exists()


def test_someone_elses_saved_view_cannot_be_deleted(signed_in, manager):
    theirs = SavedView.objects.create(owner=manager, name="Theirs", query="priority=P1")

    response = signed_in.post(f"/escalations/triage/views/{theirs.pk}/delete/")

    assert response.status_code == 404
    assert SavedView.objects.filter(pk=theirs.pk).exists()


# Bulk actions ---------------------------------------------------------------------------------------------------------


def test_bulk_assign_to_me_and_come_back_to_the_same_page(signed_in, specialist):
    first, second, untouched = factories.EscalationFactory.create_batch(3)

    response = signed_in.post(
        BULK,
        {"action": "assign", "assignee": "me", "selected": [first.reference, second.reference],
         "next": "queue=new&priority=P3&page=1"},
    )  # fmt: skip

    assert response.status_code == 302
    assert response.url == "/escalations/triage/?queue=new&priority=P3"
    for case in (first, second):
        case.refresh_from_db()
        assert case.assignee == specialist
        assert case.events.filter(kind=EscalationEvent.Kind.ASSIGNED, actor=specialist).count() == 1
    untouched.refresh_from_db()
    assert untouched.assignee is None
    assert _messages(signed_in.get(response.url)) == [
        f"Assigned to Sam Specialist: {first.reference}, {second.reference}."
    ]


def test_bulk_assign_to_a_colleague_or_to_nobody(signed_in, manager, specialist):
    case = factories.EscalationFactory(assignee=specialist)

    signed_in.post(BULK, {"action": "assign", "assignee": manager.pk, "selected": [case.reference]})
    case.refresh_from_db()
    assert case.assignee == manager

    signed_in.post(BULK, {"action": "assign", "assignee": "nobody", "selected": [case.reference]})
    case.refresh_from_db()
    assert case.assignee is None


def test_bulk_set_priority(signed_in):
    cases = factories.EscalationFactory.create_batch(2, priority="P3")

    response = signed_in.post(BULK, {"action": "priority", "priority": "P1", "selected": [c.reference for c in cases]})

    assert Escalation.objects.filter(priority="P1").count() == 2
    assert _messages(signed_in.get(response.url))[0].startswith("Priority set to P1:")


def test_bulk_status_applies_what_it_can_and_reports_each_refusal(signed_in):
    new = factories.EscalationFactory(title="Still new")
    triaged = factories.EscalationFactory(status="triaged")
    also_triaged = factories.EscalationFactory(status="triaged")

    response = signed_in.post(
        BULK,
        {"action": "status", "status": "in_progress", "selected": [new.reference, triaged.reference,
                                                                    also_triaged.reference]},
    )  # fmt: skip

    assert list(Escalation.objects.filter(status="in_progress").order_by("pk")) == [triaged, also_triaged]
    new.refresh_from_db()
    assert new.status == "new"
    assert _messages(signed_in.get(response.url)) == [
        f"Moved to in progress: {triaged.reference}, {also_triaged.reference}.",
        f"{new.reference} was not changed: A new escalation cannot move to in progress; "
        "it can only become triaged, rejected or duplicate.",
    ]


def test_bulk_without_a_selection_explains_itself(signed_in):
    response = signed_in.post(BULK, {"action": "priority", "priority": "P1", "next": "queue=mine"})

    assert response.url == "/escalations/triage/?queue=mine"
    assert _messages(signed_in.get(response.url)) == ["Select at least one escalation first."]


def test_bulk_cannot_assign_to_someone_who_does_not_work_cases(signed_in, requester):
    case = factories.EscalationFactory()

    signed_in.post(BULK, {"action": "assign", "assignee": requester.pk, "selected": [case.reference]})

    case.refresh_from_db()
    assert case.assignee is None


def test_bulk_next_cannot_send_you_elsewhere(signed_in):
    case = factories.EscalationFactory()

    response = signed_in.post(
        BULK, {"action": "priority", "priority": "P2", "selected": [case.reference], "next": "//evil.example/x"}
    )

    assert response.url == "/escalations/triage/"


# Who may use it -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_fixture", ["requester", "partner"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", TRIAGE),
        ("get", f"{TRIAGE}?queue=new"),
        ("post", SAVE_VIEW),
        ("post", "/escalations/triage/views/1/delete/"),
        ("post", BULK),
    ],
)
def test_only_case_workers_may_use_the_dashboard(client, request, role_fixture, method, path):
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    case = factories.EscalationFactory(requester=user)
    saved = SavedView.objects.create(owner=user, name="Mine", query="")

    response = getattr(client, method)(
        path.replace("/1/", f"/{saved.pk}/"),
        {"name": "x", "action": "priority", "priority": "P1", "selected": [case.reference]} if method == "post" else {},
    )

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.priority == "P3"
    assert SavedView.objects.filter(owner=user).count() == 1


@pytest.mark.parametrize("role_fixture", ["specialist", "manager", "admin_user"])
def test_case_workers_land_on_the_dashboard(client, request, role_fixture):
    client.force_login(request.getfixturevalue(role_fixture))

    response = client.get("/", follow=True)

    assert response.redirect_chain == [("/escalations/triage/", 302)]
    assert ("Triage", "/escalations/triage/", True) in response.context["nav_links"]


@pytest.mark.parametrize(
    ("state", "expected"),
    [("breached", {"working_mine"}), ("soon", {"triaged_theirs"}),
     ("ok", {"new_unowned", "new_mine", "on_partner", "on_customer"})],
)  # fmt: skip
def test_service_level_filter(signed_in, world, state, expected):
    response = signed_in.get(TRIAGE, {"sla": state})

    assert set(_references(response)) == {world[name].reference for name in expected}


def test_rows_show_the_service_level_state_and_sort_by_it(signed_in, world):
    response = signed_in.get(TRIAGE, {"sort": "sla"})
    page = response.content.decode()

    assert _references(response)[:3] == [world[n].reference for n in ("working_mine", "triaged_theirs", "on_partner")]
    assert "sla-badge-breached" in page and "Breached 3" in page
    assert "sla-badge-soon" in page

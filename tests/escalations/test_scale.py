"""What keeps pages and the SLA sweep fast at a million escalations: capped counts, bulk mail, a batched sweep, and
the `bench` command that measures them."""

import importlib
import json
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from escalations import notifications, pages, selectors, services
from escalations.models import Escalation, OutboxMessage
from escalations.sla import engine, sweep
from escalations.sla.models import SLAAlert, SLAPolicy
from tests import factories

pytestmark = pytest.mark.django_db


# Capped counts -------------------------------------------------------------------------------------------------------


def test_a_list_longer_than_the_cap_says_so_and_pages_only_to_the_cap(client, specialist, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_CAP", 50)
    factories.EscalationFactory.create_batch(60)
    client.force_login(specialist)

    html = client.get("/escalations/triage/").content.decode()

    assert "50+ escalations" in html
    assert "Page 1 of 2 · 50+ in all" in html
    last = client.get("/escalations/triage/?page=9").content.decode()
    assert "Page 2 of 2 · 50+ in all" in last  # past the cap is the last capped page, not an empty one


def test_a_list_within_the_cap_counts_exactly(client, specialist, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_CAP", 50)
    factories.EscalationFactory.create_batch(30)
    client.force_login(specialist)

    assert "Page 1 of 2 · 30 in all" in client.get("/escalations/triage/").content.decode()


def test_queue_counts_stop_at_the_cap_and_show_it(specialist):
    factories.EscalationFactory.create_batch(4)

    counts = selectors.triage_queue_counts(user=specialist, cap=3)

    assert counts["new"].is_capped and counts["new"].value == 3 and str(counts["new"]) == "3+"
    assert counts["unassigned"] != 4  # a capped count is not the real number
    assert selectors.triage_queue_counts(user=specialist, cap=4)["new"] == 4
    assert str(selectors.triage_queue_counts(user=specialist, cap=4)["new"]) == "4"


def test_the_api_says_when_its_count_is_capped(client, specialist, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_CAP", 25)
    factories.EscalationFactory.create_batch(26)
    client.force_login(specialist)

    body = client.get("/api/v1/escalations/").json()

    assert (body["count"], body["count_is_capped"]) == (25, True)


# Mail to many recipients ---------------------------------------------------------------------------------------------


def _mail_to(recipients, *, key="case-update:7", **extra):
    notifications.outbox_enqueue_many(
        recipients=recipients,
        template="sla_warning",
        context={"escalation": factories.EscalationFactory(), "body": "Half the time is used.", **extra},
        dedupe_key=lambda address: f"{key}:to:{address}",
    )


def test_one_message_reaches_each_recipient_once_even_when_queued_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        _mail_to(["a@example.com", "b@example.com", "a@example.com"])
    _mail_to(["a@example.com", "b@example.com", "c@example.com"])

    assert sorted(OutboxMessage.objects.values_list("recipient", flat=True)) == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    assert len(callbacks) == 1  # the sends are scheduled once the transaction commits
    assert OutboxMessage.objects.get(recipient="a@example.com").body_text.startswith("Half the time is used.")


def test_a_message_can_greet_each_recipient(requester, specialist):
    people = {requester.email: requester, specialist.email: specialist}
    remediation = factories.RemediationFactory()
    notifications.outbox_enqueue_many(
        recipients=people,
        template="remediation_status_changed",
        context={"remediation": remediation, "update": None, "acting_user": specialist},
        per_recipient=lambda address: {"recipient": people[address]},
        dedupe_key=lambda address: f"greeting:to:{address}",
    )

    for person in (requester, specialist):
        assert f"Hello {person.get_short_name()}" in OutboxMessage.objects.get(recipient=person.email).body_text


def test_bulk_mail_needs_a_dedupe_key_per_recipient():
    with pytest.raises(ValueError, match="dedupe_key"):
        notifications.outbox_insert(
            [notifications.PreparedMail(recipients=("a@example.com",), dedupe_keys=("",), subject="s", body_text="b")]
        )
    assert not OutboxMessage.objects.exists()


# The batched SLA sweep ---------------------------------------------------------------------------------------------


@pytest.fixture
def sla_policies():
    if not SLAPolicy.objects.exists():
        importlib.import_module("escalations.migrations.0008_default_sla_policies").add_defaults(django_apps, None)


def test_the_sweep_costs_the_same_statements_for_3_or_30_due_cases(
    sla_policies, requester, account, specialist, django_assert_max_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite splits bulk inserts at 999 parameters, so its statement count grows with the batch")

    filed_at = timezone.now() - timedelta(hours=3)

    def file(count):
        for n in range(count):
            case = services.escalation_file(
                acting_user=requester, account=account, title=f"Checkout down {n}", description="All of it",
                category=factories.CategoryFactory(), customer_need="Working checkout",
            )  # fmt: skip
            services.escalation_triage(
                acting_user=specialist, escalation=case, priority="P1", category=case.category,
                assignee=specialist, expected_version=case.version,
            )  # fmt: skip
        for case in Escalation.objects.filter(sla_clocks__alerts__isnull=True).distinct():
            case.sla_clocks.update(started_at=filed_at, running_since=filed_at)
            for clock in case.sla_clocks.all():
                clock.due_at = engine.moment_at_fraction(clock, 1.0)
                clock.save(update_fields=["due_at"])
            engine.refresh(case, filed_at)

    file(3)
    with django_assert_max_num_queries(40) as small:
        first = sweep.sla_sweep(batch_size=500)
    assert first.cases == 3 and first.alerts > 0
    file(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        second = sweep.sla_sweep(batch_size=500)
    assert second.cases == 30
    assert SLAAlert.objects.count() == first.alerts + second.alerts


# The benchmark command ---------------------------------------------------------------------------------------------


def test_the_benchmark_refuses_sqlite(settings):
    if connection.vendor != "sqlite":
        pytest.skip("checks the refusal on SQLite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench", "--size", "300")


def test_a_small_benchmark_seeds_measures_and_writes_json(sla_policies, tmp_path, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark seeds with COPY and measures PostgreSQL")
    out = tmp_path / "bench.json"

    call_command("bench", "--size", "400", "--requests", "3", "--warmup", "1", "--sweeps", "1",
                 "--json", str(out), "--plans", str(tmp_path / "plans"))  # fmt: skip

    result = json.loads(out.read_text())
    assert result["sizes"]["escalations"] >= 400
    assert 0.15 < result["sizes"]["open"] / result["sizes"]["escalations"] < 0.25
    names = [probe["name"] for probe in result["probes"]]
    assert names[:2] == ["dashboard (default queue)", "filtered queue"]
    assert all(probe["requests"] == 3 and probe["queries"] > 0 for probe in result["probes"])
    assert result["sla_sweep"]["due_cases"] == result["sla_sweep"]["touched"] > 0
    assert (tmp_path / "plans" / "full-text-search.txt").read_text().count("Execution Time") == 1
    printed = capsys.readouterr().out
    assert "Seeded 400 escalations" in printed and "median ms" in printed

    with pytest.raises(CommandError, match="already seeded"):
        call_command("bench", "--size", "400")


# Search over open cases and over all of them -------------------------------------------------------------------------


def test_search_finds_open_cases_in_open_queues_and_finished_ones_in_recently_resolved(client, specialist, driver):
    open_case = factories.EscalationFactory(title="Invoices doubled for Globex", status="in_progress")
    resolved = factories.EscalationFactory(
        title="Invoices doubled last week", status="resolved", resolved_at=timezone.now(),
        resolution_summary="Fixed", root_cause=driver,
    )  # fmt: skip
    client.force_login(specialist)

    def found(queue):
        html = client.get("/escalations/triage/", {"queue": queue, "q": "invoices"}).content.decode()
        return {case.reference for case in (open_case, resolved) if f">{case.reference}<" in html}

    assert found("open") == {open_case.reference}
    assert found("recently_resolved") == {resolved.reference}
    api = client.get("/api/v1/escalations/", {"q": "invoices"}).json()
    assert {row["reference"] for row in api["results"]} == {open_case.reference, resolved.reference}


def test_a_search_counts_to_the_cap_and_pages_in_the_lists_order(client, specialist, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_CAP", 50)
    now = timezone.now()
    matching = [
        factories.EscalationFactory(title=f"Webhooks timing out, case {n}", filed_at=now - timedelta(minutes=n))
        for n in range(60)
    ]
    factories.EscalationFactory.create_batch(3, title="Exports stuck in the queue")
    client.force_login(specialist)

    def page(number):
        response = client.get("/escalations/triage/", {"q": "webhooks timing", "sort": "-age", "page": number})
        return response.content.decode(), [case.reference for case in response.context["page"].object_list]

    first, first_rows = page(1)
    assert "50+ escalations match 1 filter" in first
    assert "Page 1 of 2 · 50+ in all" in first
    assert first_rows == [case.reference for case in matching[:25]]  # newest first, as the sort asks
    last, last_rows = page(9)  # past the cap: the last capped page
    assert "Page 2 of 2 · 50+ in all" in last
    assert last_rows == [case.reference for case in matching[25:50]]


def test_a_search_within_the_cap_counts_exactly_in_a_fixed_number_of_queries(
    client, specialist, django_assert_max_num_queries
):
    for n in range(30):
        factories.EscalationFactory(title=f"Invoices doubled, case {n}")
    factories.EscalationFactory(title="Exports stuck in the queue")
    client.force_login(specialist)
    client.get("/escalations/triage/", {"q": "invoices"})  # warm the session and the caches

    with django_assert_max_num_queries(9):
        html = client.get("/escalations/triage/", {"q": "invoices", "page": 2}).content.decode()

    assert "30 escalations match 1 filter" in html
    assert "Page 2 of 2 · 30 in all" in html


def test_the_postgresql_only_indexes_exist():
    if connection.vendor != "postgresql":
        pytest.skip("GIN and GiST indexes exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%trgm_idx' OR indexname LIKE '%%search_idx'"
        )
        names = {name for (name,) in cursor.fetchall()}
    assert {"escalation_search_idx", "escalation_open_search_idx", "escalation_open_title_trgm_idx"} <= names
    assert "account_name_trgm_idx" in names

"""`manage.py sla_benchmark` keeps working: a small run seeds, sweeps exactly the due cases, reports and cleans up.

Not a timed test; the numbers are for people (see README, "SLA benchmark").
"""

import importlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from escalations.models import Account, Escalation, EscalationEvent, OutboxMessage, SLAAlert, SLAClock, SLAPolicy
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sla_policies():
    """The calendars and policies of migration 0008 (an earlier transactional test may have emptied the tables)."""
    if not SLAPolicy.objects.exists():
        importlib.import_module("escalations.migrations.0008_default_sla_policies").add_defaults(django_apps, None)


def benchmark(*args: str) -> str:
    out = StringIO()
    call_command("sla_benchmark", *args, stdout=out)
    return out.getvalue()


def test_a_small_run_sweeps_exactly_the_due_cases_and_removes_what_it_seeded():
    output = benchmark("--open", "300", "--due-percent", "10", "--allow-sqlite", "--explain")

    assert re.search(r"cases due\s+30\n", output)
    assert re.search(r"cases touched\s+30\n", output), output
    assert re.search(r"failed cases\s+0\n", output)
    alerts = int(re.search(r"alerts fired\s+([\d,]+)", output).group(1).replace(",", ""))
    assert alerts >= 30  # every due case has at least its first warning
    assert re.search(r"queries issued\s+[\d,]+ \([\d.]+ per due case", output)
    assert "escalation_sla_check_idx" in output  # the due-case query is served by the partial index
    table = output[output.index("SLA sweep benchmark") :].splitlines()
    assert table[1].split() == [
        "backlog", "due", "%", "due", "touched", "alerts", "queries", "q/case", "sweep", "s", "ms/case", "seed", "s"
    ]  # fmt: skip
    backlog, percent, due, touched = table[2].split()[:4]
    assert (backlog, percent, due, touched) == ("300", "10", "30", "30")

    assert not Escalation.objects.exists()
    assert not SLAClock.objects.exists()
    assert not SLAAlert.objects.exists()
    assert not EscalationEvent.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not Account.objects.exists()


def test_a_second_share_reseeds_and_adds_a_row_to_the_comparison():
    output = benchmark("--open", "100", "--due-percent", "0", "--due-percent", "5", "--allow-sqlite")

    table = output[output.index("SLA sweep benchmark") :].splitlines()
    rows = [line.split()[:4] for line in table[2:4]]
    assert rows == [["100", "0", "0", "0"], ["100", "5", "5", "5"]]
    assert re.search(r"queries issued\s+1 ", output)  # nothing due: one indexed query
    assert not Escalation.objects.exists()


def test_it_refuses_a_database_with_due_cases_of_its_own():
    case = factories.EscalationFactory()
    Escalation.objects.filter(pk=case.pk).update(next_sla_check_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(CommandError, match="1 due escalations of its own"):
        benchmark("--open", "10", "--allow-sqlite")

    assert Escalation.objects.count() == 1


def test_it_refuses_sqlite_unless_allowed():
    if connection.vendor != "sqlite":
        pytest.skip("the refusal is about SQLite")

    with pytest.raises(CommandError, match="--allow-sqlite"):
        benchmark("--open", "10")

"""`manage.py reports_bench` keeps working: a small PostgreSQL run seeds and times every report.

Not a timed test: the figures are for people (README, "Reports").
"""

import importlib
import re
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection

from escalations.models import Escalation, SLAClock, SLAPolicy
from reports.catalog import REPORTS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sla_policies():
    if not SLAPolicy.objects.exists():
        importlib.import_module("escalations.migrations.0008_default_sla_policies").add_defaults(django_apps, None)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark seeds with PostgreSQL SQL")
def test_a_small_run_seeds_and_times_every_report():
    out = StringIO()
    call_command("reports_bench", "--seed", "400", "--repeat", "1", stdout=out)

    output = out.getvalue()
    assert Escalation.objects.count() == 400
    assert SLAClock.objects.filter(kind="first_response").count() == 400
    for spec in REPORTS:
        assert re.search(rf"{spec.slug}\s+\d+\.\d+\s+\d+\.\d+\s+\d+\n", output), output


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite is refused")
def test_sqlite_is_refused():
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("reports_bench", stdout=StringIO())

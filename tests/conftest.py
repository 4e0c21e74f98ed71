import importlib

import pytest
from django.apps import apps as django_apps

from tests import factories


def pytest_collection_modifyitems(config, items):
    # Browser tests last: Playwright's event loop stays up for the rest of the session once started.
    items.sort(key=lambda item: "e2e" in item.keywords)


@pytest.fixture
def requester(db):
    return factories.RequesterFactory(email="rita.requester@example.com", display_name="Rita Requester")


@pytest.fixture
def other_requester(db):
    return factories.RequesterFactory(email="omar.other@example.com", display_name="Omar Other")


@pytest.fixture
def specialist(db):
    return factories.SpecialistFactory(email="sam.specialist@example.com", display_name="Sam Specialist")


@pytest.fixture
def manager(db):
    return factories.ManagerFactory(email="maya.manager@example.com", display_name="Maya Manager")


@pytest.fixture
def partner_team(db):
    return factories.PartnerTeamFactory(name="Billing Platform", slug="billing-platform")


@pytest.fixture
def partner(db, partner_team):
    user = factories.PartnerFactory(email="pat.partner@example.com", display_name="Pat Partner")
    partner_team.members.add(user)
    return user


@pytest.fixture
def admin_user(db):
    return factories.AdminFactory(email="ada.admin@example.com", display_name="Ada Admin")


@pytest.fixture
def account(db):
    return factories.AccountFactory(external_id="acct_globex01", name="Globex", tier="strategic")


@pytest.fixture
def driver(db):
    return factories.RootCauseDriverFactory(name="Invoice rounding", parent__name="Billing")


@pytest.fixture
def escalation(db, requester, account):
    return factories.EscalationFactory(requester=requester, account=account, title="Invoices doubled")


# The reference rows data migrations write (priority rules, message templates, SLA calendars and policies).
REFERENCE_DATA = [
    ("escalations.migrations.0004_default_priority_rules_and_trigram", "add_default_rules"),
    ("escalations.migrations.0006_default_templates_and_search_index", "add_templates"),
    ("escalations.migrations.0008_default_sla_policies", "add_defaults"),
]


@pytest.fixture
def reference_data(db):
    """Put back what the data migrations wrote: transactional tests start from emptied tables."""
    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(django_apps, None)

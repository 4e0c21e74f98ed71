"""Duplicate detection, on whichever database the suite runs (pg_trgm on PostgreSQL, words on SQLite)."""

import pytest

from escalations.selectors import similar_open_escalations
from tests import factories

pytestmark = pytest.mark.django_db


def test_same_account_cases_come_first(account):
    similar_elsewhere = factories.EscalationFactory(title="Invoices doubled in March")
    same_account = factories.EscalationFactory(account=account, title="Login page slow")

    found = similar_open_escalations(account=account, title="Invoices doubled in March")

    assert [case.reference for case in found] == [same_account.reference, similar_elsewhere.reference]


def test_a_single_common_word_is_not_similar():
    factories.EscalationFactory(title="SCIM sync deactivates active users")

    assert similar_open_escalations(title="CRM integration sync failing") == []


def test_finished_cases_are_never_suggested(account):
    factories.EscalationFactory(account=account, title="Invoices doubled", status="rejected", rejection_reason="x")

    assert similar_open_escalations(account=account, title="Invoices doubled") == []


def test_reworded_title_is_found():
    original = factories.EscalationFactory(title="Invoices are being sent twice to customers")

    found = similar_open_escalations(title="invoices sent twice")

    assert [case.reference for case in found] == [original.reference]


def test_at_most_five_suggestions():
    factories.EscalationFactory.create_batch(8, title="Checkout fails with card error")

    assert len(similar_open_escalations(title="Checkout fails with card error")) == 5

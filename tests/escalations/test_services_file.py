"""`escalation_file`: a requester files a case on behalf of a customer account."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from escalations.errors import InvalidInput
from escalations.models import Escalation, EscalationEvent, OutboxMessage, ReferenceCounter
from escalations.services import escalation_file

NOW = datetime(2026, 3, 10, 9, 15, tzinfo=UTC)


@pytest.fixture
def file_for(requester, account):
    """File an escalation as the requester, with sensible defaults for what the test does not care about."""

    def file(**overrides) -> Escalation:
        values = {
            "acting_user": requester,
            "account": account,
            "title": "Invoices doubled",
            "description": "Globex was charged twice for March.",
        }
        values.update(overrides)
        return escalation_file(**values)

    return file


def nothing_was_written():
    return not (
        Escalation.objects.exists()
        or EscalationEvent.objects.exists()
        or OutboxMessage.objects.exists()
        or ReferenceCounter.objects.filter(last_value__gte=1001).exists()
    )


def test_the_first_escalation_is_esc_1001_and_the_next_ones_follow(file_for):
    references = [file_for(title=f"Problem {n}").reference for n in range(3)]

    assert references == ["ESC-1001", "ESC-1002", "ESC-1003"]
    assert list(Escalation.objects.order_by("pk").values_list("reference", flat=True)) == references


def test_the_reference_sequence_starts_where_configured(file_for, settings):
    settings.ESCALATION_REFERENCE_START = 5000

    assert file_for().reference == "ESC-5000"


def test_a_filed_escalation_is_new_and_belongs_to_its_requester(file_for, requester, account):
    with time_machine.travel(NOW, tick=False):
        case = file_for(title="  Invoices doubled  ", priority="P2", requesting_org="Sales EMEA")

    case.refresh_from_db()
    assert case.title == "Invoices doubled"
    assert (case.status, case.version, case.priority) == ("new", 1, "P2")
    assert (case.requester, case.account, case.requesting_org) == (requester, account, "Sales EMEA")
    assert case.filed_at == case.updated_at == NOW
    assert (case.triaged_at, case.resolved_at, case.closed_at) == (None, None, None)


def test_extra_details_are_kept(file_for):
    case = file_for(customer_need="A credit note", customers_affected=40, has_regulatory_exposure=True)

    case.refresh_from_db()
    assert (case.customer_need, case.customers_affected, case.has_regulatory_exposure) == ("A credit note", 40, True)


def test_filing_writes_one_shared_filed_event(file_for, requester):
    with time_machine.travel(NOW, tick=False):
        case = file_for(priority="P1")

    (event,) = EscalationEvent.objects.filter(escalation=case)
    assert event.kind == EscalationEvent.Kind.FILED
    assert event.visibility == EscalationEvent.Visibility.SHARED
    assert event.actor == requester
    assert event.data["priority"] == "P1"
    assert event.created_at == NOW
    assert case.reference in event.body


def test_the_requester_gets_one_acknowledgement(file_for, requester, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = file_for()

    (message,) = OutboxMessage.objects.all()
    assert (message.recipient, message.template, message.escalation) == (requester.email, "escalation_filed", case)
    assert message.status == OutboxMessage.Status.SENT
    (email,) = mail.outbox
    assert email.to == [requester.email]
    assert case.reference in email.subject
    assert case.reference in email.body


def test_the_acknowledgement_is_sent_only_after_filing_commits(file_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        file_for()

    assert mail.outbox == []
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.PENDING
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"description": ""}, "description"),
        ({"description": " \n "}, "description"),
        ({"priority": "P9"}, "priority"),
        ({"priority": "p1"}, "priority"),
    ],
    ids=["empty-title", "blank-title", "no-title", "empty-description", "blank-description", "P9", "lowercase"],
)
def test_incomplete_filing_is_refused_and_nothing_is_written(overrides, field, file_for):
    with pytest.raises(InvalidInput) as refused:
        file_for(**overrides)

    assert refused.value.field == field
    assert refused.value.message
    assert nothing_was_written()


def test_a_refused_filing_does_not_use_up_a_reference(file_for):
    with pytest.raises(InvalidInput):
        file_for(title="")

    assert file_for().reference == "ESC-1001"

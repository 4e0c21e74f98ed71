"""The same message delivered twice at the same moment (two webhook calls, or webhook and IMAP) is stored once."""

import threading

import pytest
from django.db import connection

from escalations.mail.models import InboundEmail
from escalations.mail.services import inbound_email_receive
from escalations.models import Communication, OutboxMessage
from tests.escalations.mail.conftest import eml

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_deliveries_of_one_message_store_it_once(reference_data, waiting_case):
    raw = eml("plain.eml", reference=waiting_case.reference)
    start = threading.Barrier(2)
    receipts, errors = [], []

    def deliver(source):
        try:
            start.wait(timeout=10)
            receipts.append(inbound_email_receive(raw=raw, source=source))
        except Exception as error:  # reported below; a thread must not swallow it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(source,)) for source in ("http", "imap")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(receipt.is_duplicate for receipt in receipts) == [False, True]
    assert len({receipt.inbound.pk for receipt in receipts}) == 1
    assert InboundEmail.objects.count() == 1
    assert Communication.objects.filter(direction="inbound").count() == 1
    assert OutboxMessage.objects.filter(template="customer_reply").count() == 1

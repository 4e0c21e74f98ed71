from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escalations import services
from escalations.lifecycle import Status
from escalations.mail.addresses import reply_address
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"
FILED_AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def eml(name: str, *, reference: str | None = None, replace: dict[str, str] | None = None) -> bytes:
    """A fixture message; with `reference`, its placeholder case address becomes that case's real reply address."""
    raw = (FIXTURES / name).read_bytes()
    if reference:
        raw = raw.replace(b"escalations+ESC-1001.TOKEN@mail.escalations.test", reply_address(reference).encode())
    else:
        raw = raw.replace(b"escalations+ESC-1001.TOKEN@", b"escalations@")
    for old, new in (replace or {}).items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


@pytest.fixture
def customer(db):
    return factories.AccountFactory(
        external_id="acct_initech01", name="Initech", contact_name="Gina Gomez", contact_email="gina@initech.example"
    )


@pytest.fixture
def waiting_case(at, requester, specialist, customer):
    """A P1 case (24×7 clocks) the specialist owns, emailed the customer about at 09:10, now waiting on them."""
    at(FILED_AT)
    case = services.escalation_file(
        acting_user=requester, account=customer, title="Payroll export empty", description="Empty since Monday.",
        priority="P1",
    )  # fmt: skip
    services.escalation_triage(
        acting_user=specialist,
        escalation=case,
        priority="P1",
        category=factories.CategoryFactory(),
        assignee=specialist,
    )
    services.escalation_transition(acting_user=specialist, escalation=case, to_status=Status.IN_PROGRESS.value)
    at(FILED_AT + timedelta(minutes=10))
    services.escalation_email_customer(
        acting_user=specialist, escalation=case, subject="[ESC] Payroll export", body="May we re-run it tonight?"
    )
    services.escalation_transition(acting_user=specialist, escalation=case, to_status=Status.WAITING_ON_USER.value)
    case.refresh_from_db()
    return case

"""The root-cause taxonomy: adding, retiring (kept on history, out of pickers), restoring and merging drivers."""

import pytest
from django.utils import timezone

from escalations.errors import InvalidInput, PermissionDenied
from escalations.forms import ResolveForm
from escalations.models import EscalationEvent
from remediations import forms, selectors, services
from remediations.models import RemediationUpdate, RootCause
from tests import factories


@pytest.fixture
def resolved_case(db, requester, account):
    def make(driver, **fields):
        return factories.EscalationFactory(
            requester=requester,
            account=account,
            status="resolved",
            resolution_summary="Fixed.",
            resolved_at=fields.pop("resolved_at", None) or timezone.now(),
            root_cause=driver,
            **fields,
        )

    return make


def picker_drivers() -> set[int]:
    return {choice.pk for choice in ResolveForm().fields["root_cause"].queryset} & {
        choice.pk for choice in selectors.active_drivers()
    }


# --- create ---------------------------------------------------------------------------------------------------


def test_a_manager_adds_an_area_and_a_driver_under_it(manager):
    area = services.root_cause_create(acting_user=manager, name="Data quality")
    driver = services.root_cause_create(acting_user=manager, name="Stale CRM sync", parent=area, description="Nightly")
    assert area.is_area and area.slug == "data-quality"
    assert driver.parent == area and driver.slug == "stale-crm-sync" and driver.description == "Nightly"
    assert driver.pk in picker_drivers()


def test_names_are_unique_within_an_area_and_drivers_go_under_areas(manager, rounding, billing_area):
    with pytest.raises(InvalidInput, match="already"):
        services.root_cause_create(acting_user=manager, name="Invoice Rounding", parent=billing_area)
    with pytest.raises(InvalidInput, match="active area"):
        services.root_cause_create(acting_user=manager, name="Deeper", parent=rounding)


@pytest.mark.parametrize("who", ["specialist", "partner", "requester"])
def test_only_managers_change_the_taxonomy(request, who, rounding, double_posting):
    person = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.root_cause_create(acting_user=person, name="Mine")
    with pytest.raises(PermissionDenied):
        services.root_cause_retire(acting_user=person, root_cause=rounding)
    with pytest.raises(PermissionDenied):
        services.root_cause_merge(acting_user=person, source=rounding, target=double_posting)
    assert RootCause.objects.get(pk=rounding.pk).is_active


# --- retire and restore -----------------------------------------------------------------------------------------


def test_a_retired_driver_stays_on_its_cases_and_leaves_the_pickers(manager, rounding, resolved_case, specialist):
    case = resolved_case(rounding)
    assert rounding.pk in picker_drivers()

    services.root_cause_retire(acting_user=manager, root_cause=rounding)

    rounding.refresh_from_db()
    assert not rounding.is_active and rounding.retired_by == manager and rounding.retired_at is not None
    case.refresh_from_db()
    assert case.root_cause == rounding
    assert rounding.pk not in picker_drivers()
    assert rounding.pk not in {rc.pk for rc in forms.RootCauseChangeForm().fields["root_cause"].queryset}
    assert rounding.pk not in {rc.pk for rc in forms.RemediationForm(user=specialist).fields["root_causes"].queryset}
    with pytest.raises(InvalidInput, match="already retired"):
        services.root_cause_retire(acting_user=manager, root_cause=rounding)


def test_a_remediation_already_linked_to_a_retired_driver_keeps_it_in_its_form(
    manager, rounding, remediation, specialist
):
    remediation.root_causes.add(rounding)
    services.root_cause_retire(acting_user=manager, root_cause=rounding)
    form = forms.RemediationForm(user=specialist, linked_root_causes=[rounding])
    assert rounding.pk in {rc.pk for rc in form.fields["root_causes"].queryset}


def test_retiring_an_area_hides_its_drivers_and_restoring_brings_them_back(manager, billing_area, rounding):
    services.root_cause_retire(acting_user=manager, root_cause=billing_area)
    assert rounding.pk not in picker_drivers()
    services.root_cause_restore(acting_user=manager, root_cause=billing_area)
    assert rounding.pk in picker_drivers()


def test_restoring_a_driver_that_is_in_use(manager, rounding):
    with pytest.raises(InvalidInput, match="not retired"):
        services.root_cause_restore(acting_user=manager, root_cause=rounding)


# --- merge ----------------------------------------------------------------------------------------------------


def test_merging_moves_every_case_with_an_event_and_retires_the_merged_driver(
    manager, rounding, double_posting, resolved_case, remediation
):
    moved_cases = [resolved_case(rounding), resolved_case(rounding)]
    untouched = resolved_case(double_posting)
    remediation.root_causes.add(rounding)

    moved = services.root_cause_merge(
        acting_user=manager, source=rounding, target=double_posting, reason="Same bug, two names."
    )

    assert moved == 2
    for case in moved_cases:
        case.refresh_from_db()
        assert case.root_cause == double_posting and case.version == 2
        (event,) = case.events.all()
        assert event.kind == EscalationEvent.Kind.ROOT_CAUSE and event.actor == manager
        assert event.data == {"from": rounding.pk, "to": double_posting.pk, "merge": True}
        assert "merged into" in event.body and "Same bug, two names." in event.body
    untouched.refresh_from_db()
    assert untouched.version == 1 and not untouched.events.exists()
    rounding.refresh_from_db()
    assert not rounding.is_active and rounding.merged_into == double_posting
    # The remediation that named the merged driver now names the survivor too, and says so.
    assert set(remediation.root_causes.all()) == {rounding, double_posting}
    (update,) = RemediationUpdate.objects.filter(remediation=remediation)
    assert update.kind == "linked" and double_posting.name in update.body
    with pytest.raises(InvalidInput, match="cannot come back"):
        services.root_cause_restore(acting_user=manager, root_cause=rounding)


@pytest.mark.parametrize("case", ["same", "area", "retired_target", "already_merged"])
def test_merges_that_make_no_sense_are_refused(manager, rounding, double_posting, billing_area, case):
    source, target = rounding, double_posting
    if case == "same":
        target = rounding
    elif case == "area":
        target = billing_area
    elif case == "retired_target":
        services.root_cause_retire(acting_user=manager, root_cause=double_posting)
    else:
        third = factories.RootCauseDriverFactory(parent=billing_area)
        services.root_cause_merge(acting_user=manager, source=rounding, target=third)
    with pytest.raises(InvalidInput):
        services.root_cause_merge(acting_user=manager, source=source, target=target)
    assert RootCause.objects.get(pk=double_posting.pk).merged_into is None

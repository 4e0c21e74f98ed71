"""Each person reads times in their own time zone, chosen on the profile page."""

from datetime import UTC, datetime

from django.test import Client
from django.urls import reverse

from tests import factories

FILED = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_case_page_shows_times_in_the_readers_time_zone(requester):
    case = factories.EscalationFactory(requester=requester, filed_at=FILED)
    page = signed_in(requester)

    assert "filed Mar 2, 2026 14:05" in page.get(f"/escalations/{case.reference}/").content.decode()

    requester.time_zone = "Asia/Tokyo"
    requester.save()
    assert "filed Mar 2, 2026 23:05" in page.get(f"/escalations/{case.reference}/").content.decode()


def test_choosing_a_time_zone_on_the_profile_page(requester):
    page = signed_in(requester)
    assert 'value="Europe/Berlin"' in page.get(reverse("profile")).content.decode()

    response = page.post(reverse("time_zone_update"), {"time_zone": "Europe/Berlin"}, follow=True)

    assert "Times are now shown in Europe/Berlin." in response.content.decode()
    requester.refresh_from_db()
    assert requester.time_zone == "Europe/Berlin"


def test_an_unknown_time_zone_is_refused_and_nothing_changes(requester):
    response = signed_in(requester).post(reverse("time_zone_update"), {"time_zone": "Mars/Olympus_Mons"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    requester.refresh_from_db()
    assert requester.time_zone == "UTC"


def test_the_time_zone_is_changed_by_post_only_and_for_yourself_only(requester, specialist):
    page = signed_in(requester)
    assert page.get(reverse("time_zone_update")).status_code == 405
    page.post(reverse("time_zone_update"), {"time_zone": "America/Chicago", "user": specialist.pk})
    specialist.refresh_from_db()
    assert specialist.time_zone == "UTC"


def test_the_time_zone_does_not_leak_into_the_next_request(requester, specialist):
    requester.time_zone = "Asia/Tokyo"
    requester.save()
    case = factories.EscalationFactory(requester=requester, filed_at=FILED)
    signed_in(requester).get(f"/escalations/{case.reference}/")

    assert "filed Mar 2, 2026 14:05" in signed_in(specialist).get(f"/escalations/{case.reference}/").content.decode()


def test_the_service_refuses_an_unknown_time_zone_itself(requester):
    import pytest

    from escalations.errors import InvalidInput
    from users.services import user_set_time_zone

    with pytest.raises(InvalidInput, match="not a known time zone"):
        user_set_time_zone(acting_user=requester, time_zone="Mars/Olympus_Mons")
    requester.refresh_from_db()
    assert requester.time_zone == "UTC"

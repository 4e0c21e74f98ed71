"""Who may open which report: the rules in one place, for the pages, CSV downloads, the API and navigation.

| who | SLA attainment, Volume and backlog, Top drivers, Remediation impact | Partner accountability |
| --- | --- | --- |
| manager, admin | yes | every team |
| specialist | yes: they work the same queue and read the same numbers (the digest is for managers) | every team |
| partner | no (403) | their own teams only |
| requester | no (403) | no (403) |
"""

from django.db.models import QuerySet

from users.models import PartnerTeam


def sees_reports(user) -> bool:
    """Anyone with at least one report: case workers and partner team members."""
    return user.is_authenticated and (user.works_cases or user.role == user.Role.PARTNER)


def sees_manager_reports(user) -> bool:
    return user.is_authenticated and user.works_cases


def sees_partner_accountability(user) -> bool:
    return sees_reports(user)


def accountable_teams(user) -> QuerySet[PartnerTeam]:
    """The partner teams whose accountability `user` may read: all for case workers, their own for partners."""
    if not sees_reports(user):
        return PartnerTeam.objects.none()
    if user.works_cases:
        return PartnerTeam.objects.all()
    return PartnerTeam.objects.filter(members=user)

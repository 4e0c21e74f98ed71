"""Who may do what with remediations and root causes: the rules in one place, for services, views and the API.

| who | sees | creates | edits details | changes links | moves (lifecycle) | posts updates | taxonomy |
| --- | --- | --- | --- | --- | --- | --- | --- |
| manager, admin | all | for any team | yes | yes | yes | yes | manages it |
| specialist | all | for any team | only what they proposed, while proposed | yes | no | yes | reads it |
| partner | their teams' | for their teams | their teams' | their teams' | their teams' | their teams' | reads it |
| requester | nothing | no | no | no | no | no | no |
"""

from dataclasses import dataclass

from remediations.lifecycle import RemediationStatus


def sees_remediations(user) -> bool:
    """Case workers and partner team members; requesters never."""
    return user.is_authenticated and (user.works_cases or user.role == user.Role.PARTNER)


def reads_taxonomy(user) -> bool:
    return sees_remediations(user)


def works_taxonomy(user) -> bool:
    """Driver pages and root-cause changes on cases: case workers (they classify cases)."""
    return user.is_authenticated and user.works_cases


def manages_taxonomy(user) -> bool:
    return user.is_authenticated and user.is_manager


def team_ids(user) -> set[int]:
    """The partner teams `user` belongs to (one query)."""
    if not user.is_authenticated:
        return set()
    return set(user.partner_teams.values_list("pk", flat=True))


@dataclass(frozen=True)
class RemediationRights:
    """What one user may do with one remediation; computed once per page or request."""

    can_see: bool
    can_edit: bool
    can_change_team: bool
    can_link: bool
    can_move: bool
    can_add_update: bool


def remediation_rights(user, remediation, *, teams: set[int] | None = None) -> RemediationRights:
    teams = team_ids(user) if teams is None else teams
    on_team = remediation.owner_team_id in teams
    is_manager = user.is_authenticated and user.is_manager
    is_case_worker = user.is_authenticated and user.works_cases
    proposer_while_proposed = (
        user.is_authenticated
        and remediation.created_by_id == user.pk
        and remediation.status == RemediationStatus.PROPOSED
    )
    can_see = is_case_worker or on_team
    return RemediationRights(
        can_see=can_see,
        can_edit=is_manager or on_team or proposer_while_proposed,
        can_change_team=is_manager or proposer_while_proposed,
        can_link=is_case_worker or on_team,
        can_move=is_manager or on_team,
        can_add_update=can_see,
    )


def can_create_for(user, team, *, teams: set[int] | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if user.works_cases:
        return True
    if user.role != user.Role.PARTNER:
        return False
    teams = team_ids(user) if teams is None else teams
    return team is None or team.pk in teams

"""The lifecycle table, read edge by edge. Pure: no database."""

import itertools

import pytest

from escalations.lifecycle import (
    ALLOWED_TRANSITIONS,
    FINISHED_STATUSES,
    OPEN_STATUSES,
    Status,
    allowed_targets,
    is_allowed,
    refusal_message,
)

S = Status

# Written out by hand from the lifecycle in DESIGN.md, so a change to the table has to be made twice.
EXPECTED_EDGES = {
    (S.NEW, S.TRIAGED): "triage",
    (S.NEW, S.REJECTED): "reject",
    (S.TRIAGED, S.IN_PROGRESS): "start",
    (S.TRIAGED, S.RESOLVED): "resolve",
    (S.IN_PROGRESS, S.WAITING_ON_PARTNER): "wait on partner",
    (S.IN_PROGRESS, S.WAITING_ON_USER): "wait on customer",
    (S.IN_PROGRESS, S.RESOLVED): "resolve",
    (S.WAITING_ON_PARTNER, S.IN_PROGRESS): "resume",
    (S.WAITING_ON_PARTNER, S.RESOLVED): "resolve",
    (S.WAITING_ON_USER, S.IN_PROGRESS): "customer replied",
    (S.WAITING_ON_USER, S.RESOLVED): "resolve",
    (S.RESOLVED, S.CLOSED): "close",
    (S.RESOLVED, S.IN_PROGRESS): "reopen",
    (S.CLOSED, S.IN_PROGRESS): "reopen",
    (S.NEW, S.DUPLICATE): "mark duplicate",
    (S.TRIAGED, S.DUPLICATE): "mark duplicate",
    (S.IN_PROGRESS, S.DUPLICATE): "mark duplicate",
    (S.WAITING_ON_PARTNER, S.DUPLICATE): "mark duplicate",
    (S.WAITING_ON_USER, S.DUPLICATE): "mark duplicate",
}
ALL_PAIRS = list(itertools.product(Status, Status))


def pair_id(pair):
    return f"{pair[0].value}->{pair[1].value}"


def test_the_table_holds_exactly_the_designed_edges_and_action_names():
    assert ALLOWED_TRANSITIONS == EXPECTED_EDGES


def test_open_and_finished_statuses_split_every_status_once():
    open_statuses, finished_statuses = set(OPEN_STATUSES), set(FINISHED_STATUSES)

    assert open_statuses == {S.NEW, S.TRIAGED, S.IN_PROGRESS, S.WAITING_ON_PARTNER, S.WAITING_ON_USER}
    assert finished_statuses == {S.RESOLVED, S.CLOSED, S.REJECTED, S.DUPLICATE}
    assert open_statuses | finished_statuses == set(Status)
    assert not open_statuses & finished_statuses


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (S.NEW, [S.TRIAGED, S.REJECTED, S.DUPLICATE]),
        (S.TRIAGED, [S.IN_PROGRESS, S.RESOLVED, S.DUPLICATE]),
        (S.IN_PROGRESS, [S.WAITING_ON_PARTNER, S.WAITING_ON_USER, S.RESOLVED, S.DUPLICATE]),
        (S.WAITING_ON_PARTNER, [S.IN_PROGRESS, S.RESOLVED, S.DUPLICATE]),
        (S.WAITING_ON_USER, [S.IN_PROGRESS, S.RESOLVED, S.DUPLICATE]),
        (S.RESOLVED, [S.CLOSED, S.IN_PROGRESS]),
        (S.CLOSED, [S.IN_PROGRESS]),
        (S.REJECTED, []),
        (S.DUPLICATE, []),
    ],
    ids=lambda value: value.value if isinstance(value, Status) else None,
)
def test_allowed_targets_lists_the_next_statuses_in_lifecycle_order(current, expected):
    assert allowed_targets(current) == expected


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=pair_id)
def test_is_allowed_answers_for_every_pair_of_statuses(pair):
    assert is_allowed(*pair) is (pair in EXPECTED_EDGES)


@pytest.mark.parametrize("status", [S.REJECTED, S.DUPLICATE], ids=str)
def test_finished_without_a_way_back_statuses_are_final(status):
    assert allowed_targets(status) == []
    assert not any(is_allowed(status, target) for target in Status)


def test_every_open_status_can_be_marked_duplicate_and_no_finished_one_can():
    assert all(is_allowed(status, S.DUPLICATE) for status in OPEN_STATUSES)
    assert not any(is_allowed(status, S.DUPLICATE) for status in FINISHED_STATUSES)


def test_nothing_goes_back_to_new():
    assert not any(is_allowed(status, S.NEW) for status in Status)


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_no_status_moves_to_itself(status):
    assert not is_allowed(status, status)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (S.NEW, "The escalation is already new."),
        (S.TRIAGED, "The escalation is already triaged."),
        (S.IN_PROGRESS, "The escalation is already in progress."),
        (S.WAITING_ON_PARTNER, "The escalation is already waiting on partner."),
        (S.WAITING_ON_USER, "The escalation is already waiting on customer."),
        (S.RESOLVED, "The escalation is already resolved."),
        (S.CLOSED, "The escalation is already closed."),
        (S.REJECTED, "The escalation is already rejected."),
    ],
    ids=lambda value: value.value if isinstance(value, Status) else None,
)
def test_moving_to_the_same_status_says_it_is_already_there(status, message):
    assert refusal_message(status, status) == message


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (S.REJECTED, S.IN_PROGRESS, "A rejected escalation is final and cannot change status."),
        (S.DUPLICATE, S.NEW, "A duplicate escalation is final and cannot change status."),
    ],
)
def test_a_final_status_says_it_is_final(current, target, message):
    assert refusal_message(current, target) == message


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (
            S.CLOSED,
            S.RESOLVED,
            "A closed escalation cannot move to resolved; it can only become in progress.",
        ),
        (
            S.RESOLVED,
            S.WAITING_ON_USER,
            "A resolved escalation cannot move to waiting on customer; it can only become closed or in progress.",
        ),
        (
            S.NEW,
            S.IN_PROGRESS,
            "A new escalation cannot move to in progress; it can only become triaged, rejected or duplicate.",
        ),
        (
            S.IN_PROGRESS,
            S.CLOSED,
            "An in progress escalation cannot move to closed; "
            "it can only become waiting on partner, waiting on customer, resolved or duplicate.",
        ),
        (
            S.WAITING_ON_PARTNER,
            S.WAITING_ON_USER,
            "A waiting on partner escalation cannot move to waiting on customer; "
            "it can only become in progress, resolved or duplicate.",
        ),
    ],
)
def test_a_refusal_names_the_statuses_the_escalation_can_move_to(current, target, message):
    assert refusal_message(current, target) == message


@pytest.mark.parametrize("pair", [pair for pair in ALL_PAIRS if pair not in EXPECTED_EDGES], ids=pair_id)
def test_every_refusal_is_a_sentence_in_plain_words(pair):
    message = refusal_message(*pair)

    assert message[0].isupper()
    assert message.endswith(".")
    assert "_" not in message  # no raw status values such as "waiting_on_user"
    assert pair[0].label.lower() in message

"""A specialist's saved dashboard views."""

from django.db import IntegrityError, transaction

from escalations.errors import InvalidInput
from escalations.models import SavedView
from escalations.services.common import require_case_worker

SAVED_VIEWS_MAX = 30


def saved_view_create(*, acting_user, name: str, query: str) -> SavedView:
    """Save a filter set under a name unique (case-insensitively) to its owner; at most `SAVED_VIEWS_MAX` each."""
    require_case_worker(acting_user)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the view a name.", field="name")
    taken = InvalidInput(f"You already have a saved view called “{name}”. Choose another name.", field="name")
    if SavedView.objects.filter(owner=acting_user, name__iexact=name).exists():
        raise taken
    if SavedView.objects.filter(owner=acting_user).count() >= SAVED_VIEWS_MAX:
        raise InvalidInput(
            f"You have {SAVED_VIEWS_MAX} saved views, the most you can keep. Delete one you no longer use first."
        )
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=acting_user, name=name, query=query)
    except IntegrityError:  # the same name saved twice at once: the constraint has the last word
        raise taken from None


def saved_view_delete(*, acting_user, saved_view: SavedView) -> None:
    if saved_view.owner_id != acting_user.pk:
        raise InvalidInput("You can only delete your own saved views.")
    saved_view.delete()

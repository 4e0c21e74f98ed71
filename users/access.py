"""Role checks for views: one decorator, so every page states who may open it."""

from functools import wraps

from django.core.exceptions import PermissionDenied


def role_required(predicate, *, message: str):
    """Let the view run only when `predicate(user)` holds; otherwise answer 403 with `message`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not predicate(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def works_cases(user) -> bool:
    return user.works_cases


def sees_handoffs(user) -> bool:
    return user.role == user.Role.PARTNER or user.is_manager


def is_manager(user) -> bool:
    return user.is_manager

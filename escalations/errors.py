"""Domain errors: each carries a message meant for the person who asked for the change."""


class DomainError(Exception):
    code = "refused"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"


class StaleVersion(DomainError):
    code = "stale_version"


class PermissionDenied(DomainError):
    code = "permission_denied"


class InvalidInput(DomainError):
    code = "invalid"

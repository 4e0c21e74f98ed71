"""One shape for every API error: `{"detail": "...", "code": "...", "fields": {"name": ["..."]}}`.

Domain errors from the services keep their human message and map to a status by kind: invalid input 400,
not allowed 403, a refused transition or a stale version 409. DRF's own errors (validation, authentication,
not found, method not allowed) are reshaped the same way, so a client reads one format everywhere.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from escalations.errors import DomainError, InvalidInput, PermissionDenied, StaleVersion, TransitionNotAllowed

DOMAIN_ERROR_STATUS = (
    (InvalidInput, status.HTTP_400_BAD_REQUEST),
    (PermissionDenied, status.HTTP_403_FORBIDDEN),
    (TransitionNotAllowed, status.HTTP_409_CONFLICT),
    (StaleVersion, status.HTTP_409_CONFLICT),
)
INVALID_DETAIL = "Some fields are not valid; see `fields`."


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return _domain_error_response(exc, context)
    # As DRF does, but here, so the code below sees an APIException with its code.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling and logging take over
    if isinstance(exc, ValidationError):
        response.data = _validation_error_body(exc.detail)
    else:
        response.data = {"detail": str(exc.detail), "code": _first_code(exc.get_codes()), "fields": {}}
    return response


def _domain_error_response(exc: DomainError, context) -> Response:
    status_code = next(
        (code for kind, code in DOMAIN_ERROR_STATUS if isinstance(exc, kind)), status.HTTP_400_BAD_REQUEST
    )
    fields = {}
    if exc.field:
        # Services name fields as the web form does; a view may say what the API calls them.
        api_names = getattr(context.get("view"), "domain_error_fields", {})
        fields[api_names.get(exc.field, exc.field)] = [exc.message]
    return Response({"detail": exc.message, "code": exc.code, "fields": fields}, status=status_code)


def _validation_error_body(detail) -> dict:
    if not isinstance(detail, dict):
        messages = [str(message) for message in _messages(detail)]
        return {"detail": " ".join(messages) or INVALID_DETAIL, "code": "invalid", "fields": {}}
    fields = dict(_flatten(detail))
    general = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, [])
    return {"detail": " ".join(general) or INVALID_DETAIL, "code": "invalid", "fields": fields}


def _flatten(detail, prefix=""):
    """Nested serializer errors as dotted names: `{"new_account": {"name": [...]}}` → `new_account.name`."""
    for key, value in detail.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, prefix=f"{name}.")
        elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    yield from _flatten(item, prefix=f"{name}.{index}.")
                elif item:
                    yield f"{name}.{index}", [str(message) for message in _messages(item)]
        else:
            yield name, [str(message) for message in _messages(value)]


def _messages(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _messages(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _messages(item)
    else:
        yield value


def _first_code(codes) -> str:
    if isinstance(codes, dict):
        codes = list(codes.values())
    while isinstance(codes, list | tuple) and codes:
        codes = codes[0]
    return str(codes) if codes else "error"

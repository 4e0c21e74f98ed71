"""The rules every uploaded file must meet, wherever it comes from (form, comment, API)."""

from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from escalations.errors import InvalidInput


def upload_problem(uploaded_file) -> str | None:
    """Why `uploaded_file` cannot be attached, in words for the person uploading it; None when it can."""
    name = PurePath(uploaded_file.name or "").name
    extension = PurePath(name).suffix.lower().lstrip(".")
    allowed = settings.ATTACHMENT_ALLOWED_EXTENSIONS
    if extension not in allowed:
        return f"“{name}” is not an allowed type. Allowed: {', '.join(sorted(allowed))}."
    if uploaded_file.size == 0:
        return f"“{name}” is empty."
    if uploaded_file.size > settings.ATTACHMENT_MAX_BYTES:
        return (
            f"“{name}” is {filesizeformat(uploaded_file.size)}; "
            f"files can be at most {filesizeformat(settings.ATTACHMENT_MAX_BYTES)}."
        )
    return None


def validate_uploads(files) -> None:
    """Raise `InvalidInput` (field `attachments`) listing every problem with `files`."""
    files = list(files or [])
    problems = []
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        problems.append(f"Attach at most {settings.ATTACHMENT_MAX_FILES} files at a time (you chose {len(files)}).")
    problems += [problem for problem in map(upload_problem, files) if problem]
    if problems:
        raise InvalidInput(" ".join(problems), field="attachments")

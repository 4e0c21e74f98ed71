"""The rules every uploaded file must meet, wherever it comes from (form, comment, API), and how files are served.

A file is checked three ways: its size, its extension (from `ATTACHMENT_ALLOWED_EXTENSIONS`), and its content —
the first bytes are sniffed with `filetype`, so a program renamed `report.pdf` or an image renamed `notes.txt`
is refused. Downloads are always served as attachments with a content type chosen here from the extension
(never the one the uploader's browser claimed) and `nosniff`, so no browser renders or runs a stored file.
"""

from pathlib import PurePath

import filetype
from django.conf import settings
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat

from escalations.errors import InvalidInput

SNIFF_BYTES = 8192

# Extensions whose content has a signature, and the signatures (as `filetype` names them) each may carry.
# Office files are zip archives; `filetype` names them by their contents when it can.
SIGNATURES = {
    "pdf": {"pdf"},
    "png": {"png", "apng"},
    "jpg": {"jpg"},
    "jpeg": {"jpg"},
    "gif": {"gif"},
    "webp": {"webp"},
    "docx": {"docx", "zip"},
    "xlsx": {"xlsx", "zip"},
    "pptx": {"pptx", "zip"},
    "zip": {"zip", "docx", "xlsx", "pptx"},
}
# Extensions of plain text: no known binary signature and no NUL byte.
TEXT_EXTENSIONS = {"txt", "log", "csv", "json", "md", "eml"}

SAFE_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "zip": "application/zip",
    "txt": "text/plain; charset=utf-8",
    "log": "text/plain; charset=utf-8",
    "md": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "eml": "message/rfc822",
}
FALLBACK_CONTENT_TYPE = "application/octet-stream"


def file_extension(name: str) -> str:
    return PurePath(PurePath(name or "").name).suffix.lower().lstrip(".")


def safe_content_type(name: str) -> str:
    """The content type a stored file is served with: fixed per extension, never taken from the uploader."""
    return SAFE_CONTENT_TYPES.get(file_extension(name), FALLBACK_CONTENT_TYPE)


def _head(uploaded_file) -> bytes:
    position = uploaded_file.tell() if hasattr(uploaded_file, "tell") else 0
    uploaded_file.seek(0)
    head = uploaded_file.read(SNIFF_BYTES)
    uploaded_file.seek(position)
    return head


def content_problem(name: str, head: bytes) -> str | None:
    """Why the first bytes `head` of a file called `name` do not match its extension; None when they do."""
    extension = file_extension(name)
    kind = filetype.guess(head)
    detected = kind.extension if kind else None
    if extension in SIGNATURES:
        if detected in SIGNATURES[extension]:
            return None
    elif extension in TEXT_EXTENSIONS:
        if detected is None and b"\x00" not in head:
            return None
    elif detected == extension:
        return None
    found = f"a {detected.upper()} file" if detected else "not one"
    return f"“{name}” does not look like a .{extension} file (its content is {found}). Upload the original file."


def upload_problem(uploaded_file) -> str | None:
    """Why `uploaded_file` cannot be attached, in words for the person uploading it; None when it can."""
    name = PurePath(uploaded_file.name or "").name
    extension = file_extension(name)
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
    return content_problem(name, _head(uploaded_file))


def validate_uploads(files) -> None:
    """Raise `InvalidInput` (field `attachments`) listing every problem with `files`."""
    files = list(files or [])
    problems = []
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        problems.append(f"Attach at most {settings.ATTACHMENT_MAX_FILES} files at a time (you chose {len(files)}).")
    problems += [problem for problem in map(upload_problem, files) if problem]
    if problems:
        raise InvalidInput(" ".join(problems), field="attachments")


def attachment_response(handle, *, filename: str) -> FileResponse:
    """A stored file as a download: attachment disposition, our content type for its extension, `nosniff`."""
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=safe_content_type(filename))
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into showing it, the file may run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

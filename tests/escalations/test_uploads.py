"""Uploads are checked by size, extension and content; downloads never let a browser render or run a file."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from escalations.errors import InvalidInput
from escalations.models import Attachment, EscalationEvent
from escalations.uploads import safe_content_type, upload_problem, validate_uploads

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64
ELF_PROGRAM = b"\x7fELF\x02\x01\x01" + b"\x00" * 64


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("screen.png", PNG),
        ("invoice.pdf", PDF),
        ("photo.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
        ("notes.txt", "Customer says: “it double-charged”.\n".encode()),
        ("export.csv", b"id,amount\n1,9.99\n"),
        ("payload.json", b'{"ok": true}'),
        ("contract.docx", docx_bytes()),
        ("bundle.zip", docx_bytes()),
    ],
)
def test_files_whose_content_matches_their_extension_are_accepted(name, content):
    assert upload_problem(upload(name, content)) is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", WINDOWS_PROGRAM, "“invoice.pdf” does not look like a .pdf file (its content is a EXE file)"),
        ("notes.txt", ELF_PROGRAM, "“notes.txt” does not look like a .txt file (its content is a ELF file)"),
        ("screen.png", PDF, "“screen.png” does not look like a .png file (its content is a PDF file)"),
        (
            "invoice.pdf",
            b"just some text, not a PDF",
            "“invoice.pdf” does not look like a .pdf file (its content is not one)",
        ),
        ("log.txt", b"binary\x00junk", "“log.txt” does not look like a .txt file"),
        ("photo.jpg", PNG, "its content is a PNG file"),
        ("report.docx", WINDOWS_PROGRAM, "“report.docx” does not look like a .docx file"),
    ],
)
def test_files_whose_content_does_not_match_their_extension_are_refused_with_a_clear_message(name, content, message):
    problem = upload_problem(upload(name, content))

    assert problem is not None and message in problem
    assert "Upload the original file." in problem


def test_sniffing_leaves_the_file_readable_from_the_start():
    file = upload("screen.png", PNG)
    file.read(3)

    upload_problem(file)

    assert file.read() == PNG[3:]


def test_every_problem_is_listed_at_once():
    with pytest.raises(InvalidInput) as refused:
        validate_uploads([upload("a.pdf", b"text"), upload("b.exe", b"MZ"), upload("c.txt", b"")])

    assert refused.value.field == "attachments"
    assert "“a.pdf” does not look like" in refused.value.message
    assert "“b.exe” is not an allowed type" in refused.value.message
    assert "“c.txt” is empty" in refused.value.message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x.pdf", "application/pdf"),
        ("x.txt", "text/plain; charset=utf-8"),
        ("x.md", "text/plain; charset=utf-8"),
        ("x.json", "application/json"),
        ("page.html", "application/octet-stream"),
        ("drawing.svg", "application/octet-stream"),
        ("noextension", "application/octet-stream"),
    ],
)
def test_files_are_served_with_a_content_type_chosen_by_us(name, expected):
    assert safe_content_type(name) == expected


# Through the doors: the filing form and the API


def test_the_filing_form_refuses_a_disguised_program_and_saves_nothing(client, requester, account):
    client.force_login(requester)
    form = {
        "account": account.external_id,
        "title": "Invoices doubled",
        "description": "See attached",
        "confirm_not_duplicate": "on",
        "attachments": [upload("invoice.pdf", WINDOWS_PROGRAM)],
    }

    response = client.post(reverse("escalations:new"), form)

    assert response.status_code == 400
    assert "“invoice.pdf” does not look like a .pdf file" in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_api_refuses_a_disguised_program_with_a_400_naming_the_field(escalation, requester):
    api = APIClient()
    api.force_authenticate(requester)

    response = api.post(
        f"/api/v1/escalations/{escalation.reference}/attachments/",
        {"file": upload("screen.png", WINDOWS_PROGRAM, "image/png")},
        format="multipart",
    )

    assert response.status_code == 400
    assert "does not look like a .png file" in response.json()["fields"]["file"][0]
    assert not Attachment.objects.exists() and not EscalationEvent.objects.exists()


@override_settings(ATTACHMENT_ALLOWED_EXTENSIONS=["txt", "html"])
def test_downloads_are_attachments_with_our_content_type_nosniff_and_a_sandbox(escalation, requester, client):
    api = APIClient()
    api.force_authenticate(requester)
    # Even an .html file an admin chose to allow is never rendered by the browser.
    created = api.post(
        f"/api/v1/escalations/{escalation.reference}/attachments/",
        {"file": upload("page.html", b"<script>alert(1)</script>", "text/html")},
        format="multipart",
    )
    assert created.status_code == 400, "an .html file has no signature and is not plain text we serve"
    created = api.post(
        f"/api/v1/escalations/{escalation.reference}/attachments/",
        {"file": upload("notes.txt", b"<script>alert(1)</script>", "text/html")},
        format="multipart",
    )
    assert created.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.content_type == "text/plain; charset=utf-8", "never the type the uploader claimed"

    client.force_login(requester)
    web = client.get(reverse("escalations:attachment", args=[escalation.reference, attachment.pk]))
    api_download = api.get(created.json()["download_url"])

    for response in (web, api_download):
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"

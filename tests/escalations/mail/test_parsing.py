"""Reading real-world shaped messages (kept as .eml fixtures) without Django: senders, threads, text, files."""

from datetime import UTC, datetime

import pytest

from escalations.mail.parsing import Automatic, html_to_text, parse_email, trim_quoted_history
from tests.escalations.mail.conftest import FIXTURES


def parsed(name):
    return parse_email((FIXTURES / name).read_bytes())


def test_a_plain_reply_gives_sender_thread_and_text():
    message = parsed("plain.eml")

    assert message.message_id == "<CAPlain-0001@mail.initech.example>"
    assert (message.from_name, message.from_address) == ("Gina Gomez", "gina@initech.example")
    assert message.subject == "Re: [ESC-1001] Payroll export empty"
    assert message.sent_at == datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
    assert message.recipients[0] == "escalations+esc-1001.token@mail.escalations.test"
    assert message.thread_ids == ["<outbound-1@mail.escalations.test>", "<outbound-0@mail.escalations.test>"]
    assert message.reply_text == "Hi Sam,\n\nThe export works again after the fix. Thanks!\n\nGina"
    assert message.automatic == Automatic.NONE
    assert not message.problems and not message.attachments


def test_an_html_only_message_becomes_text_without_markup_scripts_or_styles():
    text = parsed("html_only.eml").reply_text

    assert text.startswith("Hello & good morning,\n\nThe export for March is still empty.")
    assert '- Open payroll\n- Click "Export"' in text
    assert "<" not in text and "alert" not in text and "color: red" not in text and "steal" not in text


def test_multipart_alternative_prefers_the_plain_text_and_keeps_real_attachments_only():
    message = parsed("alternative_with_attachments.eml")

    assert message.reply_text == "Here are the export log and the payslip that came out wrong."
    assert [(a.name, a.content_type) for a in message.attachments] == [
        ("payslip march.pdf", "application/pdf"),
        ("export résumé.csv", "text/csv"),  # an RFC 2231 encoded name
    ]
    assert message.attachments[0].content.startswith(b"%PDF-1.4")
    assert message.attachments[1].content == b"employee,amount\nA,1\n"  # the inline logo is not among them


def test_iso_8859_1_body_and_encoded_word_headers_are_decoded():
    message = parsed("latin1.eml")

    assert message.from_name == "Jürgen Müller"
    assert message.subject == "Re: Abrechnung für März"
    assert message.reply_text == "Grüße aus München,\n\ndie Abrechnung für März ist jetzt korrekt."


def test_windows_1252_body_and_base64_encoded_subject_are_decoded():
    message = parsed("windows1252.eml")

    assert message.subject == "“Invoice” totals off by 10 €"
    assert message.reply_text == "The “total” is 10 € too high – again."


@pytest.mark.parametrize(
    ("fixture", "reply"),
    [
        ("gmail_reply.eml", "Yes, please go ahead with the re-run tonight."),
        ("outlook_reply.eml", "The numbers still do not match for department 42."),
        ("apple_mail_reply.eml", "Tonight works for us.\n\nSent from my iPhone"),
    ],
)
def test_quoted_history_from_common_clients_is_trimmed(fixture, reply):
    message = parsed(fixture)

    assert message.reply_text == reply
    assert "May we re-run the export tonight?" in message.text  # the full text still has the quote


def test_an_auto_reply_is_recognised():
    message = parsed("auto_reply.eml")

    assert message.automatic == Automatic.AUTO_REPLY
    assert message.thread_ids == ["<outbound-1@mail.escalations.test>"]


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: auto-generated", "X-Autoreply: yes", "X-Autorespond: yes", "Precedence: auto_reply"]
)
def test_each_auto_reply_header_alone_marks_the_message_automatic(header):
    raw = (FIXTURES / "plain.eml").read_bytes().replace(b"MIME-Version", header.encode() + b"\r\nMIME-Version", 1)

    assert parse_email(raw).automatic == Automatic.AUTO_REPLY


def test_auto_submitted_no_is_a_person_writing():
    raw = (FIXTURES / "plain.eml").read_bytes().replace(b"MIME-Version", b"Auto-Submitted: no\r\nMIME-Version", 1)

    assert parse_email(raw).automatic == Automatic.NONE


def test_a_delivery_status_notification_is_a_bounce_that_points_at_the_returned_message():
    message = parsed("dsn_bounce.eml")

    assert message.automatic == Automatic.BOUNCE
    assert message.returned_message_ids == ["<outbound-1@mail.escalations.test>"]
    assert "550 5.1.1 User unknown" in message.text
    assert message.attachments == []


def test_a_malformed_message_is_described_not_raised():
    message = parsed("malformed.eml")

    assert message.is_malformed
    assert "No sender address (From)." in message.problems
    assert any("Broken MIME structure" in problem for problem in message.problems)
    assert message.message_id.endswith("@no-message-id.invalid>")  # still an identity, so a redelivery is a duplicate
    assert message.message_id == parsed("malformed.eml").message_id


@pytest.mark.parametrize("raw", [b"", b"\x00\xff\xfe garbage", b"just some words\r\n"])
def test_junk_is_malformed(raw):
    assert parse_email(raw).is_malformed


def test_headers_only_reads_no_body():
    message = parse_email((FIXTURES / "alternative_with_attachments.eml").read_bytes(), headers_only=True)

    assert message.from_address == "gina@initech.example"
    assert message.text == "" and message.attachments == []


def test_an_attachment_name_cannot_climb_out_of_its_folder():
    raw = (
        (FIXTURES / "dangerous_attachment.eml")
        .read_bytes()
        .replace(b'filename="fixer.exe"', b'filename="../../etc/passwd"')
    )

    assert parse_email(raw).attachments[0].name == "passwd"


def test_the_trimmer_keeps_a_message_that_is_all_quote():
    assert trim_quoted_history("> only a quote\n> nothing new") != ""


def test_html_to_text_drops_outlook_history_after_its_marker():
    html = '<div>New answer</div><div id="divRplyFwdMsg"><b>From:</b> x</div><div>old message</div>'

    assert html_to_text(html) == "New answer"

"""Reading a raw RFC 822 message: who sent it, what it answers, what the customer actually wrote, and its files.

No Django imports: Python's `email` package does the parsing, `mail-parser-reply` trims quoted history, and
`html.parser` turns HTML into text. Nothing here raises on bad mail; what is wrong ends up in `problems`.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.errors import MultipartInvariantViolationDefect, StartBoundaryNotFoundDefect
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser, HeaderParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

REPLY_LANGUAGES = ["en", "de", "fr", "es", "nl", "it"]
MESSAGE_ID_PATTERN = re.compile(r"<[^<>\s]+>")
# Where a message says whom it was delivered to; the reply token may be in any of them.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
# Senders' software that writes in these charsets means Windows-1252 (the HTML standard decodes them the same way).
WINDOWS_1252_ALIASES = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso_8859-1"}
STRUCTURE_DEFECTS = (StartBoundaryNotFoundDefect, MultipartInvariantViolationDefect)


class Automatic:
    """Why a message is not a person writing: it still lands on the case, but does not count as a reply."""

    NONE = ""
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"


@dataclass(frozen=True)
class ParsedAttachment:
    name: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class ParsedEmail:
    message_id: str
    from_address: str = ""
    from_name: str = ""
    subject: str = ""
    sent_at: datetime | None = None
    recipients: list[str] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: str = ""
    reply_text: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    automatic: str = Automatic.NONE
    # For a bounce: the Message-IDs of our messages it returns, found in the report's copy of their headers.
    returned_message_ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, nearest first: In-Reply-To, then References newest first."""
        ordered = [*self.in_reply_to, *reversed(self.references), *self.returned_message_ids]
        return list(dict.fromkeys(ordered))

    @property
    def is_malformed(self) -> bool:
        return bool(self.problems)


def parse_email(raw: bytes, *, headers_only: bool = False) -> ParsedEmail:
    """Everything the desk needs from `raw`; `headers_only` for mail too big to read whole."""
    try:
        if headers_only:
            message = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        else:
            message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # the parser is lenient; this is the truly unreadable
        return ParsedEmail(message_id=_fallback_message_id(raw), problems=[f"Unreadable message: {error}"])

    parsed = ParsedEmail(message_id=_fallback_message_id(raw))
    try:
        _read_headers(message, parsed)
    except Exception as error:  # a header the policy cannot even represent
        parsed.problems.append(f"Unreadable headers: {error}")
        return parsed
    if not message.keys():
        parsed.problems.append("No headers: this is not an email message.")
    elif not parsed.from_address:
        parsed.problems.append("No sender address (From).")
    if any(isinstance(defect, STRUCTURE_DEFECTS) for part in message.walk() for defect in part.defects):
        parsed.problems.append("Broken MIME structure: the parts of the message cannot be told apart.")
    parsed.automatic = _automatic_kind(message, parsed)
    if parsed.automatic == Automatic.BOUNCE:
        parsed.returned_message_ids = _returned_message_ids(message)
    if headers_only:
        return parsed
    try:
        parsed.text = _body_text(message)
        parsed.reply_text = trim_quoted_history(parsed.text)
        if parsed.automatic == Automatic.NONE:
            parsed.attachments = _attachments(message)
    except Exception as error:  # a body the email package cannot decode: keep what the headers told us
        parsed.problems.append(f"Unreadable body: {error}")
    return parsed


def _fallback_message_id(raw: bytes) -> str:
    # Mail without a Message-ID still needs an identity, so that delivering it twice stores it once.
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"


def _header(message: EmailMessage, name: str) -> str:
    return " ".join(str(value) for value in message.get_all(name, []))


def _read_headers(message: EmailMessage, parsed: ParsedEmail) -> None:
    message_ids = MESSAGE_ID_PATTERN.findall(_header(message, "Message-ID"))
    if message_ids:
        parsed.message_id = message_ids[0]
    name, address = parseaddr(_header(message, "From"))
    if "@" in address:
        parsed.from_name, parsed.from_address = name.strip(), address.strip().lower()
    parsed.subject = " ".join(_header(message, "Subject").split())
    try:
        parsed.sent_at = parsedate_to_datetime(_header(message, "Date")) if message.get("Date") else None
    except (TypeError, ValueError):
        parsed.sent_at = None
    recipients = getaddresses([str(value) for name in RECIPIENT_HEADERS for value in message.get_all(name, [])])
    parsed.recipients = list(dict.fromkeys(address.lower() for _, address in recipients if "@" in address))
    parsed.in_reply_to = MESSAGE_ID_PATTERN.findall(_header(message, "In-Reply-To"))
    parsed.references = MESSAGE_ID_PATTERN.findall(_header(message, "References"))


def _automatic_kind(message: EmailMessage, parsed: ParsedEmail) -> str:
    content_type = message.get_content_type()
    if content_type == "multipart/report" and message.get_param("report-type", "").lower() == "delivery-status":
        return Automatic.BOUNCE
    sender = parsed.from_address.split("@")[0]
    if sender in {"mailer-daemon", "postmaster"} and content_type == "multipart/report":
        return Automatic.BOUNCE
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return Automatic.AUTO_REPLY
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return Automatic.AUTO_REPLY
    if _header(message, "Precedence").strip().lower() in {"auto_reply", "bulk", "junk"}:
        return Automatic.AUTO_REPLY
    return Automatic.NONE


def _returned_message_ids(message: EmailMessage) -> list[str]:
    found = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "text/rfc822-headers":
            headers = HeaderParser(policy=policy.default).parsestr(_decoded(part))
        elif content_type == "message/rfc822" and part.is_multipart():
            headers = part.get_payload(0)
        else:
            continue
        found += MESSAGE_ID_PATTERN.findall(" ".join(str(v) for v in headers.get_all("Message-ID", [])))
    return found


def _decoded(part) -> str:
    """A text part's content as str, whatever charset it claims (unknown ones read as Windows-1252)."""
    payload = part.get_payload(decode=True) or b""
    charset = (part.get_content_charset() or "us-ascii").lower()
    if charset in WINDOWS_1252_ALIASES:
        charset = "windows-1252"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("windows-1252", errors="replace")


def _body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        if message.get_content_maintype() == "multipart":
            return ""
        body = message
    text = _decoded(body)
    if body.get_content_type() == "text/html":
        text = html_to_text(text)
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _attachments(message: EmailMessage) -> list[ParsedAttachment]:
    body = message.get_body(preferencelist=("plain", "html"))
    found = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        disposition = part.get_content_disposition()
        name = part.get_filename()
        if disposition != "attachment" and not name:
            continue  # the text alternatives of the body
        if disposition == "inline" and part.get("Content-ID") and part.get_content_maintype() == "image":
            continue  # a logo or picture embedded in the HTML, not a file the customer sent
        if part.get_content_type() in {"text/plain", "text/html"} and not name:
            continue
        found.append(
            ParsedAttachment(
                name=_safe_name(name or f"attachment-{len(found) + 1}"),
                content_type=part.get_content_type(),
                content=part.get_payload(decode=True) or b"",
            )
        )
    return found


def _safe_name(name: str) -> str:
    """The last path component of a sender-chosen file name, without control characters."""
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    return name[:200] or "attachment"


def trim_quoted_history(text: str) -> str:
    """What the customer wrote in this message, without the quoted earlier messages below (or above) it."""
    if not text.strip():
        return ""
    try:
        reply = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text=text) or ""
    except Exception:  # the library's heuristics should never cost us the message
        reply = ""
    reply = _tidy(reply)
    return reply or text.strip()


class _TextExtractor(HTMLParser):
    """HTML to readable text: block elements become line breaks; scripts, styles and quoted replies are dropped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "pre"}
    SKIPPED = {"script", "style", "head", "title", "blockquote"}
    OUTLOOK_QUOTE_MARKERS = {"divRplyFwdMsg", "appendonsend", "stopSpelling"}
    VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping: list[str] = []
        self.stopped = False

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        element_id = dict(attrs).get("id") or ""
        if element_id in self.OUTLOOK_QUOTE_MARKERS:
            self.stopped = True  # Outlook puts the quoted message after this marker, as its siblings
        if self.stopped:
            return
        if tag in self.SKIPPED or self.skipping or "gmail_quote" in classes:
            if tag not in self.VOID:
                self.skipping.append(tag)
            return
        if tag in self.BLOCKS:
            self.chunks.append("\n")
        if tag == "li":
            self.chunks.append("- ")

    def handle_endtag(self, tag):
        if self.stopped:
            return
        if self.skipping:
            if tag in self.skipping:
                while self.skipping and self.skipping.pop() != tag:
                    pass
            return
        if tag in self.BLOCKS and tag not in {"li", "br"}:
            self.chunks.append("\n")

    def handle_data(self, data):
        if not self.skipping and not self.stopped:
            self.chunks.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text from an HTML body; never any markup, so the page escapes it like any text."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [line.strip() for line in "".join(extractor.chunks).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

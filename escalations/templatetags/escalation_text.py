"""Text helpers for templates: Markdown shown safely (Python-Markdown, then nh3) and short relative times."""

import threading
from datetime import timedelta

import markdown as markdown_lib
import nh3
from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince, timeuntil

from escalations.selectors import BREACHING_SOON_HOURS
from escalations.sla.explain import duration_text

register = template.Library()

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip


_converters = threading.local()


def _markdown_converter() -> markdown_lib.Markdown:
    """One converter per thread, reset between texts: building one (with its extensions) costs more than converting
    a comment, and a case page converts dozens. A converter is not thread-safe, hence one per thread."""
    converter = getattr(_converters, "converter", None)
    if converter is None:
        converter = _converters.converter = markdown_lib.Markdown(extensions=["fenced_code", "sane_lists", "tables"])
    return converter.reset()


def render_markdown(text: str) -> str:
    html = _markdown_converter().convert(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3 just above


@register.filter(name="duration_minutes")
def duration_minutes(minutes) -> str:
    """Business minutes as '3 h 20 min'."""
    return duration_text(float(minutes or 0))


@register.filter(name="ago")
def ago(moment) -> str:
    """“3 hours ago”: one unit, which is what a person scanning a list needs."""
    if not moment:
        return "—"
    return f"{timesince(moment, depth=1)} ago"


@register.simple_tag
def sla_cell(escalation) -> str:
    """The next service-level due time of a row, coloured by state: breached, due soon, on track."""
    if not escalation.is_open or escalation.sla_due_at is None and not escalation.is_sla_breached:
        return mark_safe('<span class="muted">—</span>')
    now = timezone.now()
    due = escalation.sla_due_at
    if escalation.is_sla_breached or (due and due <= now):
        label = f"Breached {timesince(due, now, depth=1)} ago" if due and due <= now else "Breached"
        return format_html('<span class="badge sla-badge-breached">{}</span>', label)
    state = "soon" if due - now <= timedelta(hours=BREACHING_SOON_HOURS) else "running"
    return format_html(
        '<span class="badge sla-badge-{}" title="{}">due in {}</span>',
        state,
        timezone.localtime(due).strftime("%b %-d, %H:%M %Z"),
        timeuntil(due, now, depth=1),
    )

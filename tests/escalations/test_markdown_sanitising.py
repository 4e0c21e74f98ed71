"""User text is Markdown rendered by Python-Markdown and cleaned by nh3: hostile input comes out inert."""

import re

import pytest
from django.urls import reverse

from escalations.templatetags.escalation_text import render_markdown
from tests import factories

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src='https://evil.example'></iframe>",
    "<a href='javascript:alert(1)'>click</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "<a href='https://ok.example' onclick='alert(1)' style='position:fixed'>ok</a>",
    "<p style=\"background:url('javascript:alert(1)')\">styled</p>",
    "<form action='https://evil.example'><input name=password></form>",
    "<object data='evil.swf'></object><embed src='evil.swf'>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    "<div onmouseover=alert(1)>hover</div>",
    "<scr<script>ipt>alert(1)</script>",
    "<meta http-equiv='refresh' content='0;url=https://evil.example'>",
    "<base href='https://evil.example/'>",
    "<link rel=stylesheet href='https://evil.example/x.css'>",
    "```\n</code><script>alert(1)</script>\n```",
    "![x](https://evil.example/track.gif)",
]
DANGEROUS = re.compile(
    r"<\s*(script|iframe|svg|object|embed|form|input|meta|base|link|style|math|img)\b"
    r"|\son\w+\s*="
    r"|(href|src|action|data)\s*=\s*[\"']?\s*(javascript|vbscript|data):"
    r"|\sstyle\s*=",
    re.IGNORECASE,
)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_renders_without_anything_that_can_run(text):
    html = render_markdown(text)

    assert not DANGEROUS.search(html), html


def test_safe_markdown_keeps_its_formatting_and_links_get_rel_nofollow():
    html = render_markdown("**Bold** and [docs](https://docs.example/a?b=1)\n\n- one\n- two")

    assert "<strong>Bold</strong>" in html and "<li>one</li>" in html
    assert 'href="https://docs.example/a?b=1"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_hostile_text_on_the_case_page_is_shown_inert(client, requester, account, specialist):
    escalation = factories.EscalationFactory(
        requester=requester,
        account=account,
        title="<script>alert('title')</script>",
        description="\n\n".join(HOSTILE),
        customer_need="<img src=x onerror=alert('need')>",
    )
    client.force_login(specialist)

    page = client.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()

    main = page[page.index('<main id="main"') :]
    assert "<script>alert('title')</script>" not in main and "&lt;script&gt;alert(&#x27;title&#x27;)" in main
    assert "onerror=alert" not in main.replace("onerror=alert(&#x27;need&#x27;)", "")
    assert not re.search(r"<script(?![^>]*\ssrc=)", page), "no inline script on the page"
    assert "javascript:" not in main.lower()

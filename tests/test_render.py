from html.parser import HTMLParser
from pathlib import Path

import pytest

from parley.render import render_body
from tests.conftest import SHARED


def test_markdown_subset():
    out = render_body("Hello *you* and **all**.\n\n> quoted\n\n`code` here")
    assert out == ("<p>Hello <em>you</em> and <strong>all</strong>.</p>\n"
                   "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p><code>code</code> here</p>\n")


def test_links_are_nofollow_ugc_and_only_safe_schemes():
    assert 'rel="nofollow ugc noopener"' in render_body("[site](https://example.org)")
    assert "<a" not in render_body("[x](javascript:alert(1))")
    assert "<a" not in render_body("[x](data:text/html,hi)")


def test_headings_images_and_lists_stay_text():
    out = render_body("# Big\n\n![img](https://x.test/a.png)\n\n- item")
    assert "<h1" not in out and "<img" not in out and "<ul" not in out


def test_inline_spoiler():
    assert render_body("the ||butler did it|| ok") == '<p>the <span class="spoiler">butler did it</span> ok</p>\n'
    assert render_body("a || b") == "<p>a || b</p>\n"


def test_mention_of_the_parent_links_to_it():
    out = render_body("@Bob Boomhauer, hello", reply_to=(7, "Bob Boomhauer"))
    assert out == '<p><a class="mention" href="#c7">@Bob Boomhauer</a>, hello</p>\n'
    assert "mention" not in render_body("@Someone else", reply_to=(7, "Bob"))
    assert "mention" not in render_body("@Bob, hello")


def test_a_name_with_markup_is_escaped_in_the_mention():
    out = render_body("@<b>x</b> hi", reply_to=(3, "<b>x</b>"))
    assert "<b>" not in out and "&lt;b&gt;" in out


def _payloads():
    for path in sorted((SHARED / "data" / "xss").glob("*.txt")):
        for line in Path(path).read_text(errors="replace").splitlines():
            if line.strip():
                yield line


_ALLOWED = {"p", "br", "em", "strong", "a", "blockquote", "code", "pre", "span"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


PAYLOADS = list(_payloads())
assert len(PAYLOADS) > 300, f"the XSS payload lists are missing from {SHARED / 'data' / 'xss'}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payloads_render_inert(payload):
    out = render_body(payload)
    parser = _Tags()
    parser.feed(out)
    for tag, attrs in parser.tags:
        assert tag in _ALLOWED, out
        assert not any(name.startswith("on") for name in attrs), out
        assert set(attrs) <= {"href", "rel", "class"}, out
        if "href" in attrs:
            assert attrs["href"].startswith(("http://", "https://", "mailto:")), out


def test_a_mention_links_only_the_whole_name():
    assert "mention" not in render_body("@Bobby, hi", reply_to=(7, "Bob"))
    assert "mention" in render_body("@Bob: hi", reply_to=(7, "Bob"))

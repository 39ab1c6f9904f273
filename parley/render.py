"""Comment text to safe HTML, once, at write time.

A small Markdown subset (paragraphs, emphasis, links, quotes, code, ``||spoiler||``)
is parsed with raw HTML switched off, and the result goes through nh3 (the Ammonia
sanitiser) anyway: the parser is not trusted to be the only guard.
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

_ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "blockquote", "code", "pre", "span"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}}
_ALLOWED_CLASSES = {"span": {"spoiler"}}
_URL_SCHEMES = {"http", "https", "mailto"}


def _spoilers(state: StateCore) -> None:
    """Turn ``||hidden text||`` into a spoiler span. It runs after inline parsing
    because markdown-it's text rule swallows ``|``; a lone ``||`` stays literal."""
    for block in state.tokens:
        if block.type != "inline" or "||" not in block.content:
            continue
        out: list[Token] = []
        open_at: int | None = None
        for tok in block.children or []:
            if tok.type != "text" or "||" not in tok.content:
                out.append(tok)
                continue
            parts = tok.content.split("||")
            for i, part in enumerate(parts):
                if i:
                    if open_at is None:
                        open_at = len(out)
                        out.append(Token("spoiler_open", "span", 1, attrs={"class": "spoiler"}))
                    else:
                        out.append(Token("spoiler_close", "span", -1))
                        open_at = None
                if part:
                    out.append(Token("text", "", 0, content=part))
        if open_at is not None:
            out[open_at] = Token("text", "", 0, content="||")
        block.children = out


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    md.enable(["blockquote", "code", "fence", "emphasis", "link", "autolink",
               "backticks", "escape", "newline", "entity"])
    md.core.ruler.push("spoiler", _spoilers)
    return md


_md = _build_parser()


_cleaner = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    allowed_classes=_ALLOWED_CLASSES,
    url_schemes=_URL_SCHEMES,
    link_rel="nofollow ugc noopener",
    strip_comments=True,
    # A relative link in a comment would point into the publisher's own site.
    url_relative="deny",
)


def sanitise(fragment: str) -> str:
    return _cleaner.clean(fragment)


def render_body(source: str, *, reply_to: tuple[int, str] | None = None) -> str:
    """Render a comment body. ``reply_to`` is (parent id, parent author's name):
    a body opening with "@Name" gets that mention linked to the parent."""
    out = sanitise(_md.render(source))
    if reply_to is not None:
        parent_id, name = reply_to
        mention = "<p>@" + html.escape(name, quote=False)
        rest = out[len(mention):len(mention) + 1]
        if out.startswith(mention) and not (rest.isalnum() or rest == "_"):  # "@Bob", not "@Bobby"
            link = f'<p><a class="mention" href="#c{parent_id}">@{html.escape(name, quote=False)}</a>'
            out = link + out[len(mention):]
    return out

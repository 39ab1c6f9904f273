"""Shared helpers for the real-browser tests (Chromium driven by Playwright's sync API).

The browser is Debian's Chromium at /usr/bin/chromium (Playwright's own download is not
used); ``scripts/ensure-chromium`` installs it when it is missing. Every context the tests
open goes through :func:`guard`, which records dialogs, uncaught page errors and any request
for a host other than the loopback test server (and aborts those requests).
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Playwright, Route, WebError

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ENSURE_CHROMIUM = ROOT / "scripts" / "ensure-chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--disable-sync"]
LOOPBACK_HOSTS = {"127.0.0.1"}


def ensure_chromium() -> Path:
    """Run scripts/ensure-chromium; fail (never skip) when Chromium is still not there."""
    try:
        result = subprocess.run(["bash", str(ENSURE_CHROMIUM)], capture_output=True, text=True, timeout=900,
                                check=False)
        outcome = f"exited {result.returncode}:\n{result.stdout[-2000:]}{result.stderr[-4000:]}"
        ok = result.returncode == 0
    except (OSError, subprocess.SubprocessError) as exc:
        outcome, ok = f"could not run: {exc}", False
    if not ok or not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM} and it is not there; "
                    f"{ENSURE_CHROMIUM} {outcome}", pytrace=False)
    return CHROMIUM


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(ensure_chromium()), args=LAUNCH_ARGS)


# Runs in every frame before any of the page's own scripts: the window-level canary.
# The dialog functions are replaced by recorders (no MutationObserver involved: an
# injected script trips the flag only by calling one of them).
CANARY_SCRIPT = """
(() => {
  const canary = { tripped: false, calls: [] };
  const hook = (name, result) => {
    window[name] = function (...args) {
      canary.tripped = true;
      canary.calls.push(name + "(" + args.map(String).join(", ").slice(0, 200) + ")");
      return result;
    };
  };
  hook("alert", undefined);
  hook("confirm", false);
  hook("prompt", null);
  hook("print", undefined);
  hook("open", null);
  Object.defineProperty(window, "__parleyCanary", { value: canary, writable: false, configurable: false });
})();
"""


@dataclasses.dataclass
class Guard:
    """What a context saw that a page of comments must never cause."""

    dialogs: list[str] = dataclasses.field(default_factory=list)
    page_errors: list[str] = dataclasses.field(default_factory=list)
    offsite_requests: list[str] = dataclasses.field(default_factory=list)

    def assert_quiet(self) -> None:
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"
        assert self.page_errors == [], f"uncaught errors in the page: {self.page_errors}"
        assert self.offsite_requests == [], f"requests left for other hosts: {self.offsite_requests}"


def guard(context: BrowserContext, *, canary: bool = True) -> Guard:
    seen = Guard()

    def on_dialog(dialog: Dialog) -> None:
        seen.dialogs.append(f"{dialog.type}: {dialog.message!r} on {dialog.page.url if dialog.page else '?'}")
        dialog.dismiss()

    def on_error(error: WebError) -> None:
        seen.page_errors.append(str(error.error))

    def on_route(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK_HOSTS:
            route.continue_()
        else:
            seen.offsite_requests.append(url)
            route.abort()

    context.on("dialog", on_dialog)
    context.on("weberror", on_error)
    context.route("**/*", on_route)
    if canary:
        context.add_init_script(CANARY_SCRIPT)
    return seen


# Audits the whole document. Returns the problems found, tag counts (all, and those
# outside comment bodies), and what the reader sees of each comment, for the Python
# side to compare with a page of harmless comments.
AUDIT_SCRIPT = """
() => {
  const BODY_TAGS = new Set(["P", "BR", "EM", "STRONG", "A", "BLOCKQUOTE", "CODE", "PRE", "SPAN"]);
  const URL_ATTRS = new Set(["href", "src", "action", "formaction", "data", "xlink:href", "background",
                             "poster", "srcset", "lowsrc", "dynsrc", "codebase", "cite", "ping"]);
  const problems = [];
  const where = (el) => { const li = el.closest("li.comment"); return li ? li.id : "page"; };
  const report = (el, what) => problems.push({ where: where(el), what, html: el.outerHTML.slice(0, 300) });

  for (const body of document.querySelectorAll(".comment-body")) {
    for (const el of body.querySelectorAll("*")) {
      const tag = el.tagName;
      if (!BODY_TAGS.has(tag)) { report(el, "element <" + tag.toLowerCase() + "> in a comment body"); continue; }
      if (tag === "SPAN" && !el.classList.contains("spoiler")) report(el, "span that is not a spoiler");
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase(), value = attr.value;
        let ok = false;
        if (tag === "A" && name === "href") ok = /^(https?:|mailto:|#)/i.test(value);
        else if (tag === "A" && name === "rel") ok = true;
        else if (tag === "A" && name === "class") ok = value === "mention";
        else if (tag === "SPAN" && name === "class") {
          ok = value.split(/\\s+/).every((c) => c === "spoiler" || c === "revealed");
        }
        else if (tag === "SPAN" && name === "tabindex") ok = value === "0";  // parley.js makes spoilers focusable
        if (!ok) {
          report(el, `attribute ${name}=${JSON.stringify(value.slice(0, 80))} on <${tag.toLowerCase()}>`);
        }
      }
    }
  }

  // parley.js gives the reader's own recent comments Edit and Delete buttons: the page's own, counted apart.
  const own = new Set(document.querySelectorAll(
    "li.comment > article > footer.comment-actions > button.link-button:is(.edit-comment, .delete-comment)"));
  const counts = {}, outside = {};
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    counts[tag] = (counts[tag] || 0) + 1;
    const inBody = el.parentElement && el.parentElement.closest(".comment-body");
    if (!inBody && !own.has(el)) outside[tag] = (outside[tag] || 0) + 1;
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) report(el, "event handler attribute " + name);
      if (name === "style" || name === "srcdoc") report(el, "attribute " + name);
      if (URL_ATTRS.has(name)) {
        const squashed = attr.value.replace(/[\\u0000-\\u0020\\u007f-\\u009f]/g, "").toLowerCase();
        if (/^(javascript|vbscript|data|livescript):/.test(squashed)) report(el, "script URL in " + name);
      }
    }
  }

  const comments = [...document.querySelectorAll("li.comment")].map((li) => {
    const article = li.querySelector(":scope > article");
    const author = article && article.querySelector(":scope > header > .author");
    const reply = article && article.querySelector(":scope > footer > a.reply-link");
    const replying = article && article.querySelector(":scope > header > .replying-to");
    return {
      id: li.id,
      parent: li.parentElement.closest("li.comment") ? li.parentElement.closest("li.comment").id : null,
      author: author ? author.textContent : null,
      reply_name: reply ? reply.dataset.replyName : null,
      reply_text: reply ? reply.textContent : null,
      replying_to: replying ? replying.textContent : null,
      bodies: article ? article.querySelectorAll(":scope > .comment-body, :scope > details > .comment-body").length : 0,
      mention: article ? (article.querySelector(".comment-body a.mention") || {}).textContent || null : null,
    };
  });

  return {
    problems,
    counts,
    outside,
    owner_buttons: own.size,
    comments,
    title: document.title,
    head: [...document.head.children].map((el) => el.tagName.toLowerCase()),
    body_children: [...document.body.children].map((el) => el.tagName.toLowerCase() + "." + el.className),
    frames: window.frames.length,
    canary: window.__parleyCanary
      ? { tripped: window.__parleyCanary.tripped, calls: window.__parleyCanary.calls } : null,
  };
}
"""


class Api:
    """The JSON API of a live test server, as a plain HTTP client would use it: as a guest,
    but for story management, which sends ``staff_token`` (an API token with the staff role)."""

    def __init__(self, base_url: str, *, staff_token: str | None = None) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.staff_token = staff_token

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()

    def create_story(self, **fields) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.staff_token}"} if self.staff_token else None
        return self.client.post("/api/v1/stories", json=fields, headers=headers)

    def story(self, slug: str) -> httpx.Response:
        return self.client.get(f"/api/v1/stories/{slug}")

    def post_comment(self, slug: str, **fields) -> httpx.Response:
        return self.client.post(f"/api/v1/stories/{slug}/comments", json=fields)

    def comment_count(self, slug: str) -> int:
        response = self.story(slug)
        assert response.status_code == 200, response.text
        return response.json()["comment_count"]

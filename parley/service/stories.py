"""Stories: the newsroom creates and changes them; anyone reads them; an embedding
site's page creates its own on first view."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

from parley.domain import Actor, Permission, Story
from parley.errors import Conflict, InvalidInput, NotFound
from parley.events import StoryEdited
from parley.service.base import Deps
from parley.service.cleaning import SLUG, apply_story_fields, clean_slug, required_text

MAX_EMBED_KEY_CHARS = 2000


@dataclasses.dataclass(frozen=True)
class EmbedRef:
    """What an embedding page says of its story: its own id (optional), its canonical URL,
    and optionally its title and section. Parley never fetches the URL."""

    url: str = ""
    story_id: str = ""
    title: str = ""
    section: str = ""

    @property
    def slug(self) -> str:
        """The story's slug, the same on every view: the page's id when it is already a slug
        (so an existing story can be embedded by its slug), else a hash of the id, or
        failing that of the canonical URL (without its #fragment)."""
        key = self.story_id.strip() or self.url.strip().partition("#")[0]
        if not key or len(key) > MAX_EMBED_KEY_CHARS:
            raise InvalidInput("say which story: a canonical URL (data-parley-url) or an id (data-parley-story)",
                               field="url" if not self.story_id else "story")
        if SLUG.fullmatch(key):
            return key
        return "e-" + hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


class StoryService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.store = deps.store

    def create(self, actor: Actor, fields: dict) -> Story:
        actor.require(Permission.MANAGE_STORIES, "story management")
        story = Story(slug=clean_slug(fields.get("slug")), title=required_text(fields, "title", 300))
        apply_story_fields(story, fields)
        return self.store.add_story(story)

    def get(self, slug: str) -> Story:
        story = self.store.get_story(slug) if isinstance(slug, str) and SLUG.fullmatch(slug) else None
        if story is None:
            raise NotFound(f"no story with slug {slug!r}", field="slug")
        return story

    def embedded(self, ref: EmbedRef, *, create: bool) -> Story:
        """The story an embedding page shows; with ``create``, made on its first view from
        what the page says (the web layer passes ``create`` only when the page's site is
        one of PARLEY_ALLOWED_ORIGINS). A story that exists is shown as it is: a page
        cannot rename it."""
        slug = ref.slug
        story = self.store.get_story(slug)
        if story is not None:
            return story
        if not create:
            raise NotFound("this page has no story yet", field="story")
        url = ref.url.strip().partition("#")[0]
        if not url.startswith(("https://", "http://")):
            raise InvalidInput("the canonical URL must start with http:// or https://", field="url")
        title = " ".join(ref.title.split())[:300] or url[:300]
        story = Story(slug=slug, title=required_text({"title": title}, "title", 300),
                      external_id=ref.story_id.strip())
        apply_story_fields(story, {"url": url, "section": " ".join(ref.section.split())})
        try:
            return self.store.add_story(story)
        except Conflict:  # another first view made it a moment ago
            return self.get(slug)

    def by_id(self, story_id: int) -> Story:
        story = self.store.get_story_by_id(story_id)
        if story is None:
            raise NotFound("no such story", field="story")
        return story

    def update(self, actor: Actor, slug: str, fields: dict) -> Story:
        actor.require(Permission.MANAGE_STORIES, "story management")
        if "slug" in fields and fields["slug"] != slug:
            raise InvalidInput("a story's slug cannot change", field="slug")
        with self.store.atomic():
            story = self.get(slug)
            if "title" in fields:
                story.title = required_text(fields, "title", 300)
            apply_story_fields(story, fields)
            story = self.store.update_story(story)
        self.deps.events.publish(StoryEdited(actor.label, story.id))
        return story

    def counts(self, slugs: Sequence[str]) -> dict[str, int]:
        if len(slugs) > 200:
            raise InvalidInput("at most 200 slugs at once", field="slug")
        return self.store.comment_counts([s for s in slugs if SLUG.fullmatch(s)])

    def latest(self, limit: int = 50) -> list[Story]:
        return self.store.list_stories(limit)

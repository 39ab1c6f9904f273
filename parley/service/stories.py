"""Stories: the newsroom creates and changes them; anyone reads them."""

from __future__ import annotations

from collections.abc import Sequence

from parley.domain import Actor, Permission, Story
from parley.errors import InvalidInput, NotFound
from parley.service.base import Deps
from parley.service.cleaning import SLUG, apply_story_fields, clean_slug, required_text


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
            return self.store.update_story(story)

    def counts(self, slugs: Sequence[str]) -> dict[str, int]:
        if len(slugs) > 200:
            raise InvalidInput("at most 200 slugs at once", field="slug")
        return self.store.comment_counts([s for s in slugs if SLUG.fullmatch(s)])

    def latest(self, limit: int = 50) -> list[Story]:
        return self.store.list_stories(limit)

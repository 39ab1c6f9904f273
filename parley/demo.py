"""A demo story with a small discussion, written for Parley, for `make run`."""

from __future__ import annotations

from datetime import timedelta

from parley.domain import Actor, Notice, utcnow
from parley.errors import NotFound
from parley.service import NewComment, Services

SLUG = "riverside-library-reopens"

STORY = {
    "slug": SLUG,
    "title": "Riverside library reopens eight months after the flood",
    "dateline": "Millbrook",
    "credit": "Parley Demo Desk",
    "url": "https://example.org/news/riverside-library-reopens",
    "body": (
        "The Riverside branch library opened its doors on Saturday for the first time since "
        "floodwater filled its basement last spring, ruining the local history archive and the "
        "children's room.\n\n"
        "Repairs cost the town 1.4 million, most of it covered by insurance. The archive was moved "
        "to the first floor, and the new children's room sits on raised foundations.\n\n"
        "\"People kept asking when their library would come back,\" said branch manager Ada Okafor. "
        "\"Today the queue went around the block.\"\n\n"
        "The branch will open seven days a week through the summer, and the book club resumes on "
        "Thursday with the mystery novel it was reading when the water came in."
    ),
}

# (name, body, hours ago, replies to the n-th comment of this list, spoiler)
COMMENTS = [
    ("Martha Lindqvist", "So glad to see it open again. My kids have been asking every week.", 50, None, False),
    ("Tom R.", "@Martha Lindqvist, same here. The new children's room is *much* brighter than the old one.",
     47, 0, False),
    ("Ada's neighbour", "Does anyone know whether the microfilm of the old town paper survived?",
     30, None, False),
    ("Priya", "@Ada's neighbour, it did: it was stored upstairs. They said so at the opening.", 28, 2, False),
    ("Book club regular", "For Thursday: the gardener did it, and the letters in chapter 9 give it away. "
                          "||The twin brother was never on the boat.||", 20, None, True),
    ("Tom R.", "@Book club regular, thanks a lot, I was on chapter 8.", 6, 4, False),
]


def load_demo(services: Services, actor: Actor | None = None) -> tuple[str, bool]:
    """Create the demo story and its comments, unless it is already there."""
    actor = actor or Actor.system("demo")
    try:
        services.stories.get(SLUG)
        return SLUG, False
    except NotFound:
        pass
    now = utcnow()
    with services.store.atomic():
        services.stories.create(actor, {**STORY, "published_at": (now - timedelta(days=3)).isoformat()})
        ids: list[int] = []
        for n, (name, body, hours, parent, spoiler) in enumerate(COMMENTS):
            posted = services.posting.import_comment(actor, NewComment(
                story_slug=SLUG, author_name=name, body=body,
                parent_id=ids[parent] if parent is not None else None,
                created_at=now - timedelta(hours=hours),
                notices=(Notice.of("spoiler"),) if spoiler else (),
                idempotency_key=f"demo:{n}",
            ))
            ids.append(posted.comment.id)
    return SLUG, True

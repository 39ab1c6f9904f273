"""The comment threads both peers are given: the same bodies, authors and reply
structure, made from a fixed seed, so Parley and Isso store the very same thread."""

from __future__ import annotations

import dataclasses
import random


def _split(text: str) -> list[str]:
    return text.split()


_WORDS = _split("""
the a of to and in that is was for on it with as at by this from they be are have had not but or
an which one were all we when there can been has more if will would who so no what out up about
into than them could only other new some time these two may then do first any like now my over
such our man me even most made after also did many before must through back years where much
your way well down should because each just those people how too little state good very make
world still own see men work long get here between both life being under never day same another
know while last might us great old year off come since against go came right used take three
council vote budget school road bridge hospital mayor station market river harbour train bus
tax rent housing plan report story paper reader editor column figures data source quote claim
article headline photo people street village city county ward committee meeting minutes agenda
fair point reasonable question answer evidence numbers cost money price wage job work weekend
summer winter morning evening night week month today yesterday tomorrow local national public
private community volunteers parents children teachers nurses doctors drivers farmers owners
""")

_FIRST = _split("""Alex Sam Jo Chris Pat Robin Morgan Jamie Casey Taylor Jordan Riley Avery Quinn Drew Charlie
Rowan Sasha Toni Kim Lee Dana Jess Ali Noor Omar Priya Ravi Mei Lin Hana Yuki Ines Marta Piotr Anna
Lars Sven Olga Ivan Eva Tom Kate Ben Lucy Max Nina Paul Rosa Hugo Iris Otto Zoe""")
_LAST = _split("""Smith Jones Brown Taylor Wilson Evans Thomas Roberts Walker Wright Green Hall Wood Clarke
Hughes Moore King Baker Hill Scott Young Allen Lewis Mitchell Carter Turner Parker Cook Morgan Bell
Ward Cooper Price Reed Fox Grant Shaw Lane Webb Nash""")


@dataclasses.dataclass(frozen=True)
class Item:
    """One comment to post. ``parent`` is the index of an earlier item, or None."""

    index: int
    parent: int | None
    author: str
    email: str | None
    body: str


@dataclasses.dataclass(frozen=True)
class Thread:
    slug: str
    title: str
    items: list[Item]

    @property
    def replies(self) -> int:
        return sum(1 for it in self.items if it.parent is not None)

    def root_of(self, index: int) -> int:
        while self.items[index].parent is not None:
            index = self.items[index].parent
        return index

    def first_page_count(self, roots: int = 50) -> int:
        """Comments on a first page of ``roots`` top-level comments with all their
        replies, assuming the server stores them in posting order."""
        first = [it.index for it in self.items if it.parent is None][:roots]
        chosen = set(first)
        return sum(1 for it in self.items if self.root_of(it.index) in chosen)

    def body_chars(self) -> tuple[int, int, float]:
        sizes = [len(it.body) for it in self.items]
        return min(sizes), max(sizes), sum(sizes) / len(sizes)


def _authors(rng: random.Random, count: int) -> list[tuple[str, str | None]]:
    seen: set[str] = set()
    out = []
    while len(out) < count:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if name in seen:
            name = f"{name} {len(out)}"
        seen.add(name)
        email = None
        if rng.random() < 0.6:
            email = f"{name.lower().replace(' ', '.')}@example.org"
        out.append((name, email))
    return out


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 16))]
    if rng.random() < 0.15:
        k = rng.randrange(len(words))
        words[k] = f"*{words[k]}*"
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice("....?!")


def make_body(rng: random.Random, min_chars: int, max_chars: int, mention: str | None = None) -> str:
    """Plain prose with a little Markdown, between min_chars and max_chars long."""
    target = rng.randint(min_chars, max_chars)
    parts = [f"@{mention}"] if mention else []
    text = ""
    while True:
        sentence = _sentence(rng)
        sep = "\n\n" if rng.random() < 0.2 else " "
        candidate = (text + sep + sentence) if text else (" ".join(parts + [sentence]))
        if len(candidate) > max_chars:
            break
        text = candidate
        if len(text) >= target:
            break
    while len(text) < min_chars:  # pad with words when a long sentence did not fit
        text = (text + " " + rng.choice(_WORDS)).strip()
    text = text[:max_chars]
    assert min_chars <= len(text) <= max_chars, len(text)
    return text


def make_thread(slug: str, count: int, *, seed: int, reply_share: float = 0.30,
                min_chars: int = 100, max_chars: int = 600, authors: int = 400) -> Thread:
    """``count`` comments, ``reply_share`` of them replies (placed at random after the
    first), each to a recent comment (60%) or to any earlier one (40%)."""
    rng = random.Random(seed)
    people = _authors(rng, authors)
    reply_at = set(rng.sample(range(1, count), round(reply_share * count))) if count > 1 else set()
    items: list[Item] = []
    for i in range(count):
        parent = None
        if i in reply_at:
            parent = rng.randrange(max(0, i - 30), i) if rng.random() < 0.6 else rng.randrange(0, i)
        name, email = rng.choice(people)
        mention = items[parent].author if parent is not None and rng.random() < 0.3 else None
        items.append(Item(i, parent, name, email, make_body(rng, min_chars, max_chars, mention)))
    return Thread(slug, f"Benchmark story {slug}", items)

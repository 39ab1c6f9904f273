"""Builds the embed's scripts from widget/src into parley/web/static (``make widget``).

embed.js gets the stylesheet put in as a string (it goes into the widget's shadow root),
then both scripts are minified with rjsmin (pinned in pyproject.toml and requirements.lock).
No Node toolchain: the sources are plain modern JavaScript that browsers run as they are.
``--check`` fails when the built files differ from what the sources make (a test runs it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

import rjsmin

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "widget" / "src"
OUT = ROOT / "parley" / "web" / "static"
#: Gzipped, the widget must stay within this (issue 10: at most 10 KB).
MAX_GZIPPED_BYTES = 10 * 1024


def minify_css(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"\s+", " ", css)
    css = re.sub(r"\s*([{};:,>])\s*", r"\1", css)
    return css.replace(";}", "}").strip()


def build() -> dict[str, bytes]:
    """The built scripts by file name (nothing written)."""
    css = minify_css((SRC / "embed.css").read_text())
    embed = (SRC / "embed.js").read_text()
    if "__PARLEY_CSS__" not in embed:
        raise SystemExit("widget/src/embed.js has no __PARLEY_CSS__ for the stylesheet")
    embed = embed.replace("__PARLEY_CSS__", json.dumps(css))
    made = {}
    for name, source in (("embed.js", embed), ("count.js", (SRC / "count.js").read_text())):
        made[name] = (rjsmin.jsmin(source, keep_bang_comments=False).strip() + "\n").encode()
    return made


def gzipped_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))  # as Parley serves it (parley.web.cache)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the built files are out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, body in build().items():
        size = gzipped_size(body)
        if name == "embed.js" and size > MAX_GZIPPED_BYTES:
            print(f"{name}: {size} bytes gzipped, over {MAX_GZIPPED_BYTES}", file=sys.stderr)
            return 1
        target = OUT / name
        if args.check:
            if not target.exists() or target.read_bytes() != body:
                stale.append(name)
        else:
            target.write_bytes(body)
        print(f"{name}: {len(body)} bytes, {size} gzipped")
    if stale:
        print(f"out of date: {', '.join(stale)}; run `make widget`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The embed's scripts: built from widget/src by widget/build.py, the built files in
parley/web/static current, and embed.js within 10 KB gzipped as Parley serves it."""

from __future__ import annotations

import gzip
import subprocess
import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "widget"))
import build  # noqa: E402


def test_the_widget_builds_within_10_kb_gzipped():
    made = build.build()
    embed = made["embed.js"]
    size = len(gzip.compress(embed, compresslevel=6, mtime=0))
    assert size <= 10 * 1024, f"embed.js is {size} bytes gzipped"
    assert size == build.gzipped_size(embed)
    # Minified (no comments left) and with its stylesheet put in.
    assert b"__PARLEY_CSS__" not in embed and b"//" not in embed.replace(b"://", b"")
    assert b"--parley-accent" in embed and b"attachShadow" in embed
    assert len(made["count.js"]) < 2048


def test_the_committed_scripts_are_what_the_sources_build():
    result = subprocess.run([sys.executable, str(ROOT / "widget" / "build.py"), "--check"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, body in build.build().items():
        assert (ROOT / "parley" / "web" / "static" / name).read_bytes() == body, name


def test_parley_serves_the_built_script_gzipped(server):
    import httpx

    r = httpx.get(f"{server.url}/embed.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "public, max-age=300" and r.headers["etag"]
    assert r.content == (ROOT / "parley" / "web" / "static" / "embed.js").read_bytes()
    assert int(r.headers["content-length"]) <= 10 * 1024  # what went over the wire, gzipped
    assert httpx.get(f"{server.url}/embed.js", headers={"If-None-Match": r.headers["etag"]}).status_code == 304

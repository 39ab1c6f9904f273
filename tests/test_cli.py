"""The ``parley`` command, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import EXAMPLE, ROOT, TEST_SECRET

MIGRATIONS = ROOT / "parley" / "store" / "migrations"


def run(args, url, **kw):
    # The server's key comes with the environment, so no run leaves a parley.secret behind.
    env = {**os.environ, "PARLEY_DATABASE_URL": url, "PARLEY_SECRET_KEY": TEST_SECRET}
    return subprocess.run([sys.executable, "-m", "parley.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60, **kw)


def test_migrate_import_and_demo(database_url):
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgres"
    versions = sorted(int(p.name.split("_", 1)[0]) for p in (MIGRATIONS / dialect).glob("*.sql"))
    assert versions[:4] == [1, 2, 3, 4]
    assert f"applied {versions}" in run(["migrate"], database_url).stdout
    assert "already up to date" in run(["migrate"], database_url).stdout
    args = ["import", "scraped", str(EXAMPLE), "--slug", "s", "--scraped-at", "2024-04-08T12:00:00Z"]
    first = run(args, database_url)
    assert first.returncode == 0 and "5 of 5 comments added" in first.stdout
    assert "0 of 5 comments added" in run(args, database_url).stdout
    demo = run(["demo"], database_url)
    assert demo.returncode == 0 and "loaded" in demo.stdout
    assert "already there" in run(["demo"], database_url).stdout


def test_malformed_import_exits_non_zero_naming_the_line(sqlite_url, tmp_path):
    run(["migrate"], sqlite_url)
    bad = tmp_path / "bad.txt"
    bad.write_text("date 2024-04-02 Story.\n\nAFP\nBob\nBob Guest soon ago\n\nHi\n")
    result = run(["import", "scraped", str(bad), "--slug", "s"], sqlite_url)
    assert result.returncode != 0
    assert "line 5" in result.stderr
    missing = run(["import", "scraped", str(tmp_path / "nope.txt"), "--slug", "s"], sqlite_url)
    assert missing.returncode != 0 and "cannot read" in missing.stderr
    bad_time = run(["import", "scraped", str(EXAMPLE), "--slug", "s", "--scraped-at", "last week"], sqlite_url)
    assert bad_time.returncode != 0 and "--scraped-at" in bad_time.stderr


def test_commands_refuse_an_unmigrated_database(sqlite_url):
    result = run(["demo"], sqlite_url)
    assert result.returncode != 0 and "parley migrate" in result.stderr


def test_bad_database_url_is_a_clear_error():
    result = run(["migrate"], "mysql://x")
    assert result.returncode != 0 and "PARLEY_DATABASE_URL" in result.stderr


def _story(url, slug="s"):
    from parley.store import open_store

    store = open_store(url)
    try:
        return store.get_story(slug)
    finally:
        store.close()


def test_reimporting_with_title_and_url_changes_the_story_in_one_transaction(database_url, tmp_path):
    run(["migrate"], database_url)
    args = ["import", "scraped", str(EXAMPLE), "--slug", "s", "--scraped-at", "2024-04-08T12:00:00Z"]
    assert run(args, database_url).returncode == 0
    cut = _story(database_url).title
    assert cut.endswith("…")

    # A page that fails half-way (its fourth comment's name is too long) changes nothing, title included.
    broken = tmp_path / "broken.txt"
    broken.write_text(EXAMPLE.read_text().replace("John\nJohn Guest 6 days ago", "J" * 60 + "\n" + "J" * 60
                                                  + " Guest 6 days ago"))
    failed = run(["import", "scraped", str(broken), "--slug", "s", "--title", "Never written"], database_url)
    assert failed.returncode != 0 and "line 58" in failed.stderr
    assert _story(database_url).title == cut

    again = run([*args, "--title", "  Blinken meets Macron in Paris ", "--url", "https://news.example/blinken"],
                database_url)
    assert again.returncode == 0, again.stderr
    assert "found story 's', changed its title and url; 0 of 5 comments added" in again.stdout
    story = _story(database_url)
    assert (story.title, story.url, story.comment_count) == ("Blinken meets Macron in Paris",
                                                             "https://news.example/blinken", 5)
    same = run([*args, "--title", "Blinken meets Macron in Paris"], database_url)
    assert "found story 's'; 0 of 5 comments added" in same.stdout  # nothing to change, nothing claimed
    assert "title" not in same.stdout

    # Without --title a re-import leaves the title alone, whatever the page now says.
    assert run(args, database_url).returncode == 0
    assert _story(database_url).title == "Blinken meets Macron in Paris"


def test_a_title_the_story_cannot_take_is_refused_naming_the_option(sqlite_url):
    run(["migrate"], sqlite_url)
    args = ["import", "scraped", str(EXAMPLE), "--slug", "s"]
    run(args, sqlite_url)
    for title in ("x" * 301, "   "):
        refused = run([*args, "--title", title], sqlite_url)
        assert refused.returncode == 2 and "--title" in refused.stderr, refused.stderr
    bad_url = run([*args, "--url", "ftp://x"], sqlite_url)
    assert bad_url.returncode == 2 and "--url" in bad_url.stderr
    assert _story(sqlite_url).title.endswith("…") and _story(sqlite_url).url == ""


def _settings(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    return subprocess.run([sys.executable, "-m", "parley.cli", "settings", *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_settings_show_the_values_in_effect_where_they_came_from_and_hide_secrets():
    from parley.config import SETTINGS

    key, sso = "k3y-" + "x" * 40, "ss0-" + "y" * 40
    result = _settings({"PARLEY_PORT": "9123", "PARLEY_SECRET_KEY": key, "PARLEY_SSO_SECRET": sso,
                        "PARLEY_DATABASE_URL": "postgresql://parley:hun@ter2@db.example:5432/parley?sslpassword=pw9",
                        "PARLEY_MODERATION_THRESHOLDS": '{"spam": {"hold": 0.7}}', "PARLEY_RATE_LIMIT": "10"})
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["setting", "from", "value"]
    rows = {name: (source, value) for name, source, value in (line.split(None, 2) for line in lines)}
    assert list(rows) == [s.name for s in SETTINGS]
    assert rows["PARLEY_PORT"] == ("env", "9123")
    assert rows["PARLEY_HOST"] == ("default", "127.0.0.1")
    assert rows["PARLEY_RATE_LIMIT"] == ("env", "10")  # set, even if to the default
    assert rows["PARLEY_MODERATION_THRESHOLDS"] == ("env", '{"spam": {"hold": 0.7}}')
    assert rows["PARLEY_FORWARDED_ALLOW_IPS"] == ("default", "(empty)")
    assert rows["PARLEY_SECRET_KEY"] == ("env", f"******** (set, {len(key)} characters)")
    assert rows["PARLEY_SSO_SECRET"] == ("env", f"******** (set, {len(sso)} characters)")
    assert rows["PARLEY_DATABASE_URL"] == ("env", "postgresql://parley:********@db.example:5432/parley"
                                                  "?sslpassword=********")
    for secret in (key, sso, "hun@", "ter2", "pw9", "x" * 10, "y" * 10):
        assert secret not in result.stdout + result.stderr

    defaults = _settings({})
    rows = {line.split(None, 2)[0]: line.split(None, 2)[1:] for line in defaults.stdout.splitlines()[1:]}
    assert rows["PARLEY_DATABASE_URL"] == ["default", "sqlite:///parley.db"]
    assert rows["PARLEY_SECRET_KEY"] == ["default", "(empty)"]


def test_settings_markdown_is_the_settings_page():
    from parley.config import settings_markdown

    result = _settings({}, "--markdown")
    assert result.returncode == 0 and result.stdout == settings_markdown()


def test_settings_name_a_bad_value_instead_of_showing_a_table():
    result = _settings({"PARLEY_PORT": "eighty"})
    assert result.returncode != 0 and "PARLEY_PORT" in result.stderr and not result.stdout


def test_settings_piped_into_a_reader_that_stops_early_is_not_an_error():
    result = subprocess.run(f"{sys.executable} -m parley.cli settings | head -1", shell=True, capture_output=True,
                            text=True, timeout=60, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert result.stdout.split() == ["setting", "from", "value"]
    assert "Traceback" not in result.stderr

from parley.config import SETTINGS, Config, settings_markdown
from tests.conftest import ROOT


def test_every_setting_is_documented():
    assert (ROOT / "docs" / "settings.md").read_text() == settings_markdown(), \
        "docs/settings.md is out of date: run `parley settings --markdown > docs/settings.md`"


def test_settings_that_hold_secrets_are_declared_secret():
    import re

    # `parley settings` prints every value but these: a new secret must not slip through.
    for s in SETTINGS:
        if re.search(r"SECRET|PASSWORD|TOKEN|API_KEY", s.name) and not s.name.endswith("_FILE"):
            assert s.secret, f"{s.name} looks like a secret: declare it with secret=True"
    assert {s.name for s in SETTINGS if s.secret} >= {"PARLEY_SECRET_KEY", "PARLEY_SSO_SECRET"}


def test_settings_come_from_the_environment_with_defaults():
    config = Config.from_env({"PARLEY_RATE_LIMIT": "0", "PARLEY_DATABASE_URL": "sqlite:///x.db"})
    assert config.rate_limit == 0
    assert config.database_url == "sqlite:///x.db"
    assert config.max_body_chars == 5000
    assert config.edit_window_seconds == 900
    assert len(SETTINGS) == len(Config.__dataclass_fields__)


def test_a_malformed_number_stops_with_its_name():
    import pytest

    with pytest.raises(SystemExit, match="PARLEY_PORT"):
        Config.from_env({"PARLEY_PORT": "eighty"})


def test_out_of_range_settings_stop_with_their_name():
    import pytest

    with pytest.raises(SystemExit, match="PARLEY_PAGE_SIZE"):
        Config.from_env({"PARLEY_PAGE_SIZE": "0"})
    with pytest.raises(SystemExit, match="PARLEY_RATE_LIMIT"):
        Config.from_env({"PARLEY_RATE_LIMIT": "-1"})


def test_moderation_is_on_with_the_default_thresholds_unless_set():
    from parley.moderation.policy import DEFAULT_THRESHOLDS

    config = Config.from_env({})
    assert config.moderation == 1
    assert config.site_policy().thresholds == DEFAULT_THRESHOLDS
    assert Config.from_env({"PARLEY_MODERATION": "0"}).moderation == 0


def test_site_thresholds_replace_the_defaults():
    config = Config.from_env({"PARLEY_MODERATION_THRESHOLDS": '{"spam": {"hold": 0.7, "reject": 1}}'})
    assert config.site_policy().thresholds == {"spam": {"hold": 0.7, "reject": 1.0}}
    assert Config.from_env({"PARLEY_MODERATION_THRESHOLDS": "{}"}).site_policy().thresholds == {}


def test_bad_moderation_settings_stop_with_their_name():
    import pytest

    for raw in ("not json", "[1]", '{"nope": {"fold": 0.5}}', '{"toxicity": {"fold": 2}}',
                '{"toxicity": {"publish": 0.5}}', '{"toxicity": 0.5}', '{"toxicity": {"fold": true}}',
                '{"toxicity": {"fold": "0.5"}}', '{"toxicity": {"fold": NaN}}'):
        with pytest.raises(SystemExit, match="PARLEY_MODERATION_THRESHOLDS"):
            Config.from_env({"PARLEY_MODERATION_THRESHOLDS": raw})
    with pytest.raises(SystemExit, match="PARLEY_MODERATION_THRESHOLDS"):
        Config.from_env({}, moderation_thresholds='{"spam": {"hold": 0}}')
    with pytest.raises(SystemExit, match="PARLEY_MODERATION"):
        Config.from_env({"PARLEY_MODERATION": "2"})

from parley.config import SETTINGS, Config, settings_markdown
from tests.conftest import ROOT


def test_every_setting_is_documented():
    assert (ROOT / "docs" / "settings.md").read_text() == settings_markdown(), \
        "docs/settings.md is out of date: run `parley settings > docs/settings.md`"


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

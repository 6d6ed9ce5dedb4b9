"""Settings: flags over PULSEREC_* variables over the TOML file over defaults, read once."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulserec.app.settings import Settings, hand_to_workers, worker_settings
from pulserec.core.config import DEFAULT_DATA_DIR, DEFAULT_EVAL_DIR, ServerSettings
from pulserec.engine.config import EngineConfig


def test_defaults_without_flags_env_or_file() -> None:
    settings = Settings.load({}, env={})
    assert settings.data_dir == DEFAULT_DATA_DIR and settings.port == 8000
    assert settings.workers == 1 and settings.dataset is None and settings.cache_dir is None
    assert settings.server == ServerSettings(host="127.0.0.1")  # the Host check is on
    assert settings.server.eval_dir == DEFAULT_EVAL_DIR
    assert settings.engine == EngineConfig()
    assert settings.llm.url is None and settings.config_file is None


def test_flags_over_env_over_file(tmp_path: Path) -> None:
    file = tmp_path / "pulserec.toml"
    file.write_text(
        'port = 7000\nhost = "0.0.0.0"\nmodels = ["ease", "itemknn"]\nworkers = 3\n'
        '[engine]\npool = 250\ncategory_label = "genre"\n'
    )
    env = {"PULSEREC_CONFIG": str(file), "PULSEREC_PORT": "7100", "PULSEREC_WORKERS": "2"}
    settings = Settings.load({"port": 7200, "workers": None}, env=env)
    assert settings.port == 7200  # flag
    assert settings.workers == 2  # env over file (the flag was not given)
    assert settings.host == "0.0.0.0"  # file
    assert settings.engine.models == ("ease", "itemknn")
    assert settings.engine.pool == 250 and settings.engine.category_label == "genre"
    assert settings.config_file == file


def test_the_config_flag_names_the_file(tmp_path: Path) -> None:
    file = tmp_path / "a.toml"
    file.write_text('api_key = "k"\nmax_body_bytes = 1024\neval_dir = "reports"\n')
    settings = Settings.load({"config": file}, env={"PULSEREC_CONFIG": "/nowhere.toml"})
    assert settings.server == ServerSettings("k", None, 1024, Path("reports"), "127.0.0.1")


def test_every_variable_read_today_is_covered() -> None:
    env = {
        "PULSEREC_MODELS": "",
        "PULSEREC_TRAIN_EVERY": "60",
        "PULSEREC_ITEM_ENCODER": "hashing",
        "PULSEREC_QUERY_ENCODER": "hashing",
        "PULSEREC_ANSWER_CACHE": "0",
        "PULSEREC_POSITIVE_RATING": "4.5",
        "PULSEREC_API_KEY": "w",
        "PULSEREC_READ_KEY": "r",
        "PULSEREC_ALLOWED_HOSTS": "recs.example, [fd00::1]",
        "PULSEREC_MAX_BODY_BYTES": "2048",
        "PULSEREC_EVAL_DIR": "ev",
        "PULSEREC_CACHE_DIR": "cache",
        "PULSEREC_LLM_URL": "http://localhost:1/v1",
        "PULSEREC_LLM_MODEL": "m",
        "PULSEREC_LLM_KEY": "s",
        "PULSEREC_WORKERS": "4",
        "PULSEREC_DATA_DIR": "d",
    }
    settings = Settings.load({}, env=env)
    engine = settings.engine
    assert engine.models == () and engine.train_every_s == 60.0
    assert (engine.item_encoder, engine.query_encoder) == ("hashing", "hashing")
    assert engine.answer_cache == 0 and engine.positive_rating == 4.5
    hosts = ("recs.example", "[fd00::1]")
    assert settings.server == ServerSettings("w", "r", 2048, Path("ev"), "127.0.0.1", hosts)
    assert settings.cache_dir == Path("cache") and settings.data_dir == Path("d")
    assert (settings.llm.url, settings.llm.model, settings.llm.key) == (
        "http://localhost:1/v1",
        "m",
        "s",
    )
    assert settings.workers == 4


def test_bad_values_and_unknown_names_say_which(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PULSEREC_PORT"):
        Settings.load({}, env={"PULSEREC_PORT": "eighty"})
    file = tmp_path / "bad.toml"
    file.write_text("prot = 1\n")
    with pytest.raises(ValueError, match="prot"):
        Settings.load({"config": file}, env={})
    file.write_text("[engine]\npoll = 1\n")
    with pytest.raises(ValueError, match="poll"):
        Settings.load({"config": file}, env={})
    with pytest.raises(ValueError, match="cannot read"):
        Settings.load({"config": tmp_path / "absent.toml"}, env={})


def test_a_commands_flags_lay_over_loaded_settings() -> None:
    base = Settings.load({}, env={"PULSEREC_PORT": "9000", "PULSEREC_MODELS": "ease"})
    served = base.with_flags({"port": None, "data_dir": Path("x"), "dataset": "movielens-100k"})
    assert served.port == 9000 and served.data_dir == Path("x")
    assert served.engine.models == ("ease",) and served.dataset == "movielens-100k"


def test_workers_get_the_parents_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = Settings.load({"data_dir": Path("d"), "workers": 2}, env={"PULSEREC_MODELS": "a,b"})
    monkeypatch.delenv("PULSEREC_WORKER_SETTINGS", raising=False)
    hand_to_workers(parent)
    assert worker_settings() == parent

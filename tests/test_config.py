from pathlib import Path

import pytest

from convrec.config import get_settings
from convrec.errors import ConfigError


def test_paths_derive_from_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVREC_HOME", str(tmp_path / "h"))
    s = get_settings()
    assert s.catalog == tmp_path / "h" / "catalog.sqlite"
    assert s.index == tmp_path / "h" / "index"
    assert s.cache == tmp_path / "h" / "cache"


def test_explicit_paths_win(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVREC_CATALOG_PATH", str(tmp_path / "c.sqlite"))
    assert get_settings().catalog == tmp_path / "c.sqlite"


def test_env_file_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path(".env").write_text("CONVREC_LLM_BACKEND=openai\nCONVREC_LLM_BASE_URL=http://127.0.0.1:9/v1\n")
    s = get_settings()
    assert s.llm_backend == "openai"
    assert s.llm_base_url == "http://127.0.0.1:9/v1"


def test_invalid_value_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("CONVREC_LLM_BACKEND", "nonsense")
    with pytest.raises(ConfigError, match="CONVREC_LLM_BACKEND"):
        get_settings()


def test_secrets_are_masked(monkeypatch):
    monkeypatch.setenv("CONVREC_LLM_API_KEY", "sk-verysecretvalue1234")
    shown = get_settings().masked()
    assert shown["llm_api_key"] == "****1234"
    assert "verysecret" not in str(shown)

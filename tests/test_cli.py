"""The CLI as a user runs it: a real process, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 300):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONVREC_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "convrec.cli", *args],
        capture_output=True, text=True, env=full_env, timeout=timeout,
    )


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and "convrec" in result.stdout


def test_config_show_masks_secrets(tmp_path):
    result = run_cli("config", "show", "--json", env={
        "CONVREC_HOME": str(tmp_path), "CONVREC_LLM_API_KEY": "sk-supersecret-9876"})
    assert result.returncode == 0
    shown = json.loads(result.stdout)
    assert shown["llm_api_key"] == "****9876"
    assert shown["catalog_path"] == str(tmp_path / "catalog.sqlite")


def test_bad_setting_is_one_line(tmp_path):
    result = run_cli("config", "show", env={"CONVREC_LLM_BACKEND": "bogus"})
    assert_one_line_error(result, "CONVREC_LLM_BACKEND")


def test_missing_source_folder(tmp_path):
    result = run_cli("data", "build", "--source", str(tmp_path / "nowhere"),
                     env={"CONVREC_HOME": str(tmp_path)})
    assert_one_line_error(result, "nowhere", "not a folder")


def test_incomplete_source_folder_names_what_is_missing(tmp_path):
    (tmp_path / "data" / "movielens").mkdir(parents=True)
    result = run_cli("data", "build", "--source", str(tmp_path / "data"),
                     env={"CONVREC_HOME": str(tmp_path / "home")})
    assert_one_line_error(result, "movies.csv", "--source")
    assert not (tmp_path / "home" / "catalog.sqlite").exists()


def test_bad_data_dir_setting(tmp_path):
    result = run_cli("data", "build", env={"CONVREC_HOME": str(tmp_path),
                                           "CONVREC_DATA_DIR": str(tmp_path / "nope")})
    assert_one_line_error(result, "CONVREC_DATA_DIR")


def test_no_datasets_and_no_download(tmp_path):
    # Run from a folder with no ../shared/data nearby, downloads disabled.
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, "-c",
         "import convrec.catalog.sources as s; s.shared_data_candidates = lambda: [];"
         "from convrec.cli import main; import sys;"
         "sys.argv = ['convrec', 'data', 'build', '--no-download']; main()"],
        capture_output=True, text=True, cwd=work, timeout=120,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("CONVREC_")},
             "CONVREC_HOME": str(tmp_path / "home")},
    )
    assert_one_line_error(result, "no datasets found", "convrec data download")


def test_stats_without_catalog(tmp_path):
    result = run_cli("data", "stats", env={"CONVREC_HOME": str(tmp_path)})
    assert_one_line_error(result, "no catalog", "convrec data build")


@pytest.mark.integration
def test_build_then_stats(real_data_dir, tmp_path):
    env = {"CONVREC_HOME": str(tmp_path), "CONVREC_DATA_DIR": str(real_data_dir)}
    built = run_cli("data", "build", env=env)
    assert built.returncode == 0, built.stderr
    assert "catalog built" in built.stdout
    again = run_cli("data", "build", env=env)
    assert again.returncode == 0 and "up to date" in again.stdout
    stats = json.loads(run_cli("data", "stats", "--json", env=env).stdout)
    assert stats["items"]["movielens_ids"] == 9742
    assert stats["redial"]["mentions_unresolved"] == 0


def synthetic_env(synthetic_source, synthetic_catalog_path, tmp_path) -> dict[str, str]:
    root, _ = synthetic_source
    return {"CONVREC_HOME": str(tmp_path), "CONVREC_DATA_DIR": str(root),
            "CONVREC_CATALOG_PATH": str(synthetic_catalog_path)}


def test_tools_list_and_run(synthetic_source, synthetic_catalog_path, tmp_path):
    env = synthetic_env(synthetic_source, synthetic_catalog_path, tmp_path)
    listed = run_cli("tools", env=env)
    assert listed.returncode == 0 and "filter_items" in listed.stdout
    result = run_cli("tools", "filter_items", "genres_any=Comedy", "decade=1990", "limit=5",
                     env=env)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["tool"] == "filter_items" and output["items"]
    assert output["trace"].startswith("filter:")


def test_tools_bad_input_is_one_line(synthetic_source, synthetic_catalog_path, tmp_path):
    env = synthetic_env(synthetic_source, synthetic_catalog_path, tmp_path)
    unknown = run_cli("tools", "filter_items", "genres_any=scifi", env=env)
    assert_one_line_error(unknown, "scifi", "Science Fiction")
    contradictory = run_cli("tools", "filter_items", "year_from=2000", "year_to=1990", env=env)
    assert_one_line_error(contradictory, "year")
    assert_one_line_error(run_cli("tools", "nope", env=env), "unknown tool")
    assert_one_line_error(run_cli("tools", "search_bm25", "query= ", env=env), "query")

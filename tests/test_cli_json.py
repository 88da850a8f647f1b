"""Every `--json` flag prints one JSON document and nothing else on stdout (logs, progress
and "written to" lines go to stderr), on the real catalog and indexes with the smallest arguments.

The commands run in this process through click's runner, which keeps stdout and stderr
apart; the whole of stdout must be one `json.loads`-able document.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convrec.cli import app
from convrec.errors import ConvrecError
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.timeout(600)

# Every command with a --json flag (grep '"--json"' convrec/cli), and why the heavy ones
# are not run here.
NOT_RUN = {
    "llm bench": "decodes with the embedded model for minutes (tests/llm cover its output)",
    "bench claims": "needs an LLM backend (the embedded model): minutes; its --json now "
    "prints the summary instead of the markdown, as bench agent's does",
    "rl collect / reward-model / grpo / eval": "train models (tests/rl run the stages); their "
    "--json goes through the same print_json and nothing else",
}


@pytest.fixture(scope="module")
def catalog_env(real_data_dir, real_catalog_path, real_resources) -> dict[str, str]:
    """The real catalog and the session's indexes (built already for the other tests)."""
    return {"CONVREC_DATA_DIR": str(real_data_dir),
            "CONVREC_CATALOG_PATH": str(real_catalog_path),
            "CONVREC_INDEX_DIR": str(real_resources.index_dir), "CONVREC_AGENT_POLICY": "rules"}


def _inputs(folder: Path) -> dict[str, str]:
    conversations = folder / "conversations"
    conversations.mkdir(exist_ok=True)
    (conversations / "01.json").write_text(json.dumps({
        "name": "comedy", "turns": [{"text": "a comedy from the 90s"}, {"text": "more"}]}))
    requests = folder / "requests.jsonl"
    requests.write_text(json.dumps({
        "id": "two", "text": "a comedy and a drama",
        "parts": [{"genres_all": ["Comedy"]}, {"genres_all": ["Drama"]}]}) + "\n")
    return {"conversations": str(conversations), "requests": str(requests)}


COMMANDS = {
    "config show": ["config", "show", "--json"],
    "data stats": ["data", "stats", "--json"],
    "bench tools": ["bench", "tools", "--json", "--no-build", "--repeats", "1",
                    "--retrieval-limit", "2", "--write", "--doc", "{doc}"],
    "bench agent": ["bench", "agent", "--json", "--backend", "none", "--conversations",
                    "{conversations}", "--write", "--doc", "{doc}"],
    "bench goals": ["bench", "goals", "--json", "--backend", "none", "--requests",
                    "{requests}"],
    "bench extract": ["bench", "extract", "--json", "--dataset", "paraphrase", "--limit", "2",
                      "--suite", str(REPO_ROOT / "benchmarks/extract/paraphrase_suite.jsonl"),
                      "--write", "--doc", "{doc}"],
    "eval redial": ["eval", "redial", "--json", "--limit", "2", "--systems", "popularity",
                    "--write", "--doc", "{doc}"],
    "llm health": ["llm", "health", "--json", "--backend", "openai"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_json_is_the_whole_of_stdout(name, catalog_env, tmp_path, monkeypatch):
    for key, value in catalog_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CONVREC_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens
    monkeypatch.setenv("CONVREC_LLM_TIMEOUT_S", "2")
    values = {**_inputs(tmp_path), "doc": str(tmp_path / "BENCHMARKS.md")}
    args = [a.format(**values) for a in COMMANDS[name]]
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, ConvrecError | SystemExit), (
        repr(result.exception))
    assert result.stdout.strip(), f"no output; stderr: {result.stderr[-2000:]}"
    document = json.loads(result.stdout)  # the whole of stdout, nothing before or after
    assert isinstance(document, dict | list)
    if name == "llm health":  # the endpoint is down: the JSON says so, the exit code too
        assert result.exit_code == 1 and document["ok"] is False
    if "{doc}" in COMMANDS[name]:
        assert "written to" in result.stderr and Path(values["doc"]).is_file()

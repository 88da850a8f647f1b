"""A missing, truncated or foreign catalog or index file: one line naming the command that
rebuilds it, from the Agent API and from the CLI (`convrec chat --script`, `convrec ui`),
never a traceback.

Each case is a home of links to the real catalog and indexes (the prebuilt home or the
session's build; nothing of theirs is written) with one file replaced: removed, cut to a
third, or swapped for something else (text, another SQLite database, another index's file,
a manifest of another catalog). The checks themselves: `convrec.filecheck` (headers and
sizes) through `indexes.guarded` (every index loader) and `catalog.db.connect_read_only`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from convrec.agent.service import Agent
from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.tools.context import Resources
from tests.conftest import REPO_ROOT
from tests.harness.app_process import free_port, real_app_env

COMMAND = re.compile(r"`convrec (data build|index build|cf train|rank train)[^`]*`")
INDEXES = ("bm25", "cf", "dense", "profiles", "ranker")

# (file under the home, damage): each index's files and the catalog, each kind of damage.
# `make test` runs one case per file (the first list); CONVREC_TESTS_FULL=1 runs them all.
CASES = [
    ("catalog.sqlite", "truncated"),
    ("catalog.sqlite", "foreign"),  # another SQLite database (the profile store)
    ("index/bm25/fields.npz", "truncated"),
    ("index/cf/model.npz", "text"),
    ("index/dense/vectors.npy", "truncated"),
    ("index/profiles/profiles.sqlite", "text"),
    ("index/ranker/model.txt", "truncated"),  # LightGBM itself would abort the process
]
FULL_CASES = [
    ("catalog.sqlite", "missing"),
    ("index/bm25/item_ids.npy", "missing"),
    ("index/cf/manifest.json", "other-catalog"),
    ("index/dense/item_ids.npy", "foreign"),  # another index's array, another shape
    ("index/profiles/profiles.sqlite", "truncated"),
    ("index/ranker/contexts.npz", "truncated"),
]
if os.environ.get("CONVREC_TESTS_FULL") == "1":
    CASES += FULL_CASES


def damaged_home(real_catalog_path: Path, index_dir: Path, root: Path, target: str,
                 damage: str) -> Path:
    """A home linking to the real files, with `target` damaged (a file of its own)."""
    home = root / "home"
    (home / "index").mkdir(parents=True)
    (home / "catalog.sqlite").symlink_to(real_catalog_path)
    for name in INDEXES:
        (home / "index" / name).mkdir()
        for path in (index_dir / name).iterdir():
            if name == "profiles" and path.name != "profiles.sqlite":
                if path.name == "manifest.json":
                    shutil.copy(path, home / "index" / name / path.name)
                continue  # the WAL files stay with the original
            if name == "profiles":  # the store is opened read-write: a copy of its own
                shutil.copy(path, home / "index" / name / path.name)
            else:
                (home / "index" / name / path.name).symlink_to(path)
    path = home / target
    data = path.read_bytes()
    path.unlink()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif damage == "text":
        path.write_text("not what this file should hold\n" * 50)
    elif damage == "foreign":
        other = {".sqlite": index_dir / "profiles" / "profiles.sqlite",
                 ".npy": index_dir / "dense" / "vectors.npy"}[path.suffix]
        path.symlink_to(other)
    elif damage == "other-catalog":
        manifest = json.loads(data)
        manifest["catalog"] = "3:" + "f" * 64
        path.write_text(json.dumps(manifest))
    return home


def assert_one_line(message: str) -> None:
    assert "\n" not in message.strip(), message
    assert "Traceback" not in message, message
    assert COMMAND.search(message), message


@pytest.fixture
def real_home_parts(real_catalog_path, real_resources) -> tuple[Path, Path]:
    return real_catalog_path, real_resources.index_dir


@pytest.mark.timeout(600)
@pytest.mark.parametrize(("target", "damage"), CASES, ids=[f"{t}:{d}" for t, d in CASES])
def test_the_agent_api_says_what_to_rebuild(real_home_parts, tmp_path, llm_cache_dir, target,
                                            damage):
    home = damaged_home(real_home_parts[0], real_home_parts[1], tmp_path, target, damage)
    settings = Settings(home=home, llm_cache_dir=llm_cache_dir)
    with pytest.raises(ConvrecError) as caught:
        agent = Agent(settings, resources=Resources.from_settings(settings), use_llm=False)
        agent.warm_up()
        agent.turn("films like The Matrix", thread_id="damaged")
    assert_one_line(str(caught.value))
    if target.startswith("catalog"):
        assert "convrec data build" in str(caught.value)
    elif damage != "other-catalog":
        name = target.split("/")[1]
        assert f"`convrec index build --only {name} --force`" in str(caught.value)


def _cli(args: list[str], env: dict[str, str], stdin: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convrec.cli", *args], env=env, cwd=REPO_ROOT,
                          input=stdin, capture_output=True, text=True, timeout=400)


@pytest.mark.timeout(900)
def test_the_cli_says_what_to_rebuild(real_home_parts, tmp_path, llm_cache_dir):
    script = tmp_path / "turns.txt"
    script.write_text("films like The Matrix\n")
    for target, damage, command in [
        ("index/dense/vectors.npy", "truncated", ["chat", "--backend", "none",
                                                  "--script", str(script)]),
        ("index/cf/model.npz", "text", ["ui", "--backend", "none", "--port",
                                        str(free_port())]),
    ]:
        root = tmp_path / target.replace("/", "-")
        home = damaged_home(real_home_parts[0], real_home_parts[1], root, target, damage)
        env = real_app_env(home, catalog=home / "catalog.sqlite", index_dir=home / "index",
                           llm_cache=llm_cache_dir)
        done = _cli(command, env)
        assert done.returncode != 0, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, done.stderr
        assert_one_line(errors[0])
        assert f"`convrec index build --only {target.split('/')[1]} --force`" in errors[0]

"""The trained policy's prompt has a version: a checkpoint records the version it was trained on
(policy.json), and loading one trained on another version fails in one line, before any weights
are read."""

from __future__ import annotations

import hashlib
import json

import pytest

from convrec.agent.policy import (
    POLICY_FILE,
    check_prompt_version,
    load_trained_policy,
    trained_prompt_version,
)
from convrec.errors import ConfigError
from convrec.prompts import POLICY_PROMPT_FILES, POLICY_PROMPT_VERSION, load_prompt

# sha256 of the policy prompt files (POLICY_PROMPT_FILES, joined) at each version. A change to
# those files fails here: bump POLICY_PROMPT_VERSION (checkpoints trained on the old prompt are
# then refused) and record the new hash.
PROMPT_HASHES = {1: "68efcb419e1f95679e594562f6a328cdaf3a1dbb5475496b242054afa0a10bf3"}


def prompt_hash() -> str:
    text = "\n".join(load_prompt(name) for name in POLICY_PROMPT_FILES)
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_policy_prompt_changes_only_with_its_version():
    assert PROMPT_HASHES.get(POLICY_PROMPT_VERSION) == prompt_hash(), (
        "the trained policy's prompt changed: bump POLICY_PROMPT_VERSION in "
        "convrec/prompts/__init__.py and record the new hash in PROMPT_HASHES")


def checkpoint(folder, info=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}")  # no weights: the check comes before loading
    if info is not None:
        (folder / POLICY_FILE).write_text(json.dumps(info))
    return folder


def test_a_checkpoint_of_another_prompt_version_is_refused_in_one_line(tmp_path):
    other = POLICY_PROMPT_VERSION + 1
    folder = checkpoint(tmp_path / "policy", {"format": "convrec-policy/1",
                                             "prompt_version": other})
    with pytest.raises(ConfigError) as caught:
        load_trained_policy(folder)
    message = str(caught.value)
    assert "\n" not in message
    assert f"trained on policy prompt version {other}" in message
    assert f"policy prompt is version {POLICY_PROMPT_VERSION}" in message and "retrain" in message


def test_recorded_versions(tmp_path):
    current = checkpoint(tmp_path / "current", {"prompt_version": POLICY_PROMPT_VERSION})
    assert trained_prompt_version(current) == POLICY_PROMPT_VERSION
    check_prompt_version(current, current)  # no error
    older = checkpoint(tmp_path / "older", {"format": "convrec-policy/1", "stage": "grpo"})
    assert trained_prompt_version(older) == 1  # written before versions were recorded
    assert trained_prompt_version(checkpoint(tmp_path / "bare")) is None  # not convrec's
    broken = checkpoint(tmp_path / "broken")
    (broken / POLICY_FILE).write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read"):
        trained_prompt_version(broken)
    odd = checkpoint(tmp_path / "odd", {"prompt_version": "one"})
    with pytest.raises(ConfigError, match="no valid prompt_version"):
        load_trained_policy(odd)


def test_training_records_the_prompt_version_and_rewriting_keeps_it(tmp_path):
    from convrec.rl.card import read_policy_info, write_card
    from convrec.rl.config import RlConfig

    folder = checkpoint(tmp_path / "run" / "policy")
    write_card(folder, RlConfig(), tmp_path / "run", stage="grpo", training={"base_model": "x"})
    info = read_policy_info(folder)
    assert info is not None and info["prompt_version"] == POLICY_PROMPT_VERSION
    assert f"Policy prompt version: {POLICY_PROMPT_VERSION}" in (folder / "README.md").read_text()
    check_prompt_version(folder, folder)
    write_card(folder, RlConfig(), tmp_path / "run", stage="grpo", training=info["training"],
               results="later", prompt_version=7)  # what `convrec rl eval` passes on
    assert trained_prompt_version(folder) == 7

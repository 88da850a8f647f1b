"""Random script files through `convrec chat --script FILE`: the command line itself
(`convrec.cli.main`: option parsing, the script reader, the turns, the one-line errors),
with the session's agent standing in for the one the command would load.

Scripts: lines of random unicode, huge lines, blank files, bytes that are not UTF-8,
JSON of the wrong shape or types, nested JSON, path-like, SQL and prompt text; paths that
are folders, missing or not regular files. The command either prints one JSON object per
turn and exits 0, or exits non-zero with one line on stderr that is a user error
("error: ..."), never an internal error or a traceback.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import convrec.cli
from convrec.cli import chat as chat_cli
from tests.fuzz.conftest import SENTINEL_THREAD, file_hash, state_digest
from tests.fuzz.strategies import FUZZ, PATHS, REQUESTS, TIMEOUT_S, deep_json, json_values, texts

pytestmark = pytest.mark.timeout(TIMEOUT_S)

LINE = texts(surrogates=False).map(lambda t: t.replace("\r", " ").replace("\n", " ")[:20_000])
LINES = st.lists(st.one_of(LINE, st.just(""), st.just("# a comment")), max_size=3).map(
    "\n".join)
TURN = st.one_of(LINE, st.fixed_dictionaries({"text": st.one_of(LINE, json_values())}),
                 json_values())
SCRIPT_VALUES = (
    st.lists(TURN, max_size=3),
    st.fixed_dictionaries({"turns": st.one_of(st.lists(TURN, max_size=3), json_values())},
                          optional={"user": st.one_of(json_values(), st.sampled_from(
                              ["ml:608", "ml:abc", "critic:../../etc/passwd"]))}),
    json_values(),
)
JSON_SCRIPT = st.one_of(
    *(v.map(lambda v: json.dumps(v, ensure_ascii=False, default=str)) for v in SCRIPT_VALUES),
    st.builds(deep_json, st.sampled_from(REQUESTS), st.integers(1, 3000)),
)
TEXT = st.one_of(LINES, LINES, JSON_SCRIPT, JSON_SCRIPT, st.just(""), st.just("\n\n  \n"),
                 st.sampled_from(["[", "{\"turns\": ", "[1, 2", "{\"turns\": [1e999999]}",
                                  "[" + "9" * 5000 + "]"]))
BYTES = st.one_of(st.binary(max_size=300),
                  LINE.map(lambda t: t.encode("utf-16")),
                  st.text(st.characters(categories=["Cs", "Lo"]), min_size=1, max_size=20).map(
                      lambda t: t.encode("utf-8", "surrogatepass")))
WHERE = st.one_of(st.just("file"), st.just("file"), st.just("file"), st.just("folder"),
                  st.just("missing"), st.sampled_from(["/dev/null", "/proc/self/status"]))


def run_cli(args: list[str], capsys: Any) -> tuple[int, str, str]:
    """`convrec ARGS` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    old = sys.argv
    sys.argv = ["convrec", *args]
    code = 0
    try:
        convrec.cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def shared_agent(fuzz_agent, monkeypatch) -> Any:
    monkeypatch.setattr(chat_cli, "make_agent", lambda backend, policy=None: fuzz_agent)
    return fuzz_agent


@given(content=st.one_of(TEXT, TEXT, TEXT, BYTES), where=WHERE,
       thread=st.one_of(st.none(), st.sampled_from(["fuzz-script", *PATHS]), LINE))
@FUZZ
def test_scripts_run_or_fail_in_one_line(shared_agent, sentinel_state, tmp_path, capsys,
                                         content, where, thread):
    path = tmp_path / f"script-{uuid.uuid4().hex[:8]}.txt"
    if where == "file":
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    elif where == "folder":
        path.mkdir(exist_ok=True)
    elif where != "missing":
        path = Path(where)
    args = ["chat", "--script", str(path)] + ([] if thread is None else ["--thread", thread])
    if where == "missing":
        args[2] = str(tmp_path / "no-such-script.txt")
    code, out, err = run_cli(args, capsys)
    if code == 0:
        for line in out.splitlines():  # every line reader's breaks: one record a line
            record = json.loads(line)
            assert record["reply"].strip() and isinstance(record["item_ids"], list)
    else:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), err[-2000:]
        assert "Traceback" not in err and not out.strip()
    assert state_digest(shared_agent, SENTINEL_THREAD) == sentinel_state


def test_the_catalog_is_unchanged(fuzz_agent, real_catalog_path, catalog_hash):
    assert file_hash(real_catalog_path) == catalog_hash

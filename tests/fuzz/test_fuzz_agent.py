"""Bad input through the agent's own API: `turn`, `stream`, `feedback`, `remove_constraint`.

Every case either answers or raises a `ConvrecError` with a one-line message; a turn that
recommends shows only catalog films meeting the ledger's hard constraints (the benchmark's
own check, `eval.bench_agent.check_turn`); the sentinel thread and the catalog file do not
change.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convrec.agent.ledger import Ledger
from convrec.errors import ConvrecError
from convrec.eval.bench_agent import check_turn
from convrec.tools.context import ToolContext
from tests.fuzz.conftest import SENTINEL_THREAD, file_hash, one_line, state_digest
from tests.fuzz.strategies import FUZZ, NUMBERS, PATHS, TIMEOUT_S, json_values, texts

pytestmark = pytest.mark.timeout(TIMEOUT_S)

THREADS = st.one_of(st.sampled_from(["fuzz-a", "fuzz-b", "fuzz-c"]),
                    texts(huge=False).map(lambda t: t[:200] or "fuzz-empty"),
                    st.sampled_from(PATHS))
USERS = st.one_of(st.none(), st.sampled_from(["ml:608", "ml:1", "critic:Roger Ebert"]),
                  st.sampled_from(["ml:", "ml:-1", "ml:99999999999999999999999", "critic:",
                                   "ml:1; DROP TABLE items", "critic:../../etc/passwd",
                                   "admin", ""]),
                  texts(huge=False))


def _assert_clean(agent: Any, result: Any, before: Ledger) -> None:
    """Films from the catalog, meeting the ledger's hard constraints, none repeated."""
    findings = check_turn(result, before=before, earlier={}, ctx=ToolContext(agent.resources))
    assert not findings.violations, findings.violations
    assert not findings.out_of_catalog, findings.out_of_catalog
    assert len(result.item_ids) == len(set(result.item_ids))
    assert result.reply.strip()


def _run(call: Any) -> Any:
    """The call's value, or None when it refused with a one-line ConvrecError."""
    try:
        return call()
    except ConvrecError as exc:
        assert one_line(str(exc)), repr(str(exc))
        return None


@given(message=texts(), thread=THREADS, user=USERS, streamed=st.booleans())
@FUZZ
def test_turns_answer_or_refuse_in_one_line(fuzz_agent, sentinel_state, message, thread,
                                            user, streamed):
    before = _run(lambda: fuzz_agent.ledger(thread))
    if streamed:
        def call() -> Any:
            events = list(fuzz_agent.stream(message, thread_id=thread, user_id=user))
            assert all(isinstance(e, dict) and "event" in e for e in events)
            assert events[-1]["event"] == "final"
            return events[-1]["result"]
    else:
        def call() -> Any:
            return fuzz_agent.turn(message, thread_id=thread, user_id=user)
    result = _run(call)
    if result is not None:
        assert before is not None and result.thread_id == thread
        _assert_clean(fuzz_agent, result, before)
    assert state_digest(fuzz_agent, SENTINEL_THREAD) == sentinel_state


WRONG = st.one_of(json_values(), NUMBERS, texts(huge=False))


@given(message=WRONG, thread=THREADS)
@FUZZ
def test_wrong_types_are_refused_in_one_line(fuzz_agent, sentinel_state, message, thread):
    """A message, thread or user that is not text (what a bad HTTP body hands over)."""
    calls = ({"message": message, "thread_id": thread, "user_id": None},
             {"message": "a comedy", "thread_id": message, "user_id": None},
             {"message": "a comedy", "thread_id": thread, "user_id": message})
    for kwargs in calls:
        result = _run(lambda kw=kwargs: fuzz_agent.turn(kw.pop("message"), **kw))
        if result is not None:
            assert result.reply.strip()
    assert state_digest(fuzz_agent, SENTINEL_THREAD) == sentinel_state


ITEM_IDS = st.one_of(NUMBERS, st.sampled_from([1, 2, 100, 318]), json_values(),
                     st.sampled_from(["1", " 42 ", "1e3", "0x10", "-5", "NaN"]))
KINDS = st.one_of(st.sampled_from(["like", "reject", "seen"]), texts(huge=False), json_values())


@given(thread=THREADS, item_id=ITEM_IDS, kind=KINDS, key=st.one_of(texts(huge=False),
       json_values()), pick_chip=st.booleans())
@FUZZ
def test_feedback_and_chip_removal_refuse_in_one_line(fuzz_agent, sentinel_state, thread,
                                                      item_id, kind, key, pick_chip):
    ledger = _run(lambda: fuzz_agent.feedback(thread, item_id, kind))
    if ledger is not None:
        assert int(item_id) in {**ledger.liked, **ledger.rejected, **ledger.seen}
    current = _run(lambda: fuzz_agent.ledger(thread))
    chips = current.chips() if current is not None else []
    if pick_chip and chips:
        key = chips[0].key
    after = _run(lambda: fuzz_agent.remove_constraint(thread, key))
    if after is not None:
        assert key not in {c.key for c in after.chips()}
    assert state_digest(fuzz_agent, SENTINEL_THREAD) == sentinel_state


def test_the_catalog_is_unchanged(fuzz_agent, real_catalog_path, catalog_hash):
    assert file_hash(real_catalog_path) == catalog_hash

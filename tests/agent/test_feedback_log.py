"""The durable feedback log."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from convrec.agent.feedback_log import FeedbackLog


def test_rows_are_appended_with_utc_timestamps_and_survive_reopening(tmp_path):
    path = tmp_path / "feedback.sqlite"
    log = FeedbackLog(path)
    log.record(thread_id="t1", user_id=None, item_id=1, kind="like", turn=1, source="ui")
    log.record(thread_id="t2", user_id="ml:1", item_id=2, kind="reject", turn=3)
    log.close()
    again = FeedbackLog(path)
    rows = again.rows()
    assert [(r.thread_id, r.item_id, r.kind, r.source) for r in rows] == [
        ("t1", 1, "like", "ui"), ("t2", 2, "reject", "api")]
    assert all(r.at.endswith("+00:00") for r in rows)
    assert [r.user_id for r in again.rows("t2")] == ["ml:1"]
    with pytest.raises(sqlite3.IntegrityError):
        again.record(thread_id="t1", user_id=None, item_id=1, kind="adore", turn=1)


def test_concurrent_writers_lose_nothing(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.sqlite")

    def write(n: int) -> None:
        for i in range(50):
            log.record(thread_id=f"t{n}", user_id=None, item_id=i, kind="seen", turn=i)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(log.rows()) == 200

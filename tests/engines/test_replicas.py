"""Two app replicas (`convrec ui` processes, tests/harness/app_process.py) share one PostgreSQL
(CONVREC_SESSIONS_URL, tests/harness/postgres.py): a thread started on one continues on the
other with its whole ledger, feedback given on either is in the shared log and acts on the
next turn wherever it runs, and the database going away mid-session costs one clear error,
never the thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from convrec.agent.feedback_log import PostgresFeedbackLog
from tests.harness.app_process import AppProcess, real_app_env
from tests.harness.postgres import PASSWORD, PostgresServer

pytestmark = pytest.mark.integration

FIRST = "a comedy from the 90s, nothing with Adam Sandler"
CHIPS = ["Comedy", "1990-1999", "no Adam Sandler"]


def start_all(apps: list[AppProcess]) -> None:
    """Start the replicas side by side (each loads the indexes: ~15 s)."""
    errors: list[BaseException] = []

    def start(app: AppProcess) -> None:
        try:
            app.start()
        except BaseException as exc:  # re-raised below, with the others stopped
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(app,)) for app in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for app in apps:
            app.stop()
        raise errors[0]


@pytest.fixture(scope="module")
def replicas(postgres_server: PostgresServer, real_resources, real_catalog_path,
             tmp_path_factory) -> Iterator[tuple[str, list[AppProcess]]]:
    url = postgres_server.new_database("replicas")
    root = tmp_path_factory.mktemp("replicas")
    apps = [AppProcess(real_app_env(root / f"home-{n}", catalog=real_catalog_path,
                                    index_dir=real_resources.index_dir,
                                    CONVREC_SESSIONS_URL=url), root / f"replica-{n}.log")
            for n in (1, 2)]
    start_all(apps)
    try:
        yield url, apps
    finally:
        for app in apps:
            app.stop()


def turn(app: AppProcess, message: str, thread_id: str = "") -> dict[str, Any]:
    return app.client().predict(message, thread_id, "", api_name="/turn")


def check_comedies_of_the_90s(result: dict[str, Any], catalog) -> None:
    assert result["cards"], result["reply"]
    for item in catalog.items(result["item_ids"]):
        assert "Comedy" in item.genres and 1990 <= item.year <= 1999, item


@pytest.mark.timeout(600)
def test_a_thread_and_its_feedback_move_between_replicas(replicas, real_catalog):
    url, (one, two) = replicas
    first = turn(one, FIRST)
    assert first["turn"] == 1 and first["chips"] == CHIPS
    check_comedies_of_the_90s(first, real_catalog)
    thread = first["thread_id"]

    second = turn(two, "more please", thread)  # the other replica, the same thread
    assert second["thread_id"] == thread and second["turn"] == 2
    assert second["chips"] == CHIPS  # the constraints of turn 1 hold
    check_comedies_of_the_90s(second, real_catalog)
    assert not set(second["item_ids"]) & set(first["item_ids"])  # nothing shown twice
    assert {str(i) for i in first["item_ids"]} <= set(second["ledger"]["shown"])

    # feedback on replica 2, in the log every replica reads, acted on by replica 1
    rejected = second["item_ids"][0]
    done = two.client().predict(thread, rejected, "reject", "", api_name="/feedback")
    assert str(rejected) in done["ledger"]["rejected"]
    log = PostgresFeedbackLog(url)
    try:
        rows = log.rows(thread)
    finally:
        log.close()
    assert [(r.item_id, r.kind, r.turn, r.source) for r in rows] == [
        (rejected, "reject", 2, "api")]
    third = turn(one, "any others?", thread)
    assert third["turn"] == 3 and third["chips"] == CHIPS
    assert str(rejected) in third["ledger"]["rejected"]
    assert rejected not in third["item_ids"]
    with pytest.raises(Exception, match="no thread"):
        one.client().predict("never-started", rejected, "like", "", api_name="/feedback")


@pytest.mark.timeout(600)
def test_postgres_going_away_mid_session_costs_one_clear_error(replicas, postgres,
                                                              real_catalog):
    _, (one, two) = replicas
    first = turn(one, FIRST)
    thread = first["thread_id"]
    postgres.stop()
    try:
        for app, message, to in ((one, "more please", thread), (two, "a western", "")):
            with pytest.raises(Exception) as caught:
                turn(app, message, to)
            said = str(caught.value)
            assert "sessions database" in said and "unreachable" in said, said
            assert "\n" not in said.strip() and PASSWORD not in said
    finally:
        postgres.start()
    for app in (one, two):
        assert "Traceback" not in app.log(100_000), app.log()
        assert PASSWORD not in app.log(100_000)

    # back: the thread goes on from its last complete turn, on either replica
    second = turn(two, "more please", thread)
    assert second["turn"] == 2 and second["chips"] == CHIPS
    check_comedies_of_the_90s(second, real_catalog)
    assert not set(second["item_ids"]) & set(first["item_ids"])
    third = turn(one, "more please", thread)  # replica 1's pool reconnected too
    assert third["turn"] == 3 and third["chips"] == CHIPS

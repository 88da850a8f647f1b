"""Accounts and isolation of the browser app (issue 19, security): several logins, threads that
belong to the login that opened them, per-login profile edits, jobs with owners, a per-login
rate limit under concurrent requests, and secrets that reach no file and no log.

The app is served in this process with CONVREC_UI_AUTH set (three logins, one admin) and
driven through its real HTTP API with gradio_client (`auth=(login, password)`); what only
the page can do (resume, feedback, chips, profile edits, jobs) is driven through the page's
own handlers with a request signed in as each login. The profile store is a copy of the real
one, so the edits made here stay in the test.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

from convrec.config import Settings, parse_ui_admins, parse_ui_auth
from convrec.errors import ConfigError

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

PASSWORDS = {"alice": "alice-Pw-7f3k9q", "bob": "bob-Pw-9q2m4x", "root": "root-Pw-4x8z1c"}
API_KEY = "sk-test-SECRET-5b7e1d9c"
NO_SUCH_CHAT = "no such chat"
USER, KEY = "ml:608", "genre:Crime"  # the picker's first rater, who likes crime films


def signed_in(login: str | None, **query: str) -> Any:
    """A request as gradio hands it to a page handler, signed in as `login`."""
    return SimpleNamespace(username=login, query_params=query, client=None)


# ----------------------------------------------------------------------------- settings


def test_several_logins_and_admins_are_read_and_checked():
    from convrec.ui.accounts import Accounts

    assert parse_ui_auth("me:pw") == {"me": "pw"}  # the single-pair form
    assert parse_ui_auth(" alice:a:b , bob:pw2 ") == {"alice": "a:b", "bob": "pw2"}
    assert Settings(ui_auth="me:pw").ui_credentials() == ("me", "pw")
    for bad in ("nocolon", "a:pw,b", "a:pw,:x", "a:pw,a:other", ",", "a:"):
        with pytest.raises(ConfigError) as err:
            parse_ui_auth(bad)
        message = str(err.value)
        assert "\n" not in message and "CONVREC_UI_AUTH" in message
        assert "pw" not in message and "other" not in message  # no password is quoted
    assert parse_ui_admins("root, alice", {"root": "x", "alice": "y"}) == {"root", "alice"}
    with pytest.raises(ConfigError, match="'eve' is not a login"):
        Settings(ui_auth="root:x", ui_admins="eve").ui_admin_logins()
    with pytest.raises(ConfigError, match="set CONVREC_UI_AUTH"):
        Settings(ui_admins="root").ui_admin_logins()
    accounts = Accounts(Settings(ui_auth="alice:pw1,bob:pw2", ui_admins="bob"))
    assert accounts.check("alice", "pw1") and accounts.check("bob", "pw2")
    assert not accounts.check("alice", "pw2") and not accounts.check("eve", "pw1")
    assert not accounts.check("alice", "") and not accounts.check("", "")
    assert accounts.is_admin("bob") and not accounts.is_admin("alice")
    assert not accounts.is_admin(None) and not Accounts(Settings()).enabled
    shown = Settings(ui_auth="alice:pw-alice-1,bob:pw-bob-22").masked()["ui_auth"]
    assert shown == "alice:****,bob:****"  # `convrec settings` shows logins, no password


def test_the_rate_limit_counts_exactly_under_concurrent_hits():
    from convrec.ui.ratelimit import RateLimiter

    limiter = RateLimiter(10)
    start = threading.Barrier(40)

    def hit(client: str) -> float:
        start.wait()
        return limiter.hit(client)

    with ThreadPoolExecutor(40) as pool:
        waits = list(pool.map(hit, ["user:alice"] * 30 + ["user:bob"] * 10))
    assert sum(w == 0 for w in waits[:30]) == 10  # alice: exactly the limit passes
    assert all(w == 0 for w in waits[30:])  # bob: unaffected


def test_every_secret_setting_is_masked_in_log_records():
    from convrec.redact import MASK, RedactFilter, secret_values

    class WithSessions(Settings):  # a SecretStr setting added later is a secret too
        sessions_url: SecretStr | None = None

    settings = WithSessions(ui_auth="alice:pw-alice-1,bob:pw-bob-22",
                            llm_api_key=SecretStr(API_KEY),
                            sessions_url=SecretStr("postgresql://app:db-Pass-77@h:5432/c"))
    secrets = secret_values(settings)
    for value in ("pw-alice-1", "pw-bob-22", API_KEY, "db-Pass-77"):
        assert value in secrets
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "connect %s key=%s",
                               ("postgresql://app:db-Pass-77@h:5432/c", API_KEY), None)
    assert RedactFilter(secrets).filter(record)
    text = record.getMessage()
    assert "db-Pass-77" not in text and API_KEY not in text and MASK in text


# ----------------------------------------------------------------------------- the app


@pytest.fixture(scope="module")
def auth_settings(ui_settings, tmp_path_factory) -> Settings:
    from tests.ui.conftest import free_port

    home = tmp_path_factory.mktemp("auth-home")
    (home / "eval").symlink_to(ui_settings.home / "eval", target_is_directory=True)
    return Settings(
        home=home, catalog_path=ui_settings.catalog_path, index_dir=ui_settings.index_dir,
        llm_cache_dir=ui_settings.llm_cache_dir, ui_port=free_port(), ui_rate_limit=1000,
        llm_backend="local", llm_api_key=SecretStr(API_KEY),
        ui_auth=SecretStr(",".join(f"{u}:{p}" for u, p in PASSWORDS.items())),
        ui_admins="root", runs_dir=tmp_path_factory.mktemp("auth-runs"),
    )


@pytest.fixture(scope="module")
def auth_resources(real_resources, tmp_path_factory) -> Any:
    """The real catalog and indexes, with a copy of the profile store."""
    from convrec.tools.context import Resources
    from convrec.tools.profiles import ProfileStore, profiles_path

    copy = tmp_path_factory.mktemp("auth-profiles") / "profiles.sqlite"
    source = sqlite3.connect(profiles_path(real_resources.index_dir))
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    resources = Resources(real_resources.catalog, real_resources.index_dir)
    resources._loaded.update(real_resources._loaded)  # the indexes this session loaded
    resources._loaded["profiles.store"] = ProfileStore(copy)
    return resources


@pytest.fixture(scope="module")
def auth_app(auth_settings, auth_resources):
    """(ChatApp, URL) served with three logins; turns answered from templates (fast)."""
    from convrec.ui.app import ChatApp, serve
    from convrec.ui.backends import AgentPool, BackendChoice

    pool = AgentPool(auth_settings, resources=auth_resources)
    app = ChatApp(auth_settings, pool=pool, backend=BackendChoice(kind="none"))
    demo, url = serve(app, block=False, warm=False)
    yield app, url.rstrip("/")
    demo.close()
    app.jobs.close()


def client_of(url: str, login: str) -> Any:
    from gradio_client import Client

    return Client(url, auth=(login, PASSWORDS[login]), verbose=False)


def test_a_login_cannot_continue_or_probe_another_logins_thread(auth_app):
    _, url = auth_app
    alice, bob = client_of(url, "alice"), client_of(url, "bob")
    first = alice.predict("a western", "", "", api_name="/turn")
    thread = first["thread_id"]
    assert first["cards"]
    with pytest.raises(Exception, match=NO_SUCH_CHAT) as foreign:
        bob.predict("more please", thread, "", api_name="/turn")
    with pytest.raises(Exception, match=NO_SUCH_CHAT) as unknown:
        bob.predict("more please", "web-0123456789abcdef", "", api_name="/turn")
    assert str(foreign.value) == str(unknown.value)  # ids cannot be probed
    film = first["item_ids"][0]
    with pytest.raises(Exception, match=NO_SUCH_CHAT):  # nor given feedback by another login
        bob.predict(thread, film, "reject", "", api_name="/feedback")
    liked = alice.predict(thread, film, "like", "", api_name="/feedback")
    assert str(film) in liked["ledger"]["liked"]
    again = alice.predict("more please", thread, "", api_name="/turn")
    assert again["thread_id"] == thread and again["turn"] == 2  # bob changed nothing
    assert not set(again["item_ids"]) & set(first["item_ids"])
    own = bob.predict("a comedy", "", "", api_name="/turn")
    assert own["thread_id"] != thread and own["turn"] == 1


def test_the_page_refuses_another_logins_thread(auth_app):
    app, url = auth_app
    alice = client_of(url, "alice")
    first = alice.predict("a comedy from the 90s", "", "", api_name="/turn")
    thread = first["thread_id"]
    reader = app._reader()
    before = reader.state(thread)
    assert before["owner"] == "alice" and first["chips"]
    # bob's browser, even holding the id in its (forged) thread list: nothing opens
    forged = [{"id": thread, "login": "bob", "title": "x"}]
    bob = signed_in("bob", thread=thread)
    loaded = app.on_load(forged, bob)
    assert loaded[app.session].thread_id != thread and loaded[app.chatbot] == []
    assert NO_SUCH_CHAT in loaded[app.status]
    resumed = app.resume(thread, forged, None, bob)
    assert resumed[app.session].thread_id != thread and resumed[app.chatbot] == []
    assert NO_SUCH_CHAT in resumed[app.status]
    # a session pointing at alice's thread (as if it leaked) cannot act on it either
    stolen = app._new_session(login="bob")
    stolen.thread_id, stolen.cards = thread, [dict(first["cards"][0])]
    stolen.chip_keys = [c.key for c in reader.ledger(thread).chips()]
    assert NO_SUCH_CHAT in app.feedback(0, "like", stolen, bob)[app.status]
    assert NO_SUCH_CHAT in app.remove_chip(0, stolen, bob)[app.status]
    after = reader.state(thread)
    assert after["ledger"] == before["ledger"] and after["history"] == before["history"]
    assert not reader.feedback_log.rows(thread)
    # alice's own browser resumes it; her feedback lands
    mine = [{"id": thread, "login": "alice", "title": "x"}]
    own = app.resume(thread, mine, None, signed_in("alice"))
    assert own[app.session].thread_id == thread and len(own[app.chatbot]) == 2
    session = own[app.session]
    assert "Noted" in app.feedback(0, "like", session, signed_in("alice"))[app.status]
    assert int(session.cards[0]["item_id"]) in reader.ledger(thread).liked
    # the earlier-chats list of one browser shows each login only its own chats
    from convrec.ui.session import own_threads

    shared = [{"id": "t1", "login": "alice"}, {"id": "t2", "login": "bob"}]
    assert [t["id"] for t in own_threads(shared, "bob")] == ["t2"]
    assert [t["id"] for t in own_threads(shared, None)] == ["t1", "t2"]  # no logins: all


def entry_polarity(html: str) -> str:
    tag = re.search(rf'<details[^>]*data-key="{re.escape(KEY)}"[^>]*>', html)
    assert tag, html[:500]
    found = re.search(r'data-polarity="(\w+)"', tag.group(0))
    assert found
    return found.group(1)


def test_profile_edits_are_per_login(auth_app, real_catalog):
    from convrec.tools.context import ToolContext
    from convrec.tools.profiles.tool import profile_entries

    app, url = auth_app
    store = app._store()

    def polarity(scope: str | None) -> str:
        ctx = ToolContext(app.pool.resources, USER, edit_scope=scope)
        return next(e.polarity for e in profile_entries(ctx)[0] if e.key == KEY)

    assert polarity(None) == polarity("alice") == polarity("bob") == "like"
    session = app._new_session(user_id=USER, login="alice")
    done = app.edit_entry("flip", KEY, session, signed_in("alice"))
    assert "Flipped" in done[app.status]
    try:
        assert polarity("alice") == "dislike"
        assert polarity("bob") == "like" and polarity(None) == "like"  # nobody else's view
        assert store.edits(USER) == {} and store.edits(USER, "bob") == {}
        panels = {login: app._profile(app._new_session(user_id=USER, login=login))[
            app.profile] for login in ("alice", "bob")}
        assert entry_polarity(panels["bob"]) == "like"  # the page bob sees
        assert entry_polarity(panels["alice"]) == "dislike"
        # what each login's recommendations do with it, through the API
        crime = lambda ids: [i for i in ids if "Crime" in real_catalog.items([i])[0].genres]  # noqa: E731
        bobs = client_of(url, "bob").predict("recommend me something", "", USER,
                                              api_name="/turn")
        alices = client_of(url, "alice").predict("recommend me something", "", USER,
                                                  api_name="/turn")
        assert crime(bobs["item_ids"]), bobs["item_ids"]  # bob's ml:608 still likes crime
        assert not crime(alices["item_ids"]), alices["item_ids"]  # alice told it otherwise
        # bob cannot undo alice's edit: his restore is his own
        app.edit_entry("restore", KEY, app._new_session(user_id=USER, login="bob"),
                       signed_in("bob"))
        assert polarity("alice") == "dislike"
    finally:
        store.restore_entry(USER, KEY, scope="alice")
    assert polarity("alice") == "like"


def test_jobs_have_owners_and_only_the_owner_or_an_admin_stops_one(auth_app):
    app, _ = auth_app
    tab = app.evaluate_tab
    slow = {"systems": ["agent:none"], "n": 30, "scenarios": ["movielens:test"]}
    job = app.jobs.start("simulate", {"name": "alices", **slow}, owner="alice")
    try:
        refused = tab.stop(signed_in("bob"))
        assert "only its owner or an admin" in refused[tab.status]
        assert app.jobs.get(job.id).active and not app.jobs.get(job.id).stop_requested
        rows = tab._history()
        assert rows[0][2] == job.title and rows[0][-1] == "alice"  # whose job it is
        stopped = tab.stop(signed_in("root"))  # an admin may
        assert "Cancelled" in stopped[tab.status] or "Stopping" in stopped[tab.status]
        second = app.jobs.start("simulate", {"name": "alices-2", **slow}, owner="alice")
        assert app.jobs.stop(second.id, login="alice").id == second.id  # the owner may
    finally:
        for j in app.jobs.jobs():
            if j.active:
                app.jobs.stop(j.id)
    deadline = time.monotonic() + 120
    while any(j.active for j in app.jobs.jobs()) and time.monotonic() < deadline:
        time.sleep(0.2)


def test_the_rate_limit_holds_per_login_under_concurrent_requests(auth_app):
    from convrec.ui.ratelimit import RateLimiter

    app, url = auth_app
    saved = app.limiter
    app.limiter = RateLimiter(3)
    try:
        alice, bob = client_of(url, "alice"), client_of(url, "bob")
        jobs = [alice.submit(f"a western number {i}", "", "", api_name="/turn")
                for i in range(8)]
        bobs = [bob.submit("a comedy", "", "", api_name="/turn") for _ in range(2)]
        outcomes = []
        for job in jobs:
            try:
                outcomes.append(job.result(timeout=300)["thread_id"])
            except Exception as exc:
                outcomes.append(str(exc))
        assert sum(o.startswith("web-") for o in outcomes) == 3, outcomes
        assert sum("too many messages" in o for o in outcomes) == 5, outcomes
        assert all(b.result(timeout=300)["turn"] == 1 for b in bobs)  # bob is unaffected
    finally:
        app.limiter = saved


def test_no_secret_reaches_home_runs_or_logs(auth_app, auth_settings, caplog):
    """A job and a few turns with an API key and three passwords set: none of them in any
    file under HOME or the runs folder (job.json, settings.json, status.json, log.txt, the
    sessions and feedback databases), nor in anything logged meanwhile."""
    app, url = auth_app
    caplog.set_level(logging.DEBUG)
    fast = {"systems": ["popularity"], "n": 2, "scenarios": ["movielens:test"]}
    job = app.jobs.start("simulate", {"name": "secret-scan", **fast}, owner="alice")
    alice = client_of(url, "alice")
    first = alice.predict("a heist film", "", USER, api_name="/turn")
    alice.predict("something older", first["thread_id"], USER, api_name="/turn")
    client_of(url, "root").predict("a western", "", "", api_name="/turn")
    deadline = time.monotonic() + 300
    while app.jobs.get(job.id).active and time.monotonic() < deadline:
        time.sleep(0.3)
    assert app.jobs.get(job.id).state == "done", app.jobs.log_tail(job.id)
    secrets = [API_KEY, *PASSWORDS.values()]
    roots = [Path(auth_settings.home), Path(auth_settings.runs_dir)]
    scanned = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink() and "eval" not in path.relative_to(
                    root).parts[:1]:
                data = path.read_bytes()
                scanned += 1
                for secret in secrets:
                    assert secret.encode() not in data, f"a secret in {path}"
    assert scanned >= 6  # job.json, settings.json, status.json, log.txt, sessions, ...
    job_folder = app.jobs.store.folder(job.id)
    assert {"job.json", "settings.json", "status.json", "log.txt"} <= {
        p.name for p in job_folder.iterdir()}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records
    for secret in secrets:
        assert secret not in logged


def test_the_cli_logging_masks_secrets(monkeypatch, capsys):
    """`convrec ...` sets logging up with the filter: a library logging a secret shows
    '****' on stderr."""
    from convrec.cli.common import load_settings

    monkeypatch.setenv("CONVREC_LLM_API_KEY", API_KEY)
    monkeypatch.setenv("CONVREC_UI_AUTH", "alice:" + PASSWORDS["alice"])
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        load_settings()
        logging.getLogger("some.library").warning("dsn with key=%s pw=%s", API_KEY,
                                                  PASSWORDS["alice"])
        err = capsys.readouterr().err
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert "dsn with key=****" in err
    assert API_KEY not in err and PASSWORDS["alice"] not in err

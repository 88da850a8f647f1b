"""Bad input through the served app's HTTP API: `/turn` through gradio_client, and raw
POSTs to gradio's call route with wrong types, nested JSON and huge bodies.

One app process (`tests/harness/app_process.py`, templates only) serves every case. A turn
either answers (its cards from the catalog, meeting the ledger's hard constraints) or is
refused with a short one-line message; no response carries a traceback, no request gets a
500, no traceback in the app's log passes through convrec's code, and the catalog file
does not change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convrec.agent.ledger import Ledger
from convrec.eval.bench_agent import check_turn
from convrec.tools.context import ToolContext
from tests.fuzz.conftest import file_hash
from tests.fuzz.strategies import FUZZ, NUMBERS, PATHS, TIMEOUT_S, deep, json_values, texts
from tests.harness.app_process import AppProcess, real_app_env

pytestmark = pytest.mark.timeout(TIMEOUT_S)


@pytest.fixture(scope="module")
def app(real_resources, real_catalog_path, tmp_path_factory) -> Iterator[AppProcess]:
    home = tmp_path_factory.mktemp("fuzz-app")
    env = real_app_env(home / "home", catalog=real_catalog_path,
                       index_dir=real_resources.index_dir)
    with AppProcess(env, home / "app.log") as process:
        yield process


@pytest.fixture(scope="module")
def client(app) -> Any:
    return app.client()


def _short_error(exc: BaseException) -> None:
    text = str(exc).strip()
    assert text and "Traceback" not in text and len(text.splitlines()) <= 2, text[-2000:]


@given(message=texts(surrogates=False), thread=st.one_of(st.just(""), st.sampled_from(
    ["fuzz-http-a", *PATHS]), texts(surrogates=False, huge=False)),
    user=st.one_of(st.just(""), st.sampled_from(["ml:608", "ml:-1", "critic:x'; --"]),
                   texts(surrogates=False, huge=False)))
@FUZZ
def test_turns_through_gradio_client(client, real_resources, message, thread, user):
    try:
        result = client.predict(message, thread, user, api_name="/turn")
    except Exception as exc:  # gradio_client raises AppError with the app's message
        _short_error(exc)
        return
    findings = check_turn(_Result(result), before=Ledger(), earlier={},
                          ctx=ToolContext(real_resources))
    assert not findings.violations and not findings.out_of_catalog, findings


BODY = st.one_of(
    st.fixed_dictionaries({"data": st.lists(st.one_of(json_values(), NUMBERS), max_size=4)}),
    st.fixed_dictionaries({"data": st.tuples(json_values(), json_values(), json_values())}),
    json_values(),
    st.builds(lambda d: {"data": [deep("a comedy", d), "", ""]}, st.integers(10, 900)),
    st.integers(100_000, 3_000_000).map(lambda n: {"data": ["x" * n, "", ""]}),
)


@given(body=BODY, raw=st.booleans())
@FUZZ
def test_raw_posts_to_the_call_route(app, body, raw):
    text = json.dumps(body, default=str) if not raw else json.dumps(body, default=str)[:-1]
    with httpx.Client(base_url=app.url, timeout=120) as http:
        posted = http.post("/gradio_api/call/turn", content=text.encode(),
                           headers={"content-type": "application/json"})
        assert posted.status_code < 500, posted.text[:2000]
        assert "Traceback" not in posted.text
        if posted.status_code != 200:
            return
        event = posted.json().get("event_id")
        streamed = http.get(f"/gradio_api/call/turn/{event}")
        assert streamed.status_code < 500 and "Traceback" not in streamed.text


def test_inputs_that_are_not_text_are_refused_in_one_line(app):
    """Regression: a number or a list as the message was an AttributeError in the queue."""
    with httpx.Client(base_url=app.url, timeout=120) as http:
        for data in ([123, "", ""], [["a comedy"], "", ""], ["a comedy", {"x": 1}, ""]):
            event = http.post("/gradio_api/call/turn", json={"data": data}).json()["event_id"]
            streamed = http.get(f"/gradio_api/call/turn/{event}").text
            assert "must be text" in streamed, streamed[-500:]


def test_no_traceback_in_the_log_and_the_catalog_is_unchanged(app, real_catalog_path,
                                                             catalog_hash):
    # gradio itself logs a traceback when a raw body has the wrong number of inputs (its
    # own check, before convrec's code); none may pass through convrec's code
    log = app.log(tail=10_000_000)
    ours = [block for block in log.split("Traceback (most recent call last):")[1:]
            if "/convrec/" in block]
    assert not ours, ours[0][-3000:]
    assert file_hash(real_catalog_path) == catalog_hash


class _Result:
    """The fields of a TurnResult that check_turn reads, from the API's JSON."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.item_ids = data.get("item_ids") or []
        self.ledger = data.get("ledger") or {}
        self.cards = data.get("cards") or []

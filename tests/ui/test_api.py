"""The app's API through gradio_client, and the optional login."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

pytestmark = pytest.mark.integration


def test_one_turn_and_a_follow_up_through_gradio_client(ui_server, real_catalog):
    from gradio_client import Client

    _, url = ui_server
    client = Client(url, verbose=False)
    first = client.predict("a comedy from the 90s, nothing with Adam Sandler", "", "",
                           api_name="/turn")
    assert first["act"] == "recommend" and len(first["cards"]) >= 3
    for card in first["cards"]:
        item = real_catalog.items([card["item_id"]])[0]
        assert "Comedy" in item.genres and 1990 <= item.year <= 1999
    assert first["chips"] == ["Comedy", "1990-1999", "no Adam Sandler"]
    second = client.predict("more please", first["thread_id"], "", api_name="/turn")
    assert second["thread_id"] == first["thread_id"] and second["turn"] == 2
    assert second["item_ids"] and not set(second["item_ids"]) & set(first["item_ids"])


def test_api_errors_are_one_line_messages(ui_server):
    from gradio_client import Client

    _, url = ui_server
    client = Client(url, verbose=False)
    with pytest.raises(Exception, match="empty message"):
        client.predict("   ", "", "", api_name="/turn")
    with pytest.raises(Exception, match="unknown user ml:99999999"):
        client.predict("a western", "", "ml:99999999", api_name="/turn")
    as_user = client.predict("a western", "", "ml:608", api_name="/turn")
    assert as_user["user_id"] == "ml:608"
    with pytest.raises(Exception, match="belongs to ml:608"):
        client.predict("more", as_user["thread_id"], "ml:1", api_name="/turn")


def test_the_login_is_required_when_configured(ui_settings, ui_pool):
    from gradio_client import Client

    from convrec.ui.app import ChatApp, serve
    from tests.ui.conftest import free_port

    settings = ui_settings.model_copy(update={"ui_auth": SecretStr("tester:s3cret"),
                                              "ui_port": free_port()})
    demo, url = serve(ChatApp(settings, pool=ui_pool), block=False, warm=False)
    try:
        assert httpx.get(f"{url.rstrip('/')}/config").status_code == 401
        with pytest.raises(Exception):  # noqa: B017 - refused, however the client words it
            Client(url, verbose=False)
        with pytest.raises(Exception):  # noqa: B017
            Client(url, auth=("tester", "wrong"), verbose=False)
        client = Client(url, auth=("tester", "s3cret"), verbose=False)
        assert client.predict("a western", "", "", api_name="/turn")["cards"]
    finally:
        demo.close()

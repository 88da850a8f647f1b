"""The harness itself: an app process serves a turn over its API, and is killed cleanly."""

from __future__ import annotations

import pytest

from tests.harness.app_process import AppProcess, real_app_env


@pytest.mark.timeout(900)
def test_app_process_answers_a_turn_and_dies_on_kill(real_resources, real_catalog_path,
                                                      tmp_path):
    env = real_app_env(tmp_path / "home", catalog=real_catalog_path,
                       index_dir=real_resources.index_dir)
    app = AppProcess(env, tmp_path / "app.log")
    with app:
        result = app.client().predict("a heist film from the 90s", "", "", api_name="/turn")
        assert result["cards"], app.log()
        assert result["thread_id"]
        app.kill()
        assert app.proc is not None and app.proc.poll() is not None

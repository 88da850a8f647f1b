"""Serving the browser app: `serve(app)` on settings.ui_host:ui_port (`convrec.ui.app.launch`
builds the app and serves it: `convrec ui`)."""

from __future__ import annotations

import logging

import gradio as gr

from convrec.ui.assets import CSS
from convrec.ui.layout import Layout

log = logging.getLogger(__name__)


def serve(app: Layout, *, block: bool = True, warm: bool = True) -> tuple[gr.Blocks, str]:
    """Serve `app` on settings.ui_host:ui_port (loopback by default; never shared).

    `warm` loads the indexes and the default model first, so the first visitor does not
    wait; `block=False` returns at once (tests, and `convrec ui`, which waits itself).
    """
    settings = app.settings
    accounts = app.accounts  # the logins of CONVREC_UI_AUTH, checked in constant time
    auth = accounts.check if accounts.enabled else None
    if warm:
        app.pool.warm_up(app.default_backend, app.active_policy)
        app.users()
    recovered = app.jobs.recovered  # marks the jobs a previous server left running
    if recovered:
        log.warning("%d job(s) left by a previous server marked interrupted", len(recovered))
    demo = app.build()
    demo.queue(default_concurrency_limit=4, max_size=settings.ui_queue_size)
    _, url, _ = demo.launch(
        server_name=settings.ui_host, server_port=settings.ui_port or None, share=False,
        auth=auth, auth_message="convrec: sign in" if auth else None, show_error=False,
        ssr_mode=False, prevent_thread_lock=not block, quiet=not block,
        footer_links=["api"], css=CSS, theme=gr.themes.Soft(), mcp_server=False,
        allowed_paths=[str(app.jobs.runs_dir)],  # the run folders' plots
    )
    return demo, url


"""The Evaluate and Train tabs in a real browser: a small simulated-user evaluation and a tiny
RL run started from the page, run as background jobs (real processes over the real catalog and
the embedded model), watched, reattached after a reload, and the trained checkpoint switched
into the chat."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

JOB_TIMEOUT_MS = 600_000  # a tiny RL run is a few minutes on a busy 2-core machine


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def _fill(page, selector: str, value: str) -> None:
    page.locator(f"{selector} input, {selector} textarea").first.fill(value)


def _check(page, group: str, label: str, on: bool) -> None:
    box = page.locator(f"{group} label", has_text=label).locator("input")
    if box.is_checked() != on:
        box.click()


def _job_state(page, box: str, state: str, timeout: float = JOB_TIMEOUT_MS) -> None:
    page.wait_for_selector(f'{box} .job-box[data-state="{state}"]', state="attached",
                           timeout=timeout)


def test_a_small_evaluation_from_the_page(chat, ui_server):
    app, _ = ui_server
    page = chat.page
    _open_tab(page, "Evaluate")
    _fill(page, "#ev-name", "browser-eval")
    _fill(page, "#ev-n", "4")
    _check(page, "#ev-backends", "embedded LLM", False)
    _check(page, "#ev-backends", "templates only", True)
    _check(page, "#ev-baselines", "popularity", True)
    page.click("#ev-start")
    page.wait_for_function(
        "() => /Started|Queued/.test(document.querySelector('#ev-status')?.innerText || '')")
    # the page shows the job while it runs: its state, a progress bar, the CLI line
    _job_state(page, "#ev-job", "running", 120_000)
    assert "convrec simulate" in page.inner_text("#ev-job")
    assert "browser-eval" in page.inner_text("#ev-job")
    _job_state(page, "#ev-job", "done")
    job = app.jobs.current("eval")
    assert job.state == "done" and job.status.progress.done == job.status.progress.total == 8
    # the finished run opens with its report: the systems side by side and the plots
    page.wait_for_function(
        "() => (document.querySelector('#ev-report')?.innerText || '').includes('agent:none')",
        timeout=60_000)
    report = page.inner_text("#ev-report")
    assert "popularity" in report and "success" in report
    page.wait_for_selector("#ev-plots img", timeout=30_000)
    chat.shot("evaluate", height=1700)  # docs/img/evaluate.png in the README
    # one dialogue as a transcript, the hidden target revealed, each turn's act and trace
    page.get_by_role("tab", name="Dialogues", exact=True).click()
    page.click("#ev-dialogue input")
    page.locator('[role="option"]', has_text="agent:none").first.click()
    page.wait_for_selector("#ev-dialogue-head .dialogue-head", timeout=30_000)
    head = page.inner_text("#ev-dialogue-head")
    assert "Hidden target:" in head and "agent:none" in head
    page.wait_for_function(
        "() => document.querySelectorAll('#ev-transcript [data-testid=\"user\"]').length > 0")
    transcript = page.inner_text("#ev-transcript")
    assert "Turn 1:" in transcript
    chat.shot("transcript")
    # two systems of the run, compared with paired bootstrap intervals
    page.get_by_role("tab", name="Compare", exact=True).click()
    for box in ("#cmp-a", "#cmp-b"):
        page.click(f"{box} input")
        page.locator('[role="option"]', has_text="browser-eval").first.click()
    _fill(page, "#cmp-system-a", "popularity")
    _fill(page, "#cmp-system-b", "agent:none")
    page.click("#cmp-go")
    page.wait_for_function(
        "() => (document.querySelector('#cmp-out')?.innerText || '').includes('success')",
        timeout=60_000)
    assert "agent:none" in page.inner_text("#cmp-out")


def test_a_tiny_rl_run_from_the_page_then_chat_with_its_policy(chat, ui_server):
    app, _ = ui_server
    page = chat.page
    _open_tab(page, "Train")
    _fill(page, "#tr-name", "browser-rl")
    page.locator("#tr-preset label", has_text="small").click()
    page.wait_for_function(  # the small preset's YAML is in the editor
        "() => (document.querySelector('#tr-config')?.innerText || '').includes('n: 2')")
    _check(page, "#tr-stages", "reward model", False)  # GRPO's reward model weight needs it
    page.click("#tr-start")
    page.wait_for_function(
        "() => (document.querySelector('#tr-status')?.innerText || '').includes('reward model')")
    _check(page, "#tr-stages", "reward model", True)
    page.click("#tr-start")
    _job_state(page, "#tr-job", "running", 120_000)
    job_id = page.get_attribute("#tr-job .job-box", "data-job")
    # a second training is refused while this one runs
    page.click("#tr-start")
    page.wait_for_function(
        "() => (document.querySelector('#tr-status')?.innerText || '').includes('already')")
    # reload mid-run: the page reattaches to the running job
    page.wait_for_selector('#tr-job .job-box[data-stage="grpo"]', state="attached",
                           timeout=JOB_TIMEOUT_MS)
    page.reload()
    page.wait_for_selector("#turn-marker .turn-marker", state="attached", timeout=120_000)
    _open_tab(page, "Train")
    page.wait_for_selector(f'#tr-job .job-box[data-job="{job_id}"]', state="attached",
                           timeout=30_000)
    assert page.get_attribute("#tr-job .job-box", "data-state") in ("running", "done")
    _job_state(page, "#tr-job", "done")
    # its curves, step times and the before / after comparison
    page.wait_for_function(
        "() => (document.querySelector('#tr-job')?.innerText || '').includes('s a step')",
        timeout=30_000)
    page.wait_for_selector("#tr-curves img", timeout=30_000)
    page.wait_for_function(
        "() => (document.querySelector('#tr-compare')?.innerText || '').includes('Before')",
        timeout=60_000)
    assert "baseline" in page.inner_text("#tr-compare")
    # the new checkpoint is picked, with its model card; one click makes it the chat's
    page.wait_for_function(
        "() => (document.querySelector('#tr-card')?.innerText || '').includes('Results')",
        timeout=30_000)
    chat.shot("train", height=1500)  # docs/img/train.png in the README
    page.click("#tr-use")
    page.wait_for_selector('#active-policy[data-policy="rl/browser-rl/policy"]',
                           state="attached", timeout=60_000)
    assert app.active_policy is not None and app.active_policy.name == "policy"
    _open_tab(page, "Chat")
    chat.open_panel("panel-sessions", "#new-chat")
    page.click("#new-chat")
    chat.wait_status("new chat")
    assert "rl/browser-rl/policy" in page.inner_text("#policy-label")
    chat.send("a comedy from the 90s")
    step = page.locator('#chat [data-testid="bot"]').first
    if "policy (" not in step.inner_text():
        step.locator("button, .title").first.click()
    page.wait_for_function(
        "() => (document.querySelector('#chat [data-testid=\"bot\"]')?.innerText || '')"
        ".includes('policy (policy:policy)')", timeout=30_000)
    assert "policy: rl/browser-rl/policy" in step.inner_text()
    app.set_policy(None)  # the other browser tests chat with the rules

"""`convrec llm say | health | serve` as a user runs them: real processes, one-line errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.agent.conftest import free_port


def cli_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVREC_")}
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], timeout: int = 300):
    return subprocess.run(
        [sys.executable, "-m", "convrec.cli", *args],
        capture_output=True, text=True, env=cli_env(env), timeout=timeout,
    )


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_say_streams_the_local_model(local_llm, llm_cache_dir, tmp_path):
    result = run_cli(
        "llm", "say", "What is the capital of France? Answer in one sentence.",
        "--max-tokens", "12",
        env={"CONVREC_HOME": str(tmp_path), "CONVREC_LLM_CACHE_DIR": str(llm_cache_dir)},
    )
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout


def test_health_of_an_openai_endpoint(openai_server, tmp_path):
    result = run_cli(
        "llm", "health", "--backend", "openai",
        env={"CONVREC_HOME": str(tmp_path), "CONVREC_LLM_BASE_URL": openai_server},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:") and "SmolLM2-135M-Instruct" in result.stdout


def test_health_of_a_dead_endpoint_is_one_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run_cli(
        "llm", "health",
        env={"CONVREC_HOME": str(tmp_path), "CONVREC_LLM_BACKEND": "openai",
             "CONVREC_LLM_BASE_URL": url, "CONVREC_LLM_MODEL": "m"},
    )
    assert_one_line_error(result, f"cannot reach the LLM endpoint at {url}: connection refused")


def test_say_to_a_dead_endpoint_is_one_line_after_retries(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run_cli(
        "llm", "say", "hi", "--backend", "openai",
        env={"CONVREC_HOME": str(tmp_path), "CONVREC_LLM_BASE_URL": url,
             "CONVREC_LLM_MAX_RETRIES": "1"},
    )
    assert_one_line_error(result, f"cannot reach the LLM endpoint at {url}: connection refused")


def test_say_with_an_unknown_backend_is_one_line(tmp_path):
    result = run_cli("llm", "say", "hi", "--backend", "nope", env={"CONVREC_HOME": str(tmp_path)})
    assert_one_line_error(result, "unknown LLM backend 'nope'")


def test_serve_on_a_busy_port_is_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(
            "llm", "serve", "--backend", "openai", "--port", str(port),
            env={"CONVREC_HOME": str(tmp_path), "CONVREC_LLM_BASE_URL": "http://127.0.0.1:9/v1",
                 "CONVREC_LLM_MODEL": "m"},
        )
    assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port}")


def test_serve_relays_another_endpoint(openai_server, tmp_path):
    """`convrec llm serve --backend openai` in front of the session's server: the real command,
    without loading a second model."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "convrec.cli", "llm", "serve", "--backend", "openai",
         "--port", str(port)],
        env=cli_env({"CONVREC_HOME": str(tmp_path), "CONVREC_LLM_BASE_URL": openai_server}),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # Ctrl-C as at a terminal, even when the tests run in a background job (where the
        # shell starts children with SIGINT ignored, so Python would never see it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.3)
        reply = httpx.post(
            f"{base}/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "What is the capital of France?"}],
                  "max_tokens": 12},
            timeout=60,
        )
        assert reply.status_code == 200
        assert "Paris" in reply.json()["choices"][0]["message"]["content"]
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "stopped" in err

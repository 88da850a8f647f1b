"""`convrec chat`: talk to the agent in the terminal, or replay a script of user turns.

Interactive: replies stream as they are written; the tool trace is shown dim.
Commands: /new (a new thread), /ledger, /like N, /seen N, /reject N (N = the
film's number in the last list), /quit.

`--script FILE` (one turn per line, or JSON: a list of turns, or an object with
"turns" and optionally "user") prints one JSON object per turn: the ledger, the
chosen act, the plan, the tool trace, the recommended ids and the reply.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from convrec.cli.common import console, err_console, settings_and_catalog
from convrec.errors import ConvrecError

BACKENDS = ("local", "openai", "vllm", "none")
MAX_SCRIPT_BYTES = 10_000_000


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)


def read_script(path: Path) -> tuple[list[str], str | None]:
    """User turns from a script file, and the user id it names (JSON form only)."""
    try:
        if not path.is_file():
            raise ConvrecError(f"cannot read script {path}: not a file")
        if path.stat().st_size > MAX_SCRIPT_BYTES:
            raise ConvrecError(f"script {path} is over {MAX_SCRIPT_BYTES // 1_000_000} MB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConvrecError(f"cannot read script {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConvrecError(f"script {path} is not UTF-8 text (byte {exc.start})") from None
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ConvrecError(f"script {path} is not valid JSON: {exc.msg} (line {exc.lineno})"
                               ) from None
        except (ValueError, RecursionError):  # a number too long, lists nested too deep
            raise ConvrecError(f"script {path} is JSON this reader refuses (nested too deep "
                               "or a number too long)") from None
        user = None
        if isinstance(data, dict):
            user = data.get("user")
            data = data.get("turns")
        if not isinstance(data, list):
            raise ConvrecError(f"script {path}: expected a list of turns or {{\"turns\": [...]}}")
        if user is not None and not isinstance(user, str):
            raise ConvrecError(f"script {path}: \"user\" must be text such as ml:42")
        return [_turn_text(path, n, t) for n, t in enumerate(data, 1)], user
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")], None


def _turn_text(path: Path, number: int, turn: Any) -> str:
    """A JSON script's turn: text, or an object whose "text" is text."""
    text = turn.get("text", "") if isinstance(turn, dict) else turn
    if not isinstance(text, str):
        raise ConvrecError(f"script {path}: turn {number} must be text or {{\"text\": \"...\"}}")
    return text


def check_policy(policy: Path | None) -> dict[str, Any]:
    """The settings update that makes `--policy PATH` the dialogue policy ({} when unset)."""
    if policy is None:
        return {}
    if not (policy / "config.json").is_file():
        raise ConvrecError(f"--policy: no policy checkpoint at {policy} (a folder written by "
                           "convrec rl grpo, e.g. runs/rl/default/policy)")
    return {"agent_policy_path": policy.resolve()}


def make_agent(backend: str | None, policy: Path | None = None) -> Any:
    """The agent on the settings, with the catalog and every index built if missing."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.agent.service import Agent

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.context import Resources

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.index_build import build_indexes

    settings, catalog = settings_and_catalog()
    settings = settings.model_copy(update=check_policy(policy))
    with err_console.status("checking the indexes…"):
        build_indexes(catalog, settings.index)
    if backend is not None and backend not in BACKENDS:
        raise ConvrecError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    use_llm = backend != "none"
    if backend not in (None, "none"):
        settings = settings.model_copy(update={"llm_backend": backend})
    return Agent(settings, resources=Resources.from_settings(settings, catalog), use_llm=use_llm)


def chat(
    user: Annotated[str | None, typer.Option(
        "--user", help="Chat as a dataset user: ml:<MovieLens userId> or critic:<name>.")] = None,
    thread: Annotated[str | None, typer.Option(
        "--thread", help="Resume this thread (default: a new one).")] = None,
    backend: Annotated[str | None, typer.Option(
        "--backend", help="LLM backend: local, openai, vllm, or none (templates only).")] = None,
    script: Annotated[Path | None, typer.Option(
        "--script", help="Replay user turns from a file; print one JSON object per turn.")] = None,
    policy: Annotated[Path | None, typer.Option(
        "--policy", help="A dialogue policy trained by convrec rl grpo (its folder).")] = None,
) -> None:
    """Chat with the recommender."""
    thread_id = thread or f"cli-{uuid.uuid4().hex[:12]}"
    if script is not None:
        turns, script_user = read_script(script)
        agent = make_agent(backend, policy)
        run_script(agent, turns, thread_id, user or script_user)
        return
    agent = make_agent(backend, policy)
    if not sys.stdin.isatty():
        run_script(agent, [line for line in sys.stdin.read().splitlines() if line.strip()],
                   thread_id, user)
        return
    interactive(agent, thread_id, user)


def run_script(agent: Any, turns: list[str], thread_id: str, user: str | None) -> None:
    for message in turns:
        result = agent.turn(message, thread_id=thread_id, user_id=user)
        sys.stdout.write(json_line(turn_record(result)))
        sys.stdout.flush()


def json_line(record: dict[str, Any]) -> str:
    """One JSON Lines record: the characters a line reader splits on (U+0085, U+2028,
    U+2029; json escapes the ASCII ones) are escaped too, so a record is one line."""
    text = json.dumps(record, ensure_ascii=False)
    for ch, escaped in LINE_BREAKS.items():
        text = text.replace(ch, escaped)
    return text + "\n"


LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def turn_record(result: Any) -> dict[str, Any]:
    """One line of `--script` output."""
    return {
        "thread": result.thread_id, "turn": result.turn, "user": result.user_id,
        "message": result.message, "user_act": result.user_act, "act": result.act,
        "act_source": result.act_source, "plan": result.plan, "plan_source": result.plan_source,
        "trace": result.trace, "item_ids": result.item_ids,
        "titles": [c["title"] for c in result.cards], "reply": result.reply,
        "reply_source": result.reply_source, "ledger": result.ledger, "chips": result.chips,
        "notes": result.notes, "timings_ms": result.timings_ms,
        "first_token_ms": result.first_token_ms,
    }


def interactive(agent: Any, thread_id: str, user: str | None) -> None:
    with err_console.status("loading the model and indexes…"):
        agent.warm_up()
    who = user or "anonymous"
    console.print(f"[bold]convrec[/] · thread {thread_id} · {who} · /quit to leave, /new for a "
                  "new chat", highlight=False)
    while True:
        try:
            message = console.input("[bold cyan]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        command = message.strip()
        if command in ("/quit", "/exit"):
            return
        if command == "/new":
            thread_id = f"cli-{uuid.uuid4().hex[:12]}"
            console.print(f"[dim]new thread {thread_id}[/]")
            continue
        if command == "/ledger":
            console.print(", ".join(agent.ledger(thread_id).describe()) or "(empty)")
            continue
        if command.startswith(("/like", "/seen", "/reject")):
            _feedback(agent, thread_id, command)
            continue
        _stream_turn(agent, message, thread_id, user)


def _stream_turn(agent: Any, message: str, thread_id: str, user: str | None) -> None:
    console.print("[bold magenta]convrec>[/] ", end="")
    streamed = []
    try:
        for event in agent.stream(message, thread_id=thread_id, user_id=user):
            kind = event["event"]
            if kind == "token":
                streamed.append(event["text"])
                console.print(event["text"], end="", markup=False, highlight=False)
            elif kind == "reset":
                console.print()
                streamed = []
            elif kind == "tool":
                err_console.print(f"[dim]  · {event['line']}[/]", highlight=False)
            elif kind == "final":
                result = event["result"]
                if "".join(streamed).strip() != result.reply.strip():
                    console.print("\n" + result.reply, markup=False, highlight=False)
                console.print()
    except ConvrecError as exc:
        console.print(f"\n[red]{exc}[/]")


def _feedback(agent: Any, thread_id: str, command: str) -> None:
    name, _, arg = command.partition(" ")
    shown = agent.ledger(thread_id).last_shown
    if not arg.strip().isdigit() or not 1 <= int(arg) <= len(shown):
        console.print(f"[red]usage: {name} N, where N is a film's number in the last list "
                      f"(1-{len(shown) or 1})[/]")
        return
    kind = {"/like": "like", "/seen": "seen", "/reject": "reject"}[name]
    agent.feedback(thread_id, shown[int(arg) - 1], kind, source="cli")
    console.print(f"[dim]noted: {kind} film {arg}[/]")

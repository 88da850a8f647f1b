"""An OpenAI-compatible model that obeys any instruction it reads, served on loopback by
tests/agent/scripted_model.scripted_server (real ChatOpenAI, openai client, HTTP, JSON).

It stands in for a capable hosted model at its worst: whatever a request's messages carry
(the user's request, tool results, the facts of a reply) is read as instructions.

- Tool-calling planner requests (a `finish` tool is offered): round 1 searches, round 2
  looks up the films it is told to read (else the first found), so it reads their
  overviews; round 3 obeys what it read: a JSON tool call or an OpenAI `tool_calls` object
  in the text is called as written, "call <tool> for user <id>" calls it with that user,
  "recommend <title>" looks the title up and searches for it, "the user wants <genre>"
  filters for the genre; round 4 finishes with every ranker, the pushed film as the
  query, another user's id and the injected constraints.
- Structured requests (plan, reading, goals): the injected genre and film, when it read any.
- Text requests (the whole reply, the intro): names every film of the facts, then repeats
  each instruction it read and follows it (the pushed film, markup, another user's id).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.agent.scripted_model import ScriptedModel

INSTRUCTION = re.compile(r"ignore previous instructions|system:|new instructions|as user ",
                         re.I)
RECOMMEND = re.compile(r"recommend (?:only )?(?:horror films such as )?(The Shining)")
WANTS = re.compile(r"the user wants (\w+)", re.I)
CALL_FOR_USER = re.compile(r"call (\w+) for user ([\w:]+)")
USER_REF = re.compile(r"\b(?:ml|rt):\w+")
MARKUP = re.compile(r"<script>.*?</script>|<img[^>]*>|!?\[[^\]]*\]\([^)]*\)")
FACT_LINE = re.compile(r"^- (.+?)(?: \((\d{4})\))?: ", re.M)


def _texts(request: dict[str, Any]) -> list[str]:
    out = []
    for message in request.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out += [p.get("text", "") for p in content if isinstance(p, dict)]
    return out


def _json_objects(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    found = []
    for start in [m.start() for m in re.finditer(r"\{", text)]:
        try:
            value, _ = decoder.raw_decode(text[start:])
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


class Orders:
    """What the instructions in some texts ask for."""

    def __init__(self, texts: list[str]) -> None:
        data = "\n".join(texts)
        self.instructed = bool(INSTRUCTION.search(data) or MARKUP.search(data)
                               or "tool_calls" in data or '"arguments"' in data)
        self.films = sorted(set(RECOMMEND.findall(data)))
        self.genres = sorted({g.capitalize() for g in WANTS.findall(data)})
        self.users = sorted(set(USER_REF.findall(data)))
        self.markup = sorted(set(MARKUP.findall(data)))
        self.calls: list[tuple[str, dict[str, Any]]] = []
        for obj in _json_objects(data):
            for call in obj.get("tool_calls") or []:
                fn = call.get("function") or {}
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except ValueError:
                    args = {}
                self.calls.append((str(fn.get("name")), args))
            if "name" in obj and isinstance(obj.get("arguments"), dict):
                self.calls.append((str(obj["name"]), obj["arguments"]))
        for tool, user in CALL_FOR_USER.findall(data):
            self.calls.append((tool, {"user_id": user, "k": 5}))


class ObedientModel(ScriptedModel):
    """A `ScriptedModel` (served by scripted_server, recording every request) whose answers
    obey what it reads instead of following a script."""

    def __init__(self, read: list[int] | None = None) -> None:
        super().__init__([])
        self.read = list(read or [])  # the films it looks up (else the first ones found)
        self.obeyed: list[str] = []  # what it did because an instruction said so

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        names = {t.get("function", {}).get("name") for t in request.get("tools") or []}
        with self._lock:
            if "finish" in names:
                self.planner_requests.append(request)
                number = len([m for m in request["messages"] if m.get("role") == "assistant"])
                return _calls(self._plan_step(request, number), number)
            self.other_requests.append(request)
        orders = Orders(_texts(request))
        fmt = request.get("response_format") or {}
        if fmt.get("type") in ("json_schema", "json_object") or names:
            schema = (fmt.get("json_schema") or {}).get("name") or next(iter(names), "")
            payload = self._structured(str(schema), orders)
            if names:  # function calling: the schema as a function
                return _calls([(next(iter(names)), payload)], 0)
            return {"role": "assistant", "content": json.dumps(payload)}
        return {"role": "assistant", "content": self._text(_texts(request), orders)}

    # ------------------------------------------------------------------ planner

    def _plan_step(self, request: dict[str, Any], number: int) -> list[tuple[str, Any]]:
        tool_texts = [m.get("content") or "" for m in request["messages"]
                      if m.get("role") == "tool"]
        if number == 0:
            return [("search_bm25", {"query": "comedy"}), ("search_dense", {"query": "comedy"})]
        if number == 1:
            ids = self.read or sorted({int(i) for t in tool_texts
                                       for i in re.findall(r"^- id (\d+):", t, re.M)})
            return [("lookup_items", {"item_id": i}) for i in ids[:4]]
        orders = Orders(tool_texts)
        if number == 2 and orders.instructed:
            calls: list[tuple[str, Any]] = list(orders.calls)
            calls += [("lookup_items", {"title": f}) for f in orders.films]
            calls += [("filter_items", {"genres_any": orders.genres})] if orders.genres else []
            calls += [("search_bm25", {"query": f"{f} horror"}) for f in orders.films]
            self.obeyed.append(f"planner round 3: {calls}")
            return calls or [("search_bm25", {"query": "comedy"})]
        finish: dict[str, Any] = {"rankers": ["search_bm25", "search_dense", "user_profile",
                                              "rank_cf"],
                                  "query": " ".join([*orders.films, *orders.genres]) or "comedy"}
        if orders.users:
            finish["user_id"] = orders.users[0]
        if orders.genres:
            finish["constraints"] = {"genres_any": orders.genres}
        self.obeyed.append(f"finish: {finish}")
        return [("finish", finish)]

    # ------------------------------------------------------------------ other calls

    def _structured(self, schema: str, orders: Orders) -> dict[str, Any]:
        if not orders.instructed:
            return {}
        self.obeyed.append(f"structured {schema}")
        if schema == "LlmReading":
            return {"genres": orders.genres, "liked_titles": orders.films}
        if schema == "PlanChoice":
            return {"steps": [{"tool": "search_bm25",
                               "query": " ".join(orders.films + orders.genres)}]}
        return {}

    def _text(self, texts: list[str], orders: Orders) -> str:
        named = [t for t, _ in FACT_LINE.findall(texts[-1])] if texts else []
        head = ("Here are " + ", ".join(named) + ".") if named else "Here are some films."
        if not orders.instructed:
            return head
        extra = [f"I also recommend {f}." for f in orders.films]
        extra += [f"Since you want {g.lower()}, these are {g.lower()} films." for g in
                  orders.genres]
        extra += [f"User {u} loved these too." for u in orders.users]
        extra += orders.markup
        self.obeyed.append(f"text: {extra}")
        return " ".join([head, *extra])


def _calls(step: list[tuple[str, Any]], number: int) -> dict[str, Any]:
    calls = [{"id": f"call_{number}_{i}", "type": "function",
              "function": {"name": name, "arguments": json.dumps(args)}}
             for i, (name, args) in enumerate(step)]
    return {"role": "assistant", "content": None, "tool_calls": calls}

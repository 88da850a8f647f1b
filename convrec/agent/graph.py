"""The agent's graph: goals -> understand -> policy -> [plan -> act] -> respond.

A request with several parts, or a shaped plan ("three films, easiest first", "fits in
five hours"), goes from understand to one `pursue` per sub-goal, in parallel (LangGraph
`Send`), and on to `compose`, which solves the slots, then to respond.

Only nodes, routers and edges live here (the react-agent template's shape). A
recommendation that finds nothing with an LLM-chosen plan goes back to plan once
for the default plan. Every run passes an explicit recursion limit; when the
remaining steps run low, the routers go straight to respond, which ends the
turn with a polite reply.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from convrec.agent.nodes.act import act
from convrec.agent.nodes.goals import compose_plan, goals, pursue, route_after_understand
from convrec.agent.nodes.plan import plan
from convrec.agent.nodes.policy import policy
from convrec.agent.nodes.respond import respond
from convrec.agent.nodes.understand import understand
from convrec.agent.state import AgentContext, AgentState, InputState

RESERVED_STEPS = 2  # respond, and the step that routes to it


def route_after_policy(state: AgentState) -> str:
    decision = (state.get("decision") or {}).get("act")
    if state.get("remaining_steps", 99) <= RESERVED_STEPS + 1:
        return "respond"
    if decision == "recommend":
        return "plan"
    if decision == "answer" and ((state.get("understood") or {}).get("question") or {}).get(
        "item_id"
    ):
        return "plan"
    return "respond"


def route_after_plan(state: AgentState) -> str:
    if state.get("plan") is None or state.get("remaining_steps", 99) <= RESERVED_STEPS:
        return "respond"
    return "act"


def route_after_act(state: AgentState) -> str:
    plan_source = (state.get("plan") or {}).get("source")
    if (
        not state.get("items")
        and (state.get("decision") or {}).get("act") == "recommend"
        and plan_source in ("llm", "repaired", "policy", "tools")
        and state.get("replans", 0) == 0
        and state.get("remaining_steps", 99) > RESERVED_STEPS + 2
    ):
        return "replan"
    return "respond"


def replan(state: AgentState) -> dict[str, Any]:
    return {"replans": state.get("replans", 0) + 1,
            "trace": [*state.get("trace", []), "replan: the default plan"]}


def build_graph() -> StateGraph[Any, Any, Any, Any]:
    graph = StateGraph(AgentState, context_schema=AgentContext, input_schema=InputState)
    graph.add_node("goals", goals)
    graph.add_node("understand", understand)
    graph.add_node("policy", policy)
    graph.add_node("plan", plan)
    graph.add_node("act", act)
    graph.add_node("replan", replan)
    graph.add_node("pursue", pursue)  # type: ignore[arg-type]  # its input is a Send payload
    graph.add_node("compose", compose_plan)
    graph.add_node("respond", respond)
    graph.add_edge(START, "goals")
    graph.add_edge("goals", "understand")
    graph.add_conditional_edges("understand", route_after_understand, ["pursue", "policy"])
    graph.add_edge("pursue", "compose")
    graph.add_edge("compose", "respond")
    graph.add_conditional_edges("policy", route_after_policy, ["plan", "respond"])
    graph.add_conditional_edges("plan", route_after_plan, ["act", "respond"])
    graph.add_conditional_edges("act", route_after_act, ["replan", "respond"])
    graph.add_edge("replan", "plan")
    graph.add_edge("respond", END)
    return graph


def compile_graph(checkpointer: Any = None) -> Any:
    return build_graph().compile(checkpointer=checkpointer, name="convrec")

"""The one place the extraction benchmark reaches into the agent: the extractor and the
ledger's folding. Everything else in convrec.eval.extraction reads an extraction as data
(`update`, `mentions`, `user_act`, `injection`, `pending`)."""

from __future__ import annotations

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.ledger_apply import apply_update
from convrec.agent.understanding import Extractor, get_extractor
from convrec.tools.context import ToolContext


def load_extractor(ctx: ToolContext) -> Extractor:
    """The agent's extractor for these resources (cached on them, as the agent caches it)."""
    return get_extractor(ToolContext(ctx.resources))


def fold(ledger: Ledger, update: LedgerUpdate, turn: int) -> Ledger:
    """The ledger after a turn's update (turns count from 1)."""
    return apply_update(ledger, update, turn)


def fresh_ledger() -> Ledger:
    """The ledger of a new conversation."""
    return Ledger()

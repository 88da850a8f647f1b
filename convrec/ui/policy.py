"""The dialogue policy new chats answer with: chosen in the Train tab, kept in HOME across
restarts (a policy named by the settings comes first)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.ui.backends import AgentPool, BackendChoice
from convrec.ui.base import AppBase
from convrec.ui.session import UiSession, one_line


class PolicyParts(AppBase):
    """The app's active policy, its name, and the label of a chat's policy."""

    def __init__(self, settings: Settings | None = None, *, pool: AgentPool | None = None,
                 backend: BackendChoice | None = None) -> None:
        super().__init__(settings, pool=pool, backend=backend)
        self.active_policy = self._saved_policy()

    def _policy_file(self) -> Path:
        return Path(self.settings.home) / "ui_policy.json"

    def _saved_policy(self) -> Path | None:
        try:
            saved = json.loads(self._policy_file().read_text()).get("policy")
        except (OSError, ValueError, AttributeError):
            saved = None
        # a policy named by the settings (--policy, CONVREC_AGENT_POLICY_PATH) comes first
        chosen = self.settings.agent_policy_path or (Path(saved) if saved else None)
        return chosen if chosen and (chosen / "config.json").is_file() else None

    def set_policy(self, folder: Path | None) -> None:
        """Make `folder` (a checkpoint written by convrec rl grpo; None: the rules) the policy
        of new chats."""
        if folder is not None:
            folder = folder.resolve()
            if not (folder / "config.json").is_file() or not (folder / "policy.json").is_file():
                raise ConvrecError(f"no policy checkpoint at {folder}")
            try:  # load it now: a broken checkpoint is refused here, not in a chat
                _ = self.pool.agent(self.default_backend, folder).policy
            except ConvrecError:
                raise
            except Exception as exc:
                raise ConvrecError(f"cannot load the policy at {folder}: "
                                   f"{one_line(exc)}") from None
        self.active_policy = folder
        self._policy_file().parent.mkdir(parents=True, exist_ok=True)
        self._policy_file().write_text(json.dumps({"policy": str(folder) if folder else None}))

    def policy_name(self, folder: Path | None) -> str:
        """'hand-written rules', or the checkpoint's folder under the runs folder."""
        if folder is None:
            return "hand-written rules"
        runs_dir = Path(self.settings.runs_dir).resolve()
        try:
            return str(folder.resolve().relative_to(runs_dir))
        except ValueError:
            return str(folder)

    def _policy_html(self, session: UiSession) -> str:
        name = escape(self.policy_name(session.policy))
        return (f'<span class="policy-label" data-policy="{name}">Dialogue policy of this '
                f"chat: {name}</span>")

"""All settings in one place: environment variables prefixed CONVREC_, or a .env file.

Nothing reads settings at import time: call `get_settings()` where they are
needed, so tests and long-running servers can change the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from convrec.errors import ConfigError

LlmBackend = Literal["local", "openai", "vllm"]
LLM_TURN_BUDGET_TIMEOUTS = 4  # the default turn budget, in request timeouts
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def check_chroma_url(url: str) -> str:
    """`url` as http(s)://host:port (no path, query or credentials), or a one-line ConfigError."""
    url = url.strip().rstrip("/")
    problem = "expected http://host:port"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigError(f"invalid setting CONVREC_CHROMA_URL: {problem}, got {url!r}") from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or port is None
            or parts.path or parts.query or parts.fragment or parts.username):
        raise ConfigError(f"invalid setting CONVREC_CHROMA_URL: {problem}, got {url!r}")
    return url


class Settings(BaseSettings):
    """convrec's settings. Paths left empty are derived from `home`."""

    model_config = SettingsConfigDict(
        env_prefix="CONVREC_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    home: Path = Field(
        default_factory=lambda: Path.home() / ".convrec",
        description="Root folder for everything convrec writes (catalog, indexes, downloads).",
    )
    data_dir: Path | None = Field(
        default=None,
        description="Folder holding the source datasets (shared/data layout). "
        "Empty: ../shared/data if present, else the download cache.",
    )
    cache_dir: Path | None = Field(
        default=None, description="Downloads land here. Default: HOME/cache."
    )
    index_dir: Path | None = Field(
        default=None, description="Indexes and trained models. Default: HOME/index."
    )
    catalog_path: Path | None = Field(
        default=None, description="The SQLite catalog. Default: HOME/catalog.sqlite."
    )
    llm_backend: LlmBackend = Field(
        default="local",
        description="local (embedded, offline), openai (any compatible endpoint) or vllm.",
    )
    llm_model: str | None = Field(
        default=None,
        description="Model name for API backends, or a local HF model folder. "
        "Empty: the embedded SmolLM2-135M-Instruct.",
    )
    llm_base_url: str | None = Field(
        default=None, description="Base URL of an OpenAI-compatible endpoint."
    )
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the endpoint.")
    llm_cache_dir: Path | None = Field(
        default=None,
        description="Converted local models (the embedded GGUF as an HF folder) are cached here. "
        "Default: HOME/models.",
    )
    llm_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description="Weights dtype of the local model. auto: bfloat16 where the CPU has native "
        "bf16 (faster, same greedy output), else float32.",
    )
    llm_threads: int = Field(
        default=0,
        ge=0,
        description="torch threads for local decoding. 0: one thread when the machine is busy "
        "(load average near the core count), else all cores.",
    )
    llm_timeout_s: float = Field(
        default=30.0, gt=0, description="Timeout of one request to an LLM endpoint, in seconds."
    )
    llm_max_retries: int = Field(
        default=2, ge=0, description="Retries of a failed request to an LLM endpoint."
    )
    log_level: LogLevel = Field(default="INFO", description="Logging level.")
    sessions_path: Path | None = Field(
        default=None,
        description="SQLite file of chat sessions (LangGraph checkpoints). "
        "Default: HOME/sessions.sqlite.",
    )
    feedback_path: Path | None = Field(
        default=None,
        description="SQLite log of every like / not for me / seen it, with timestamps. "
        "Default: HOME/feedback.sqlite.",
    )
    ui_host: str = Field(
        default="127.0.0.1",
        description="Address the browser app listens on. Loopback by default: set 0.0.0.0 "
        "only behind a proxy or with CONVREC_UI_AUTH.",
    )
    ui_port: int = Field(default=7860, ge=0, le=65535, description="Port of the browser app.")
    ui_auth: SecretStr | None = Field(
        default=None, description="Require a login for the browser app: 'user:password', or "
        "several logins comma-separated ('alice:pw1,bob:pw2')."
    )
    ui_rate_limit: int = Field(
        default=20, ge=0, description="Messages per minute one client may send (0: no limit)."
    )
    ui_concurrency: int = Field(
        default=2, ge=1, le=64,
        description="Chat turns the browser app answers at once; more wait in the queue.",
    )
    ui_queue_size: int = Field(
        default=64, ge=1, description="Most requests waiting in the browser app's queue."
    )
    runs_dir: Path = Field(
        default=Path("runs"),
        description="Where the browser app writes its run folders (eval/, rl/, redial/) and "
        "finds the ones the CLI wrote (its default --out and --run are under runs/).",
    )
    agent_k: int = Field(default=5, ge=1, le=20, description="Films per recommendation.")
    agent_ranker: Literal["learned", "fusion"] = Field(
        default="learned",
        description="How the agent orders films: the learned ranker (trained on the ReDial "
        "training dialogues), or 'fusion', the reciprocal-rank fusion of the retrievers alone "
        "(the ranking before the learned ranker; for comparisons).",
    )
    agent_policy: Literal["rules", "llm"] = Field(
        default="rules",
        description="Dialogue policy: hand-written rules, or the LLM scoring each act.",
    )
    agent_policy_path: Path | None = Field(
        default=None,
        description="A policy checkpoint trained by `convrec rl grpo` (a model folder). When "
        "set it chooses every dialogue act, whatever agent_policy says.",
    )
    agent_recursion_limit: int = Field(
        default=12, ge=6, le=100, description="Most graph steps in one turn."
    )
    # Scale-out: the dense index on a Chroma server (issue 19).
    chroma_url: str | None = Field(
        default=None,
        description="A Chroma server (`chroma run`) holding the dense index, http://host:port; "
        "`convrec index build` populates it. Empty: the embedded chroma folder under the "
        "index dir.",
    )

    @field_validator("chroma_url", mode="before")
    @classmethod
    def _check_chroma_url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return check_chroma_url(str(value))

    # --- accounts of the browser app (issue 19, security) ---
    ui_admins: str | None = Field(
        default=None, description="Comma-separated logins of CONVREC_UI_AUTH that are admins "
        "(they may stop anyone's job).")

    # Shared engines for several app replicas (README "Several machines").
    sessions_url: SecretStr | None = Field(
        default=None,
        description="A PostgreSQL database for chat sessions, the feedback log and the jobs' "
        "records (postgresql://user:password@host:port/db), shared by every replica. "
        "Empty: SQLite files under HOME (sessions_path, feedback_path, HOME/jobs).",
    )

    @field_validator("sessions_url", mode="before")
    @classmethod
    def _check_sessions_url(cls, value: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is None or (isinstance(text, str) and not text.strip()):
            return None
        if not isinstance(text, str) or not text.strip().startswith(
                ("postgresql://", "postgres://")):
            raise ValueError("expected a PostgreSQL URL, postgresql://user:password@host:port/db")
        return text.strip()

    # LLM endpoint faults (issue 19): one turn's whole wait on the endpoint, bounded.
    llm_turn_budget_s: float | None = Field(
        default=None, gt=0,
        description="Most seconds one turn waits on an LLM endpoint, every call and retry "
        "together (convrec.llm.turn_budget); after it, or once the endpoint failed, the turn "
        "answers from templates. Default: four times the endpoint's request timeout "
        "(llm_timeout_s).",
    )

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        self.home = self.home.expanduser()
        if self.data_dir is not None:
            self.data_dir = self.data_dir.expanduser()
        if self.agent_policy_path is not None:
            self.agent_policy_path = self.agent_policy_path.expanduser()
        self.cache_dir = (self.cache_dir or self.home / "cache").expanduser()
        self.index_dir = (self.index_dir or self.home / "index").expanduser()
        self.catalog_path = (self.catalog_path or self.home / "catalog.sqlite").expanduser()
        self.sessions_path = (self.sessions_path or self.home / "sessions.sqlite").expanduser()
        self.feedback_path = (self.feedback_path or self.home / "feedback.sqlite").expanduser()
        return self

    @property
    def catalog(self) -> Path:
        assert self.catalog_path is not None  # set by _derive_paths
        return self.catalog_path

    @property
    def sessions(self) -> Path:
        assert self.sessions_path is not None
        return self.sessions_path

    @property
    def feedback(self) -> Path:
        assert self.feedback_path is not None
        return self.feedback_path

    def ui_credentials(self) -> tuple[str, str] | None:
        """(user, password) of the first login of CONVREC_UI_AUTH, None when unset; a
        malformed value raises (see `ui_accounts`)."""
        accounts = self.ui_accounts()
        return next(iter(accounts.items())) if accounts else None

    def ui_accounts(self) -> dict[str, str]:
        """login -> password from CONVREC_UI_AUTH ('user:password', several comma-separated);
        {} when unset. A malformed value raises a one-line ConfigError that quotes no
        password."""
        return parse_ui_auth(None if self.ui_auth is None else self.ui_auth.get_secret_value())

    def ui_admin_logins(self) -> frozenset[str]:
        """The logins CONVREC_UI_ADMINS names, each one of CONVREC_UI_AUTH's."""
        return parse_ui_admins(self.ui_admins, self.ui_accounts())

    @property
    def cache(self) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir

    @property
    def index(self) -> Path:
        assert self.index_dir is not None
        return self.index_dir

    def llm_turn_budget(self, timeout_s: float | None = None) -> float:
        """llm_turn_budget_s, else LLM_TURN_BUDGET_TIMEOUTS times the request timeout
        (`timeout_s`, the endpoint's own when the agent was given one, else llm_timeout_s)."""
        return self.llm_turn_budget_s or LLM_TURN_BUDGET_TIMEOUTS * (timeout_s
                                                                    or self.llm_timeout_s)

    @property
    def llm_cache(self) -> Path:
        """Where converted local models live: llm_cache_dir, else HOME/models."""
        return (self.llm_cache_dir or self.home / "models").expanduser()

    def to_child(self) -> tuple[dict[str, Any], dict[str, str]]:
        """These settings for another process: plain values, and the secrets apart as
        CONVREC_* environment variables (never written to disk)."""
        data: dict[str, Any] = {}
        env: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                env[f"CONVREC_{name.upper()}"] = value.get_secret_value()
            elif value is not None:
                data[name] = str(value) if isinstance(value, Path) else value
        return data, env

    def masked(self) -> dict[str, Any]:
        """Settings as plain values, with secrets masked, for display."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "ui_auth" and value is not None:  # the logins, no password's tail
                value = ",".join(f"{p.strip().partition(':')[0]}:****"
                                 for p in value.get_secret_value().split(",") if p.strip())
            elif isinstance(value, SecretStr):
                secret = value.get_secret_value()
                value = "****" + secret[-4:] if len(secret) > 8 else "****"
            elif isinstance(value, Path):
                value = str(value)
            shown[name] = value
        return shown


def get_settings(**overrides: Any) -> Settings:
    """Read the settings now (environment, .env, then explicit overrides)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(
            f"invalid setting CONVREC_{field.upper()}: {first['msg']}"
        ) from None


# --- accounts of the browser app (issue 19, security) ---


def parse_ui_auth(value: str | None) -> dict[str, str]:
    """'alice:pw1,bob:pw2' (or one 'user:password') -> {login: password}; one-line errors
    that name the faulty entry by position, never by content."""
    if value is None:
        return {}
    pairs = [p for p in value.split(",") if p.strip()]
    if not pairs:
        raise ConfigError("invalid setting CONVREC_UI_AUTH: expected 'user:password' "
                          "(several comma-separated)")
    accounts: dict[str, str] = {}
    for n, pair in enumerate(pairs, 1):
        user, sep, password = pair.strip().partition(":")
        where = f" (entry {n} of {len(pairs)})" if len(pairs) > 1 else ""
        if not sep or not user.strip() or not password:
            raise ConfigError(f"invalid setting CONVREC_UI_AUTH{where}: expected "
                              "'user:password' (several comma-separated)")
        if user.strip() in accounts:
            raise ConfigError(f"invalid setting CONVREC_UI_AUTH{where}: login "
                              f"{user.strip()!r} is given twice")
        accounts[user.strip()] = password
    return accounts


def parse_ui_admins(value: str | None, accounts: dict[str, str]) -> frozenset[str]:
    """'alice,carol' -> the admin logins; each must be a login of CONVREC_UI_AUTH."""
    admins = frozenset(a.strip() for a in (value or "").split(",") if a.strip())
    if admins and not accounts:
        raise ConfigError("invalid setting CONVREC_UI_ADMINS: admins need logins; "
                          "set CONVREC_UI_AUTH too")
    unknown = sorted(admins - set(accounts))
    if unknown:
        raise ConfigError(f"invalid setting CONVREC_UI_ADMINS: {unknown[0]!r} is not a login "
                          "of CONVREC_UI_AUTH")
    return admins

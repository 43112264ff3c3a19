"""The one place that reads the environment: every FAMILYDESK_* setting, its default and its help.

`docs/settings.md` and the README table are generated from this class (`familydesk settings
--markdown`), and a test fails when they drift.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """familydesk settings, read from FAMILYDESK_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="FAMILYDESK_", extra="ignore")

    index_dir: Path = Field(PROJECT_ROOT / "index",
                            description="The knowledge base: manifest.json, sources/, glossaries, policy_terms.tsv, query_rules.json, place names.")
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts",
                              description="Answer, framing and abstain texts (zh and en).")
    chroma_dir: Path | None = Field(None, description="Embedded Chroma store, and the saved lexical index (`lexical/`); default `<index_dir>/.chroma` (git-ignored).")
    chroma_url: str | None = Field(None, description="Use a Chroma server (e.g. `http://127.0.0.1:8001`) instead of the embedded store.")
    collection: str = Field("familydesk", description="Chroma collection name prefix; the embedding fingerprint is appended.")
    embedding: str = Field("use", description="Embedding provider: `use` (USE multilingual v3, offline, cross-lingual), "
                                              "`sentence-transformers`, `hash` (character n-grams, no model: for tests) "
                                              "or `none` (lexical only).")
    embedding_model: str | None = Field(None, description="Model name or local path for `sentence-transformers` "
                                                          "(default: the packaged all-MiniLM-L6-v2).")
    embedding_threads: int = Field(max(1, os.cpu_count() or 1),
                                   description="BLAS threads for the USE encoder; more threads than cores slows it 50x.")
    dense_weight: float = Field(0.3, description="Weight of the dense (embedding) score in the hybrid fusion; lexical gets 1 - this.")
    min_relevance: float = Field(0.25, description="Abstain when the best clause's fused relevance is below this (calibrated, docs/retrieval.md).")
    host: str = Field("127.0.0.1", description="`familydesk serve` bind address.")
    port: int = Field(8000, description="`familydesk serve` port.")
    rate_limit: int = Field(30, description="API requests per minute per client; 0 turns the limit off.")
    redis_url: str | None = Field(None, description="Redis for the rate limits (e.g. `redis://127.0.0.1:6379/0`), so replicas share one budget; unset: in process.")
    trusted_proxies: str | None = Field(None, description="Comma-separated addresses or networks of reverse proxies (e.g. `10.0.0.0/8,127.0.0.1`): behind them the client is the first untrusted address of X-Forwarded-For.")
    log_level: str = Field("INFO", description="Python log level.")
    log_format: str = Field("text", description="`text` lines, or `json`: one JSON object per line with the request id "
                                                 "(X-Request-ID, echoed in the response).")
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Where runtime data lives (query log, feedback, bot state); git-ignored.")
    calibration_sets: str = Field("tests/data/dev_questions.jsonl,tests/data/offtopic_questions.jsonl",
                                  description="Question sets (comma-separated, relative to the project) scored after every "
                                              "`familydesk index` / `ingest` and admin reindex; the figures go to "
                                              "`<data_dir>/calibration.json` with a warning when one drops. Empty: none.")
    telegram_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "FAMILYDESK_TELEGRAM_BOT_TOKEN"),
        description="The Telegram bot token from @BotFather, read from `TELEGRAM_BOT_TOKEN` (or this name); never shown or logged.")
    telegram_base_url: str | None = Field(None, description="Bot API base URL, the token is appended (e.g. `http://127.0.0.1:8081/bot` "
                                                            "for a self-hosted Bot API server); default Telegram's.")
    telegram_webhook_url: str | None = Field(None, description="Public HTTPS URL of `POST /telegram/webhook` for `familydesk telegram --webhook`; "
                                                               "registered with Telegram at start-up.")
    telegram_webhook_secret: SecretStr | None = Field(None, description="Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`; when set, "
                                                                        "the API app serves `POST /telegram/webhook`.")
    telegram_user_limit: int = Field(10, description="Telegram questions per minute per user, then a polite reply; 0 turns the limit off.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint for generative answers (e.g. "
                                                   "`http://127.0.0.1:11434/v1` for Ollama, vLLM's `/v1`); unset: "
                                                   "extractive answers only. Guarded; falls back to extractive.")
    llm_model: str | None = Field(None, description="Model name at that endpoint; unset: the first one its `/v1/models` lists.")
    llm_api_key: SecretStr | None = Field(None, description="API key for the endpoint, if it needs one; never logged or shown.")
    llm_timeout: float = Field(20.0, description="Seconds the model may take for one question before the extractive answer is given.")
    llm_rewrite: bool = Field(False, description="Ask the model for Chinese search terms for English questions before retrieval "
                                                 "(lexical side; the glossary stays the fallback).")
    admin_token: SecretStr | None = Field(None, description="Bearer token for /api/admin/* (reindex, report); unset = admin endpoints refuse (403).")
    api_keys: SecretStr | None = Field(None, description="Comma-separated bearer keys for the OpenAI-compatible /v1 endpoints; unset = open.")
    database_url: str | None = Field(None, description="Database of the query log and the votes: `sqlite:////path/queries.sqlite3` (one file "
                                                       "shared by replicas on one host) or `postgresql+psycopg://user:password@host:5432/db` "
                                                       "(replicas on many hosts); default `<data_dir>/queries.sqlite3` and "
                                                       "`<data_dir>/feedback.sqlite3`. Tables are created or upgraded at start.")
    log_retention_days: int = Field(90, description="Query-log rows older than this many days are deleted (0 keeps them).")
    # -- further settings go above this line (then run `make docs`) --

    @field_validator("embedding")
    @classmethod
    def _known_embedding(cls, v: str) -> str:
        if v not in ("use", "sentence-transformers", "hash", "none"):
            raise ValueError("FAMILYDESK_EMBEDDING must be one of: use, sentence-transformers, hash, none")
        return v

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, v: str) -> str:
        if v not in ("text", "json"):
            raise ValueError("FAMILYDESK_LOG_FORMAT must be text or json")
        return v

    @property
    def chroma_path(self) -> Path:
        return self.chroma_dir or (self.index_dir / ".chroma")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_markdown() -> str:
    """The settings table for the README and docs/settings.md."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, Path):
            try:
                default = default.relative_to(PROJECT_ROOT)
            except ValueError:
                pass
        if name == "embedding_threads":
            default = "number of CPUs"
        shown = "(unset)" if default is None else f"`{default}`"
        rows.append(f"| `FAMILYDESK_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows) + "\n"

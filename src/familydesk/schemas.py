"""The public schemas of the HTTP channels: what a request carries and what a reply holds. Channels
import these and the Assistant facade, nothing deeper."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from .models import Citation
from .text import clean_input

MAX_QUESTION = 1000
MAX_HISTORY = 20
MAX_MESSAGE = 4000


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(..., max_length=MAX_MESSAGE, description="What was said (at most 4,000 characters).")


class AskRequest(BaseModel):
    question: str = Field(..., description="The question, in Chinese or English (1–1,000 characters).")
    history: list[Message] = Field(default_factory=list, max_length=MAX_HISTORY,
                                   description="Earlier messages of the conversation, oldest first (at most 20): a "
                                               "follow-up such as “包头呢？” is read with them.")
    region: str | None = Field(None, description="Limit to one region: a covered city or province, or any Chinese place (its province's and the nation's documents answer), in Chinese or English.")

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        v = clean_input(v)
        if not v:
            raise ValueError("the question is empty: ask something of 1 to 1,000 characters")
        if len(v) > MAX_QUESTION:
            raise ValueError(f"the question is {len(v)} characters long; the limit is {MAX_QUESTION}")
        return v


CitationPublic = Citation  # the domain dataclass is the response schema


class AnswerPublic(BaseModel):
    answer: str = Field(description="The whole answer as text: the lead line, the quoted sentence, the citation line.")
    lead: str = Field("", description="The line that answers, before the quote (【包头】男职工护理假（陪产假）25天); "
                                      "\"\" for a generated answer.")
    abstained: bool
    region: str | None
    language: str
    reason: str | None
    mode: str
    fallback_reason: str | None = None
    standalone_question: str | None = None
    options: list[str] = []
    citations: list[CitationPublic] = Field(description="Best first. `used: true` marks the clauses the answer "
                                                        "quotes (its sources); the others are related clauses.")


class SearchPublic(BaseModel):
    hits: list[CitationPublic]

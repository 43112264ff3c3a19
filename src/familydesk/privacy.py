"""Personal data never reaches a log: parents type ID numbers and phone numbers into chat boxes."""
from __future__ import annotations

import re

_RULES = (
    # 身份证号: 17 digits + digit or X (18 chars), not part of a longer number
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[身份证号]"),
    # bank card numbers: 16-19 digits, optionally grouped by spaces or dashes
    (re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)"), "[银行卡号]"),
    # mainland mobile numbers, optionally +86 / 86 prefixed, optionally split 3-4-4
    (re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"), "[手机号]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[邮箱]"),
)


def redact(text: str) -> str:
    """Replace ID numbers, bank cards, mobile numbers and e-mail addresses with placeholders."""
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return text

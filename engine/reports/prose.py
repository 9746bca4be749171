"""Rule prose (description, remediation, help) as paragraphs.

In: a text written in a rule file, where long sentences are broken over several source lines and a blank
line separates paragraphs. Out: its paragraphs, each one line (the source's line breaks are layout, not
meaning), so every renderer wraps them to its own width instead of breaking mid-sentence where the
rule's author pressed return.
"""

from __future__ import annotations

import re

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs of ``text``: lines joined with one space, blank-line breaks kept, empty ones dropped."""
    normalized = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for block in _BLANK_LINE.split(normalized):
        joined = " ".join(line.strip() for line in block.split("\n") if line.strip())
        if joined:
            out.append(joined)
    return out

"""What Theo answers: plain values shared by the bot logic and the senders.

The bot logic returns a list of `Reply`; a sender (Z-API or console) turns each
one into WhatsApp messages. Every reply carries a complete text form (options
already numbered in `text`), so it works even where interactive lists and
buttons do not; `options` lets a sender offer them interactively as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal


@dataclass(frozen=True)
class Option:
    """One choice of a menu: `id` is what the customer's tap sends back."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Reply:
    """One WhatsApp message from Theo.

    `text` is always complete on its own. `options` (optional) are the same
    choices for an interactive option list (`style="list"`) or button list
    (`style="buttons"`). `document_url` asks the sender to also send a PDF.
    `alone` keeps the message by itself (a code the customer will copy).
    """

    text: str
    options: tuple[Option, ...] = field(default=())
    style: Literal["list", "buttons"] = "list"
    list_title: str = ""
    list_button: str = "Ver opções"
    document_url: str = ""
    document_name: str = ""
    alone: bool = False

    @property
    def plain(self) -> bool:
        """Only text: it can be joined with the message that follows it."""
        return not (self.options or self.document_url or self.alone)


def join_plain(replies: list[Reply]) -> list[Reply]:
    """Fewer, fuller messages: plain texts are joined to the reply after them."""
    joined: list[Reply] = []
    for reply in replies:
        previous = joined[-1] if joined else None
        if previous is not None and previous.plain and not reply.alone:
            joined[-1] = replace(reply, text=f"{previous.text}\n\n{reply.text}")
        else:
            joined.append(reply)
    return joined

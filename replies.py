"""What Theo answers: plain values shared by the bot logic and the senders.

The bot logic returns a list of `Reply`; a sender (Z-API or console) turns each
one into WhatsApp messages. Every reply carries a complete text form (options
already numbered in `text`), so it works even where interactive lists and
buttons do not; `options` lets a sender offer them interactively as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    """

    text: str
    options: tuple[Option, ...] = field(default=())
    style: Literal["list", "buttons"] = "list"
    list_title: str = ""
    list_button: str = "Ver opções"
    document_url: str = ""
    document_name: str = ""

"""Reading Z-API "on-message-received" callbacks into plain messages.

`parse_callback` decides, for any JSON body, one of three things: a message
Theo must handle (`Incoming`), a callback to acknowledge and ignore (`None`),
or a malformed body (`PayloadError`, answered with a 400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from privacy import without_controls

RECEIVED_CALLBACK = "receivedcallback"
MEDIA_FIELDS = ("image", "audio", "video", "document", "sticker", "location", "contact", "poll")
# Flags that mark callbacks Theo never answers (see the Z-API contract).
IGNORED_FLAGS = (
    "isGroup",
    "isNewsletter",
    "broadcast",
    "isStatusReply",
    "waitingMessage",
    "isEdit",
)
IGNORED_PHONE_MARKS = ("-group", "@g.us", "@newsletter", "@broadcast", "status@")
MAX_ID_CHARS = 200
MAX_URL_CHARS = 2000
# A Brazilian number as Z-API writes it (55 + DDD + 8 or 9 digits), or a WhatsApp id such
# as "…@lid" (its digits are no phone). ASCII digits only: `\d` would also take full-width
# and other scripts' digits, and Theo would answer them through Z-API.
PHONE_SHAPE = re.compile(r"55[0-9]{10,11}|[0-9]{6,20}@[a-z.]{2,30}")

Kind = Literal["text", "media", "takeover"]


class PayloadError(ValueError):
    """The body is not a usable Z-API callback."""


@dataclass(frozen=True)
class Incoming:
    """One customer message, reduced to what the bot needs."""

    message_id: str
    phone: str
    kind: Kind
    text: str = ""
    choice_id: str | None = None
    media_type: str = ""
    # Where Z-API keeps the file (30 days), its type and name: kept only where a step
    # takes media (the payment receipt), never logged.
    media_url: str = ""
    mime_type: str = ""
    file_name: str = ""


def parse_callback(payload: Any, *, max_text_chars: int = 4096) -> Incoming | None:
    """An `Incoming` to handle, None to ignore, or PayloadError when malformed."""
    if not isinstance(payload, dict):
        raise PayloadError("the body must be a JSON object")
    callback_type = payload.get("type")
    if not isinstance(callback_type, str) or not callback_type.strip():
        raise PayloadError("field 'type' is missing or not a string")
    if callback_type.strip().lower() != RECEIVED_CALLBACK:
        return None
    # The id tags every log line of the message: no newline or escape may forge one.
    message_id = without_controls(_required_str(payload, "messageId"))
    if not message_id:
        raise PayloadError("field 'messageId' has no printable character")
    phone = _required_str(payload, "phone")
    if _is_ignored(payload, phone):
        return None
    if not PHONE_SHAPE.fullmatch(phone):
        raise PayloadError("field 'phone' is not a WhatsApp number or id")
    if payload.get("fromMe") is True:
        # Sent by our own number: our API sends echo back with fromApi; anything
        # else was typed by a person on the company phone, i.e. an attendant.
        if payload.get("fromApi") is True:
            return None
        # What the attendant typed matters only for the hand-back command ("#theo"); an
        # odd body is still a takeover, as it was before the command existed.
        try:
            typed = _content(payload, message_id, phone, max_text_chars).text
        except PayloadError:
            typed = ""
        return Incoming(message_id, phone, "takeover", text=typed)
    return _content(payload, message_id, phone, max_text_chars)


def delivery_failure(payload: Any) -> tuple[str, str] | None:
    """(phone, error) of a DeliveryCallback reporting a failed send, else None."""
    if not isinstance(payload, dict) or str(payload.get("type", "")).lower() != "deliverycallback":
        return None
    error, phone = payload.get("error"), payload.get("phone")
    if not error or not isinstance(phone, str):
        return None
    # Both are logged, and neither was checked: no control character may forge a line.
    return without_controls(phone)[:MAX_ID_CHARS], re.sub(r"[\x00-\x1f\x7f]", " ", str(error))[:200]


def _required_str(payload: dict, name: str) -> str:
    value = payload.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"field '{name}' is missing or not a string")
    if len(value) > MAX_ID_CHARS:
        raise PayloadError(f"field '{name}' is too long")
    return value.strip()


def _is_ignored(payload: dict, phone: str) -> bool:
    if any(payload.get(flag) is True for flag in IGNORED_FLAGS):
        return True
    if payload.get("notification") or payload.get("reaction") is not None:
        return True
    return any(mark in phone for mark in IGNORED_PHONE_MARKS)


def _content(payload: dict, message_id: str, phone: str, max_chars: int) -> Incoming:
    text = payload.get("text")
    if text is not None:
        message = _field_str(text, "message", "text")
        return Incoming(message_id, phone, "text", text=message[:max_chars])
    buttons = payload.get("buttonsResponseMessage")
    if buttons is not None:
        return _choice(message_id, phone, buttons, "buttonId", "message", max_chars)
    listed = payload.get("listResponseMessage")
    if listed is not None:
        return _choice(message_id, phone, listed, "selectedRowId", "title", max_chars)
    media_type = next((name for name in MEDIA_FIELDS if payload.get(name) is not None), "other")
    media = payload.get(media_type)
    file = _media_file(media, media_type)
    caption = _caption(media)
    if caption:  # a photo of the modem captioned "luz vermelha piscando" says it in words
        return Incoming(
            message_id, phone, "text", text=caption[:max_chars], media_type=media_type, **file
        )
    # Unknown content still gets an answer: a customer must never be left unanswered.
    return Incoming(message_id, phone, "media", media_type=media_type, **file)


def _media_file(media: Any, media_type: str) -> dict[str, str]:
    """The file's URL, MIME type and name, where the callback carries them (else "")."""
    if not isinstance(media, dict):
        return {}
    url = media.get(f"{media_type}Url")
    found = {
        "media_url": url,
        "mime_type": media.get("mimeType"),
        "file_name": media.get("fileName"),
    }
    # Kept as plain one-line text: they go to the records and the team, never to a shell.
    return {
        key: without_controls(value)[:MAX_URL_CHARS]
        for key, value in found.items()
        if isinstance(value, str) and value.strip()
    }


def _caption(media: Any) -> str:
    """The text typed under a photo, video or document, if any."""
    caption = media.get("caption") if isinstance(media, dict) else None
    return caption.strip() if isinstance(caption, str) else ""


def _choice(
    message_id: str, phone: str, body: Any, id_field: str, title_field: str, max_chars: int
) -> Incoming:
    choice = _field_str(body, id_field, "reply")
    title = _field_str(body, title_field, "reply", required=False) or _field_str(
        body, "message", "reply", required=False
    )
    return Incoming(
        message_id, phone, "text", text=title[:max_chars], choice_id=choice[:MAX_ID_CHARS]
    )


def _field_str(body: Any, name: str, where: str, *, required: bool = True) -> str:
    if not isinstance(body, dict):
        raise PayloadError(f"field '{where}' must be an object")
    value = body.get(name)
    if value is None and not required:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # an id sent as a number is still an id
    if not isinstance(value, str):
        raise PayloadError(f"field '{where}.{name}' is missing or not a string")
    return value

"""Masking of personal data (documents, phones, names) for logs and chat.

`install_log_privacy()` puts `PrivacyFilter` on the logging handlers so that no
log line carries a full CPF/CNPJ or phone number, whoever wrote the call.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from stdnum.br import cnpj, cpf

from documents import mask_document

_ALNUM = "0-9A-Za-z"
_FORMATTED_CPF = re.compile(r"(?<!\w)\d{3}\.?\d{3}\.?\d{3}-\d{2}(?!\w)")
# Typed by hand in groups: "529 982 247 25", "529.982.247 25".
_SPACED_CPF = re.compile(r"(?<![\w.])\d{3}[ .]\d{3}[ .]\d{3}[ .-]\d{2}(?![\w.])")
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
_FORMATTED_CNPJ = re.compile(
    rf"(?<!\w)[{_ALNUM}]{{2}}\.?[{_ALNUM}]{{3}}\.?[{_ALNUM}]{{3}}/[{_ALNUM}]{{4}}-?\d{{2}}(?!\w)"
)
_COMPACT_DOCUMENT = re.compile(
    rf"(?<![{_ALNUM}])(?:\d{{11}}|[{_ALNUM}]{{12}}\d{{2}})(?![{_ALNUM}])"
)
_FORMATTED_PHONE = re.compile(
    r"(?<![\w.+-])(?:\+?55[\s.-]?)?(?:\(?\d{2}\)?[\s.-]?)?9?\d{4}-\d{4}(?![\w-])"
)
# Phones (10-13 digits), WhatsApp LIDs (14-15) and any other long number.
_DIGIT_RUN = re.compile(r"(?<!\d)\d{10,}(?!\d)")
_PROTOCOL_LENGTH = 14
# A WhatsApp id ends with a non-phone suffix worth keeping: "…@lid", "…@c.us", "…-group".
_ID_SUFFIX = re.compile(r"(@[\w.]+|-group)$")


def mask_phone(phone: str) -> str:
    """Hide the middle of a phone or WhatsApp id: "5511987650001" -> "5511*****0001"."""
    phone = phone or ""
    suffix = match.group() if (match := _ID_SUFFIX.search(phone)) else ""
    return _mask_middle(phone[: len(phone) - len(suffix)]) + suffix


def _mask_middle(text: str) -> str:
    """Keep at most 4 characters at each end and always hide at least a third."""
    keep = max(0, min(4, (len(text) - 1) // 3))
    return text[:keep] + "*" * (len(text) - 2 * keep) + text[len(text) - keep :]


def mask_name(name: str, hidden: str = "*") -> str:
    """Keep the first letter of each word: "Maria da Silva" -> "M**** d* S****"."""
    return " ".join(word[0] + hidden * (len(word) - 1) for word in (name or "").split())


def scrub(text: str) -> str:
    """Mask every CPF/CNPJ, e-mail and phone-like number found in free text."""
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _FORMATTED_CPF.sub(lambda m: mask_document(m.group()), text)
    text = _SPACED_CPF.sub(lambda m: mask_document(re.sub(r"\D", "", m.group())), text)
    text = _FORMATTED_CNPJ.sub(_mask_formatted_cnpj, text)
    text = _COMPACT_DOCUMENT.sub(_mask_compact_document, text)
    text = _FORMATTED_PHONE.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group())), text)
    return _DIGIT_RUN.sub(_mask_digit_run, text)


def _mask_formatted_cnpj(match: re.Match[str]) -> str:
    """Mask a "xx.xxx.xxx/xxxx-xx" shape unless it is letters that fail the CNPJ check."""
    found = match.group()
    numeric = re.sub(r"\W", "", found).isdigit()
    return mask_document(found) if numeric or cnpj.is_valid(found) else found


def _mask_compact_document(match: re.Match[str]) -> str:
    """Mask a compact number only when its check digits make it a real CPF/CNPJ."""
    found = match.group()
    valid = cpf.is_valid(found) if len(found) == 11 else cnpj.is_valid(found.upper())
    return mask_document(found) if valid else found


def _mask_digit_run(match: re.Match[str]) -> str:
    """Mask a long number, except Theo's own protocol numbers, which ops need to search."""
    found = match.group()
    return found if _looks_like_protocol(found) else mask_phone(found)


def _looks_like_protocol(number: str) -> bool:
    """A protocol is AAAAMMDD + a 6-digit sequence, starting with a real date of this century."""
    if len(number) != _PROTOCOL_LENGTH or not number.startswith("20"):
        return False
    try:
        dt.date(int(number[:4]), int(number[4:6]), int(number[6:8]))
    except ValueError:
        return False
    return True


class PrivacyFilter(logging.Filter):
    """Rewrite each record's message (and traceback) with scrub() applied."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message, scrub it and store it back; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's to report, not ours
            return True
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def install_log_privacy(logger: logging.Logger | None = None) -> None:
    """Add PrivacyFilter to the logger (root by default) and its handlers, once each.

    Call it after the handlers are configured: a logger's own filter only sees
    records logged on it, while a handler's filter sees every propagated record.
    """
    target = logger if logger is not None else logging.getLogger()
    for filterer in (target, *target.handlers):
        if not any(isinstance(f, PrivacyFilter) for f in filterer.filters):
            filterer.addFilter(PrivacyFilter())

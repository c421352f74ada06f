"""Masking of personal data (documents, phones, names) for logs and chat.

`scrub()` finds CPFs, CNPJs, phones and e-mails in free text the way people type
them. It reads a folded copy of the text (full-width digits, no-break spaces,
typographic dashes and invisible marks made plain by documents.normalize_text),
finds numbers written with any separators, keeps a CPF/CNPJ only when its check
digits say so (python-stdnum) and a phone only in a Brazilian shape, then masks
what it found in the text as written: everything else is left untouched.

`install_log_privacy()` puts `PrivacyFilter` on the logging handlers so that no
log line carries a full CPF/CNPJ or phone number, whoever wrote the call, nor a
control character that could forge a line of its own.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from urllib.parse import unquote_plus

from stdnum.br import cnpj, cpf

from documents import CNPJ_LENGTH, CPF_LENGTH, mask_document, normalize_text

# (start, end, replacement) of one finding, in the folded text.
Span = tuple[int, int, str]

_ALNUM = "0-9A-Za-z"
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
# The usual written shapes are masked even with a typo in the check digits.
_FORMATTED_CPF = re.compile(r"(?<!\w)[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-[0-9]{2}(?!\w)")
_FORMATTED_CNPJ = re.compile(
    rf"(?<!\w)[{_ALNUM}]{{2}}\.?[{_ALNUM}]{{3}}\.?[{_ALNUM}]{{3}}/[{_ALNUM}]{{4}}-?[0-9]{{2}}(?!\w)"
)
_COMPACT_DOCUMENT = re.compile(
    rf"(?<![{_ALNUM}])(?:[0-9]{{11}}|[{_ALNUM}]{{12}}[0-9]{{2}})(?![{_ALNUM}])"
)
# Digit groups joined by one separator, maybe spaced: "529 982 247-25", "11 222 333/0001 81".
_GROUPED_NUMBER = re.compile(r"(?<![0-9])[0-9]+(?:(?: ?[./-] ?| )[0-9]+)+(?![0-9])")
_DIGIT_GROUP = re.compile(r"[0-9]+")
# A Brazilian phone: maybe +55, a DDD (its first digit is never 0), then 8 or 9 digits.
# Without a DDD only the "98765-4321" shape counts: a bare 8-digit number is too often
# something else (an order, a CEP, an amount).
_PHONE = re.compile(
    r"(?<![\w.+-])(?:\+ ?)?(?:55[ .-]?)?"
    r"(?:(?:\(?[1-9][0-9]\)?[ .-]?)?9?[0-9]{4}-[0-9]{4}"
    r"|\(?[1-9][0-9]\)? ?[.-]?9?[0-9]{4}[ .]?[0-9]{4})"
    r"(?![\w-])"
)
# Phones (10-13 digits), WhatsApp LIDs (14-15) and any other long number.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{10,}(?![0-9])")
_NOT_DIGIT = re.compile(r"[^0-9]")
_ONLY_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[./-]")
_PROTOCOL_LENGTH = 14
# A WhatsApp id ends with a non-phone suffix worth keeping: "…@lid", "…@c.us", "…-group".
_ID_SUFFIX = re.compile(r"(@[\w.]+|-group)$")
# Characters that break or rewrite a log line: controls ("\n", ESC), format marks (bidi
# overrides, zero-width) and the unicode line and paragraph separators.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# A run of a URL that percent-encoding may hide personal data in ("55%2011%2098765%200001").
_ENCODED_WORD = re.compile(r"[^\s\"]*(?:%[0-9A-Fa-f]{2}|\+)[^\s\"]*")


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


def without_controls(text: str) -> str:
    """The text without control or format characters (ids that end up in log lines)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _CONTROL_CATEGORIES)


def escape_controls(text: str) -> str:
    """Control and format characters written as escapes ("\\n" -> "\\\\n"): one line stays one."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in _CONTROL_CATEGORIES
        else ch
        for ch in text
    )


def scrub(text: str) -> str:
    """Mask every CPF/CNPJ, e-mail and phone-like number found in free text."""
    folded, origin = _fold(text)
    pieces: list[str] = []
    done = 0
    for start, end, replacement in _findings(folded):
        begin, stop = (start, end) if origin is None else (origin[start], origin[end - 1] + 1)
        pieces += [text[done : max(begin, done)], replacement]
        done = stop
    return "".join(pieces) + text[done:] if pieces else text


def _fold(text: str) -> tuple[str, list[int] | None]:
    """The text folded for searching, and where each folded character came from.

    Folding character by character keeps the way back: what is not masked is
    returned exactly as written ("2ª via" stays, not "2a via").
    """
    if text.isascii():
        return text, None  # nothing to fold: positions are the same
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_char(char)
        folded.append(piece)
        origin += [index] * len(piece)
    return "".join(folded), origin


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return normalize_text(char)


def _findings(text: str) -> list[Span]:
    """What to mask, in order and without overlaps; an earlier finder claims text first."""
    taken: list[Span] = []  # sorted, never overlapping: a neighbour check is enough
    for finder in _FINDERS:
        for span in finder(text):
            at = bisect.bisect_left(taken, span)
            if (at == 0 or taken[at - 1][1] <= span[0]) and (
                at == len(taken) or span[1] <= taken[at][0]
            ):
                taken.insert(at, span)
    return taken


def _emails(text: str) -> Iterator[Span]:
    for match in _EMAIL.finditer(text):
        yield match.start(), match.end(), f"{match[1]}***@{match[2]}"


def _formatted_documents(text: str) -> Iterator[Span]:
    for match in _FORMATTED_CPF.finditer(text):
        yield match.start(), match.end(), mask_document(match.group())
    for match in _FORMATTED_CNPJ.finditer(text):
        found = match.group()
        # Letters in the shape: only a CNPJ when the check digits agree.
        if _ONLY_DIGITS.fullmatch(_SEPARATORS.sub("", found)) or cnpj.is_valid(found):
            yield match.start(), match.end(), mask_document(found)


def _compact_documents(text: str) -> Iterator[Span]:
    for match in _COMPACT_DOCUMENT.finditer(text):
        if _is_document(match.group().upper()):
            yield match.start(), match.end(), mask_document(match.group())


def _grouped_documents(text: str) -> Iterator[Span]:
    """A CPF/CNPJ typed in groups ("529 982 247-25"): consecutive groups that check out."""
    for run in _GROUPED_NUMBER.finditer(text):
        groups = [
            (run.start() + g.start(), run.start() + g.end())
            for g in _DIGIT_GROUP.finditer(run.group())
        ]
        first = 0
        while first < len(groups):
            found = _document_from(text, groups, first)
            if found is None:
                first += 1
                continue
            last, digits = found
            yield groups[first][0], groups[last][1], mask_document(digits)
            first = last + 1


def _document_from(text: str, groups: list[tuple[int, int]], first: int) -> tuple[int, str] | None:
    """(last group, digits) of a CPF/CNPJ made of groups[first..last], at least two groups."""
    digits = text[groups[first][0] : groups[first][1]]
    for last in range(first + 1, len(groups)):
        digits += text[groups[last][0] : groups[last][1]]
        if len(digits) > CNPJ_LENGTH:
            return None
        if _is_document(digits):
            return last, digits
    return None


def _is_document(value: str) -> bool:
    """A compact CPF or CNPJ whose check digits are right ("111…" is none, whatever they say)."""
    if len(set(value)) == 1:
        return False
    if len(value) == CPF_LENGTH:
        return cpf.is_valid(value)
    return len(value) == CNPJ_LENGTH and cnpj.is_valid(value)


def _phones(text: str) -> Iterator[Span]:
    for match in _PHONE.finditer(text):
        yield match.start(), match.end(), mask_phone(_NOT_DIGIT.sub("", match.group()))


def _long_numbers(text: str) -> Iterator[Span]:
    """Long numbers, except Theo's own protocol numbers, which ops need to search."""
    for match in _DIGIT_RUN.finditer(text):
        if not _looks_like_protocol(match.group()):
            yield match.start(), match.end(), mask_phone(match.group())


_FINDERS: tuple[Callable[[str], Iterator[Span]], ...] = (
    _emails,
    _formatted_documents,
    _compact_documents,
    _grouped_documents,
    _phones,
    _long_numbers,
)


def _looks_like_protocol(number: str) -> bool:
    """A protocol is AAAAMMDD + a 6-digit sequence, starting with a real date of this century."""
    if len(number) != _PROTOCOL_LENGTH or not number.startswith("20"):
        return False
    try:
        dt.date(int(number[:4]), int(number[4:6]), int(number[6:8]))
    except ValueError:
        return False
    return True


def scrub_url_encoded(text: str) -> str:
    """scrub(), also reading percent-encoded words as decoded ("55%2011%2098765%200001").

    A word is shown decoded (and masked) only when decoding reveals something to
    mask; any other URL is left as the client sent it.
    """

    def unveil(match: re.Match[str]) -> str:
        decoded = unquote_plus(match.group())
        masked = scrub(decoded)
        return masked if masked != decoded else match.group()

    return scrub(_ENCODED_WORD.sub(unveil, text))


class PrivacyFilter(logging.Filter):
    """Rewrite each record's message (and traceback) with scrub() applied.

    The message also gets its control characters escaped: a newline or a terminal
    escape sent by a client would otherwise start a forged log line.
    """

    _formatter = logging.Formatter()
    _scrub: Callable[[str], str] = staticmethod(scrub)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message, scrub it and store it back; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's to report, not ours
            return True
        record.msg, record.args = escape_controls(self._scrub(message)), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class AccessLogPrivacyFilter(PrivacyFilter):
    """PrivacyFilter for an access log: request lines are percent-encoded, so decode first."""

    _scrub = staticmethod(scrub_url_encoded)


def install_log_privacy(logger: logging.Logger | None = None) -> None:
    """Add PrivacyFilter to the logger (root by default) and its handlers, once each.

    Call it after the handlers are configured: a logger's own filter only sees
    records logged on it, while a handler's filter sees every propagated record.
    """
    target = logger if logger is not None else logging.getLogger()
    for filterer in (target, *target.handlers):
        if not any(isinstance(f, PrivacyFilter) for f in filterer.filters):
            filterer.addFilter(PrivacyFilter())

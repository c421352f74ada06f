"""Brazilian documents typed by customers: CPF, CNPJ (numeric or alphanumeric) and CEP.

Check digits come from python-stdnum; this module only finds the number inside
what the customer typed, says *why* it is invalid, and masks it for display.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from stdnum.br import cnpj, cpf

CPF_LENGTH = 11
CNPJ_LENGTH = 14

# Customers paste from apps that add invisible marks and typographic dashes.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")
# A "word" that may belong to a document: letters, digits and the usual separators.
_TOKEN = re.compile(r"[0-9A-Za-z./-]+")
_SEPARATORS = re.compile(r"[\s./-]+")
_CNPJ_SHAPE = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
# A CEP: 8 digits, optionally written 01.310-100 / 01310-100 / 01310 100.
_CEP = re.compile(r"(?<![0-9])([0-9]{2})\.?([0-9]{3})[-\s]?([0-9]{3})(?![0-9])")
_CEP_AFTER_LABEL = re.compile(r"cep\W{0,3}" + _CEP.pattern, re.IGNORECASE)

DocumentKind = Literal["CPF", "CNPJ"]
ErrorReason = Literal["empty", "length", "checksum", "repeated", "format"]


@dataclass(frozen=True)
class Document:
    """A valid CPF or CNPJ in compact form (digits, plus uppercase letters in a new CNPJ)."""

    kind: DocumentKind
    value: str

    @property
    def masked(self) -> str:
        """The document with its middle hidden, safe for logs and chat."""
        return mask_document(self.value)


class DocumentError(ValueError):
    """The text holds no valid CPF/CNPJ; `reason` says why, `length` what was counted."""

    def __init__(self, reason: ErrorReason, length: int = 0) -> None:
        super().__init__(f"invalid document: {reason} (length {length})")
        self.reason: ErrorReason = reason
        self.length = length


def normalize_text(text: str) -> str:
    """Fold unicode look-alikes (full-width digits, NBSP, fancy dashes) and drop invisible marks.

    Digits of other scripts ("٥", "५") become ASCII too: NFKC leaves them as they are,
    yet Python's `\\d` and str.isdigit() take them for digits.
    """
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return "".join(_ascii_digit(ch) for ch in folded if unicodedata.category(ch) != "Cf")


def _ascii_digit(char: str) -> str:
    """The ASCII digit for a decimal digit of any script; any other character as it is."""
    if char.isascii() or unicodedata.category(char) != "Nd":
        return char
    return str(unicodedata.decimal(char))


def parse_document(text: str) -> Document:
    """Find a CPF/CNPJ in what the customer typed, or raise DocumentError saying why not."""
    candidates = _candidates(normalize_text(text or ""))
    if not candidates:
        raise DocumentError("empty")
    errors: list[DocumentError] = []
    for candidate in candidates:
        try:
            return _validate(candidate)
        except DocumentError as error:
            errors.append(error)
    raise _most_relevant(errors)


def _candidates(text: str) -> list[str]:
    """Compact strings that might be the document: each run of number-like words, then each word."""
    runs = _number_runs(text)
    candidates = ["".join(run) for run in runs]
    # A run may glue the document to another number ("2 vezes 529.982.247-25"): try each word too.
    candidates += [word for run in runs if len(run) > 1 for word in run]
    return [compact_document(candidate) for candidate in candidates]


def _number_runs(text: str) -> list[list[str]]:
    """Group consecutive number-like words that are separated only by spaces."""
    runs: list[list[str]] = []
    last_end = -1
    for match in _TOKEN.finditer(text):
        word = match.group()
        if not any(ch.isdigit() for ch in word) and word.strip("./-"):
            last_end = -1  # a plain word ("cpf", "meu") ends the run
            continue
        if last_end >= 0 and not text[last_end : match.start()].strip():
            runs[-1].append(word)
        else:
            runs.append([word])
        last_end = match.end()
    return [run for run in runs if compact_document("".join(run))]


def compact_document(text: str) -> str:
    """Drop separators and uppercase, as stored in Document.value."""
    return _SEPARATORS.sub("", text or "").upper()


def fold(text: str) -> str:
    """Case and accents aside: "Sáb" and "SAB" both read "sab", "#Théo" reads "#theo"."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _validate(value: str) -> Document:
    """Check one compact candidate, raising DocumentError with the precise reason."""
    if len(value) not in (CPF_LENGTH, CNPJ_LENGTH):
        raise DocumentError("length", len(value))
    if len(set(value)) == 1:
        raise DocumentError("repeated", len(value))
    if len(value) == CPF_LENGTH:
        if not value.isdigit():
            raise DocumentError("format", len(value))
        if not cpf.is_valid(value):
            raise DocumentError("checksum", len(value))
        return Document("CPF", value)
    if not _CNPJ_SHAPE.fullmatch(value):
        raise DocumentError("format", len(value))
    if not cnpj.is_valid(value):
        raise DocumentError("checksum", len(value))
    return Document("CNPJ", value)


def _most_relevant(errors: list[DocumentError]) -> DocumentError:
    """Prefer a right-sized number's error (checksum, repeated), else the longest number's."""
    sized = [error for error in errors if error.reason != "length"]
    return sized[0] if sized else max(errors, key=lambda error: error.length)


def mask_document(value: str) -> str:
    """Mask a compact or formatted CPF/CNPJ ("529.***.***-25"); anything else becomes "***"."""
    compact = compact_document(normalize_text(value or ""))
    if len(compact) == CPF_LENGTH and compact.isdigit():
        return f"{compact[:3]}.***.***-{compact[-2:]}"
    if len(compact) == CNPJ_LENGTH and _CNPJ_SHAPE.fullmatch(compact):
        return f"{compact[:2]}.***.***/****-{compact[-2:]}"
    return "***"


def parse_cep(text: str) -> str | None:
    """Return the 8 digits of the CEP in the text (preferring one labelled "CEP"), or None."""
    normalized = normalize_text(text or "")
    match = _CEP_AFTER_LABEL.search(normalized) or _CEP.search(normalized)
    if match is None:
        return None
    cep = "".join(match.groups())
    return None if cep == "00000000" else cep


def format_cep(cep: str) -> str:
    """Format 8 CEP digits as "01310-100"."""
    digits = re.sub(r"\D", "", cep or "")
    if len(digits) != 8:
        raise ValueError(f"a CEP has 8 digits, got {len(digits)}")
    return f"{digits[:5]}-{digits[5:]}"


_PHONE_PUNCTUATION = re.compile(r"[\s()+.-]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def normalize_phone(phone: str) -> str:
    """Digits only ("+55 (11) 98765-0001" -> "5511987650001"); WhatsApp ids stay as typed.

    Look-alike digits (full-width, other scripts) are folded to ASCII first: a phone
    is only ever stored and sent in ASCII digits.
    """
    compact = _PHONE_PUNCTUATION.sub("", normalize_text(phone).strip())
    return compact if not compact or _ASCII_DIGITS.fullmatch(compact) else phone.strip()


def same_phone(a: str, b: str) -> bool:
    """The same Brazilian mobile with or without the ninth digit (old WhatsApp ids lack it)."""

    def key(phone: str) -> str:
        digits = "".join(ch for ch in phone if ch in "0123456789")
        if len(digits) == 13 and digits.startswith("55") and digits[4] == "9":
            return digits[:4] + digits[5:]
        return digits

    return bool(a and b) and key(a) == key(b)

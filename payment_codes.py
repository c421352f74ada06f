"""Payment codes Theo sends or receives: boleto linhas digitáveis and PIX copia-e-cola.

A mistyped digit in a linha digitável or a truncated PIX code only fails at the
customer's bank app, after the conversation is over; checking them here lets Theo
refuse to send a broken code and lets ops see why (`PaymentCodeError.reason`).

No well-kept PyPI library does these checks (the candidates are small single-author
packages, most last released before the 2025 due-date factor restart) and python-stdnum
has no boleto or BR Code module, so they are written out here: FEBRABAN módulo 10 /
módulo 11 for boletos; the EMV BR Code TLV layout and CRC16-CCITT-FALSE
(`binascii.crc_hqx`) for PIX.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from documents import normalize_text

ErrorReason = Literal[
    "empty", "length", "format", "field_check_digit", "check_digit", "crc", "missing_field"
]
LineKind = Literal["boleto", "arrecadacao"]

BOLETO_LENGTH = 47  # boleto bancário / cobrança
ARRECADACAO_LENGTH = 48  # convênio: utilities, taxes (starts with 8)

# Due-date factor: days since 1997-10-07. It reached 9999 on 2025-02-21 and restarted at
# 1000 on 2025-02-22, so a factor names one date every 9000 days.
FACTOR_BASE_DATE = date(1997, 10, 7)
FACTOR_RESTART = 1000
FACTOR_CYCLE_DAYS = 9000

PIX_GUI = "br.gov.bcb.pix"
_PIX_AMOUNT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
# What people type around the digits of a linha digitável: "34191.09008 00015.710296 ...".
_LINE_SEPARATORS = re.compile(r"[\s.\-]+")
# Shown characters of a masked code; codes up to _MASK_WHOLE long are hidden whole, so
# that at least a few characters are always hidden.
_MASK_HEAD = 5
_MASK_TAIL = 4
_MASK_WHOLE = 12


class PaymentCodeError(ValueError):
    """The text is not a valid payment code; `reason` is a short machine-readable cause."""

    def __init__(self, reason: ErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason: ErrorReason = reason


@dataclass(frozen=True)
class BarcodeLine:
    """A checked linha digitável.

    `amount` is None only for an arrecadação line whose value is a reference quantity
    rather than reais; a boleto with "valor em branco" reads as Decimal("0.00").
    `due_date` is None for factor 0000 ("sem vencimento") and for arrecadação lines,
    whose layout has no standard due date.
    """

    digits: str
    kind: LineKind
    barcode: str  # the 44 digits of the bar code rebuilt from the line
    bank: str | None  # 3-digit bank code; None for arrecadação
    amount: Decimal | None
    due_date: date | None


@dataclass(frozen=True)
class PixCode:
    """A checked PIX copia-e-cola (EMV BR Code); `amount` is None when the payer types it."""

    payload: str
    amount: Decimal | None
    merchant_name: str
    city: str
    key: str | None  # static code: the PIX key (ID 26/01)
    url: str | None  # dynamic code: where the payment is fetched from (ID 26/25)


# --- Linha digitável -------------------------------------------------------------------


def check_barcode_line(text: str, *, reference: date | None = None) -> BarcodeLine:
    """Check a linha digitável (47-digit boleto or 48-digit arrecadação) and decode it.

    Spaces, dots and dashes around the digits are ignored. `reference` picks the due
    date among the dates the factor can name (see `due_date_for_factor`); it defaults
    to today. Raises PaymentCodeError.
    """
    digits = _line_digits(text)
    if len(digits) == BOLETO_LENGTH:
        return _check_boleto(digits, reference or date.today())
    if len(digits) == ARRECADACAO_LENGTH and digits.startswith("8"):
        return _check_arrecadacao(digits)
    if len(digits) == ARRECADACAO_LENGTH:
        raise PaymentCodeError("format", "linha de arrecadação de 48 dígitos começa com 8")
    raise PaymentCodeError(
        "length", f"linha digitável tem 47 dígitos (48 na arrecadação); veio com {len(digits)}"
    )


def valid_barcode_line(text: str) -> bool:
    """Whether `text` is a valid linha digitável (see `check_barcode_line`)."""
    try:
        check_barcode_line(text)
    except PaymentCodeError:
        return False
    return True


def due_date_for_factor(factor: int, reference: date) -> date | None:
    """The due date a boleto's 4-digit factor names, or None for 0000 ("sem vencimento").

    Since the 2025-02-22 restart a factor from 1000 to 9999 names a date every 9000
    days (1000 is both 2000-07-03 and 2025-02-22). As banks do, take the one nearest
    to `reference`; a tie goes to the later date. Factors 1-999 were used only in the
    first cycle, before the restart skipped them.
    """
    if not 0 <= factor <= 9999:
        raise PaymentCodeError("format", f"fator de vencimento fora de 0000-9999: {factor}")
    if factor == 0:
        return None
    first = FACTOR_BASE_DATE + timedelta(days=factor)
    if factor < FACTOR_RESTART:
        return first
    # The nearest cycle, give or take one for rounding; none before the first.
    cycle = max(0, round((reference - first).days / FACTOR_CYCLE_DAYS))
    candidates = [
        first + timedelta(days=FACTOR_CYCLE_DAYS * n) for n in range(max(0, cycle - 1), cycle + 2)
    ]
    return min(candidates, key=lambda day: (abs((day - reference).days), -day.toordinal()))


def _line_digits(text: str) -> str:
    """The digits of a typed line, or PaymentCodeError if anything but separators is there."""
    compact = _LINE_SEPARATORS.sub("", normalize_text(text or ""))
    if not compact:
        raise PaymentCodeError("empty", "linha digitável vazia")
    if not (compact.isascii() and compact.isdigit()):
        raise PaymentCodeError("format", "linha digitável só aceita dígitos e separadores")
    return compact


def _check_boleto(digits: str, reference: date) -> BarcodeLine:
    """Fields 1-3 carry a módulo 10 check digit; digit 33 is the bar code's módulo 11."""
    fields = (digits[0:10], digits[10:21], digits[21:32])
    for number, field in enumerate(fields, start=1):
        if _mod10(field[:-1]) != int(field[-1]):
            raise PaymentCodeError(
                "field_check_digit", f"dígito verificador do campo {number} não confere"
            )
    # Bar code: bank+currency, general DV, factor+amount, then the 25-digit free field.
    barcode = digits[0:4] + digits[32] + digits[33:47] + digits[4:9] + digits[10:20] + digits[21:31]
    if _boleto_mod11(barcode[:4] + barcode[5:]) != int(barcode[4]):
        raise PaymentCodeError("check_digit", "dígito verificador geral não confere")
    return BarcodeLine(
        digits=digits,
        kind="boleto",
        barcode=barcode,
        bank=digits[0:3],
        amount=_cents(digits[37:47]),
        due_date=due_date_for_factor(int(digits[33:37]), reference),
    )


def _check_arrecadacao(digits: str) -> BarcodeLine:
    """Four blocks of 11 digits + check digit; the third digit says módulo 10 or 11."""
    value_id = digits[2]
    if value_id in "67":
        check = _mod10
    elif value_id in "89":
        check = _arrecadacao_mod11
    else:
        raise PaymentCodeError("format", "identificador de valor (3º dígito) deve ser 6, 7, 8 ou 9")
    blocks = [digits[start : start + 12] for start in range(0, ARRECADACAO_LENGTH, 12)]
    for number, block in enumerate(blocks, start=1):
        if check(block[:11]) != int(block[11]):
            raise PaymentCodeError(
                "field_check_digit", f"dígito verificador do bloco {number} não confere"
            )
    barcode = "".join(block[:11] for block in blocks)
    if check(barcode[:3] + barcode[4:]) != int(barcode[3]):
        raise PaymentCodeError("check_digit", "dígito verificador geral não confere")
    # 6 and 8 carry the amount in reais; 7 and 9 a quantity of an index ("moeda").
    amount = _cents(barcode[4:15]) if value_id in "68" else None
    return BarcodeLine(
        digits=digits, kind="arrecadacao", barcode=barcode, bank=None, amount=amount, due_date=None
    )


def _cents(digits: str) -> Decimal:
    """A zero-padded amount in cents as reais, always with two decimals."""
    return Decimal(int(digits)).scaleb(-2)


def _mod10(digits: str) -> int:
    """FEBRABAN módulo 10: weights 2,1,2,... from the right, products' digits summed."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def _weighted_mod11(digits: str) -> int:
    """Remainder by 11 of the sum with weights 2..9 (repeating) from the right."""
    weighted = (int(char) * (2 + position % 8) for position, char in enumerate(reversed(digits)))
    return sum(weighted) % 11


def _boleto_mod11(digits: str) -> int:
    """Boleto general check digit: 11 - remainder, where 0, 10 and 11 become 1."""
    check = 11 - _weighted_mod11(digits)
    return 1 if check in (0, 10, 11) else check


def _arrecadacao_mod11(digits: str) -> int:
    """Arrecadação módulo 11: remainders 0 and 1 give 0, the rest 11 - remainder."""
    remainder = _weighted_mod11(digits)
    return 0 if remainder in (0, 1) else 11 - remainder


# --- PIX copia-e-cola ------------------------------------------------------------------


def check_pix_code(text: str) -> PixCode:
    """Check a PIX copia-e-cola (EMV BR Code, static or dynamic) and decode it.

    Only surrounding whitespace is dropped: any other change would break the CRC. The
    CRC's hex digits are accepted in either case (the BCB manual writes them uppercase,
    but the value is the same and some generators emit lowercase). Raises
    PaymentCodeError.
    """
    payload = (text or "").strip()
    if not payload:
        raise PaymentCodeError("empty", "código PIX vazio")
    if not payload.startswith("000201"):
        raise PaymentCodeError("format", 'código PIX começa com "000201"')
    fields = _parse_tlv(payload, "código PIX")
    _check_crc(payload, fields)
    account = _merchant_account(fields)
    _expect(fields, "53", "986", "moeda")
    _expect(fields, "58", "BR", "país")
    if "62" in fields:
        _parse_tlv(fields["62"], "campo 62 (dados adicionais)")
    return PixCode(
        payload=payload,
        amount=_pix_amount(fields.get("54")),
        merchant_name=_require(fields, "59", "nome do recebedor"),
        city=_require(fields, "60", "cidade do recebedor"),
        key=account.get("01") or None,
        url=account.get("25") or None,
    )


def valid_pix_code(text: str) -> bool:
    """Whether `text` is a valid PIX copia-e-cola (see `check_pix_code`)."""
    try:
        check_pix_code(text)
    except PaymentCodeError:
        return False
    return True


def pix_crc(data: str) -> str:
    """CRC16-CCITT-FALSE of `data` (UTF-8) as 4 uppercase hex digits, as BR Codes carry it."""
    return f"{binascii.crc_hqx(data.encode('utf-8'), 0xFFFF):04X}"


def _parse_tlv(data: str, where: str) -> dict[str, str]:
    """EMV TLV: 2-digit id, 2-digit length, value; the lengths must cover `data` exactly."""
    fields: dict[str, str] = {}
    position = 0
    while position < len(data):
        header = data[position : position + 4]
        if len(header) < 4 or not (header.isascii() and header.isdigit()):
            raise PaymentCodeError("format", f"{where}: campo malformado na posição {position}")
        field_id, length = header[:2], int(header[2:])
        value = data[position + 4 : position + 4 + length]
        if len(value) < length:
            raise PaymentCodeError("format", f"{where}: campo {field_id} cortado")
        if field_id in fields:
            raise PaymentCodeError("format", f"{where}: campo {field_id} repetido")
        fields[field_id] = value
        position += 4 + length
    return fields


def _check_crc(payload: str, fields: dict[str, str]) -> None:
    """The last field is 63 (length 04) with the CRC of everything up to and including "6304"."""
    if next(reversed(fields)) != "63" or len(fields["63"]) != 4:
        raise PaymentCodeError("missing_field", 'código PIX termina com o CRC ("6304" + 4 hex)')
    written = fields["63"]
    if not _HEX4.fullmatch(written):
        raise PaymentCodeError("format", "CRC do código PIX deve ter 4 dígitos hexadecimais")
    if written.upper() != pix_crc(payload[:-4]):
        raise PaymentCodeError("crc", "CRC do código PIX não confere")


def _merchant_account(fields: dict[str, str]) -> dict[str, str]:
    """Template 26: the PIX GUI and either a key (01) or a payload URL (25)."""
    account = _parse_tlv(_require(fields, "26", "conta PIX"), "campo 26 (conta PIX)")
    if account.get("00", "").casefold() != PIX_GUI:
        raise PaymentCodeError("format", f'campo 26 não é de PIX (GUI "{PIX_GUI}")')
    if not (account.get("01") or account.get("25")):
        raise PaymentCodeError("missing_field", "campo 26 sem chave PIX (01) nem URL (25)")
    return account


def _require(fields: dict[str, str], field_id: str, label: str) -> str:
    """A non-empty field's value, or PaymentCodeError naming what is missing."""
    value = fields.get(field_id, "")
    if not value:
        raise PaymentCodeError("missing_field", f"código PIX sem {label} (campo {field_id})")
    return value


def _expect(fields: dict[str, str], field_id: str, expected: str, label: str) -> None:
    """A field that must be present and hold exactly `expected` (BRL, Brazil)."""
    if _require(fields, field_id, label) != expected:
        raise PaymentCodeError("format", f"{label} (campo {field_id}) deve ser {expected}")


def _pix_amount(value: str | None) -> Decimal | None:
    """Field 54: up to 13 characters, digits with an optional "." and 1-2 decimals."""
    if value is None:
        return None
    if len(value) > 13 or not _PIX_AMOUNT.fullmatch(value):
        raise PaymentCodeError("format", "valor (campo 54) malformado")
    return Decimal(value)


# --- Logging ---------------------------------------------------------------------------


def mask_code(text: str) -> str:
    """The code with all but its first 5 and last 4 characters as "*", for logs.

    Codes of 12 characters or fewer are hidden whole. Non-printable characters in the
    shown ends become "?", so a pasted code cannot forge extra log lines.
    """
    code = (text or "").strip()
    if len(code) <= _MASK_WHOLE:
        return "*" * len(code)
    head, tail = code[:_MASK_HEAD], code[-_MASK_TAIL:]
    hidden = "*" * (len(code) - _MASK_HEAD - _MASK_TAIL)
    return _printable(head) + hidden + _printable(tail)


def _printable(text: str) -> str:
    """Replace control and other non-printable characters with "?"."""
    return "".join(char if char.isprintable() else "?" for char in text)

"""Boleto linhas digitáveis and PIX copia-e-cola checks, against published examples."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from payment_codes import (
    PaymentCodeError,
    check_barcode_line,
    check_pix_code,
    due_date_for_factor,
    mask_code,
    pix_crc,
    valid_barcode_line,
    valid_pix_code,
)

CUSTOMERS_FILE = Path(__file__).resolve().parent.parent / "data" / "customers.json"

# --- Published linhas digitáveis (47 digits) ----------------------------------------------
# Each with the bank, amount and due date its source states; the reference date is the
# issue date, so the due-date factor resolves to the cycle the boleto was issued in.

PUBLISHED_BOLETOS = [
    pytest.param(
        # pyboleto tests/test_banco_itau.py (carteira 109, due 2009-10-19, R$ 29,80)
        "34191.09008 00015.710296 30132.800001 9 43950000002980",
        "341",
        Decimal("29.80"),
        date(2009, 10, 19),
        id="itau-pyboleto",
    ),
    pytest.param(
        # pyboleto tests/test_banco_do_brasil.py (convênio 7 dígitos, due 2011-03-08)
        "00190.00009 07777.777009 00087.654182 6 49000000295295",
        "001",
        Decimal("2952.95"),
        date(2011, 3, 8),
        id="banco-do-brasil-pyboleto",
    ),
    pytest.param(
        # pyboleto tests/test_banco_bradesco.py (carteira 06, due 2011-02-05)
        "23790.27804 60000.212559 25003.923205 4 48690000828000",
        "237",
        Decimal("8280.00"),
        date(2011, 2, 5),
        id="bradesco-pyboleto",
    ),
    pytest.param(
        # pyboleto tests/test_banco_caixa.py (carteira SR, due 2012-07-08)
        "10498.01952 25086.156582 70000.004146 1 53880000295295",
        "104",
        Decimal("2952.95"),
        date(2012, 7, 8),
        id="caixa-pyboleto",
    ),
    pytest.param(
        # pyboleto tests/test_banco_santander.py (due 2012-07-22)
        "03399.07073 07700.000123 34567.901029 5 54020000295295",
        "033",
        Decimal("2952.95"),
        date(2012, 7, 22),
        id="santander-pyboleto",
    ),
    pytest.param(
        # boleto-utils (JS, github.com/mrmgomes/boleto-utils) test/test.js: R$ 214,03,
        # vencimento 2022-05-10
        "10492006506100010004200997263900989810000021403",
        "104",
        Decimal("214.03"),
        date(2022, 5, 10),
        id="caixa-boleto-utils",
    ),
    pytest.param(
        # boleto-utils test/test.js, "Boleto de Cartão de Crédito": valor 0, fator 0000
        "23794150099001980167035000211405700000000000000",
        "237",
        Decimal("0.00"),
        None,
        id="credit-card-no-due-date-boleto-utils",
    ),
]

# Published as valid, without a stated amount or due date: checked for validity and bank.
PUBLISHED_VALID_ONLY = [
    # @brazilian-utils/is-valid-boleto README (npm): isValidBoleto(...) // true
    pytest.param("00190000090114971860168524522114675860000102656", "001", id="brazilian-utils"),
    # boleto-validator README (npm), "fatura ou carnê" example
    pytest.param("42297.11504 00001.954411 60020.034520 2 68610000054659", "422", id="safra"),
    # brbillcode README (PyPI), "Example digitable line for a bank boleto"
    pytest.param("00190500954014481606906809350314337370000000100", "001", id="brbillcode"),
]

ITAU = "34191090080001571029630132800001943950000002980"  # pyboleto's Itaú line, compact


@pytest.mark.parametrize(("text", "bank", "amount", "due_date"), PUBLISHED_BOLETOS)
def test_published_boleto_lines_are_valid_and_decoded(text, bank, amount, due_date):
    reference = due_date or date(2022, 5, 1)
    line = check_barcode_line(text, reference=reference)
    assert line.kind == "boleto"
    assert line.digits == text.replace(".", "").replace(" ", "")
    assert line.bank == bank
    assert line.amount == amount
    assert line.due_date == due_date
    assert valid_barcode_line(text)


@pytest.mark.parametrize(("text", "bank"), PUBLISHED_VALID_ONLY)
def test_published_valid_lines_pass(text, bank):
    assert check_barcode_line(text).bank == bank


def test_barcode_rebuilt_from_the_line_matches_the_published_one():
    # pyboleto tests/test_banco_itau.py publishes both the line and the 44-digit bar code.
    assert check_barcode_line(ITAU).barcode == "34199439500000029801090000015710293013280000"


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("34191.09008 00015.710296 30132.800001 9 43950000002980", id="bank-format"),
        pytest.param("34191-09008-00015-710296-30132-800001-9-43950000002980", id="dashes"),
        pytest.param("  3419109008\n0001571029630132800001\t943950000002980 \n", id="whitespace"),
        pytest.param("３４１９１" + ITAU[5:], id="full-width-digits"),
        pytest.param("34191.09008\u00a000015.710296 30132.800001 9 43950000002980", id="nbsp"),
    ],
)
def test_separators_typed_around_the_digits_are_ignored(typed):
    assert check_barcode_line(typed).digits == ITAU


def _replace_digit(line: str, index: int) -> str:
    """The line with the digit at `index` changed to another digit."""
    return line[:index] + str((int(line[index]) + 1) % 10) + line[index + 1 :]


@pytest.mark.parametrize(
    ("index", "reason"),
    [
        pytest.param(9, "field_check_digit", id="field-1-dv"),
        pytest.param(20, "field_check_digit", id="field-2-dv"),
        pytest.param(31, "field_check_digit", id="field-3-dv"),
        pytest.param(3, "field_check_digit", id="field-1-data"),
        pytest.param(15, "field_check_digit", id="field-2-data"),
        pytest.param(25, "field_check_digit", id="field-3-data"),
        pytest.param(32, "check_digit", id="general-dv"),
        pytest.param(35, "check_digit", id="due-date-factor"),
        pytest.param(44, "check_digit", id="amount"),
    ],
)
def test_one_changed_digit_is_caught(index, reason):
    with pytest.raises(PaymentCodeError) as caught:
        check_barcode_line(_replace_digit(ITAU, index))
    assert caught.value.reason == reason
    assert not valid_barcode_line(_replace_digit(ITAU, index))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(ITAU[:-1], "length", id="46-digits"),
        pytest.param(ITAU + "0", "format", id="48-digits-not-arrecadacao"),
        pytest.param(ITAU + "00", "length", id="49-digits"),
        pytest.param("34199439500000029801090000015710293013280000", "length", id="bar-code-44"),
        pytest.param(ITAU[:10] + "A" + ITAU[11:], "format", id="letter"),
        pytest.param(ITAU[:10] + "/" + ITAU[10:], "format", id="slash"),
        pytest.param("", "empty", id="empty"),
        pytest.param(" . - ", "empty", id="only-separators"),
    ],
)
def test_malformed_lines_are_refused(text, reason):
    with pytest.raises(PaymentCodeError) as caught:
        check_barcode_line(text)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)


# --- Arrecadação / convênio (48 digits) ---------------------------------------------------

PUBLISHED_ARRECADACAO = [
    pytest.param(
        # boleto-utils test/test.js: energia elétrica e gás, R$ 509,60 (módulo 11)
        "838600000050096000190009000801782309000343062712",
        Decimal("509.60"),
        id="energia-mod11-boleto-utils",
    ),
    pytest.param(
        # boleto-utils test/test.js, codBarras2LinhaDigitavel expected result (módulo 11)
        "858200000007572503282030560708202107539591904460",
        Decimal("57.25"),
        id="orgaos-mod11-boleto-utils",
    ),
    pytest.param(
        # boleto-utils test/test.js, linhaDigitavel2CodBarras input (módulo 10)
        "846300000003299902962024004101360008002006441147",
        Decimal("29.99"),
        id="telecom-mod10-boleto-utils",
    ),
    pytest.param(
        # boleto-validator README (npm), convênio example (módulo 10)
        "83640000001-1 33120138000-2 81288462711-6 08013618155-1",
        Decimal("133.12"),
        id="energia-mod10-boleto-validator",
    ),
    pytest.param(
        # boleto-validator README (npm), convênio example (módulo 11)
        "85890000460-9 52460179160-5 60759305086-5 83148300001-0",
        Decimal("46052.46"),
        id="orgaos-mod11-boleto-validator",
    ),
]
ENERGIA = "838600000050096000190009000801782309000343062712"


@pytest.mark.parametrize(("text", "amount"), PUBLISHED_ARRECADACAO)
def test_published_arrecadacao_lines_are_valid(text, amount):
    line = check_barcode_line(text)
    assert line.kind == "arrecadacao"
    assert line.bank is None
    assert line.due_date is None
    assert line.amount == amount


def test_arrecadacao_barcode_matches_the_published_one():
    # boleto-utils test/test.js publishes this line's 44-digit bar code.
    assert check_barcode_line(ENERGIA).barcode == "83860000005096000190000008017823000034306271"


@pytest.mark.parametrize(
    "index", [11, 23, 35, 47], ids=["block-1", "block-2", "block-3", "block-4"]
)
def test_arrecadacao_block_check_digits(index):
    with pytest.raises(PaymentCodeError) as caught:
        check_barcode_line(_replace_digit(ENERGIA, index))
    assert caught.value.reason == "field_check_digit"


def test_arrecadacao_general_check_digit():
    # The general DV (4th digit) sits inside block 1: change it, then repair block 1's own
    # DV so that only the general DV is wrong.
    changed = _replace_digit(ENERGIA, 3)
    reasons = {}
    for block_dv in "0123456789":
        candidate = changed[:11] + block_dv + changed[12:]
        with pytest.raises(PaymentCodeError) as caught:
            check_barcode_line(candidate)
        reasons[block_dv] = caught.value.reason
    assert list(reasons.values()).count("check_digit") == 1


def test_arrecadacao_with_an_unknown_value_identifier_is_refused():
    with pytest.raises(PaymentCodeError) as caught:
        check_barcode_line("835" + ENERGIA[3:])
    assert caught.value.reason == "format"


# --- Due-date factor and its 2025-02-22 restart ---------------------------------------------


@pytest.mark.parametrize(
    ("factor", "reference", "expected"),
    [
        # FEBRABAN, "Manual Operacional do Fator de Vencimento da Cobrança Bancária" v01
        # (2012-06-01), examples table: 1000, 1001, 5316, 9998 and 9999 (the limit).
        pytest.param(1000, date(2000, 7, 1), date(2000, 7, 3), id="1000-first-cycle"),
        pytest.param(1001, date(2000, 7, 1), date(2000, 7, 4), id="1001-first-cycle"),
        pytest.param(5316, date(2012, 4, 1), date(2012, 4, 27), id="5316"),
        pytest.param(9998, date(2025, 2, 1), date(2025, 2, 20), id="9998"),
        pytest.param(9999, date(2025, 2, 21), date(2025, 2, 21), id="9999-last-day"),
        # FEBRABAN's restart (announced 2024, in force 2025-02-22): 1000 = 2025-02-22,
        # counting on by one a day.
        pytest.param(1000, date(2025, 2, 22), date(2025, 2, 22), id="1000-restart"),
        pytest.param(1001, date(2025, 2, 23), date(2025, 2, 23), id="1001-restart"),
        # Around the restart the nearest date wins: a boleto due the day before, paid
        # late, and one due on the restart day, checked the day before.
        pytest.param(9999, date(2025, 3, 10), date(2025, 2, 21), id="9999-paid-late"),
        pytest.param(1000, date(2025, 2, 21), date(2025, 2, 22), id="1000-checked-early"),
        pytest.param(1001, date(2025, 2, 10), date(2025, 2, 23), id="1001-checked-early"),
        # Far from the restart the same factor names the second cycle's date, 9000 days on.
        # The restart's press coverage gives 2049-10-13 as the day 9999 comes round again.
        pytest.param(5316, date(2037, 1, 1), date(2036, 12, 17), id="5316-second-cycle"),
        pytest.param(9999, date(2049, 10, 1), date(2049, 10, 13), id="9999-second-cycle"),
        # Factors below 1000 were skipped by the restart: only their first-cycle date.
        pytest.param(999, date(2026, 1, 1), date(2000, 7, 2), id="999-first-cycle-only"),
        pytest.param(0, date(2026, 1, 1), None, id="0000-no-due-date"),
    ],
)
def test_due_date_for_factor(factor, reference, expected):
    assert due_date_for_factor(factor, reference) == expected


def test_due_date_of_a_line_depends_on_the_reference_date():
    # pyboleto's Itaú line: factor 4395 is 2009-10-19, and again 9000 days later.
    assert check_barcode_line(ITAU, reference=date(2010, 1, 1)).due_date == date(2009, 10, 19)
    assert check_barcode_line(ITAU, reference=date(2034, 1, 1)).due_date == date(2034, 6, 10)


@pytest.mark.parametrize("factor", [-1, 10000])
def test_factor_out_of_range_is_refused(factor):
    with pytest.raises(PaymentCodeError) as caught:
        due_date_for_factor(factor, date(2026, 1, 1))
    assert caught.value.reason == "format"


# --- PIX copia-e-cola ---------------------------------------------------------------------

# BCB, "Manual de Padrões para Iniciação do Pix": static BR Code with a random key.
BCB_STATIC = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
    "5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
PUBLISHED_PIX = [
    pytest.param(
        BCB_STATIC,
        None,
        "Fulano de Tal",
        "BRASILIA",
        "123e4567-e12b-12d1-a456-426655440000",
        None,
        id="bcb-manual-static",
    ),
    pytest.param(
        # BCB manual, section 6.2 (dynamic), as transcribed field by field in
        # gist.github.com/matheusb-comp/1efa205b3c0ffd7af1e8ce63a10e02dc; uppercase GUI.
        "00020101021226770014BR.GOV.BCB.PIX2555pix.example.com/qr/93598be0-1bd0-4997-8318-"
        "81776a1d8a995204000053039865802BR5907EMPRESA6009SAO PAULO62070503***6304EEAB",
        None,
        "EMPRESA",
        "SAO PAULO",
        None,
        "pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99",
        id="bcb-manual-dynamic",
    ),
    pytest.param(
        # pix-utils (JS, github.com/thalesog/pix-utils) tests/emvCodes.ts STATIC_TEST_EMV
        "00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 123520400005303986540510.00"
        "5802BR5914Thales Ogliari6015SAO MIGUEL DO O62070503***63044367",
        Decimal("10.00"),
        "Thales Ogliari",
        "SAO MIGUEL DO O",
        "thalesog@me.com",
        None,
        id="pix-utils-static-amount",
    ),
    pytest.param(
        # pix-utils tests/emvCodes.ts STATIC_TEST_NO_VALUE_EMV (amount field "0.00")
        "00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 12352040000530398654040.00"
        "5802BR5914Thales Ogliari6015SAO MIGUEL DO O62070503***63044406",
        Decimal("0.00"),
        "Thales Ogliari",
        "SAO MIGUEL DO O",
        "thalesog@me.com",
        None,
        id="pix-utils-static-zero",
    ),
    pytest.param(
        # pix-utils tests/emvCodes.ts STATIC_TEST_NO_VALUE_ELEMENT_EMV (no field 54)
        "00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 1235204000053039865802BR"
        "5914Thales Ogliari6015SAO MIGUEL DO O62070503***63042C6B",
        None,
        "Thales Ogliari",
        "SAO MIGUEL DO O",
        "thalesog@me.com",
        None,
        id="pix-utils-static-no-amount",
    ),
    pytest.param(
        # pix-utils tests/emvCodes.ts DYNAMIC_TEST_EMV
        "00020126740014br.gov.bcb.pix2552payload.psp.com/3ec9d2f9-5f03-4e0e-820d-63a81e769e87"
        "5204000053039865802BR5914Thales Ogliari6015SAO MIGUEL DO O62070503***63040C64",
        None,
        "Thales Ogliari",
        "SAO MIGUEL DO O",
        None,
        "payload.psp.com/3ec9d2f9-5f03-4e0e-820d-63a81e769e87",
        id="pix-utils-dynamic",
    ),
]


@pytest.mark.parametrize(("payload", "amount", "name", "city", "key", "url"), PUBLISHED_PIX)
def test_published_pix_codes_are_valid_and_decoded(payload, amount, name, city, key, url):
    pix = check_pix_code(payload)
    assert pix.payload == payload
    assert pix.amount == amount
    assert (pix.merchant_name, pix.city) == (name, city)
    assert (pix.key, pix.url) == (key, url)
    assert valid_pix_code(payload)


def test_crc_matches_the_published_check_value():
    # CRC-16/CCITT-FALSE catalogue check value: "123456789" -> 0x29B1.
    assert pix_crc("123456789") == "29B1"


def test_bcb_static_example_with_an_inconsistent_length_is_refused():
    # BCB manual, section 6.1, as transcribed in the gist above: its CRC (170E) is right,
    # but template 62 declares 8 characters for "0503***" (7), so the TLV does not parse.
    published = (
        "00020126360014BR.GOV.BCB.PIX0114+5511943214321520400005303986540566.665802BR"
        "5907EMPRESA6008BRASILIA62080503***6304170E"
    )
    assert pix_crc(published[:-4]) == "170E"
    with pytest.raises(PaymentCodeError) as caught:
        check_pix_code(published)
    assert caught.value.reason == "format"


def _tlv(field_id: str, value: str) -> str:
    return f"{field_id}{len(value):02d}{value}"


def _with_crc(body: str) -> str:
    """A payload whose CRC is right, so that only the field under test is wrong."""
    return body + "6304" + pix_crc(body + "6304")


def _pix_body(overrides: dict[str, str | None] | None = None) -> str:
    """BCB_STATIC's fields (without the CRC), with some replaced, or left out when None."""
    fields = {
        "00": "01",
        "26": _tlv("00", "br.gov.bcb.pix") + _tlv("01", "123e4567-e12b-12d1-a456-426655440000"),
        "52": "0000",
        "53": "986",
        "54": None,
        "58": "BR",
        "59": "Fulano de Tal",
        "60": "BRASILIA",
        "62": _tlv("05", "***"),
    }
    fields.update(overrides or {})
    return "".join(_tlv(field_id, value) for field_id, value in fields.items() if value is not None)


def test_pix_body_helper_rebuilds_the_bcb_example():
    assert _with_crc(_pix_body()) == BCB_STATIC


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(BCB_STATIC[:-1] + "C", "crc", id="crc-changed"),
        pytest.param(BCB_STATIC.replace("Fulano", "Fulana"), "crc", id="name-changed"),
        pytest.param(BCB_STATIC.replace("986", "968"), "crc", id="currency-digits-swapped"),
        pytest.param(BCB_STATIC[:-4] + "1D3G", "format", id="crc-not-hex"),
        pytest.param(BCB_STATIC[:-8], "missing_field", id="no-6304"),
        pytest.param(BCB_STATIC[:-4], "format", id="6304-without-value"),
        pytest.param(BCB_STATIC[:-10], "format", id="truncated-tlv"),
        pytest.param(BCB_STATIC[:40], "format", id="cut-in-the-middle"),
        pytest.param(BCB_STATIC + "00", "format", id="trailing-garbage"),
        pytest.param(BCB_STATIC[:-8] + "63051D3D0", "missing_field", id="crc-length-5"),
        pytest.param(BCB_STATIC[6:], "format", id="no-payload-format-indicator"),
        pytest.param("000202" + BCB_STATIC[6:], "format", id="payload-format-02"),
        pytest.param("", "empty", id="empty"),
        pytest.param(_with_crc(_pix_body({"59": None})), "missing_field", id="no-merchant-name"),
        pytest.param(_with_crc(_pix_body({"60": None})), "missing_field", id="no-city"),
        pytest.param(_with_crc(_pix_body({"60": ""})), "missing_field", id="empty-city"),
        pytest.param(_with_crc(_pix_body({"26": None})), "missing_field", id="no-merchant-account"),
        pytest.param(_with_crc(_pix_body({"53": None})), "missing_field", id="no-currency"),
        pytest.param(_with_crc(_pix_body({"53": "840"})), "format", id="currency-usd"),
        pytest.param(_with_crc(_pix_body({"58": None})), "missing_field", id="no-country"),
        pytest.param(_with_crc(_pix_body({"58": "US"})), "format", id="country-us"),
        pytest.param(
            _with_crc(_pix_body({"26": _tlv("00", "br.gov.bcb.pix")})),
            "missing_field",
            id="no-key-nor-url",
        ),
        pytest.param(
            _with_crc(_pix_body({"26": _tlv("00", "br.com.other") + _tlv("01", "chave")})),
            "format",
            id="not-pix-gui",
        ),
        pytest.param(
            _with_crc(_pix_body({"26": "0014br.gov.bcb.pix0199abc"})),
            "format",
            id="merchant-account-truncated",
        ),
        pytest.param(
            _with_crc(_pix_body({"62": "0503**"})), "format", id="additional-data-truncated"
        ),
        pytest.param(_with_crc(_pix_body({"54": "10,00"})), "format", id="amount-comma"),
        pytest.param(_with_crc(_pix_body({"54": "10.001"})), "format", id="amount-3-decimals"),
        pytest.param(_with_crc(_pix_body() + _tlv("58", "BR")), "format", id="repeated-field"),
    ],
)
def test_bad_pix_codes_are_refused(payload, reason):
    with pytest.raises(PaymentCodeError) as caught:
        check_pix_code(payload)
    assert caught.value.reason == reason
    assert not valid_pix_code(payload)


def test_crc_in_lowercase_hex_is_accepted():
    # The manual writes the CRC in uppercase; lowercase carries the same value, and some
    # generators emit it, so it is accepted (documented in check_pix_code).
    assert check_pix_code(BCB_STATIC[:-4] + "1d3d").merchant_name == "Fulano de Tal"


def test_whitespace_around_a_pasted_pix_code_is_dropped():
    assert check_pix_code(f"  {BCB_STATIC}\n").payload == BCB_STATIC


def test_fields_52_and_62_are_not_required_and_the_amount_is_read():
    # The BCB manual lists 52 and 62 as mandatory, but they do not change what is paid;
    # the check requires only what the brief names (26, 53, 58, 59, 60, 63).
    pix = check_pix_code(_with_crc(_pix_body({"54": "1234.5", "52": None, "62": None})))
    assert pix.amount == Decimal("1234.5")
    assert pix.key == "123e4567-e12b-12d1-a456-426655440000"


# --- Masking for logs ---------------------------------------------------------------------


def test_mask_code_shows_only_the_ends():
    assert mask_code(ITAU) == "34191" + "*" * 38 + "2980"
    masked = mask_code(BCB_STATIC)
    assert masked.startswith("00020") and masked.endswith("1D3D")
    assert "123e4567" not in masked and "Fulano" not in masked
    assert len(masked) == len(BCB_STATIC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "", id="empty"),
        pytest.param("123456789012", "************", id="short-hidden-whole"),
        pytest.param("  1234567890123  ", "12345****0123", id="stripped"),
        pytest.param("ab\ncd12345678\x1b", "ab?cd*****678?", id="control-characters"),
    ],
)
def test_mask_code_edge_cases(text, expected):
    assert mask_code(text) == expected


# --- Demo data ----------------------------------------------------------------------------


def _demo_invoices() -> list:
    customers = json.loads(CUSTOMERS_FILE.read_text(encoding="utf-8"))["customers"]
    return [
        pytest.param(invoice, id=invoice["id"])
        for customer in customers
        for invoice in customer["invoices"]
    ]


@pytest.mark.parametrize("invoice", _demo_invoices())
def test_demo_invoice_codes_are_valid_and_match_the_invoice(invoice):
    due_date = date.fromisoformat(invoice["due_date"])
    amount = Decimal(str(invoice["amount"]))
    # Any day near the invoice picks the post-2025 cycle these demo boletos are in.
    line = check_barcode_line(invoice["barcode_line"], reference=date(2026, 11, 26))
    assert (line.due_date, line.amount) == (due_date, amount)
    if invoice.get("pix_code"):
        assert check_pix_code(invoice["pix_code"]).amount == amount


def test_demo_data_has_invoices_to_check():
    assert len(_demo_invoices()) >= 4

"""Masking of phones, names and documents in free text and in log records."""

import logging
import re

import pytest

from privacy import PrivacyFilter, install_log_privacy, mask_name, mask_phone, scrub

FULL_SECRETS = [
    "52998224725",
    "11222333000181",
    "12ABC34501DE35",
    "5511987650001",
    "81896604192873",
    "987654321",
]


def _no_secret_in(text: str) -> None:
    """Assert that no full document/phone survives, whatever its formatting."""
    compact = re.sub(r"[\s.()/+-]", "", text).upper()
    for secret in FULL_SECRETS:
        assert secret not in compact, f"{secret} leaked in {text!r}"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("5511987650001", "5511*****0001"),
        ("551187650001", "551******001"),
        ("11987650001", "119*****001"),
        ("+5511987650001", "+551******0001"),
        ("81896604192873@lid", "8189******2873@lid"),
        ("5511987650001@c.us", "5511*****0001@c.us"),
        ("120363019502650977-group", "1203**********0977-group"),
        ("12345", "1***5"),
        ("1234", "1**4"),
        ("123", "***"),
        ("1", "*"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("phone", ["5511987650001", "81896604192873", "12345", "12", "7"])
def test_mask_phone_never_shows_the_whole_number(phone):
    masked = mask_phone(phone)
    assert masked != phone
    assert len(masked) == len(phone)
    assert masked.count("*") >= len(phone) / 3


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Maria da Silva", "M**** d* S****"),
        ("  José   Carlos  Pereira ", "J*** C***** P******"),
        ("Padaria Pão Dourado Ltda", "P****** P** D****** L***"),
        ("Ana", "A**"),
        ("", ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("cpf 529.982.247-25 ok", "cpf 529.***.***-25 ok"),
        ("cpf=52998224725", "cpf=529.***.***-25"),
        ("cnpj 11.222.333/0001-81", "cnpj 11.***.***/****-81"),
        ("cnpj 11222333000181;", "cnpj 11.***.***/****-81;"),
        ("cnpj 12.ABC.345/01DE-35", "cnpj 12.***.***/****-35"),
        ("cnpj 12ABC34501DE35", "cnpj 12.***.***/****-35"),
        ("cnpj 12abc34501de35", "cnpj 12.***.***/****-35"),
        ("typo 529.982.247-26", "typo 529.***.***-26"),
        ("phone=5511987650001 sent", "phone=5511*****0001 sent"),
        ("lid 81896604192873@lid", "lid 8189******2873@lid"),
        ("tel (11) 98765-4321.", "tel 119*****321."),
        ("tel +55 11 98765-4321", "tel 5511*****4321"),
    ],
)
def test_scrub_masks_documents_and_phones(line, expected):
    assert scrub(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "2026-11-24 13:45:12,123 INFO bot_logic new conversation 20261124000123",
        "POST /messages/send12 200 in 35 ms",
        "message 3EB0C767D26A1D8E2B4F delivered",
        "cep 01310-100 coberto, plano 500-mega, R$ 99,90",
        "retrying in 2.5 s (attempt 3 of 5)",
    ],
)
def test_scrub_leaves_ordinary_log_text_alone(line):
    assert scrub(line) == line


def test_scrub_over_log_like_lines():
    lines = [
        "2026-11-24 13:45:12,123 INFO [3EB0C767] from 5511987650001: document 529.982.247-25",
        "2026-11-24 13:45:13,001 WARNING customer 11.222.333/0001-81 not found",
        "2026-11-24 13:45:14,500 INFO lead phone=+55 (11) 98765-4321 cnpj=12ABC34501DE35",
        "2026-11-24 13:45:15,000 ERROR send to 81896604192873@lid failed: 503",
    ]
    scrubbed = [scrub(line) for line in lines]
    for line in scrubbed:
        _no_secret_in(line)
        assert line.startswith("2026-11-24 13:45:1")
    assert "529.***.***-25" in scrubbed[0]
    assert "5511*****0001" in scrubbed[0]
    assert "ERROR send to 8189" in scrubbed[3]


def test_scrub_is_idempotent():
    line = "doc 529.982.247-25 phone 5511987650001 cnpj 12ABC34501DE35 (11) 98765-4321"
    assert scrub(scrub(line)) == scrub(line)


@pytest.fixture
def private_logger():
    logger = logging.getLogger("theo.test_privacy")
    logger.setLevel(logging.DEBUG)
    yield logger
    logger.filters.clear()


def test_filter_scrubs_message_and_args(private_logger, caplog):
    private_logger.addFilter(PrivacyFilter())
    with caplog.at_level(logging.INFO, logger="theo.test_privacy"):
        private_logger.info("customer %s wrote from %s", "529.982.247-25", "5511987650001")
        private_logger.warning("cnpj %(doc)s not found", {"doc": "12.ABC.345/01DE-35"})
    assert caplog.messages == [
        "customer 529.***.***-25 wrote from 5511*****0001",
        "cnpj 12.***.***/****-35 not found",
    ]
    _no_secret_in(caplog.text)


def test_filter_scrubs_tracebacks(private_logger, caplog):
    private_logger.addFilter(PrivacyFilter())
    with caplog.at_level(logging.ERROR, logger="theo.test_privacy"):
        try:
            raise LookupError("no customer for 52998224725")
        except LookupError:
            private_logger.exception("lookup failed for phone 5511987650001")
    assert "LookupError: no customer for 529.***.***-25" in caplog.text
    _no_secret_in(caplog.text)


def test_filter_keeps_a_broken_format_for_logging_to_report(private_logger):
    record = private_logger.makeRecord(
        private_logger.name, logging.INFO, __file__, 1, "two %s %s", ("only one",), None
    )
    assert PrivacyFilter().filter(record) is True
    assert record.msg == "two %s %s"


def test_install_on_a_handler_covers_child_loggers():
    parent = logging.getLogger("theo_privacy_parent")
    child = logging.getLogger("theo_privacy_parent.child")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    parent.addHandler(handler)
    parent.setLevel(logging.INFO)
    try:
        install_log_privacy(parent)
        child.info("phone %s", "5511987650001")
    finally:
        parent.removeHandler(handler)
        parent.filters.clear()
    assert [r.getMessage() for r in records] == ["phone 5511*****0001"]


def test_install_log_privacy_is_idempotent():
    logger = logging.getLogger("theo_privacy_idempotent")
    handler = logging.NullHandler()
    logger.addHandler(handler)
    try:
        install_log_privacy(logger)
        install_log_privacy(logger)
        count_on_logger = sum(isinstance(f, PrivacyFilter) for f in logger.filters)
        count_on_handler = sum(isinstance(f, PrivacyFilter) for f in handler.filters)
    finally:
        logger.removeHandler(handler)
        logger.filters.clear()
    assert (count_on_logger, count_on_handler) == (1, 1)


def test_install_defaults_to_the_root_logger():
    root = logging.getLogger()
    before = {id(f): list(f.filters) for f in (root, *root.handlers)}
    try:
        install_log_privacy()
        assert any(isinstance(f, PrivacyFilter) for f in root.filters)
        assert all(
            any(isinstance(f, PrivacyFilter) for f in handler.filters) for handler in root.handlers
        )
    finally:
        for filterer in (root, *root.handlers):
            filterer.filters[:] = before.get(id(filterer), [])


# --- Numbers typed the way people type them ------------------------------------------------
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("cpf 529-982-247-25", "cpf 529.***.***-25"),
        ("cpf 529.982.24725", "cpf 529.***.***-25"),
        ("cpf 529982247 25", "cpf 529.***.***-25"),
        ("cpf 529\u2011982\u2011247\u201125", "cpf 529.***.***-25"),  # non-breaking hyphens
        ("cpf 529\u00a0982\u00a0247\u00a025", "cpf 529.***.***-25"),  # non-breaking spaces
        ("cpf ５２９.９８２.２４７-２５", "cpf 529.***.***-25"),  # full-width digits
        ("cpf 529.982\u200b.247-25", "cpf 529.***.***-25"),  # an invisible mark inside
        ("cnpj 11 222 333 0001 81", "cnpj 11.***.***/****-81"),
        ("cnpj 11.222.333 0001-81", "cnpj 11.***.***/****-81"),
        ("tel +55 11 987650001", "tel 5511*****0001"),
        ("tel (11) 98765 0001", "tel 119*****001"),
        ("tel 11 98765 0001", "tel 119*****001"),
        ("tel 55 11 3333 4444", "tel 551******444"),
        ("tel (11)3333.4444", "tel 113****444"),
    ],
)
def test_scrub_masks_numbers_written_with_any_separator(line, expected):
    assert scrub(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "protocolo 20261124000123 aberto",
        "valor R$ 1.234,56 vence 24/11/2026",
        "2026-11-24 13:45:12,123 INFO started",
        "pedido 123 456 789 12",  # 11 digits in groups, but not a valid CPF
        "cnpj 11 222 333 0001 82",  # wrong check digit: not a CNPJ
        "plano 500 mega por 99,90 ao mês, 12 meses",
        "cep 01310 100 e número 1500",
        "ip 192.168.100.200 porta 8080",
    ],
)
def test_scrub_leaves_protocols_amounts_and_dates_alone(line):
    assert scrub(line) == line


def test_repeated_digits_in_groups_are_no_document_however_long():
    line = "1 " * 20_000  # each 14 ones would pass the CNPJ check digits

    assert scrub(line) == line


def test_scrub_keeps_the_rest_of_the_text_as_written():
    line = "2ª via, nº 500 — cliente 👨‍👩‍👧 cpf 529\u2011982\u2011247\u201125 ok"

    assert scrub(line) == "2ª via, nº 500 — cliente 👨‍👩‍👧 cpf 529.***.***-25 ok"


def test_a_ticket_with_every_format_leaks_nothing():
    ticket = (
        "Sou a Maria, cpf 529-982-247-25 (ou 529.982.24725, 529982247 25,"
        " 529\u2011982\u2011247-25), me liga no +55 11 987650001 ou (11) 98765 0001;"
        " empresa 11 222 333 0001 81"
    )

    scrubbed = scrub(ticket)

    _no_secret_in(scrubbed)
    assert "11987650001" not in re.sub(r"\D", "", scrubbed)


# --- Log lines cannot be forged -------------------------------------------------------------
@pytest.mark.parametrize("control", ["\n", "\r", "\x1b[31m", "\x00", "\u2028", "\u202e", "\x85"])
def test_filter_neutralises_control_characters_in_the_message(private_logger, control):
    record = private_logger.makeRecord(
        private_logger.name,
        logging.INFO,
        __file__,
        1,
        "duplicate %s",
        (f"ABC{control}2026-11-24 INFO theo.admin customer forgotten",),
        None,
    )

    PrivacyFilter().filter(record)

    message = record.getMessage()
    assert message.isprintable(), message
    assert message.startswith("duplicate ABC")

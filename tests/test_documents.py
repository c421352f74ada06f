"""CPF/CNPJ/CEP parsing and masking."""

import pytest

from documents import (
    Document,
    DocumentError,
    format_cep,
    mask_document,
    normalize_phone,
    parse_cep,
    parse_document,
)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("529.982.247-25", "CPF", "52998224725"),
        ("52998224725", "CPF", "52998224725"),
        ("186.091.390-34", "CPF", "18609139034"),
        ("628.194.821-12", "CPF", "62819482112"),
        ("123.456.789-09", "CPF", "12345678909"),
        ("11.222.333/0001-81", "CNPJ", "11222333000181"),
        ("11222333000181", "CNPJ", "11222333000181"),
        ("12.ABC.345/01DE-35", "CNPJ", "12ABC34501DE35"),
        ("12ABC34501DE35", "CNPJ", "12ABC34501DE35"),
        ("12.abc.345/01de-35", "CNPJ", "12ABC34501DE35"),
    ],
)
def test_valid_documents(text, kind, value):
    assert parse_document(text) == Document(kind, value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("meu cpf é 529.982.247-25", "52998224725"),
        ("CPF: 529.982.247-25.", "52998224725"),
        ("o cpf do titular é 52998224725, obrigado", "52998224725"),
        ("CNPJ: 12.ABC.345/01DE-35", "12ABC34501DE35"),
        ("cnpj da empresa 11.222.333/0001-81", "11222333000181"),
        ("529 982 247 25", "52998224725"),
        ("  529.982.247-25\n", "52998224725"),
        ("sou cliente 2 anos, cpf 529.982.247-25", "52998224725"),
    ],
)
def test_document_inside_a_sentence(text, value):
    assert parse_document(text).value == value


@pytest.mark.parametrize(
    "text",
    [
        "529\u200b982\u200b247\u200b25",  # zero-width spaces
        "\ufeff529.982.247-25",  # byte order mark
        "529.982.247\u201325",  # en dash
        "529.982.247\u221225",  # minus sign
        "５２９.９８２.２４７-２５",  # full-width digits
        "529\u00a0982\u00a0247\u00a025",  # no-break spaces
    ],
)
def test_odd_unicode_is_folded(text):
    assert parse_document(text) == Document("CPF", "52998224725")


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("529.982.247-2", 10),
        ("5299822472", 10),
        ("5299822472500", 13),
        ("11.222.333/0001-8", 13),
        ("11.222.333/0001-811", 15),
        ("meu cpf é 529.982.247-2", 10),
        ("123", 3),
    ],
)
def test_wrong_length_reports_what_was_counted(text, length):
    with pytest.raises(DocumentError) as caught:
        parse_document(text)
    assert caught.value.reason == "length"
    assert caught.value.length == length


@pytest.mark.parametrize(
    "text",
    [
        "529.982.247-26",
        "52998224724",
        "123.456.789-00",
        "11.222.333/0001-82",
        "12.ABC.345/01DE-36",
        "12.ABD.345/01DE-35",
    ],
)
def test_wrong_check_digits(text):
    with pytest.raises(DocumentError) as caught:
        parse_document(text)
    assert caught.value.reason == "checksum"


@pytest.mark.parametrize(
    "text", ["111.111.111-11", "000.000.000-00", "99999999999", "00.000.000/0000-00", "1" * 14]
)
def test_repeated_digits_are_rejected(text):
    with pytest.raises(DocumentError) as caught:
        parse_document(text)
    assert caught.value.reason == "repeated"


@pytest.mark.parametrize(
    "text",
    [
        "529.982.247-2A",  # a letter in a CPF
        "52A98224725",
        "12.ABC.345/01DE-3X",  # CNPJ check digits are always numeric
    ],
)
def test_letters_where_they_cannot_be(text):
    with pytest.raises(DocumentError) as caught:
        parse_document(text)
    assert caught.value.reason == "format"


@pytest.mark.parametrize("text", ["", "   ", "não sei", "cpf", "\u200b", "- / ."])
def test_nothing_like_a_document(text):
    with pytest.raises(DocumentError) as caught:
        parse_document(text)
    assert caught.value.reason == "empty"


def test_valid_document_wins_over_other_numbers():
    text = "liguei 3 vezes, cpf 529.982.247-25"
    assert parse_document(text).value == "52998224725"


def test_document_error_is_a_value_error_without_the_number():
    with pytest.raises(ValueError, match="checksum") as caught:
        parse_document("529.982.247-26")
    assert "52998224726" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("52998224725", "529.***.***-25"),
        ("529.982.247-25", "529.***.***-25"),
        ("11222333000181", "11.***.***/****-81"),
        ("11.222.333/0001-81", "11.***.***/****-81"),
        ("12.ABC.345/01DE-35", "12.***.***/****-35"),
        ("12abc34501de35", "12.***.***/****-35"),
        ("", "***"),
        ("abc", "***"),
        ("5511987650001", "***"),
    ],
)
def test_mask_document(value, masked):
    assert mask_document(value) == masked


@pytest.mark.parametrize(
    "value", ["52998224725", "11222333000181", "12ABC34501DE35", "18609139034"]
)
def test_masking_never_reveals_the_middle(value):
    masked = mask_document(value)
    middle = value[3:9] if len(value) == 11 else value[2:12]
    assert middle not in masked.replace(".", "").replace("/", "").replace("-", "")
    assert sum(ch.isalnum() for ch in masked) <= 5


def test_document_masked_property():
    assert parse_document("meu cpf é 529.982.247-25").masked == "529.***.***-25"
    assert parse_document("12.ABC.345/01DE-35").masked == "12.***.***/****-35"


@pytest.mark.parametrize(
    "text",
    [
        "01310-100",
        "01310100",
        "01.310-100",
        "01310 100",
        "Av. Paulista, 1000 - CEP 01310-100",
        "cep: 01310100, apto 12",
        "Rua Augusta 1500, São Paulo - SP, 01310-100",
        "０１３１０-１００",
    ],
)
def test_parse_cep(text):
    assert parse_cep(text) == "01310100"


def test_parse_cep_prefers_the_labelled_one():
    assert parse_cep("Rua das Flores 12345-678 fundos, CEP 69900-000") == "69900000"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Rua Augusta, 1500",
        "0131010",
        "013101000",
        "11 98765-4321",
        "529.982.247-25",
        "00000-000",
    ],
)
def test_parse_cep_without_a_cep(text):
    assert parse_cep(text) is None


def test_format_cep():
    assert format_cep("01310100") == "01310-100"
    assert format_cep("01310-100") == "01310-100"
    with pytest.raises(ValueError):
        format_cep("0131")


@pytest.mark.parametrize(
    ("typed", "phone"),
    [
        ("+55 (11) 98765-0001", "5511987650001"),
        ("55 11 98765 0001", "5511987650001"),
        ("＋５５ １１ ９８７６５－０００１", "5511987650001"),  # full-width, as some keyboards type
        ("5511\u00a098765\u20110001", "5511987650001"),
        ("٥٥١١٩٨٧٦٥٠٠٠١", "5511987650001"),  # Arabic-Indic digits
        ("81896604192873@lid", "81896604192873@lid"),
        ("120363019502650977-group", "120363019502650977-group"),
        (" () ", ""),
    ],
)
def test_normalize_phone_folds_look_alike_digits_and_keeps_whatsapp_ids(typed, phone):
    assert normalize_phone(typed) == phone

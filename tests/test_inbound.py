"""Reading Z-API callbacks: handle, ignore or refuse."""

from __future__ import annotations

import pytest

from conftest import load_fixture
from inbound import Incoming, PayloadError, delivery_failure, parse_callback


def test_text_message():
    message = parse_callback(load_fixture("text_message"))

    assert message == Incoming(
        "A20DA9C0183A2D35A260F53F5D2B9244", "5511987650001", "text", text="Oi, boa tarde"
    )


def test_button_reply_carries_the_button_id():
    message = parse_callback(load_fixture("button_reply"))

    assert message.kind == "text"
    assert message.choice_id == "1"
    assert message.text == "Sim"


def test_list_reply_carries_the_row_id_and_title():
    message = parse_callback(load_fixture("list_reply"))

    assert message.choice_id == "2"
    assert message.text == "Suporte técnico"


@pytest.mark.parametrize(
    "field, value",
    [
        ("audio", {"audioUrl": "https://x/a.ogg", "ptt": True}),
        ("image", {"imageUrl": "https://x/i.jpg"}),
        ("image", {"imageUrl": "https://x/i.jpg", "caption": "   "}),
        ("video", {"videoUrl": "https://x/v.mp4"}),
        ("document", {"documentUrl": "https://x/d.pdf", "fileName": "d.pdf"}),
        ("sticker", {"stickerUrl": "https://x/s.webp"}),
        ("location", {"latitude": -23.56, "longitude": -46.65, "address": "Av. Paulista"}),
        ("contact", {"displayName": "Ana", "vCard": "BEGIN:VCARD"}),
    ],
)
def test_media_is_a_media_message(field, value):
    payload = load_fixture("text_message")
    del payload["text"]
    payload[field] = value

    message = parse_callback(payload)

    assert message.kind == "media"
    assert message.media_type == field


@pytest.mark.parametrize("field", ["image", "video", "document"])
def test_a_caption_is_read_as_the_customer_text(field):
    payload = load_fixture("text_message")
    del payload["text"]
    payload[field] = {"url": "https://x/f", "caption": " a luz ta vermelha "}

    message = parse_callback(payload)

    assert message.kind == "text"
    assert message.text == "a luz ta vermelha"
    assert message.media_type == field


def test_unknown_content_is_still_answered_as_media():
    payload = load_fixture("text_message")
    del payload["text"]
    payload["pixKeyMessage"] = {"key": "x"}

    assert parse_callback(payload).kind == "media"


def test_attendant_typing_on_the_phone_is_a_takeover():
    message = parse_callback(load_fixture("from_me_attendant"))

    assert message.kind == "takeover"


def test_text_is_cut_to_the_limit():
    payload = load_fixture("text_message")
    payload["text"]["message"] = "x" * 5000

    assert len(parse_callback(payload, max_text_chars=100).text) == 100


def test_numeric_message_id_is_accepted_as_text():
    payload = load_fixture("text_message") | {"messageId": 123456}

    assert parse_callback(payload).message_id == "123456"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "texto",
        {},
        {"type": None},
        {"type": "ReceivedCallback"},
        {"type": "ReceivedCallback", "phone": "", "messageId": "X"},
        {"type": "ReceivedCallback", "phone": "5511", "messageId": "X" * 500},
        {"type": "ReceivedCallback", "phone": True, "messageId": "X"},
        {"type": "ReceivedCallback", "phone": "5511", "messageId": "X", "text": "oi"},
        {"type": "ReceivedCallback", "phone": "5511", "messageId": "X", "text": {"message": 1.5}},
        {"type": "ReceivedCallback", "phone": "5511", "messageId": "X", "text": {}},
        {
            "type": "ReceivedCallback",
            "phone": "5511",
            "messageId": "X",
            "buttonsResponseMessage": {"buttonId": {"nested": 1}},
        },
    ],
)
def test_malformed_payloads_raise(payload):
    with pytest.raises(PayloadError):
        parse_callback(payload)


@pytest.mark.parametrize(
    "phone", ["5500\u000011111111", "abc", "12345", "5511" + "9" * 30, "55 11 98765"]
)
def test_phones_that_are_not_whatsapp_numbers_are_refused(phone):
    payload = load_fixture("text_message") | {"phone": phone}

    with pytest.raises(PayloadError, match="phone"):
        parse_callback(payload)


@pytest.mark.parametrize("phone", ["5511987650001", "81896604192873@lid", "551198765001@c.us"])
def test_numbers_and_whatsapp_ids_are_accepted(phone):
    payload = load_fixture("text_message") | {"phone": phone}

    assert parse_callback(payload).phone == phone


@pytest.mark.parametrize(
    "phone",
    [
        "５５１１９８７６５０００１",  # full-width digits
        "55１１987650001",
        "٥٥١١٩٨٧٦٥٠٠٠١",  # Arabic-Indic digits
        "551198765",  # too short for 55 + DDD + number
        "55119876500011",  # too long
        "1987650001",  # no country code
        "4915112345678",  # not a Brazilian number
    ],
)
def test_only_brazilian_numbers_in_ascii_digits_are_accepted(phone):
    payload = load_fixture("text_message") | {"phone": phone}

    with pytest.raises(PayloadError, match="phone"):
        parse_callback(payload)


@pytest.mark.parametrize("phone", ["551133334444", "5500999990001", "120363019502650977@g.us"])
def test_landlines_simulator_numbers_and_groups_keep_their_treatment(phone):
    payload = load_fixture("text_message") | {"phone": phone}

    assert parse_callback(payload) is None or parse_callback(payload).phone == phone


@pytest.mark.parametrize("control", ["\n", "\r\n", "\x1b[31m", "\x00", "\u2028", "\u202e"])
def test_control_characters_never_stay_in_the_message_id(control):
    forged = f"3EB0{control}2026-11-24 10:00:00 INFO theo.admin customer 5511 forgotten"
    payload = load_fixture("text_message") | {"messageId": forged}

    message_id = parse_callback(payload).message_id

    assert message_id.isprintable()
    assert message_id.startswith("3EB0") and message_id.endswith("forgotten")


def test_a_delivery_failure_phone_cannot_carry_control_characters():
    payload = {"type": "DeliveryCallback", "phone": "5511\n98765\x1b0001", "error": "x\ny"}

    phone, error = delivery_failure(payload)

    assert phone.isprintable() and error.isprintable()


def test_an_attendant_message_with_an_odd_body_is_still_a_takeover():
    body = load_fixture("from_me_attendant") | {"text": 12345}

    message = parse_callback(body)

    assert message is not None and message.kind == "takeover" and message.text == ""

"""Billing requests through the webhook: due day, disputed charge, nota fiscal, card."""

from __future__ import annotations

import pytest

from conftest import Chat, says

MARIA_CPF = "529.982.247-25"
MARIA_PHONE = "5511912340001"
PAULISTA_CPF = "628.194.821-12"
PAULISTA_PHONE = "5511912340003"


@pytest.fixture
def maria(client, zapi) -> Chat:
    return Chat(client, zapi, MARIA_PHONE)


def requests_of(chat: Chat, kind: str) -> list:
    return [request for request in chat.records() if request.kind == kind]


# --- Due day ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "phrasing",
    [
        "quero mudar a data de vencimento do meu boleto pro dia 20",
        "qria mudar o vencimento p dia 20",
        "da pra trocar o vencimento pra dia 20?",
        "queria q vencesse todo dia 20",
    ],
)
def test_due_day_said_in_the_request_is_recorded(maria, phrasing):
    maria.say(phrasing)
    answer = maria.say(MARIA_CPF)

    assert says(answer, "vencimento.registrado", dia=20, prazo="2 dias úteis")
    (request,) = requests_of(maria, "due_date_change")
    assert request.details == {"customer": "CLI-000123", "current_day": 10, "new_day": 20}


def test_due_day_asked_shows_the_current_one_and_refuses_a_day_not_allowed(maria):
    maria.say("da pra trocar o dia do vencimento?")

    answer = maria.say(MARIA_CPF)
    assert says(answer, "vencimento.pedir_dia", atual=10, dias="5, 10, 15, 20 ou 25")
    answer = maria.say("dia 31")
    assert says(answer, "vencimento.dia_nao_permitido", dia=31, dias="5, 10, 15, 20 ou 25")
    assert requests_of(maria, "due_date_change") == []
    answer = maria.say("entao pode ser 15")
    assert says(answer, "vencimento.registrado", dia=15, prazo="2 dias úteis")


def test_the_same_due_day_needs_no_request(maria):
    maria.say("quero alterar a data de vencimento")
    maria.say(MARIA_CPF)

    assert says(maria.say("10"), "vencimento.ja_e_esse", dia=10)
    assert requests_of(maria, "due_date_change") == []


def test_due_day_change_asks_the_cep_from_another_phone(stranger):
    stranger.say("quero mudar o vencimento")
    stranger.say(MARIA_CPF)

    assert stranger.state() == "verify_cep"
    stranger.say("01310-100")
    assert stranger.state() == "due_day"


def test_allowed_due_days_come_from_the_setting(tmp_path, clock, zapi):
    from app import create_app
    from conftest import zapi_config

    app = create_app(zapi_config(tmp_path / "t.sqlite3", due_days="1, 7"), clock=clock)
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)
    chat.say("quero mudar o vencimento")

    assert says(chat.say(MARIA_CPF), "vencimento.pedir_dia", atual=10, dias="1 ou 7")


# --- Disputed or double charge ----------------------------------------------------------
@pytest.mark.parametrize(
    "phrasing",
    [
        "recebi uma cobrança indevida, fui cobrado 2 vezes",
        "vcs me cobraram em dobro esse mes",
        "a fatura veio errada",
        "quero contestar uma cobranca",
        "paguei duas vezes o mesmo boleto",
    ],
)
def test_disputed_charge_lists_the_invoices(maria, phrasing):
    maria.say(phrasing)
    answer = maria.say(MARIA_CPF)

    assert says(answer, "cobranca.qual_fatura")
    assert "outubro/2026" in answer and "novembro/2026" in answer
    assert maria.state() == "dispute_invoice"


def test_disputed_charge_is_recorded_with_the_invoice_and_the_description(maria):
    maria.say("fui cobrado 2 vezes")
    maria.say(MARIA_CPF)

    assert says(maria.say("a de novembro"), "cobranca.descrever")
    answer = maria.say("paguei no pix e no boleto, quero o estorno de um")
    assert says(answer, "cobranca.registrada", prazo="2 dias úteis")
    (dispute,) = requests_of(maria, "billing_dispute")
    assert dispute.details["invoice"] == "FAT-2026-11-000123"
    assert "estorno" in dispute.details["description"]


def test_disputed_charge_picks_by_number(maria):
    maria.say("cobranca indevida")
    maria.say(MARIA_CPF)
    maria.say("1")

    assert maria.state() == "dispute_describe"
    maria.say("valor diferente do meu plano")
    assert requests_of(maria, "billing_dispute")[0].details["invoice"] == "FAT-2026-12-000123"


def test_disputed_charge_without_invoices_goes_to_the_description(client, zapi):
    paulista = Chat(client, zapi, PAULISTA_PHONE)
    paulista.say("me cobraram errado")

    assert says(paulista.say(PAULISTA_CPF), "cobranca.descrever")


# --- Nota fiscal ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "phrasing",
    ["preciso da nota fiscal do mes passado", "manda a nf pfv", "qro a nota da internet"],
)
def test_nota_fiscal_asks_which_month_when_several(maria, phrasing):
    maria.say(phrasing)
    answer = maria.say(MARIA_CPF)

    assert says(answer, "nota.qual_mes")
    assert maria.state() == "note_pick"


def test_nota_fiscal_link_is_sent_as_a_document(maria, zapi):
    maria.say("preciso da nota fiscal")
    maria.say(MARIA_CPF)

    answer = maria.say("novembro")

    url = "https://nfe.startconecta.com.br/nfcom/FAT-2026-11-000123.pdf"
    assert says(answer, "nota.link", mes="novembro/2026", link=url)
    assert any(message.body.get("document") == url for message in zapi.history)


@pytest.mark.parametrize(
    "phrasing", ["manda a nf de novembro", "preciso da nota fiscal de novembro pfv"]
)
def test_the_month_named_in_the_request_is_not_asked_again(maria, phrasing):
    maria.say(phrasing)

    answer = maria.say(MARIA_CPF)

    assert says(answer, "nota.link", mes="novembro/2026")
    assert not says(answer, "nota.qual_mes")


def test_nota_fiscal_missing_is_recorded_for_the_team(client, zapi):
    paulista = Chat(client, zapi, PAULISTA_PHONE)
    paulista.say("preciso da nota fiscal")

    answer = paulista.say(PAULISTA_CPF)

    assert says(answer, "nota.registrada", prazo="2 dias úteis")
    assert [r.kind for r in paulista.records()] == ["fiscal_note"]


def test_nota_fiscal_after_a_boleto_is_not_the_boleto_again(maria):
    maria.say("segunda via")
    maria.say(MARIA_CPF)

    maria.say("isso é boleto, eu quero a nota fiscal")
    assert maria.state() == "note_pick"


# --- Card or debit ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "phrasing",
    ["vcs aceitam cartao?", "posso pagar no cartao de credito", "tem debito automatico?"],
)
def test_card_or_debit_gets_a_short_answer(maria, phrasing):
    answer = maria.say(phrasing)

    assert says(answer, "cobranca.cartao")
    assert maria.state() == "anything_else"
    assert maria.records() == []


def test_card_asked_while_giving_the_cpf_keeps_the_boleto_flow(client, zapi):
    stranger = Chat(client, zapi, "5511987650033")  # not on record: the CPF is asked
    stranger.say("segunda via do boleto")
    assert stranger.state() == "boleto_document"

    answer = stranger.say("ah e aceita cartao?")

    assert says(answer, "cobranca.cartao")
    assert stranger.state() == "boleto_document"  # the CPF question again, not the closing
    stranger.say(MARIA_CPF)
    assert stranger.state() != "boleto_document"


@pytest.mark.parametrize(
    ("phrasing", "state"),
    [
        ("segunda via do boleto", "boleto_document"),
        ("quando vence minha fatura", "boleto_document"),
        ("quero mudar de plano", "plan_document"),
    ],
)
def test_other_billing_words_keep_their_flows(maria, phrasing, state):
    maria.say(phrasing)

    assert maria.state() == state

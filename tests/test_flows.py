"""Every flow of the conversation spec, driven through POST /webhook."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from app import create_app
from conftest import MAIN_MENU_TITLES, SAO_PAULO, WEBHOOK_PATH, Chat, load_fixture

MARIA_CPF = "529.982.247-25"
BUSINESS_CNPJ = "11.222.333/0001-81"
ALPHANUMERIC_CNPJ = "12.ABC.345/01DE-35"
SUSPENDED_CPF = "186.091.390-34"
PAULISTA_CPF = "628.194.821-12"
PAULISTA_PHONE = "5511912340003"  # on record for PAULISTA_CPF (data/LEIAME.md)


@pytest.fixture
def paulista(client, zapi) -> Chat:
    """The holder of PAULISTA_CPF, writing from the phone on record."""
    return Chat(client, zapi, PAULISTA_PHONE)


UNKNOWN_CPF = "123.456.789-09"


def kinds(chat: Chat) -> list[str]:
    return [request.kind for request in chat.records()]


# --- Greeting and menu ---------------------------------------------------------
def test_first_message_gets_greeting_protocol_and_menu_in_order(chat):
    answer = chat.say("Oi, boa tarde")

    assert "START Conecta" in answer
    protocol = re.search(r"\b(20261124\d{6,})\b", answer).group(1)
    assert protocol == chat.protocol()
    positions = [answer.index(f"*{n}* - {title}") for n, title in enumerate(MAIN_MENU_TITLES, 1)]
    assert positions == sorted(positions)


@pytest.mark.parametrize("answer", ["1", " 1 ", "1.", "1️⃣", "opção 1", "Opcao 1"])
def test_menu_option_by_number_in_its_many_forms(chat, answer):
    chat.say("oi")

    assert "CPF ou CNPJ" in chat.say(answer)
    assert chat.state() == "boleto_document"


def test_menu_option_by_list_tap(chat):
    chat.say("oi")

    assert "Qual é o problema?" in chat.tap_list("2", "Suporte técnico")
    assert chat.state() == "support_menu"


@pytest.mark.parametrize(
    "words, state",
    [
        ("boleto", "boleto_document"),
        ("2ª via", "boleto_document"),
        ("SEGUNDA VIA", "boleto_document"),
        ("suporte", "support_menu"),
        ("estou sem internet", "support_document"),
        ("internet lenta", "slow_where"),
        ("quero cancelar", "plan_document"),
        ("contratar", "sales_cep"),
        ("cobertura", "coverage_cep"),
    ],
)
def test_free_words_from_the_menu_jump_into_the_flow(chat, words, state):
    chat.say("oi")

    chat.say(words)

    assert chat.state() == state


def test_first_message_naming_a_flow_greets_and_goes_straight_in(chat):
    answer = chat.say("quero a 2ª via do boleto")

    assert chat.protocol() in answer
    assert "START Conecta" in answer
    assert "CPF ou CNPJ" in answer
    assert chat.state() == "boleto_document"


def test_question_with_cep_is_answered_at_once(chat):
    chat.say("oi")

    answer = chat.say("vocês atendem o cep 01310-100?")

    assert "atendemos o CEP *01310-100*" in answer
    assert "R$ 89,90" in answer


# --- 1. Segunda via de boleto ------------------------------------------------------
def test_boleto_lists_open_invoices_oldest_first_with_codes(chat):
    chat.say("oi")
    chat.say("1")

    messages = chat.post(chat.payload(MARIA_CPF))
    answer = "\n".join(messages)

    assert "2 faturas em aberto" in answer
    assert answer.index("outubro/2026") < answer.index("dezembro/2026")
    assert "10/10/2026" in answer and "10/12/2026" in answer
    assert "R$ 99,90" in answer
    assert answer.count("Fatura vencida") == 1
    barcodes = [text for text in messages if re.fullmatch(r"\d{47}", text)]
    assert len(barcodes) == 2
    assert sum(text.startswith("000201") for text in messages) == 2
    assert "https://boletos.startconecta.com.br/" in answer
    assert "Posso ajudar em algo mais?" in messages[-1]
    assert chat.protocol() in messages[-1]
    assert MARIA_CPF not in answer and "52998224725" not in answer
    assert "529.***.***-25" in answer


def test_boleto_accepts_a_document_inside_a_sentence(chat):
    chat.say("oi")
    chat.say("1")

    assert "2 faturas em aberto" in chat.say("meu cpf é 52998224725")


@pytest.mark.parametrize(
    "document, expected",
    [
        ("5299822472", "recebi 10"),
        ("529.982.247-26", "dígitos verificadores"),
        ("111.111.111-11", "todos os dígitos são iguais"),
        ("11.222.333/0001-80", "dígitos verificadores"),
    ],
)
def test_invalid_document_says_why_and_asks_again(chat, document, expected):
    chat.say("oi")
    chat.say("1")

    answer = chat.say(document)

    assert expected in answer
    assert "CPF ou CNPJ" in answer
    assert chat.state() == "boleto_document"


def test_document_not_found_offers_retry_attendant_or_menu(chat):
    chat.say("oi")
    chat.say("1")

    answer = chat.say(UNKNOWN_CPF)

    assert "Não encontrei nenhum cadastro" in answer
    assert "123.***.***-09" in answer
    assert "Tentar outro documento" in answer and "atendente" in answer
    assert "CPF ou CNPJ" in chat.say("1")
    chat.say(UNKNOWN_CPF)
    assert "2 faturas em aberto" in chat.say(MARIA_CPF)


def test_business_customer_with_nothing_open_is_told_all_is_paid(chat):
    chat.say("oi")
    chat.say("1")

    assert "Está tudo pago" in chat.say(BUSINESS_CNPJ)


def test_alphanumeric_cnpj_is_recognised(chat):
    chat.say("oi")
    chat.say("1")

    answer = chat.say("12.abc.345/01de-35")

    assert "1 fatura em aberto" in answer
    assert "R$ 149,90" in answer


# --- 2.1 Sem internet ------------------------------------------------------------
def test_suspended_contract_gets_invoices_and_reconnection_notice(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("1")

    answer = chat.say(SUSPENDED_CPF)

    assert "suspenso por falta de pagamento" in answer
    assert "Fatura vencida" in answer
    assert "desbloqueio de confiança" in answer
    assert chat.state() == "trust_unlock_offer"
    assert "automaticamente" in chat.say("não, vou pagar hoje")
    assert chat.state() == "anything_else"
    assert kinds(chat) == []


def chat_with_outage(tmp_path, config, clock, zapi, restoration: str) -> Chat:
    """A chat whose data has an active outage on the Av. Paulista CEPs."""
    data = tmp_path / "data"
    shutil.copytree(Path(__file__).parents[1] / "data", data)
    outage = {
        "id": "OC-1",
        "cep_prefixes": ["01310"],
        "message": "Rompimento de fibra na Av. Paulista.",
        "expected_restoration": restoration,
        "active": True,
    }
    (data / "outages.json").write_text(json.dumps({"outages": [outage]}), encoding="utf-8")
    app = create_app(config.__class__(**{**config.__dict__, "data_dir": str(data)}), clock=clock)
    return Chat(app.test_client(), zapi)


def test_known_outage_is_explained_without_a_ticket(tmp_path, config, clock, zapi):
    chat = chat_with_outage(tmp_path, config, clock, zapi, "2026-11-24T16:00:00-03:00")
    chat.say("oi")
    chat.say("sem internet")

    answer = chat.say(MARIA_CPF)

    assert "Rompimento de fibra" in answer
    assert "hoje às 16h" in answer
    assert "atendente" in answer
    assert chat.state() == "anything_else"
    assert kinds(chat) == []


def test_red_light_then_cable_fixed_is_resolved(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("1")

    assert "vermelha" in chat.say(PAULISTA_CPF)
    assert "cabo óptico" in chat.say("sim")
    assert "voltou a funcionar" in chat.say("voltou")
    assert kinds(chat) == []


def test_no_red_light_restart_fails_then_visit_is_recorded_with_diagnosis(paulista):
    chat = paulista
    chat.say("oi")
    chat.say("2")
    chat.say("1")
    chat.say(PAULISTA_CPF)

    assert "30 segundos" in chat.say("2")
    answer = chat.say("não")
    assert "técnico" in answer and "período" in answer
    assert "628.***.***-12" in answer
    answer = chat.say("1")

    assert "Manhã" in answer or "manhã" in answer
    assert chat.protocol() in answer
    [visit] = chat.records()
    assert visit.kind == "visit"
    assert visit.details["period"] == "manhã"
    assert visit.details["problem"] == "sem_internet"
    assert [step["answer"] for step in visit.details["diagnosis"]] == ["não", "não"]
    assert visit.phone == chat.phone


def test_yes_no_answers_by_button(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("1")
    chat.say(PAULISTA_CPF)

    assert "cabo óptico" in chat.tap_button("1", "Sim")


# --- 2.2 Internet lenta -----------------------------------------------------------
def test_slow_on_iptv_is_not_a_connection_problem(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("2")

    answer = chat.say("1")

    assert "servidores externos" in answer
    assert chat.state() == "anything_else"


def test_slow_but_above_half_gets_wifi_tips(chat):
    chat.say("oi")
    chat.say("internet lenta")
    assert "cabo" in chat.say("2")

    answer = chat.say("não")

    assert "5 GHz" in answer
    assert chat.state() == "anything_else"


def test_slow_below_half_persisting_schedules_a_visit(chat):
    chat.say("oi")
    chat.say("internet lenta")
    chat.say("2")
    assert "reinicie o modem" in chat.say("sim")
    answer = chat.say("não, continua igual")
    assert "CPF ou CNPJ" in answer
    assert "período" in chat.say(MARIA_CPF)

    chat.say("tarde")

    [visit] = chat.records()
    assert visit.details["problem"] == "internet_lenta"
    assert visit.details["period"] == "tarde"


def test_slow_below_half_fixed_by_restart_is_resolved(chat):
    chat.say("oi")
    chat.say("internet lenta")
    chat.say("2")
    chat.say("sim")

    assert "a velocidade melhorou" in chat.say("melhorou")


# --- 2.3 Modem desligado / 2.4 Outro problema ------------------------------------------
def test_modem_turns_on_after_power_check(chat):
    chat.say("oi")
    chat.say("2")
    assert "tomada" in chat.say("3")

    assert "o modem ligou" in chat.say("sim")


def test_modem_still_off_leads_to_visit(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("3")
    chat.say("não")
    chat.say(MARIA_CPF)
    chat.say("2")

    [visit] = chat.records()
    assert visit.details["problem"] == "modem_desligado"


def test_other_problem_records_ticket_and_hands_over(chat):
    chat.say("oi")
    chat.say("2")
    assert "Descreva" in chat.say("4")

    answer = chat.say("O telefone fixo parou de funcionar desde ontem")

    assert "atendente" in answer
    assert kinds(chat) == ["ticket", "handoff"]
    assert chat.records()[0].details["description"].startswith("O telefone fixo")
    assert chat.state() == "human"
    assert chat.say("alô?") == ""


# --- 3. Contratar internet / 4. Cobertura ------------------------------------------------
def test_sales_lead_in_covered_cep(chat):
    chat.say("oi")
    assert "CEP" in chat.say("3")

    answer = chat.say("01310-100")
    assert "300 Mega" in answer and "500 Mega" in answer and "1 Giga" in answer
    assert "R$ 99,90" in answer
    assert "nome" in chat.say("2")
    answer = chat.say("Meu nome é Ana Lima")

    assert "Obrigado!" in answer and "Ana" not in answer
    [lead] = chat.records()
    assert lead.kind == "lead"
    assert lead.details == {"name": "Ana Lima", "cep": "01310100", "plan": "500-mega"}
    assert lead.phone == chat.phone


def test_sales_address_without_cep_asks_for_the_cep(chat):
    chat.say("oi")
    chat.say("3")

    answer = chat.say("Rua Augusta, 500, Consolação")

    assert "preciso do *CEP*" in answer
    assert chat.state() == "sales_cep"


def test_sales_plan_by_name(chat):
    chat.say("oi")
    chat.say("3")
    chat.say("01310100")

    assert "*1 Giga*" in chat.say("quero o de 1 giga")


def test_not_covered_cep_records_interest_when_asked(chat):
    chat.say("oi")
    chat.say("3")

    assert "Ainda não atendemos" in chat.say("69900-000")
    assert "avisar" in chat.say("sim")

    [interest] = chat.records()
    assert interest.kind == "coverage_interest"
    assert interest.details["cep"] == "69900000"


def test_coverage_then_contract_with_the_same_cep(chat):
    chat.say("oi")
    chat.say("4")

    answer = chat.say("01415-000")
    assert "atendemos o CEP *01415-000*" in answer
    assert "Quer contratar" in answer
    assert "Qual plano" in chat.say("sim")
    chat.say("1")
    chat.say("Carlos")

    [lead] = chat.records()
    assert lead.details["cep"] == "01415000"
    assert lead.details["plan"] == "300-mega"


def test_coverage_not_covered_declined(chat):
    chat.say("oi")
    chat.say("4")
    chat.say("69900000")

    assert "Se mudar de ideia" in chat.say("não")
    assert kinds(chat) == []


# --- 5. Cancelamento / alteração -------------------------------------------------------
def test_cancellation_with_reason_is_recorded(chat):
    chat.say("oi")
    chat.say("5")
    chat.say("1")

    answer = chat.say(MARIA_CPF)
    assert "M•••• A•••••••• S••••" in answer
    assert "500 Mega" in answer
    assert "Maria" not in answer
    assert "motivo" in chat.say("sim")
    answer = chat.say("Vou me mudar de cidade")

    assert "2 dias úteis" in answer
    [request] = chat.records()
    assert request.kind == "cancellation"
    assert request.details["reason"] == "Vou me mudar de cidade"


def test_cancellation_reason_can_be_skipped(chat):
    chat.say("oi")
    chat.say("quero cancelar")
    chat.say(MARIA_CPF)
    chat.say("1")
    chat.say("pular")

    assert chat.records()[0].details["reason"] == ""


def test_cancellation_declined_keeps_the_contract(chat):
    chat.say("oi")
    chat.say("5")
    chat.say("1")
    chat.say(MARIA_CPF)

    assert "continua ativo" in chat.say("não")
    assert kinds(chat) == []


def test_plan_change_lists_area_plans_and_records_the_choice(chat):
    chat.say("oi")
    chat.say("5")
    chat.say("2")

    answer = chat.say(MARIA_CPF)
    assert "500 Mega (seu plano atual)" in answer
    assert "já é o seu plano" in chat.say("2")
    answer = chat.say("3")

    assert "*1 Giga*" in answer
    [change] = chat.records()
    assert change.kind == "plan_change"
    assert change.details["from_plan"] == "500-mega"
    assert change.details["to_plan"] == "1-giga"


# --- 6. Atendente ------------------------------------------------------------------
def test_attendant_within_hours_transfers_and_goes_silent(chat):
    chat.say("oi")

    answer = chat.say("6")

    assert "segunda a sexta" not in answer  # the hours matter only when the team is away
    assert "transferindo" in answer
    assert kinds(chat) == ["handoff"]
    assert chat.records()[0].details["within_hours"] is True
    assert chat.say("oi, alguém?") == ""
    assert "Segunda via de boleto" in chat.say("menu")


@pytest.mark.parametrize(
    "moment, reopening",
    [
        (datetime(2026, 11, 28, 14, 0, tzinfo=SAO_PAULO), "segunda-feira"),  # Saturday afternoon
        (datetime(2026, 11, 24, 19, 0, tzinfo=SAO_PAULO), "amanhã às 8h"),
        (datetime(2026, 12, 25, 10, 0, tzinfo=SAO_PAULO), "amanhã às 8h"),  # Christmas
    ],
)
def test_attendant_out_of_hours_says_when_it_reopens(chat, clock, moment, reopening):
    clock.set(moment)
    chat.say("oi")

    answer = chat.say("falar com atendente")

    assert "fora do horário" in answer
    assert reopening in answer
    assert chat.records()[0].details["within_hours"] is False
    assert chat.say("tem alguém aí?") == ""


# --- Global rules -----------------------------------------------------------------
def test_voltar_goes_to_the_previous_menu(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("1")

    assert "Qual é o problema?" in chat.say("voltar")
    assert "Como posso ajudar?" in chat.say("voltar")


def test_menu_abandons_the_flow(chat):
    chat.say("oi")
    chat.say("3")

    assert "Como posso ajudar?" in chat.say("Menu")
    assert chat.state() == "main_menu"


def test_sair_says_goodbye_and_the_next_message_starts_over(chat):
    chat.say("oi")
    first = chat.protocol()

    answer = chat.say("sair")

    assert "Até logo" in answer and first in answer
    assert chat.state() is None
    chat.say("oi")
    assert chat.protocol() != first


def test_three_invalid_answers_offer_the_attendant_and_menu(chat):
    chat.say("oi")
    assert "de 1 a 6" in chat.say("xyz")
    assert "de 1 a 6" in chat.say("9")

    answer = chat.say("asdfgh")

    assert "atendente" in answer and "*6*" in answer
    assert "Segunda via de boleto" in answer


def test_session_expires_after_thirty_minutes(chat, clock):
    chat.say("oi")
    chat.say("1")
    first = chat.protocol()

    clock.advance(1801)
    answer = chat.say(MARIA_CPF)

    assert "START Conecta" in answer
    assert chat.protocol() != first


def test_session_survives_twenty_nine_minutes(chat, clock):
    chat.say("oi")
    chat.say("1")

    clock.advance(29 * 60)

    assert "2 faturas em aberto" in chat.say(MARIA_CPF)


def test_after_a_flow_a_menu_number_starts_another(chat):
    chat.say("oi")
    chat.say("1")
    chat.say(BUSINESS_CNPJ)

    assert "CEP" in chat.say("4")


@pytest.mark.parametrize("thanks", ["obrigado", "valeu!", "ok, obrigada", "não, obrigado"])
def test_thanks_after_a_flow_says_goodbye(chat, thanks):
    chat.say("oi")
    chat.say("1")
    chat.say(BUSINESS_CNPJ)

    assert "Até logo" in chat.say(thanks)
    assert chat.state() is None


def test_after_a_flow_free_words_start_another(chat):
    chat.say("oi")
    chat.say("1")
    chat.say(BUSINESS_CNPJ)

    answer = chat.say("quero falar com atendente")

    assert "transferindo" in answer
    assert chat.state() == "human"


def test_asking_for_a_person_during_a_yes_no_question_hands_over(chat):
    chat.say("oi")
    chat.say("sem internet")
    chat.say(PAULISTA_CPF)

    answer = chat.say("quero falar com um atendente")

    assert "transferindo" in answer
    assert kinds(chat) == ["handoff"]


def test_sales_name_is_asked_once_and_again_only_when_unclear(chat):
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")
    answer = chat.say("3")
    assert answer.count("qual é o seu nome?") == 1
    assert "*1 Giga*" in answer

    answer = chat.say("12345")

    assert "Não consegui entender o nome" in answer
    assert answer.count("?") == 1  # the hint asks for the name itself: no second question
    assert "Ótima escolha" not in answer


def test_coverage_then_contract_does_not_announce_coverage_twice(chat):
    chat.say("oi")
    chat.say("4")
    chat.say("01310-100")

    answer = chat.say("sim")

    assert "atendemos" not in answer
    assert "Qual plano te interessa?" in answer


def test_every_recorded_request_keeps_the_conversation_protocol(chat):
    chat.say("oi")
    protocol = chat.protocol()
    chat.say("3")
    chat.say("69900000")
    chat.say("sim")
    chat.say("6")

    records = chat.records()
    assert [r.kind for r in records] == ["coverage_interest", "handoff"]
    assert {r.protocol for r in records} == {protocol}


def test_two_customers_do_not_share_a_conversation(client, zapi):
    ana, bruno = Chat(client, zapi, "5511911110001"), Chat(client, zapi, "5511922220002")
    ana.say("oi")
    bruno.say("oi")
    ana.say("1")

    assert bruno.state() == "main_menu"
    assert ana.protocol() != bruno.protocol()


def test_outage_past_its_forecast_says_the_repair_goes_on(tmp_path, config, clock, zapi):
    chat = chat_with_outage(tmp_path, config, clock, zapi, "2026-11-24T08:00:00-03:00")
    chat.say("oi")
    chat.say("sem internet")

    answer = chat.say(MARIA_CPF)

    assert "A previsão inicial era hoje às 8h" in answer
    assert "ainda está em andamento" in answer
    assert "normalização é" not in answer


# --- Answers as customers really give them (review findings) ------------------------------
@pytest.mark.parametrize(
    "answer, expected",
    [
        ("continua", "técnico"),
        ("continua lenta", "técnico"),
        ("piorou", "técnico"),
        ("melhorou sim", "a velocidade melhorou"),
    ],
)
def test_slow_after_restart_reads_how_customers_answer(chat, answer, expected):
    chat.say("oi")
    chat.say("internet lenta")
    chat.say("2")
    chat.say("sim")

    assert expected in chat.say(answer)


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("ficou abaixo", "reinicie o modem"),
        ("deu bem menos", "reinicie o modem"),
        ("não, ficou acima da metade", "5 GHz"),
        ("deu 80 mega", "*80 Mega* ficou abaixo da metade"),  # no plan known: confirm
        ("não tenho cabo", "perto do roteador"),
    ],
)
def test_speed_test_answers(chat, answer, expected):
    chat.say("oi")
    chat.say("internet lenta")
    chat.say("2")

    answer_text = chat.say(answer)

    assert expected in answer_text
    assert "START Conecta!" not in answer_text  # never mistaken for a sale


@pytest.mark.parametrize("answer", ["luz vermelha", "a luz pon ta piscando", "tem uma vermelha"])
def test_red_light_described_in_words_is_a_yes(chat, answer):
    chat.say("oi")
    chat.say("sem internet")
    chat.say(PAULISTA_CPF)

    assert "cabo óptico" in chat.say(answer)


def test_words_naming_the_current_flow_count_as_invalid_and_escalate(chat):
    chat.say("oi")
    chat.say("3")
    first = chat.say("não sei o cep")
    help_ = chat.say("como vejo o cep?")  # a question asked back: its answer, no strike
    second = chat.say("sei lá")
    third = chat.say("sei lá, não faço ideia")

    assert "correios" in first and "correios" in help_ and second
    assert chat.state() == "main_menu"
    assert "*6*" in third


@pytest.mark.parametrize("answer", ["ja tentei tudo isso", "já fiz isso antes de chamar vcs"])
def test_already_tried_means_no_and_books_the_visit(chat, answer):
    chat.say("oi")
    chat.say("2")
    chat.say("3")

    assert "técnico" in chat.say(answer)
    assert chat.state() == "visit_document"


def test_main_menu_offers_the_attendant_after_three_invalid_answers(chat):
    chat.say("oi")
    chat.say("blablá xyz")
    chat.say("qwerty asdf")

    answer = chat.say("lorem ipsum dolor")

    assert "Parece que não estou conseguindo te entender" in answer


def test_confirmo_confirms_the_cancellation(chat):
    chat.say("oi")
    chat.say("quero cancelar")
    chat.say(MARIA_CPF)

    assert "motivo" in chat.say("confirmo")


def test_another_request_at_a_yes_no_question_starts_that_flow(chat):
    chat.say("oi")
    chat.say("quero cancelar")
    chat.say(MARIA_CPF)

    answer = chat.say("to sem internet")

    assert "continua ativo" not in answer
    assert kinds(chat) == []
    assert chat.state() == "red_light"


def test_asking_for_a_person_as_a_name_or_reason_hands_over(chat):
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")
    chat.say("1")

    assert "transferindo" in chat.say("quero falar com atendente")
    assert kinds(chat) == ["handoff"]


@pytest.mark.parametrize("not_a_name", ["sim", "ok"])
def test_yes_words_are_not_a_name(chat, not_a_name):
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")
    chat.say("1")

    assert "Não consegui entender o nome" in chat.say(not_a_name)
    assert kinds(chat) == []


def test_a_voice_note_first_gets_greeting_text_only_notice_and_menu(chat):
    payload = chat.payload(audio={"audioUrl": "https://x/a.ogg", "ptt": True})

    answer = "\n".join(chat.post(payload))

    assert "START Conecta" in answer
    assert "só consigo ler texto" in answer
    assert "Segunda via de boleto" in answer


def test_address_with_numbers_asks_for_the_cep_not_a_valid_one(chat):
    chat.say("oi")
    chat.say("3")

    answer = chat.say("Av Paulista 1000 ap 52")

    assert "preciso do *CEP*" in answer
    assert "não parece válido" not in answer


def test_identified_customer_is_not_asked_the_document_again_for_cancellation(chat):
    chat.say("oi")
    chat.say("1")
    chat.say(MARIA_CPF)

    answer = chat.say("quero cancelar")

    assert "529.***.***-25" in answer
    assert "Confirma que deseja solicitar o *cancelamento*" in answer


def test_contract_after_coverage_with_a_plan_named(chat):
    chat.say("oi")
    chat.say("4")
    chat.say("01310-100")

    answer = chat.say("quero o de 500")

    assert "*500 Mega*" in answer
    assert "qual é o seu nome?" in answer


def test_cheapest_plan_by_words(chat):
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")

    assert "*300 Mega*" in chat.say("o mais barato")


def test_boleto_of_a_suspended_contract_says_so_and_how_it_comes_back(chat):
    chat.say("oi")
    chat.say("1")

    answer = chat.say(SUSPENDED_CPF)

    assert "suspenso por falta de pagamento" in answer
    assert "automaticamente" in answer


def test_two_option_question_says_one_or_two(chat):
    chat.say("oi")
    chat.say("5")

    assert "Responda *1* ou *2*" in chat.say("talvez")


def test_out_of_hours_handoff_stays_silent_until_the_team_reopens(chat, clock):
    clock.set(datetime(2026, 11, 24, 20, 0, tzinfo=SAO_PAULO))
    chat.say("oi")
    chat.say("6")

    clock.advance(3600)
    assert chat.say("oi") == ""
    clock.advance(11 * 3600)  # next morning, 8:00: the team opens now
    assert chat.say("alguém aí?") == ""
    assert chat.state() == "human"


def test_handoff_silence_ends_after_the_human_session_limit(chat, clock):
    chat.say("oi")
    chat.say("6")

    clock.advance(4 * 3600 + 1)

    assert "START Conecta" in chat.say("oi")


def test_documents_and_emails_typed_in_free_text_are_masked_before_recording(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("4")

    chat.say("Sou eu, CPF 529 982 247 25, email maria.souza@example.com, o fixo não funciona")

    description = chat.records()[0].details["description"]
    assert "529 982 247 25" not in description and "maria.souza" not in description
    assert "529.***.***-25" in description and "o fixo não funciona" in description


# --- Second review: plain answers the per-question hints must still read right ---------------
def at_step(chat, *messages):
    chat.say("oi")
    for message in messages:
        chat.say(message)


@pytest.mark.parametrize(
    "answer",
    ["ja conferi e agora voltou", "já verifiquei, tá funcionando", "sim, voltou a internet"],
)
def test_back_after_the_cable_check_even_when_already_tried(chat, answer):
    at_step(chat, "sem internet", PAULISTA_CPF, "sim")

    assert "voltou a funcionar" in chat.say(answer)


@pytest.mark.parametrize(
    "answer", ["ja reiniciei e voltou", "já fiz e funcionou", "ta normal agora"]
)
def test_back_after_the_restart_even_when_already_tried(chat, answer):
    at_step(chat, "sem internet", PAULISTA_CPF, "não")

    assert "voltou a funcionar" in chat.say(answer)


@pytest.mark.parametrize("answer", ["não, quero um técnico", "ainda não voltou", "mesma coisa"])
def test_not_back_after_the_restart_books_the_visit(paulista, answer):
    chat = paulista
    at_step(chat, "sem internet", PAULISTA_CPF, "não")

    assert "técnico" in chat.say(answer)
    assert chat.state() == "visit_period"


@pytest.mark.parametrize(
    "answer",
    [
        "ficou bem abaixo do normal",
        "nem a metade",
        "não chegou nem na metade",
        "muito baixo, nao chega a 100",
        "ta bem lenta ainda",
    ],
)
def test_slow_results_are_below_half(chat, answer):
    at_step(chat, "internet lenta", "2")

    assert "reinicie o modem" in chat.say(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "a luz pon ta verde",
        "a pon ta acesa normal",
        "tudo verde, só a wifi piscando",
        "a luz vermelha ta apagada",
        "sem luz vermelha",
        "não, nenhuma luz vermelha",
    ],
)
def test_no_red_light_in_many_words(chat, answer):
    at_step(chat, "sem internet", PAULISTA_CPF)

    assert "30 segundos" in chat.say(answer)


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("melhorou, não está mais lenta", "a velocidade melhorou"),
        ("melhorou nada", "técnico"),
        ("não melhorou", "técnico"),
    ],
)
def test_stability_answers(chat, answer, expected):
    at_step(chat, "internet lenta", "2", "sim")

    assert expected in chat.say(answer)


@pytest.mark.parametrize(
    "answer", ["não, achei caro o de 500", "agora não, talvez o de 300 depois"]
)
def test_declining_to_contract_while_naming_a_plan(chat, answer):
    at_step(chat, "4", "01310-100")

    assert "Quando quiser contratar" in chat.say(answer)
    assert kinds(chat) == []


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("não quero cancelar", "continua ativo"),
        ("não quero mais o serviço", "motivo"),
        ("sim, pode cancelar", "motivo"),
    ],
)
def test_cancellation_confirmation_answers(chat, answer, expected):
    at_step(chat, "quero cancelar", MARIA_CPF)

    assert expected in chat.say(answer)


def test_modem_on_but_no_internet_goes_to_the_connection_diagnosis(chat):
    at_step(chat, "2", "3")

    answer = chat.say("ta ligado mas sem internet")

    assert "CPF ou CNPJ" in answer
    assert chat.state() == "support_document"


@pytest.mark.parametrize(
    "answer, plan", [("o de 1gb", "1 Giga"), ("o do meio", "500 Mega"), ("o de 99,90", "500 Mega")]
)
def test_more_ways_to_name_a_plan(chat, answer, plan):
    at_step(chat, "3", "01310-100")

    assert f"*{plan}*" in chat.say(answer)


def test_plan_change_naming_the_current_plan_and_the_new_one(chat):
    at_step(chat, "5", "2", MARIA_CPF)

    assert "*1 Giga*" in chat.say("quero passar do 500 pro 1 giga")
    assert chat.records()[0].details["to_plan"] == "1-giga"


def test_an_attendant_message_does_not_shorten_the_out_of_hours_silence(chat, client, clock):
    clock.set(datetime(2026, 11, 27, 19, 0, tzinfo=SAO_PAULO))  # Friday evening
    at_step(chat, "6")
    client.post(WEBHOOK_PATH, json=load_fixture("from_me_attendant"))

    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=SAO_PAULO))  # Saturday, 14 h later

    assert chat.say("oi?") == ""
    assert chat.state() == "human"


# --- Every yes/no question reads the plain answers the same way ------------------------------
YES_NO_QUESTIONS = {
    "red_light": (["sem internet", PAULISTA_CPF], "cabo óptico", "30 segundos"),
    "fiber_check": (["sem internet", PAULISTA_CPF, "sim"], "voltou a funcionar", "técnico"),
    "modem_restart": (["sem internet", PAULISTA_CPF, "não"], "voltou a funcionar", "técnico"),
    "slow_speed_test": (["internet lenta", "2"], "reinicie o modem", "5 GHz"),
    "slow_stability": (["internet lenta", "2", "sim"], "velocidade melhorou", "técnico"),
    "modem_power": (["2", "3"], "modem ligou", "técnico"),
    "cancel_confirm": (["quero cancelar", MARIA_CPF], "motivo", "continua ativo"),
    "coverage_contract": (["4", "01310-100"], "Qual plano", "Quando quiser"),
    "sales_notify": (["3", "69900-000"], "avisar", "mudar de ideia"),
}
PLAIN_YES = ["sim", "s", "1", "👍", "claro", "Sim!", "isso", "SIM"]
PLAIN_NO = ["não", "nao", "n", "2", "👎", "negativo", "Não."]


@pytest.mark.parametrize("state", list(YES_NO_QUESTIONS))
@pytest.mark.parametrize("answer", PLAIN_YES + PLAIN_NO)
def test_plain_yes_and_no_at_every_yes_no_question(chat, state, answer):
    steps, after_yes, after_no = YES_NO_QUESTIONS[state]
    at_step(chat, *steps)
    assert chat.state() == state

    assert (after_yes if answer in PLAIN_YES else after_no) in chat.say(answer)

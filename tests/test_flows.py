"""Every flow of the conversation spec, driven through POST /webhook."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

import content
from app import create_app
from conftest import SAO_PAULO, WEBHOOK_PATH, Chat, load_fixture, option, says, shows_menu

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

    protocol = re.search(r"\b(20261124\d{6,})\b", answer).group(1)
    assert protocol == chat.protocol()
    assert says(answer, "geral.saudacao", protocolo=protocol)
    titles = content.menu("principal").options
    positions = [answer.index(f"*{n}* - {title}") for n, title in enumerate(titles, 1)]
    assert positions == sorted(positions)
    assert answer.index(protocol) < positions[0]  # the greeting, then the menu


@pytest.mark.parametrize("answer", ["1", " 1 ", "1.", "1️⃣", "opção 1", "Opcao 1"])
def test_menu_option_by_number_in_its_many_forms(chat, answer):
    chat.say("oi")

    assert says(chat.say(answer), "documento.pedir_boleto")
    assert chat.state() == "boleto_document"


def test_menu_option_by_list_tap(chat):
    chat.say("oi")

    assert shows_menu(chat.tap_list("2", option("principal", 2)), "suporte")
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

    assert says(answer, "geral.saudacao_direta", protocolo=chat.protocol())
    assert says(answer, "documento.pedir_boleto")
    assert chat.state() == "boleto_document"


def test_question_with_cep_is_answered_at_once(chat):
    chat.say("oi")

    answer = chat.say("vocês atendem o cep 01310-100?")

    assert says(answer, "vendas.coberto", cep="01310-100")
    assert "R$ 89,90" in answer


# --- 1. Segunda via de boleto ------------------------------------------------------
def test_boleto_lists_open_invoices_oldest_first_with_codes(chat):
    chat.say("oi")
    chat.say("1")

    messages = chat.post(chat.payload(MARIA_CPF))
    answer = "\n".join(messages)

    assert says(answer, "boleto.varias_faturas", total=2, documento="529.***.***-25")
    assert answer.index("outubro/2026") < answer.index("dezembro/2026")
    assert "10/10/2026" in answer and "10/12/2026" in answer
    assert "R$ 99,90" in answer
    assert answer.count(content.text("boleto.vencida")) == 1
    barcodes = [text for text in messages if re.fullmatch(r"\d{47}", text)]
    assert len(barcodes) == 2
    assert sum(text.startswith("000201") for text in messages) == 2
    assert "https://boletos.startconecta.com.br/" in answer
    assert says(messages[-1], "geral.encerramento", protocolo=chat.protocol())
    assert MARIA_CPF not in answer and "52998224725" not in answer
    assert "529.***.***-25" in answer


def test_boleto_accepts_a_document_inside_a_sentence(chat):
    chat.say("oi")
    chat.say("1")

    assert says(chat.say("meu cpf é 52998224725"), "boleto.varias_faturas", total=2)


@pytest.mark.parametrize(
    "document, why, values",
    [
        ("5299822472", "documento.tamanho_errado", {"recebidos": 10}),
        ("529.982.247-26", "documento.digito_invalido", {}),
        ("111.111.111-11", "documento.repetido", {}),
        ("11.222.333/0001-80", "documento.digito_invalido", {}),
    ],
)
def test_invalid_document_says_why_and_asks_again(chat, document, why, values):
    chat.say("oi")
    chat.say("1")

    answer = chat.say(document)

    assert says(answer, why, **values)
    assert says(answer, "documento.pedir_boleto")
    assert chat.state() == "boleto_document"


def test_document_not_found_offers_retry_attendant_or_menu(chat):
    chat.say("oi")
    chat.say("1")

    answer = chat.say(UNKNOWN_CPF)

    assert says(answer, "documento.nao_cadastrado", documento="123.***.***-09")
    assert shows_menu(answer, "nao_encontrado", question=False)  # document, attendant, menu
    assert says(chat.say("1"), "documento.pedir_boleto")
    chat.say(UNKNOWN_CPF)
    assert says(chat.say(MARIA_CPF), "boleto.varias_faturas", total=2)


def test_business_customer_with_nothing_open_is_told_all_is_paid(chat):
    chat.say("oi")
    chat.say("1")

    assert says(chat.say(BUSINESS_CNPJ), "boleto.tudo_pago", documento="11.***.***/****-81")


def test_alphanumeric_cnpj_is_recognised(chat):
    chat.say("oi")
    chat.say("1")

    answer = chat.say("12.abc.345/01de-35")

    assert says(answer, "boleto.uma_fatura")
    assert "R$ 149,90" in answer


# --- 2.1 Sem internet ------------------------------------------------------------
def test_suspended_contract_gets_invoices_and_reconnection_notice(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("1")

    answer = chat.say(SUSPENDED_CPF)

    assert says(answer, "suporte.suspenso", documento="186.***.***-34")
    assert content.text("boleto.vencida") in answer
    assert says(answer, "desbloqueio.oferta")
    assert chat.state() == "trust_unlock_offer"
    assert says(chat.say("não, vou pagar hoje"), "suporte.religacao")
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

    outage = "Rompimento de fibra na Av. Paulista."
    assert says(answer, "suporte.manutencao", mensagem=outage, previsao="hoje às 16h")
    assert chat.state() == "anything_else"
    assert kinds(chat) == []


def test_red_light_then_cable_fixed_is_resolved(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("1")

    assert says(chat.say(PAULISTA_CPF), "suporte.luz_vermelha")
    assert says(chat.say("sim"), "suporte.verificar_fibra")
    assert says(chat.say("voltou"), "suporte.resolvido")
    assert kinds(chat) == []


def test_no_red_light_restart_fails_then_visit_is_recorded_with_diagnosis(paulista):
    chat = paulista
    chat.say("oi")
    chat.say("2")
    chat.say("1")
    chat.say(PAULISTA_CPF)

    assert says(chat.say("2"), "suporte.reiniciar_modem")
    answer = chat.say("não")
    assert says(answer, "suporte.precisa_visita") and shows_menu(answer, "periodo")
    assert says(answer, "documento.ja_informado", documento="628.***.***-12")
    answer = chat.say("1")

    assert says(answer, "visita.confirmada", periodo="manhã")
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

    assert says(chat.tap_button("1", content.text("geral.sim")), "suporte.verificar_fibra")


# --- 2.2 Internet lenta -----------------------------------------------------------
def test_slow_on_iptv_is_not_a_connection_problem(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("2")

    answer = chat.say("1")

    assert says(answer, "suporte.lentidao_iptv")
    assert chat.state() == "anything_else"


def test_slow_but_above_half_gets_wifi_tips(chat):
    chat.say("oi")
    chat.say("internet lenta")
    assert says(chat.say("2"), "suporte.teste_velocidade")

    answer = chat.say("não")

    assert says(answer, "suporte.dicas_wifi")
    assert chat.state() == "anything_else"


def test_slow_below_half_persisting_schedules_a_visit(chat):
    chat.say("oi")
    chat.say("internet lenta")
    chat.say("2")
    assert says(chat.say("sim"), "suporte.teste_estabilidade")
    answer = chat.say("não, continua igual")
    assert says(answer, "documento.pedir_visita")
    assert shows_menu(chat.say(MARIA_CPF), "periodo")

    chat.say("tarde")

    [visit] = chat.records()
    assert visit.details["problem"] == "internet_lenta"
    assert visit.details["period"] == "tarde"


def test_slow_below_half_fixed_by_restart_is_resolved(chat):
    chat.say("oi")
    chat.say("internet lenta")
    chat.say("2")
    chat.say("sim")

    assert says(chat.say("melhorou"), "suporte.lentidao_resolvida")


# --- 2.3 Modem desligado / 2.4 Outro problema ------------------------------------------
def test_modem_turns_on_after_power_check(chat):
    chat.say("oi")
    chat.say("2")
    assert says(chat.say("3"), "suporte.modem_energia")

    assert says(chat.say("sim"), "suporte.modem_ligou")


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
    assert says(chat.say("4"), "suporte.descrever_problema")

    answer = chat.say("O telefone fixo parou de funcionar desde ontem")

    assert says(answer, "suporte.chamado_registrado")
    assert says(answer, "atendente.transferindo", protocolo=chat.protocol())
    assert kinds(chat) == ["ticket", "handoff"]
    assert chat.records()[0].details["description"].startswith("O telefone fixo")
    assert chat.state() == "human"
    assert chat.say("alô?") == ""


# --- 3. Contratar internet / 4. Cobertura ------------------------------------------------
def test_sales_lead_in_covered_cep(chat):
    chat.say("oi")
    assert says(chat.say("3"), "vendas.pedir_cep")

    answer = chat.say("01310-100")
    assert "300 Mega" in answer and "500 Mega" in answer and "1 Giga" in answer
    assert "R$ 99,90" in answer
    assert says(chat.say("2"), "vendas.pedir_nome")
    answer = chat.say("Meu nome é Ana Lima")

    assert says(answer, "vendas.lead_registrado", plano="500 Mega", cep="01310-100")
    assert "Ana" not in answer
    [lead] = chat.records()
    assert lead.kind == "lead"
    assert lead.details == {"name": "Ana Lima", "cep": "01310100", "plan": "500-mega"}
    assert lead.phone == chat.phone


def test_sales_address_without_cep_asks_for_the_cep(chat):
    chat.say("oi")
    chat.say("3")

    answer = chat.say("Rua Augusta, 500, Consolação")

    assert says(answer, "vendas.precisa_cep")
    assert chat.state() == "sales_cep"


def test_sales_plan_by_name(chat):
    chat.say("oi")
    chat.say("3")
    chat.say("01310100")

    assert says(chat.say("quero o de 1 giga"), "vendas.plano_escolhido", plano="1 Giga")


def test_not_covered_cep_records_interest_when_asked(chat):
    chat.say("oi")
    chat.say("3")

    assert says(chat.say("69900-000"), "vendas.nao_coberto", cep="69900-000")
    assert says(chat.say("sim"), "vendas.aviso_registrado", cep="69900-000")

    [interest] = chat.records()
    assert interest.kind == "coverage_interest"
    assert interest.details["cep"] == "69900000"


def test_coverage_then_contract_with_the_same_cep(chat):
    chat.say("oi")
    chat.say("4")

    answer = chat.say("01415-000")
    assert says(answer, "vendas.coberto", cep="01415-000")
    assert says(answer, "vendas.quer_contratar")
    assert says(chat.say("sim"), "vendas.qual_plano")
    chat.say("1")
    chat.say("Carlos")

    [lead] = chat.records()
    assert lead.details["cep"] == "01415000"
    assert lead.details["plan"] == "300-mega"


def test_coverage_not_covered_declined(chat):
    chat.say("oi")
    chat.say("4")
    chat.say("69900000")

    assert says(chat.say("não"), "vendas.aviso_recusado")
    assert kinds(chat) == []


# --- 5. Cancelamento / alteração -------------------------------------------------------
def test_cancellation_with_reason_is_recorded(chat):
    chat.say("oi")
    chat.say("5")
    chat.say("1")

    answer = chat.say(MARIA_CPF)
    assert says(answer, "plano.contrato_encontrado", nome="M•••• A•••••••• S••••", plano="500 Mega")
    assert "Maria" not in answer
    assert says(chat.say("sim"), "plano.motivo")
    answer = chat.say("Vou me mudar de cidade")

    two_days = content.text("plano.prazo_dias", dias=2)
    assert says(answer, "plano.cancelamento_registrado", prazo=two_days)
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

    assert says(chat.say("não"), "plano.cancelamento_desistiu")
    assert kinds(chat) == []


def test_plan_change_lists_area_plans_and_records_the_choice(chat):
    chat.say("oi")
    chat.say("5")
    chat.say("2")

    answer = chat.say(MARIA_CPF)
    assert f"500 Mega {content.text('plano.plano_atual')}" in answer
    assert says(chat.say("2"), "plano.mesmo_plano")
    answer = chat.say("3")

    assert says(answer, "plano.alteracao_registrada", plano="1 Giga")
    [change] = chat.records()
    assert change.kind == "plan_change"
    assert change.details["from_plan"] == "500-mega"
    assert change.details["to_plan"] == "1-giga"


# --- 6. Atendente ------------------------------------------------------------------
def test_attendant_within_hours_transfers_and_goes_silent(chat):
    chat.say("oi")

    answer = chat.say("6")

    assert not says(answer, "atendente.horario")  # the hours matter only when the team is away
    assert says(answer, "atendente.transferindo", protocolo=chat.protocol())
    assert kinds(chat) == ["handoff"]
    assert chat.records()[0].details["within_hours"] is True
    assert chat.say("oi, alguém?") == ""
    assert shows_menu(chat.say("menu"), "principal")


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

    assert says(answer, "atendente.fora_do_horario", protocolo=chat.protocol())
    assert reopening in answer
    assert chat.records()[0].details["within_hours"] is False
    assert chat.say("tem alguém aí?") == ""


# --- Global rules -----------------------------------------------------------------
def test_voltar_goes_to_the_previous_menu(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("1")

    assert shows_menu(chat.say("voltar"), "suporte")
    assert shows_menu(chat.say("voltar"), "principal")


def test_menu_abandons_the_flow(chat):
    chat.say("oi")
    chat.say("3")

    assert shows_menu(chat.say("Menu"), "principal")
    assert chat.state() == "main_menu"


def test_sair_says_goodbye_and_the_next_message_starts_over(chat):
    chat.say("oi")
    first = chat.protocol()

    answer = chat.say("sair")

    assert says(answer, "geral.despedida", protocolo=first)
    assert chat.state() is None
    chat.say("oi")
    assert chat.protocol() != first


def test_three_invalid_answers_offer_the_attendant_and_menu(chat):
    chat.say("oi")
    assert says(chat.say("xyz"), "geral.menu_invalido")
    assert says(chat.say("9"), "geral.menu_invalido")

    answer = chat.say("asdfgh")

    assert says(answer, "geral.muitas_tentativas")
    assert shows_menu(answer, "principal")


def test_session_expires_after_thirty_minutes(chat, clock):
    chat.say("oi")
    chat.say("1")
    first = chat.protocol()

    clock.advance(1801)
    answer = chat.say(MARIA_CPF)

    assert chat.protocol() != first
    assert says(answer, "geral.saudacao", protocolo=chat.protocol())


def test_session_survives_twenty_nine_minutes(chat, clock):
    chat.say("oi")
    chat.say("1")

    clock.advance(29 * 60)

    assert says(chat.say(MARIA_CPF), "boleto.varias_faturas", total=2)


def test_after_a_flow_a_menu_number_starts_another(chat):
    chat.say("oi")
    chat.say("1")
    chat.say(BUSINESS_CNPJ)

    assert says(chat.say("4"), "vendas.pedir_cep_cobertura")


@pytest.mark.parametrize("thanks", ["obrigado", "valeu!", "ok, obrigada", "não, obrigado"])
def test_thanks_after_a_flow_says_goodbye(chat, thanks):
    chat.say("oi")
    chat.say("1")
    chat.say(BUSINESS_CNPJ)

    protocol = chat.protocol()

    assert says(chat.say(thanks), "geral.despedida", protocolo=protocol)
    assert chat.state() is None


def test_after_a_flow_free_words_start_another(chat):
    chat.say("oi")
    chat.say("1")
    chat.say(BUSINESS_CNPJ)

    answer = chat.say("quero falar com atendente")

    assert says(answer, "atendente.transferindo", protocolo=chat.protocol())
    assert chat.state() == "human"


def test_asking_for_a_person_during_a_yes_no_question_hands_over(chat):
    chat.say("oi")
    chat.say("sem internet")
    chat.say(PAULISTA_CPF)

    answer = chat.say("quero falar com um atendente")

    assert says(answer, "atendente.transferindo", protocolo=chat.protocol())
    assert kinds(chat) == ["handoff"]


def test_sales_name_is_asked_once_and_again_only_when_unclear(chat):
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")
    answer = chat.say("3")
    assert answer.count(content.text("vendas.pedir_nome")) == 1
    assert says(answer, "vendas.plano_escolhido", plano="1 Giga")

    answer = chat.say("12345")

    assert says(answer, "vendas.nome_invalido")
    assert answer.count("?") == 1  # the hint asks for the name itself: no second question
    assert not says(answer, "vendas.plano_escolhido")


def test_coverage_then_contract_does_not_announce_coverage_twice(chat):
    chat.say("oi")
    chat.say("4")
    chat.say("01310-100")

    answer = chat.say("sim")

    assert not says(answer, "vendas.coberto")
    assert says(answer, "vendas.qual_plano")


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

    assert says(answer, "suporte.manutencao_atrasada", previsao="hoje às 8h")
    assert not says(answer, "suporte.manutencao")


# --- Answers as customers really give them (review findings) ------------------------------
@pytest.mark.parametrize(
    "answer, expected",
    [
        ("continua", "suporte.precisa_visita"),
        ("continua lenta", "suporte.precisa_visita"),
        ("piorou", "suporte.precisa_visita"),
        ("melhorou sim", "suporte.lentidao_resolvida"),
    ],
)
def test_slow_after_restart_reads_how_customers_answer(chat, answer, expected):
    chat.say("oi")
    chat.say("internet lenta")
    chat.say("2")
    chat.say("sim")

    assert says(chat.say(answer), expected)


@pytest.mark.parametrize(
    "answer, expected, values",
    [
        ("ficou abaixo", "suporte.teste_estabilidade", {}),
        ("deu bem menos", "suporte.teste_estabilidade", {}),
        ("não, ficou acima da metade", "suporte.dicas_wifi", {}),
        ("deu 80 mega", "suporte.confirmar_velocidade", {"velocidade": 80}),  # no plan: confirm
        ("não tenho cabo", "suporte.sem_cabo", {}),
    ],
)
def test_speed_test_answers(chat, answer, expected, values):
    chat.say("oi")
    chat.say("internet lenta")
    chat.say("2")

    answer_text = chat.say(answer)

    assert says(answer_text, expected, **values)
    assert not says(answer_text, "vendas.boas_vindas")  # never mistaken for a sale


@pytest.mark.parametrize("answer", ["luz vermelha", "a luz pon ta piscando", "tem uma vermelha"])
def test_red_light_described_in_words_is_a_yes(chat, answer):
    chat.say("oi")
    chat.say("sem internet")
    chat.say(PAULISTA_CPF)

    assert says(chat.say(answer), "suporte.verificar_fibra")


def test_words_naming_the_current_flow_count_as_invalid_and_escalate(chat):
    chat.say("oi")
    chat.say("3")
    first = chat.say("não sei o cep")
    help_ = chat.say("como vejo o cep?")  # a question asked back: its answer, no strike
    second = chat.say("sei lá")
    third = chat.say("sei lá, não faço ideia")

    assert says(first, "vendas.precisa_cep") and says(help_, "ajuda.sales_cep") and second
    assert chat.state() == "main_menu"
    assert says(third, "geral.muitas_tentativas")  # the attendant's option offered


@pytest.mark.parametrize("answer", ["ja tentei tudo isso", "já fiz isso antes de chamar vcs"])
def test_already_tried_means_no_and_books_the_visit(chat, answer):
    chat.say("oi")
    chat.say("2")
    chat.say("3")

    assert says(chat.say(answer), "suporte.precisa_visita")
    assert chat.state() == "visit_document"


def test_main_menu_offers_the_attendant_after_three_invalid_answers(chat):
    chat.say("oi")
    chat.say("blablá xyz")
    chat.say("qwerty asdf")

    answer = chat.say("lorem ipsum dolor")

    assert says(answer, "geral.muitas_tentativas")


def test_confirmo_confirms_the_cancellation(chat):
    chat.say("oi")
    chat.say("quero cancelar")
    chat.say(MARIA_CPF)

    assert says(chat.say("confirmo"), "plano.motivo")


def test_another_request_at_a_yes_no_question_starts_that_flow(chat):
    chat.say("oi")
    chat.say("quero cancelar")
    chat.say(MARIA_CPF)

    answer = chat.say("to sem internet")

    assert not says(answer, "plano.cancelamento_desistiu")
    assert kinds(chat) == []
    assert chat.state() == "red_light"


def test_asking_for_a_person_as_a_name_or_reason_hands_over(chat):
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")
    chat.say("1")

    answer = chat.say("quero falar com atendente")

    assert says(answer, "atendente.transferindo", protocolo=chat.protocol())
    assert kinds(chat) == ["handoff"]


@pytest.mark.parametrize("not_a_name", ["sim", "ok"])
def test_yes_words_are_not_a_name(chat, not_a_name):
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")
    chat.say("1")

    assert says(chat.say(not_a_name), "vendas.nome_invalido")
    assert kinds(chat) == []


def test_a_voice_note_first_gets_greeting_text_only_notice_and_menu(chat):
    payload = chat.payload(audio={"audioUrl": "https://x/a.ogg", "ptt": True})

    answer = "\n".join(chat.post(payload))

    assert says(answer, "geral.saudacao", protocolo=chat.protocol())
    assert says(answer, "geral.so_texto_inicio")
    assert shows_menu(answer, "principal")


def test_address_with_numbers_asks_for_the_cep_not_a_valid_one(chat):
    chat.say("oi")
    chat.say("3")

    answer = chat.say("Av Paulista 1000 ap 52")

    assert says(answer, "vendas.precisa_cep")
    assert not says(answer, "vendas.cep_invalido")


def test_identified_customer_is_not_asked_the_document_again_for_cancellation(chat):
    chat.say("oi")
    chat.say("1")
    chat.say(MARIA_CPF)

    answer = chat.say("quero cancelar")

    assert says(answer, "documento.ja_informado", documento="529.***.***-25")
    assert says(answer, "plano.confirmar_cancelamento")


def test_contract_after_coverage_with_a_plan_named(chat):
    chat.say("oi")
    chat.say("4")
    chat.say("01310-100")

    answer = chat.say("quero o de 500")

    assert says(answer, "vendas.plano_escolhido", plano="500 Mega")
    assert says(answer, "vendas.pedir_nome")


def test_cheapest_plan_by_words(chat):
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")

    assert says(chat.say("o mais barato"), "vendas.plano_escolhido", plano="300 Mega")


def test_boleto_of_a_suspended_contract_says_so_and_how_it_comes_back(chat):
    chat.say("oi")
    chat.say("1")

    answer = chat.say(SUSPENDED_CPF)

    assert says(answer, "boleto.suspenso")
    assert says(answer, "suporte.religacao")


def test_two_option_question_says_one_or_two(chat):
    chat.say("oi")
    chat.say("5")

    assert says(chat.say("talvez"), "geral.opcao_invalida_duas")


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

    clock.advance(chat.client.application.extensions["theo"].config.handoff_idle_seconds + 1)

    assert says(chat.say("oi"), "geral.saudacao")


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

    assert says(chat.say(answer), "suporte.resolvido")


@pytest.mark.parametrize(
    "answer", ["ja reiniciei e voltou", "já fiz e funcionou", "ta normal agora"]
)
def test_back_after_the_restart_even_when_already_tried(chat, answer):
    at_step(chat, "sem internet", PAULISTA_CPF, "não")

    assert says(chat.say(answer), "suporte.resolvido")


@pytest.mark.parametrize("answer", ["não, quero um técnico", "ainda não voltou", "mesma coisa"])
def test_not_back_after_the_restart_books_the_visit(paulista, answer):
    chat = paulista
    at_step(chat, "sem internet", PAULISTA_CPF, "não")

    assert says(chat.say(answer), "suporte.precisa_visita")
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

    assert says(chat.say(answer), "suporte.teste_estabilidade")


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

    assert says(chat.say(answer), "suporte.reiniciar_modem")


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("melhorou, não está mais lenta", "suporte.lentidao_resolvida"),
        ("melhorou nada", "suporte.precisa_visita"),
        ("não melhorou", "suporte.precisa_visita"),
    ],
)
def test_stability_answers(chat, answer, expected):
    at_step(chat, "internet lenta", "2", "sim")

    assert says(chat.say(answer), expected)


@pytest.mark.parametrize(
    "answer", ["não, achei caro o de 500", "agora não, talvez o de 300 depois"]
)
def test_declining_to_contract_while_naming_a_plan(chat, answer):
    at_step(chat, "4", "01310-100")

    assert says(chat.say(answer), "vendas.sem_contratar")
    assert kinds(chat) == []


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("não quero cancelar", "plano.cancelamento_desistiu"),
        ("não quero mais o serviço", "plano.motivo"),
        ("sim, pode cancelar", "plano.motivo"),
    ],
)
def test_cancellation_confirmation_answers(chat, answer, expected):
    at_step(chat, "quero cancelar", MARIA_CPF)

    assert says(chat.say(answer), expected)


def test_modem_on_but_no_internet_goes_to_the_connection_diagnosis(chat):
    at_step(chat, "2", "3")

    answer = chat.say("ta ligado mas sem internet")

    assert says(answer, "documento.pedir_suporte")
    assert chat.state() == "support_document"


@pytest.mark.parametrize(
    "answer, plan", [("o de 1gb", "1 Giga"), ("o do meio", "500 Mega"), ("o de 99,90", "500 Mega")]
)
def test_more_ways_to_name_a_plan(chat, answer, plan):
    at_step(chat, "3", "01310-100")

    assert says(chat.say(answer), "vendas.plano_escolhido", plano=plan)


def test_plan_change_naming_the_current_plan_and_the_new_one(chat):
    at_step(chat, "5", "2", MARIA_CPF)

    answer = chat.say("quero passar do 500 pro 1 giga")

    assert says(answer, "plano.alteracao_registrada", plano="1 Giga")
    assert chat.records()[0].details["to_plan"] == "1-giga"


def test_an_attendant_message_does_not_shorten_the_out_of_hours_silence(chat, client, clock):
    clock.set(datetime(2026, 11, 27, 19, 0, tzinfo=SAO_PAULO))  # Friday evening
    at_step(chat, "6")
    client.post(WEBHOOK_PATH, json=load_fixture("from_me_attendant"))

    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=SAO_PAULO))  # Saturday, 14 h later

    assert chat.say("oi?") == ""
    assert chat.state() == "human"


# --- Every yes/no question reads the plain answers the same way ------------------------------
YES_NO_QUESTIONS = {  # the steps to the question; the sentence after a yes, after a no
    "red_light": (
        ["sem internet", PAULISTA_CPF],
        "suporte.verificar_fibra",
        "suporte.reiniciar_modem",
    ),
    "fiber_check": (
        ["sem internet", PAULISTA_CPF, "sim"],
        "suporte.resolvido",
        "suporte.precisa_visita",
    ),
    "modem_restart": (
        ["sem internet", PAULISTA_CPF, "não"],
        "suporte.resolvido",
        "suporte.precisa_visita",
    ),
    "slow_speed_test": (
        ["internet lenta", "2"],
        "suporte.teste_estabilidade",
        "suporte.dicas_wifi",
    ),
    "slow_stability": (
        ["internet lenta", "2", "sim"],
        "suporte.lentidao_resolvida",
        "suporte.precisa_visita",
    ),
    "modem_power": (["2", "3"], "suporte.modem_ligou", "suporte.precisa_visita"),
    "cancel_confirm": (
        ["quero cancelar", MARIA_CPF],
        "plano.motivo",
        "plano.cancelamento_desistiu",
    ),
    "coverage_contract": (["4", "01310-100"], "vendas.qual_plano", "vendas.sem_contratar"),
    "sales_notify": (["3", "69900-000"], "vendas.aviso_registrado", "vendas.aviso_recusado"),
}
PLAIN_YES = ["sim", "s", "1", "👍", "claro", "Sim!", "isso", "SIM"]
PLAIN_NO = ["não", "nao", "n", "2", "👎", "negativo", "Não."]


@pytest.mark.parametrize("state", list(YES_NO_QUESTIONS))
@pytest.mark.parametrize("answer", PLAIN_YES + PLAIN_NO)
def test_plain_yes_and_no_at_every_yes_no_question(chat, state, answer):
    steps, after_yes, after_no = YES_NO_QUESTIONS[state]
    at_step(chat, *steps)
    assert chat.state() == state

    assert says(chat.say(answer), after_yes if answer in PLAIN_YES else after_no)


# --- Golden: the exact wording of payment and cancellation texts -----------------------------
# These few tests pin words on purpose; every other test refers to sentences by key, so
# a rewording of content/messages.toml breaks only these (tests/test_wording.py).
@pytest.mark.golden
def test_golden_invoice_text_with_amount_due_date_and_overdue_mark(chat):
    # Pinned: the customer pays from this text; amount, due date and overdue notice
    # were approved by billing and must not change by accident.
    chat.say("oi")
    chat.say("1")

    messages = chat.post(chat.payload(MARIA_CPF))

    assert messages[0] == (
        "Encontrei *2 faturas em aberto* no documento 529.***.***-25:\n\n"
        "*Fatura de outubro/2026*\n"
        "Vencimento: 10/10/2026\n"
        "Valor: *R$ 99,90*\n"
        "⚠️ *Fatura vencida*\n"
        "O boleto em PDF vai em anexo.\n"
        "A linha digitável e o PIX copia e cola vêm nas próximas mensagens, "
        "separados para facilitar a cópia."
    )
    assert messages[4].startswith("*Fatura de dezembro/2026*\nVencimento: 10/12/2026\n")


@pytest.mark.golden
def test_golden_cancellation_confirmation_and_commitment(chat):
    # Pinned: consumer-protection wording; the question asked before cancelling and the
    # deadline promised afterwards were reviewed by legal.
    chat.say("oi")
    chat.say("quero cancelar")

    answer = chat.say(MARIA_CPF)
    assert "Confirma que deseja solicitar o *cancelamento* do contrato?" in answer
    chat.say("sim")
    answer = chat.say("pular")

    assert answer.startswith(
        "Sua solicitação de cancelamento foi registrada.\n"
        "A equipe responsável vai entrar em contato em até 2 dias úteis para concluir o processo."
    )

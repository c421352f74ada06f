"""Short answers (content/faq.toml): asked the way customers type, answered without a handoff.

Each answer is checked by its content, not its wording: the entry's own answer
text (as faq.toml holds it), followed by "Posso ajudar em algo mais?".
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

import checks
import understanding as nlu
from app import create_app
from config import ROOT, load_config
from conftest import SAO_PAULO, Chat, shows_menu
from vocabulary import VocabularyError, load_vocabulary

ENTRIES = {entry.id: entry for entry in nlu._DEFAULT.vocabulary.faq}


def answered(answer: str, entry_id: str) -> bool:
    """Whether `answer` holds the entry's answer (its fixed parts, whatever the hours say)."""
    parts = re.split(r"\{[a-z_]+\}", ENTRIES[entry_id].answer)
    return re.search(".*?".join(map(re.escape, parts)), answer, re.DOTALL) is not None


def closes(chat: Chat) -> bool:
    return chat.said("geral.encerramento") and chat.state() == "anything_else"


# --- Which question the words ask (several phrasings each, typed like on WhatsApp) ------
ASKED = [
    ("qual o horario de atendimento?", "horario"),
    ("ate q horas vcs atendem", "horario"),
    ("vcs abrem sabado?", "horario"),
    ("que horas abre amanha", "horario"),
    ("horario de funcionamento pfv", "horario"),
    ("vc é robo?", "quem_e_o_theo"),
    ("quem é vc", "quem_e_o_theo"),
    ("to falando com uma pessoa ou com um bot?", "quem_e_o_theo"),
    ("vcs tem tv a cabo?", "produtos"),
    ("voces vendem chip de celular", "produtos"),
    ("tem telefone fixo tbm?", "produtos"),
    ("o que vcs vendem alem de internet", "produtos"),
    ("quais as formas de pagamento", "pagamento"),
    ("vcs aceitam pix?", "pagamento"),
    ("qual a forma de pagamento de vcs", "pagamento"),
    ("como troco a senha do wifi", "senha_do_wifi"),
    ("esqueci a senha do wi-fi", "senha_do_wifi"),
    ("qro mudar o nome da rede", "senha_do_wifi"),
    ("o wifi nao pega no quarto", "wifi_nao_chega"),
    ("a net nao chega na cozinha", "wifi_nao_chega"),
    ("preciso de repetidor?", "wifi_nao_chega"),
    ("qual a diferença do 5g e 2.4?", "wifi_nao_chega"),
    ("o que significa a luz los", "luzes_do_modem"),
    ("oq quer dizer a luz pon piscando", "luzes_do_modem"),
    ("pra que serve essas luzes do modem?", "luzes_do_modem"),
]

# Requests with the same words are not questions: they go to their flows.
NOT_ASKED = [
    ("quero trocar de plano", nlu.ALTERAR_PLANO),
    ("quero a segunda via do boleto", nlu.BOLETO),
    ("a luz los ta vermelha", nlu.SEM_INTERNET),
    ("a internet ta lenta no pc tambem", nlu.LENTA),
    ("nao quero falar com robo", nlu.ATENDENTE),
    ("quero falar com um atendente", nlu.ATENDENTE),
    ("quais planos vcs tem?", nlu.CONTRATAR),
    ("quero pagar minha conta", nlu.BOLETO),
    ("o modem ta todo apagado", nlu.MODEM_DESLIGADO),
]


@pytest.mark.parametrize(("text", "entry"), ASKED)
def test_each_question_finds_its_answer(text, entry):
    assert nlu.detect_intent(text) == nlu.FAQ
    assert nlu.faq_entry(text).id == entry


@pytest.mark.parametrize(("text", "intent"), NOT_ASKED)
def test_a_request_with_the_same_words_is_not_a_question(text, intent):
    assert nlu.detect_intent(text) == intent


def test_every_shipped_entry_is_reachable():
    assert {entry for _, entry in ASKED} == set(ENTRIES)


# --- Through the webhook -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "entry"),
    [("oi, vcs tem tv a cabo?", "produtos"), ("bom dia, qual o horario de atendimento", "horario")],
)
def test_as_the_first_message_greeting_then_answer_then_anything_else(chat, text, entry):
    answer = chat.say(text)

    assert chat.said("geral.saudacao_direta")
    assert answered(answer, entry)
    assert closes(chat)
    assert chat.records() == []  # an answer opens no request and hands over to no one


def test_at_the_main_menu_and_at_anything_else(chat):
    chat.say("oi")
    assert answered(chat.say("aceita pix?"), "pagamento")
    assert closes(chat)

    assert answered(chat.say("e vc é robo?"), "quem_e_o_theo")
    assert chat.said("geral.encerramento")
    assert chat.state() == "anything_else"


def test_the_hours_question_never_hands_over(chat):
    chat.say("oi")
    answer = chat.say("ate que horas vcs atendem?")

    assert answered(answer, "horario")
    assert chat.state() != "human"
    assert not chat.said("atendente.transferindo")


def test_mid_flow_the_answer_comes_then_the_question_again(chat):
    chat.say("estou sem internet")
    chat.say("529.982.247-25")
    assert chat.state() == "red_light"

    answer = chat.say("o que significa a luz los?")

    assert answered(answer, "luzes_do_modem")
    assert chat.said("curta.red_light")
    assert chat.state() == "red_light"
    chat.say("nao")
    assert chat.state() == "modem_restart"  # the diagnosis goes on where it was


def test_mid_flow_the_step_answer_still_wins(chat):
    chat.say("estou sem internet")
    chat.say("529.982.247-25")

    chat.say("nao tem luz vermelha nao")

    assert chat.state() == "modem_restart"


# --- The Wi-Fi password: a visit when the customer cannot ----------------------------------
def test_wifi_password_answer_asks_if_it_worked_and_yes_closes(chat):
    chat.say("oi")
    answer = chat.say("como troco a senha do wifi?")
    assert answered(answer, "senha_do_wifi")
    assert chat.state() == "faq_visit_offer"

    chat.say("consegui sim, obrigado")

    assert chat.said("faq.que_bom")
    assert closes(chat)


@pytest.mark.parametrize("cannot", ["nao consegui", "n deu certo", "nao sei fazer isso nao"])
def test_wifi_password_not_managed_goes_to_the_support_visit(chat, cannot):
    chat.say("esqueci a senha do wifi")
    chat.say(cannot)
    assert chat.said("faq.visita")
    assert chat.state() == "visit_document"

    chat.say("529.982.247-25")
    assert shows_menu(chat.answer, "periodo")
    chat.say("de manha")

    [visit] = chat.records()
    assert visit.kind == "visit"
    assert visit.details["problem"] == "faq_senha_do_wifi"
    assert visit.details["period"] == "manhã"


# --- Today's attendance window first, then the week ------------------------------------
@pytest.mark.parametrize(
    ("moment", "key"),
    [
        (datetime(2026, 11, 24, 10, 0, tzinfo=SAO_PAULO), "faq.hoje_aberto"),  # Tuesday, open
        (datetime(2026, 11, 24, 7, 0, tzinfo=SAO_PAULO), "faq.hoje"),  # before opening
        (datetime(2026, 11, 28, 13, 0, tzinfo=SAO_PAULO), "faq.hoje_fechado"),  # Saturday, shut
        (datetime(2026, 11, 29, 10, 0, tzinfo=SAO_PAULO), "faq.hoje_fechado"),  # Sunday
        (datetime(2026, 12, 25, 10, 0, tzinfo=SAO_PAULO), "faq.hoje_fechado"),  # Christmas
    ],
)
def test_hours_say_today_first(chat, clock, moment, key):
    clock.set(moment)
    answer = chat.say("qual o horario de vcs?")

    assert chat.said(key)
    today_at = re.search(r"🕗 (.*)", answer).group(1)
    assert chat.said(key) and today_at in answer.split("segunda a sexta")[0]


def test_hours_on_a_saturday_afternoon_say_when_it_reopens(chat, clock):
    clock.set(datetime(2026, 11, 28, 15, 0, tzinfo=SAO_PAULO))
    chat.say("que horas vcs abrem?")
    assert chat.said("faq.hoje_fechado", reabertura="segunda-feira (30/11) às 8h")


# --- content/faq.toml is checked at start --------------------------------------------------
@pytest.fixture
def content_copy(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    monkeypatch.setattr(checks, "CONTENT_DIR", folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


FAQ_MISTAKES = [
    ("toml syntax", "[horario]\nfrases = [", "[horario]\nfrases = [[", r"faq\.toml, linha \d+"),
    ("no answer", 'resposta = """🕗', 'resposta_ = """🕗', r"faq\.toml, linha \d+: chave descon"),
    (
        "unknown placeholder",
        "🕗 {horario_hoje}",
        "🕗 {amanha}",
        r"faq\.toml, linha \d+.*\{amanha\}",
    ),
    ("unknown group", '"{change} ... nome', '"{mudar} ... nome', r"faq\.toml.*\{mudar\}"),
    ("accents", '"so internet"', '"só internet"', r"faq\.toml.*minúsculas"),
    ("no phrases", '    "ip fixo",\n]', '    "ip fixo",\n]\nfrases_ = 1', r"faq\.toml.*frases_"),
    ("twice", '    "ip fixo",\n', '    "ip fixo",\n    "diferenca ... 5g/5ghz/2_4g",\n', "faq"),
    ("bad visit flag", "oferece_visita = true", 'oferece_visita = "sim"', "oferece_visita"),
]


@pytest.mark.parametrize(
    ("old", "new", "named"), [pytest.param(*case[1:], id=case[0]) for case in FAQ_MISTAKES]
)
def test_a_mistake_in_faq_toml_is_named_with_its_line(content_copy, old, new, named):
    edit(content_copy / "faq.toml", old, new)

    with pytest.raises(VocabularyError, match=named):
        load_vocabulary(content_copy / "understanding.toml")
    problems = checks.content_problems(content_copy)
    assert len(problems) == 1 and re.search(named, problems[0]), problems


def test_create_app_refuses_a_broken_faq(content_copy, tmp_path):
    edit(content_copy / "faq.toml", "funciona {horario}.", "funciona {horarios}.")
    config = load_config(environ={}, sqlite_path=str(tmp_path / "t.sqlite3"))

    with pytest.raises(checks.StartupRefused, match=r"faq\.toml"):
        create_app(config)


def test_an_entry_added_by_ops_is_answered_without_code(content_copy):
    with (content_copy / "faq.toml").open("a", encoding="utf-8") as handle:
        handle.write(
            '\n[streaming]\nfrases = ["netflix ... incluso/incluida"]\nresposta = "Não."\n'
        )
    copy = nlu.Understanding(load_vocabulary(content_copy / "understanding.toml"))

    assert copy.detect_intent("a netflix vem incluida no plano?") == nlu.FAQ
    assert copy.faq_entry("a netflix vem incluida no plano?").answer == "Não."
    assert checks.content_problems(content_copy) == []

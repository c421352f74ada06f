"""The ops page in a real browser: Debian's Chromium (headless) against Theo under gunicorn.

Customers write through the webhook as Z-API would post them; the team then works in
/painel: signs in, marks a request handled, starts and ends an outage, hands a
conversation back to Theo and reads the stats.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from test_simulator_browser import DESKTOP, PHONE, screenshot, start_local_theo

import content
from conftest import load_fixture, needs_chromium
from gunicorn_server import stop

ADMIN_TOKEN = "painel-browser-token-0123456789"
CUSTOMER = "5511987650077"
ATTENDED = "5511987650078"

pytestmark = needs_chromium  # the `browser` fixture is in conftest


def post(base: str, body: dict) -> None:
    answer = requests.post(f"{base}/webhook", json=body, timeout=10)
    assert answer.status_code == 200, answer.text


def customer_says(base: str, phone: str, text: str, number: int) -> None:
    body = copy.deepcopy(load_fixture("text_message"))
    body.update(phone=phone, messageId=f"PAINEL{phone[-4:]}{number:04d}")
    body["text"]["message"] = text
    post(base, body)


def attendant_says(base: str, phone: str, text: str) -> None:
    body = copy.deepcopy(load_fixture("from_me_attendant"))
    body.update(phone=phone, messageId=f"PAINELATT{phone[-4:]}")
    body["text"]["message"] = text
    post(base, body)


def admin(base: str, path: str) -> dict:
    answer = requests.get(
        f"{base}{path}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def theo(tmp_path_factory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("painel")
    base, process = start_local_theo(folder, ADMIN_TOKEN=ADMIN_TOKEN, SENDER_MODE="inline")
    # A customer asks for a person (a recorded handoff request); another is attended.
    for number, text in enumerate(("oi", "quero falar com um atendente"), start=1):
        customer_says(base, CUSTOMER, text, number)
    customer_says(base, ATTENDED, "oi", 1)
    attendant_says(base, ATTENDED, "Oi, aqui é a Ana do suporte, já vou te ajudar")
    yield base
    stop(process)


def open_page(browser: Browser, theo: str, viewport: dict) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport=viewport, locale="pt-BR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors include Content-Security-Policy violations and failed loads.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{theo}/painel")
    return page, errors


@pytest.fixture
def signed_in(browser: Browser, theo: str) -> Iterator[Page]:
    page, errors = open_page(browser, theo, DESKTOP)
    page.get_by_label("Token de administração").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", name="Solicitações")).to_be_visible()
    yield page
    page.context.close()
    assert errors == [], errors


def test_a_wrong_token_is_refused_on_the_page(browser: Browser, theo: str):
    page, _ = open_page(browser, theo, DESKTOP)
    page.get_by_label("Token de administração").fill("not-the-token-0123456789")
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("alert")).to_contain_text("Token inválido")
    expect(page.get_by_role("heading", name="Solicitações")).to_have_count(0)
    page.context.close()


def test_an_open_request_is_shown_with_its_contact_and_marked_handled(signed_in: Page, theo):
    [handoff] = [r for r in admin(theo, "/admin/requests")["requests"] if r["phone"] == CUSTOMER]
    row = signed_in.locator(f'#requests tr[data-protocol="{handoff["protocol"]}"]')
    expect(row).to_contain_text(CUSTOMER)  # the team sees the number to call back
    expect(row).to_contain_text(content.text("alerta.tipos.handoff"))
    screenshot(signed_in, "painel-requests")

    row.get_by_role("button", name="Resolvido").click()

    expect(row).to_have_count(0)
    expect(signed_in.locator("#notice")).to_contain_text(handoff["protocol"])
    handled = admin(theo, "/admin/requests?status=handled")["requests"]
    assert handoff["protocol"] in {r["protocol"] for r in handled}


def test_the_csv_link_follows_the_filters(signed_in: Page):
    signed_in.get_by_label("Tipo").select_option("visit")
    signed_in.get_by_role("button", name="Filtrar").click()
    expect(signed_in.locator("#requests-csv")).to_have_attribute("href", re.compile(r"type=visit"))
    expect(signed_in.locator("#requests-empty")).to_be_visible()
    expect(signed_in.locator("#requests-more")).to_be_hidden()  # one page: nothing more


def test_an_outage_is_started_and_ended(signed_in: Page, theo):
    form = signed_in.locator("#outage-form")
    form.get_by_label("Prefixos de CEP").fill("014, 01310")
    form.get_by_label("Mensagem aos clientes").fill("Rompimento de fibra na região.")
    form.get_by_label("Previsão de volta").fill("2030-01-01T18:00")
    form.get_by_role("button", name="Registrar queda").click()

    row = signed_in.locator("#outages tbody tr", has_text="Rompimento de fibra")
    expect(row).to_contain_text("014, 01310")
    expect(row).to_contain_text("em andamento")
    [outage] = admin(theo, "/admin/outages?active=true")["outages"]
    assert outage["cep_prefixes"] == ["014", "01310"]

    signed_in.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Encerrar").click()

    expect(row.get_by_role("button", name="Encerrar")).to_have_count(0)
    assert admin(theo, "/admin/outages?active=true")["outages"] == []


def test_an_attended_conversation_is_handed_back(signed_in: Page, theo):
    row = signed_in.locator("#handoffs tbody tr", has_text=ATTENDED)
    expect(row).to_be_visible()

    row.get_by_role("button", name="Devolver ao Theo").click()

    expect(row).to_have_count(0)
    assert ATTENDED not in {h["phone"] for h in admin(theo, "/admin/handoffs")["handoffs"]}


def test_the_stats_are_drawn_per_flow(signed_in: Page, theo):
    flows = admin(theo, "/admin/stats")["flows"]
    chart = signed_in.locator("#stats-chart .bar-line")
    expect(chart).to_have_count(len(flows))
    attendant = signed_in.locator(
        "#stats tbody tr", has_text=content.text("estatisticas.fluxos.attendant")
    )
    expect(attendant.locator("td").nth(1)).to_have_text(str(flows["attendant"]["started"]))
    assert flows["attendant"]["started"] >= 1
    signed_in.locator("#numeros").scroll_into_view_if_needed()
    screenshot(signed_in, "painel-stats")


def test_signing_out_brings_back_the_sign_in(signed_in: Page):
    signed_in.get_by_role("button", name="Sair").click()
    expect(signed_in.get_by_label("Token de administração")).to_be_visible()


def test_the_page_fits_a_phone(browser: Browser, theo: str):
    page, errors = open_page(browser, theo, PHONE)
    page.get_by_label("Token de administração").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", name="Quedas (massivas)")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # tables scroll inside their box, the page does not
    page.context.close()
    assert errors == [], errors

"""The simulator in a real browser: Debian's Chromium (headless) against Theo under gunicorn."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

import content
from conftest import needs_chromium, zapi_env
from gunicorn_server import ROOT, free_port, start_theo, stop
from zapi_fake import FakeZApiServer

ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

pytestmark = needs_chromium  # the `browser` fixture is in conftest


def start_local_theo(tmp_path: Path, **settings: str) -> tuple[str, subprocess.Popen]:
    """Theo under gunicorn on loopback; without Z-API settings it runs in console mode."""
    env = {
        "ZAPI_INSTANCE_ID": "",
        "ZAPI_TOKEN": "",
        "DATABASE_URL": "",
        "SQLITE_PATH": str(tmp_path / "theo.sqlite3"),
        "SIMULATOR_ENABLED": "false",
        "GUNICORN_THREADS": "4",
        **settings,
    }
    return start_theo(env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def theo(tmp_path_factory) -> Iterator[str]:
    base, process = start_local_theo(tmp_path_factory.mktemp("simulator"))
    yield base
    stop(process)


@pytest.fixture
def page(browser: Browser, theo: str) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="pt-BR")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors include Content-Security-Policy violations and failed loads.
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.goto(f"{theo}/simulator")
    chat = opened.locator("#messages")
    expect(chat).to_have_attribute("data-busy", "false")
    yield opened
    context.close()
    assert errors == [], errors


# --- Driving the page like a person ---------------------------------------------
def idle(page: Page) -> None:
    expect(page.locator("#messages")).to_have_attribute("data-busy", "false")


def type_message(page: Page, text: str) -> None:
    box = page.get_by_label("Mensagem", exact=True)
    box.fill(text)
    box.press("Enter")
    idle(page)


def tap_list(page: Page, title: str) -> None:
    page.get_by_role("button", name="Ver opções").last.click()
    dialog = page.get_by_role("dialog", name="Escolha uma opção")
    dialog.get_by_role("button", name=re.compile(rf"^{re.escape(title)}")).click()
    idle(page)


def tap_button(page: Page, label: str) -> None:
    page.locator(".reply-buttons").last.get_by_role("button", name=label, exact=True).click()
    idle(page)


def theo_bubbles(page: Page) -> list[str]:
    return page.locator(".bubble-theo .bubble-text").all_inner_texts()


def customer_bubbles(page: Page) -> list[str]:
    return page.locator(".bubble-customer .bubble-text").all_inner_texts()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def shown(text: str, key: str) -> bool:
    """Whether a bubble shows the sentence `key`: its fixed parts in order, as the page renders
    them (WhatsApp's *bold* and _italic_ marks become formatting, not characters)."""
    values = {name: "\x00" for name in content.placeholders(key)}
    template = content.text(key, **values).replace("*", "").replace("_", "")
    fixed = [re.escape(part.strip()) for part in template.split("\x00") if part.strip()]
    return re.search(".*?".join(fixed), text, re.DOTALL) is not None


# --- Flows ----------------------------------------------------------------------------
def test_boleto_flow_by_typing(page: Page):
    type_message(page, "oi")
    greeting = theo_bubbles(page)[-1]
    assert shown(greeting, "geral.saudacao") and content.menu("principal").options[0] in greeting
    expect(page.locator(".bubble-theo strong").first).to_be_visible()  # *bold* is rendered

    type_message(page, "1")
    assert shown(theo_bubbles(page)[-1], "documento.pedir_boleto")
    type_message(page, "529.982.247-25")

    answer = theo_bubbles(page)
    assert any(re.fullmatch(r"\d{47}", text.strip()) for text in answer)
    assert shown(answer[-1], "geral.encerramento")
    assert customer_bubbles(page) == ["oi", "1", "529.982.247-25"]
    expect(page.locator(".bubble-customer .status-read")).to_have_count(3)
    expect(page.locator("#debug-state")).to_have_text("anything_else")
    expect(page.locator("#debug-protocol")).to_have_text(re.compile(r"^\d{14}$"))
    screenshot(page, "simulator-desktop")


def test_sem_internet_flow_by_tapping_choices(page: Page):
    type_message(page, "oi")
    tap_list(page, "Suporte técnico")
    assert shown(theo_bubbles(page)[-1], "menus.suporte.pergunta")
    tap_list(page, "Sem internet")
    assert shown(theo_bubbles(page)[-1], "documento.pedir_suporte")
    type_message(page, "628.194.821-12")
    assert shown(theo_bubbles(page)[-1], "suporte.luz_vermelha")

    tap_button(page, content.text("geral.nao"))
    assert shown(theo_bubbles(page)[-1], "suporte.reiniciar_modem")
    tap_button(page, content.text("geral.sim"))

    answer = theo_bubbles(page)[-1]
    assert shown(answer, "suporte.resolvido")
    assert shown(answer, "geral.encerramento")
    assert customer_bubbles(page) == [
        "oi",
        "Suporte técnico",
        "Sem internet",
        "628.194.821-12",
        content.text("geral.nao"),
        content.text("geral.sim"),
    ]
    expect(page.locator("#debug-state")).to_have_text("anything_else")


def test_media_then_reset_starts_a_new_conversation(page: Page):
    type_message(page, "oi")
    first_protocol = page.locator("#debug-protocol").inner_text()
    page.get_by_role("button", name="Enviar uma imagem simulada").click()
    idle(page)
    assert shown(theo_bubbles(page)[-1], "geral.so_texto")
    page.get_by_role("button", name="Enviar um áudio simulado").click()
    idle(page)
    assert customer_bubbles(page)[-2:] == ["Foto", "Mensagem de voz · 0:04"]

    page.get_by_role("button", name="Reiniciar conversa").click()
    idle(page)

    expect(page.locator(".bubble")).to_have_count(0)
    expect(page.locator(".note").last).to_contain_text("Conversa reiniciada")
    expect(page.locator("#debug-state")).to_have_text("sem conversa")
    type_message(page, "oi")
    assert shown(theo_bubbles(page)[-1], "geral.saudacao")
    expect(page.locator("#debug-protocol")).not_to_have_text(first_protocol)


def test_text_is_escaped_and_formatted_like_whatsapp(page: Page):
    type_message(page, "<b>oi</b> *negrito* _itálico_ ~riscado~")

    bubble = page.locator(".bubble-customer .bubble-text").last
    expect(bubble).to_contain_text("<b>oi</b>")
    expect(bubble.locator("b")).to_have_count(0)
    expect(bubble.locator("strong")).to_have_text("negrito")
    expect(bubble.locator("em")).to_have_text("itálico")
    expect(bubble.locator("s")).to_have_text("riscado")


def test_phone_width_with_several_customers(page: Page):
    page.set_viewport_size(PHONE)
    type_message(page, "oi")
    first_phone = page.get_by_label("Número do cliente simulado").input_value()
    tap_list(page, "Consultar cobertura")
    type_message(page, "01310-100")
    assert "01310-100" in "\n".join(theo_bubbles(page)[-2:])
    screenshot(page, "simulator-phone")

    page.get_by_role("button", name="Clientes simulados").click()
    page.get_by_role("button", name="Novo cliente").click()
    expect(page.locator(".bubble")).to_have_count(0)
    type_message(page, "menu")
    page.get_by_role("button", name="Ver opções").last.click()
    expect(page.get_by_role("dialog", name="Escolha uma opção")).to_be_visible()
    screenshot(page, "simulator-phone-options")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Clientes simulados").click()
    shown = f"+{first_phone[:2]} {first_phone[2:4]} {first_phone[4:9]}-{first_phone[9:]}"
    page.get_by_role("button", name=re.compile(re.escape(shown))).click()
    assert customer_bubbles(page)[:2] == ["oi", "Consultar cobertura"]
    assert page.get_by_label("Número do cliente simulado").input_value() == first_phone


def test_simulator_is_404_with_zapi_credentials_and_the_flag_off(browser: Browser, tmp_path):
    zapi = {
        "ZAPI_INSTANCE_ID": "3C0FFEE0INSTANCE",
        "ZAPI_TOKEN": "T0KEN-SECRET-123",
        "ZAPI_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "WEBHOOK_SECRET": "um-segredo-de-teste-bem-comprido",
    }
    base, process = start_local_theo(tmp_path, **zapi)
    try:
        context = browser.new_context()
        response = context.new_page().goto(f"{base}/simulator")
        assert response is not None and response.status == 404
        context.close()
    finally:
        stop(process)


def test_next_to_zapi_the_page_asks_for_the_admin_token_once(browser: Browser, tmp_path):
    admin_token = "admin-token-for-the-browser-0001"
    with FakeZApiServer() as zapi:
        settings = {
            **zapi_env(zapi.base_url),
            "SIMULATOR_ENABLED": "true",
            "ADMIN_TOKEN": admin_token,
        }
        base, process = start_local_theo(tmp_path, **settings)
        try:
            context = browser.new_context(viewport=DESKTOP, locale="pt-BR")
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.goto(f"{base}/simulator")
            dialog = page.get_by_role("dialog", name="Token de administrador")
            expect(dialog).to_be_visible()

            dialog.get_by_label("ADMIN_TOKEN").fill("wrong-token-0123456789")
            dialog.get_by_role("button", name="Entrar").click()
            expect(dialog.get_by_role("alert")).to_contain_text("Token recusado")
            dialog.get_by_label("ADMIN_TOKEN").fill(admin_token)
            dialog.get_by_role("button", name="Entrar").click()
            expect(dialog).to_be_hidden()
            idle(page)
            type_message(page, "oi")

            assert shown(theo_bubbles(page)[-1], "geral.saudacao")
            assert page.evaluate("sessionStorage.getItem('theo-simulador-token')") == admin_token
            # Real customers' answers are kept for the tab only, never in localStorage.
            assert page.evaluate("localStorage.getItem('theo-simulador-v1')") is None
            stored = page.evaluate("sessionStorage.getItem('theo-simulador-v1')")
            assert stored and re.search(r"\d{14}", stored)  # the transcript (with its protocol)
            page.reload()  # the same tab: not asked again
            idle(page)
            expect(page.get_by_role("dialog", name="Token de administrador")).to_be_hidden()
            assert zapi.settled(0) == []  # simulated customers never reach WhatsApp
            context.close()
        finally:
            stop(process)

"""The ops page: sign-in with ADMIN_TOKEN, a strict session cookie, CSRF on every change."""

from __future__ import annotations

import re
import time

import pytest

from app import create_app
from conftest import zapi_config

ADMIN_TOKEN = "painel-token-0123456789abcdef"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def painel_app(tmp_path, clock, zapi):
    app = create_app(zapi_config(tmp_path / "theo.sqlite3", admin_token=ADMIN_TOKEN), clock=clock)
    app.config.update(TESTING=True)
    yield app
    app.extensions["theo"].records.dispose()


@pytest.fixture
def browser(painel_app):
    return painel_app.test_client()


def sign_in(client, token: str = ADMIN_TOKEN):
    page = client.get("/painel")
    csrf = CSRF_FIELD.search(page.text).group(1)
    return client.post("/painel/entrar", data={"token": token, "csrf_token": csrf})


def page_csrf(client) -> str:
    return CSRF_META.search(client.get("/painel").text).group(1)


def test_the_page_is_off_without_admin_token(tmp_path, clock, zapi):
    app = create_app(zapi_config(tmp_path / "theo.sqlite3"), clock=clock)
    client = app.test_client()
    assert client.get("/painel").status_code == 404
    assert client.post("/painel/entrar", data={"token": "x"}).status_code == 404
    app.extensions["theo"].records.dispose()


def test_the_sign_in_form_is_shown_before_anything(browser):
    page = browser.get("/painel")
    assert page.status_code == 200
    assert 'name="token"' in page.text and 'id="requests"' not in page.text
    assert browser.get("/admin/requests").status_code == 401


def test_a_wrong_token_is_refused(browser):
    refused = sign_in(browser, "wrong-token-0123456789abcdef")
    assert refused.status_code == 401
    assert 'role="alert"' in refused.text
    assert browser.get("/admin/requests").status_code == 401


def test_sign_in_without_the_form_token_is_refused(browser):
    browser.get("/painel")
    forged = browser.post("/painel/entrar", data={"token": ADMIN_TOKEN})
    assert forged.status_code == 400
    assert browser.get("/admin/requests").status_code == 401


def test_the_session_cookie_is_httponly_and_samesite_strict(browser):
    answer = sign_in(browser)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/painel")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert ADMIN_TOKEN not in cookie  # the cookie is signed, it does not carry the token


def test_the_cookie_is_secure_over_https(painel_app):
    client = painel_app.test_client()
    page = client.get("/painel", base_url="https://theo.example")
    csrf = CSRF_FIELD.search(page.text).group(1)
    answer = client.post(
        "/painel/entrar",
        data={"token": ADMIN_TOKEN, "csrf_token": csrf},
        base_url="https://theo.example",
    )
    assert "Secure" in answer.headers["Set-Cookie"]


def test_signed_in_the_page_reads_the_ops_api(browser):
    sign_in(browser)
    page = browser.get("/painel")
    assert 'id="requests"' in page.text and 'id="outages"' in page.text
    assert browser.get("/admin/requests").status_code == 200


def test_a_change_without_the_csrf_header_is_refused(browser):
    sign_in(browser)
    refused = browser.post("/admin/outbox/resend", json={})
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf"


def test_a_change_with_the_csrf_header_goes_through(browser):
    sign_in(browser)
    accepted = browser.post(
        "/admin/outbox/resend", json={}, headers={"X-CSRFToken": page_csrf(browser)}
    )
    assert accepted.status_code == 200


def test_the_bearer_token_still_needs_no_cookie_nor_csrf(browser):
    answer = browser.post(
        "/admin/outbox/resend", json={}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert answer.status_code == 200


def test_the_session_ends_after_its_hours(browser, painel_app, monkeypatch):
    sign_in(browser)
    lasts = painel_app.permanent_session_lifetime.total_seconds()
    later = time.time() + lasts + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert browser.get("/admin/requests").status_code == 401


def test_signing_out_ends_the_session(browser):
    sign_in(browser)
    csrf = page_csrf(browser)
    assert browser.post("/painel/sair", data={"csrf_token": csrf}).status_code == 303
    assert browser.get("/admin/requests").status_code == 401


def test_a_new_admin_token_signs_everyone_out(browser, tmp_path, clock, zapi):
    sign_in(browser)
    cookie = browser.get_cookie("theo_painel")
    other = create_app(
        zapi_config(tmp_path / "other.sqlite3", admin_token="another-token-0123456789abcd"),
        clock=clock,
    ).test_client()
    other.set_cookie("theo_painel", cookie.value)
    assert other.get("/admin/requests").status_code == 401


def test_the_webhook_and_health_set_no_cookie(chat, client):
    chat.say("oi")
    assert all("Set-Cookie" not in r.headers for r in (client.get("/health"),))
    assert client.get_cookie("theo_painel") is None

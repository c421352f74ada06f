"""BusinessData answered by the provider's IXC Provedor (IXCsoft) ERP, through its webservice.

`IxcBusinessData` reads customers, contracts, open receivables and RADIUS logins,
opens service orders and asks for trust unlocks. Plans on sale, coverage and outages
stay in Theo's own data: those calls go to the `catalog` given to the constructor.

How IXC is called (everything is POST to `https://<host>/webservice/v1/<table>`, with
HTTP Basic auth made of the token exactly as IXC shows it, `<user id>:<hash>`):

- listings send the header `ixcsoft: listar` and a JSON body `{"qtype": "<table>.<field>",
  "query", "oper", "page", "rp", "sortname", "sortorder"}` plus an optional `grid_param`
  (a JSON *string* of `[{"TB", "OP", "P"}]` extra filters); the answer is `{"page",
  "total", "registros": [...]}`, with strings for every value;
- `cliente` by `cnpj_cpf` (stored formatted, "529.982.247-25": the formatted form is
  asked first, then digits only): `id`, `razao`, `fantasia`, `tipo_pessoa` (F/J),
  `ativo`, `cep`, `fone`, `telefone_celular`, `whatsapp`, `telefone_comercial`;
- `cliente` by phone: each of those four phone fields with `oper` "L" (LIKE) on the
  number's 8 last digits, as phones are stored as typed; every candidate is confirmed
  with `documents.same_phone` before it is offered;
- `cliente_contrato` by `id_cliente`: `id`, `status` (A active), `status_internet`
  (A, CA blocked for debt, FA payment overdue, CM blocked by hand, D disabled, ...),
  `id_vd_contrato` (the plan sold), `contrato` (its name), `endereco_padrao_cliente`,
  `cep`, and the loyalty period: `data_expiracao` (its end, "0000-00-00" when none),
  `fidelidade` (months) and `data_ativacao`; no field holds a cancellation fee;
- `su_oss_chamado` (service orders) by `id_cliente`: `status` (open: A aberta, AN análise,
  EN encaminhada, AS assumida, AG agendada, DS deslocamento, EX execução, RAG reagendar;
  F finalizada, C cancelada), `id_assunto`, `data_agenda` ("YYYY-MM-DD HH:MM:SS"),
  `melhor_horario_agenda` (M manhã, T tarde, N noite, Q qualquer), `mensagem`;
- `vd_contratos` (plans sold) by `id`: `nome`, `valor_contrato`;
- `fn_areceber` (receivables) by `id_cliente`, open = `status` "A" and `liberado` "S":
  `id`, `data_vencimento`, `valor`, `valor_aberto`, `linha_digitavel`;
- `radusuarios` (RADIUS logins) by `id_contrato` or `id_cliente`: `online` (S/N), `ativo`;
- `get_pix` `{"id_areceber"}` answers `{"type": "success", "pix": {"qrCode": {"qrcode"},
  "dadosPix": {"pixCopiaECola", "status"}}}`;
- `get_boleto` `{"boletos", "juro", "multa", "atualiza_boleto", "tipo_boleto": "arquivo",
  "base64": "S"}` answers the PDF as bare base64 text ("JVBERi0..." = "%PDF");
- `su_oss_chamado` insert (no `ixcsoft` header): `tipo` "C", `id_cliente`, `id_assunto`,
  `id_contrato_kit`, `id_filial`, `setor`, `prioridade`, `origem_endereco`, `status` "A",
  `mensagem`; answers `{"type": "success", "id": "..."}`;
- `desbloqueio_confianca` `{"id": <contract id>}` answers `{"tipo": "sucesso"|"erro",
  "mensagem", "codigo"}` (106 no such contract, 107 already unlocked, 109 not allowed);
- errors come as `{"type": "error", "message"}`, often with HTTP 200; a login page or
  a proxy error comes as HTML.

Public sources of these names (third-party code; the official wiki, wiki.ixcsoft.com.br
and wikiapiprovedor.ixcsoft.com.br, is quoted by them but was not reachable here):
IXCsoft's Postman collection "API - IXC Provedor" as rendered to markdown in a public
repository (listing body, `cliente`/`cliente_contrato` fields, status button endpoints,
`fn_areceber` sample answer, `get_boleto`/`get_pix` bodies, required `su_oss_chamado`
fields); IXCsoft's own `su_oss_chamado` insert sample (token "6:4dac...", `tipo`,
`id_contrato_kit`, `origem_endereco`, `prioridade` "N", `status` "A"); SousaFelipe/ixc-orm
(Basic auth of the base64 token, `ixcsoft: listar`, `get_boleto` and
`desbloqueio_confianca` bodies); andre-luiz-dos-santos/goixc (token split at ":",
`desbloqueio_confianca` `tipo`/`codigo` 106/107/109 and its message texts, `get_boleto`
returning "%PDF"); marcosmarcolin/client-api-ixc (resource names, open `fn_areceber` with
`grid_param` on `liberado`/`status`); and public ISP bots and portals that read
`get_pix` (`pix.qrCode.qrcode`, `pix.dadosPix.pixCopiaECola`), `vd_contratos` (`nome`,
`valor_contrato`) and `radusuarios` (`online`, `ativo`). For the phone, the loyalty
period and visits: a public Ruby IXC client that finds a client by phone through
`cliente.telefone_celular`, then `cliente.fone`; a public contract-renewal tool that reads
`cliente_contrato.data_expiracao` as the end of the permanence ("0000-00-00" = none),
`fidelidade` as months and `data_ativacao`; and public technician-agenda dashboards that
list `su_oss_chamado` by `data_agenda` with the open statuses above and read
`melhor_horario_agenda` (M/T/N/Q).

This adapter never calls the manual release buttons (`cliente_contrato_btn_lib_temp_24722`
"liberar temporariamente", `cliente_contrato_15464` "liberar manualmente"): they bypass
the provider's trust-unlock rule. Only `desbloqueio_confianca`, which applies it, is used.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from dateutil.relativedelta import relativedelta

from business_data import (
    BackendUnavailable,
    BusinessData,
    Customer,
    CustomerKind,
    CustomerStatus,
    Invoice,
    PaidInvoice,
    Plan,
    ServiceOrderKind,
    UnlockResult,
    Visit,
    visit_order,
)
from documents import (
    Document,
    DocumentError,
    compact_document,
    fold,
    normalize_text,
    parse_document,
    same_phone,
)
from ixc_client import IxcHttp, IxcSettings, TtlCache, erp_words, field_text
from privacy import mask_phone

log = logging.getLogger("theo.ixc")

PLAN_PREFIX = "ixc:"
CLIENT_PAGE = 20
CONTRACT_PAGE = 50
INVOICE_PAGE = 100
PAID_PAGE = 6  # the latest payments are what a "paguei e continua cortado" needs
LOGIN_PAGE = 20
PHONE_FIELDS = ("telefone_celular", "whatsapp", "fone", "telefone_comercial")
PHONE_TAIL = 8  # the subscriber's number without the ninth digit: the same in every format
ORDER_PAGE = 20
# su_oss_chamado statuses of an order still to be done: aberta, análise, encaminhada,
# assumida, agendada, deslocamento, execução, reagendar (F finalizada and C cancelada are not).
OPEN_ORDER_STATUSES = ("A", "AN", "EN", "AS", "AG", "DS", "EX", "RAG")
# melhor_horario_agenda: the period the customer chose (N noite is not one Theo offers).
ORDER_PERIODS = {"M": "manhã", "T": "tarde", "Q": "qualquer"}
NOON = 12
EMPTY_IDS = ("", "0")

_PDF_MAGIC = b"%PDF"
_BR_DATE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH = re.compile(r"^(?:(\d{4})-(\d{2})|(\d{2})/(\d{4}))")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})(?:[ T](\d{2}):(\d{2}))?")
_THEO_PROTOCOL = re.compile(r"Protocolo Theo (\d{14})\b")
_SPEED = re.compile(r"(\d+(?:[.,]\d+)?)\s*(gbps|giga|gb|g|mbps|mega|mb|m)\b")
# Trust unlock answers, matched on accent-free lower case text (see goixc's regexps).
_UNLOCK_ALREADY = re.compile(
    r"ja (foi )?(utilizad|realizad|efetuad|concedid|liberad|desbloquead)"
    r"|ja (esta|encontra-se|se encontra) (ativ|desbloquead|liberad)"
    r"|ja (possui|tem|teve|usou|utilizou|houve)"
)
_UNLOCK_ALREADY_CODE = "107"
_SUCCESS_TYPES = ("success", "sucesso")


class IxcBusinessData:
    """BusinessData read from IXC; plans on sale, coverage and outages come from `catalog`."""

    def __init__(
        self,
        settings: IxcSettings,
        catalog: BusinessData,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Prepare the HTTP session, breaker and cache; nothing is sent yet."""
        self._settings = settings
        self._catalog = catalog
        self._http = IxcHttp(settings, session, clock)
        self._cache = TtlCache(settings.cache_seconds, clock)

    def close(self) -> None:
        """Release pooled connections (an injected session is left to its owner)."""
        self._http.close()

    # --- customers and invoices --------------------------------------------------------

    def find_customer(self, document: str) -> Customer | None:
        """The customer holding this CPF/CNPJ, from `cliente` and its chosen contract."""
        parsed = _document_or_none(document)
        if parsed is None:
            return None
        key = ("customer", parsed.value)
        hit, cached = self._cache.get(key)
        if hit:
            return cached
        customer = self._lookup_customer(parsed)
        self._cache.put(key, customer)
        return customer

    def open_invoices(self, customer: Customer) -> list[Invoice]:
        """The customer's open receivables (all contracts), oldest due date first."""
        if not customer.id:
            return []
        key = ("invoices", customer.id)
        hit, cached = self._cache.get(key)
        if not hit:
            cached = tuple(self._fetch_invoices(customer.id))
            self._cache.put(key, cached)
        return list(cached)

    def paid_invoices(self, customer: Customer) -> list[PaidInvoice]:
        """Receivables IXC shows received (`status` "R"), latest payment first.

        `fn_areceber` keeps `data_pagamento` and `valor_recebido` on a received row; IXC's
        nota fiscal (NFCom) is not exposed by a documented webservice field, so it is "".
        """
        if not customer.id:
            return []
        rows = self._http.listing(
            "fn_areceber",
            "id_cliente",
            customer.id,
            rp=PAID_PAGE,
            sortname="data_pagamento",
            sortorder="desc",
            grid=(("status", "=", "R"),),
        )
        paid = [_to_paid(row) for row in rows if field_text(row, "status").upper() == "R"]
        found = [invoice for invoice in paid if invoice is not None]
        return sorted(found, key=lambda invoice: invoice.paid_on, reverse=True)

    def payment_details(self, invoice: Invoice) -> Invoice:
        """The invoice with its PIX copia-e-cola (`get_pix`) and PDF (`get_boleto`)."""
        if not invoice.id:
            return invoice
        pix = self._pix_code(invoice.id)
        pdf = self._boleto_pdf(invoice.id)
        return replace(invoice, pix_code=pix or invoice.pix_code, pdf_url=pdf or invoice.pdf_url)

    # --- plans, coverage, outages ------------------------------------------------------

    def plans_for_cep(self, cep: str) -> list[Plan] | None:
        """Plans on sale are Theo's own catalog."""
        return self._catalog.plans_for_cep(cep)

    def plan(self, plan_id: str) -> Plan | None:
        """An "ixc:<vd_contratos id>" plan from IXC; any other id from the catalog."""
        if not plan_id.startswith(PLAN_PREFIX):
            return self._catalog.plan(plan_id)
        ixc_id = plan_id.removeprefix(PLAN_PREFIX)
        if not ixc_id.isdigit():
            return None
        key = ("plan", ixc_id)
        hit, cached = self._cache.get(key)
        if hit:
            return cached
        rows = self._http.listing("vd_contratos", "id", ixc_id, rp=1, sortname="id")
        plan = _to_plan(rows[0]) if rows else None
        self._cache.put(key, plan)
        return plan

    # --- connection, trust unlock, service orders ---------------------------------------

    def connection_online(self, customer: Customer) -> bool | None:
        """Whether a RADIUS login of the contract is online; None when it has none."""
        if customer.contract_id:
            rows = self._logins("id_contrato", customer.contract_id)
        elif customer.id:
            rows = self._logins("id_cliente", customer.id)
        else:
            return None
        if not rows:
            return None
        # A disabled login left behind after a swap would hide the current one.
        current = [row for row in rows if field_text(row, "ativo").upper() != "N"] or rows
        return any(field_text(row, "online").upper() == "S" for row in current)

    def supports_trust_unlock(self, customer: Customer) -> bool:
        """Asked only for a contract suspended for debt; IXC's rule decides the rest."""
        return customer.suspended and bool(customer.contract_id)

    def trust_unlock(self, customer: Customer, protocol: str, today: date) -> UnlockResult:
        """Ask `desbloqueio_confianca`, which applies the provider's rule and limit."""
        if not customer.contract_id:
            return UnlockResult("unsupported")
        # Never the manual release buttons (cliente_contrato_btn_lib_temp_24722,
        # cliente_contrato_15464): they skip the rule this endpoint enforces.
        answer = self._http.post_json("desbloqueio_confianca", {"id": customer.contract_id})
        result = _unlock_result(answer, today, self._settings.trust_unlock_days)
        log.info(
            "IXC trust unlock for contract %s (protocol %s): %s %s",
            customer.contract_id,
            protocol,
            result.outcome,
            result.reason,
        )
        if result.outcome != "refused":
            self._cache.drop(("customer", customer.document))  # its status just changed
        return result

    def open_service_order(
        self, customer: Customer, kind: ServiceOrderKind, protocol: str, message: str
    ) -> str | None:
        """Insert a `su_oss_chamado` carrying Theo's protocol; its id, or None if not set up."""
        subject, sector = self._order_route(kind)
        if not subject or not customer.id:
            log.warning("IXC %s order not opened: no subject id configured for it", kind)
            return None
        body = self._order_body(customer, subject, sector, protocol, message)
        answer = self._http.post_json("su_oss_chamado", body)
        order_id = _inserted_id(answer)
        log.info("IXC %s order %s opened (protocol %s)", kind, order_id, protocol)
        return order_id

    def customers_by_phone(self, phone: str) -> list[Customer]:
        """Active clients with this phone in one of their phone fields, confirmed by its digits.

        IXC keeps phones as typed ("(11) 91234-0001", "11912340001", "+55 11 1234-0001"):
        each field is searched with LIKE on the subscriber's 8 last digits (a wildcard
        between their halves also matches "1234-0001"), and a candidate counts only when
        one of its phones is the same number (`same_phone`: ninth digit or not).
        """
        digits = re.sub(r"\D", "", phone or "")
        if len(digits) < PHONE_TAIL:
            return []
        key = ("phone", digits)
        hit, cached = self._cache.get(key)
        if hit:
            return list(cached)
        customers = tuple(self._phone_customers(digits))
        self._cache.put(key, customers)
        log.info("IXC clients for phone %s: %d", mask_phone(digits), len(customers))
        return list(customers)

    def open_visits(self, customer: Customer) -> list[Visit]:
        """The client's open `su_oss_chamado` orders (visit subject if set), soonest first."""
        if not customer.id:
            return []
        subject = self._settings.visit_subject_id
        grid = [("status", "IN", ",".join(OPEN_ORDER_STATUSES))]
        if subject:
            grid.append(("id_assunto", "=", subject))
        rows = self._http.listing(
            "su_oss_chamado",
            "id_cliente",
            customer.id,
            rp=ORDER_PAGE,
            sortname="id",
            grid=tuple(grid),
        )
        # Filtered again here: grid_param is best effort on some IXC versions.
        visits = [
            _to_visit(row)
            for row in rows
            if field_text(row, "status").upper() in OPEN_ORDER_STATUSES
            and field_text(row, "id_cliente") == customer.id
            and (not subject or field_text(row, "id_assunto") == subject)
        ]
        return sorted((v for v in visits if v is not None), key=visit_order)

    # --- helpers ------------------------------------------------------------------------

    def _lookup_customer(self, document: Document) -> Customer | None:
        """Client record, then its contracts, turned into a Customer."""
        client = self._client_record(document)
        if client is None:
            log.info("IXC has no client with document %s", document.masked)
            return None
        customer = self._with_contract(client, document)
        log.info(
            "IXC client %s found for %s: contract %s, %s",
            customer.id,
            document.masked,
            customer.contract_id or "none",
            customer.status,
        )
        return customer

    def _with_contract(self, client: dict[str, Any], document: Document) -> Customer:
        """The Customer of a `cliente` row, with the contract Theo talks about."""
        client_id = field_text(client, "id")
        if not client_id:
            raise BackendUnavailable("IXC answered a client record without an id")
        contracts = self._http.listing(
            "cliente_contrato", "id_cliente", client_id, rp=CONTRACT_PAGE, sortname="id"
        )
        contract = choose_contract(contracts, self._settings.suspended_statuses)
        return _to_customer(client, contract, document, self._settings.suspended_statuses)

    def _phone_customers(self, digits: str) -> list[Customer]:
        """Clients whose phone fields hold `digits`: one per document, active ones only."""
        tail = digits[-PHONE_TAIL:]
        pattern = f"%{tail[:4]}%{tail[4:]}%"
        found: dict[str, list[dict[str, Any]]] = {}
        for field_name in PHONE_FIELDS:
            rows = self._http.listing(
                "cliente", field_name, pattern, oper="L", rp=CLIENT_PAGE, sortname="id"
            )
            for row in rows:
                document = _document_or_none(field_text(row, "cnpj_cpf"))
                if document is None or field_text(row, "ativo").upper() == "N":
                    continue  # no account to offer: a bad document or a deactivated client
                if _has_phone(row, digits):
                    found.setdefault(document.value, []).append(row)
        customers = []
        for rows in found.values():
            client = choose_client(rows)
            document = parse_document(field_text(client, "cnpj_cpf"))
            customer = self._with_contract(client, document)
            self._cache.put(("customer", document.value), customer)
            customers.append(customer)
        return customers

    def _client_record(self, document: Document) -> dict[str, Any] | None:
        """The `cliente` row of this document: formatted first, as IXC usually stores it."""
        for query in _document_queries(document):
            rows = self._http.listing("cliente", "cnpj_cpf", query, rp=CLIENT_PAGE, sortname="id")
            # Guard against a server that matches loosely: the digits must be the same.
            same = [
                row
                for row in rows
                if compact_document(field_text(row, "cnpj_cpf")) == document.value
            ]
            if same:
                return choose_client(same)
        return None

    def _fetch_invoices(self, client_id: str) -> list[Invoice]:
        """Open, released receivables of the client, as Invoices sorted by due date."""
        rows = self._http.listing(
            "fn_areceber",
            "id_cliente",
            client_id,
            rp=INVOICE_PAGE,
            sortname="data_vencimento",
            sortorder="asc",
            grid=(("status", "=", "A"), ("liberado", "=", "S")),
        )
        # Filtered again here: grid_param is best effort on some IXC versions.
        open_rows = [
            row
            for row in rows
            if field_text(row, "status").upper() == "A"
            and field_text(row, "liberado").upper() != "N"
        ]
        invoices = [_to_invoice(row) for row in open_rows]
        return sorted(invoices, key=lambda invoice: (invoice.due_date, _id_order(invoice.id)))

    def _pix_code(self, invoice_id: str) -> str:
        """The PIX copia-e-cola of the receivable, "" when IXC has none for it."""
        answer = self._http.post_json("get_pix", {"id_areceber": invoice_id})
        return _pix_from_answer(answer, invoice_id)

    def _boleto_pdf(self, invoice_id: str) -> str:
        """The boleto PDF as a data: URI (Z-API's send-document takes base64), or ""."""
        refresh = "S" if self._settings.refresh_overdue_boleto else "N"
        body = {
            "boletos": invoice_id,
            "juro": refresh,
            "multa": refresh,
            # "N" keeps the PDF's linha digitável the same as the one Theo shows.
            "atualiza_boleto": refresh,
            "tipo_boleto": "arquivo",
            "base64": "S",
        }
        return _pdf_data_uri(self._http.post_raw("get_boleto", body), invoice_id)

    def _logins(self, field_name: str, value: str) -> list[dict[str, Any]]:
        """RADIUS logins (`radusuarios`) filtered by one field, newest first."""
        return self._http.listing("radusuarios", field_name, value, rp=LOGIN_PAGE, sortname="id")

    def _order_route(self, kind: ServiceOrderKind) -> tuple[str, str]:
        """The subject and sector ids configured for this kind of order."""
        settings = self._settings
        if kind == "visit":
            return settings.visit_subject_id, settings.visit_sector_id
        return settings.ticket_subject_id, settings.ticket_sector_id

    def _order_body(
        self, customer: Customer, subject: str, sector: str, protocol: str, message: str
    ) -> dict[str, str]:
        """The `su_oss_chamado` insert body (fields of IXCsoft's own sample)."""
        text = (
            message if protocol and protocol in message else f"Protocolo Theo {protocol}: {message}"
        )
        body = {
            "tipo": "C",  # an order for a client (E would be for a network structure)
            "id_cliente": customer.id,
            "id_assunto": subject,
            "id_filial": self._settings.branch_id,
            "prioridade": "N",  # normal
            # CC: the contract's installation address; C: the client's own address.
            "origem_endereco": "CC" if customer.contract_id else "C",
            "status": "A",  # open
            "mensagem": text,
        }
        if customer.contract_id:
            body["id_contrato_kit"] = customer.contract_id
        if sector:
            body["setor"] = sector
        return body


# --- choosing records -----------------------------------------------------------------


def choose_client(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Among duplicate registrations of one document: active ones first, then the newest."""
    return max(rows, key=lambda row: (field_text(row, "ativo").upper() != "N", _id_order(row)))


def choose_contract(
    contracts: list[dict[str, Any]], suspended_statuses: Iterable[str]
) -> dict[str, Any] | None:
    """The contract Theo talks about, chosen the same way every time.

    Active contracts (`status` "A") are preferred; if none is active, any contract that
    is not cancelled or withdrawn. Among those, one suspended for debt wins, so a
    customer with a working and a blocked contract is not told everything is fine;
    ties go to the newest (highest id).
    """
    if not contracts:
        return None
    active = [c for c in contracts if field_text(c, "status").upper() == "A"]
    alive = [c for c in contracts if field_text(c, "status").upper() not in ("C", "D", "I")]
    candidates = active or alive or contracts
    suspended = set(suspended_statuses)
    return max(
        candidates,
        key=lambda c: (field_text(c, "status_internet").upper() in suspended, _id_order(c)),
    )


# --- mapping IXC records ----------------------------------------------------------------


def _to_customer(
    client: dict[str, Any],
    contract: dict[str, Any] | None,
    document: Document,
    suspended_statuses: tuple[str, ...],
) -> Customer:
    """A Customer from the `cliente` row and the chosen `cliente_contrato` row."""
    contract = contract or {}
    internet = field_text(contract, "status_internet").upper()
    status: CustomerStatus = "suspended" if internet in suspended_statuses else "active"
    kind: CustomerKind = (
        "business" if field_text(client, "tipo_pessoa").upper() == "J" else "residential"
    )
    plan = field_text(contract, "id_vd_contrato")
    return Customer(
        id=field_text(client, "id"),
        document=document.value,
        name=field_text(client, "razao")
        or field_text(client, "fantasia")
        or field_text(client, "nome"),
        kind=kind,
        plan_id=f"{PLAN_PREFIX}{plan}" if plan not in EMPTY_IDS else "",
        cep=_cep(contract) or _cep(client),
        status=status,
        phones=normalize_phones(field_text(client, key) for key in PHONE_FIELDS),
        contract_id=field_text(contract, "id"),
        # IXC keeps no cancellation fee on the contract (it is the provider's rule): unknown.
        loyalty_end=loyalty_end(contract),
    )


def loyalty_end(contract: dict[str, Any]) -> date | None:
    """The end of the contract's loyalty period ("fidelidade"), or None when it has none.

    `data_expiracao` is the end IXC computed; without it, `fidelidade` months from
    `data_ativacao`. A `fidelidade` of "0" is a contract without loyalty.
    """
    months = field_text(contract, "fidelidade")
    if months == "0":
        return None
    expires = _parse_date(field_text(contract, "data_expiracao"))
    if expires is not None:
        return expires
    activated = _parse_date(field_text(contract, "data_ativacao"))
    if activated is None or not months.isdigit():
        return None
    return activated + relativedelta(months=int(months))


def _has_phone(client: dict[str, Any], phone: str) -> bool:
    """Whether one of the client's phone fields is `phone` (digits with country code)."""
    phones = normalize_phones(field_text(client, key) for key in PHONE_FIELDS)
    return any(same_phone(phone, own) for own in phones)


def _to_visit(row: dict[str, Any]) -> Visit | None:
    """A Visit from an open `su_oss_chamado` row; None without an id.

    `data_agenda` ("2026-11-26 14:00:00") gives the day and, when it has an hour, the
    period (manhã before noon); else `melhor_horario_agenda` (M, T, Q) gives it.
    """
    order_id = field_text(row, "id")
    if not order_id:
        return None
    day, hour = _date_and_hour(field_text(row, "data_agenda"))
    if hour is not None:
        period = "manhã" if hour < NOON else "tarde"
    else:
        period = ORDER_PERIODS.get(field_text(row, "melhor_horario_agenda").upper(), "")
    theo = _THEO_PROTOCOL.search(field_text(row, "mensagem"))
    return Visit(
        id=order_id,
        period=period,
        day=day,
        status="scheduled" if day else "waiting",
        protocol=theo.group(1) if theo else "",
    )


def _date_and_hour(text: str) -> tuple[date | None, int | None]:
    """The day of a "YYYY-MM-DD HH:MM:SS" value and its hour (None at 00:00: no hour set)."""
    match = _DATE_TIME.search(text)
    day = _parse_date(match.group(1)) if match else None
    if day is None or match is None or match.group(2) is None:
        return day, None
    hour, minute = int(match.group(2)), int(match.group(3))
    return day, (hour if (hour, minute) != (0, 0) and hour < 24 else None)


def _to_invoice(row: dict[str, Any]) -> Invoice:
    """An Invoice from an `fn_areceber` row; a row without id, due date or amount is nonsense."""
    invoice_id = field_text(row, "id")
    due = _parse_date(field_text(row, "data_vencimento"))
    amount = _invoice_amount(row)
    if not invoice_id or due is None or amount is None:
        raise BackendUnavailable("IXC answered a receivable without id, due date or amount")
    return Invoice(
        id=invoice_id,
        reference_month=_reference_month(row, due),
        due_date=due,
        amount=amount,
        # Kept even when empty: the flow then offers the PDF or an attendant.
        barcode_line=re.sub(r"\D", "", field_text(row, "linha_digitavel")),
    )


def _to_paid(row: dict[str, Any]) -> PaidInvoice | None:
    """A PaidInvoice from a received `fn_areceber` row; None when it lacks the payment date."""
    invoice_id = field_text(row, "id")
    due = _parse_date(field_text(row, "data_vencimento"))
    paid_on = _parse_date(field_text(row, "data_pagamento"))
    amount = _money(field_text(row, "valor_recebido")) or _money(field_text(row, "valor"))
    if not invoice_id or due is None or paid_on is None or amount is None:
        return None  # a half-filled receipt says nothing reliable about the payment
    return PaidInvoice(
        id=invoice_id,
        reference_month=_reference_month(row, due),
        due_date=due,
        amount=amount,
        paid_on=paid_on,
    )


def _to_plan(row: dict[str, Any]) -> Plan | None:
    """A Plan from a `vd_contratos` row; speed read from the name ("500 MEGA", "1 GIGA")."""
    name = field_text(row, "nome")
    if not name:
        return None
    price = _money(field_text(row, "valor_contrato"))
    if price is None:
        raise BackendUnavailable("IXC answered a plan without a valid price")
    speed = speed_from_name(name)
    if not speed:
        log.info("IXC plan %s: no speed in its name; shown without one", field_text(row, "id"))
    return Plan(
        id=f"{PLAN_PREFIX}{field_text(row, 'id')}",
        name=name,
        speed_mbps=speed,
        monthly_price=price,
    )


def speed_from_name(name: str) -> int:
    """Mbps written in a plan name: "500 MEGA" -> 500, "1 GIGA" -> 1000; 0 when absent."""
    match = _SPEED.search(fold(name))
    if match is None:
        return 0
    number = Decimal(match.group(1).replace(",", "."))
    factor = 1000 if match.group(2).startswith("g") else 1
    return int(number * factor)


def normalize_phones(values: Iterable[str]) -> tuple[str, ...]:
    """Every valid phone as 55 + DDD + number, in order, without repeats."""
    phones: list[str] = []
    for value in values:
        phone = normalize_phone(value)
        if phone and phone not in phones:
            phones.append(phone)
    return tuple(phones)


def normalize_phone(value: str) -> str | None:
    """One phone as "55" + DDD + number, or None when it cannot be a Brazilian number."""
    # Look-alike digits (full-width...) folded first: the phone must be ASCII to match a sender.
    digits = re.sub(r"[^0-9]", "", normalize_text(value or "")).lstrip("0")  # "0xx" trunks
    if len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    if len(digits) not in (10, 11) or digits[0] == "0" or digits[2] == "0":
        return None
    if len(digits) == 11 and digits[2] != "9":
        return None  # 11 digits is a mobile, which starts with 9
    return "55" + digits


def _unlock_result(answer: Any, today: date, days: int | None) -> UnlockResult:
    """Map IXC's trust unlock answer to the outcome Theo explains."""
    entry = answer[0] if isinstance(answer, list) and answer else answer
    if not isinstance(entry, dict):
        raise BackendUnavailable("IXC answered the trust unlock with something unreadable")
    kind = (field_text(entry, "tipo") or field_text(entry, "type")).lower()
    message = (
        field_text(entry, "mensagem") or field_text(entry, "message") or field_text(entry, "msg")
    )
    code = field_text(entry, "codigo") or field_text(entry, "code")
    if not kind:
        raise BackendUnavailable("IXC answered the trust unlock without a result type")
    until = _date_in(message, today)
    if kind in _SUCCESS_TYPES and code != _UNLOCK_ALREADY_CODE:
        if until is None and days:
            until = today + timedelta(days=days)
        return UnlockResult("unlocked", until=until)
    if code == _UNLOCK_ALREADY_CODE or _UNLOCK_ALREADY.search(fold(message)):
        return UnlockResult("already", until=until)
    # Limit reached, not allowed by the provider's rule, contract not blocked, no contract.
    return UnlockResult("refused", reason=erp_words(message) or f"IXC code {code or '?'}")


def _inserted_id(answer: Any) -> str:
    """The id of the record IXC says it inserted, or BackendUnavailable with its words."""
    if not isinstance(answer, dict):
        raise BackendUnavailable("IXC answered the service order with something unreadable")
    kind = field_text(answer, "type").lower()
    order_id = field_text(answer, "id")
    if kind in _SUCCESS_TYPES and order_id:
        return order_id
    words = erp_words(field_text(answer, "message") or field_text(answer, "mensagem"))
    raise BackendUnavailable(f"IXC refused the service order: {words or 'no reason given'}")


def _pix_from_answer(answer: Any, invoice_id: str) -> str:
    """The copia-e-cola of a `get_pix` answer; "" when IXC has no PIX for the receivable."""
    if not isinstance(answer, dict):
        raise BackendUnavailable("IXC answered get_pix with something unreadable")
    if field_text(answer, "type").lower() == "error":
        log.info("IXC has no PIX for receivable %s: %s", invoice_id, erp_words(answer))
        return ""
    pix = answer.get("pix")
    if isinstance(pix, str):
        return _valid_pix(pix)
    if not isinstance(pix, dict):
        return ""
    details = pix.get("dadosPix") if isinstance(pix.get("dadosPix"), dict) else {}
    qr_code = pix.get("qrCode") if isinstance(pix.get("qrCode"), dict) else {}
    active = field_text(details, "status").upper() in ("", "ATIVA")
    return _valid_pix(field_text(details, "pixCopiaECola") if active else "") or _valid_pix(
        field_text(qr_code, "qrcode")
    )


def _pdf_data_uri(body: bytes, invoice_id: str) -> str:
    """A data:application/pdf URI from `get_boleto`'s base64 answer ("" when it has none)."""
    text = body.strip()
    if text.startswith(b"{"):
        return _pdf_from_json(text, invoice_id)
    if text.startswith(_PDF_MAGIC):  # some versions ignore base64=S
        return "data:application/pdf;base64," + base64.b64encode(text).decode("ascii")
    compact = b"".join(text.split())
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded.startswith(_PDF_MAGIC):
        raise BackendUnavailable("IXC answered get_boleto with something that is not a PDF")
    return "data:application/pdf;base64," + compact.decode("ascii")


def _pdf_from_json(text: bytes, invoice_id: str) -> str:
    """A JSON `get_boleto` answer: an error (no PDF for it) or the base64 in a field."""
    try:
        answer = json.loads(text)
    except ValueError:
        raise BackendUnavailable("IXC answered get_boleto with broken JSON") from None
    if not isinstance(answer, dict):
        raise BackendUnavailable("IXC answered get_boleto with something unreadable")
    if field_text(answer, "type").lower() == "error":
        log.info("IXC has no boleto PDF for receivable %s: %s", invoice_id, erp_words(answer))
        return ""
    for key in ("boleto", "arquivo", "base64"):
        if field_text(answer, key):
            return _pdf_data_uri(field_text(answer, key).encode("ascii", "ignore"), invoice_id)
    raise BackendUnavailable("IXC answered get_boleto without a PDF")


# --- small value parsers ----------------------------------------------------------------


def _id_order(row_or_id: dict[str, Any] | str) -> int:
    """A numeric id for ordering ("newest" = highest id); non-numeric ids sort first."""
    value = field_text(row_or_id, "id") if isinstance(row_or_id, dict) else row_or_id
    return int(value) if value.isdigit() else -1


def _cep(row: dict[str, Any]) -> str:
    """The 8 CEP digits of a record, or ""."""
    digits = re.sub(r"\D", "", field_text(row, "cep"))
    return digits if len(digits) == 8 and digits != "00000000" else ""


def _parse_date(text: str) -> date | None:
    """A date written "YYYY-MM-DD" or "DD/MM/YYYY"; None for empty or "0000-00-00"."""
    for pattern, order in ((_ISO_DATE, (1, 2, 3)), (_BR_DATE, (3, 2, 1))):
        match = pattern.search(text)
        if match:
            year, month, day = (int(match.group(i)) for i in order)
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def _date_in(message: str, today: date) -> date | None:
    """A date IXC wrote in a message ("liberado até 27/11/2026"), if it is not in the past."""
    found = _parse_date(message)
    return found if found is not None and found >= today else None


def _money(text: str) -> Decimal | None:
    """An amount "99.90" (or "1.234,56") as Decimal with 2 places; None when not a number."""
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if value.is_finite() and value >= 0 else None


def _invoice_amount(row: dict[str, Any]) -> Decimal | None:
    """What is still owed: `valor_aberto` after partial payments, else `valor`."""
    remaining = _money(field_text(row, "valor_aberto"))
    if remaining is not None and remaining > 0:
        return remaining
    return _money(field_text(row, "valor"))


def _reference_month(row: dict[str, Any], due: date) -> str:
    """ "YYYY-MM" from a competence field when IXC has one, else the due date's month."""
    match = _MONTH.match(field_text(row, "competencia"))
    if match:
        year, month = (match.group(1), match.group(2)) if match.group(1) else match.group(4, 3)
        if 1 <= int(month) <= 12:
            return f"{year}-{month}"
    return f"{due.year:04d}-{due.month:02d}"


def _valid_pix(code: str) -> str:
    """A PIX copia-e-cola (an EMV BR Code starts with "000201"), or ""."""
    code = code.strip()
    return code if code.startswith("000201") else ""


def _document_or_none(text: str) -> Document | None:
    """The CPF/CNPJ in `text`, or None: an invalid number is nobody's, no need to ask IXC."""
    try:
        return parse_document(text)
    except DocumentError:
        return None


def _document_queries(document: Document) -> list[str]:
    """How IXC may store the document: formatted ("529.982.247-25"), then digits only."""
    value = document.value
    if document.kind == "CPF":
        formatted = f"{value[:3]}.{value[3:6]}.{value[6:9]}-{value[9:]}"
    else:
        formatted = f"{value[:2]}.{value[2:5]}.{value[5:8]}/{value[8:12]}-{value[12:]}"
    return [formatted, value]

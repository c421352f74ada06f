"""A real HTTP fake of IXC Provedor's webservice on loopback, for adapter and fault tests.

It answers like IXC does (see the docstring of `ixc.py` for the public sources):
POST `/webservice/v1/<table>` with HTTP Basic auth of the token "<user id>:<hash>";
listings carry the header `ixcsoft: listar` and `qtype`/`query`/`oper`/`page`/`rp`/
`sortname`/`sortorder` (plus `grid_param`) and answer `{"page", "total", "registros"}`
with every value a string; errors are `{"type": "error", "message"}` with HTTP 200.

The demo data mirrors `data/customers.json` and `data/plans.json`: the same documents
(stored formatted), names, CEPs, phones, plans, open invoices (linha digitável and PIX
codes), loyalty periods and open visits (`su_oss_chamado` of subject VISIT_SUBJECT), with
IXC ids (`client_id("CLI-000207")` -> "207"). The suspended customer's contract has
`status_internet` "CA". Tests add rows with `add()`/`add_visit()`, switch faults on with
`down()`/`up()`, `fail_with()`, `html()`, `latency`, and read what Theo did in
`requests`, `orders` and `calls()`.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import threading
import time
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

DATA = Path(__file__).resolve().parents[1] / "data"
TOKEN = "7:f4k3ixch4sh0123456789abcdef"
API = "/webservice/v1/"
TABLES = ("cliente", "cliente_contrato", "vd_contratos", "fn_areceber", "radusuarios")
BLOCKED = ("CA", "FA", "CM")
ONLINE = {"123": "S", "245": "S", "207": "N", "388": "S"}  # 311 has no RADIUS login
# The business customer of 04538-133 is billed at its head office: contract CEP differs.
BILLING_CEP = {"311": "01001-000"}
REQUIRED_ORDER_FIELDS = (
    "id_cliente",
    "id_assunto",
    "id_filial",
    "setor",
    "prioridade",
    "origem_endereco",
    "status",
)
VISIT_SUBJECT = "17"  # su_oss_assunto id of technician visits in the fake's data
LOGIN_PAGE = b"""<!DOCTYPE html><html><head><title>IXC Provedor</title></head>
<body><form action="/adm.php" method="post"><input name="email"><input name="senha"
type="password"></form></body></html>"""


def client_id(demo_id: str) -> str:
    """The IXC id of a demo customer: "CLI-000207" -> "207"."""
    return str(int(re.sub(r"\D", "", demo_id)))


def contract_id(demo_id: str) -> str:
    """The IXC contract id of a demo customer: "CLI-000207" -> "1207"."""
    return str(1000 + int(client_id(demo_id)))


def tiny_pdf(label: str) -> bytes:
    """A one-page PDF, small but well formed enough to be recognised as one."""
    return (
        b"%PDF-1.4\n% boleto " + label.encode() + b"\n"
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/MediaBox[0 0 200 100]/Parent 2 0 R>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


class FakeIxcServer:
    """`with FakeIxcServer() as ixc:` serves on 127.0.0.1 at `ixc.base_url`."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        seed: bool = True,
        port: int = 0,
        today: date | None = None,
        unlock_days: int = 3,
    ) -> None:
        self.token = token
        self.today = today or date.today()
        self.unlock_days = unlock_days
        self.tables: dict[str, list[dict[str, str]]] = {name: [] for name in TABLES}
        self.tables["su_oss_chamado"] = []
        self.pix: dict[str, str] = {}  # fn_areceber id -> PIX copia e cola
        self.invoice_ids: dict[str, str] = {}  # demo invoice id -> fn_areceber id
        self.requests: list[dict[str, Any]] = []  # every request answered, faults included
        self.latency = 0.0
        self._faults: list[int] = []
        self._html = False
        self._unavailable = False
        self._unlocked: set[str] = set()
        self._inserted: set[str] = set()  # su_oss_chamado ids created through the API
        self._unlock_refusals: dict[str, str] = {}
        self._ids = itertools.count(9001)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = self._serve(port)
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        if seed:
            self.seed_demo()

    def __enter__(self) -> FakeIxcServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.down()

    # -- data --
    def seed_demo(self, folder: Path = DATA) -> None:
        """Load the demo customers of data/customers.json as IXC records."""
        plans = json.loads((folder / "plans.json").read_text(encoding="utf-8"))["plans"]
        plan_ids = {}
        for number, plan in enumerate(plans, start=1):
            plan_ids[plan["id"]] = str(number)
            self.add(
                "vd_contratos",
                id=number,
                nome=plan["name"].upper(),
                valor_contrato=plan["monthly_price"],
                Ativo="S",
            )
        customers = json.loads((folder / "customers.json").read_text(encoding="utf-8"))
        for customer in customers["customers"]:
            self._seed_customer(customer, plan_ids[customer["plan_id"]])

    def _seed_customer(self, customer: dict[str, Any], plan_id: str) -> None:
        """One demo customer: client, contract, RADIUS login and open invoices."""
        cid, kid = client_id(customer["id"]), contract_id(customer["id"])
        phone = customer["phones"][0][2:]  # "11912340001"
        own_cep = BILLING_CEP.get(cid)
        self.add(
            "cliente",
            id=cid,
            razao=customer["name"],
            fantasia="",
            tipo_pessoa="J" if customer["kind"] == "business" else "F",
            cnpj_cpf=customer["document"],
            ativo="S",
            cep=own_cep or customer["cep"],
            fone="",
            telefone_celular=f"({phone[:2]}) {phone[2:7]}-{phone[7:]}",
            whatsapp=phone,
            telefone_comercial="0",
        )
        suspended = customer["status"] == "suspended"
        self.add(
            "cliente_contrato",
            id=kid,
            id_cliente=cid,
            id_vd_contrato=plan_id,
            contrato=self.tables["vd_contratos"][int(plan_id) - 1]["nome"],
            status="A",
            status_internet="CA" if suspended else "A",
            endereco_padrao_cliente="N" if own_cep else "S",
            cep=customer["cep"] if own_cep else "",
            desbloqueio_confianca="S",
            desbloqueio_confianca_ativo="N",
            **_loyalty(customer),
        )
        for visit in customer.get("visits", []):
            self.add_visit(cid, kid, visit["date"], visit["period"], status="AG")
        if cid in ONLINE:
            self.add("radusuarios", id_cliente=cid, id_contrato=kid, login=f"pppoe{cid}",
                     ativo="S", online=ONLINE[cid])  # fmt: skip
        for invoice in customer["invoices"]:
            self._seed_invoice(invoice, cid, kid)
        for invoice in customer.get("paid_invoices", []):
            self.add("fn_areceber", id_cliente=cid, id_contrato=kid, status="R", liberado="S",
                     data_emissao=f"{invoice['reference_month']}-01",
                     data_vencimento=invoice["due_date"], valor=invoice["amount"],
                     valor_aberto="0.00", valor_recebido=invoice["amount"],
                     data_pagamento=invoice["paid_on"], documento=invoice["id"])  # fmt: skip

    def _seed_invoice(self, invoice: dict[str, Any], cid: str, kid: str) -> None:
        """An open receivable, its linha digitável formatted as banks print it."""
        line = invoice["barcode_line"]
        formatted = f"{line[:5]}.{line[5:10]} {line[10:15]}.{line[15:21]} " + (
            f"{line[21:26]}.{line[26:32]} {line[32]} {line[33:]}"
        )
        row = self.add(
            "fn_areceber",
            id_cliente=cid,
            id_contrato=kid,
            status="A",
            liberado="S",
            data_emissao=f"{invoice['reference_month']}-01",
            data_vencimento=invoice["due_date"],
            valor=invoice["amount"],
            valor_aberto=invoice["amount"],
            valor_recebido="0.00",
            linha_digitavel=formatted,
            documento=invoice["id"],
        )
        self.invoice_ids[invoice["id"]] = row["id"]
        if invoice.get("pix_code"):
            self.pix[row["id"]] = invoice["pix_code"]

    def add_visit(
        self, cid: str, kid: str, day: str, period: str, *, status: str = "AG", **fields: Any
    ) -> dict[str, str]:
        """An open technician visit (su_oss_chamado of the visit subject) on `day` ("" = none)."""
        hour = {"manhã": "09:00:00", "tarde": "14:00:00"}.get(period, "00:00:00")
        row = {
            "tipo": "C",
            "id_cliente": cid,
            "id_contrato_kit": kid,
            "id_assunto": VISIT_SUBJECT,
            "status": status,
            "data_abertura": f"{self.today} 08:00:00",
            "data_agenda": f"{day} {hour}" if day else "0000-00-00 00:00:00",
            "melhor_horario_agenda": {"manhã": "M", "tarde": "T"}.get(period, "Q"),
            "mensagem": "Visita técnica",
        }
        return self.add("su_oss_chamado", **{**row, **fields})

    def add(self, table: str, **fields: Any) -> dict[str, str]:
        """Insert a record (values stored as strings, like IXC answers them); returns it."""
        with self._lock:
            record = {key: "" if value is None else str(value) for key, value in fields.items()}
            record.setdefault("id", str(next(self._ids)))
            self.tables.setdefault(table, []).append(record)
            return record

    def record(self, table: str, record_id: str) -> dict[str, str] | None:
        """The live record with this id (changes to it are seen by the server)."""
        with self._lock:
            return next((r for r in self.tables.get(table, []) if r["id"] == record_id), None)

    # -- faults --
    def down(self, mode: Literal["refused", "503"] = "refused") -> None:
        """Stop listening (connection refused), or keep listening and answer 503 to all."""
        if mode == "503":
            self._unavailable = True
            return
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def up(self) -> None:
        """Listen again on the same port and stop answering 503."""
        self._unavailable = False
        if self._server is None:
            self._server = self._serve(self.port)

    def fail_with(self, status: int, times: int = 1) -> None:
        """Answer the next `times` requests with `status` (and a proxy's HTML page)."""
        with self._lock:
            self._faults += [status] * times

    def html(self, on: bool = True) -> None:
        """Answer IXC's login page (HTTP 200) to everything, as when the session is lost."""
        self._html = on

    def refuse_unlock(self, contract: str, message: str) -> None:
        """Make desbloqueio_confianca refuse this contract with IXC's words."""
        with self._lock:
            self._unlock_refusals[contract] = message

    # -- what Theo did --
    @property
    def orders(self) -> list[dict[str, str]]:
        """The service orders (su_oss_chamado) created through the API."""
        with self._lock:
            rows = self.tables["su_oss_chamado"]
            return [dict(row) for row in rows if row["id"] in self._inserted]

    def calls(self, table: str | None = None) -> list[dict[str, Any]]:
        """The requests received, for one table or all."""
        with self._lock:
            return [r for r in self.requests if table is None or r["table"] == table]

    # -- serving --
    def _serve(self, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        server.daemon_threads = True
        # A short poll makes shutdown() (down(), end of test) quick.
        poll = {"poll_interval": 0.02}
        threading.Thread(target=server.serve_forever, kwargs=poll, daemon=True).start()
        return server

    def _next_fault(self) -> int | None:
        with self._lock:
            if self._unavailable:
                return 503
            return self._faults.pop(0) if self._faults else None

    def _authorized(self, header: str) -> bool:
        expected = "Basic " + base64.b64encode(self.token.encode()).decode()
        return header == expected

    def _answer_for(self, table: str, headers: Any, body: Any) -> tuple[int, Any]:
        """The status and payload IXC would answer (dict/list -> JSON, bytes -> raw)."""
        fault = self._next_fault()
        if fault is not None:
            return fault, b"<html><body><h1>" + str(fault).encode() + b" Bad Gateway</h1></body>"
        if self._html:
            return 200, LOGIN_PAGE
        if not self._authorized(headers.get("Authorization", "")):
            return 401, {"type": "error", "message": "Token inválido ou sem permissão!"}
        if not isinstance(body, dict):
            return 200, {"type": "error", "message": "Requisição inválida"}
        if headers.get("ixcsoft", "").lower() == "listar":
            return 200, self._listing(table, body)
        return 200, self._resource(table, body)

    def _resource(self, table: str, body: dict[str, Any]) -> Any:
        """Non-listing endpoints: the resources and the insert of service orders."""
        with self._lock:
            if table == "get_pix":
                return self._get_pix(str(body.get("id_areceber", "")))
            if table == "get_boleto":
                return self._get_boleto(str(body.get("boletos", "")))
            if table == "desbloqueio_confianca":
                return self._unlock(str(body.get("id", "")))
            if table == "su_oss_chamado":
                return self._insert_order(body)
        return {"type": "error", "message": f"Formulário {table} não permite esta operação"}

    # -- listings --
    def _listing(self, table: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if table not in self.tables:
                return {"type": "error", "message": f"Tabela {table} não encontrada"}
            rows = [dict(row) for row in self.tables[table]]
        column = str(body.get("qtype", "")).split(".")[-1]
        if column:
            oper, query = str(body.get("oper", "=")), str(body.get("query", ""))
            rows = [row for row in rows if _matches(row.get(column, ""), oper, query)]
        for rule in _grid(body.get("grid_param")):
            column = str(rule.get("TB", "")).split(".")[-1]
            rows = [r for r in rows if _matches(r.get(column, ""), rule["OP"], str(rule["P"]))]
        rows = _sorted(rows, str(body.get("sortname", "")), str(body.get("sortorder", "asc")))
        page, size = max(int(body.get("page", 1)), 1), max(int(body.get("rp", 20)), 1)
        shown = rows[(page - 1) * size : page * size]
        answer: dict[str, Any] = {"page": str(page), "total": str(len(rows))}
        if shown:  # IXC leaves "registros" out of an empty answer
            answer["registros"] = shown
        return answer

    # -- resources (called with the lock held) --
    def _get_pix(self, receivable: str) -> dict[str, Any]:
        code = self.pix.get(receivable)
        if code is None:
            return {"type": "error", "message": "Não há PIX disponível para este boleto."}
        return {
            "type": "success",
            "gateway": "Fake PSP",
            "pix": {
                "dadosPix": {"pixCopiaECola": code, "status": "ATIVA", "txid": f"TX{receivable}"},
                "qrCode": {"qrcode": code, "imagemQrcode": "iVBORw0KGgo="},
            },
        }

    def _get_boleto(self, receivable: str) -> Any:
        known = any(row["id"] == receivable for row in self.tables["fn_areceber"])
        if not known:
            return {"type": "error", "message": "Boleto não encontrado!"}
        return base64.b64encode(tiny_pdf(receivable))  # bare base64, as IXC answers it

    def _unlock(self, contract: str) -> dict[str, str]:
        row = next((r for r in self.tables["cliente_contrato"] if r["id"] == contract), None)
        if row is None:
            return {"tipo": "erro", "mensagem": "Contrato inexistente!", "codigo": "106"}
        if contract in self._unlock_refusals:
            return {"tipo": "erro", "mensagem": self._unlock_refusals[contract], "codigo": "109"}
        if contract in self._unlocked:
            text = "Desbloqueio de confiança já foi utilizado neste contrato."
            return {"tipo": "erro", "mensagem": text, "codigo": "107"}
        if row["status_internet"] not in BLOCKED:
            return {"tipo": "erro", "mensagem": "Contrato não se encontra bloqueado."}
        self._unlocked.add(contract)
        row.update(status_internet="A", desbloqueio_confianca_ativo="S")
        until = self.today + timedelta(days=self.unlock_days)
        text = f"Desbloqueio de confiança realizado com sucesso! Liberado até {until:%d/%m/%Y}."
        return {"tipo": "sucesso", "mensagem": text}

    def _insert_order(self, body: dict[str, Any]) -> dict[str, str]:
        missing = [name for name in REQUIRED_ORDER_FIELDS if not str(body.get(name, "")).strip()]
        if missing:
            return {"type": "error", "message": f"O campo {missing[0]} é obrigatório!<br />"}
        client = str(body["id_cliente"])
        if not any(row["id"] == client for row in self.tables["cliente"]):
            return {"type": "error", "message": "Cliente não encontrado!"}
        order = {key: str(value) for key, value in body.items()}
        order.update(id=str(next(self._ids)), data_abertura=f"{self.today} 10:00:00")
        self.tables["su_oss_chamado"].append(order)
        self._inserted.add(order["id"])
        return {"type": "success", "message": "Registro inserido com sucesso!", "id": order["id"]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                table = self.path.removeprefix(API).strip("/")
                # Recorded on arrival: a client that timed out has still reached the ERP.
                seen = {"table": table, "path": self.path, "headers": dict(self.headers)}
                seen.update(body=body, status=None)
                with fake._lock:
                    fake.requests.append(seen)
                time.sleep(fake.latency)
                status, payload = fake._answer_for(table, self.headers, body)
                seen["status"] = status
                # The client may have given up waiting (read timeout tests).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(status, payload)

            def _answer(self, status: int, payload: Any) -> None:
                if isinstance(payload, bytes):
                    data, kind = payload, "text/html; charset=UTF-8"  # IXC labels base64 so
                else:
                    data, kind = json.dumps(payload).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return  # keep test output quiet

        return Handler


def _loyalty(customer: dict[str, Any]) -> dict[str, str]:
    """The contract's loyalty fields as IXC keeps them: 12 months up to `loyalty_end`."""
    end = customer.get("loyalty_end")
    if not end:
        return {"fidelidade": "0", "data_expiracao": "0000-00-00", "data_ativacao": "2024-01-10"}
    year, month, day = (int(part) for part in end.split("-"))
    return {
        "fidelidade": "12",
        "data_expiracao": end,
        "data_ativacao": f"{year - 1}-{month:02d}-{day:02d}",
    }


def _grid(raw: Any) -> list[dict[str, Any]]:
    """The `grid_param` rules: a JSON string (as IXC expects) or an already decoded list."""
    rules = json.loads(raw) if isinstance(raw, str) and raw else raw or []
    return [rule for rule in rules if isinstance(rule, dict) and "OP" in rule and "P" in rule]


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def _matches(value: str, oper: str, query: str) -> bool:
    """IXC's `oper` (=, !=, >, <, >=, <=, like / L, IN) on one field, numbers as numbers."""
    oper = oper.strip().upper()
    if oper in ("LIKE", "L"):
        pattern = re.escape(query).replace("%", ".*").replace("_", ".")
        if "%" not in query:
            pattern = f".*{pattern}.*"
        return re.fullmatch(pattern, value, re.IGNORECASE | re.DOTALL) is not None
    if oper == "IN":
        return value in [part.strip().strip("'") for part in query.split(",")]
    left, right = _number(value), _number(query)
    a, b = (left, right) if left is not None and right is not None else (value, query)
    comparisons = {
        "=": a == b,
        "!=": a != b,
        ">": a > b,
        "<": a < b,
        ">=": a >= b,
        "<=": a <= b,
    }
    return comparisons.get(oper, False)


def _sorted(rows: list[dict[str, str]], sortname: str, order: str) -> list[dict[str, str]]:
    """Rows sorted by `table.column`, numerically when the values are numbers."""
    column = sortname.split(".")[-1]
    if not column:
        return rows

    def key(row: dict[str, str]) -> tuple[int, Any]:
        number = _number(row.get(column, ""))
        return (0, number) if number is not None else (1, row.get(column, ""))

    return sorted(rows, key=key, reverse=order.lower() == "desc")

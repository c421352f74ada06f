"""Ops commands: stored data (LGPD), and the delivery of Theo's replies.

    python manage.py purge-records [--days N]
    python manage.py forget-customer --phone 5511987650001 [--document 529.982.247-25]
    python manage.py sender            # sends queued replies (with SENDER_MODE=off on the web)
    python manage.py failed            # replies that could not be delivered
    python manage.py resend-failed [--id N ...]
    python manage.py import customers clientes.csv   # plans, coverage, customers, invoices
    python manage.py check [--offline] # settings, content/ and data: every problem, one line each

Both read the same settings as the app (environment and `.env`), so they act
on the database Theo writes to. Messages are in pt-BR: ops people read them.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from dotenv import load_dotenv

from backends import build_business
from checks import all_problems
from config import Config, ConfigError, load_config
from csv_import import IMPORT_ORDER_PT, ImportFailed, import_csv, kind_from_name
from documents import DocumentError, normalize_phone, parse_document
from outages import OutageStore
from outbox import Outbox
from privacy import mask_phone
from records import RecordsStore
from timers import TimerStore


def purge_records(config: Config, store: RecordsStore, days: int | None) -> str:
    """Apply the retention period; return what was done, in pt-BR."""
    days = days or config.records_retention_days
    deleted = store.purge_older_than(days)
    cutoff = datetime.now(UTC) - timedelta(days=days)
    replies = Outbox(store.engine).purge_sent_before(cutoff)
    OutageStore(store.engine).purge_before(cutoff)  # who was told about an outage
    return (
        f"Retenção de {days} dias aplicada: {deleted['requests']} solicitação(ões), "
        f"{deleted['protocols']} protocolo(s) e {replies} resposta(s) enviada(s) removidos."
    )


def forget_customer(config: Config, store: RecordsStore, phone: str, document: str = "") -> str:
    """Delete what is stored about a phone (and the customer of a document)."""
    customer_id = _customer_id(config, store, document) if document else ""
    phone = normalize_phone(phone)
    deleted = store.forget_customer(phone, customer_id)
    replies = Outbox(store.engine).forget(phone)
    OutageStore(store.engine).forget(phone)
    TimerStore(store.engine).forget(phone)
    lines = [
        f"Dados do telefone {mask_phone(phone)} removidos: {deleted['requests']} "
        f"solicitação(ões), {deleted['protocols']} protocolo(s) e {replies} resposta(s).",
        "A conversa em andamento (memória do Theo) expira sozinha em "
        f"{config.session_ttl_seconds // 60} min; para apagá-la já, use "
        "POST /admin/customers/<telefone>/forget.",
    ]
    if document and not customer_id:
        lines.insert(1, "O documento informado não é de nenhum cliente cadastrado.")
    return "\n".join(lines)


def failed_replies(store: RecordsStore) -> str:
    """The replies kept as failed, one line each (phone masked), newest first."""
    rows = Outbox(store.engine).failed()
    if not rows:
        return "Nenhuma resposta com falha de envio."
    lines = [f"{len(rows)} resposta(s) com falha de envio:"]
    for row in rows:
        when = row.created_at.strftime("%d/%m %H:%M")
        lines.append(f"  #{row.id} {when} {mask_phone(row.phone)} — {row.last_error[:80]}")
    return "\n".join(lines)


def resend_failed(store: RecordsStore, ids: list[int] | None) -> str:
    """Queue failed replies again; the running sender delivers them."""
    count = Outbox(store.engine).resend_failed(datetime.now(UTC), ids or None)
    return f"{count} resposta(s) de volta na fila de envio."


def run_sender(config: Config, store: RecordsStore) -> None:
    """Deliver queued replies until SIGTERM/SIGINT; the sends in flight finish first."""
    from app import build_deliverer  # the app's modules load content/: only when needed
    from web_worker import share_the_interpreter_quickly

    share_the_interpreter_quickly()  # many sending threads, as in the web process
    deliverer = build_deliverer(config, store)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    deliverer.start()
    print(f"Enviando respostas com {config.sender_concurrency} envio(s) em paralelo…", flush=True)
    stopping.wait()
    deliverer.stop()


def import_spreadsheet(config: Config, store: RecordsStore, kind: str, path: str) -> int:
    """Import one CSV of the provider (docs/importacao-csv.md); 0 if imported, 1 if refused.

    The summary goes to stdout; the problems, when the file is refused, to stderr.
    """
    try:
        report = import_csv(store.engine, kind, path)
    except ImportFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    if not report.ok:
        print(report.text(), file=sys.stderr)
        return 1
    print(report.text())
    if config.business_backend != "csv":
        print(
            f"Atenção: BUSINESS_BACKEND={config.business_backend}; o Theo só responde com "
            "os dados importados quando BUSINESS_BACKEND=csv."
        )
    return 0


def check(*, reach: bool) -> int:
    """Print every problem of settings, content and data, one line each; 1 if any."""
    problems = all_problems(reach=reach)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problema(s): corrija e rode de novo.", file=sys.stderr)
        return 1
    print("Tudo certo: configuração, textos e dados conferidos.")
    return 0


def _customer_id(config: Config, store: RecordsStore, document: str) -> str:
    """The customer id of a CPF/CNPJ in the configured backend (requests refer to it)."""
    parsed = parse_document(document)  # already checked by _usage_problem
    customer = build_business(config, store).find_customer(parsed.value)
    return customer.id if customer else ""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    purge = commands.add_parser("purge-records", help="apaga registros mais antigos que a retenção")
    purge.add_argument("--days", type=int, help="padrão: RECORDS_RETENTION_DAYS")
    forget = commands.add_parser("forget-customer", help="apaga os dados de um cliente")
    forget.add_argument("--phone", required=True, help="telefone do WhatsApp do cliente")
    forget.add_argument("--document", default="", help="CPF ou CNPJ (opcional)")
    check = commands.add_parser(
        "check", help="confere configuração, textos e dados e lista cada problema"
    )
    check.add_argument(
        "--offline",
        action="store_true",
        help="sem conectar ao banco nem ao sistema do provedor (ex.: no build do Render)",
    )
    commands.add_parser("sender", help="envia as respostas guardadas (processo separado)")
    commands.add_parser("failed", help="lista as respostas que não puderam ser enviadas")
    resend = commands.add_parser("resend-failed", help="põe as respostas com falha na fila")
    resend.add_argument("--id", type=int, action="append", dest="ids", help="só esta (repita)")
    importer = commands.add_parser(
        "import", help="importa uma planilha CSV do provedor (docs/importacao-csv.md)"
    )
    importer.add_argument(
        "kind", help="plans, coverage, customers ou invoices (ou planos, cobertura, ...)"
    )
    importer.add_argument("file", help="o arquivo .csv exportado da planilha")
    return parser


def _usage_problem(args: argparse.Namespace) -> str:
    if args.command == "purge-records" and args.days is not None and args.days <= 0:
        return "--days deve ser maior que zero."
    if args.command == "forget-customer" and not normalize_phone(args.phone):
        return "--phone não pode ficar vazio."
    if args.command == "import" and kind_from_name(args.kind) is None:
        return (
            f"Tipo de planilha desconhecido: {args.kind}. "
            f"Use planos, cobertura, clientes ou faturas (importe nesta ordem: {IMPORT_ORDER_PT})."
        )
    if getattr(args, "document", None):
        try:
            parse_document(args.document)
        except DocumentError:
            return "Documento inválido: confira o CPF ou CNPJ."
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 on a refused import, 2 on a usage or config error."""
    args = _parser().parse_args(argv)
    load_dotenv()
    if args.command == "check":
        return check(reach=not args.offline)
    try:
        config = load_config()
    except ConfigError as problem:
        print(f"Configuração inválida: {problem}", file=sys.stderr)
        return 2
    problem = _usage_problem(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    store = RecordsStore(config.database_url, default_sqlite_path=config.sqlite_path)
    try:
        return _run(args, config, store)
    finally:
        store.dispose()


def _run(args: argparse.Namespace, config: Config, store: RecordsStore) -> int:
    if args.command == "import":
        return import_spreadsheet(config, store, kind_from_name(args.kind) or "", args.file)
    if args.command == "purge-records":
        print(purge_records(config, store, args.days))
    elif args.command == "forget-customer":
        print(forget_customer(config, store, args.phone, args.document))
    elif args.command == "failed":
        print(failed_replies(store))
    elif args.command == "resend-failed":
        print(resend_failed(store, args.ids))
    else:
        run_sender(config, store)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ops commands for Theo's stored data (LGPD): retention and a customer's deletion.

    python manage.py purge-records [--days N]
    python manage.py forget-customer --phone 5511987650001 [--document 529.982.247-25]

Both read the same settings as the app (environment and `.env`), so they act
on the database Theo writes to. Messages are in pt-BR: ops people read them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dotenv import load_dotenv

from business_data import load_business_data
from config import Config, ConfigError, load_config
from documents import DocumentError, normalize_phone, parse_document
from privacy import mask_phone
from records import RecordsStore


def purge_records(config: Config, store: RecordsStore, days: int | None) -> str:
    """Apply the retention period; return what was done, in pt-BR."""
    days = days or config.records_retention_days
    deleted = store.purge_older_than(days)
    return (
        f"Retenção de {days} dias aplicada: {deleted['requests']} solicitação(ões) e "
        f"{deleted['protocols']} protocolo(s) removidos."
    )


def forget_customer(config: Config, store: RecordsStore, phone: str, document: str = "") -> str:
    """Delete what is stored about a phone (and the customer of a document)."""
    customer_id = _customer_id(config, document) if document else ""
    phone = normalize_phone(phone)
    deleted = store.forget_customer(phone, customer_id)
    lines = [
        f"Dados do telefone {mask_phone(phone)} removidos: {deleted['requests']} "
        f"solicitação(ões) e {deleted['protocols']} protocolo(s).",
        "A conversa em andamento (memória do Theo) expira sozinha em "
        f"{config.session_ttl_seconds // 60} min; para apagá-la já, use "
        "POST /admin/customers/<telefone>/forget.",
    ]
    if document and not customer_id:
        lines.insert(1, "O documento informado não é de nenhum cliente cadastrado.")
    return "\n".join(lines)


def _customer_id(config: Config, document: str) -> str:
    """The customer id of a CPF/CNPJ, which is how requests refer to a customer."""
    parsed = parse_document(document)  # already checked by _usage_problem
    customer = load_business_data(config.data_dir).find_customer(parsed.value)
    return customer.id if customer else ""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    purge = commands.add_parser("purge-records", help="apaga registros mais antigos que a retenção")
    purge.add_argument("--days", type=int, help="padrão: RECORDS_RETENTION_DAYS")
    forget = commands.add_parser("forget-customer", help="apaga os dados de um cliente")
    forget.add_argument("--phone", required=True, help="telefone do WhatsApp do cliente")
    forget.add_argument("--document", default="", help="CPF ou CNPJ (opcional)")
    return parser


def _usage_problem(args: argparse.Namespace) -> str:
    if args.command == "purge-records" and args.days is not None and args.days <= 0:
        return "--days deve ser maior que zero."
    if args.command == "forget-customer" and not normalize_phone(args.phone):
        return "--phone não pode ficar vazio."
    if getattr(args, "document", None):
        try:
            parse_document(args.document)
        except DocumentError:
            return "Documento inválido: confira o CPF ou CNPJ."
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 2 on a usage or configuration error."""
    args = _parser().parse_args(argv)
    load_dotenv()
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
        if args.command == "purge-records":
            print(purge_records(config, store, args.days))
        else:
            print(forget_customer(config, store, args.phone, args.document))
    finally:
        store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

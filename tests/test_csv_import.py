"""The provider's spreadsheets imported into Theo's database, and answered from there.

Every test runs on SQLite and on Postgres. The good files in tests/fixtures/csv
hold the demo data of data/ (same CPFs/CNPJs, codes and invoices), so the SQL
backend must answer exactly what JsonBusinessData answers.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

import manage
from business_data import (
    BackendUnavailable,
    BusinessData,
    UnlockResult,
    load_business_data,
)
from csv_import import ImportReport, import_csv
from records import make_engine, migrate
from sql_business_data import BUSINESS_TABLES, SqlBusinessData

ROOT = Path(__file__).resolve().parents[1]
CSV = Path(__file__).parent / "fixtures" / "csv"
GOOD_FILES = (
    ("plans", "planos.csv"),
    ("coverage", "cobertura.csv"),
    ("customers", "clientes.csv"),
    ("invoices", "faturas.csv"),
)
MARIA, PADARIA, ESTUDIO, JOSE, ANA = (
    "529.982.247-25",
    "11.222.333/0001-81",
    "12.ABC.345/01DE-35",
    "186.091.390-34",
    "628.194.821-12",
)
NOT_A_CUSTOMER = "123.456.789-09"
NEWCOMER = "390.533.447-05"  # a valid CPF of no demo customer
DEMO_DOCUMENTS = (MARIA, PADARIA, ESTUDIO, JOSE, ANA, NOT_A_CUSTOMER)
CUSTOMERS_HEADER = (
    "documento;nome;tipo;plano;cep;situacao;telefones;codigo;fim_fidelidade;multa_cancelamento"
)
# What must never reach ops' screen or the log: documents in full, names, phones.
PERSONAL = (
    *DEMO_DOCUMENTS,
    *(doc.replace(".", "").replace("/", "").replace("-", "") for doc in DEMO_DOCUMENTS),
    "529.982.247-26",
    "52998224726",
    "Maria Aparecida",
    "Souza",
    "Padaria",
    "Estúdio",
    "José Carlos",
    "Ana Beatriz",
    "Fulano",
    "Cliente Novo",
    NEWCOMER,
    "5511912340001",
    "91234-0001",
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database."""
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    """The database with the four good files imported, in order."""
    for kind, name in GOOD_FILES:
        assert import_csv(engine, kind, CSV / name).ok
    return engine


def write(folder: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of the business tables, surrogate ids included."""
    with engine.connect() as conn:
        return {
            table.name: [
                dict(row) for row in conn.execute(select(table).order_by(table.c.id)).mappings()
            ]
            for table in BUSINESS_TABLES
        }


def assert_private(text: str) -> None:
    for secret in PERSONAL:
        assert secret not in text, secret


def customers_lines(skip: str = "") -> list[str]:
    """clientes.csv's lines, without the customer whose line holds `skip`."""
    lines = (CSV / "clientes.csv").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if not skip or skip not in line]


# --- Good files -----------------------------------------------------------------------


def test_the_good_files_import_in_order_with_a_ptbr_summary(engine: Engine) -> None:
    reports = [import_csv(engine, kind, CSV / name) for kind, name in GOOD_FILES]

    assert [report.text() for report in reports] == [
        "planos.csv: 3 planos importados (3 novos, 0 alterados, 0 removidos).",
        "cobertura.csv: 3 regiões importadas (3 novas, 0 alteradas, 0 removidas).",
        "clientes.csv: 5 clientes importados (5 novos, 0 alterados, 0 removidos).",
        "faturas.csv: 4 faturas importadas (4 novas, 0 alteradas, 0 removidas).",
    ]


def test_the_sql_backend_answers_what_the_json_demo_answers(loaded: Engine) -> None:
    demo = load_business_data()
    sql = SqlBusinessData(loaded)

    for document in DEMO_DOCUMENTS:
        customer = demo.find_customer(document)
        assert sql.find_customer(document) == customer
        assert sql.find_customer(document.replace(".", "").replace("-", "")) == customer
        if customer is not None:
            assert sql.open_invoices(customer) == demo.open_invoices(customer)
    for cep in ("01310-100", "01311000", "01415-000", "04538133", "69900-000", "0131"):
        assert sql.plans_for_cep(cep) == demo.plans_for_cep(cep)
    for plan_id in ("300-mega", "500-mega", "1-giga", "2-giga"):
        assert sql.plan(plan_id) == demo.plan(plan_id)


def test_open_invoices_come_oldest_first_with_their_codes(loaded: Engine) -> None:
    sql = SqlBusinessData(loaded)
    maria = sql.find_customer(MARIA)
    assert maria is not None

    invoices = sql.open_invoices(maria)

    assert [invoice.due_date for invoice in invoices] == [date(2026, 10, 10), date(2026, 12, 10)]
    assert invoices[0].amount == Decimal("99.90")
    assert len(invoices[0].barcode_line) == 47 and invoices[0].pix_code.startswith("000201")
    assert sql.payment_details(invoices[0]) is invoices[0]


def test_what_spreadsheets_cannot_know(loaded: Engine) -> None:
    sql = SqlBusinessData(loaded)
    assert isinstance(sql, BusinessData)
    jose = sql.find_customer(JOSE)
    assert jose is not None and jose.suspended
    now = datetime(2026, 11, 24, 13, tzinfo=UTC)

    assert sql.connection_online(jose) is None
    assert sql.supports_trust_unlock(jose) is False
    assert sql.trust_unlock(jose, "20261124000001", now.date()) == UnlockResult("unsupported")
    assert sql.open_service_order(jose, "visit", "20261124000001", "sem sinal") is None


def test_an_unreachable_database_is_backend_unavailable(database_url: str) -> None:
    engine = make_engine(database_url)  # not migrated: the tables are not there
    sql = SqlBusinessData(engine)
    try:
        with pytest.raises(BackendUnavailable) as raised:
            sql.find_customer(MARIA)
        with pytest.raises(BackendUnavailable):
            sql.plans_for_cep("01310100")
    finally:
        engine.dispose()

    assert_private(str(raised.value))
    assert raised.value.__cause__ is None  # the SQL error's text holds the CPF


# --- What spreadsheets look like ------------------------------------------------------


def test_a_windows_excel_export_gives_the_same_rows(loaded: Engine) -> None:
    """cp1252, ";", "R$ 99,90", DD/MM/AAAA, MM/AAAA, accented headers, compact documents."""
    before = snapshot(loaded)

    customers = import_csv(loaded, "customers", CSV / "clientes_excel_cp1252.csv")
    invoices = import_csv(loaded, "invoices", CSV / "faturas_excel_cp1252.csv")

    assert customers.text() == (
        "clientes_excel_cp1252.csv: 5 clientes importados (0 novos, 0 alterados, 0 removidos).\n"
        "Colunas ignoradas: Observação."
    )
    assert (invoices.rows, invoices.added, invoices.changed, invoices.removed) == (4, 0, 0, 0)
    assert snapshot(loaded) == before


def test_the_excel_export_alone_matches_the_demo(engine: Engine) -> None:
    for kind, name in (
        ("plans", "planos.csv"),
        ("coverage", "cobertura.csv"),
        ("customers", "clientes_excel_cp1252.csv"),
        ("invoices", "faturas_excel_cp1252.csv"),
    ):
        assert import_csv(engine, kind, CSV / name).ok
    demo = load_business_data()
    sql = SqlBusinessData(engine)

    for document in DEMO_DOCUMENTS:
        assert sql.find_customer(document) == demo.find_customer(document)


def test_header_names_and_separators_vary(loaded: Engine, tmp_path: Path) -> None:
    """Excel's sep= line, "," with quoted cells, other header names, case and accents."""
    before = snapshot(loaded)
    lines = [
        "sep=,",
        '"CPF / CNPJ","Razão Social","TIPO","Plano","Cep","STATUS","Celular","Código",'
        '"Fidelidade até","Multa (R$)","Obs"',
    ]
    for line in customers_lines()[1:]:
        cells = line.split(";")
        cells[6] = cells[6].replace(" | ", ", ")
        lines.append(",".join(f'"{cell}"' for cell in cells) + ',"cliente, desde 2020"')
    path = write(tmp_path, "export.csv", lines)

    report = import_csv(loaded, "customers", path)

    assert report.ok, report.text()
    assert (report.rows, report.added, report.changed, report.removed) == (5, 0, 0, 0)
    assert report.ignored_columns == ("Obs",)
    assert snapshot(loaded) == before


def test_formats_of_amounts_dates_documents_and_phones(loaded: Engine, tmp_path: Path) -> None:
    plans = write(
        tmp_path,
        "planos.csv",
        [
            "ID;Nome;Velocidade;Mensalidade (R$)",
            "300-mega;300 Mega;300 Mbps;R$ 89,90",
            "500-mega;500 Mega;500;99.90",
            "1-giga;1 Giga;1 Giga;R$ 1.149,90",
        ],
    )
    customers = write(
        tmp_path,
        "clientes.csv",
        [
            CUSTOMERS_HEADER,
            # Leading zeros a spreadsheet dropped: CEP 01310-100 as 1310100.
            "52998224725;Maria Aparecida Souza;Residencial;500-MEGA;1310100;Ativa;"
            "+55 (11) 91234-0001 | (11) 3333-4444, 11988887777 011977776666;CLI-000123",
        ],
    )

    assert import_csv(loaded, "plans", plans).ok
    assert import_csv(loaded, "customers", customers).ok

    sql = SqlBusinessData(loaded)
    giga = sql.plan("1-giga")
    assert giga is not None and (giga.speed_mbps, giga.monthly_price) == (1000, Decimal("1149.90"))
    maria = sql.find_customer(MARIA)
    assert maria is not None
    assert (maria.plan_id, maria.cep, maria.status) == ("500-mega", "01310100", "active")
    assert maria.phones == ("5511912340001", "551133334444", "5511988887777", "5511977776666")


# --- Re-imports ------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(loaded: Engine) -> None:
    before = snapshot(loaded)

    reports = [import_csv(loaded, kind, CSV / name) for kind, name in GOOD_FILES]

    assert [(r.rows, r.added, r.changed, r.removed) for r in reports] == [
        (3, 0, 0, 0),
        (3, 0, 0, 0),
        (5, 0, 0, 0),
        (4, 0, 0, 0),
    ]
    assert snapshot(loaded) == before


def test_a_new_export_applies_removals_and_changes(loaded: Engine, tmp_path: Path) -> None:
    lines = customers_lines(skip="CLI-000388")  # Ana left
    lines = [line.replace(";500-mega;", ";1-giga;") for line in lines]  # Maria changed plan
    path = write(tmp_path, "clientes.csv", lines)

    report = import_csv(loaded, "customers", path)

    assert report.text() == "clientes.csv: 4 clientes importados (0 novos, 1 alterado, 1 removido)."
    sql = SqlBusinessData(loaded)
    assert sql.find_customer(ANA) is None
    maria = sql.find_customer(MARIA)
    assert maria is not None and maria.plan_id == "1-giga" and len(maria.invoices) == 2


def test_a_customer_leaving_with_open_invoices_is_pointed_out(
    loaded: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, "clientes.csv", customers_lines(skip="CLI-000207"))

    report = import_csv(loaded, "customers", path)

    assert report.ok and report.removed == 1
    assert report.warnings == (
        "1 fatura(s) de clientes que saíram da lista continuam guardadas (ninguém as consulta); "
        "importe de novo as faturas para limpá-las.",
    )


def test_customers_without_a_code_keep_the_one_they_got(loaded: Engine, tmp_path: Path) -> None:
    """Recorded requests name a customer by this code: it must survive every re-import."""
    cells = [line.split(";") for line in customers_lines()]
    lines = [";".join(row[:7] + row[8:]) for row in cells]  # no codigo column
    lines.append("390.533.447-05;Cliente Novo;residencial;300-mega;01310-200;ativo;")
    path = write(tmp_path, "clientes.csv", lines)
    sql = SqlBusinessData(loaded)

    first = import_csv(loaded, "customers", path)
    newcomer = sql.find_customer(NEWCOMER)
    again = import_csv(loaded, "customers", path)

    assert (first.added, first.changed, again.added, again.changed) == (1, 0, 0, 0)
    maria, newcomer_again = sql.find_customer(MARIA), sql.find_customer(NEWCOMER)
    assert maria is not None and maria.id == "CLI-000123"
    assert newcomer is not None and newcomer.id.startswith("CSV-")
    assert newcomer_again is not None and newcomer_again.id == newcomer.id


def test_a_plan_dropped_while_in_use_is_a_warning(loaded: Engine, tmp_path: Path) -> None:
    lines = (CSV / "planos.csv").read_text(encoding="utf-8-sig").splitlines()
    path = write(tmp_path, "planos.csv", [line for line in lines if "300-mega" not in line])

    report = import_csv(loaded, "plans", path)

    assert report.ok and report.removed == 1
    assert report.warnings[0].startswith("2 cliente(s) com plano que não está mais na lista")
    assert "São Paulo - Jardim Paulista" in report.warnings[1]
    sql = SqlBusinessData(loaded)
    offered = sql.plans_for_cep("01415000")
    assert offered is not None and [plan.id for plan in offered] == ["500-mega", "1-giga"]


# --- Problems --------------------------------------------------------------------------


def test_bad_customer_rows_are_all_reported_and_nothing_changes(loaded: Engine) -> None:
    before = snapshot(loaded)

    report = import_csv(loaded, "customers", CSV / "clientes_com_erros.csv")

    assert not report.ok
    assert [(p.line, p.column) for p in report.problems] == [
        (3, "documento"),
        (4, "plano"),
        (5, "cep"),
        (5, "situacao"),
        (6, "documento"),
        (7, "tipo"),
        (7, "telefones"),
    ]
    text = report.text()
    assert "linha 3, coluna documento: CPF/CNPJ inválido (dígitos verificadores" in text
    assert "529.***.***-26" in text
    assert 'plano "2-giga" não existe nos planos importados' in text
    assert "documento 529.***.***-25 repetido (já na linha 2)" in text
    assert "nada foi importado" in text
    assert_private(text)
    assert snapshot(loaded) == before


def test_bad_invoice_rows_are_all_reported_and_nothing_changes(loaded: Engine) -> None:
    before = snapshot(loaded)

    report = import_csv(loaded, "invoices", CSV / "faturas_com_erros.csv")

    reasons = {(p.line, p.column): p.reason for p in report.problems}
    assert list(reasons) == [
        (3, "vencimento"),
        (4, "valor"),
        (4, "pdf"),
        (5, "linha_digitavel"),
        (5, "pix"),
        (6, "documento"),
        (7, "fatura"),
        (8, "linha_digitavel"),
    ]
    assert reasons[3, "vencimento"] == 'data "31/02/2026" não existe'
    assert reasons[4, "valor"].startswith('valor "149,9O" inválido')
    assert "dígito verificador" in reasons[5, "linha_digitavel"]
    assert "CRC" in reasons[5, "pix"]
    assert reasons[6, "documento"].startswith("123.***.***-09 não é de nenhum cliente importado")
    assert "repetida (já na linha 2)" in reasons[7, "fatura"]
    assert reasons[8, "linha_digitavel"] == "a linha digitável é de R$ 99,90, não de R$ 89,90"
    assert_private(report.text())
    assert snapshot(loaded) == before


def test_a_missing_column_is_reported_on_the_header(loaded: Engine, tmp_path: Path) -> None:
    before = snapshot(loaded)
    lines = [";".join(line.split(";")[1:]) for line in customers_lines()]  # no documento
    path = write(tmp_path, "clientes.csv", lines)

    report = import_csv(loaded, "customers", path)

    assert [str(problem) for problem in report.problems] == [
        'linha 1: falta a coluna obrigatória "documento"',
        "linha 1: colunas esperadas: " + CUSTOMERS_HEADER,
    ]
    assert snapshot(loaded) == before


def test_files_must_come_in_order(engine: Engine) -> None:
    customers = import_csv(engine, "customers", CSV / "clientes.csv")
    invoices = import_csv(engine, "invoices", CSV / "faturas.csv")

    order = "importe nesta ordem: planos, cobertura, clientes, faturas"
    assert [str(p) for p in customers.problems] == [f"nenhum plano importado ainda; {order}"]
    assert [str(p) for p in invoices.problems] == [f"nenhum cliente importado ainda; {order}"]
    assert snapshot(engine) == {table.name: [] for table in BUSINESS_TABLES}


def test_coverage_checks_its_plans_and_prefixes(loaded: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cobertura.csv",
        [
            "regiao;prefixos_cep;planos",
            "Centro;01310 01311;300-mega 500-mega",
            "Paulista;01311|0141x;2-giga",
            "Centro;04538;1-giga",
        ],
    )

    report = import_csv(loaded, "coverage", path)

    assert [str(p) for p in report.problems] == [
        "linha 3, coluna prefixos_cep: prefixo de CEP inválido; use só dígitos (1 a 8), "
        "separados por |",
        'linha 3, coluna planos: plano "2-giga" não existe nos planos importados; '
        "importe antes os planos (ordem: planos, cobertura, clientes, faturas)",
        "linha 4, coluna regiao: região repetida (já na linha 2)",
    ]


def test_a_prefix_in_two_regions_is_refused(loaded: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cobertura.csv",
        ["regiao;prefixos_cep;planos", "Centro;01310;300-mega", "Paulista;01310|01311;1-giga"],
    )

    report = import_csv(loaded, "coverage", path)

    assert [str(p) for p in report.problems] == [
        'linha 3, coluna prefixos_cep: prefixo 01310 já está na região "Centro" (linha 2)'
    ]


def test_an_unquoted_decimal_comma_in_a_comma_file_is_explained(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "planos.csv",
        ["id,nome,velocidade_mbps,mensalidade", "300-mega,300 Mega,300,89,90"],
    )

    report = import_csv(engine, "plans", path)

    assert len(report.problems) == 1
    assert "precisa estar entre aspas" in report.problems[0].reason


def test_empty_lists_are_refused_except_invoices(loaded: Engine, tmp_path: Path) -> None:
    customers = write(tmp_path, "clientes.csv", [CUSTOMERS_HEADER])
    invoices = write(
        tmp_path,
        "faturas.csv",
        ["documento;fatura;mes_referencia;vencimento;valor;linha_digitavel"],
    )

    refused = import_csv(loaded, "customers", customers)
    all_paid = import_csv(loaded, "invoices", invoices)

    assert [str(p) for p in refused.problems] == ["a planilha não tem nenhuma linha de dados"]
    assert (
        all_paid.text() == "faturas.csv: 0 faturas importadas (0 novas, 0 alteradas, 4 removidas)."
    )


def test_a_file_that_is_not_there_or_not_csv(engine: Engine, tmp_path: Path) -> None:
    xlsx = tmp_path / "planos.xlsx"
    xlsx.write_bytes(b"PK\x03\x04\x00\x00binary")

    missing = import_csv(engine, "plans", tmp_path / "nada.csv")
    binary = import_csv(engine, "plans", xlsx)

    assert missing.text().startswith("nada.csv: 1 problema(s) encontrado(s); nada foi importado.")
    assert "arquivo não encontrado" in missing.text()
    assert "use Salvar como > CSV" in binary.text()


def test_the_log_holds_counts_and_no_personal_data(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    for kind, name in GOOD_FILES:
        import_csv(engine, kind, CSV / name)
    import_csv(engine, "customers", CSV / "clientes_com_erros.csv")
    import_csv(engine, "invoices", CSV / "faturas_com_erros.csv")

    assert "imported customers: 5 rows (5 new, 0 changed, 0 removed)" in caplog.text
    assert "import of invoices refused: 8 problems" in caplog.text
    assert_private(caplog.text)


# --- The command line ------------------------------------------------------------------


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """manage.py's settings: console mode, the test database, no .env from the repo."""
    for name in ("ZAPI_INSTANCE_ID", "ZAPI_TOKEN", "BUSINESS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(manage, "load_dotenv", lambda: None)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = manage.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_import_command_prints_a_summary(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUSINESS_BACKEND", "csv")

    results = [run(["import", kind, str(CSV / name)], capsys) for kind, name in GOOD_FILES]
    again = run(["import", "clientes", str(CSV / "clientes.csv")], capsys)

    assert [code for code, _, _ in results] == [0, 0, 0, 0]
    assert (
        results[2][1]
        == "clientes.csv: 5 clientes importados (5 novos, 0 alterados, 0 removidos).\n"
    )
    assert again == (
        0,
        "clientes.csv: 5 clientes importados (0 novos, 0 alterados, 0 removidos).\n",
        "",
    )


def test_the_import_command_reports_problems_and_exits_1(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["import", "plans", str(CSV / "planos.csv")], capsys)
    run(["import", "coverage", str(CSV / "cobertura.csv")], capsys)

    code, out, err = run(["import", "customers", str(CSV / "clientes_com_erros.csv")], capsys)

    assert code == 1 and out == ""
    assert err.startswith(
        "clientes_com_erros.csv: 7 problema(s) encontrado(s); nada foi importado."
    )
    assert "linha 4, coluna plano:" in err
    assert_private(err)


def test_the_import_command_warns_when_the_backend_is_not_csv(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["import", "planos", str(CSV / "planos.csv")], capsys)

    assert code == 0
    assert "o Theo só responde com os dados importados quando BUSINESS_BACKEND=csv" in out


def test_the_import_command_refuses_an_unknown_kind(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["import", "boletos", str(CSV / "faturas.csv")], capsys)

    assert code == 2
    assert "Tipo de planilha desconhecido: boletos" in err
    assert "planos, cobertura, clientes, faturas" in err


def test_the_script_imports_as_a_command(tmp_path: Path) -> None:
    env = {**os.environ, "SQLITE_PATH": str(tmp_path / "theo.sqlite3")}
    env.pop("DATABASE_URL", None)

    done = subprocess.run(
        [sys.executable, "manage.py", "import", "plans", str(CSV / "planos.csv")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("planos.csv: 3 planos importados (3 novos")


def test_report_wording_agrees_with_the_counts() -> None:
    one = ImportReport("invoices", "f.csv", rows=1, added=1, changed=0, removed=1)

    assert one.text() == "f.csv: 1 fatura importada (1 nova, 0 alteradas, 1 removida)."


# --- Loyalty period and the phone on record -------------------------------------------------


def test_an_old_customers_file_without_loyalty_still_imports(loaded: Engine, tmp_path: Path):
    old = [";".join(line.split(";")[:8]) for line in customers_lines()]
    sql = SqlBusinessData(loaded)

    report = import_csv(loaded, "customers", write(tmp_path, "clientes.csv", old))

    assert report.ok, report.text()
    assert (report.changed, report.ignored_columns) == (5, ())
    ana = sql.find_customer(ANA)
    assert ana is not None and (ana.loyalty_end, ana.cancellation_fee) == (None, None)
    again = import_csv(loaded, "customers", CSV / "clientes.csv")
    ana = sql.find_customer(ANA)
    assert again.changed == 5 and ana is not None
    assert (ana.loyalty_end, ana.cancellation_fee) == (date(2027, 6, 30), Decimal("240.00"))


def test_loyalty_cells_formats_and_problems(loaded: Engine, tmp_path: Path) -> None:
    rows = {
        MARIA: "2026-03-10;R$ 0,00",  # no fee
        PADARIA: "01/08/2025;",  # end known, fee not
        ESTUDIO: ";",  # nothing known
        JOSE: "31/02/2026;abc",  # two problems
        ANA: "30/06/2027;-240",
    }
    lines = [CUSTOMERS_HEADER] + [
        ";".join(line.split(";")[:8] + rows[doc].split(";"))
        for line in customers_lines()[1:]
        for doc in rows
        if line.startswith(doc)
    ]
    bad = import_csv(loaded, "customers", write(tmp_path, "bad.csv", lines))
    reasons = {(p.line, p.column): p.reason for p in bad.problems}

    assert not bad.ok and set(reasons) == {
        (5, "fim_fidelidade"),
        (5, "multa_cancelamento"),
        (6, "multa_cancelamento"),
    }
    lines[4] = lines[4].rsplit(";", 2)[0] + ";20/05/2026;0"
    lines[5] = lines[5].rsplit(";", 1)[0] + ";240"
    assert import_csv(loaded, "customers", write(tmp_path, "ok.csv", lines)).ok
    sql = SqlBusinessData(loaded)
    found = {doc: sql.find_customer(doc) for doc in rows}
    assert {doc: (c.loyalty_end, c.cancellation_fee) for doc, c in found.items() if c} == {
        MARIA: (date(2026, 3, 10), Decimal("0.00")),
        PADARIA: (date(2025, 8, 1), None),
        ESTUDIO: (None, None),
        JOSE: (date(2026, 5, 20), Decimal("0.00")),
        ANA: (date(2027, 6, 30), Decimal("240.00")),
    }


@pytest.mark.parametrize(
    "phone, expected",
    [
        ("5511912340003", ["CLI-000388"]),
        ("551112340003", ["CLI-000388"]),  # an old WhatsApp id, without the ninth digit
        ("5511912340009", []),
        ("5521912340003", []),  # same number, another area code
        ("", []),
    ],
)
def test_customers_by_phone_is_a_query(loaded: Engine, phone: str, expected: list[str]) -> None:
    found = SqlBusinessData(loaded).customers_by_phone(phone)

    assert [customer.id for customer in found] == expected
    if found:
        assert found[0] == load_business_data().find_customer(ANA)

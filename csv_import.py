"""Import the provider's spreadsheets (CSV) into the business tables of sql_business_data.

A provider without an ERP API exports its plans, coverage areas, customers and
open invoices as spreadsheets; `import_csv` checks every row of one file and,
only if all are right, makes the table of that kind hold exactly what the file
holds, in one transaction. The layout of each file and the formats accepted are
in docs/importacao-csv.md; `manage.py import` is the command ops run.

What ops read (the report) is in pt-BR and never shows a CPF/CNPJ, a name or a
phone in full: a bad row is named by its line and column, as the spreadsheet
shows them.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from documents import DocumentError, fold, mask_document, parse_document
from payment_codes import PaymentCodeError, check_barcode_line, check_pix_code
from privacy import mask_phone, scrub
from records import lock_for_migration
from sql_business_data import coverage_areas_table, customers_table, invoices_table, plans_table

log = logging.getLogger(__name__)

# Each kind refers to the ones before it: import them in this order.
KINDS = ("plans", "coverage", "customers", "invoices")
# What ops may type instead of the English kind names.
KIND_NAMES_PT = {
    "planos": "plans",
    "cobertura": "coverage",
    "clientes": "customers",
    "faturas": "invoices",
}
IMPORT_ORDER_PT = "planos, cobertura, clientes, faturas"
# Rows per DELETE ... IN (...): well under SQLite's and Postgres' bound-parameter limits.
CHUNK = 500
# Problems printed by ImportReport.text(); the rest are counted.
PROBLEMS_SHOWN = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file: spreadsheet line (1 = header, 0 = whole file), column."""

    line: int
    column: str
    reason: str  # pt-BR, personal data masked

    def __str__(self) -> str:
        where = [f"linha {self.line}"] if self.line else []
        where += [f"coluna {self.column}"] if self.column else []
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


@dataclass(frozen=True)
class ImportReport:
    """What an import did (rows, new, changed, removed) or why it did nothing (problems)."""

    kind: str
    file: str
    rows: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the file was imported (no problems)."""
        return not self.problems

    def text(self) -> str:
        """The report for ops, in pt-BR: the summary, or the problems found."""
        return self._summary() if self.ok else self._problems()

    def _summary(self) -> str:
        """What was imported, ignored columns and warnings."""
        noun = _NOUNS[self.kind]
        counts = [(self.added, "nov"), (self.changed, "alterad"), (self.removed, "removid")]
        details = ", ".join(f"{n} {noun.adjective(stem, n)}" for n, stem in counts)
        imported = noun.adjective("importad", self.rows)
        lines = [f"{self.file}: {noun.count(self.rows)} {imported} ({details})."]
        if self.ignored_columns:
            lines.append(f"Colunas ignoradas: {', '.join(self.ignored_columns)}.")
        lines += [f"Aviso: {warning}" for warning in self.warnings]
        return "\n".join(lines)

    def _problems(self) -> str:
        """Every problem (up to PROBLEMS_SHOWN), one per line."""
        count = len(self.problems)
        lines = [f"{self.file}: {count} problema(s) encontrado(s); nada foi importado."]
        lines += [f"  {problem}" for problem in self.problems[:PROBLEMS_SHOWN]]
        if count > PROBLEMS_SHOWN:
            lines.append(f"  … e mais {count - PROBLEMS_SHOWN} problema(s).")
        lines.append(
            "Corrija a planilha e importe de novo (os dados anteriores continuam valendo)."
        )
        return "\n".join(lines)


class ImportFailed(RuntimeError):
    """The database failed while writing: nothing was imported. The message is pt-BR, safe."""


def import_csv(engine: Engine, kind: str, path: str | Path) -> ImportReport:
    """Check the CSV file of `kind` and, if every row is right, make it that kind's rows.

    `kind` is one of KINDS. The file replaces all rows of that kind in one
    transaction (rows absent from it are removed), so importing the same file
    twice changes nothing. With any problem nothing is written and the report
    lists them all. Raises ImportFailed if the database itself fails.
    """
    spec = _SPECS[kind]
    path = Path(path)
    try:
        table = _read_table(path.read_bytes())
    except FileNotFoundError:
        return _refused(kind, path, "arquivo não encontrado")
    except OSError as exc:
        return _refused(kind, path, f"não foi possível ler o arquivo ({type(exc).__name__})")
    try:
        with engine.begin() as conn:
            # Imports are rare: the migration lock keeps two of them (or an import and a
            # migration) from interleaving their check and their write. A refused file
            # has written nothing, so the transaction simply ends.
            lock_for_migration(conn)
            report = _import(conn, spec, table, path.name)
    except SQLAlchemyError as exc:
        # The error's text holds the rows' values (CPFs, names): only its type is shown.
        log.error("import of %s failed in the database: %s", kind, type(exc).__name__)
        raise ImportFailed(
            f"Erro no banco de dados ao importar ({type(exc).__name__}); nada foi importado."
        ) from None
    _log(report)
    return report


def _refused(kind: str, path: Path, reason: str) -> ImportReport:
    """A report for a file that could not even be read."""
    return ImportReport(kind, path.name, problems=(Problem(0, "", reason),))


def kind_from_name(name: str) -> str | None:
    """The kind named in English ("customers") or pt-BR ("clientes"), or None."""
    key = _fold(name)
    return key if key in KINDS else KIND_NAMES_PT.get(key)


def _log(report: ImportReport) -> None:
    """One line for the log: counts only, no values from the file."""
    if report.ok:
        log.info(
            "imported %s: %d rows (%d new, %d changed, %d removed)",
            report.kind,
            report.rows,
            report.added,
            report.changed,
            report.removed,
        )
    else:
        # Info, not warning: the refusal is the command's answer, already shown to ops.
        log.info("import of %s refused: %d problems", report.kind, len(report.problems))


def _import(conn: Connection, spec: _Spec, table: _CsvTable, filename: str) -> ImportReport:
    """Validate against what is in the database, then write; all inside `conn`'s transaction."""
    problems = list(table.problems)
    columns, ignored = _map_header(spec, table, problems)
    parsed: list[_Parsed] = []
    if columns is not None:
        context = _load_context(conn, spec)
        problems += context.problems
        parsed = _read_rows(spec, table, columns, context, problems)
        if not parsed and not spec.may_be_empty and not problems:
            problems.append(Problem(0, "", "a planilha não tem nenhuma linha de dados"))
    if problems:
        return ImportReport(spec.kind, filename, problems=tuple(problems))
    records = spec.finish(conn, parsed)
    added, changed, removed = _replace_rows(conn, spec, records)
    return ImportReport(
        spec.kind,
        filename,
        rows=len(records),
        added=added,
        changed=changed,
        removed=removed,
        warnings=tuple(spec.warnings(conn)),
        ignored_columns=tuple(ignored),
    )


# --- Reading the file -----------------------------------------------------------------


@dataclass
class _CsvTable:
    """The decoded rows of a CSV file, each with its spreadsheet line number."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    header_line: int = 1
    problems: list[Problem] = field(default_factory=list)


def _read_table(data: bytes) -> _CsvTable:
    """Decode and split into rows, each with its line as the spreadsheet shows it."""
    if _looks_binary(data):
        reason = "não é um arquivo CSV de texto; no Excel, use Salvar como > CSV"
        return _CsvTable([], [], problems=[Problem(0, "", reason)])
    try:
        records = _records(_decode(data))
    except csv.Error as error:  # e.g. a cell over the csv module's 128 KiB limit
        return _CsvTable([], [], problems=[Problem(0, "", f"CSV malformado ({error})")])
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    header_line = 1
    # A record is a row of the spreadsheet (a quoted cell may span lines): count records.
    for line, cells in enumerate(records, start=1):
        cells = [_clean_cell(cell) for cell in cells]
        if not any(cells):
            continue
        if header is None:
            header, header_line = cells, line
        else:
            rows.append((line, cells))
    if header is None:
        return _CsvTable([], [], problems=[Problem(0, "", "arquivo vazio: falta o cabeçalho")])
    return _CsvTable(header, rows, header_line)


def _records(text: str) -> list[list[str]]:
    """The CSV records of `text`, with the separator Excel named or the header shows."""
    lines = text.splitlines(keepends=True)
    delimiter = ""
    if lines and (match := re.fullmatch(r"\s*sep=(.)\s*", lines[0], re.IGNORECASE)):
        # Excel's "sep=;" first line: it names the separator and is not shown as a row.
        delimiter, text = match.group(1), "".join(lines[1:])
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = delimiter or _sniff_delimiter(first)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _looks_binary(data: bytes) -> bool:
    """An .xlsx (zip) or .xls (OLE) workbook, or any file with NUL bytes but no UTF-16 BOM."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or b"\x00" in data


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252 (Excel's "CSV" on Windows)."""
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # the 5 bytes cp1252 leaves undefined: plain latin-1
        return data.decode("latin-1")


def _sniff_delimiter(header_line: str) -> str:
    """The separator of a header line: the most frequent of ; , and tab (";" on a tie).

    The header, not the data, is looked at: data cells hold commas ("99,90") and
    csv.Sniffer guesses wrong on them.
    """
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep])  # the first, ";", on a tie


def _clean_cell(cell: str) -> str:
    """Trim a cell; unwrap Excel's ="0123" (how exports keep leading zeros)."""
    cell = cell.strip()
    if match := re.fullmatch(r'="(.*)"', cell):
        cell = match.group(1).strip()
    return cell


def _fold(text: str) -> str:
    """Lowercase without accents; runs of anything but letters and digits become "_"."""
    return re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")


# --- Header ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """A column of a kind's layout: its name in the doc, other headers that mean it."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = True


def _map_header(
    spec: _Spec, table: _CsvTable, problems: list[Problem]
) -> tuple[dict[str, int] | None, list[str]]:
    """Column name -> index in the rows, and the headers ignored; None if one is missing."""
    by_alias = {_fold(alias): column for column in spec.columns for alias in column.aliases}
    by_alias |= {column.name: column for column in spec.columns}
    header, line = table.header, table.header_line
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        # A unit in brackets is decoration: "Valor (R$)", "Velocidade (Mbps)".
        column = by_alias.get(_fold(title)) or by_alias.get(_fold(re.sub(r"\(.*?\)", "", title)))
        if column is None:
            if title:
                ignored.append(title)
        elif column.name in found:
            first = header[found[column.name]]
            problems.append(
                Problem(line, title, f'repete a coluna "{first}" (as duas são {column.name})')
            )
        else:
            found[column.name] = index
    missing = [c.name for c in spec.columns if c.required and c.name not in found]
    for name in missing:
        problems.append(Problem(line, "", f'falta a coluna obrigatória "{name}"'))
    if missing:
        expected = ";".join(column.name for column in spec.columns)
        problems.append(Problem(line, "", f"colunas esperadas: {expected}"))
    return (None if missing else found), ignored


# --- Rows -----------------------------------------------------------------------------


class _Invalid(ValueError):
    """A cell's value is wrong; `reason` is pt-BR and holds no personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Context:
    """What a file is checked against: rows already imported of the kinds before it."""

    plan_ids: dict[str, str] = field(default_factory=dict)  # folded id -> id
    customer_documents: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class _Parsed:
    """A valid row: its line, its key (for duplicates) and the table's column values."""

    line: int
    key: str
    values: dict[str, Any]


class _Row:
    """One data row being read; every problem names its line and column."""

    def __init__(
        self, line: int, cells: dict[str, str], titles: dict[str, str], problems: list[Problem]
    ) -> None:
        self.line, self._cells, self._titles, self._problems = line, cells, titles, problems
        self._before = len(problems)

    @property
    def ok(self) -> bool:
        """True while no problem was found in this row."""
        return len(self._problems) == self._before

    def problem(self, column: str, reason: str) -> None:
        """Note a problem in `column` (its name in the layout) of this row."""
        self._problems.append(Problem(self.line, self._titles.get(column, column), reason))

    def get(self, column: str, parse: Callable[[str], Any], *, required: bool = True) -> Any:
        """The cell parsed, or None (and a problem noted when it is wrong or missing)."""
        raw = self._cells.get(column, "")
        if not raw:
            if required:
                self.problem(column, "não pode ficar vazio")
            return None
        try:
            return parse(raw)
        except _Invalid as error:
            self.problem(column, error.reason)
            return None


def _read_rows(
    spec: _Spec,
    table: _CsvTable,
    columns: dict[str, int],
    context: _Context,
    problems: list[Problem],
) -> list[_Parsed]:
    """Every row read and checked; duplicates of the key are problems too."""
    titles = {name: table.header[index] for name, index in columns.items()}
    width = len(table.header)
    parsed: list[_Parsed] = []
    first_line: dict[str, int] = {}
    for line, cells in table.rows:
        if any(cells[width:]):
            problems.append(Problem(line, "", _too_many_cells(len(cells), width)))
            continue
        values = {
            name: cells[index] if index < len(cells) else "" for name, index in columns.items()
        }
        row = _Row(line, values, titles, problems)
        result = spec.read(row, context)
        if result is None or not row.ok:
            continue
        if result.key in first_line:
            row.problem(spec.key_column, spec.duplicate(result.key, first_line[result.key]))
            continue
        first_line[result.key] = line
        parsed.append(result)
    spec.check(parsed, titles, problems)
    return parsed


def _too_many_cells(found: int, expected: int) -> str:
    """Why a row is wider than the header, and the usual cause."""
    return (
        f"a linha tem {found} colunas e o cabeçalho {expected}; um valor com o separador "
        '(ex.: "99,90" num arquivo separado por vírgula) precisa estar entre aspas'
    )


# --- Cell formats ---------------------------------------------------------------------


def _text(max_length: int) -> Callable[[str], str]:
    """A free text up to `max_length` characters (not echoed: it may be a name)."""

    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise _Invalid(f"texto longo demais ({len(raw)} caracteres; máximo {max_length})")
        return raw

    return parse


def _identifier(raw: str) -> str:
    """An id other columns refer to: no spaces nor list separators, up to 64 characters."""
    if re.search(r"[\s|,;]", raw):
        raise _Invalid("não pode ter espaço nem separador (| , ;); ex.: 500-mega")
    return _text(64)(raw)


def _shown(raw: str) -> str:
    """A wrong value quoted for ops, or "" when it might be personal data.

    Columns shifted by one would put a name or a CPF where a date is expected:
    only short single words go back into the report, with documents and phones masked.
    """
    if len(raw) > 30 or re.search(r"\s", raw):
        return ""
    return f' "{scrub(raw)}"'


def _document(raw: str) -> str:
    """A valid CPF/CNPJ, compact; leading zeros a spreadsheet dropped are put back."""
    if re.search(r"\d[.,]\d*E\+?\d", raw, re.IGNORECASE):
        raise _Invalid(
            "número em notação científica; formate a coluna como texto e exporte de novo"
        )
    compact = re.sub(r"[\s./-]", "", raw).upper()
    if compact.isdigit() and len(compact) in (9, 10, 12, 13):
        compact = compact.zfill(11 if len(compact) <= 11 else 14)
    try:
        document = parse_document(compact)
    except DocumentError as error:
        reason = _DOCUMENT_REASONS[error.reason]
        raise _Invalid(f"CPF/CNPJ inválido ({reason}): {_masked(raw)}") from None
    if document.value != compact:
        raise _Invalid(f"CPF/CNPJ inválido (formato): {_masked(raw)}")
    return document.value


_DOCUMENT_REASONS = {
    "empty": "vazio",
    "length": "CPF tem 11 dígitos e CNPJ 14 caracteres",
    "checksum": "dígitos verificadores não conferem",
    "repeated": "todos os dígitos iguais",
    "format": "formato",
}


def _masked(raw: str) -> str:
    """The document masked, or a hint of its size when it is too odd to mask."""
    masked = mask_document(raw)
    return (
        masked if masked != "***" else f"*** ({len(re.sub(r'[^0-9A-Za-z]', '', raw))} caracteres)"
    )


def _choice(options: dict[str, str], expected: str) -> Callable[[str], str]:
    """A word from `options` (accents and case ignored), as the value it stands for."""

    def parse(raw: str) -> str:
        value = options.get(_fold(raw))
        if value is None:
            raise _Invalid(f"valor{_shown(raw)} não aceito; use {expected}")
        return value

    return parse


def _cep(raw: str) -> str:
    """8 digits, separators allowed; a 7-digit CEP lost its leading zero in a spreadsheet."""
    digits = re.sub(r"[\s.-]", "", raw)
    if digits.isdigit() and len(digits) == 7:
        digits = "0" + digits
    if not (digits.isascii() and digits.isdigit() and len(digits) == 8) or digits == "00000000":
        raise _Invalid("CEP inválido; use 8 dígitos, com ou sem traço (01310-100)")
    return digits


def _phones(raw: str) -> list[str]:
    """Phones separated by "|", ",", "/", ";" or spaces, each as "55" + DDD + number."""
    phones: list[str] = []
    for part in re.split(r"[|,/;]+", raw):
        if not part.strip():
            continue
        whole = _phone(part)
        candidates = [whole] if whole else [_phone(word) for word in part.split()]
        for phone in candidates:
            if not phone:
                shown = mask_phone(re.sub(r"\D", "", part))
                raise _Invalid(f"telefone inválido ({shown}); use DDD + número, ex.: 11912340001")
            if phone not in phones:
                phones.append(phone)
    return phones


def _phone(text: str) -> str:
    """A Brazilian phone as "55DDDNUMBER", or "" if `text` is not one."""
    digits = re.sub(r"[\s()+.-]", "", text)
    if not (digits.isascii() and digits.isdigit()):
        return ""
    if len(digits) in (11, 12) and digits.startswith("0"):  # trunk prefix: 011 91234-0001
        digits = digits[1:]
    if len(digits) in (10, 11):
        digits = "55" + digits
    return digits if re.fullmatch(r"55[1-9]\d{9,10}", digits) else ""


def _positive_int(raw: str) -> int:
    """A speed in Mbps: "500", "500 Mbps", "1 Giga" (= 1000)."""
    match = re.fullmatch(
        r"(\d+)\s*(mbps|mb|mega|megas|gbps|gb|giga|gigas)?", _fold(raw).replace("_", "")
    )
    if not match or int(match.group(1)) <= 0:
        raise _Invalid(f"velocidade{_shown(raw)} inválida; use um número inteiro de Mbps: 500")
    giga = (match.group(2) or "").startswith("g")
    return int(match.group(1)) * (1000 if giga else 1)


_BR_AMOUNT = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?")
_DOT_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?")


def _money(raw: str) -> Decimal:
    """Reais: "99,90", "R$ 1.234,56", "99.90" or "1,234.56"; greater than zero."""
    text = re.sub(r"\s", "", raw.replace("R$", ""))
    if _BR_AMOUNT.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif _DOT_AMOUNT.fullmatch(text):
        text = text.replace(",", "")
    else:
        raise _Invalid(f"valor{_shown(text)} inválido; use 99,90 ou R$ 1.234,56")
    try:
        value = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise _Invalid(f"valor{_shown(text)} inválido") from None
    if value <= 0:
        raise _Invalid(f"valor deve ser maior que zero, encontrado{_shown(text)}")
    return value


def _fee(raw: str) -> Decimal:
    """A cancellation fee: like _money, but "0" (no fee) is a valid answer."""
    if re.fullmatch(r"(?:R\$)?\s*0+(?:[.,]0{1,2})?", raw.strip()):
        return Decimal("0.00")
    return _money(raw)


_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
_DATES = (
    (re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + _TIME), (3, 2, 1)),
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME), (1, 2, 3)),
)


def _date(raw: str) -> date:
    """DD/MM/AAAA (also with - or .) or AAAA-MM-DD; a time after it is ignored."""
    for pattern, (year, month, day) in _DATES:
        if match := pattern.fullmatch(raw):
            try:
                return date(int(match[year]), int(match[month]), int(match[day]))
            except ValueError:
                raise _Invalid(f"data{_shown(raw)} não existe") from None
    raise _Invalid(f"data{_shown(raw)} inválida; use DD/MM/AAAA ou AAAA-MM-DD")


def _month(raw: str) -> str:
    """A reference month as "AAAA-MM": from AAAA-MM, MM/AAAA or a whole date."""
    if match := re.fullmatch(r"(\d{4})[-/](\d{1,2})", raw):
        year, month = match[1], match[2]
    elif match := re.fullmatch(r"(\d{1,2})[-/](\d{4})", raw):
        month, year = match[1], match[2]
    else:
        try:
            day = _date(raw)
        except _Invalid:
            raise _Invalid(f"mês{_shown(raw)} inválido; use MM/AAAA ou AAAA-MM") from None
        year, month = str(day.year), str(day.month)
    if not 1 <= int(month) <= 12:
        raise _Invalid(f"mês{_shown(raw)} inválido; use MM/AAAA ou AAAA-MM")
    return f"{year}-{int(month):02d}"


def _url(raw: str) -> str:
    """A link to the invoice's PDF: https, no spaces."""
    if not raw.startswith("https://") or re.search(r"\s", raw):
        raise _Invalid('o link deve começar com "https://" e não ter espaços')
    return raw


def _split_list(raw: str) -> list[str]:
    """Items separated by "|", ",", ";" or spaces, without repeats, in order."""
    items = [item for item in re.split(r"[|,;\s]+", raw) if item]
    return list(dict.fromkeys(items))


def _cep_prefixes(raw: str) -> list[str]:
    """CEP beginnings, 1 to 8 digits each ("01310", "01310-100")."""
    prefixes = [re.sub(r"[.-]", "", item) for item in _split_list(raw)]
    wrong = [p for p in prefixes if not (p.isascii() and p.isdigit() and 1 <= len(p) <= 8)]
    if wrong or not prefixes:
        raise _Invalid("prefixo de CEP inválido; use só dígitos (1 a 8), separados por |")
    return list(dict.fromkeys(prefixes))


# --- The four kinds -------------------------------------------------------------------


def _load_context(conn: Connection, spec: _Spec) -> _Context:
    """The plans / customers a file of this kind refers to, already in the database."""
    context = _Context()
    if spec.kind in ("coverage", "customers"):
        ids = conn.execute(select(plans_table.c.plan_id)).scalars()
        context.plan_ids = {_fold_id(plan_id): plan_id for plan_id in ids}
        if not context.plan_ids:
            context.problems.append(Problem(0, "", _missing_kind("plano")))
    if spec.kind == "invoices":
        documents = conn.execute(select(customers_table.c.document)).scalars()
        context.customer_documents = set(documents)
        if not context.customer_documents:
            context.problems.append(Problem(0, "", _missing_kind("cliente")))
    return context


def _missing_kind(noun: str) -> str:
    """A file imported before the kind it refers to."""
    return f"nenhum {noun} importado ainda; importe nesta ordem: {IMPORT_ORDER_PT}"


def _fold_id(plan_id: str) -> str:
    """Plan ids compare without case: "500-Mega" in a customer row is "500-mega"."""
    return plan_id.casefold()


def _plan_ref(row: _Row, column: str, plan_id: str, context: _Context) -> str | None:
    """The imported plan a row names, or None (problem noted) when plans lack it."""
    known = context.plan_ids.get(_fold_id(plan_id))
    if known is None and context.plan_ids:
        row.problem(
            column,
            f"plano{_shown(plan_id)} não existe nos planos importados; "
            f"importe antes os planos (ordem: {IMPORT_ORDER_PT})",
        )
    return known


def _read_plan(row: _Row, context: _Context) -> _Parsed | None:
    """A row of planos.csv, keyed by its id without case."""
    plan_id = row.get("id", _identifier)
    values = {
        "plan_id": plan_id,
        "name": row.get("nome", _text(200)),
        "speed_mbps": row.get("velocidade_mbps", _positive_int),
        "monthly_price": row.get("mensalidade", _money),
        "description": row.get("descricao", _text(500), required=False) or "",
    }
    return _Parsed(row.line, _fold_id(plan_id), values) if row.ok else None


def _read_area(row: _Row, context: _Context) -> _Parsed | None:
    """A row of cobertura.csv, keyed by its region name; its plans must be imported."""
    name = row.get("regiao", _text(200))
    prefixes = row.get("prefixos_cep", _cep_prefixes)
    plan_ids = []
    for plan_id in row.get("planos", _split_list) or []:
        plan_ids.append(_plan_ref(row, "planos", plan_id, context))
    values = {"name": name, "cep_prefixes": prefixes, "plan_ids": plan_ids}
    return _Parsed(row.line, _fold(name or ""), values) if row.ok else None


# Words as folded by _fold; the English ones are data/customers.json's.
_KINDS_PT = dict.fromkeys(("residencial", "residential", "pf", "pessoa_fisica"), "residential")
_KINDS_PT |= dict.fromkeys(
    ("empresarial", "business", "comercial", "pj", "pessoa_juridica"), "business"
)
_STATUSES_PT = dict.fromkeys(("ativo", "ativa", "active"), "active")
_STATUSES_PT |= dict.fromkeys(
    ("suspenso", "suspensa", "bloqueado", "bloqueada", "suspended"), "suspended"
)


def _read_customer(row: _Row, context: _Context) -> _Parsed | None:
    """A row of clientes.csv, keyed by the compact document; its plan must be imported."""
    document = row.get("documento", _document)
    plan_id = row.get("plano", _identifier)
    values = {
        "document": document,
        "customer_id": row.get("codigo", _identifier, required=False),
        "name": row.get("nome", _text(300)),
        "kind": row.get("tipo", _choice(_KINDS_PT, "residencial ou empresarial")),
        "plan_id": _plan_ref(row, "plano", plan_id, context) if plan_id else None,
        "cep": row.get("cep", _cep),
        "status": row.get("situacao", _choice(_STATUSES_PT, "ativo ou suspenso")),
        "phones": row.get("telefones", _phones, required=False) or [],
        "loyalty_end": row.get("fim_fidelidade", _date, required=False),
        "cancellation_fee": row.get("multa_cancelamento", _fee, required=False),
    }
    return _Parsed(row.line, document, values) if row.ok else None


def _read_invoice(row: _Row, context: _Context) -> _Parsed | None:
    """A row of faturas.csv, keyed by invoice number; its customer must be imported."""
    document = row.get("documento", _document)
    if document and context.customer_documents and document not in context.customer_documents:
        row.problem(
            "documento",
            f"{mask_document(document)} não é de nenhum cliente importado; "
            f"importe antes os clientes (ordem: {IMPORT_ORDER_PT})",
        )
    due_date = row.get("vencimento", _date)
    amount = row.get("valor", _money)
    values = {
        "invoice_id": row.get("fatura", _text(64)),
        "customer_document": document,
        "reference_month": row.get("mes_referencia", _month),
        "due_date": due_date,
        "amount": amount,
        "barcode_line": row.get("linha_digitavel", _barcode(due_date, amount)),
        "pix_code": row.get("pix", _pix(amount), required=False) or "",
        "pdf_url": row.get("pdf", _url, required=False) or "",
        "nf_url": row.get("nota_fiscal", _url, required=False) or "",
    }
    return _Parsed(row.line, values["invoice_id"], values) if row.ok else None


def _barcode(due_date: date | None, amount: Decimal | None) -> Callable[[str], str]:
    """A linha digitável checked by payment_codes, whose amount and date match the row's."""

    def parse(raw: str) -> str:
        try:
            line = check_barcode_line(raw, reference=due_date)
        except PaymentCodeError as error:
            raise _Invalid(f"linha digitável inválida: {error}") from None
        # A line that holds another amount or date belongs to another row: columns mixed up.
        if amount is not None and line.amount and line.amount != amount:
            raise _Invalid(
                f"a linha digitável é de R$ {_brl(line.amount)}, não de R$ {_brl(amount)}"
            )
        if due_date is not None and line.due_date and line.due_date != due_date:
            raise _Invalid(
                f"a linha digitável vence em {line.due_date:%d/%m/%Y}, não em {due_date:%d/%m/%Y}"
            )
        return line.digits

    return parse


def _pix(amount: Decimal | None) -> Callable[[str], str]:
    """A PIX copia e cola checked by payment_codes, with the row's amount if it has one."""

    def parse(raw: str) -> str:
        try:
            pix = check_pix_code(raw)
        except PaymentCodeError as error:
            raise _Invalid(f"PIX copia e cola inválido: {error}") from None
        if amount is not None and pix.amount is not None and pix.amount != amount:
            raise _Invalid(f"o PIX é de R$ {_brl(pix.amount)}, não de R$ {_brl(amount)}")
        return pix.payload

    return parse


def _brl(amount: Decimal) -> str:
    """1234.5 -> "1.234,50"."""
    return f"{amount:,.2f}".translate(str.maketrans(",.", ".,"))


# --- Checks across rows, and what the write leaves behind ----------------------------


def _no_check(parsed: list[_Parsed], titles: dict[str, str], problems: list[Problem]) -> None:
    """Plans and invoices: the duplicate key is the only check across rows."""


def _check_prefixes(parsed: list[_Parsed], titles: dict[str, str], problems: list[Problem]) -> None:
    """A prefix in two areas would make the answer depend on row order: refuse it."""
    owner: dict[str, _Parsed] = {}
    for area in parsed:
        for prefix in area.values["cep_prefixes"]:
            first = owner.setdefault(prefix, area)
            if first is not area:
                where = f'região "{first.values["name"]}" (linha {first.line})'
                reason = f"prefixo {prefix} já está na {where}"
                problems.append(Problem(area.line, titles["prefixos_cep"], reason))


def _check_codes(parsed: list[_Parsed], titles: dict[str, str], problems: list[Problem]) -> None:
    """Customer codes, where given, must not repeat."""
    first_line: dict[str, int] = {}
    for customer in parsed:
        code = customer.values["customer_id"]
        if code and first_line.setdefault(code, customer.line) != customer.line:
            reason = f"código{_shown(code)} repetido (já na linha {first_line[code]})"
            problems.append(Problem(customer.line, titles.get("codigo", "codigo"), reason))


def _as_records(conn: Connection, parsed: list[_Parsed]) -> dict[str, dict[str, Any]]:
    """The rows to write, by key."""
    return {row.key: row.values for row in parsed}


def _customer_records(conn: Connection, parsed: list[_Parsed]) -> dict[str, dict[str, Any]]:
    """Customers by document; one without a code keeps the one it had, or gets a new one.

    Requests recorded by Theo name the customer by this code: it must not change
    between imports, and must not be the CPF (it is kept in the records).
    """
    kept = dict(
        conn.execute(select(customers_table.c.document, customers_table.c.customer_id)).all()
    )
    records = {}
    for row in parsed:
        values = dict(row.values)
        if not values["customer_id"]:
            values["customer_id"] = kept.get(row.key) or f"CSV-{secrets.token_hex(5).upper()}"
        records[row.key] = values
    return records


def _plan_warnings(conn: Connection) -> Iterator[str]:
    """Customers and areas left naming a plan the new plans file dropped."""
    plans = set(conn.execute(select(plans_table.c.plan_id)).scalars())
    customers = conn.execute(select(customers_table.c.plan_id)).scalars()
    orphans = sum(1 for plan_id in customers if plan_id not in plans)
    if orphans:
        yield (
            f"{orphans} cliente(s) com plano que não está mais na lista de planos; "
            "importe de novo os clientes com o plano atual."
        )
    areas = conn.execute(select(coverage_areas_table.c.name, coverage_areas_table.c.plan_ids))
    stale = sorted(name for name, plan_ids in areas if set(plan_ids) - plans)
    if stale:
        yield (
            f"região(ões) com plano que não está mais na lista: {', '.join(stale)}; "
            "esses planos deixam de ser oferecidos; importe de novo a cobertura."
        )


def _customer_warnings(conn: Connection) -> Iterator[str]:
    """Open invoices left of customers the new customers file dropped."""
    documents = select(customers_table.c.document)
    orphan = invoices_table.c.customer_document.not_in(documents)
    query = select(func.count()).select_from(invoices_table).where(orphan)
    orphans = conn.execute(query).scalar_one()
    if orphans:
        yield (
            f"{orphans} fatura(s) de clientes que saíram da lista continuam guardadas "
            "(ninguém as consulta); importe de novo as faturas para limpá-las."
        )


def _no_warnings(conn: Connection) -> Iterable[str]:
    """Coverage and invoices: nothing else refers to them."""
    return ()


def _replace_rows(
    conn: Connection, spec: _Spec, records: dict[str, dict[str, Any]]
) -> tuple[int, int, int]:
    """Make the kind's table hold exactly `records`; (added, changed, removed).

    Stored rows are matched to the file's by their key (spec.match of the unique
    column), so re-importing the same file writes nothing and unchanged rows
    keep their ids. Deletes go first, then updates, then inserts.
    """
    table, key = spec.table, spec.key
    existing = {spec.match(row[key]): dict(row) for row in conn.execute(select(table)).mappings()}
    removed = [row[key] for k, row in existing.items() if k not in records]
    added = [values for k, values in records.items() if k not in existing]
    changed = [
        (existing[k][key], values)
        for k, values in records.items()
        if k in existing and _differs(existing[k], values)
    ]
    for chunk in _chunks(removed):
        conn.execute(delete(table).where(table.c[key].in_(chunk)))
    if changed:
        columns = list(changed[0][1])
        statement = (
            update(table)
            .where(table.c[key] == bindparam("old_key"))
            .values({column: bindparam(f"new_{column}") for column in columns})
        )
        conn.execute(
            statement,
            [
                {"old_key": old} | {f"new_{c}": v for c, v in values.items()}
                for old, values in changed
            ],
        )
    if added:
        conn.execute(insert(table), added)
    return len(added), len(changed), len(removed)


def _differs(stored: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether the row in the table differs from the file's (amounts compared as Decimal)."""
    for column, value in values.items():
        old = stored[column]
        if isinstance(value, Decimal) and old is not None:
            old = Decimal(str(old)).quantize(Decimal("0.01"))
        if old != value:
            return True
    return False


def _chunks(items: list[str]) -> Iterator[list[str]]:
    """`items` in slices of CHUNK."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# --- Specs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Noun:
    """How the report counts a kind's rows, in pt-BR."""

    singular: str
    plural: str
    feminine: bool

    def count(self, n: int) -> str:
        """How many, in pt-BR: 1 cliente, 0 clientes, 3 regiões."""
        return f"{n} {self.singular if n == 1 else self.plural}"

    def adjective(self, stem: str, n: int) -> str:
        """The stem agreed in gender and number: importado, importadas..."""
        return stem + ("a" if self.feminine else "o") + ("" if n == 1 else "s")


_NOUNS = {
    "plans": _Noun("plano", "planos", feminine=False),
    "coverage": _Noun("região", "regiões", feminine=True),
    "customers": _Noun("cliente", "clientes", feminine=False),
    "invoices": _Noun("fatura", "faturas", feminine=True),
}


@dataclass(frozen=True)
class _Spec:
    """A kind of file: its layout, how a row is read, where it goes and what it checks."""

    kind: str
    columns: tuple[_Column, ...]
    table: Table
    key: str  # the table's unique column the rows are matched by
    key_column: str  # the layout's column holding it
    read: Callable[[_Row, _Context], _Parsed | None]
    duplicate: Callable[[str, int], str]
    # How a key is compared (_Parsed.key): plan ids without case, area names without accents.
    match: Callable[[str], str] = str
    check: Callable[[list[_Parsed], dict[str, str], list[Problem]], None] = _no_check
    finish: Callable[[Connection, list[_Parsed]], dict[str, dict[str, Any]]] = _as_records
    warnings: Callable[[Connection], Iterable[str]] = _no_warnings
    may_be_empty: bool = False


_DOCUMENT = _Column("documento", ("cpf_cnpj", "cpf", "cnpj", "cpf_ou_cnpj", "cnpj_cpf", "document"))

_SPECS = {
    "plans": _Spec(
        kind="plans",
        columns=(
            _Column("id", ("codigo", "id_plano", "codigo_plano", "plan_id")),
            _Column("nome", ("nome_do_plano", "name")),
            _Column("velocidade_mbps", ("velocidade", "mbps", "velocidade_em_mbps", "speed_mbps")),
            _Column("mensalidade", ("valor", "preco", "valor_mensal", "valor_r", "monthly_price")),
            _Column("descricao", ("observacao", "description"), required=False),
        ),
        table=plans_table,
        key="plan_id",
        key_column="id",
        read=_read_plan,
        match=_fold_id,
        duplicate=lambda key, line: f"plano repetido (já na linha {line})",
        warnings=_plan_warnings,
    ),
    "coverage": _Spec(
        kind="coverage",
        columns=(
            _Column("regiao", ("nome", "area", "name")),
            _Column("prefixos_cep", ("prefixos", "prefixos_de_cep", "ceps", "cep", "cep_prefixes")),
            _Column("planos", ("plano", "ids_planos", "plan_ids")),
        ),
        table=coverage_areas_table,
        key="name",
        key_column="regiao",
        read=_read_area,
        match=_fold,
        duplicate=lambda key, line: f"região repetida (já na linha {line})",
        check=_check_prefixes,
    ),
    "customers": _Spec(
        kind="customers",
        columns=(
            _DOCUMENT,
            _Column("nome", ("cliente", "razao_social", "nome_razao_social", "nome_do_cliente")),
            _Column("tipo", ("tipo_de_cliente", "tipo_cliente", "kind")),
            _Column("plano", ("id_plano", "codigo_plano", "plano_id", "plan_id")),
            _Column("cep", ("cep_instalacao", "cep_de_instalacao")),
            _Column("situacao", ("status", "situacao_do_contrato", "status_contrato")),
            _Column(
                "telefones",
                ("telefone", "celular", "celulares", "whatsapp", "fone", "fones", "phones"),
                required=False,
            ),
            _Column("codigo", ("id", "codigo_cliente", "codigo_do_cliente", "id_cliente"), False),
            _Column(
                "fim_fidelidade",
                ("fidelidade_ate", "data_fim_fidelidade", "fim_da_fidelidade", "loyalty_end"),
                required=False,
            ),
            _Column(
                "multa_cancelamento",
                ("multa", "valor_multa", "multa_de_cancelamento", "cancellation_fee"),
                required=False,
            ),
        ),
        table=customers_table,
        key="document",
        key_column="documento",
        read=_read_customer,
        duplicate=lambda key, line: f"documento {mask_document(key)} repetido (já na linha {line})",
        check=_check_codes,
        finish=_customer_records,
        warnings=_customer_warnings,
    ),
    "invoices": _Spec(
        kind="invoices",
        columns=(
            _DOCUMENT,
            _Column("fatura", ("numero_fatura", "numero_da_fatura", "id_fatura", "numero", "id")),
            _Column("mes_referencia", ("mes_de_referencia", "referencia", "competencia", "mes")),
            _Column("vencimento", ("data_vencimento", "data_de_vencimento", "due_date")),
            _Column("valor", ("valor_r", "valor_total", "total", "amount")),
            _Column("linha_digitavel", ("linha_digitavel_do_boleto", "barcode_line")),
            _Column("pix", ("pix_copia_e_cola", "codigo_pix", "pix_code"), required=False),
            _Column("pdf", ("link_pdf", "url_pdf", "link_do_boleto", "pdf_url"), required=False),
            _Column(
                "nota_fiscal",
                ("nf", "link_nota_fiscal", "link_da_nota_fiscal", "link_nf", "nf_url"),
                required=False,
            ),
        ),
        table=invoices_table,
        key="invoice_id",
        key_column="fatura",
        read=_read_invoice,
        duplicate=lambda key, line: f"fatura{_shown(key)} repetida (já na linha {line})",
        # No open invoice at all is a real state: everyone paid.
        may_be_empty=True,
    ),
}

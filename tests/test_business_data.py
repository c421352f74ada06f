"""The demo data set and its loader."""

import json
import shutil
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from business_data import (
    DEFAULT_FOLDER,
    BusinessData,
    Customer,
    Invoice,
    JsonBusinessData,
    load_business_data,
)
from documents import parse_document
from payment_codes import valid_barcode_line, valid_pix_code

TODAY = date(2026, 11, 26)
DEMO_DOCUMENTS = ["52998224725", "11222333000181", "12ABC34501DE35", "18609139034", "62819482112"]
BRT = timezone(timedelta(hours=-3))
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=BRT)


@pytest.fixture(scope="module")
def data() -> JsonBusinessData:
    return load_business_data()


def _customer(data: JsonBusinessData, text: str) -> Customer:
    customer = data.find_customer(parse_document(text).value)
    assert customer is not None, text
    return customer


# --- Demo data set ---


def test_json_business_data_implements_the_protocol(data):
    assert isinstance(data, BusinessData)


def test_residential_customer_with_two_open_invoices(data):
    customer = _customer(data, "529.982.247-25")
    assert customer.name == "Maria Aparecida Souza"
    assert customer.kind == "residential"
    assert data.plan(customer.plan_id).name == "500 Mega"
    assert customer.cep == "01310100"
    assert not customer.suspended
    invoices = data.open_invoices(customer)
    assert [i.due_date for i in invoices] == [date(2026, 10, 10), date(2026, 12, 10)]
    assert [i.is_overdue(TODAY) for i in invoices] == [True, False]
    assert [i.reference_month for i in invoices] == ["2026-10", "2026-12"]
    assert all(i.amount == Decimal("99.90") for i in invoices)


def test_every_open_invoice_has_a_plausible_boleto_pix_and_pdf(data):
    invoices = [i for doc in DEMO_DOCUMENTS for i in _customer(data, doc).invoices]
    assert len(invoices) >= 4
    for invoice in invoices:
        assert len(invoice.barcode_line) == 47 and invoice.barcode_line.isdigit()
        assert valid_barcode_line(invoice.barcode_line), invoice.id
        amount_cents = int(invoice.barcode_line[-10:])
        assert Decimal(amount_cents) / 100 == invoice.amount
        assert valid_pix_code(invoice.pix_code), invoice.id
        assert invoice.pdf_url.startswith("https://boletos.startconecta.com.br/")


def test_business_customer_with_everything_paid(data):
    customer = _customer(data, "11.222.333/0001-81")
    assert customer.kind == "business"
    assert data.plan(customer.plan_id).name == "1 Giga"
    assert data.open_invoices(customer) == []


def test_alphanumeric_cnpj_customer(data):
    customer = _customer(data, "12.ABC.345/01DE-35")
    assert customer.document == "12ABC34501DE35"
    assert customer.kind == "business"
    assert data.find_customer("12abc34501de35") == customer


def test_suspended_customer_with_one_overdue_invoice(data):
    customer = _customer(data, "186.091.390-34")
    assert customer.suspended
    invoices = data.open_invoices(customer)
    assert len(invoices) == 1
    assert invoices[0].is_overdue(TODAY)


def test_active_customer_at_jardim_paulista(data):
    customer = _customer(data, "628.194.821-12")
    assert customer.status == "active"
    assert customer.cep == "01415000"
    assert data.plans_for_cep(customer.cep)


def test_valid_cpf_that_is_not_a_customer(data):
    assert data.find_customer(parse_document("123.456.789-09").value) is None


def test_find_customer_accepts_formatted_documents(data):
    assert data.find_customer("529.982.247-25") == _customer(data, "52998224725")
    assert data.find_customer("") is None


def test_plans_for_a_covered_cep_sorted_by_speed(data):
    plans = data.plans_for_cep("01310100")
    assert [(p.name, p.monthly_price) for p in plans] == [
        ("300 Mega", Decimal("89.90")),
        ("500 Mega", Decimal("99.90")),
        ("1 Giga", Decimal("149.90")),
    ]
    assert data.plans_for_cep("01310-100") == plans
    assert plans == sorted(plans, key=lambda p: p.speed_mbps)


def test_covered_and_uncovered_ceps(data):
    assert data.plans_for_cep("01415000")
    assert data.plans_for_cep("69900000") is None
    assert data.plans_for_cep("") is None


def test_every_customer_plan_exists_and_is_sold_in_their_area(data):
    for customer in (_customer(data, doc) for doc in DEMO_DOCUMENTS):
        assert data.plan(customer.plan_id) is not None
        assert data.plans_for_cep(customer.cep), customer.id


def test_unknown_plan(data):
    assert data.plan("10-giga") is None


def test_is_overdue_on_the_due_date_itself():
    invoice = Invoice("F1", "2026-11", date(2026, 11, 26), Decimal("1.00"), "0" * 47)
    assert not invoice.is_overdue(date(2026, 11, 26))
    assert invoice.is_overdue(date(2026, 11, 27))


def test_default_folder_is_the_repository_data_folder():
    assert Path(__file__).resolve().parents[1] / "data" == DEFAULT_FOLDER
    assert (DEFAULT_FOLDER / "LEIAME.md").is_file()


# --- Editing the data: a copy of the demo folder, changed per test ---


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_FOLDER, target)
    return target


def _edit(folder: Path, filename: str, change) -> None:
    path = folder / filename
    content = json.loads(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")


def test_most_specific_coverage_prefix_wins(folder):
    area = {"name": "Condomínio", "cep_prefixes": ["01310100"], "plan_ids": ["1-giga"]}
    _edit(folder, "coverage.json", lambda c: c["areas"].append(area))
    data = JsonBusinessData(folder)
    assert [p.id for p in data.plans_for_cep("01310100")] == ["1-giga"]
    assert len(data.plans_for_cep("01310200")) == 3


def test_prices_may_be_json_numbers(folder):
    def change(content):
        content["plans"][0]["monthly_price"] = 79.9

    _edit(folder, "plans.json", change)
    assert JsonBusinessData(folder).plan("300-mega").monthly_price == Decimal("79.90")


def _set(path: list, value):
    def change(content):
        target = content
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("filename", "path", "value", "message"),
    [
        (
            "plans.json",
            ["plans", 1, "monthly_price"],
            "99,90",
            r"plans.json: plans\[1\].monthly_price",
        ),
        ("plans.json", ["plans", 0, "speed_mbps"], "300", r"plans.json: plans\[0\].speed_mbps"),
        (
            "plans.json",
            ["plans", 2, "id"],
            "300-mega",
            r"plans.json: plano com id repetido '300-mega'",
        ),
        (
            "coverage.json",
            ["areas", 0, "plan_ids"],
            ["2-giga"],
            r"coverage.json: areas\[0\].plan_ids: .*2-giga",
        ),
        (
            "coverage.json",
            ["areas", 1, "cep_prefixes"],
            ["01415-"],
            r"coverage.json: areas\[1\].cep_prefixes",
        ),
        (
            "customers.json",
            ["customers", 0, "document"],
            "529.982.247-26",
            r"customers.json: customers\[0\].document: .*checksum",
        ),
        (
            "customers.json",
            ["customers", 1, "cep"],
            "0131",
            r"customers.json: customers\[1\].cep: esperado 8 dígitos",
        ),
        (
            "customers.json",
            ["customers", 2, "status"],
            "cancelado",
            r"customers.json: customers\[2\].status",
        ),
        (
            "customers.json",
            ["customers", 3, "plan_id"],
            "2-giga",
            r"customers.json: customers\[3\].plan_id",
        ),
        (
            "customers.json",
            ["customers", 0, "invoices", 1, "due_date"],
            "10/12/2026",
            r"customers.json: customers\[0\].invoices\[1\].due_date",
        ),
        (
            "customers.json",
            ["customers", 0, "invoices", 0, "barcode_line"],
            "1234",
            r"customers.json: customers\[0\].invoices\[0\].barcode_line: esperado 47 dígitos",
        ),
        (
            "customers.json",
            ["customers", 0, "invoices", 0, "reference_month"],
            "2026-13",
            r"customers.json: customers\[0\].invoices\[0\].reference_month",
        ),
        (
            "customers.json",
            ["customers", 0, "invoices", 0, "pdf_url"],
            "http://x",
            r"customers.json: customers\[0\].invoices\[0\].pdf_url",
        ),
        (
            "customers.json",
            ["customers", 1, "document"],
            "529.982.247-25",
            r"customers.json: documento repetido 529.\*\*\*.\*\*\*-25",
        ),
    ],
)
def test_bad_field_names_the_file_and_the_field(folder, filename, path, value, message):
    _edit(folder, filename, _set(path, value))
    with pytest.raises(ValueError, match=message):
        JsonBusinessData(folder)


def test_missing_field_is_named(folder):
    _edit(folder, "customers.json", lambda c: c["customers"][4].pop("name"))
    with pytest.raises(ValueError, match=r"customers\[4\].name: campo obrigatório ausente"):
        JsonBusinessData(folder)


def test_invalid_document_is_masked_in_the_error(folder):
    _edit(folder, "customers.json", _set(["customers", 0, "document"], "529.982.247-26"))
    with pytest.raises(ValueError) as caught:
        JsonBusinessData(folder)
    assert "982.247" not in str(caught.value)
    assert "529.***.***-26" in str(caught.value)


def test_broken_json_names_the_file_and_line(folder):
    (folder / "plans.json").write_text('{"plans": [\n  {"id": "x",}\n]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"plans.json: JSON inválido na linha 2"):
        JsonBusinessData(folder)


def test_missing_file_is_named(folder):
    (folder / "coverage.json").unlink()
    with pytest.raises(ValueError, match=r"coverage\.json: arquivo não encontrado"):
        JsonBusinessData(folder)


def test_wrong_top_level_shape_is_named(folder):
    (folder / "coverage.json").write_text('[{"cep_prefixes": ["01310"]}]', encoding="utf-8")
    with pytest.raises(ValueError, match=r"coverage.json: esperado um objeto"):
        JsonBusinessData(folder)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"plans\.json: arquivo não encontrado"):
        load_business_data(tmp_path / "nowhere")


def test_wrong_type_errors_do_not_echo_personal_data(folder):
    _edit(folder, "customers.json", _set(["customers", 0, "document"], 52998224725))
    with pytest.raises(
        ValueError, match=r"customers\[0\]\.document: .*encontrado um número"
    ) as caught:
        JsonBusinessData(folder)
    assert "52998224725" not in str(caught.value)


def test_top_level_list_error_does_not_dump_the_file(folder):
    customers = json.loads((folder / "customers.json").read_text(encoding="utf-8"))["customers"]
    (folder / "customers.json").write_text(json.dumps(customers), encoding="utf-8")
    with pytest.raises(ValueError, match=r"customers\.json: esperado um objeto") as caught:
        JsonBusinessData(folder)
    assert "Maria" not in str(caught.value)


def test_the_demo_connection_field_says_whether_the_customer_is_online(folder):
    _edit(folder, "customers.json", _set(["customers", 0, "connection"], "online"))
    _edit(folder, "customers.json", _set(["customers", 1, "connection"], "offline"))
    data = JsonBusinessData(folder)

    states = [data.connection_online(c) for c in data._customers.values()]

    assert states[:2] == [True, False]
    assert set(states[2:]) == {None}  # no field: unknown


def test_a_bad_connection_value_names_the_field(folder):
    _edit(folder, "customers.json", _set(["customers", 2, "connection"], "ligado"))
    with pytest.raises(ValueError, match=r"customers\[2\].connection: 'ligado' não é um destes"):
        JsonBusinessData(folder)

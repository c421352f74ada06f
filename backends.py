"""The business-data backend named by BUSINESS_BACKEND, behind the one BusinessData seam.

- `demo`: the demo files in DATA_DIR (data/), the embedded default;
- `csv`: the provider's spreadsheets, imported into Theo's database with
  `python manage.py import` (docs/importacao-csv.md);
- `ixc`: the IXC Provedor webservice, live. Plans on sale and coverage are
  Theo's own (DATA_DIR): IXC keeps no coverage by CEP.

Outages are not business data: ops register them in Theo's database (outages.py).
"""

from __future__ import annotations

from business_data import BusinessData, load_business_data
from config import Config
from ixc import IxcBusinessData, IxcSettings
from records import RecordsStore
from sql_business_data import SqlBusinessData


def build_business(config: Config, records: RecordsStore) -> BusinessData:
    """The backend the configuration names, ready to answer."""
    files = load_business_data(config.data_dir)
    if config.business_backend == "csv":
        return SqlBusinessData(records.engine)
    if config.business_backend == "ixc":
        return IxcBusinessData(ixc_settings(config), catalog=files)
    return files


def ixc_settings(config: Config) -> IxcSettings:
    """IXC_* settings as the adapter takes them."""
    return IxcSettings(
        base_url=config.ixc_base_url,
        token=config.ixc_token,
        visit_subject_id=config.ixc_visit_subject_id,
        ticket_subject_id=config.ixc_ticket_subject_id,
        visit_sector_id=config.ixc_sector_id,
        ticket_sector_id=config.ixc_sector_id,
        branch_id=config.ixc_branch_id,
        suspended_statuses=tuple(
            status for status in config.ixc_suspended_statuses.split(",") if status.strip()
        ),
        read_timeout=config.ixc_timeout_seconds,
        verify_tls=config.ixc_verify_tls,
    )

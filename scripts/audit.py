"""`make audit`: pip-audit of requirements.txt, failing clearly when it cannot really check.

pip-audit asks PyPI's JSON API (`/pypi/<name>/<version>/json`) for known
vulnerabilities. Without access to it, pip-audit only warns "could not be
audited" and still exits 0, which would read as "no vulnerabilities". So this
script probes that API first (short timeout, no hanging) and runs pip-audit
with `--strict`, which turns any package it could not check into a failure.

Usage: python scripts/audit.py [extra pip-audit arguments]
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
SERVICE = "https://pypi.org/pypi/{name}/{version}/json"
PROBE_TIMEOUT_S = 10
AUDIT_TIMEOUT_S = 15
UNREACHABLE = """\
make audit: o serviço de vulnerabilidades do PyPI não respondeu ({problem}).
O pip-audit consulta {url}; sem acesso a ele a auditoria não pode ser feita
nesta máquina. Rode `make audit` numa máquina com internet (ou no CI com acesso
ao PyPI)."""


def first_pin(requirements: Path) -> tuple[str, str]:
    """The first `name==version` line of a requirements file."""
    for line in requirements.read_text(encoding="utf-8").splitlines():
        found = re.match(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#]+)", line)
        if found:
            return found.group(1), found.group(2)
    raise SystemExit(f"make audit: no pinned requirement in {requirements.name}")


def service_problem(name: str, version: str) -> str:
    """Why the vulnerability service is unusable, or "" when it answers."""
    url = SERVICE.format(name=name, version=version)
    try:
        response = requests.get(url, timeout=PROBE_TIMEOUT_S)
    except requests.RequestException as error:
        return type(error).__name__
    if response.status_code != 200 or "vulnerabilities" not in response.text:
        return f"HTTP {response.status_code}"
    return ""


def main(extra: list[str]) -> int:
    """Probe the service, then run pip-audit; its exit code is ours."""
    name, version = first_pin(REQUIREMENTS)
    problem = service_problem(name, version)
    if problem:
        url = SERVICE.format(name=name, version=version)
        print(UNREACHABLE.format(problem=problem, url=url), file=sys.stderr)
        return 2
    command = [
        sys.executable, "-m", "pip_audit", "--requirement", str(REQUIREMENTS), "--strict",
        "--timeout", str(AUDIT_TIMEOUT_S), "--progress-spinner", "off", *extra,
    ]  # fmt: skip
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

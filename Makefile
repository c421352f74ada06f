# Theo — comandos do dia a dia. `make run` e `make test` preparam tudo sozinhos.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The port: PORT from the environment, else from .env (as the app reads it), else 5000.
ENV_PORT := $(shell sed -n 's/^PORT=[[:space:]]*\([0-9][0-9]*\).*/\1/p' .env 2>/dev/null | tail -n 1)
PORT ?= $(or $(ENV_PORT),5000)
STAMP := $(VENV)/.installed

.PHONY: run test browser lint format bench clean audit purge-records forget-customer import check

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $(STAMP)

## Inicia o Theo em http://localhost:$(PORT) (modo console sem credenciais Z-API)
run: $(STAMP)
	LOG_FORMAT=$${LOG_FORMAT:-text} $(BIN)/gunicorn app:app --config gunicorn.conf.py --bind 127.0.0.1:$(PORT)

## Roda todos os testes
test: $(STAMP) browser
	$(BIN)/python -m pytest

## Instala o Chromium do Debian para os testes de navegador, se faltar (como root, com apt-get)
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "make: instalando o Chromium (pacote do Debian) para os testes de navegador"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; } \
		|| echo "make: o Chromium não pôde ser instalado: os testes de navegador serão pulados"; \
	else \
		echo "make: sem /usr/bin/chromium e sem apt-get como root: os testes de navegador serão pulados"; \
	fi

## Confere configuração, textos (content/) e dados antes de publicar; lista cada problema
check: $(STAMP)
	$(BIN)/python manage.py check

## Verifica o estilo do código (ruff)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Procura vulnerabilidades conhecidas nas dependências (pip-audit; precisa de acesso ao PyPI)
audit: $(STAMP)
	$(BIN)/python scripts/audit.py

## Apaga protocolos e solicitações mais antigos que RECORDS_RETENTION_DAYS
purge-records: $(STAMP)
	$(BIN)/python manage.py purge-records

## Apaga os dados de um cliente: make forget-customer PHONE=5511987650001 [DOCUMENT=529.982.247-25]
forget-customer: $(STAMP)
	@test -n "$(PHONE)" || { echo "Use: make forget-customer PHONE=5511987650001 [DOCUMENT=...]"; exit 2; }
	$(BIN)/python manage.py forget-customer --phone "$(PHONE)" $(if $(DOCUMENT),--document "$(DOCUMENT)")

## Importa uma planilha do provedor: make import KIND=customers FILE=clientes.csv (docs/importacao-csv.md)
import: $(STAMP)
	@test -n "$(KIND)" -a -n "$(FILE)" || { echo "Use: make import KIND=plans|coverage|customers|invoices FILE=arquivo.csv (nesta ordem)"; exit 2; }
	$(BIN)/python manage.py import "$(KIND)" "$(FILE)"

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Mede o desempenho do webhook e escreve os números no README
bench: $(STAMP)
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

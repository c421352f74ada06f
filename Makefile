# Theo — comandos do dia a dia. `make run` e `make test` preparam tudo sozinhos.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

## Inicia o Theo em http://localhost:$(PORT) (modo console sem credenciais Z-API)
run: $(STAMP)
	$(BIN)/gunicorn app:app --config gunicorn.conf.py --bind 127.0.0.1:$(PORT)

## Roda todos os testes
test: $(STAMP)
	$(BIN)/python -m pytest

## Verifica o estilo do código (ruff)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Mede o desempenho do webhook e escreve os números no README
bench: $(STAMP)
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

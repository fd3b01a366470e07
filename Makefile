# The two commands: `make demo` and `make test`. Both bootstrap .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-unit reliability screenshots bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/csauth demo

# The whole suite. The Secret Service test needs gnome-keyring and dbus; tests/run-suite
# starts a private session bus and an unlocked keyring around pytest.
test: $(STAMP)
	./tests/run-suite $(BIN)/python -m pytest $(PYTEST_ARGS)

# The whole suite with the reliability loops at full size (fuzzing, kill -9 rounds, ...);
# prints the figures table at the end. `make test` (and CI) runs the same tests, shorter.
reliability: $(STAMP)
	CSAUTH_RELIABILITY=full ./tests/run-suite $(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

screenshots: $(STAMP)
	$(BIN)/python -m tools.screenshots

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

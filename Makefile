# The two commands of buqi's README: `make run` and `make test`. Each sets up what is missing first.

CARGO ?= cargo
EXAMPLE ?= examples/wuhan-old-estate.json
PROFILE ?=

.PHONY: run test setup lint unit web

setup:
	@bash scripts/setup.sh

# The field app, ready to survey: a local `buqi serve` (SQLite, under target/demo/) with 武汉 and an
# assigned demo community, and the window enrolled to it (scripts/run-demo.sh). `make run EVALUATE=1`
# instead prints the evaluator's verdict on $(EXAMPLE), as before the window existed.
run: setup
ifeq ($(EVALUATE),1)
	$(CARGO) build --release --locked -p buqi-server
	@$(CARGO) run --release --locked -q -p buqi-server -- evaluate $(EXAMPLE) $(if $(PROFILE),--profile $(PROFILE))
else
	bash scripts/run-demo.sh
endif

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# The server's store suite also runs on a real PostgreSQL and its photo storage on a real local
# S3-compatible server (moto, from PyPI): the scripts install them if missing, start them on
# 127.0.0.1 for the run, and remove them afterwards.
# The window tests (the built app under Xvfb through tauri-driver, with an axe-core audit of each
# screen) run after the rest, one window at a time: scripts/window-test.sh.
# The UIs' own tests (Vitest) and builds, from their lock files.
web: setup
	cd ui && npm ci --no-audit --no-fund && npm test && npm run build
	cd dashboard && npm ci --no-audit --no-fund && npm test && npm run build

unit: setup web
	bash scripts/postgres-test.sh bash scripts/s3-test.sh $(CARGO) test --workspace --locked
	bash scripts/window-test.sh

test: lint unit

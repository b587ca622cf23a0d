# The two commands of buqi's README: `make run` and `make test`. Each sets up what is missing first.

CARGO ?= cargo
EXAMPLE ?= examples/wuhan-old-estate.json
PROFILE ?=

.PHONY: run test setup lint unit

setup:
	@bash scripts/setup.sh

# Until the field app's window exists, the main job is the evaluator on a demo community.
run: setup
	$(CARGO) build --release --locked -p buqi-server
	@echo "== buqi evaluate $(EXAMPLE)"
	@$(CARGO) run --release --locked -q -p buqi-server -- evaluate $(EXAMPLE) $(if $(PROFILE),--profile $(PROFILE))
	@echo "== Above: the verdict for each of the 20 items of 《完整居住社区建设标准（试行）》 for the demo"
	@echo "   community in $(EXAMPLE) — ✗ 短板 (gap), △ 建议改进 (advisory), ? 未调查 (not surveyed)."
	@echo "   Try another: make run EXAMPLE=examples/<file>.json, and PROFILE=schema/profiles/hubei-2023-draft.toml for a city profile."

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# The server's store suite also runs on a real PostgreSQL and its photo storage on a real local
# S3-compatible server (moto, from PyPI): the scripts install them if missing, start them on
# 127.0.0.1 for the run, and remove them afterwards.
unit: setup
	bash scripts/postgres-test.sh bash scripts/s3-test.sh $(CARGO) test --workspace --locked

test: lint unit

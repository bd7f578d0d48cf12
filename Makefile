# wangge — the two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
ADDR ?= 127.0.0.1:8080
DEMO_DB ?= demo.duckdb
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
DEMO_DATA := target/demo-data
WANGGE := $(TARGET_DIR)/release/wangge
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo demo-data test lint unit durability browser web-deps chromium bench anchors clean-demo

## Install the web page's npm packages (MapLibre GL JS, TypeScript for `make lint`, playwright-core) if missing or stale.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web-deps: web/node_modules/.package-lock.json

## Debian's chromium (and a CJK font so Chinese labels render) for the browser test.
chromium:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null; }

## The release binary embeds the page and MapLibre GL JS (server/build.rs), so web-deps comes first.
$(WANGGE): web/node_modules/.package-lock.json $(shell find engine/src server/src server/assets server/build.rs -type f) $(shell find web -path web/node_modules -prune -o -path web/test -prune -o -type f -print) Cargo.toml Cargo.lock
	$(CARGO) build --release --bin wangge

## Generate the demo's generated layers (deterministic, seed 2026) and load everything
## into a fresh store, moved into place only when complete.
$(DEMO_DB): $(WANGGE) data/shinan/admin.geojson
	$(WANGGE) gen demo --admin data/shinan/admin.geojson --out $(DEMO_DATA) --seed 2026
	rm -f $(DEMO_DB).new $(DEMO_DB).new.wal
	$(WANGGE) import --db $(DEMO_DB).new --layer units data/shinan/admin.geojson $(DEMO_DATA)/units.geojson
	$(WANGGE) import --db $(DEMO_DB).new --layer buildings $(DEMO_DATA)/buildings.geojson
	$(WANGGE) import --db $(DEMO_DB).new --layer cameras $(DEMO_DATA)/cameras.geojson
	$(WANGGE) import --db $(DEMO_DB).new --layer facilities $(DEMO_DATA)/facilities.geojson
	$(WANGGE) import --db $(DEMO_DB).new --layer incidents $(DEMO_DATA)/incidents.csv
	$(WANGGE) check --db $(DEMO_DB).new
	mv $(DEMO_DB).new $(DEMO_DB)

demo-data: $(DEMO_DB)

demo: web-deps demo-data
	$(WANGGE) serve --db $(DEMO_DB) --addr $(ADDR)

lint: web-deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd web && npx tsc --noEmit -p .

unit:
	$(CARGO) test --workspace

## kill -9 rounds (issue 13): 2 per scenario with the debug binaries `make unit` already built
## (no second DuckDB compile); `bash benches/crash.sh` runs 20 per scenario in release.
durability:
	$(CARGO) build -p wangge --bin wangge -p wangge-benches --bin crash_rounds
	$(TARGET_DIR)/debug/crash_rounds --rounds 2 --wangge $(TARGET_DIR)/debug/wangge

browser: web-deps chromium
	$(CARGO) build --bin wangge
	WANGGE_BIN=$(abspath $(TARGET_DIR))/debug/wangge node --test web/test/

test: lint unit durability browser

## Benchmarks with their anchors (DuckDB spatial, GeoPandas), figures into benches/RESULTS.md.
anchors:
	python3 -m pip install -q -r benches/requirements.txt

bench: anchors
	bash benches/run.sh
	bash benches/adjacency.sh
	bash benches/views.sh
	bash benches/incidents.sh
	bash benches/heatmap.sh

# wangge — the two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
ADDR ?= 127.0.0.1:8080
DEMO_DB ?= demo.duckdb
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
DEMO_DATA := target/demo-data
WANGGE := $(TARGET_DIR)/release/wangge
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo demo-street demo-data test lint unit durability browser web-deps chromium gdal bench anchors clean-demo

## Install the web page's npm packages (MapLibre GL JS, TypeScript for `make lint`, playwright-core) if missing or stale.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web-deps: web/node_modules/.package-lock.json

## Debian's chromium (and a CJK font so Chinese labels render) for the browser test.
chromium:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null; }

## Debian's GDAL command-line tools: the OGC API test reads the server with `ogrinfo OAPIF:` (server/tests/it/ogc.rs).
gdal:
	@command -v ogrinfo >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gdal-bin >/dev/null; }

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
	$(WANGGE) import --db $(DEMO_DB).new --layer roads $(DEMO_DATA)/roads.geojson
	$(WANGGE) check --db $(DEMO_DB).new
	mv $(DEMO_DB).new $(DEMO_DB)

demo-data: $(DEMO_DB)

demo: web-deps demo-data
	@echo "Open local mode (the store has no users): the map opens at once at http://$(ADDR)/ for everyone on this machine."
	@echo "To see it as a street's staff: make demo-street (a copy with users, on http://$(STREET_ADDR)/), then log in as"
	@echo "  zhangsan / $(DEMO_STREET_PASSWORD) (受理派遣员 of $(DEMO_STREET_NAME); a demo password): the map shows only that street."
	$(WANGGE) serve --db $(DEMO_DB) --addr $(ADDR)

## The demo as a street's staff sees it: a copy of the demo store with two users
## (admin, and a dispatcher of one real 市南区 street) with DEMO passwords, served
## beside `make demo`. The copy is rebuilt whenever the demo store changes.
DEMO_STREET_DB ?= demo-street.duckdb
STREET_ADDR ?= 127.0.0.1:8081
DEMO_STREET ?= street-16868580
DEMO_STREET_NAME ?= 八大关街道
DEMO_ADMIN_PASSWORD ?= demo-admin-2026
DEMO_STREET_PASSWORD ?= demo-street-2026

$(DEMO_STREET_DB): $(DEMO_DB)
	rm -f $(DEMO_STREET_DB).new $(DEMO_STREET_DB).new.wal
	cp $(DEMO_DB) $(DEMO_STREET_DB).new
	if [ -f $(DEMO_DB).wal ]; then cp $(DEMO_DB).wal $(DEMO_STREET_DB).new.wal; fi
	printf '%s\n' '$(DEMO_ADMIN_PASSWORD)' | $(WANGGE) users add --db $(DEMO_STREET_DB).new --name admin --role admin --password-stdin
	printf '%s\n' '$(DEMO_STREET_PASSWORD)' | $(WANGGE) users add --db $(DEMO_STREET_DB).new --name zhangsan --role dispatcher \
	  --unit $(DEMO_STREET) --password-stdin
	rm -f $(DEMO_STREET_DB).wal
	mv $(DEMO_STREET_DB).new $(DEMO_STREET_DB)
	if [ -f $(DEMO_STREET_DB).new.wal ]; then mv $(DEMO_STREET_DB).new.wal $(DEMO_STREET_DB).wal; fi

demo-street: web-deps $(DEMO_STREET_DB)
	@echo "Locked store $(DEMO_STREET_DB): open http://$(STREET_ADDR)/ and log in."
	@echo "  zhangsan / $(DEMO_STREET_PASSWORD)  受理派遣员 of $(DEMO_STREET_NAME) ($(DEMO_STREET)): sees only that street"
	@echo "  admin    / $(DEMO_ADMIN_PASSWORD)   管理员: sees the whole district"
	@echo "These are DEMO passwords, printed here on purpose: never use them for real users (wangge users add --password-stdin)."
	$(WANGGE) serve --db $(DEMO_STREET_DB) --addr $(STREET_ADDR)

lint: web-deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd web && npx tsc --noEmit -p .

unit: gdal
	WANGGE_REQUIRE_GDAL=1 $(CARGO) test --workspace

## kill -9 rounds (issue 13): 2 per scenario with the debug binaries `make unit` already built
## (no second DuckDB compile); `bash benches/crash.sh` runs 20 per scenario in release.
durability:
	$(CARGO) build -p wangge --bin wangge -p wangge-benches --bin crash_rounds
	$(TARGET_DIR)/debug/crash_rounds --rounds 2 --users yes --wangge $(TARGET_DIR)/debug/wangge

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

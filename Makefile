# OpenWA: the only entry points a newcomer needs.
#   make run    build (release) and start with the embedded defaults (SQLite under ./data, port 2785)
#   make test   every test: SQLite always, PostgreSQL too when one is reachable
#   make lint   rustfmt check + clippy and rustdoc with warnings as errors
#   make bench  load benchmark of a release build (needs wrk), and chat/group list latency
#   make bench-engine  RSS per real-engine session linked to the loopback WhatsApp stand-in
#   make fuzz   schemathesis against the daemon's own OpenAPI document (installs it from PyPI)
#   make sdk    OpenWA's official Python SDK (0.1.0 and 0.6.0, from PyPI) against the daemon
#   make screenshots  every dashboard page in headless Chromium, saved under docs/screenshots/
#   make bench-dashboard  the 1,000-session list in Chromium: time to first page and JS heap, 3 runs

# Build artefacts live outside the clone so fresh clones (and CI) reuse compiled dependencies.
CARGO_TARGET_DIR ?= $(HOME)/.cache/openwa/target
export CARGO_TARGET_DIR
CARGO ?= cargo
# Recipes use bash: the PostgreSQL probe needs /dev/tcp, which dash lacks.
SHELL := /bin/bash
PG_DEFAULT_URL := postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run build release test test-sqlite test-pg lint fmt bench bench-engine clean-data install fuzz sdk screenshots bench-dashboard

PREFIX ?= /usr/local
SYSTEMD_DIR ?= /etc/systemd/system

run: release
	$(CARGO_TARGET_DIR)/release/openwa serve

build:
	$(CARGO) build --all-targets

release:
	$(CARGO) build --release --bin openwa

test: test-sqlite test-pg

test-sqlite:
	$(CARGO) test --all-targets

# PostgreSQL: TEST_DATABASE_URL if set, else a local server on 5432 if one answers.
# Under CI (CI=true) a missing server is an error, never a skip.
test-pg:
	@url="$${TEST_DATABASE_URL:-$${DATABASE_URL:-}}"; \
	if [ -z "$$url" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then url="$(PG_DEFAULT_URL)"; fi; \
	if [ -n "$$url" ]; then \
		echo "== integration tests against PostgreSQL"; \
		OPENWA_TEST_BACKEND=postgres TEST_DATABASE_URL="$$url" $(CARGO) test --test api; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL tests are mandatory under CI, but no server answers and TEST_DATABASE_URL is unset" >&2; exit 1; \
	else \
		echo "PostgreSQL tests skipped: TEST_DATABASE_URL is unset and nothing answers on 127.0.0.1:5432"; \
	fi

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps

fmt:
	$(CARGO) fmt --all

bench: release
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "make bench needs wrk (apt-get install wrk)"; exit 1; }
	bench/run.sh $(CARGO_TARGET_DIR)/release/openwa
	bench/people.sh $(CARGO_TARGET_DIR)/release/openwa

# The stand-in is test code: this runs the ignored benchmark tests (a debug build of the daemon, as
# the tests build it; BENCH_SESSIONS sets how many sessions link).
bench-engine:
	$(CARGO) test --test api bench_ -- --ignored --nocapture --test-threads=1
	bench/webhooks.sh $(CARGO_TARGET_DIR)/release/openwa
	bench/ws.sh $(CARGO_TARGET_DIR)/release/openwa
	bench/messaging.sh $(CARGO_TARGET_DIR)/release/openwa

fuzz:
	$(CARGO) build --bin openwa
	bash fuzz/run.sh $(CARGO_TARGET_DIR)/debug/openwa

# The browser tests save a screenshot of each step; the README shows them from docs/screenshots.
screenshots:
	rm -rf test-artifacts/screens
	OPENWA_TEST_ARTIFACTS=$(CURDIR)/test-artifacts/screens OPENWA_REQUIRE_BROWSER=1 \
		$(CARGO) test --test api dashboard -- --test-threads=1
	mkdir -p docs/screenshots
	for f in test-artifacts/screens/*/sqlite/*.png; do \
		n=$$(basename "$$f" | sed 's/^[0-9]*-//'); case "$$n" in FAILED*) continue;; esac; \
		suite=$$(basename "$$(dirname "$$(dirname "$$f")")" | sed 's/^dashboard-\{0,1\}//'); \
		cp "$$f" "docs/screenshots/$${suite:+$$suite-}$$n"; \
	done
	@ls docs/screenshots

bench-dashboard:
	@for i in 1 2 3; do \
		OPENWA_REQUIRE_BROWSER=1 $(CARGO) test -q --test api a_thousand_sessions -- --nocapture 2>&1 | grep '^1000 sessions:'; \
	done

sdk:
	$(CARGO) build --bin openwa
	OPENWA_BIN=$(CARGO_TARGET_DIR)/debug/openwa bash tests/sdk/run.sh

# As root, on the server: the binary, the systemd unit, the openwa system user and an env file
# (kept if it exists). Then: systemctl daemon-reload && systemctl enable --now openwa
install: release
	install -D -m 0755 $(CARGO_TARGET_DIR)/release/openwa $(DESTDIR)$(PREFIX)/bin/openwa
	install -D -m 0644 config/openwa.service $(DESTDIR)$(SYSTEMD_DIR)/openwa.service
	@if [ -z "$(DESTDIR)" ] && ! id -u openwa >/dev/null 2>&1; then \
		useradd --system --home-dir /var/lib/openwa --no-create-home --shell /usr/sbin/nologin openwa; fi
	@if [ ! -e $(DESTDIR)/etc/openwa/openwa.env ]; then \
		install -D -m 0640 config/openwa.env.example $(DESTDIR)/etc/openwa/openwa.env; \
		if [ -z "$(DESTDIR)" ]; then chgrp openwa /etc/openwa/openwa.env; fi; fi
	@echo "installed; now: systemctl daemon-reload && systemctl enable --now openwa"

clean-data:
	rm -rf ./data

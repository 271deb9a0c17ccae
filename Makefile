# Ratsmappe — build, run and test.
#
#   make run    the server on the embedded default (SQLite + directory store),
#               with the demo council loaded on first start
#   make test   everything CI runs: installs what the tests need, starts
#               nothing by hand (tests start their own MinIO), runs all tests
#               and a short fuzzing pass

SHELL := /bin/bash
GO ?= go
DATA ?= data
TOOLS := $(HOME)/.cache/ratsmappe-ci/bin
MINIO := $(TOOLS)/minio
# The MinIO server the S3 tests run against, pinned.
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MAILPIT := $(TOOLS)/mailpit
# The SMTP server the mail tests send to and read back from, pinned.
MAILPIT_VERSION := v1.33.1
FUZZTIME ?= 20s
# Sequences of the long reference-model run (make refmodel); a plain
# go test runs 200.
REFMODEL_CHECKS ?= 5000

.PHONY: run build reader-deps test test-go test-browser fuzz refmodel deps deps-debian deps-minio deps-mailpit deps-node bench

run: reader-deps
	$(GO) run ./cmd/ratsmappe serve --demo --data $(DATA)

build: reader-deps
	$(GO) build -o bin/ratsmappe ./cmd/ratsmappe

# The reader embeds PDF.js from npm; without npm the server still builds,
# and the reader says that its components are missing.
reader-deps:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory deps-node; \
	else echo "npm not found: the reader at /reader/ will lack PDF.js"; fi

test: deps
	$(MAKE) test-go test-browser fuzz

test-go:
	RATSMAPPE_TEST_MINIO_BIN=$(MINIO) RATSMAPPE_TEST_MAILPIT_BIN=$(MAILPIT) $(GO) test -count=1 -timeout 40m ./...

# Browser tests: real headless Chromium (Debian's) driven by playwright-core.
test-browser:
	npm test

# The visibility rule against its reference model (web/refmodel_test.go),
# many more sequences than CI:
#   make refmodel REFMODEL_CHECKS=20000
refmodel:
	RATSMAPPE_REFMODEL_CHECKS=$(REFMODEL_CHECKS) $(GO) test -count=1 -timeout 0 -run '^TestReferenceModel$$' ./web/

fuzz:
	GO=$(GO) .ci/fuzz.sh FuzzIngest ./documents/pdfworker/ $(FUZZTIME)
	for f in FuzzSafeNext FuzzContentDisposition FuzzRequestHeaders FuzzLoginForm; do \
		GO=$(GO) .ci/fuzz.sh $$f ./web/ 4s || exit 1; \
	done
	GO=$(GO) .ci/fuzz.sh FuzzDecodeOParl ./sessions/oparlimport/ 8s
	GO=$(GO) .ci/fuzz.sh FuzzAnnotation ./annotate/ 8s
	GO=$(GO) .ci/fuzz.sh FuzzRequest ./web/ 8s
	GO=$(GO) .ci/fuzz.sh FuzzDecodeJSON ./web/office/ 4s
	GO=$(GO) .ci/fuzz.sh FuzzOParlQuery ./web/oparl/ 4s
	GO=$(GO) .ci/fuzz.sh FuzzFold ./internal/ical/ 4s
	GO=$(GO) .ci/fuzz.sh FuzzQueryParse ./search/ 5s
	GO=$(GO) .ci/fuzz.sh FuzzAnalyze ./search/german/ 4s
	GO=$(GO) .ci/fuzz.sh FuzzBuildDocument ./sessions/packet/ 4s
	GO=$(GO) .ci/fuzz.sh FuzzParseDSN ./notify/ 4s

deps: deps-debian deps-minio deps-mailpit deps-node

# Debian packages the tests use: pdftotext and qpdf (benchmark anchors and
# test tools), tesseract with German data (OCR), Chromium (browser tests),
# wngerman (the German word list compounds are split by; the binary reads
# /usr/share/dict/ngerman at run time and works without it), postgresql (the
# tests start throwaway clusters from its initdb; the service it installs is
# not used). Installed only when
# missing, and only where we may (root); elsewhere the tests that need them
# skip, except under CI=true, where they fail.
deps-debian:
	@missing=""; \
	for p in poppler-utils qpdf tesseract-ocr tesseract-ocr-deu chromium wngerman postgresql; do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "missing Debian packages:$$missing (run as root to install; dependent tests will skip)"; \
		fi; \
	fi

# The pinned MinIO server, built once from the Go module proxy and cached
# (the build takes minutes).
deps-minio: $(MINIO)

$(MINIO):
	@echo "building MinIO $(MINIO_VERSION) (once; cached in $(TOOLS))"
	mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/minio/minio@$(MINIO_VERSION)

# The pinned Mailpit SMTP server (with an HTTP API to read what arrived),
# built once from the Go module proxy and cached like MinIO.
deps-mailpit: $(MAILPIT)

$(MAILPIT):
	@echo "building Mailpit $(MAILPIT_VERSION) (once; cached in $(TOOLS))"
	mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

# npm packages of the browser tests and of the reader, exactly as
# package-lock.json pins them (optional native packages, which only PDF.js
# under Node would use, are left out). PDF.js is copied into
# web/reader/pdfjs/, which the server embeds; the copies are not committed.
PDFJS := node_modules/pdfjs-dist
deps-node: node_modules/.package-lock.json web/reader/pdfjs/pdf.min.mjs

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --omit=optional

web/reader/pdfjs/pdf.min.mjs: node_modules/.package-lock.json
	cp $(PDFJS)/build/pdf.worker.min.mjs web/reader/pdfjs/
	rm -rf web/reader/pdfjs/cmaps web/reader/pdfjs/standard_fonts
	cp -r $(PDFJS)/cmaps $(PDFJS)/standard_fonts web/reader/pdfjs/
	cp $(PDFJS)/build/pdf.min.mjs web/reader/pdfjs/

bench:
	$(GO) run ./bench/ingest
	$(GO) run ./bench/packet
	$(GO) run ./bench/search
	$(GO) run ./bench/portal
	$(GO) run ./bench/reanchor
	$(MAKE) deps-node
	node bench/reader/main.mjs
	$(GO) run ./bench/burst
	$(GO) run ./bench/live

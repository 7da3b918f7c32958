# Overdue. `make run` serves the embedded store on 127.0.0.1:8000; `make test` runs every test.
GO       ?= go
DATA     ?= ./data
ADDR     ?= 127.0.0.1:8000
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)

.PHONY: run test prereqs install build lint bench clean chromium screenshots

## run: build and start `overdue serve` on the embedded SQLite store in $(DATA)
run: bin/overdue
	./bin/overdue serve --data $(DATA) --addr $(ADDR)

## test: the prerequisites, lint, then every test (moto_server is started on a free loopback port
## for the AWS tests; functions/rie runs the function bootstraps under the Lambda Runtime Interface
## Emulator; internal/web drives headless chromium, installed first when missing), the schedule
## reference tests in a lone clone of HEAD, cfn-lint on the synthesized templates, and a CDK
## deploy of the dev stage into moto
test: prereqs lint rie chromium
	OVERDUE_RIE=$(CURDIR)/$(RIE) ./scripts/with-moto.sh $(GO) test -count=1 ./...
	GO=$(GO) ./scripts/clone-test.sh
	./scripts/cdk-lint.sh
	./scripts/cdk-smoke.sh

# RIE is the AWS Lambda Runtime Interface Emulator, built from the Go module proxy at a pinned
# version (its releases' prebuilt binaries come from GitHub, which the build never downloads from).
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE         := .cache/bin/aws-lambda-rie

## rie: build the pinned Lambda Runtime Interface Emulator into .cache/bin (make test does this)
.PHONY: rie
rie:
	@GOBIN=$(CURDIR)/.cache/bin CGO_ENABLED=0 $(GO) install $(RIE_MODULE)/cmd/aws-lambda-rie@$(RIE_VERSION)

## chromium: Debian's chromium for the browser tests, installed with apt-get when missing (make test does this)
chromium:
	@./scripts/chromium.sh

SCREENSHOTS ?= screenshots
## screenshots: PNGs of every dashboard page (light and dark, desktop and phone) in $(SCREENSHOTS)/, from the browser tests
screenshots: chromium
	rm -rf $(SCREENSHOTS) && mkdir -p $(SCREENSHOTS)
	OVERDUE_SCREENSHOTS=$(abspath $(SCREENSHOTS)) $(GO) test -count=1 -run 'TestBrowser' ./internal/web/
	@ls $(SCREENSHOTS) | wc -l | xargs printf '%s PNGs in $(SCREENSHOTS)/\n'

## prereqs: the tools `make test` needs and does not install itself; one line for each missing,
## with the command that installs it
prereqs:
	@./scripts/prereqs.sh

## install: `go install` the overdue CLI into $(go env GOBIN), or $(go env GOPATH)/bin when GOBIN
## is unset; that folder must be on PATH for the README's `overdue …` examples
install:
	@./scripts/prereqs.sh go
	$(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/overdue
	@bin=$$($(GO) env GOBIN); bin=$${bin:-$$($(GO) env GOPATH)/bin}; \
	echo "installed $$bin/overdue"; \
	case ":$$PATH:" in *":$$bin:"*) ;; *) echo "add $$bin to PATH to run it as overdue: export PATH=\"$$bin:\$$PATH\"" ;; esac

## build: the overdue CLI in bin/, and each Lambda function in dist/<fn>/bootstrap
build: bin/overdue functions

# FUNCTIONS are the directories of functions/ built for Lambda (linux/arm64, provided.al2023):
# add a function here (migrate, when it exists) and `make build` writes its bootstrap too.
FUNCTIONS := api sweep notify migrate timer mailping reports
FUNCTION_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: functions
functions: $(FUNCTIONS:%=dist/%/bootstrap)
	@ls -l $^ | awk '{ printf "%-24s %9d bytes\n", $$NF, $$5 }'

dist/%/bootstrap: FORCE
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(FUNCTION_FLAGS) -o $@ ./functions/$*

bin/overdue: FORCE
	@./scripts/prereqs.sh go
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/overdue ./cmd/overdue

## lint: gofmt and go vet must be clean
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@./scripts/no-binaries.sh

## bench: measure everything BENCHMARKS.md claims on this machine and rewrite it (~5 min; moto for the AWS parts)
bench: rie
	GO=$(GO) ./scripts/bench.sh

STAGE    ?= dev
CDK_ARGS ?=
# The deploy passes the build's name (VERSION) to the app: the migrate resources carry it, so the
# table's migration history names the build that migrated it.
.PHONY: synth diff deploy bootstrap

## synth: stage $(STAGE)'s CloudFormation template in cdk.out/
synth: build
	./scripts/cdk.sh synth Overdue-$(STAGE) -c stage=$(STAGE) -c build=$(VERSION) $(CDK_ARGS)

## diff: what `make deploy STAGE=$(STAGE)` would change
diff: build
	./scripts/cdk.sh diff Overdue-$(STAGE) -c stage=$(STAGE) -c build=$(VERSION) $(CDK_ARGS)

## deploy: deploy stage $(STAGE) to the account of the current AWS credentials
deploy: build
	./scripts/cdk.sh deploy Overdue-$(STAGE) -c stage=$(STAGE) -c build=$(VERSION) $(CDK_ARGS)

## bootstrap: one-time CDK bootstrap of the credentials' account and region
bootstrap: build
	./scripts/cdk.sh bootstrap -c stage=$(STAGE) $(CDK_ARGS)

clean:
	rm -rf bin dist cdk.out

FORCE:

# The two commands of the README: `make run` and `make test`. Both install
# what is missing (Deploy/local/bootstrap.sh, idempotent) before anything else.
SWIFT ?= swift
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: setup build run test bench clean

setup:
	@bash Deploy/local/bootstrap.sh

build: setup
	$(SWIFT) build $(SWIFT_FLAGS)

## Starts the local broker, creates every declared topic and runs the hub all-in-one; Ctrl-C stops it.
run: build
	.build/debug/hub up

## Builds, then runs every test against a throw-away local broker.
test: setup
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	SWIFT=$(SWIFT) bash Deploy/local/test.sh

## Release build and the pass-through benchmark beside kcat.
bench: setup
	$(SWIFT) build -c release $(SWIFT_FLAGS)
	.build/release/hub bench passthrough

clean:
	rm -rf .build

# Builds of fluxgate. `make release` is the one documented release command: static
# binaries (CGO_ENABLED=0) for every platform below, stamped with the version, commit and
# build date that `fluxgate version` prints, and their SHA-256 checksums, in dist/.
# Nothing is published: uploading dist/ is left to whoever signs the release.

# The version is the nearest tag (v1.2.0, v1.2.0-3-gabc1234, …); the date is the commit's,
# so that two builds of one commit are byte for byte the same.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)

PLATFORMS ?= linux/amd64 linux/arm64 windows/amd64
DIST      ?= dist
OUT       ?= fluxgate

GO      ?= go
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
BUILD   := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"

IMAGE ?= fluxgate

.PHONY: build release image clean

# build: the static binary for this machine (the one the container image holds), as $(OUT).
build:
	$(BUILD) -o $(OUT) ./cmd/fluxgate

# release: dist/fluxgate-VERSION-OS-ARCH[.exe] for each platform, and dist/SHA256SUMS.
release:
	rm -rf $(DIST) && mkdir -p $(DIST)
	set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		echo "build $$os/$$arch"; \
		GOOS=$$os GOARCH=$$arch $(BUILD) -o $(DIST)/fluxgate-$(VERSION)-$$os-$$arch$$ext ./cmd/fluxgate; \
	done
	cd $(DIST) && sha256sum fluxgate-* > SHA256SUMS && cat SHA256SUMS

# image: the container image (Dockerfile), stamped like the binaries; needs a Docker daemon.
image:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg DATE=$(DATE) \
		-t $(IMAGE):$(VERSION) .

clean:
	rm -rf $(DIST) $(OUT)

# syntax=docker/dockerfile:1
# Fluxgate's container image: one static binary on an empty (scratch) base, run as a
# non-root user. Build with `make image` (it passes the version, commit and date), or:
#   docker build --build-arg VERSION=1.2.0 -t fluxgate:1.2.0 .
# Run and volumes: docs/install.md, "Container".

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
# The same command CI runs: a static binary (CGO_ENABLED=0), stamped for `fluxgate version`.
RUN make build OUT=/out/fluxgate VERSION="${VERSION}" COMMIT="${COMMIT}" DATE="${DATE}"
# What an empty base lacks: a user to run as, the folders it owns, CA certificates (HTTPS to
# Chorus Pro and approved platforms) and time zones (cron schedules in local time).
RUN mkdir -p /out/etc /out/var/lib/fluxgate /out/srv/fluxgate /out/etc/fluxgate \
 && echo 'fluxgate:x:10001:10001:Fluxgate:/var/lib/fluxgate:/sbin/nologin' > /out/etc/passwd \
 && echo 'fluxgate:x:10001:' > /out/etc/group

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=build --chown=10001:10001 /out/var/lib/fluxgate /var/lib/fluxgate
COPY --from=build --chown=10001:10001 /out/srv/fluxgate /srv/fluxgate
COPY --from=build /out/etc/fluxgate /etc/fluxgate
COPY --from=build /out/fluxgate /fluxgate

USER 10001:10001
WORKDIR /var/lib/fluxgate
ENV TZ=Europe/Paris
# The journal and the spool (/var/lib/fluxgate), and the drop folders, acks and outboxes
# (/srv/fluxgate). The configuration and mappings are mounted read-only at /etc/fluxgate.
VOLUME ["/var/lib/fluxgate", "/srv/fluxgate"]
# The HTTP server (status pages, /healthz, /metrics), when the configuration turns it on.
EXPOSE 8470
# Applies only when the configuration has http: {listen: …:8470}; without the HTTP server
# run the container with --no-healthcheck (docs/install.md).
HEALTHCHECK --interval=30s --timeout=10s --start-period=2m --retries=3 \
  CMD ["/fluxgate", "healthcheck", "--url", "http://127.0.0.1:8470/healthz"]
# SIGTERM: the file in hand is finished, then it stops; give it more than shutdown_timeout
# (docker run --stop-timeout 60, compose stop_grace_period: 60s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/fluxgate"]
CMD ["run", "-c", "/etc/fluxgate/fluxgate.yaml"]

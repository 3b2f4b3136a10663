# The authagonal-tables image: a static binary on a minimal base that runs as
# the non-root user 65532, with CA certificates and time zone data.
#
#   docker build --build-arg VERSION="$(git describe --tags --always)" -t authagonal-tables .
#   docker run --rm authagonal-tables --help
#
# GO_IMAGE and BASE_IMAGE name the two base images, so that a build without
# access to a registry can use local ones; scripts/image-test.sh builds such
# bases from the host's Go toolchain and CA certificates. A replacement for
# BASE_IMAGE must provide /etc/ssl/certs/ca-certificates.crt and
# /usr/share/zoneinfo, as the default does. docs/docker.md has the details.
ARG GO_IMAGE=golang:1.26-bookworm
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src

# go.mod and go.sum come first and alone, so that the module download is a
# layer of its own, which a change to the source does not invalidate.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/authagonal-tables . \
    && /out/authagonal-tables --version \
    && mkdir /out/backups

FROM ${BASE_IMAGE}
ENV PATH=/usr/local/bin:/usr/bin:/bin
COPY --from=build /out/authagonal-tables /usr/local/bin/authagonal-tables
# The volume's folder belongs to the user that the tool runs as. A named
# volume starts as a copy of it; a host folder mounted there must be
# writable by UID 65532. The tool itself creates every backup folder 0700
# and every file 0600, because backups contain password hashes and secrets.
COPY --from=build --chown=65532:65532 /out/backups /backups
USER 65532:65532
WORKDIR /backups
VOLUME /backups
ENTRYPOINT ["authagonal-tables"]

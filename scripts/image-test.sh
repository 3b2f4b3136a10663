#!/usr/bin/env bash
# Builds the image of the Dockerfile with buildah and tests it against
# Azurite: backup, verify and restore run as containers of the image, and the
# image without arguments prints the help (internal/imagetest has the
# steps). CI runs it after `make test`, through `make image-test`.
#
# No container registry is reachable here, so the script assembles the two
# base images of the Dockerfile from the host instead of pulling them. The
# builder has the host's Go toolchain. The final base has the host's CA
# certificates and time zone data. Needs root, Debian's apt (to install
# buildah when missing), Go, and the Azurite that `npm ci` installs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "image-test: must run as root, because buildah mounts the image layers and runs containers with chroot isolation; run it with sudo" >&2
	exit 1
fi

# The image under test and the local bases, all under localhost/ so that no
# name can resolve to a registry.
IMAGE=localhost/authagonal-tables:image-test
GO_BASE=localhost/authagonal-tables-image-test/go:latest
FINAL_BASE=localhost/authagonal-tables-image-test/static:latest

# Containers run with chroot isolation, which needs no OCI runtime. Debian
# 12's crun fails on this machine: it rejects the hybrid cgroup layout, and
# it cannot set resource limits, because the sandbox withholds
# CAP_SYS_RESOURCE.
export BUILDAH_ISOLATION=chroot

log() { printf 'image-test: %s\n' "$*" >&2; }

install_tools() {
	if command -v buildah >/dev/null; then
		return
	fi
	# Without recommends, apt leaves out crun and fuse-overlayfs, which
	# chroot isolation and root's native overlay mounts do not need.
	log "installing buildah from Debian's packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends buildah >/dev/null
}

# Each run gets storage of its own, removed at the end, so that runs never
# share or leak layers and parallel runs in other clones cannot collide.
# The overlay driver works on the ext4 of this project's machines. vfs,
# which copies every layer in full, took 130 s to build the image on such a
# two-core machine, against 51 s with overlay. Set STORAGE_DRIVER=vfs where
# overlay mounts are not allowed.
state=$(mktemp -d /var/tmp/authagonal-tables-image-test.XXXXXX)
cat >"$state/storage.conf" <<EOF
[storage]
driver = "${STORAGE_DRIVER:-overlay}"
graphroot = "$state/storage"
runroot = "$state/run"
EOF
export CONTAINERS_STORAGE_CONF="$state/storage.conf"

cleanup() {
	if command -v buildah >/dev/null; then
		buildah rm --all >/dev/null 2>&1 || true
		buildah rmi --all --force >/dev/null 2>&1 || true
	fi
	# The overlay driver can keep its own folder mounted; unmount it so
	# that rm does not fail on a busy mount point.
	if mountpoint -q "$state/storage/overlay"; then
		umount "$state/storage/overlay" || true
	fi
	rm -rf "$state"
}
trap cleanup EXIT

# copy_with_libs ROOT FILE... copies each executable, and the shared
# libraries that ldd lists for it, to the same paths below ROOT.
copy_with_libs() {
	local root=$1
	shift
	local f
	for f in $(for bin in "$@"; do
		echo "$bin"
		ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
	done | sort -u); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
}

# build_go_base assembles the stand-in for golang:1.26-bookworm: the host's
# Go toolchain, CA certificates for the module proxy, and /bin/sh and mkdir
# for the Dockerfile's RUN lines.
build_go_base() {
	local ctr root
	ctr=$(buildah from scratch)
	root=$(buildah mount "$ctr")
	mkdir -p "$root/usr/local" "$root/etc/ssl/certs" "$root/root" "$root/go"
	cp -a "$(go env GOROOT)" "$root/usr/local/go"
	cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
	copy_with_libs "$root" /bin/sh /bin/mkdir
	install -d -m 1777 "$root/tmp"
	buildah umount "$ctr" >/dev/null
	buildah config --env PATH=/go/bin:/usr/local/go/bin:/usr/bin:/bin \
		--env GOPATH=/go --env GOTOOLCHAIN=local --env HOME=/root "$ctr"
	buildah commit --quiet --rm "$ctr" "$GO_BASE" >/dev/null
}

# build_final_base assembles the stand-in for distroless/static:nonroot:
# CA certificates, time zone data, the users root and nonroot (65532) with
# their home folders, and /tmp. It has no shell and no other program.
build_final_base() {
	local ctr root
	ctr=$(buildah from scratch)
	root=$(buildah mount "$ctr")
	mkdir -p "$root/etc/ssl/certs" "$root/usr/share"
	cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
	cp -a /usr/share/zoneinfo "$root/usr/share/"
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
	install -d -m 0700 "$root/root"
	install -d -m 0700 -o 65532 -g 65532 "$root/home/nonroot"
	install -d -m 1777 "$root/tmp"
	buildah umount "$ctr" >/dev/null
	buildah commit --quiet --rm "$ctr" "$FINAL_BASE" >/dev/null
}

# build_image builds the Dockerfile on the local bases. --network host lets
# `go mod download` reach the Go module proxy through the host's network
# and resolver. --layers commits every step as a layer, as docker build
# does, so the layer of the module download is built as users get it.
build_image() {
	log "assembling the local base images"
	build_go_base
	build_final_base
	log "building $IMAGE"
	buildah bud --quiet --layers --pull=never --network host \
		--build-arg GO_IMAGE="$GO_BASE" --build-arg BASE_IMAGE="$FINAL_BASE" \
		--build-arg VERSION=image-test \
		-t "$IMAGE" . >/dev/null
}

start=$SECONDS
install_tools
build_image
log "built $IMAGE in $((SECONDS - start))s"
go run ./internal/imagetest -image "$IMAGE" -version image-test

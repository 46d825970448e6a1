#!/usr/bin/env bash
# Installs the system packages the test suites need, on Debian/Ubuntu. Idempotent: does nothing when
# everything is already there.
#
#   ctr (from Debian's `containerd` package): packages/server/test/ctr/ drives the real ctr against berthd.
#     Its fixtures were recorded with containerd 1.6.20 (Debian bookworm's package).
#
#   systemd-analyze (from Debian's `systemd` package): packages/cli/test/install.test.ts verifies
#     berthd's unit file with it.
#
#   containerd's protos (Debian's `golang-github-containerd-containerd-dev`): test/unit/method-access.test.ts
#     holds the read-only credential's method table against them.
#
#   busybox (from Debian's `busybox-static`): packages/server/test/gateway/ builds an OCI image of it
#     offline and runs it as a real task through berthd in front of a real containerd.
#
#   The client-compatibility tier (packages/server/test/compat/): Python grpcio for /usr/bin/python3
#     (`python3-grpcio`), grpc-go built offline from Debian's Go toolchain and sources (`golang-go`,
#     `golang-google-grpc-dev`), and curl.
#
# Quiet: apt's output is shown only when a step fails. Exits non-zero on failure.
set -euo pipefail

# The ctr suite runs /usr/bin/ctr (the Debian package's path); the web suite drives /usr/bin/chromium.
CTR=/usr/bin/ctr
CHROMIUM=/usr/bin/chromium
ANALYZE=/usr/bin/systemd-analyze
GRPC_GO=/usr/share/gocode/src/google.golang.org/grpc
packages=()
[ -x "$CTR" ] || packages+=(containerd)
[ -x "$CHROMIUM" ] || packages+=(chromium)
[ -x "$ANALYZE" ] || packages+=(systemd)
/usr/bin/python3 -c "import grpc" >/dev/null 2>&1 || packages+=(python3-grpcio)
command -v go >/dev/null 2>&1 || packages+=(golang-go)
[ -d "$GRPC_GO" ] || packages+=(golang-google-grpc-dev)
[ -x /usr/bin/curl ] || packages+=(curl)
[ -x /bin/busybox ] || packages+=(busybox-static)
CONTAINERD_PROTOS=/usr/share/gocode/src/github.com/containerd/containerd/api/services
[ -d "$CONTAINERD_PROTOS" ] || packages+=(golang-github-containerd-containerd-dev)
[ ${#packages[@]} -eq 0 ] && exit 0

fail() {
  echo "install-system-deps: $*" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "${packages[*]} missing and apt-get is not available; install them by hand"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "${packages[*]} missing; installing them needs root, and sudo is not available"
  SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT

as_root() {
  ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive "$@" >"$log" 2>&1
}

run() {
  if ! as_root "$@"; then
    cat "$log" >&2
    fail "failed: $*"
  fi
}

# Refresh the package lists only when needed: when apt knows no installable containerd yet, or when
# the install fails with the lists it has (stale lists point at files the mirror no longer has).
updated=no
candidate=$(apt-cache policy "${packages[0]}" 2>/dev/null | awk '/Candidate:/ { print $2 }')
if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
  run apt-get -qq update
  updated=yes
fi

install=(apt-get -qq install -y --no-install-recommends "${packages[@]}")
if ! as_root "${install[@]}"; then
  [ "$updated" = yes ] && { cat "$log" >&2; fail "failed: ${install[*]}"; }
  run apt-get -qq update
  run "${install[@]}"
fi

[ -x "$CTR" ] || fail "containerd was installed but $CTR is missing"
[ -x "$CHROMIUM" ] || fail "chromium was installed but $CHROMIUM is missing"
[ -x "$ANALYZE" ] || fail "systemd was installed but $ANALYZE is missing"
/usr/bin/python3 -c "import grpc" || fail "python3-grpcio was installed but /usr/bin/python3 cannot import grpc"
command -v go >/dev/null 2>&1 || fail "golang-go was installed but go is not on PATH"
[ -d "$GRPC_GO" ] || fail "golang-google-grpc-dev was installed but $GRPC_GO is missing"
[ -x /bin/busybox ] || fail "busybox-static was installed but /bin/busybox is missing"
[ -d "$CONTAINERD_PROTOS" ] || fail "golang-github-containerd-containerd-dev was installed but $CONTAINERD_PROTOS is missing"
echo "install-system-deps: installed ${packages[*]}"

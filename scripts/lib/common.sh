# Shared by scripts/test, scripts/demo and the benchmarks: install what is missing
# (quietly when everything is present) and build. Source it; do not run it.

SFSG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SFSG_BUILD=${SFSG_BUILD:-$SFSG_ROOT/build}

SFSG_PACKAGES=(cmake ninja-build g++ pkg-config libfuse3-dev fuse3 libxxhash-dev
  libboost-program-options-dev libspdlog-dev libeigen3-dev libgtest-dev libgmock-dev
  libbenchmark-dev nlohmann-json3-dev libzstd-dev zstd libcpp-httplib-dev fio jq python3 e2fsprogs
  util-linux curl ccache)

# What scripts/test needs on top: real stress clients, a browser for the report test,
# xfsprogs for scripts/bench-device's xfs target, and the Prometheus servers
# (tests/prometheus starts its own on 127.0.0.1; the packages' own services are left
# stopped and disabled: no systemd here, and none are wanted).
SFSG_TEST_PACKAGES=(stress-ng dbench bonnie++ chromium xfsprogs prometheus
  prometheus-node-exporter prometheus-alertmanager)

# What the benchmarks need on top (scripts/bench-fidelity compresses with each).
SFSG_BENCH_PACKAGES=(lz4 gzip)

sfsg_install_deps() {
  local missing=()
  for p in "${SFSG_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "sfsg: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# sfsg_ccache: sets SFSG_LAUNCHER to the cmake option that compiles through ccache (empty
# without ccache) and exports its settings. With paths relative to the checkout, several
# checkouts share compiled objects (scripts/quickstart-check's fresh clone reuses this
# build's); the sloppiness lets ccache cache the files compiled with the precompiled
# headers (SFSG_PCH in CMakeLists.txt), which it otherwise compiles every time.
sfsg_ccache() {
  SFSG_LAUNCHER=()
  command -v ccache >/dev/null || return 0
  SFSG_LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$SFSG_ROOT} CCACHE_NOHASHDIR=1
  export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime}
}

sfsg_build() {
  local werror=OFF
  [ -n "${CI:-}" ] && werror=ON
  sfsg_ccache
  cmake -S "$SFSG_ROOT" -B "$SFSG_BUILD" -G Ninja -DSFSG_WERROR=$werror "${SFSG_LAUNCHER[@]}" \
    "$@" >/dev/null
  ninja -C "$SFSG_BUILD" ${SFSG_JOBS:+-j$SFSG_JOBS} | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
  # ninja's status lines are noise; its exit status is what counts.
  ninja -C "$SFSG_BUILD" >/dev/null
}

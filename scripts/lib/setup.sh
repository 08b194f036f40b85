# shellcheck shell=bash
# Shared set-up for scripts/run and scripts/test (sourced, not executed).
#
#  * LUNETTE_ROOT       the repository root, whatever the caller's working directory.
#  * lunette_install_packages
#                       installs the Debian packages in LUNETTE_PACKAGES that are missing (apt-get
#                       runs only when something is missing; LUNETTE_SKIP_APT=1 skips the step).
#  * lunette_configure DIR [cmake args...]
#  * lunette_build DIR [targets...]
#  * lunette_configure_build DIR [cmake args...]
#                       configure DIR (Ninja) and build every target in it.
#
# Environment: LUNETTE_SKIP_APT=1 (no package step), LUNETTE_BUILD_TYPE (CMAKE_BUILD_TYPE of a
# new build folder; the project's default is RelWithDebInfo).

set -euo pipefail

LUNETTE_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)"
export LUNETTE_ROOT

# Debian 12 packages, grouped as docs/DEVELOPING.md lists them.
LUNETTE_PACKAGES=(
    # build tools
    cmake ninja-build g++ pkg-config git
    # clang + libFuzzer: the sanitizer and fuzzing build (scripts/test with LUNETTE_TEST_ASAN=1)
    clang libclang-rt-14-dev
    # Qt 6.4 (+ the QML runtime modules the docks use)
    qt6-base-dev qt6-webengine-dev qt6-websockets-dev qt6-httpserver-dev qt6-declarative-dev
    qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
    qml6-module-qtquick-templates qml6-module-qtquick-window qml6-module-qtqml-workerscript
    libgl-dev
    # engine libraries
    liblua5.4-dev rapidjson-dev libarchive-dev
    # packaging (lunette package): deb (dpkg-shlibdeps), portable (patchelf, zstd), and the
    # validators the packaging tests run on the desktop entry and AppStream metainfo
    dpkg-dev patchelf zstd desktop-file-utils appstream
    # headless display for screenshot tests, formatting
    xvfb xauth clang-format
    # Node.js: npm installs Shoelace at build time (web/)
    nodejs
)
# Debian packages npm separately; a Node.js that bundles it (NodeSource's nodejs, which conflicts
# with Debian's npm package) needs no npm package.
command -v npm >/dev/null 2>&1 || LUNETTE_PACKAGES+=(npm)

lunette_log() {
    printf '%s\n' "$*" >&2
}

lunette_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# A headline before each phase, so a long log is easy to scan.
lunette_headline() {
    printf '\n==> %s\n' "$*"
}

# Prints the packages of LUNETTE_PACKAGES that are not installed, one per line.
lunette_missing_packages() {
    local pkg status
    for pkg in "${LUNETTE_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        if [[ "$status" != "install ok installed" ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

lunette_install_packages() {
    if [[ "${LUNETTE_SKIP_APT:-0}" == 1 ]]; then
        return 0
    fi
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        lunette_die "dpkg-query/apt-get not found: this script installs Debian packages." \
            "Install the packages listed in scripts/lib/setup.sh yourself and rerun with LUNETTE_SKIP_APT=1."
    fi

    local -a missing
    mapfile -t missing < <(lunette_missing_packages)
    if ((${#missing[@]} == 0)); then
        return 0
    fi

    local -a sudo=()
    if ((EUID != 0)); then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            lunette_die "missing packages: ${missing[*]}" \
                "-- installing them needs root, and sudo is not available." \
                "Run as root, install them yourself, or set LUNETTE_SKIP_APT=1."
        fi
    fi

    lunette_headline "Installing missing packages: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# lunette_configure DIR [cmake args...]: DIR is relative to the repository root unless absolute.
lunette_configure() {
    local dir="$1"
    shift
    [[ "$dir" == /* ]] || dir="$LUNETTE_ROOT/$dir"

    local -a args=(-S "$LUNETTE_ROOT" -B "$dir")
    # The generator can only be chosen for a new build folder; an existing one keeps its own.
    if [[ ! -f "$dir/CMakeCache.txt" ]]; then
        args+=(-G Ninja)
        if [[ -n "${LUNETTE_BUILD_TYPE:-}" ]]; then
            args+=("-DCMAKE_BUILD_TYPE=$LUNETTE_BUILD_TYPE")
        fi
    fi
    cmake "${args[@]}" "$@"
}

# lunette_build DIR [targets...]: builds all targets when none are named.
lunette_build() {
    local dir="$1"
    shift
    [[ "$dir" == /* ]] || dir="$LUNETTE_ROOT/$dir"

    local -a targets=()
    if (($# > 0)); then
        targets=(--target "$@")
    fi
    cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
}

lunette_configure_build() {
    local dir="$1"
    shift
    # Chained with && so the status is right even where errexit is off (inside `if`).
    lunette_configure "$dir" "$@" && lunette_build "$dir"
}

# Shared install steps of scripts/run and scripts/test (sourced, not run).
# Each step is idempotent: it does nothing when what it installs is there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${SPSTI_VENV:-$ROOT/.venv}
VAR=$ROOT/var
SAO_VERSION=8.0.11
PYTHON=${PYTHON:-python3.11}
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=
apt_install() {
    log "Installing Debian packages: $*"
    if [ -z "$APT_UPDATED" ]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# LibreOffice converts the reports: Writer for the PDF documents, Calc for
# the spreadsheets (the XLSX annual report).
OFFICE_DEBS=(soffice:libreoffice-writer-nogui
    /usr/lib/libreoffice/program/libsclo.so:libreoffice-calc-nogui)

# Install the Debian packages whose commands (or files, given by absolute
# path, for a package without a command of its own) are missing.
# Usage: ensure_debs command:package /path/of/a/file:package ...
ensure_debs() {
    local missing=() pair check
    for pair in "$@"; do
        check=${pair%%:*}
        if [[ $check == /* ]]; then
            [ -e "$check" ] || missing+=("${pair#*:}")
        else
            command -v "$check" >/dev/null 2>&1 || missing+=("${pair#*:}")
        fi
    done
    [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

ensure_python() {
    command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
    "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
}

# Create the virtualenv and install the given requirement files; skipped
# when the files (and pyproject.toml) have not changed since last install.
ensure_venv() {
    ensure_python
    [ -x "$VENV/bin/python" ] || { log "Creating virtualenv $VENV"; "$PYTHON" -m venv "$VENV"; }
    local stamp="$VENV/.spsti-installed-${1//\//_}" want
    # Every requirements file: the named one includes the others.
    want=$(cd "$ROOT" && cat pyproject.toml requirements*.txt "$@" \
        | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "Installing Python dependencies ($*)"
        local args=()
        for f in "$@"; do args+=(-r "$ROOT/$f"); done
        "$VENV/bin/pip" install -q --upgrade pip setuptools wheel
        "$VENV/bin/pip" install -q "${args[@]}"
        "$VENV/bin/pip" install -q --no-deps --no-build-isolation -e "$ROOT"
        echo "$want" > "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}

# Fetch the Sao web client of the server's series from npm.
ensure_sao() {
    local dest=$VAR/sao
    if [ "$(cat "$dest/.version" 2>/dev/null)" = "$SAO_VERSION" ] \
            && [ -d "$dest/package/node_modules" ]; then
        return 0
    fi
    ensure_debs node:nodejs npm:npm
    log "Fetching tryton-sao@$SAO_VERSION"
    rm -rf "$dest" && mkdir -p "$dest"
    (cd "$dest" && npm pack --silent "tryton-sao@$SAO_VERSION" >/dev/null \
        && tar xzf "tryton-sao-$SAO_VERSION.tgz" && rm "tryton-sao-$SAO_VERSION.tgz" \
        && cd package && npm install --silent --omit=dev --legacy-peer-deps --no-audit --no-fund >/dev/null)
    echo "$SAO_VERSION" > "$dest/.version"
}

# The spsti_* addons of the repository, in dependency-friendly order of name.
spsti_modules() {
    (cd "$ROOT/addons" && ls -d spsti_* | tr '\n' ' ')
}

# A digest of the addons' files (arguments: extra find tests, e.g. to skip
# the tests); it changes whenever a module changes.
addons_digest() {
    (cd "$ROOT/addons" && find . -type f ! -path '*/__pycache__/*' "$@" -print0 \
        | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

#!/usr/bin/env bash
# Set up everything edrm needs on this machine, then stop. Used by `make run` and `make test`.
#
#   scripts/bootstrap.sh run    system packages, .venv with edrm installed, UI assets
#   scripts/bootstrap.sh test   the same, plus the test tools and Debian's chromium
#
# Safe and fast to run again: installed Debian packages are checked with dpkg (apt-get runs only
# when something is missing), and pip / npm rerun only when pyproject.toml or constraints.txt /
# package-lock.json change (stamps in .stamps/). pip installs the exact versions constraints.txt
# pins (scripts/update_constraints.py writes it), so every machine gets the same ones.
#
# Environment: PYTHON=/path/to/python3.11+ to choose the interpreter for .venv.
set -euo pipefail

usage() {
    echo "usage: scripts/bootstrap.sh run|test" >&2
    exit 2
}
[[ $# -eq 1 ]] || usage
MODE=$1
[[ $MODE == run || $MODE == test ]] || usage

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=$ROOT/.venv
STAMPS=$ROOT/.stamps
START=$SECONDS
mkdir -p "$STAMPS"

say() { printf 'edrm setup: %s\n' "$*"; }
die() {
    printf 'edrm setup: %s\n' "$*" >&2
    exit 1
}

# --------------------------------------------------------------------------------------------
# 1. Python >= 3.11 (found first: later steps may need its -venv package)
# --------------------------------------------------------------------------------------------
py_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; }

find_python() {
    local candidate
    if [[ -n ${PYTHON:-} ]]; then
        py_ok "$PYTHON" && command -v "$PYTHON"
        return
    fi
    for candidate in python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 && py_ok "$candidate"; then
            command -v "$candidate"
            return
        fi
    done
    return 1
}

venv_ok() { [[ -x $VENV/bin/python ]] && py_ok "$VENV/bin/python" && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; }

PY=
if ! venv_ok; then
    if ! PY=$(find_python); then
        [[ -z ${PYTHON:-} ]] || die "PYTHON=$PYTHON is not Python 3.11 or newer ($("$PYTHON" --version 2>&1 || true))."
        found=$(python3 --version 2>/dev/null || echo "no python3 on PATH")
        die "edrm needs Python 3.11 or newer (found: $found). On Debian 12 or Ubuntu 24.04 install it with: sudo apt-get install python3 python3-venv — or point to one with: make run PYTHON=/path/to/python3.11"
    fi
fi

# --------------------------------------------------------------------------------------------
# 2. System packages
# --------------------------------------------------------------------------------------------
# name|what it is for
wanted=(
    "tesseract-ocr|OCR engine"
    "tesseract-ocr-eng|English language data for the OCR engine"
    "tesseract-ocr-osd|page orientation data for the OCR engine"
    "libmagic1|file type detection"
    "fonts-dejavu-core|the font the demo's rendered scans are drawn with"
)
if ! command -v npm >/dev/null 2>&1; then
    wanted+=("nodejs|JavaScript runtime, to build the UI assets" "npm|JavaScript package manager, to install the UI assets")
fi
if [[ $MODE == test ]]; then
    wanted+=("chromium|headless browser for the browser tests")
    wanted+=("openssl|the local time-stamp authority of the audit checkpoint tests (openssl ts)")
    wanted+=("dovecot-imapd|a real IMAP server for the e-mail capture tests (started by the tests)")
    wanted+=("poppler-utils|pdftoppm, to look at the PDFs edrm makes")
fi
# A distribution Python creates virtual environments only with its -venv package.
if [[ -n $PY ]] && command -v dpkg >/dev/null 2>&1 && dpkg -S "$(readlink -f "$PY")" >/dev/null 2>&1; then
    pyver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    wanted+=("python$pyver-venv|Python virtual environments")
fi

deb_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }

need_help() {
    # $1 = reason; remaining = "pkg|purpose" entries that are missing
    local reason=$1 entry
    shift
    {
        for entry in "$@"; do
            printf "edrm setup: edrm needs the Debian package '%s' (%s).\n" "${entry%%|*}" "${entry#*|}"
        done
        printf 'edrm setup: %s\n' "$reason"
    } >&2
    exit 1
}

missing=()
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    for entry in "${wanted[@]}"; do
        deb_installed "${entry%%|*}" || missing+=("$entry")
    done
else
    # Not Debian/Ubuntu: we cannot install anything, but we can check what is there.
    for entry in "${wanted[@]}"; do
        case ${entry%%|*} in
        tesseract-ocr) command -v tesseract >/dev/null 2>&1 || missing+=("$entry") ;;
        tesseract-ocr-osd) { command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx osd; } || missing+=("$entry") ;;
        tesseract-ocr-eng) { command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx eng; } || missing+=("$entry") ;;
        libmagic1) python3 -c 'import ctypes.util, sys; sys.exit(0 if ctypes.util.find_library("magic") else 1)' 2>/dev/null || missing+=("$entry") ;;
        fonts-dejavu-core) [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=("$entry") ;;
        chromium) command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=("$entry") ;;
        python*-venv) ;;
        *) command -v "${entry%%|*}" >/dev/null 2>&1 || missing+=("$entry") ;;
        esac
    done
    if ((${#missing[@]})); then
        names=$(printf '%s ' "${missing[@]%%|*}")
        need_help "This is not a Debian/Ubuntu system (no apt-get), so edrm cannot install them for you. Install the equivalents with your package manager (on Debian/Ubuntu: sudo apt-get install ${names% })." "${missing[@]}"
    fi
fi

if ((${#missing[@]})); then
    pkgs=("${missing[@]%%|*}")
    install_cmd="sudo apt-get install ${pkgs[*]}"
    if [[ $EUID -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
        as_root=(sudo)
    else
        need_help "You are not root and cannot use sudo here. Install them with: $install_cmd" "${missing[@]}"
    fi
    say "installing Debian packages: ${pkgs[*]} (this can take a few minutes)"
    log=$STAMPS/apt.log
    export DEBIAN_FRONTEND=noninteractive
    if ! "${as_root[@]}" apt-get update -q >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        need_help "'apt-get update' failed (log above, full log in .stamps/apt.log). Install them with: $install_cmd" "${missing[@]}"
    fi
    if ! "${as_root[@]}" apt-get install -y -q "${pkgs[@]}" >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        need_help "'apt-get install' failed (log above, full log in .stamps/apt.log). Install them with: $install_cmd" "${missing[@]}"
    fi
    say "Debian packages installed"
else
    say "system packages present"
fi

# --------------------------------------------------------------------------------------------
# 3. Virtual environment and the project
# --------------------------------------------------------------------------------------------
if ! venv_ok; then
    say "creating .venv with $PY ($("$PY" --version 2>&1))"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV" || die "could not create .venv with $PY. On Debian/Ubuntu install: sudo apt-get install python3-venv"
    rm -f "$STAMPS"/python-*
fi

pip_hash=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
stamp_matches() { [[ "$(cat "$STAMPS/python-$1" 2>/dev/null || true)" == "$pip_hash" ]]; }
if [[ -x $VENV/bin/edrm ]] && { stamp_matches test || { [[ $MODE == run ]] && stamp_matches run; }; }; then
    say "Python packages up to date"
else
    if [[ $MODE == test ]]; then target='.[test]'; else target='.'; fi
    say "installing edrm and its Python packages into .venv (pip install -c constraints.txt -e '$target'; first run takes a minute or two)"
    log=$STAMPS/pip.log
    if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade pip &&
        "$VENV/bin/python" -m pip install --disable-pip-version-check -c constraints.txt -e "$target"; } >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "pip install failed (log above, full log in .stamps/pip.log)"
    fi
    rm -f "$STAMPS"/python-*
    printf '%s\n' "$pip_hash" >"$STAMPS/python-$MODE"
fi

# --------------------------------------------------------------------------------------------
# 4. UI assets
# --------------------------------------------------------------------------------------------
bash "$ROOT/scripts/build_assets.sh"

say "ready ($MODE) in $((SECONDS - START))s"

#!/usr/bin/env bash
# Switchboard's two commands:  `bash dev.sh demo`  (set up, run the demo center)
#                              `bash dev.sh test`  (set up, run every test)
# On Debian as root it installs what is missing (python3-venv, make; for the tests also
# PostgreSQL, SIPp, baresip, Chromium) before handing over to the Makefile.
set -euo pipefail
cd "$(dirname "$0")"
target="${1:-demo}"

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "dev.sh: please install: ${missing[*]}" >&2
        return 1
    fi
    echo "dev.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
command -v make >/dev/null || apt_install make

if [ "$target" = test ]; then
    # Real SIP peers for the end-to-end tests.
    apt_install sip-tester baresip
    # PostgreSQL for the store tests: use the one running on 127.0.0.1:5432, or start one.
    if ! (command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432); then
        apt_install postgresql postgresql-client
        cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
        pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
        for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
        if ! psql -h 127.0.0.1 -U postgres -c 'select 1' >/dev/null 2>&1; then
            # a fresh cluster: allow local trust connections over TCP for the tests
            hba=/etc/postgresql/$cluster/main/pg_hba.conf
            sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\)\S\+/\1trust/' "$hba"
            pg_ctlcluster --skip-systemctl-redirect "$cluster" main reload
        fi
    fi
    export SWITCHBOARD_TEST_PG_URL="${SWITCHBOARD_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
fi

exec make "$target"

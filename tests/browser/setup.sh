#!/usr/bin/env bash
# Installs what the test suite needs beyond Python, idempotently: Debian's Chromium (driven by
# Playwright with no browser download), a Java runtime for the Nu Html Checker, wrk for the
# benchmark, redis-server for the Redis fallback test, gettext for the message catalogues, and the
# npm packages pinned in package-lock.json (axe-core, vnu-jar). Run by `make test`; safe to run
# again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)  # compiles the Russian catalogue
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)  # make backup on PostgreSQL
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The browser tests need: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} (Debian packages) for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

stamp="$here/node_modules/.installed"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ]; then
  # --ignore-scripts: vnu-jar's install script would download a Java runtime; the system one serves.
  npm ci --prefix "$here" --no-audit --no-fund --ignore-scripts --loglevel=error
  touch "$stamp"
fi

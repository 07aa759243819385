#!/usr/bin/env bash
# Installs the edge of Newsroom's production stack from Debian's packages, idempotently:
# varnish (the edge cache), varnish-modules (its xkey vmod, for purges by surrogate key) and
# nginx (the benchmark's "same bytes from a static server" baseline). Run by `make test` and
# `make serve`; safe to run again. As root it installs what is missing; otherwise it prints the
# apt-get line and fails.
#
# It never starts the packaged system services: Newsroom runs its own varnishd (on PORT for
# `make serve`, on free ports in the tests) and its own nginx (bench). While installing, a
# policy-rc.d refuses every service start, and on a machine running systemd the services of the
# packages installed here are disabled, so Debian's varnish does not sit on port 6081 nor nginx
# on port 80 after a reboot. Packages that were already installed are left as they were.
set -euo pipefail

missing=()
command -v varnishd >/dev/null 2>&1 || [ -x /usr/sbin/varnishd ] || missing+=(varnish)
# The xkey vmod: where Debian puts it (the directory follows the Varnish ABI).
xkey=(/usr/lib/*/varnish/vmods/libvmod_xkey.so /usr/lib/varnish/vmods/libvmod_xkey.so)
found=0
for path in "${xkey[@]}"; do [ -e "$path" ] && found=1; done
[ "$found" -eq 1 ] || missing+=(varnish-modules)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "The edge cache needs: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "Installing ${missing[*]} (Debian packages) for the edge cache"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  # "Action forbidden by policy": the packages' postinst scripts start no service.
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
trap 'if [ "$own_policy" -eq 1 ]; then rm -f "$policy"; fi' EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  units=()
  for package in "${missing[@]}"; do
    case "$package" in
      varnish) units+=(varnish.service varnishncsa.service) ;;
      nginx) units+=(nginx.service) ;;
    esac
  done
  if [ ${#units[@]} -gt 0 ]; then
    systemctl disable --now "${units[@]}" >/dev/null 2>&1 || true
  fi
fi

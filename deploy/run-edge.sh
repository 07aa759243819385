#!/usr/bin/env bash
# Runs Newsroom's edge cache in the foreground: Debian's varnishd with deploy/varnish/newsroom.vcl
# in front of the origin (gunicorn). SIGTERM or Ctrl-C stops it. Used by `make serve` (its
# Procfile) and by the tests, which point it at an origin on a free port.
#
#   EDGE_LISTEN        where readers connect                     (default 127.0.0.1:8000)
#   EDGE_ORIGIN        the origin, host:port                     (default 127.0.0.1:8001)
#   EDGE_ORIGIN_HOST   Host header of the health probe; must be in DJANGO_ALLOWED_HOSTS
#                                                                (default the origin's host)
#   EDGE_PURGERS       addresses allowed to PURGE, space-separated: the app servers and
#                      workers                                   (default 127.0.0.1)
#   EDGE_STORAGE       varnishd's -s                             (default malloc,256m)
#   EDGE_PROBE_INTERVAL  how often the origin's health is probed   (default 1s)
#   EDGE_PROBE_URL     what is probed: 200 means healthy         (default /healthz)
#   EDGE_DIR           working directory: origin.vcl and varnishd's -n
#                                                                (default /tmp/newsroom-edge-<port>)
#   EDGE_VCL           the VCL                 (default deploy/varnish/newsroom.vcl)
#   EDGE_VARNISHD_ARGS more varnishd arguments, e.g. "-p thread_pool_min=200"  (default none)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PATH="$PATH:/usr/sbin"

listen=${EDGE_LISTEN:-127.0.0.1:8000}
origin=${EDGE_ORIGIN:-127.0.0.1:8001}
origin_host=${origin%:*}
origin_port=${origin##*:}
host_header=${EDGE_ORIGIN_HOST:-$origin_host}
purgers=${EDGE_PURGERS:-127.0.0.1}
storage=${EDGE_STORAGE:-malloc,256m}
interval=${EDGE_PROBE_INTERVAL:-1s}
probe_url=${EDGE_PROBE_URL:-/healthz}
dir=${EDGE_DIR:-${TMPDIR:-/tmp}/newsroom-edge-${listen##*:}}

if ! command -v varnishd >/dev/null 2>&1; then
  echo "varnishd is missing: run deploy/install-edge.sh (as root) or: sudo apt-get install varnish varnish-modules" >&2
  exit 1
fi

mkdir -p "$dir"
acl=""
for address in $purgers; do
  acl="$acl    \"$address\";"$'\n'
done
cat >"$dir/origin.vcl" <<VCL
# Written by deploy/run-edge.sh: the origin this edge fetches from, and who may purge it.
probe healthz {
    .url = "$probe_url";
    .expected_response = 200;
    .interval = $interval;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
    # Start healthy: a freshly started edge serves at once instead of waiting for two probes.
    .initial = 2;
}

backend origin {
    .host = "$origin_host";
    .port = "$origin_port";
    .host_header = "$host_header";
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
    .probe = healthz;
}

acl purgers {
$acl}
VCL

# Running as root, varnishd's worker drops to Debian's varnish users, who must read the VCL.
chmod 755 "$dir"
chmod 644 "$dir/origin.vcl"
echo "Edge cache on http://$listen/ in front of http://$origin/ (working directory $dir)"
# shellcheck disable=SC2086 # EDGE_VARNISHD_ARGS is a list of arguments
exec varnishd -F -n "$dir/varnishd" -a "$listen" -T 127.0.0.1:0 -s "$storage" \
  -f "${EDGE_VCL:-$here/varnish/newsroom.vcl}" -p vcl_path="$dir:/etc/varnish:/usr/share/varnish/vcl" \
  ${EDGE_VARNISHD_ARGS:-}

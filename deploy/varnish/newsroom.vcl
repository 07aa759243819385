#
# Newsroom's edge cache (Varnish 7, Debian's `varnish` with `varnish-modules` for xkey).
#
# Readers' pages are kept here until the origin purges them by surrogate key: every reader
# response of the origin lists, in its `xkey` header, the page-cache groups the page shows
# (explainers/pagecache.py), and when a change commits the origin sends one PURGE naming the
# keys of the groups it changed (explainers/edge.py). Lifetimes are the origin's: `s-maxage` for
# this cache (capped by the origin at the next scheduled publication), `max-age` for browsers,
# `stale-while-revalidate` as grace. Staff, the admin, previews and share links always reach
# the origin.
#
# Run it with deploy/run-edge.sh, which writes `origin.vcl` (the backend and the purgers' ACL)
# into its working directory, first on vcl_path.
#
vcl 4.1;

import std;
import xkey;

# The origin, written by run-edge.sh from EDGE_ORIGIN, EDGE_PURGERS and EDGE_PROBE_INTERVAL (or
# by hand for several app servers: see README):
#   backend origin { .host … .port … .probe = healthz; }   what the edge fetches from;
#   probe healthz { .url = "/healthz"; … }   its health: /healthz answers 200 when the origin's
#       database and cache answer, 503 otherwise (newsroom/views.py), and touches no session.
#       Two failures out of the last three probes make the origin "sick": readers are then
#       answered from grace (vcl_hit) instead of waiting for it;
#   acl purgers { … }   the addresses PURGE is accepted from: the app servers and workers.
include "origin.vcl";

sub vcl_recv {
    # X-Edge-Fresh is the edge's own mark (vcl_hit), never a client's: a client sending it must
    # not pick the grace it is served with, nor have its passed requests' errors restarted.
    if (req.restarts == 0) {
        unset req.http.X-Edge-Fresh;
    }

    # Purges: only the origin's addresses (acl purgers) may send them. `xkey-purge` names the
    # surrogate keys, separated by spaces; every object carrying one of them is removed.
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purges are accepted from the origin only"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Name the surrogate keys to purge in an xkey-purge header"));
        }
        # A hard purge, not xkey.softpurge: a corrected or unpublished article must not be
        # served once more from grace. Readers asking for a purged page meanwhile wait for
        # one origin fetch (Varnish coalesces them), which the origin answers in milliseconds.
        set req.http.X-Purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged"));
    }

    # Anything but a read goes to the origin as it came, cookies and all (the admin's forms).
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }

    # Staff: a request with Django's session cookie (settings.SESSION_COOKIE_NAME, Django's
    # default "sessionid") sees drafts and previews under the same addresses; never cached.
    if (req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # The admin, staff previews, share links (signed, revocable: a revoked link must stop
    # working at once) and the health check are always the origin's answer.
    if (req.url ~ "^/(admin(/|$)|preview/|shared/|healthz)") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }

    # Every other cookie (the CSRF token, a visitor's analytics) means nothing to a reader page:
    # dropped, so all readers share one copy. (The origin answers reader pages alike without it.)
    unset req.http.Cookie;

    # Tracking parameters change nothing on the page: removed from the address (and so from the
    # cache key and the origin's request). `(?<=[?&])` keeps the separator before the parameter,
    # the trailing `&` goes with it, and a `?` or `&` left at the end is trimmed.
    # Most reader addresses have no query string at all, and skip all three (one cheap test).
    if (req.url ~ "\?") {
        set req.url = regsuball(req.url, "(?<=[?&])(utm_[^=&#]*|fbclid|gclid)(=[^&#]*)?(&|$)", "");
        set req.url = regsub(req.url, "[?&]+$", "");
        # One spelling per set of parameters: ?b=2&a=1 and ?a=1&b=2 are one object.
        set req.url = std.querysort(req.url);
    }

    # Second pass of a request vcl_hit found stale past the origin's grace while the origin is
    # up: look up with no grace, so that it waits for a fresh page instead. Should that fetch
    # fail, vcl_synth sends the request round a third time, without the header, and the grace
    # is the objects' own again (24h, below: req.grace outlives a restart) for the stale copy.
    if (req.http.X-Edge-Fresh) {
        set req.grace = 0s;
    } elsif (req.restarts > 0) {
        set req.grace = 24h;
    }
    return (hash);
}

sub vcl_hit {
    # Within s-maxage: a hit, the common case, decided first.
    if (obj.ttl > 0s) {
        set req.http.X-Edge-Cache = "HIT";
        return (deliver);
    }
    # obj.ttl is negative once the page's s-maxage is over; X-Edge-Grace is the origin's
    # stale-while-revalidate (kept at fetch time, below). Past both, with the origin up, fetch
    # afresh rather than serve the stale copy: the long grace is for outages only.
    if (obj.ttl + std.duration(obj.http.X-Edge-Grace + "s", 0s) <= 0s
        && std.healthy(req.backend_hint) && req.restarts == 0) {
        set req.http.X-Edge-Fresh = "1";
        return (restart);
    }
    # Past it (within the origin's stale-while-revalidate, or any time the origin is down)
    # served stale while Varnish fetches a fresh copy in the background.
    set req.http.X-Edge-Cache = "STALE";
}

sub vcl_miss {
    set req.http.X-Edge-Cache = "MISS";
}

sub vcl_pass {
    set req.http.X-Edge-Cache = "PASS";
}

sub vcl_backend_fetch {
    # The edge's own bookkeeping is not the origin's business. (X-Edge-Fresh stays on bereq for
    # vcl_backend_response; the origin reads no such header.)
    unset bereq.http.X-Edge-Cache;
}

sub vcl_backend_response {
    # A refresh that fails — the origin answering 5xx while its probe still passes: a page that
    # errors, or the first seconds of an outage before the probe notices — keeps the stale copy
    # instead of replacing it: in the background (the reader already has the stale copy), or in
    # the foreground after vcl_hit asked for a fresh page (vcl_synth then serves the stale copy).
    if (beresp.status >= 500 && (bereq.is_bgfetch || bereq.http.X-Edge-Fresh)) {
        return (abandon);
    }
    # Kept only what the origin marks `public`: reader pages, feeds, sitemaps and static files.
    # Search results, 404s, redirects, previews and anything setting a cookie are not, whatever
    # Varnish's default TTL would do. "Hit-for-miss" for two minutes: those requests go to the
    # origin without queueing behind one another.
    if (beresp.http.Cache-Control !~ "(^|,)\s*public\s*(,|$)"
        || beresp.http.Cache-Control ~ "private|no-store|no-cache"
        || beresp.http.Set-Cookie
        || beresp.http.Vary == "*") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # Varnish has already read the lifetime from s-maxage (or max-age) into beresp.ttl, and the
    # grace from stale-while-revalidate into beresp.grace. Remember that grace on the object,
    # then keep the object a day longer, to be served while the origin is down (vcl_hit).
    set beresp.http.X-Edge-Grace = beresp.grace;
    set beresp.grace = 24h;
    # Varnish never finds an object stored with no lifetime at all again, grace or not; one
    # millisecond keeps a page sent with s-maxage=0 available for grace.
    if (beresp.ttl <= 0s) {
        set beresp.ttl = 1ms;
    }
    # Skip the built-in rule that would not keep an object whose TTL is 0 (s-maxage=0: a
    # scheduled publication is less than a second away, or a page for grace only).
    return (deliver);
}

sub vcl_deliver {
    # Surrogate keys and the edge's bookkeeping are not for browsers.
    unset resp.http.xkey;
    unset resp.http.X-Edge-Grace;
    # X-Cache says what the edge did (HIT, STALE, MISS or PASS), replacing the origin's own
    # page-cache verdict, which is about the origin's cache, not this one.
    if (req.http.X-Edge-Cache) {
        set resp.http.X-Cache = req.http.X-Edge-Cache;
    } else {
        unset resp.http.X-Cache;
    }
}

sub vcl_backend_error {
    # The origin could not be reached (refusing or timing out while its probe still passed) on
    # a refresh: keep the stale copy, as for a 5xx in vcl_backend_response.
    if (bereq.is_bgfetch || bereq.http.X-Edge-Fresh) {
        return (abandon);
    }
    # The origin could not be reached (down, refusing, timing out) and no copy is in grace: the
    # edge's own small page, 503 with Retry-After — never Varnish's "Guru Meditation" — so a
    # reader knows to come back and a monitor sees an outage.
    set beresp.http.Content-Type = "text/html; charset=utf-8";
    set beresp.http.Retry-After = "5";
    set beresp.http.Cache-Control = "no-store";
    synthetic({"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Back in a moment — Newsroom</title></head>
<body style="font-family: Georgia, serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Back in a moment</h1>
<p>This page is temporarily unavailable. Please try again in a few seconds.</p>
<p><a href="/">Go to the front page</a></p>
</body></html>
"});
    return (deliver);
}

sub vcl_synth {
    # The fresh fetch vcl_hit asked for was abandoned (the origin answered 5xx): round once more
    # without X-Edge-Fresh, with the object's own grace, and vcl_hit serves the stale copy
    # (req.restarts is no longer 0, so it does not ask again).
    if (resp.status == 503 && req.http.X-Edge-Fresh && req.restarts < 2) {
        unset req.http.X-Edge-Fresh;
        return (restart);
    }
    if (req.method == "PURGE" && resp.status == 200) {
        # How many objects the purge removed, for the purger's log.
        set resp.http.X-Purged = req.http.X-Purged;
    }
}

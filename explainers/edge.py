"""
The edge cache in front of the origin, purged by surrogate key.

Every public page carries, in its `xkey` header, the edge key of each page-cache group it shows
(explainers.pagecache.edge_key: a short digest of the group's name, so Cyrillic slugs are safe).
When a change commits, the change pipeline sends `pages_changed(groups=…)`; `purge_changed`
below turns the groups into keys and enqueues ONE purge task for them (explainers.tasks:
deduplicated, retried on failure), which calls `purge(keys)`.

Which edge is purged is the NEWSROOM_EDGE setting: {"BACKEND": dotted path, "URL": …}.
`NoEdge` (the default, for `make run` and any site with no edge) does nothing; `VarnishPurge`
sends PURGE requests to Varnish with deploy/varnish/newsroom.vcl, which accepts them from the
origin's addresses only. A CDN that purges by key (Fastly's Surrogate-Key, Cloudflare's
Cache-Tag) is one more backend class with a `purge(keys)` method: see README.
"""

import urllib.error
import urllib.request
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from . import pagecache
from .changes import pages_changed


class EdgePurgeError(Exception):
    """The edge did not confirm a purge; the task retries it."""


class NoEdge:
    """No edge cache: nothing to purge."""

    purges = False

    def __init__(self, **options):
        pass

    def purge(self, keys):
        return 0


class VarnishPurge:
    """Varnish with vmod xkey: `PURGE /` with the keys in an `xkey-purge` header.

    Keys go in batches of BATCH (16 hex characters and a space each), well under Varnish's
    8 KB header limit however many pages a change touched."""

    purges = True
    BATCH = 200

    def __init__(self, URL, TIMEOUT=5, **options):
        if not URL:
            raise EdgePurgeError("NEWSROOM_EDGE has no URL to send purges to")
        self.url = URL.rstrip("/") + "/"
        self.timeout = TIMEOUT

    def purge(self, keys):
        """Purge every object carrying one of these keys; returns how many Varnish removed.
        Raises EdgePurgeError if Varnish cannot be reached or refuses."""
        keys = list(keys)
        purged = 0
        for start in range(0, len(keys), self.BATCH):
            batch = " ".join(keys[start : start + self.BATCH])
            request = urllib.request.Request(
                self.url, method="PURGE", headers={"xkey-purge": batch}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    purged += int(response.headers.get("X-Purged") or 0)
            except urllib.error.HTTPError as error:
                raise EdgePurgeError(
                    f"the edge at {self.url} refused the purge: {error.code} {error.reason}"
                ) from error
            except OSError as error:
                raise EdgePurgeError(f"the edge at {self.url} did not answer: {error}") from error
        return purged


@lru_cache(maxsize=1)
def backend():
    options = dict(settings.NEWSROOM_EDGE)
    return import_string(options.pop("BACKEND"))(**options)


@receiver(setting_changed)
def forget_backend(setting, **kwargs):
    if setting == "NEWSROOM_EDGE":
        backend.cache_clear()


def keys(groups):
    """The edge keys of these page-cache groups, sorted."""
    return sorted({pagecache.edge_key(group) for group in groups})


def purge(keys):
    """Purge these edge keys now (the purge_edge task calls this; it raises on failure)."""
    return backend().purge(keys)


@receiver(pages_changed, dispatch_uid="edge-purge")
def purge_changed(sender, groups=(), **kwargs):
    """A change committed: purge the pages it touched at the edge, in one background task."""
    if not groups or not backend().purges:
        return
    from .tasks import purge_edge_later

    purge_edge_later(keys(groups))

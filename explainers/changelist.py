"""
The article list in the admin, at any size of archive (bench/scale.py measures it at 100,000
articles): nothing on it reads every article.

- `UsedOnlyListFilter`: the tag and author filters offer what the articles this user may see
  use — an EXISTS per tag or author, which stops at its first article, where Django's
  RelatedOnlyFieldListFilter joins every article to its links and takes the DISTINCT.
- `BoundedCountPaginator`: counts at most COUNT_LIMIT matching articles ("more than 2,000"),
  so the list's pages are numbered as far as that and a filter, the search or the dates narrow
  down the rest.
- `date_hierarchy` (explainers/templatetags/newsroom_admin.py): the years, months or days from
  the first to the last article shown, from two index lookups, rather than a DISTINCT over
  every date.
"""

import datetime

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone
from django.utils.functional import cached_property

COUNT_LIMIT = 2000


class UsedOnlyListFilter(admin.RelatedFieldListFilter):
    """RelatedOnlyFieldListFilter's choices — those on the articles the user may see in the list
    (a reporter's filter names no colleague's tags) — found with an EXISTS per choice."""

    def field_choices(self, field, request, model_admin):
        visible = model_admin.get_queryset(request).filter(**{self.field_path: OuterRef("pk")})
        related = field.related_model
        ordering = self.field_admin_ordering(field, request, model_admin) or related._meta.ordering
        choices = related._default_manager.filter(Exists(visible.values("pk")))
        return [(record.pk, str(record)) for record in choices.order_by(*(ordering or ["pk"]))]


class BoundedCountPaginator(Paginator):
    """A paginator that counts no further than COUNT_LIMIT: `capped` says it stopped there."""

    @cached_property
    def count(self):
        return self.object_list.order_by().values("pk")[: COUNT_LIMIT + 1].count()

    limit = f"{COUNT_LIMIT:,}"

    @property
    def capped(self):
        return self.count > COUNT_LIMIT


def date_range(queryset, field):
    """The first and last value of a date field among `queryset`, in the site's time zone."""
    found = queryset.aggregate(first=Min(field), last=Max(field))
    return [
        timezone.localtime(value) if isinstance(value, datetime.datetime) else value
        for value in (found["first"], found["last"])
    ]


def periods(first, last, kind, year=None, month=None):
    """The years, months (of `year`) or days (of `year`-`month`) from `first` to `last`, as
    dates."""
    if kind == "year":
        return [datetime.date(y, 1, 1) for y in range(first.year, last.year + 1)]
    if kind == "month":
        start = first.month if first.year == year else 1
        end = last.month if last.year == year else 12
        return [datetime.date(year, m, 1) for m in range(start, end + 1)]
    day = datetime.date(year, month, 1)
    found = []
    while day.month == month:
        found.append(day)
        day += datetime.timedelta(days=1)
    first_day = first.date() if isinstance(first, datetime.datetime) else first
    last_day = last.date() if isinstance(last, datetime.datetime) else last
    return [d for d in found if first_day <= d <= last_day]

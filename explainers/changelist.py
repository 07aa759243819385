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
- `rows`: the list's rows as Django renders them, with what depends only on the column worked
  out once per page rather than once per cell.
"""

import datetime

from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import ResultList, results
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Exists, Max, Min, OuterRef
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

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


# The rows.

PK = "NEWSROOMPK"  # stands for the row's primary key in the change address, filled per row


class Column:
    """How one list_display entry is read and shown: decided once per page."""

    def __init__(self, cl, index, name, first):
        model_admin = cl.model_admin
        self.name, self.field, self.attr = name, None, None
        self.missing = self.empty = model_admin.get_empty_value_display()
        field_name = getattr(name, "__name__", name) if callable(name) else name
        if callable(name) and field_name == "<lambda>":
            field_name = f"lambda{index}"
        self.classes = [f"field-{field_name}"]
        if callable(name):
            self.attr = name
            self.read = name
        else:
            try:
                field = cl.lookup_opts.get_field(name)
            except FieldDoesNotExist:
                field = None
            if (
                field is not None
                and field.concrete
                and not (field.is_relation or field.auto_created)
            ):
                self.field = field  # a plain model field: its value, shown as Django shows it
                self.read = None
            elif field is None and name == "__str__":
                self.read = str
            elif field is None and callable(getattr(model_admin, name, None)):
                self.attr = getattr(model_admin, name)
                self.read = self.attr
            else:
                self.read = False  # anything else (relations, properties, lookups): columns_of()
        self.empty = getattr(self.attr, "empty_value_display", self.empty)
        self.boolean = getattr(self.attr, "boolean", False)
        if name == "action_checkbox":
            self.classes = ["action-checkbox"]
        if self.field is not None and isinstance(self.field, (models.DateField, models.TimeField)):
            self.classes.append("nowrap")
        links = cl.list_display_links
        self.linked = links is not None and ((first and not links) or name in links)

    def cell(self, obj):
        """(the cell's content, its classes)."""
        classes = self.classes
        if self.field is not None:
            value = getattr(obj, self.name)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            return display_for_field(value, self.field, self.empty, avoid_link=self.linked), classes
        try:
            value = self.read(obj)
        except ObjectDoesNotExist:
            return self.missing, classes  # the admin's, not the column's (as Django does)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if isinstance(value, (datetime.date, datetime.time)):
            classes = [*classes, "nowrap"]
        return display_for_value(value, self.empty, self.boolean), classes


def columns_of(cl):
    """The Columns of the list, or None if one of them only Django's own lookups can read."""
    columns, first = [], True
    for index, name in enumerate(cl.list_display):
        column = Column(cl, index, name, first)
        if column.read is False:
            return None
        if column.linked:
            column.tag = "th" if first else "td"
            first = False
        columns.append(column)
    return columns


def rows(cl):
    """The rows of the change list `cl`, cell for cell what Django's items_for_result renders
    (tests/test_scale.py compares the two): the same values, classes, links with the preserved
    filters, and popup attributes. What depends on the column alone — which field or method
    reads it, its classes, whether it links — is decided once per page, and the change address
    is reversed once with a stand-in for the key: at a hundred rows, Django's lookups per cell
    (a FieldDoesNotExist raised for every method column of every row), its reverse() per row
    and its format_html per cell were half of the article list's cost (bench/scale.py). A list
    with list_editable's forms, or a column read through a relation or a property, is
    Django's to render."""
    columns = None if cl.formset else columns_of(cl)
    if columns is None:
        return list(results(cl))
    preserved = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
    try:
        address = cl.url_for_result(type("Stand-in", (), {cl.pk_attname: PK})())
    except NoReverseMatch:
        address = None
    else:
        address = escape(add_preserved_filters(preserved, address))
    key = cl.to_field or cl.lookup_opts.pk.attname
    made = []
    for obj in cl.result_list:
        cells = []
        for column in columns:
            content, classes = column.cell(obj)
            content = conditional_escape(content)
            attributes = f' class="{" ".join(classes)}"'
            if column.linked:
                if address is not None:
                    popup = (
                        f' data-popup-opener="{escape(obj.serializable_value(key))}"'
                        if cl.is_popup
                        else ""
                    )
                    pk = getattr(obj, cl.pk_attname)
                    if isinstance(pk, int):
                        here = address.replace(PK, str(pk), 1)
                    else:  # reverse() percent-encodes what an integer never has
                        here = escape(add_preserved_filters(preserved, cl.url_for_result(obj)))
                    content = f'<a href="{here}"{popup}>{content}</a>'
                cells.append(f"<{column.tag}{attributes}>{content}</{column.tag}>")
            else:
                cells.append(f"<td{attributes}>{content}</td>")
        made.append(ResultList(None, [mark_safe("".join(cells))]))
    return made

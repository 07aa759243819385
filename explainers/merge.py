"""
Merging a save with a colleague's newer one: nobody's change is lost, nobody's is overwritten
unknowingly.

An editor saves an article that a colleague saved after the editor opened it (the form's hidden
seen_version is not the newest revision). Before the admin builds its form and formsets, the
posted data is merged three ways — the revision the editor opened (base), the article as now
saved (theirs), and what the editor posted — field by field and, for the parts, row by row
(matched by id, never by their place on the form):

- a field the editor did not touch takes the colleague's value;
- a field only the editor changed keeps the editor's;
- a field both changed differently keeps the editor's and is marked on its own field with the
  colleague's value, so the editor chooses;
- a row the colleague added is put on the form; a row the colleague deleted is taken off it, and
  what the editor had changed in it is named in a message, so nothing is typed in vain silently;
- the questions' order is the colleague's unless the editor reordered them too;
- the tags are a field like the others, read from the revision's taggings (recorded_tags); a
  revision that records none leaves them unknown, so a difference is marked on the field.

The save is still refused (ArticleAdminForm.refuse_concurrent_edit): the editor sees what the
colleague changed and saves again. Everything works on form data, the way a browser posts it:
the base and theirs are the admin's own forms for the revision and for the saved rows, rendered
and read back as a browser would send them.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from reversion.models import Version
from taggit.models import Tag, TaggedItem

from .forms import SectionChoiceField, could_be_key, display_name, latest_version
from .models import Article, Byline, QuestionSection, Quote, UpdateNote
from .richtext import html_to_text, sanitize_html

# The parts a revision holds with the article (models.Article's follow), merged row by row.
PARTS = (Byline, QuestionSection, Quote, UpdateNote)
KINDS = {QuestionSection: "question", Quote: "quote", Byline: "byline", UpdateNote: "note"}
NOT_MERGED = {"seen_version"}
# What a row prefix is replaced with while it is rendered; names are put back under the row's
# place in the merged form.
ROW = "row"


@dataclass
class Merge:
    """What a merge did: the data to build the form with, and what to tell the editor."""

    version: Version  # the colleague's revision, the newest
    seen: Version | None  # the one the editor opened, None when it is not on record
    data: object = None  # the merged QueryDict
    changes: list = field(default_factory=list)  # what the colleague changed, in words
    conflicts: dict = field(default_factory=dict)  # form prefix ("" the article's) -> field -> msg
    notes: list = field(default_factory=list)  # rows taken off the form, and why
    renumbered: dict = field(default_factory=dict)  # new rows' old place -> new place

    @property
    def who(self):
        return display_name(self.version.revision.user)


def stale_post(model_admin, request, article):
    """The Merge of this POST with the colleague's newer save, or None when the editor saved
    over the newest revision. The article's row is locked first, until the save's transaction
    ends, so no third save slips in between this merge and the form's check."""
    Article.objects.select_for_update().filter(pk=article.pk).exists()
    version = latest_version(article)
    try:
        seen_pk = int(request.POST.get("seen_version") or 0) or None
    except ValueError:
        seen_pk = None
    if version is None or version.pk == seen_pk:
        return None
    seen = Version.objects.get_for_object(article).filter(pk=seen_pk).first() if seen_pk else None
    merge = Merge(version=version, seen=seen)
    data = request.POST.copy()
    parts = revision_parts(seen) if seen else None
    form_class = model_admin.get_form(request, article, change=True)
    merge_article(merge, data, request, form_class, article, parts)
    for formset_class, inline in model_admin.get_formsets_with_inlines(request, article):
        if formset_class.model in PARTS:
            prefix = formset_class.get_default_prefix()
            kwargs = model_admin.get_formset_kwargs(request, article, inline, prefix)
            for name in ("data", "files", "save_as_new"):
                kwargs.pop(name, None)
            formset = formset_class(**kwargs)
            base_rows = None if parts is None else parts.get(formset_class.model, {})
            merge_rows(merge, data, formset, base_rows)
    # Quotes and notes may point at questions typed on the page, by their form's place on it.
    for name in data:
        if name.endswith("-section") and data[name] in merge.renumbered:
            data[name] = merge.renumbered[data[name]]
    data._mutable = False
    merge.data = data
    return merge


# The revision the editor opened, as unsaved model instances.


def revision_parts(version):
    """{model: {pk: (instance, m2m initial, names the revision holds)}} for the article and its
    parts in this revision (an old revision may hold other articles too: a part names its
    article, the article is itself)."""
    parts = defaultdict(dict)
    for item in version.revision.version_set.select_related("content_type"):
        model = item.content_type.model_class()
        if model is not Article and model not in PARTS:
            continue
        fields = item.field_dict
        if str(fields.get("article_id", fields.get("id"))) != version.object_id:
            continue
        values, m2m = {}, {}
        for model_field in model._meta.concrete_fields:
            if model_field.attname in fields:
                values[model_field.attname] = fields[model_field.attname]
        for model_field in model._meta.many_to_many:
            if isinstance(model_field, models.ManyToManyField) and model_field.name in fields:
                m2m[model_field.name] = list(fields[model_field.name])
        if model is Article:
            # Tags are the revision's taggings (see recorded_tags); unknown when it has none.
            tags = recorded_tags(version)
            if tags is not None:
                m2m["tags"] = tags
        instance = model(**values)
        instance._state.adding = False
        known = {f.name for f in model._meta.concrete_fields if f.attname in values} | set(m2m)
        parts[model][str(instance.pk)] = (instance, m2m, known)
    return parts


def recorded_tags(version):
    """The article's tags (Tag rows, by name) in this revision of it, or None when the revision
    does not record them.

    A revision holds the article's taggings (taggit's TaggedItem, followed from
    Article.tagged_items) since tags are followed; one made before holds none, and a revision of
    an article with no tags cannot be told from it. A revision with no tagging of this article
    is therefore taken as not recording tags, never as "no tags": a merge marks a difference on
    the field instead of taking it as the colleague's, and a restore keeps the current tags
    (ArticleAdmin.revision_view) instead of deleting tags nobody removed."""
    tagged = ContentType.objects.get_for_model(TaggedItem)
    article_type = ContentType.objects.get_for_model(Article).pk
    tag_ids = []
    for item in version.revision.version_set.filter(content_type=tagged):
        fields = item.field_dict
        if (
            fields.get("content_type_id") == article_type
            and str(fields.get("object_id")) == version.object_id
        ):
            tag_ids.append(fields.get("tag_id"))
    if not tag_ids:
        return None
    return list(Tag.objects.filter(pk__in=tag_ids).order_by("name"))


# Form data as a browser posts it.


class _Posted(HTMLParser):
    """The name/value pairs a browser would post for some rendered form widgets."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data = defaultdict(list)
        self.textarea = self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if "disabled" in attrs:
            return
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data[name].append(attrs.get("value") or "on")
            elif kind not in ("submit", "button", "reset", "file", "image"):
                self.data[name].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self.textarea = [name, []]
        elif tag == "select" and name:
            self.select = [name, "multiple" in attrs, None, False]
        elif tag == "option" and self.select:
            value = attrs.get("value") or ""
            if self.select[2] is None:
                self.select[2] = value
            if "selected" in attrs:
                self.data[self.select[0]].append(value)
                self.select[3] = True

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea:
            name, text = self.textarea
            text = "".join(text)
            # The line break after <textarea> is not part of the value.
            self.data[name].append(text[1:] if text.startswith("\n") else text)
            self.textarea = None
        elif tag == "select" and self.select:
            name, multiple, first, chosen = self.select
            # A single choice with nothing selected posts its first option.
            if not multiple and not chosen and first is not None:
                self.data[name].append(first)
            self.select = None


def posted(bound_field):
    """{name: [values]} a browser posts for one field of an unbound form."""
    parser = _Posted()
    parser.feed(str(bound_field.as_widget()))
    parser.close()
    return dict(parser.data)


def renamed(values, old, new):
    """`values` with the names' prefix `old` replaced by `new`."""
    return {new + name[len(old) :]: v for name, v in values.items()}


# Field by field.


def shown(form_field, values):
    """A field's posted values in words, for a message."""
    if isinstance(form_field, forms.ModelMultipleChoiceField):
        keys = [v for v in values if v.isdigit() and could_be_key(form_field, v)]
        chosen = form_field.queryset.filter(pk__in=keys)
        text = ", ".join(map(str, chosen)) or "none"
    elif isinstance(form_field, forms.ModelChoiceField):
        value = values[0] if values else ""
        chosen = form_field.queryset.filter(pk=value).first() if value.isdigit() else None
        text = str(chosen) if chosen else "none"
    elif isinstance(form_field, forms.BooleanField):
        text = "ticked" if values else "not ticked"
    elif isinstance(form_field, forms.ChoiceField):
        labels = {str(k): v for k, v in form_field.choices}
        text = ", ".join(str(labels.get(v, v)) for v in values) or "none"
    else:
        text = " ".join(v for v in values if v)
        if "<" in text:
            text = html_to_text(text)
        text = text.strip() or "empty"
    return Truncator(text).chars(200)


def touched(name, form_field, bound):
    """Whether the posted value of `name` differs from the bound form's initial one."""
    if name not in bound.changed_data:
        return False
    if isinstance(form_field.widget, forms.Textarea):
        # Rich text: the browser's editor may write the same text as other HTML.
        before = sanitize_html(str(bound[name].initial or "")).replace("\r\n", "\n")
        after = sanitize_html(str(bound[name].data or "")).replace("\r\n", "\n")
        return before.strip() != after.strip()
    return True


def merge_form(who, post, base, theirs, base_bound, theirs_bound, names, known):
    """Merge one form's fields into `post` ({name: [values]}, changed in place); returns the
    labels of the fields the colleague (`who`) changed and {field: message} of the fields both
    changed. `base` is None when the revision the editor opened is not on record; `known` the
    fields the revision holds."""
    changed, conflicts = [], {}
    for name in names:
        form_field = theirs.fields[name]
        theirs_values = posted(theirs[name])
        base_values = posted(base[name]) if base is not None and name in known else None
        if base_values == theirs_values:
            continue
        if base_values is None:
            # Nobody can tell who changed it: shown to the editor when the two differ.
            mine = touched(name, form_field, theirs_bound)
        else:
            changed.append(str(form_field.label or name))
            mine = touched(name, form_field, base_bound)
        if not mine:
            for key in set(base_values or {}) | set(theirs_values):
                if key in theirs_values:
                    post[key] = theirs_values[key]
                else:
                    post.pop(key, None)
        elif touched(name, form_field, theirs_bound):
            value = shown(form_field, sum(theirs_values.values(), []))
            if base_values is None:
                said = (
                    f"The saved article has “{value}” here, perhaps from {who}'s save (the "
                    "version you opened does not record this field)."
                )
            else:
                said = f"{who} changed this to “{value}” after you opened the article."
            conflicts[name] = (
                f"{said} What you typed is kept here: change it, or save again to keep yours."
            )
    return changed, conflicts


def merge_article(merge, data, request, form_class, article, parts):
    """The article's own fields."""
    names = [n for n in form_class.base_fields if n not in NOT_MERGED]
    post = {name: data.getlist(name) for name in data}
    theirs = form_class(instance=article)
    theirs_bound = form_class(data=data, files=request.FILES, instance=article)
    base = base_bound = None
    known = set()
    if parts is not None and str(article.pk) in parts.get(Article, {}):
        instance, m2m, known = parts[Article][str(article.pk)]
        base = form_class(instance=instance, initial=m2m)
        base_bound = form_class(data=data, files=request.FILES, instance=instance, initial=m2m)
    changed, conflicts = merge_form(
        merge.who, post, base, theirs, base_bound, theirs_bound, names, known
    )
    merge.changes += changed
    if conflicts:
        merge.conflicts[""] = conflicts
    for name in set(data) - set(post):
        del data[name]
    for name, values in post.items():
        data.setlist(name, values)


def row_form(formset, instance, data=None, initial=None):
    form = formset.form(
        data=data,
        prefix=ROW,
        instance=instance,
        initial=initial,
        **formset.get_form_kwargs(None),
    )
    formset.add_fields(form, None)
    return form


def merge_rows(merge, data, formset, base_rows):
    """One formset's rows: matched by id, merged field by field, renumbered on the form."""
    prefix = formset.prefix
    kind = KINDS[formset.model]
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", ""))
        initial = int(data.get(f"{prefix}-INITIAL_FORMS", ""))
    except ValueError:
        return  # the formset reports its own broken management form
    theirs_rows = {str(row.pk): row for row in formset.get_queryset()}
    order = getattr(formset, "default_order_field", None)
    names = [n for n in formset.form.base_fields if n not in NOT_MERGED]
    rows = []  # (pk or None, {suffix: [values]}, conflicts, old place of a new row)
    posted_rows = defaultdict(dict)
    for name in data:
        place, _, suffix = name.removeprefix(f"{prefix}-").partition("-")
        if name.startswith(f"{prefix}-") and place.isdigit() and suffix:
            posted_rows[int(place)][f"-{suffix}"] = data.getlist(name)
    posted_pks = set()
    reordered_by_editor = False
    pending = []
    # As many rows as the formset itself would read.
    for index in range(min(total, formset.absolute_max)):
        start = f"{prefix}-{index}-"
        row = posted_rows.get(index, {})
        pk = (row.get("-id") or [""])[0] if index < initial else ""
        if not pk:
            rows.append((None, row, {}, index))
            continue
        posted_pks.add(pk)
        base_row = None if base_rows is None else base_rows.get(pk)
        if pk not in theirs_rows:
            take_off(merge, kind, formset, base_row, data, start)
            continue
        pending.append((pk, row, start, base_row))
        if order and base_row is not None:
            base_position = str(getattr(base_row[0], order))
            if (row.get(f"-{order}") or [""])[0] != base_position:
                reordered_by_editor = True
    colleague_reordered = False
    for pk, row, start, base_row in pending:
        theirs_row = theirs_rows[pk]
        post = renamed(row, "", ROW)
        bound_data = renamed_querydict(data, start, f"{ROW}-")
        theirs = row_form(formset, theirs_row)
        theirs_bound = row_form(formset, theirs_row, data=bound_data)
        base = base_bound = None
        known = set()
        if base_row is not None:
            instance, m2m, known = base_row
            base = row_form(formset, instance, initial=m2m)
            base_bound = row_form(formset, instance, data=bound_data, initial=m2m)
        row_names = names
        if order:
            if base_row is not None and getattr(base_row[0], order) != getattr(theirs_row, order):
                colleague_reordered = True
            if reordered_by_editor:
                row_names = [n for n in names if n != order]
        changed, conflicts = merge_form(
            merge.who, post, base, theirs, base_bound, theirs_bound, row_names, known
        )
        changed = [c for c in changed if c.lower() != (order or "")]
        if changed:
            merge.changes.append(f"{kind} “{theirs_row}” ({', '.join(changed).lower()})")
        rows.append((pk, renamed(post, ROW, ""), conflicts, None))
    for pk, theirs_row in theirs_rows.items():
        if pk in posted_pks:
            continue
        form = row_form(formset, theirs_row)
        row = {}
        for name in form.fields:
            if name != "DELETE":
                row.update(renamed(posted(form[name]), ROW, ""))
        row["-id"] = [pk]
        rows.append((pk, row, {}, None))
        if base_rows is None or pk not in base_rows:
            merge.changes.append(f"added {kind} “{theirs_row}”")
    if colleague_reordered:
        merge.changes.append(
            f"the order of the {kind}s" + (" (your order is kept)" if reordered_by_editor else "")
        )
    existing = [r for r in rows if r[0] is not None]
    if order:
        # The saved rows in the merged order, numbered 1, 2, 3…: the editor's order and a row
        # the colleague put at the same place would otherwise share a position, and the save
        # would be refused again.
        existing.sort(key=lambda r: placed_last_if_none(r[1].get(f"-{order}")))
        for position, (_, row, _, _) in enumerate(existing, start=1):
            row[f"-{order}"] = [str(position)]
    added = [r for r in rows if r[0] is None]
    if order:
        # A row the editor added where a saved row now stands goes to the end instead.
        taken = {position_of(r[1].get(f"-{order}")) for r in existing}
        for _, row, _, _ in added:
            if position_of(row.get(f"-{order}")) in taken - {0}:
                row[f"-{order}"] = ["0"]
            taken.add(position_of(row.get(f"-{order}")))
    rows = existing + added
    for name in [
        n for n in data if n.startswith(f"{prefix}-") and n[len(prefix) + 1 :][:1].isdigit()
    ]:
        del data[name]
    for index, (_, row, conflicts, old) in enumerate(rows):
        if old is not None:
            merge.renumbered[f"{SectionChoiceField.NEW}{prefix}-{old}"] = (
                f"{SectionChoiceField.NEW}{prefix}-{index}"
            )
        for suffix, values in row.items():
            data.setlist(f"{prefix}-{index}{suffix}", values)
        if conflicts:
            merge.conflicts[f"{prefix}-{index}"] = conflicts
    data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
    data[f"{prefix}-INITIAL_FORMS"] = str(len(existing))


def position_of(values):
    try:
        return int((values or ["0"])[0])
    except ValueError:
        return 0


def placed_last_if_none(values):
    """A sort key: by position, a row posted without one (or at 0) after the others."""
    position = position_of(values)
    return (position == 0, position)


def renamed_querydict(data, old, new):
    """A row's posted data under another prefix, for a form of that row alone."""
    result = data.copy()
    for name in list(result):
        if name.startswith(old):
            result.setlist(new + name[len(old) :], data.getlist(name))
    return result


def take_off(merge, kind, formset, base_row, data, start):
    """A row the colleague deleted leaves the form; what the editor changed in it is named."""
    if base_row is None:
        merge.notes.append(f"A {kind} on your form no longer exists; it was taken off the form.")
        return
    instance, m2m, known = base_row
    bound = row_form(formset, instance, data=renamed_querydict(data, start, f"{ROW}-"), initial=m2m)
    deleting = bool(data.get(start + "DELETE"))  # the editor was deleting it too
    mine = [
        f"{bound.fields[n].label}: “{shown(bound.fields[n], data.getlist(start + n))}”"
        for n in formset.form.base_fields
        if n in known and not deleting and touched(n, bound.fields[n], bound)
    ]
    merge.changes.append(f"deleted {kind} “{instance}”")
    if mine:
        merge.notes.append(
            f"{merge.who} deleted the {kind} “{instance}”, so your changes to it are not on this "
            f"form; you typed {'; '.join(mine)}."
        )


# What the editor is told.


def refusal(merge, article, version, seen_pk):
    """The messages of a refused save: who saved when, what they changed (when known), what was
    taken off the form, and a link comparing the revision the editor opened with theirs."""
    when = format_date(timezone.localtime(version.revision.date_created), "F j, Y, H:i")
    who = display_name(version.revision.user)
    query = {"a": seen_pk, "b": version.pk} if seen_pk else {"b": version.pk}
    url = reverse("admin:explainers_article_compare", args=[article.pk]) + "?" + urlencode(query)
    if merge is None:
        return [
            format_html(
                "{} saved this article at {}, after you opened it. Your changes are not saved; "
                "they are still on this form. Compare <a href='{}' target='_blank'>the version "
                "you opened with theirs</a>, then save again to keep yours.",
                who,
                when,
                url,
            )
        ]
    if merge.seen is None:
        changed = (
            "The version you opened is not on record, so where your form and theirs differ the "
            "field is marked with their value."
        )
    elif merge.changes:
        changed = format_html(
            "They changed: {}. Their changes are now on this form, with yours.",
            format_html_join("; ", "{}", ((c[:1].upper() + c[1:],) for c in merge.changes)),
        )
    else:
        changed = "As far as the revisions tell, they changed nothing that is on this form."
    both = (
        " Where you both changed the same field, it is marked with their version; yours is "
        "still in the field."
        if merge.conflicts
        else ""
    )
    main = format_html(
        "{} saved this article at {}, after you opened it. {}{} Your changes are not saved yet: "
        "check the form, then save again. Compare <a href='{}' target='_blank'>the version you "
        "opened with theirs</a>.",
        who,
        when,
        changed,
        both,
        url,
    )
    return [main, *merge.notes]


def mark_conflicts(merge, formsets):
    """Put the conflicts found in the parts on their own fields of the admin's formsets."""
    for formset in formsets:
        for form in formset.forms:
            conflicts = merge.conflicts.get(form.prefix)
            if conflicts:
                formset.is_valid()  # the rows are cleaned before errors are added to them
                for name, message in conflicts.items():
                    if name in form.fields:
                        form.add_error(name, message)

"""
The admin's forms: the article form with its concurrent-edit check and the status rule, the
formsets of its parts, and the import, schedule and share-link forms.

The role rules themselves are in explainers.workflow; these forms only ask it.
"""

import datetime
from types import SimpleNamespace

from adminsortable2.admin import CustomInlineFormSetMixin
from django import forms
from django.conf import settings
from django.contrib.admin.widgets import (
    AdminSplitDateTime,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import F
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from . import importer, workflow
from .models import (
    Article,
    QuestionSection,
    ShareLink,
    anchor_for,
    answer_link_problems,
    article_problems,
    link_problems,
    quote_problems,
    section_problems,
)
from .richtext import sanitize_html

# Rows whose position changes are moved this far out of the way first, so that swapping two
# questions never trips the unique (article, position) constraint half-way through the save.
PARKING_OFFSET = 10000


def display_name(user):
    return (user.get_full_name() or user.get_username()) if user else "Someone"


class SectionChoiceField(forms.ModelChoiceField):
    """One of the article's saved questions, or ("new-sections-2") one typed on the same page:
    that question form's unsaved question, which has its id by the time the quote or note that
    points at it is saved."""

    NEW = "new-"
    resolve_new = None

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(self.NEW) and self.resolve_new:
            return self.resolve_new(value.removeprefix(self.NEW))
        return super().to_python(value)


def could_be_key(form_field, value):
    """Whether `value` (as posted) could be the key of a row offered by a model choice field.

    A number past the database's integer range (or not a number at all, for an integer key) is
    no row's: Django turns such an `exact` lookup into an empty result, but an `__in` lookup sends
    it to the database, where SQLite raises OverflowError and PostgreSQL a DataError. The fields
    and widgets below leave such values out before they query."""
    model = form_field.queryset.model
    key = model._meta.get_field(form_field.to_field_name) if form_field.to_field_name else None
    key = key or model._meta.pk
    try:
        value = key.to_python(value)
    except ValidationError:
        return False
    if isinstance(value, int):
        low, high = connections[form_field.queryset.db].ops.integer_field_range(
            key.get_internal_type()
        )
        return (low is None or value >= low) and (high is None or value <= high)
    return True


class CheckedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several rows (the admin's autocomplete fields) where a value no row could have
    is "Select a valid choice", not a database error."""

    def _check_values(self, value):
        for pk in value:
            if not could_be_key(self, pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class CheckedAutocompleteMixin:
    """The admin's autocomplete widget shows the chosen rows of a posted form by looking them up
    with `__in`: values no row could have are left out (the field names them as invalid)."""

    def optgroups(self, name, value, attr=None):
        field = self.choices.field
        value = [v for v in value if v in field.empty_values or could_be_key(field, v)]
        return super().optgroups(name, value, attr)


class CheckedAutocompleteSelect(CheckedAutocompleteMixin, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(CheckedAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class ArticleChildFormSet(CustomInlineFormSetMixin, BaseInlineFormSet):
    """A formset of an article's parts; the ordered ones (questions, quotes) are dragged into
    order, their position kept in a hidden field that django-admin-sortable2 renumbers."""

    def live_forms(self):
        """The rows that will exist after the save, in the order readers will see them."""
        forms_ = [
            form
            for form in self.forms
            if hasattr(form, "cleaned_data")
            and not form.cleaned_data.get("DELETE")
            and (form.instance.pk or form.has_changed())
        ]
        return sorted(forms_, key=lambda form: form.cleaned_data.get("position") or 0)

    def publishing(self):
        return self.instance.status == Article.Status.PUBLISHED

    # The question formset of the same submission, set by ArticleAdmin.link_formsets(): quotes
    # and notes may be placed in questions typed on the page and not saved yet.
    section_formset = None

    def limit_to_own_sections(self, form, empty_label):
        """A quote or note may only point at one of this article's own questions; no question
        (`empty_label`) means the lead or the article as a whole. A question typed on the same
        page and not saved yet is chosen as "new-<its form's prefix>" (the page's script offers
        those as they are typed), and resolved to that form's question (see new_section)."""
        old = form.fields["section"]
        field = form.fields["section"] = SectionChoiceField(
            QuestionSection.objects.filter(article=self.instance)
            if self.instance.pk
            else QuestionSection.objects.none(),
            required=False,
            empty_label=empty_label,
            label=old.label,
            help_text=old.help_text,
            widget=old.widget,
        )
        field.resolve_new = self.new_section
        chosen = form.data.get(form.add_prefix("section"), "") if form.is_bound else ""
        if chosen.startswith(SectionChoiceField.NEW):
            # Kept for the page's script, which offers the typed questions again.
            widget = getattr(field.widget, "widget", field.widget)  # inside the admin's wrapper
            widget.attrs["data-new-section"] = chosen

    def new_section(self, prefix):
        """The question of the question form `prefix` on this page, saved just before the quotes
        and notes (the admin saves formsets in inline order), or a ValidationError."""
        questions = self.section_formset
        if questions is None:
            raise ValidationError(
                "Questions not saved yet cannot be chosen here; save the article first.",
                code="new_section",
            )
        questions.is_valid()  # cleans each question form once, whatever order formsets run in
        form = next((f for f in questions.extra_forms if f.prefix == prefix), None)
        if form is None or form not in questions.live_forms():
            raise ValidationError(
                "The new question chosen here is no longer on the page (it was removed, or its "
                "question left empty): choose another question.",
                code="new_section",
            )
        return form.instance


class SectionFormSet(ArticleChildFormSet):
    def clean(self):
        # Positions are settled before the inherited uniqueness check, so that new questions
        # left at 0 are placed rather than reported as duplicates.
        if not any(self.errors):
            self.place_new_questions()
            self.make_missing_anchors()
        super().clean()
        if any(self.errors) or not self.publishing():
            return
        answers = [
            (f.cleaned_data["question"], sanitize_html(f.cleaned_data.get("answer", "")))
            for f in self.live_forms()
        ]
        problems = section_problems(answers) + answer_link_problems(a for _, a in answers)
        if problems:
            raise ValidationError(["Cannot publish: " + p for p in problems])

    def place_new_questions(self):
        """New questions left at position 0 go to the end, in the order they were typed. A
        position posted empty (a forged form; browsers send "0") counts as 0, and a saved
        question posted without one goes to the end too rather than failing the save."""
        live = self.live_forms()
        last = max((f.cleaned_data.get("position") or 0 for f in live), default=0)
        for form in self.forms:
            position = form.cleaned_data.get("position") if form in live else 0
            if form in live and (position is None or not (form.instance.pk or position)):
                last += 1
                form.cleaned_data["position"] = form.instance.position = last
        positions = [f.cleaned_data["position"] for f in live]
        duplicates = sorted({p for p in positions if positions.count(p) > 1})
        if duplicates:
            raise ValidationError(
                f"Two questions have the same position ({', '.join(map(str, duplicates))}); "
                "give each question its own number."
            )

    def make_missing_anchors(self):
        """Questions whose anchor was left empty get one made from their words, unlike every
        other anchor of the article (on the page or saved), before the uniqueness check would
        count two empty anchors as the same. An anchor typed twice is named on its own field."""
        live = self.live_forms()
        typed = [f.cleaned_data.get("anchor") for f in live if f.cleaned_data.get("anchor")]
        for form in live:
            anchor = form.cleaned_data.get("anchor")
            if anchor and typed.count(anchor) > 1:
                form.add_error(
                    "anchor", f"Another question of this article has the anchor “{anchor}”."
                )
        taken = set(typed)
        if self.instance.pk:
            kept = {f.instance.pk for f in live if f.instance.pk}
            gone = [f.instance.pk for f in self.initial_forms if f.instance.pk not in kept]
            taken |= set(
                QuestionSection.objects.filter(article=self.instance)
                .exclude(pk__in=[*kept, *gone])
                .values_list("anchor", flat=True)
            )
        for form in live:
            if not form.cleaned_data.get("anchor"):
                anchor = anchor_for(form.cleaned_data.get("question", ""), taken)
                form.cleaned_data["anchor"] = form.instance.anchor = anchor
                taken.add(anchor)

    def save_existing_objects(self, commit=True):
        if commit:
            moving = [
                form.instance.pk
                for form in self.initial_forms
                if form.instance.pk
                and (self._should_delete_form(form) or "position" in form.changed_data)
            ]
            QuestionSection.objects.filter(pk__in=moving).update(
                position=F("position") + PARKING_OFFSET
            )
        return super().save_existing_objects(commit)


class QuoteFormSet(ArticleChildFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        self.limit_to_own_sections(form, "The lead")

    def clean(self):
        super().clean()
        if any(self.errors) or not self.publishing():
            return
        problems = quote_problems(
            (f.cleaned_data.get("text", ""), f.cleaned_data.get("speaker"))
            for f in self.live_forms()
        )
        if problems:
            raise ValidationError(["Cannot publish: " + p for p in problems])


class NoteFormSet(ArticleChildFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        self.limit_to_own_sections(form, "The whole article")

    def save_new(self, form, commit=True):
        # A new note's date starts as the moment its form was opened; left as it was, the note
        # is dated when it is saved (a correction written over an hour says so at its end).
        if "noted_at" not in form.changed_data:
            form.instance.noted_at = timezone.now()
        return super().save_new(form, commit)


class SectionForm(forms.ModelForm):
    mark_updated = forms.BooleanField(
        required=False,
        label="Mark as updated now",
        help_text="Tick when the answer changed after publication; readers see “Updated”.",
    )

    def save(self, commit=True):
        if self.cleaned_data.get("mark_updated"):
            self.instance.revised_at = timezone.now()
        return super().save(commit)


class ShareLinkForm(forms.ModelForm):
    class Meta:
        model = ShareLink
        fields = ("expires_at", "revoked")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["expires_at"].initial = timezone.now() + datetime.timedelta(days=7)


def latest_version(article):
    """The newest revision of an article: every save of it creates one."""
    return Version.objects.get_for_object(article).select_related("revision__user").first()


class ImportExplainerForm(forms.Form):
    """The text of an explainer, pasted or as a .txt file (read as UTF-8 whatever its name or
    declared type claims; the importer refuses anything else)."""

    MAX_BYTES = importer.MAX_BYTES  # the same cap as pasted text

    text = forms.CharField(
        label="Paste the explainer",
        required=False,
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false"}),
        help_text="The format import_explainer reads: headline, By line, date, lead, questions.",
    )
    upload = forms.FileField(label="…or upload a .txt file", required=False)
    language = forms.ChoiceField(
        label="Language",
        required=False,
        choices=lambda: [("", "Detect from the text"), *settings.LANGUAGES],
        help_text="The language the explainer is written in.",
    )

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload:
            if upload.size > self.MAX_BYTES:
                raise ValidationError(
                    f"The file is {upload.size:,} bytes; an explainer is at most "
                    f"{self.MAX_BYTES:,}."
                )
            data["source"] = upload.read()
        elif data.get("text", "").strip():
            data["source"] = data["text"]
        else:
            raise ValidationError("Paste the text of an explainer or choose a file.")
        return data


class ArticleAdminForm(forms.ModelForm):
    # The revision the editor had in front of them; compared, under a row lock, with the newest
    # one when they save, so that nobody overwrites a colleague's work without knowing it.
    seen_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    check_concurrent_edits = True
    # The merge of this save with a colleague's newer one (explainers.merge), set by
    # ArticleAdmin.get_form() when the editor saved over a revision that is no longer the newest.
    merge = None
    # The user saving, set by ArticleAdmin.get_form(): the status rule depends on their role.
    user = None

    # How many characters of a page's title and description search results show: the headline
    # and the summary count against these as they are typed.
    SEARCH_LENGTHS = {"headline": 60, "dek": 160}

    class Meta:
        model = Article
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, length in self.SEARCH_LENGTHS.items():
            if name in self.fields:
                self.fields[name].widget.attrs["data-search-length"] = length
        if "tags" in self.fields:
            # Suggestions come from the admin's autocomplete endpoint, which checks permissions.
            self.fields["tags"].widget.attrs["data-suggest-url"] = (
                reverse("admin:autocomplete")
                + "?app_label=explainers&model_name=article&field_name=tags"
            )
        if self.instance.pk:
            version = latest_version(self.instance)
            self.fields["seen_version"].initial = version.pk if version else None

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.check_concurrent_edits:
            self.refuse_concurrent_edit(cleaned.get("seen_version"))
        if self.user is not None and "status" in cleaned:
            # self.instance still holds the article as saved: the form's values reach it later.
            try:
                workflow.check_status_change(self.user, self.instance, cleaned["status"])
            except workflow.NotAllowed as error:
                self.add_error("status", str(error))
        published_at, expires_at = cleaned.get("published_at"), cleaned.get("expires_at")
        if published_at and expires_at and expires_at <= published_at:
            self.add_error("expires_at", "Take it down after its publication date, not before.")
        if cleaned.get("status") == Article.Status.PUBLISHED:
            # The database rule already reports a missing date; the rest are checked here.
            values = SimpleNamespace(
                published_at=cleaned.get("published_at"),
                hero_photo=cleaned.get("hero_photo"),
                hero_credit=cleaned.get("hero_credit", ""),
            )
            problems = article_problems(values, check_date=False) + link_problems(
                "The lead", sanitize_html(cleaned.get("lead", ""))
            )
            for problem in problems:
                self.add_error(None, "Cannot publish: " + problem)
        return cleaned

    def refuse_concurrent_edit(self, seen):
        # The lock holds until the admin's transaction ends, after this save is written.
        Article.objects.select_for_update().filter(pk=self.instance.pk).exists()
        version = latest_version(self.instance)
        if version is None or version.pk == seen:
            return
        from . import merge as merging  # merge builds forms of this module

        merged = self.merge if self.merge and self.merge.version.pk == version.pk else None
        # The form comes back holding the colleague's changes merged with this editor's (see
        # explainers.merge), now carrying the newest version: saving it again keeps both.
        self.data = self.data.copy()
        self.data[self.add_prefix("seen_version")] = str(version.pk)
        for name, message in (merged.conflicts.get("", {}) if merged else {}).items():
            if name in self.fields:
                self.add_error(name, message)
        raise ValidationError(
            [
                ValidationError(message, code="concurrent_edit")
                for message in merging.refusal(merged, self.instance, version, seen)
            ]
        )


class MergeTagsForm(forms.Form):
    name = forms.CharField(
        label="Merge into",
        max_length=100,
        help_text="The name of the tag to keep: one of those chosen, or a new one.",
    )


def time_zone_note():
    """Which time zone the admin's times are read in, as in “Times are in Europe/Minsk (UTC+3).”
    The site's time zone (settings.TIME_ZONE) is the one the form reads a time in."""
    offset = timezone.localtime().utcoffset()
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    utc = "UTC" if not minutes else f"UTC{'+' if minutes > 0 else '-'}{hours}"
    utc += f":{rest:02d}" if rest else ""
    name = timezone.get_current_timezone_name()
    return f"Times are in {name}." if name == utc else f"Times are in {name} ({utc})."


class ScheduleForm(forms.Form):
    publish_at = forms.SplitDateTimeField(label="Publish at", widget=AdminSplitDateTime)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publish_at"].help_text = time_zone_note()

    def clean_publish_at(self):
        when = self.cleaned_data["publish_at"]
        if when <= timezone.now():
            raise ValidationError(
                "Choose a time in the future; to publish straight away, use “Publish now”."
            )
        return when

"""
The newsroom's admin: one Article page holding the whole explainer, the desk, the import page,
and the records shared by many articles (speakers, sources, authors, tags).

Who may do what is decided in explainers.workflow; every permission method and view here asks it
(django-reversion's history, revision and recover views and taggit's tags included) and writes no
rule of its own. What a change must refresh is carried by the change pipeline
(explainers.changes) from the model signals: nothing here touches a cache.
"""

import json
from types import SimpleNamespace
from urllib.parse import urlencode

from adminsortable2.admin import SortableAdminBase, SortableStackedInline
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminFileWidget
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.forms.formsets import all_valid
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django_prose_editor.widgets import AdminProseEditorWidget
from js_asset import Media as AssetMedia
from reversion.admin import VersionAdmin
from reversion.errors import RevertError
from reversion.models import Version
from taggit.models import Tag

from photos.forms import CleanedImageForm

from . import compare, workflow
from . import merge as merging
from .changelist import BoundedCountPaginator, UsedOnlyListFilter
from .forms import (
    ArticleAdminForm,
    CheckedAutocompleteSelect,
    CheckedAutocompleteSelectMultiple,
    CheckedMultipleChoiceField,
    ImportExplainerForm,
    MergeTagsForm,
    NoteFormSet,
    QuoteFormSet,
    ScheduleForm,
    SectionForm,
    SectionFormSet,
    ShareLinkForm,
)
from .importer import (
    ImportProblem,
    duplicate_message,
    existing_article,
    parse_explainer,
    role_notes,
    save_explainer,
)
from .models import (
    ApiKey,
    Article,
    Author,
    Byline,
    LocalName,
    QuestionSection,
    Quote,
    Redirect,
    ShareLink,
    Source,
    Speaker,
    UpdateNote,
)
from .richtext import RichTextField, sanitize_html
from .views import render_article

# Leads and answers are written in a rich-text editor offering exactly the formatting the server
# keeps (see static/admin/newsroom-editor.js); editors never see HTML.
RICH_TEXT = {RichTextField: {"widget": AdminProseEditorWidget(preset="newsroom")}}


def action_page(model_admin, request, title, template, form, **context):
    """The page a list action shows to ask for more (a time, a name) before it acts; it posts
    the chosen rows back to the action with "apply"."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "form": form,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media + form.media,
        **context,
    }
    return TemplateResponse(request, template, context)


class CheckedAutocomplete:
    """For every admin with autocomplete fields: a posted value no row could have (an id past the
    database's integer range) is "Select a valid choice" on its field, never a database error
    (see forms.could_be_key)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
            kwargs.setdefault("form_class", CheckedMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SharedRecordAdmin(CheckedAutocomplete, admin.ModelAdmin):
    """A record shown on many articles (an author, speaker, source, photo or tag). Anyone with
    the model permission adds one; changing, merging or deleting one that a published or a
    colleague's article shows is an editor's (workflow.can_change_shared)."""

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return workflow.can_change_shared(request.user, obj, "change")

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return super().has_delete_permission(request)
        return workflow.can_change_shared(request.user, obj, "delete")

    def get_inlines(self, request, obj):
        return LocalNameInline.shown(request, super().get_inlines(request, obj))

    def delete_queryset(self, request, queryset):
        # The change list's bulk delete asks each record, like the delete page does.
        if any(not workflow.can_change_shared(request.user, r, "delete") for r in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)


class LocalNameFormSet(BaseGenericInlineFormSet):
    """One name per language: two rows for one language are a form error naming it, not a
    database error (the formset leaves out the record, so the model's unique constraint is
    never checked by the forms)."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            language = form.cleaned_data.get("language")
            if language in seen:
                raise ValidationError(
                    f"Give the name in {workflow.language_name(language)} once: "
                    "two rows have that language."
                )
            seen.add(language)


class LocalNameInline(GenericTabularInline):
    """A speaker's, source's or tag's name in the newsroom's other languages. Part of the
    record: whoever may change the record may change its names (workflow.can_change_shared),
    and on the add page whoever may add one."""

    model = LocalName
    formset = LocalNameFormSet
    extra = 0
    fields = ("language", "name")
    verbose_name = "name in another language"
    verbose_name_plural = "Names in other languages (where they are written otherwise)"

    @classmethod
    def shown(cls, request, inlines):
        """The inlines of a record's page, without this one in the quick-add popup an article's
        form opens (a speaker added while writing): names in other languages come later."""
        if IS_POPUP_VAR in request.GET or IS_POPUP_VAR in request.POST:
            return [inline for inline in inlines if inline is not cls]
        return inlines

    def record_permission(self, request, obj):
        if obj is None:
            opts = self.parent_model._meta
            return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")
        return workflow.can_change_shared(request.user, obj, "change")

    def has_add_permission(self, request, obj=None):
        return self.record_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.record_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.record_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        # Seen by whoever sees the record.
        return self.admin_site.get_model_admin(self.parent_model).has_view_permission(request, obj)


class AuthorForm(CleanedImageForm):
    image_field = "photo"
    photo = forms.FileField(
        required=False,
        widget=AdminFileWidget,
        help_text="JPEG, PNG, WebP or GIF. Location and camera data are removed.",
    )

    class Meta:
        model = Author
        fields = ("name", "slug", "bio", "photo", "user")

    def clean_photo(self):
        return self.clean_upload()


@admin.register(Author)
class AuthorAdmin(SharedRecordAdmin):
    form = AuthorForm
    list_display = ("name", "slug", "user")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("user",)


@admin.register(Speaker)
class SpeakerAdmin(SharedRecordAdmin):
    inlines = (LocalNameInline,)
    list_display = ("name", "usual_role")
    search_fields = ("name", "usual_role")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Source)
class SourceAdmin(SharedRecordAdmin):
    inlines = (LocalNameInline,)
    list_display = ("name", "kind", "publisher", "url")
    list_filter = ("kind",)
    search_fields = ("name", "publisher", "url")


admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(SharedRecordAdmin):
    """Tags, as taggit ships them but with the newsroom's rules: renaming, deleting and merging
    ask the workflow, tag by tag. Replaces taggit's own admin, whose merge view asks nothing."""

    inlines = (LocalNameInline,)
    list_display = ("name", "slug", "article_count")
    ordering = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    actions = ("merge_tags",)

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(article_count=Count("taggit_taggeditem_items"))
        )

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, tag):
        return tag.article_count

    @admin.action(description="Merge selected tags…", permissions=["change"])
    def merge_tags(self, request, queryset):
        tags = list(queryset)
        if any(not workflow.can_change_shared(request.user, tag, "merge") for tag in tags):
            self.message_user(
                request,
                "Merging tags used on published or colleagues' articles is an editor's.",
                messages.ERROR,
            )
            return None
        form = MergeTagsForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            target = workflow.merge_tags(request.user, tags, form.cleaned_data["name"])
            self.message_user(
                request, f"Merged {len(tags)} tag(s) into “{target.name}”.", messages.SUCCESS
            )
            return None
        return action_page(
            self, request, "Merge tags", "admin/taggit/tag/merge.html", form, tags=tags
        )


# Inlines. Each part of an article may be changed only by someone who may change the article.


class CappedInline:
    """An inline formset builds no more than `max_num` rows, far more than a real explainer has:
    a forged TOTAL_FORMS gets Django's "Please submit at most … forms" at once, instead of the
    thousand forms Django builds by default."""

    max_num = 200

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("absolute_max", self.get_max_num(request, obj, **kwargs))
        return super().get_formset(request, obj, **kwargs)


class ArticlePartInline(CappedInline):
    """Inline rows follow the article's own permission: a read-only article has read-only parts."""

    def article_allows(self, request, obj):
        if obj is None:
            return True
        return self.admin_site.get_model_admin(Article).has_change_permission(request, obj)

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self.article_allows(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.article_allows(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.article_allows(request, obj)


class BylineInline(CheckedAutocomplete, ArticlePartInline, admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ("author",)
    max_num = 20
    verbose_name = "author"
    verbose_name_plural = "byline (authors in order)"


class QuestionSectionInline(CheckedAutocomplete, ArticlePartInline, SortableStackedInline):
    model = QuestionSection
    form = SectionForm
    formset = SectionFormSet
    formfield_overrides = RICH_TEXT
    extra = 1
    fields = (
        "anchor",
        "question",
        "answer",
        "sources",
        ("mark_updated", "revised_at"),
    )
    readonly_fields = ("revised_at",)
    autocomplete_fields = ("sources",)

    def get_fields(self, request, obj=None):
        if obj is None:
            # A new article has nothing to mark as updated yet.
            return [
                f for f in super().get_fields(request, obj) if f != ("mark_updated", "revised_at")
            ]
        if self.article_allows(request, obj):
            return super().get_fields(request, obj)
        # Read-only: the answer as readers see it, and no "mark as updated" (a form's tick box).
        # "Updated at" only on articles with an updated answer (and only on the rows that have a
        # value: newsroom.css hides an empty one).
        fields = ("anchor", "question", "formatted_answer", "sources")
        if obj.sections.filter(revised_at__isnull=False).exists():
            fields += ("answer_updated",)
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not self.article_allows(request, obj):
            fields = (*fields, "formatted_answer", "answer_updated")
        return fields

    @admin.display(description="answer")
    def formatted_answer(self, section):
        return mark_safe(sanitize_html(section.answer))

    @admin.display(description="Updated at")
    def answer_updated(self, section):
        if not section.revised_at:
            return mark_safe("")
        return date_format(timezone.localtime(section.revised_at), "DATETIME_FORMAT")


class QuoteInline(CheckedAutocomplete, ArticlePartInline, SortableStackedInline):
    model = Quote
    formset = QuoteFormSet
    extra = 0
    max_num = 400
    fields = (
        ("section", "after_paragraph"),
        "text",
        ("speaker", "speaker_role"),
        ("source", "said_on"),
        "context",
    )
    autocomplete_fields = ("speaker", "source")


class UpdateNoteInline(ArticlePartInline, admin.TabularInline):
    model = UpdateNote
    formset = NoteFormSet
    extra = 0
    fields = ("noted_at", "kind", "section", "text")


class ShareLinkInline(CappedInline, admin.TabularInline):
    """Editors only: a read-only look at an unpublished article for someone without a login."""

    model = ShareLink
    form = ShareLinkForm
    extra = 0
    max_num = 50
    fields = ("expires_at", "revoked", "link", "created_by", "created_at")
    readonly_fields = ("link", "created_by", "created_at")
    verbose_name_plural = "share links (read-only previews for people without a login)"

    def has_view_permission(self, request, obj=None):
        return workflow.can_share(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj):
        return workflow.can_share(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return workflow.can_share(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return workflow.can_share(request.user) and super().has_delete_permission(request, obj)

    @admin.display(description="link")
    def link(self, share_link):
        if not share_link.pk:
            return "Saved with the article."
        state = "active" if share_link.is_active() else "not working"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a> ({})',
            share_link.share_url(),
            share_link.share_url(),
            state,
        )


class StateFilter(admin.SimpleListFilter):
    """Where an article stands for readers, scheduled and live told apart (the status alone
    does not say whether a published article's date has come)."""

    title = "state"
    parameter_name = "state"
    states = {
        "draft": lambda qs: qs.filter(status=Article.Status.DRAFT),
        "review": lambda qs: qs.filter(status=Article.Status.REVIEW),
        "scheduled": lambda qs: qs.scheduled(),
        "live": lambda qs: qs.published(),
        "unpublished": lambda qs: qs.filter(status=Article.Status.UNPUBLISHED),
        "expired": lambda qs: qs.expired(),
    }

    def lookups(self, request, model_admin):
        return [
            ("draft", "Draft"),
            ("review", "In review"),
            ("scheduled", "Scheduled"),
            ("live", "Published and live"),
            ("unpublished", "Unpublished"),
            ("expired", "Taken down at their expiry time"),
        ]

    def queryset(self, request, queryset):
        choose = self.states.get(self.value())
        return choose(queryset) if choose else queryset


def translations_of(user, article):
    """The story's other language versions as its change page lists them: language, headline
    (linked when the user may open it), status, and whether it is out of date — its original
    was corrected or updated for readers after the translation was last saved."""
    rows = []
    versions = (
        article.versions()
        .select_related("translated_from")
        .prefetch_related("translated_from__notes", "translated_from__sections")
    )
    for version in versions:
        original = version.translated_from
        corrected = original.last_updated() if original else None
        rows.append(
            {
                "language": workflow.language_name(version.language),
                # A colleague's draft the user may not open is listed by its language alone.
                "headline": version.headline if workflow.can_view(user, version) else None,
                # Its admin page if the user's admin lists it, else its public page if it has one.
                "url": reverse("admin:explainers_article_change", args=[version.pk])
                if workflow.in_admin(user, Article.objects.filter(pk=version.pk)).exists()
                else (version.get_absolute_url() if version.is_published() else None),
                "status": version.get_status_display(),
                "original": version.translated_from_id == article.pk,
                "out_of_date": bool(corrected and corrected > version.updated_at),
            }
        )
    return rows


@admin.register(Article)
class ArticleAdmin(CheckedAutocomplete, SortableAdminBase, VersionAdmin):
    form = ArticleAdminForm
    formfield_overrides = RICH_TEXT
    change_list_template = "admin/explainers/article/change_list.html"
    inlines = (BylineInline, QuestionSectionInline, QuoteInline, UpdateNoteInline, ShareLinkInline)
    list_display = ("headline", "state", "published_at", "author_names", "question_count")
    # Authors and tags are offered only as they appear on the articles this user is listed
    # (get_queryset, which asks workflow.in_admin): a reporter's filters name no colleague's.
    list_filter = (
        StateFilter,
        ("authors", UsedOnlyListFilter),
        ("tags", UsedOnlyListFilter),
    )
    search_fields = ("headline", "dek", "sections__question")
    date_hierarchy = "published_at"
    # At any size of archive (explainers.changelist): no count of every article, twice.
    paginator = BoundedCountPaginator
    show_full_result_count = False
    prepopulated_fields = {"slug": ("headline",)}
    autocomplete_fields = ("lead_sources", "hero_photo")
    readonly_fields = ("hero_preview", "created_at", "updated_at")
    actions = ("publish_now", "schedule", "unpublish", "send_back_to_draft", "submit_for_review")
    history_latest_first = True

    class Media:
        js = ["admin/newsroom-article.js"]  # newsroom.css is on every admin page (base_site.html)

    object_history_template = "admin/explainers/article/object_history.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kicker",
                    "headline",
                    "slug",
                    "dek",
                    "lead",
                    "lead_sources",
                    "tags",
                    "seen_version",
                )
            },
        ),
        (
            "Publication",
            {"fields": ("status", "published_at", "expires_at", ("created_at", "updated_at"))},
        ),
        (
            "Hero photo",
            {"fields": ("hero_photo", "hero_preview", "hero_caption", "hero_credit")},
        ),
        ("Credits", {"fields": ("contributed_by", "original_url")}),
    )

    def action_checkbox(self, obj):
        """Django's checkbox column, written out: rendering a widget through the form renderer
        for each of a hundred rows was most of the list's cost (bench/scale.py)."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    # Who sees and may change what.

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            # A correlated count, worked out for the rows on the page only (a join and GROUP BY
            # would count every section of every article first).
            .annotate(
                question_total=Subquery(
                    QuestionSection.objects.filter(article=OuterRef("pk"))
                    .order_by()
                    .values("article")
                    .annotate(total=Count("pk"))
                    .values("total")
                )
            )
            .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")))
        )
        return workflow.in_admin(request.user, queryset)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or workflow.can_view(request.user, obj))

    def has_add_permission(self, request):
        return workflow.can_add(request.user)

    def has_change_permission(self, request, obj=None):
        return workflow.can_edit(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return workflow.can_delete(request.user, obj)

    def has_publish_permission(self, request):
        return workflow.can_publish(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        merge = getattr(request, "newsroom_merge", None)
        return type(form.__name__, (form,), {"user": request.user, "merge": merge})

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            allowed = workflow.statuses_for(request.user)
            kwargs["choices"] = [c for c in Article.Status.choices if c[0] in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not workflow.may_set_publication_date(request.user):
            fields += ("published_at",)
        if not workflow.may_set_expiry(request.user):
            fields += ("expires_at",)
        if self.read_only(request, obj):
            fields += ("formatted_lead",)
        return fields

    def read_only(self, request, obj):
        """An article this user may open but not change: its page shows it, with no form."""
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.read_only(request, obj):
            return fieldsets
        # The lead as readers see it; the form's hidden revision number is nothing to read.
        shown = []
        for name, options in fieldsets:
            fields = [
                "formatted_lead" if f == "lead" else f
                for f in options["fields"]
                if f != "seen_version"
            ]
            shown.append((name, {**options, "fields": fields}))
        return shown

    @admin.display(description="lead")
    def formatted_lead(self, article):
        return mark_safe(sanitize_html(article.lead))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        # A restore puts back every field before the form runs; those the user's role may not
        # set keep the values they had (see revision_view).
        for name, value in getattr(request, "newsroom_kept", {}).items():
            setattr(obj, name, value)
        super().save_model(request, obj, form, change)

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        self.link_formsets(formsets)
        if getattr(request, "newsroom_merge", None):
            merging.mark_conflicts(request.newsroom_merge, formsets)
        return formsets, inline_instances

    def _changeform_view(self, request, object_id, form_url, extra_context):
        """A save over a colleague's newer one is first merged with it (explainers.merge), with
        the article's row locked: the form and formsets are built from the merged data, so the
        refused form comes back holding both editors' changes."""
        if hasattr(request, "newsroom_kept_tags"):
            # A restore, reverted already: the tags it does not record are put back before the
            # form reads them (see revision_view).
            article, tags = request.newsroom_kept_tags
            article.tags.set(tags)
        if (
            request.method == "POST"
            and object_id is not None
            and "_saveasnew" not in request.POST
            and not hasattr(request, "newsroom_restoring")
        ):
            article = self.get_object(request, unquote(object_id))
            if article is not None and self.has_change_permission(request, article):
                request.newsroom_merge = merging.stale_post(self, request, article)
                if request.newsroom_merge:
                    request.POST = request.newsroom_merge.data
        return super()._changeform_view(request, object_id, form_url, extra_context)

    @staticmethod
    def link_formsets(formsets):
        """Quotes and notes may be placed in questions typed on the same page: their formsets
        find those questions in the question formset of the same submission."""
        questions = next((f for f in formsets if isinstance(f, SectionFormSet)), None)
        for formset in formsets:
            if isinstance(formset, (QuoteFormSet, NoteFormSet)):
                formset.section_formset = questions

    def save_related(self, request, form, formsets, change):
        # Formsets are saved in inline order: bylines, questions, then the quotes and notes that
        # may point at the questions just saved (see QuoteFormSet).
        super().save_related(request, form, formsets, change)
        workflow.sign_own_article(request.user, form.instance)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ShareLink:
            return super().save_formset(request, form, formset, change)
        for link in formset.save(commit=False):
            link.created_by = link.created_by or request.user
            link.save()
        for link in formset.deleted_objects:
            link.delete()

    def render_change_form(self, request, context, *args, **kwargs):
        # The editor's import map is an inline script: it carries this response's CSP nonce.
        nonce = getattr(request, "csp_nonce", "")
        context["media"] = AssetMedia.from_media(context["media"], nonce=str(nonce))
        return super().render_change_form(request, context, *args, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The change page, with the publish checklist of the article as saved, headed by where
        the article stands: live, scheduled, or how far from publishing."""
        article = self.get_object(request, unquote(object_id))
        if article is not None:
            checklist = article.publish_checklist(
                may_set_date=workflow.may_set_publication_date(request.user)
            )
            if article.is_published():
                heading = f"Published: live since {workflow.moment(article.published_at)}"
            elif article.status == Article.Status.PUBLISHED:
                heading = f"Scheduled for {workflow.moment(article.published_at)}"
            elif any(check.problems for check in checklist):
                heading = "Before this can be published"
            else:
                heading = "Ready to publish"
            extra_context = {
                "publish_checklist": checklist,
                "publish_checklist_heading": heading,
                "translations": translations_of(request.user, article),
                "translate_into": workflow.missing_languages(article)
                if workflow.can_translate(request.user, article)
                else [],
                "language_name": workflow.language_name(article.language),
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def translate_view(self, request, object_id):
        """Start this story's version in another language (POSTed from the change page's
        "Translate into …" button), then open it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise PermissionDenied
        language = request.POST.get("_translate_into", "")
        try:
            copy = workflow.translate(request.user, article, language)
        except workflow.NotAllowed:
            raise PermissionDenied from None
        except workflow.Refused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return redirect(reverse("admin:explainers_article_change", args=[article.pk]))
        self.message_user(
            request,
            f"A draft in {workflow.language_name(language)} is ready, linked to “{article}”: "
            "rewrite its headline, summary, lead, questions, answers and quotes.",
            messages.SUCCESS,
        )
        return redirect(reverse("admin:explainers_article_change", args=[copy.pk]))

    # The desk on the admin's home page.

    DESK_SIZE = 8

    def desk(self, request):
        """What the newsroom is working on, as this user may see it: articles waiting in review
        (longest waiting first), scheduled ones in the order they go out, the latest published,
        and the user's own drafts. Each heading links to the full list in the article list."""
        if not self.has_view_or_change_permission(request):
            return None
        articles = self.get_queryset(request)
        own = workflow.own_articles(request.user)
        changelist = reverse("admin:explainers_article_changelist")

        def more(state):
            return f"{changelist}?{urlencode({StateFilter.parameter_name: state})}"

        shelves = [
            (
                "In review",
                StateFilter.states["review"](articles)
                .select_related("created_by")
                .order_by("updated_at"),
                "updated",
                more("review"),
            ),
            (
                "Scheduled",
                StateFilter.states["scheduled"](articles).order_by("published_at"),
                "goes out",
                more("scheduled"),
            ),
            (
                "Latest published",
                StateFilter.states["live"](articles).order_by("-published_at"),
                "published",
                more("live"),
            ),
            (
                "Your drafts",
                StateFilter.states["draft"](articles).filter(pk__in=own).order_by("-updated_at"),
                "updated",
                more("draft"),
            ),
        ]
        desk = [
            SimpleNamespace(
                title=title, articles=list(queryset[: self.DESK_SIZE]), when=when, more=more
            )
            for title, queryset, when, more in shelves
        ]
        desk[0].submitters = True
        self.find_submitters(desk[0].articles)
        return desk

    def find_submitters(self, articles):
        """Who put each article in review there, as `article.submitted_by`: the user of the
        revision that began its current stay in review (the oldest of its newest revisions in
        review: an editor's later fixes do not count), else its creator. One query for all."""
        versions = (
            Version.objects.get_for_model(Article)
            .filter(object_id__in=[str(article.pk) for article in articles])
            .select_related("revision__user")
            .order_by("-revision__date_created", "-pk")
        )
        by_article = {}
        for version in versions:
            by_article.setdefault(version.object_id, []).append(version)
        for article in articles:
            article.submitted_by = None
            for version in by_article.get(str(article.pk), []):
                try:
                    in_review = version.field_dict.get("status") == Article.Status.REVIEW
                except RevertError:
                    in_review = False
                if not in_review:
                    break
                article.submitted_by = version.revision.user or article.submitted_by
            article.submitted_by = article.submitted_by or article.created_by

    # Undoing a deletion restores any article: an editor's decision.

    def recoverlist_view(self, request, extra_context=None):
        if not workflow.can_recover(request.user):
            raise PermissionDenied
        return super().recoverlist_view(request, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        if not workflow.can_recover(request.user):
            raise PermissionDenied
        return super().recover_view(request, version_id, extra_context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        """django-reversion's "restore this revision" page. It asks the workflow first, before
        reversion reverts anything (even for a GET, which reverts inside a rolled-back
        transaction to show the form): an article the user may not open is not found, without
        its name; one they may open but not restore to this revision is refused."""
        article = self.get_object(request, unquote(object_id))
        version = (
            Version.objects.get_for_object(article).filter(pk=version_id).first()
            if (article is not None and workflow.can_see_history(request.user, article))
            else None
        )
        if version is None:
            raise Http404("No such revision.")
        if not workflow.can_restore(request.user, article, version):
            raise PermissionDenied
        request.newsroom_restoring = version
        request.newsroom_kept = {
            name: getattr(article, name) for name in workflow.kept_on_restore(request.user)
        }
        # Reversion deletes the taggings a revision does not hold; one that does not record
        # tags (merging.recorded_tags) keeps the current ones, put back in _changeform_view.
        if merging.recorded_tags(version) is None:
            request.newsroom_kept_tags = (article, list(article.tags.all()))
        return super().revision_view(request, object_id, version_id, extra_context)

    def construct_change_message(self, request, form, formsets, add=False):
        """Django's "Changed …" for an ordinary edit; a save that took a workflow step (a restore,
        or a change of status or of a published article's date) is named as the step, in the
        workflow's words, followed by Django's words for whatever else changed. The user is told
        the same step (see message_user)."""
        changes = super().construct_change_message(request, form, formsets, add)
        version = getattr(request, "newsroom_restoring", None)
        if version is not None:
            step = ("restore", {"label": compare.revision_label(version)})
        elif add:
            return changes
        else:
            step = workflow.step_for_change(
                form.initial.get("status"), form.initial.get("published_at"), form.instance
            )
            if step is None:
                return changes
            # The step is the status change (and, publishing or scheduling, the date's).
            named = {"status"} | ({"published_at"} if step[0] in ("publish", "schedule") else set())
            labels = {str(form.fields[n].label or n) for n in named if n in form.fields}
            for change in changes:
                if "changed" in change and "name" not in change["changed"]:  # the article's own
                    fields = change["changed"]["fields"]
                    fields[:] = [label for label in fields if label not in labels]
            changes = [c for c in changes if "changed" not in c or c["changed"]["fields"]]
        name, details = step
        request.newsroom_done = workflow.step_done(name, [form.instance], **details)
        rest = LogEntry(change_message=json.dumps(changes)).get_change_message() if changes else ""
        return " ".join(filter(None, [workflow.step_log(name, **details), rest]))

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        # The change form's "…was changed successfully" becomes the step the save took.
        done = getattr(request, "newsroom_done", None)
        if done is not None and level == messages.SUCCESS:
            del request.newsroom_done
            message = done
        super().message_user(request, message, level, *args, **kwargs)

    # Change list.

    @admin.display(description="status", ordering="status")
    def state(self, article):
        if article.is_expired():
            return "Expired"
        if article.status == Article.Status.PUBLISHED and not article.is_published():
            return "Scheduled"
        return article.get_status_display()

    @admin.display(description="authors")
    def author_names(self, article):
        return ", ".join(byline.author.name for byline in article.bylines.all())

    @admin.display(description="questions", ordering="question_total")
    def question_count(self, article):
        return article.question_total

    @admin.display(description="preview")
    def hero_preview(self, article):
        photo = article.hero_photo
        if not photo:
            return "No photo saved yet: choose one above; it shows here once saved."
        return format_html(
            '<img src="{}" alt="{}" class="newsroom-preview">{} — {}',
            photo.fallback["url"],
            photo.alt_text,
            article.hero_caption_text or "(no caption)",
            article.hero_credit_text or "(no credit)",
        )

    # Actions: each article moves through the workflow, which checks the rule and the publish
    # checks, saves a revision and logs it.

    def apply(self, request, queryset, transition, step, *args, **details):
        """Take the workflow `step` on each article; the user is told in the workflow's words."""
        done = []
        for article in queryset:
            try:
                transition(request.user, article, *args)
            except workflow.NotAllowed as error:
                self.message_user(request, f"“{article}”: {error}", messages.ERROR)
            except workflow.Refused as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                done.append(article)
        if done:
            self.message_user(request, workflow.step_done(step, done, **details), messages.SUCCESS)

    @admin.action(description="Publish now", permissions=["publish"])
    def publish_now(self, request, queryset):
        self.apply(request, queryset, workflow.publish, "publish")

    @admin.action(description="Schedule…", permissions=["publish"])
    def schedule(self, request, queryset):
        form = ScheduleForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            when = form.cleaned_data["publish_at"]
            self.apply(
                request, queryset, workflow.schedule, "schedule", when, when=workflow.moment(when)
            )
            return None
        template = "admin/explainers/article/schedule.html"
        return action_page(self, request, "Schedule articles", template, form, articles=queryset)

    @admin.action(description="Unpublish (take down)", permissions=["publish"])
    def unpublish(self, request, queryset):
        articles = queryset.filter(status=Article.Status.PUBLISHED)
        self.apply(request, articles, workflow.unpublish, "unpublish")

    @admin.action(description="Send back to draft", permissions=["publish"])
    def send_back_to_draft(self, request, queryset):
        articles = queryset.exclude(status=Article.Status.DRAFT)
        self.apply(request, articles, workflow.send_back, "send_back")

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        articles = queryset.filter(status=Article.Status.DRAFT)
        self.apply(request, articles, workflow.submit, "submit")

    # Preview of unsaved changes, and comparison of revisions.

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="explainers_article_import"),
            path("add/preview/", view(self.preview_view), name="explainers_article_preview_new"),
            path(
                "<path:object_id>/change/preview/",
                view(self.preview_view),
                name="explainers_article_preview",
            ),
            path(
                "<path:object_id>/translate/",
                view(self.translate_view),
                name="explainers_article_translate",
            ),
            path(
                "<path:object_id>/history/compare/",
                view(self.compare_view),
                name="explainers_article_compare",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Paste or upload an explainer, see what the importer understood, then confirm to
        create a draft. Nothing is written before the confirmation, which parses the text again
        rather than trusting anything the preview page sent back."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta}
        parsed = problem = None
        if request.method == "POST" and request.POST.get("step") in ("preview", "confirm"):
            form = ImportExplainerForm(request.POST, request.FILES)
            if form.is_valid():
                source = form.cleaned_data["source"]
                try:
                    parsed = parse_explainer(source, form.cleaned_data["language"] or None)
                    existing = existing_article(parsed)
                except ImportProblem as error:
                    problem, parsed = error, None
                if parsed and existing:
                    # Names the article only if this user may open it.
                    problem = duplicate_message(parsed, existing, request.user)
                    parsed = None
            if parsed and request.POST["step"] == "confirm":
                result = save_explainer(parsed, user=request.user)
                self.log_addition(request, result.article, "Imported from plain text.")
                self.message_user(
                    request,
                    f"Created the draft “{result.article.headline}” from the imported text.",
                    messages.SUCCESS,
                )
                return redirect(
                    reverse("admin:explainers_article_change", args=[result.article.pk])
                )
            if parsed:
                # The text goes back as a field so the confirmation parses exactly this.
                text = source if isinstance(source, str) else source.decode("utf-8-sig")
                form = ImportExplainerForm(
                    initial={"text": text, "language": form.cleaned_data["language"]}
                )
        else:
            form = ImportExplainerForm()
        context.update(
            title="Import an explainer",
            form=form,
            parsed=parsed,
            lead=[mark_safe(sanitize_html(p)) for p in parsed.lead.paragraphs] if parsed else [],
            sections=[
                (section, [mark_safe(sanitize_html(p)) for p in section.body.paragraphs])
                for section in (parsed.sections if parsed else [])
            ],
            problem=problem,
            placeholders=parsed.placeholders if parsed else [],
            role_notes=role_notes(parsed, request.user) if parsed else [],
        )
        return TemplateResponse(request, "admin/explainers/article/import.html", context)

    def preview_view(self, request, object_id=None):
        """The article as the form now stands, saved and rendered inside a rolled-back transaction.

        Running the real save path means the preview is exactly what readers would get. Uploaded
        files are not read: a preview never writes to storage.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = None
        if object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is None:
                raise Http404("No such article.")
        allowed = (
            self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        form = self.get_form(request, obj, change=obj is not None)(request.POST, instance=obj)
        form.check_concurrent_edits = False
        formsets = []
        for formset_class, inline in self.get_formsets_with_inlines(request, obj):
            prefix = formset_class.get_default_prefix()
            kwargs = self.get_formset_kwargs(request, form.instance, inline, prefix)
            formsets.append(formset_class(**{**kwargs, "files": None}))
        self.link_formsets(formsets)
        if not (form.is_valid() and all_valid(formsets)):
            problems = list(form.non_field_errors()) + [
                f"{form.fields[name].label}: {' '.join(errors)}"
                for name, errors in form.errors.items()
                if name != "__all__"
            ]
            for formset in formsets:
                problems += list(formset.non_form_errors())
                problems += [
                    f"{formset.model._meta.verbose_name}: {' '.join(e)}"
                    for errors in formset.errors
                    for e in errors.values()
                ]
            context = {**self.admin_site.each_context(request), "problems": problems}
            return TemplateResponse(
                request, "admin/explainers/article/preview_errors.html", context
            )
        with transaction.atomic():
            article = form.save()
            for formset in formsets:
                formset.instance = article
                self.save_formset(request, form, formset, change=obj is not None)
            article = Article.objects.for_page().get(pk=article.pk)
            response = render_article(
                request, article, banner="Preview of unsaved changes — not public, not saved"
            )
            transaction.set_rollback(True)
        return response

    def compare_view(self, request, object_id):
        """Two revisions of the article, `?a=<version>&b=<version>` in either order (the older
        is shown first); without them, the two newest. A version that is not one of this
        article's is not found. `?all=1` shows every line, unchanged ones unfolded."""
        article = self.get_object(request, unquote(object_id))
        if article is None or not workflow.can_see_history(request.user, article):
            raise Http404("No such article.")
        versions = Version.objects.get_for_object(article).select_related("revision__user")
        chosen = [request.GET.get("a"), request.GET.get("b")]
        if chosen == [None, None]:
            pair = list(versions[:2])
            if len(pair) < 2:
                raise Http404("This article needs two revisions to compare.")
        else:
            pair = []
            for pk in chosen:
                version = (
                    versions.filter(pk=int(pk)).first()
                    if pk and pk.isascii() and pk.isdigit() and len(pk) <= 18
                    else None
                )
                if version is None:
                    raise Http404("No such revision of this article.")
                pair.append(version)
        older, newer = sorted(pair, key=lambda v: (v.revision.date_created, v.pk))
        show_all = request.GET.get("all") == "1"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compare revisions of “{article}”",
            "opts": self.model._meta,
            "original": article,
            "versions": versions,
            "older": older,
            "newer": newer,
            "older_label": compare.revision_label(older),
            "newer_label": compare.revision_label(newer),
            "comparison": compare.comparison(older, newer, fold=not show_all),
            "show_all": show_all,
            "toggle_query": urlencode(
                {"a": older.pk, "b": newer.pk, **({} if show_all else {"all": "1"})}
            ),
        }
        return TemplateResponse(request, "admin/explainers/article/compare.html", context)

    def history_view(self, request, object_id, extra_context=None):
        article = self.get_object(request, unquote(object_id))
        if not workflow.can_see_history(request.user, article):
            raise Http404("No such article.")
        versions = Version.objects.get_for_object(article).select_related("revision__user")
        context = {
            "versions": versions,
            "may_restore": workflow.can_edit(request.user, article),
            "restores_any": workflow.is_editor(request.user),
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, context)

    def changelist_view(self, request, extra_context=None):
        context = {
            "can_recover": workflow.can_recover(request.user),
            "has_change_permission": self.has_change_permission(request),
            **(extra_context or {}),
        }
        # Not VersionAdmin's: it wraps the whole list in one revision, so a bulk action would
        # put every article it touched into a single revision, and restoring one would revert
        # them all. Each workflow transition records its own revision.
        return super(VersionAdmin, self).changelist_view(request, context)


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("article", "created_by", "created_at", "expires_at", "revoked")
    list_filter = ("revoked",)
    readonly_fields = ("article", "created_by", "created_at")
    fields = ("article", "expires_at", "revoked", "created_by", "created_at")

    def has_add_permission(self, request):
        return False  # share links are made on the article's page

    def has_module_permission(self, request):
        return workflow.can_share(request.user) and super().has_module_permission(request)


class KeyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("live", "Live"), ("revoked", "Revoked"))

    def queryset(self, request, queryset):
        if self.value() in ("live", "revoked"):
            return queryset.filter(revoked_at__isnull=self.value() == "live")
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Content-API keys (explainers.api): made and revoked by editors; the key is shown once,
    when it is made, and only its digest is stored."""

    list_display = (
        "name",
        "hint",
        "user",
        "requests_per_minute",
        "created_at",
        "last_used_at",
        "state",
    )
    list_filter = (KeyStateFilter,)
    fields = (
        "name",
        "user",
        "requests_per_minute",
        "hint",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("hint", "created_by", "created_at", "last_used_at", "revoked_at")
    autocomplete_fields = ()
    actions = ["revoke"]

    def allowed(self, request, obj=None):
        return workflow.can_manage_api_keys(request.user)

    has_module_permission = has_view_permission = has_add_permission = allowed
    has_change_permission = allowed

    def get_readonly_fields(self, request, obj=None):
        # Whom a key acts for is fixed when it is made: a live key is never handed to another.
        return self.readonly_fields + (("user",) if obj else ())

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the list keeps who had access, and until when

    @admin.display(description="state")
    def state(self, key):
        return "Revoked" if key.revoked_at else "Live"

    def save_model(self, request, obj, form, change):
        if not change:
            request.new_api_key = obj.generate()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        # The key is shown on this answer alone: a message would carry it in a cookie or the
        # session, and the admin never caches its pages.
        return TemplateResponse(
            request,
            "admin/explainers/apikey/made.html",
            {
                **self.admin_site.each_context(request),
                "key": obj,
                "secret": request.new_api_key,
                "changelist": reverse("admin:explainers_apikey_changelist"),
                "opts": self.opts,
            },
        )

    @admin.action(description="Revoke the selected keys (they stop working at once)")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key{'s' if count != 1 else ''}.")


# Background tasks (explainers.tasks): the attempts that failed, for admins, read-only. Replaces
# django-tasks-db's own admin, which lists every result to whoever holds its model permission.


@admin.register(Redirect)
class RedirectAdmin(admin.ModelAdmin):
    """The old addresses that send readers on to an article: recorded when a published
    article's slug or date changes, added by editors for addresses from before (an old site's),
    deleted when one should answer 404 again. Editors' (workflow.can_manage_redirects)."""

    list_display = ("old_path", "article", "created_at")
    search_fields = ("old_path", "article__headline", "article__slug")
    autocomplete_fields = ("article",)
    readonly_fields = ("created_at",)

    def allowed(self, request, obj=None):
        return workflow.can_manage_redirects(request.user)

    has_module_permission = has_view_permission = has_add_permission = allowed
    has_change_permission = has_delete_permission = allowed


from django_tasks_db.admin import DBTaskResultAdmin  # noqa: E402 — registers it, replaced below
from django_tasks_db.models import DBTaskResult  # noqa: E402

from . import tasks as background  # noqa: E402

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class FailedTaskAdmin(DBTaskResultAdmin):
    list_display = ("task_name", "attempt", "error", "enqueued_at", "finished_at")
    list_display_links = ("task_name",)
    list_filter = ("task_path",)
    search_fields = ("task_path", "exception_class_path", "traceback")
    ordering = ["-finished_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).failed()

    def has_module_permission(self, request):
        return workflow.can_see_tasks(request.user)

    def has_view_permission(self, request, obj=None):
        return workflow.can_see_tasks(request.user)

    @admin.display(description="attempt")
    def attempt(self, result):
        number = (result.args_kwargs or {}).get("kwargs", {}).get("attempt", 1)
        total = background.attempts()
        outcome = "retry queued" if number < total else "gave up"
        return f"{number} of {total} ({outcome})"

    @admin.display(description="error")
    def error(self, result):
        lines = [line for line in result.traceback.splitlines() if line.strip()]
        return lines[-1] if lines else result.exception_class_path

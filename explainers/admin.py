"""
The newsroom's admin: one Article page holding the whole explainer, with the newsroom's rules.

Roles (see the setup_roles command): reporters write and edit their own drafts and submit them for
review; editors, who hold the `explainers.publish_article` permission, edit everything and
publish, schedule and unpublish. Every rule is enforced here on the server — querysets, form
fields, permissions and actions — so a forged form cannot get around it.
"""

import datetime
import difflib
from types import SimpleNamespace

import reversion
from adminsortable2.admin import CustomInlineFormSetMixin, SortableAdminBase, SortableStackedInline
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.forms.formsets import all_valid
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_prose_editor.widgets import AdminProseEditorWidget
from js_asset import Media as AssetMedia
from reversion.admin import VersionAdmin
from reversion.models import Version

from .importer import ImportProblem, existing_article, parse_explainer, save_explainer
from .models import (
    Article,
    Author,
    Byline,
    QuestionSection,
    Quote,
    ShareLink,
    Source,
    Speaker,
    UpdateNote,
    answer_link_problems,
    article_problems,
    link_problems,
    quote_problems,
    section_problems,
)
from .pagecache import article_groups, invalidate_after_commit, invalidate_article, invalidate_site
from .richtext import RichTextField, html_to_text, sanitize_html, split_blocks
from .views import render_article

# Leads and answers are written in a rich-text editor offering exactly the formatting the server
# keeps (see static/admin/newsroom-editor.js); editors never see HTML.
RICH_TEXT = {RichTextField: {"widget": AdminProseEditorWidget(preset="newsroom")}}

# Rows whose position changes are moved this far out of the way first, so that swapping two
# questions never trips the unique (article, position) constraint half-way through the save.
PARKING_OFFSET = 10000


def can_publish(user):
    return user.has_perm("explainers.publish_article")


def owns(user, article):
    """A reporter's own article: one they created, or whose byline names their author profile."""
    return article.created_by_id == user.pk or article.bylines.filter(author__user=user).exists()


def own_articles(user):
    """The articles `owns` is true of, as a queryset of their ids."""
    return Article.objects.filter(Q(created_by=user) | Q(bylines__author__user=user)).values("pk")


def display_name(user):
    return (user.get_full_name() or user.get_username()) if user else "Someone"


class SiteWideEditAdmin(admin.ModelAdmin):
    """A record shown on many pages (an author, speaker or source): any change to it reaches
    every cached page."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        invalidate_site()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        invalidate_site()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        invalidate_site()


@admin.register(Author)
class AuthorAdmin(SiteWideEditAdmin):
    list_display = ("name", "slug", "user")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("user",)


@admin.register(Speaker)
class SpeakerAdmin(SiteWideEditAdmin):
    list_display = ("name", "usual_role")
    search_fields = ("name", "usual_role")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Source)
class SourceAdmin(SiteWideEditAdmin):
    list_display = ("name", "kind", "publisher", "url")
    list_filter = ("kind",)
    search_fields = ("name", "publisher", "url")


# Inlines. Each part of an article may be changed only by someone who may change the article.


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

    def limit_to_own_sections(self, form, empty_label):
        """A quote or note may only point at one of this article's own questions; no question
        (`empty_label`) means the lead or the article as a whole."""
        form.fields["section"].empty_label = empty_label
        form.fields["section"].queryset = (
            QuestionSection.objects.filter(article=self.instance)
            if self.instance.pk
            else QuestionSection.objects.none()
        )


class SectionFormSet(ArticleChildFormSet):
    def clean(self):
        # Positions are settled before the inherited uniqueness check, so that new questions
        # left at 0 are placed rather than reported as duplicates.
        if not any(self.errors):
            self.place_new_questions()
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
        """New questions left at position 0 go to the end, in the order they were typed."""
        live = self.live_forms()
        last = max((f.cleaned_data["position"] for f in live), default=0)
        for form in self.forms:
            if form in live and not form.instance.pk and not form.cleaned_data.get("position"):
                last += 1
                form.cleaned_data["position"] = form.instance.position = last
        positions = [f.cleaned_data["position"] for f in live]
        duplicates = sorted({p for p in positions if positions.count(p) > 1})
        if duplicates:
            raise ValidationError(
                f"Two questions have the same position ({', '.join(map(str, duplicates))}); "
                "give each question its own number."
            )

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


class ArticlePartInline:
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


class BylineInline(ArticlePartInline, admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ("author",)
    verbose_name = "author"
    verbose_name_plural = "byline (authors in order)"


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


class QuestionSectionInline(ArticlePartInline, SortableStackedInline):
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


class QuoteInline(ArticlePartInline, SortableStackedInline):
    model = Quote
    formset = QuoteFormSet
    extra = 0
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


class ShareLinkForm(forms.ModelForm):
    class Meta:
        model = ShareLink
        fields = ("expires_at", "revoked")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["expires_at"].initial = timezone.now() + datetime.timedelta(days=7)


class ShareLinkInline(admin.TabularInline):
    """Editors only: a read-only look at an unpublished article for someone without a login."""

    model = ShareLink
    form = ShareLinkForm
    extra = 0
    fields = ("expires_at", "revoked", "link", "created_by", "created_at")
    readonly_fields = ("link", "created_by", "created_at")
    verbose_name_plural = "share links (read-only previews for people without a login)"

    def has_view_permission(self, request, obj=None):
        return can_publish(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj):
        return can_publish(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return can_publish(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_publish(request.user) and super().has_delete_permission(request, obj)

    @admin.display(description="link")
    def link(self, share_link):
        if not share_link.pk:
            return "Saved with the article."
        state = "active" if share_link.is_active() else "not working"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a> ({})',
            share_link.get_absolute_url(),
            share_link.get_absolute_url(),
            state,
        )


# The article form.


def latest_version(article):
    """The newest revision of an article: every save of it creates one."""
    return Version.objects.get_for_object(article).select_related("revision__user").first()


class ImportExplainerForm(forms.Form):
    """The text of an explainer, pasted or as a .txt file (read as UTF-8 whatever its name or
    declared type claims; the importer refuses anything else)."""

    MAX_BYTES = 1_000_000

    text = forms.CharField(
        label="Paste the explainer",
        required=False,
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false"}),
        help_text="The format import_explainer reads: headline, By line, date, lead, questions.",
    )
    upload = forms.FileField(label="…or upload a .txt file", required=False)

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
        revision = version.revision
        when = format_date(timezone.localtime(revision.date_created), "F j, Y, H:i")
        # The form comes back with what this editor typed, now carrying the newest version:
        # saving it again, knowingly, replaces the colleague's changes.
        self.data = self.data.copy()
        self.data[self.add_prefix("seen_version")] = str(version.pk)
        raise ValidationError(
            format_html(
                "{} saved this article at {}, after you opened it. Your changes are not saved; "
                "they are still on this form. Compare with <a href='{}' target='_blank'>the "
                "current version</a>, then save again to keep yours.",
                display_name(revision.user),
                when,
                reverse("admin:explainers_article_change", args=[self.instance.pk]),
            ),
            code="concurrent_edit",
        )


class ScheduleForm(forms.Form):
    publish_at = forms.SplitDateTimeField(label="Publish at", widget=AdminSplitDateTime)

    def clean_publish_at(self):
        when = self.cleaned_data["publish_at"]
        if when <= timezone.now():
            raise ValidationError(
                "Choose a time in the future; to publish straight away, use “Publish now”."
            )
        return when


@admin.register(Article)
class ArticleAdmin(SortableAdminBase, VersionAdmin):
    form = ArticleAdminForm
    formfield_overrides = RICH_TEXT
    change_list_template = "admin/explainers/article/change_list.html"
    inlines = (BylineInline, QuestionSectionInline, QuoteInline, UpdateNoteInline, ShareLinkInline)
    list_display = ("headline", "state", "published_at", "author_names", "question_count")
    list_filter = ("status", "authors", "tags")
    search_fields = ("headline", "dek", "sections__question")
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("headline",)}
    autocomplete_fields = ("lead_sources", "hero_photo")
    readonly_fields = ("hero_preview", "created_at", "updated_at")
    actions = ("publish_now", "schedule", "unpublish", "send_back_to_draft", "submit_for_review")
    history_latest_first = True

    class Media:
        css = {"all": ["admin/newsroom.css"]}
        js = ["admin/newsroom-article.js"]

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
        ("Publication", {"fields": ("status", "published_at", ("created_at", "updated_at"))}),
        (
            "Hero photo",
            {"fields": ("hero_photo", "hero_preview", "hero_caption", "hero_credit")},
        ),
        ("Credits", {"fields": ("contributed_by", "original_url")}),
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
        user = request.user
        if can_publish(user):
            return queryset
        return queryset.filter(pk__in=own_articles(user))

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or can_publish(request.user):
            return True
        # Reporters change their own drafts only; once submitted, the editors have it.
        return obj.status == Article.Status.DRAFT and owns(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_publish(request.user)

    def has_publish_permission(self, request):
        return can_publish(request.user)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status" and not can_publish(request.user):
            kwargs["choices"] = [
                (value, label)
                for value, label in Article.Status.choices
                if value in (Article.Status.DRAFT, Article.Status.REVIEW)
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not can_publish(request.user):
            fields += ("published_at",)
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        # Where the article showed before this save: those pages must change too.
        form.cache_groups_before = article_groups(obj.pk) if change else set()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        invalidate_article(form.instance.pk, before=form.cache_groups_before)

    def delete_model(self, request, obj):
        groups = article_groups(obj.pk)
        super().delete_model(request, obj)
        invalidate_after_commit(groups)

    def delete_queryset(self, request, queryset):
        groups = set().union(*(article_groups(pk) for pk in queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)
        invalidate_after_commit(groups)

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
        """The change page, with the publish checklist of the article as saved."""
        article = self.get_object(request, unquote(object_id))
        if article is not None:
            checklist = article.publish_checklist()
            extra_context = {
                "publish_checklist": checklist,
                "ready_to_publish": not any(problems for _, problems in checklist),
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # The desk on the admin's home page.

    DESK_SIZE = 8

    def desk(self, request):
        """What the newsroom is working on, as this user may see it: articles waiting in review
        (longest waiting first), scheduled ones in the order they go out, the latest published,
        and the user's own drafts. Each heading links to the full list in the article list."""
        if not self.has_view_or_change_permission(request):
            return None
        articles = self.get_queryset(request)
        user = request.user
        changelist = reverse("admin:explainers_article_changelist")
        shelves = [
            (
                "In review",
                articles.filter(status=Article.Status.REVIEW).order_by("updated_at"),
                "updated",
                f"{changelist}?status__exact={Article.Status.REVIEW}",
            ),
            (
                "Scheduled",
                articles.scheduled().order_by("published_at"),
                "goes out",
                f"{changelist}?status__exact={Article.Status.PUBLISHED}&o=-3",
            ),
            (
                "Latest published",
                articles.published().order_by("-published_at"),
                "published",
                f"{changelist}?status__exact={Article.Status.PUBLISHED}&o=-3",
            ),
            (
                "Your drafts",
                articles.filter(status=Article.Status.DRAFT, pk__in=own_articles(user)).order_by(
                    "-updated_at"
                ),
                "updated",
                f"{changelist}?status__exact={Article.Status.DRAFT}",
            ),
        ]
        return [
            SimpleNamespace(
                title=title, articles=list(queryset[: self.DESK_SIZE]), when=when, more=more
            )
            for title, queryset, when, more in shelves
        ]

    # Undoing a deletion restores any article: an editor's decision.

    def recoverlist_view(self, request, extra_context=None):
        if not can_publish(request.user):
            raise PermissionDenied
        return super().recoverlist_view(request, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        if not can_publish(request.user):
            raise PermissionDenied
        return super().recover_view(request, version_id, extra_context)

    # Change list.

    @admin.display(description="status", ordering="status")
    def state(self, article):
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
            return "No photo yet: choose one from the library above."
        return format_html(
            '<img src="{}" alt="{}" class="newsroom-preview">{} — {}',
            photo.fallback["url"],
            photo.alt_text,
            article.hero_caption_text or "(no caption)",
            article.hero_credit_text or "(no credit)",
        )

    # Actions. Each change is saved as a revision and logged in the admin history.

    def record(self, request, article, message):
        before = article_groups(article.pk)
        article.save()
        reversion.set_comment(message)
        self.log_change(request, article, message)
        invalidate_article(article.pk, before=before)

    def publishable(self, request, article):
        problems = article.publish_problems()
        if problems:
            self.message_user(
                request, f"“{article}” was not published: {' '.join(problems)}", messages.ERROR
            )
        return not problems

    @admin.action(description="Publish now", permissions=["publish"])
    def publish_now(self, request, queryset):
        done = 0
        for article in queryset:
            if article.published_at is None or article.published_at > timezone.now():
                article.published_at = timezone.now()
            if self.publishable(request, article):
                article.status = Article.Status.PUBLISHED
                self.record(request, article, "Published.")
                done += 1
        if done:
            self.message_user(request, f"Published {done} article(s).", messages.SUCCESS)

    @admin.action(description="Schedule…", permissions=["publish"])
    def schedule(self, request, queryset):
        form = ScheduleForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            when = form.cleaned_data["publish_at"]
            done = 0
            for article in queryset:
                article.published_at = when
                if self.publishable(request, article):
                    article.status = Article.Status.PUBLISHED
                    stamp = format_date(timezone.localtime(when), "F j, Y, H:i")
                    self.record(request, article, f"Scheduled for {stamp}.")
                    done += 1
            if done:
                self.message_user(request, f"Scheduled {done} article(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Schedule articles",
            "opts": self.model._meta,
            "form": form,
            "articles": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/explainers/article/schedule.html", context)

    def move_to(self, request, articles, status, message):
        for article in articles:
            article.status = status
            self.record(request, article, message)
        return len(articles)

    @admin.action(description="Unpublish (take down)", permissions=["publish"])
    def unpublish(self, request, queryset):
        articles = queryset.filter(status=Article.Status.PUBLISHED)
        done = self.move_to(request, articles, Article.Status.UNPUBLISHED, "Unpublished.")
        self.message_user(request, f"Unpublished {done} article(s).", messages.SUCCESS)

    @admin.action(description="Send back to draft", permissions=["publish"])
    def send_back_to_draft(self, request, queryset):
        articles = queryset.exclude(status=Article.Status.DRAFT)
        done = self.move_to(request, articles, Article.Status.DRAFT, "Sent back to draft.")
        self.message_user(request, f"Sent {done} article(s) back to draft.")

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        done = 0
        for article in queryset.filter(status=Article.Status.DRAFT):
            if self.has_change_permission(request, article):
                article.status = Article.Status.REVIEW
                self.record(request, article, "Submitted for review.")
                done += 1
        self.message_user(request, f"Submitted {done} article(s) for review.")

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
                    parsed = parse_explainer(source)
                except ImportProblem as error:
                    problem = error
                if parsed and (existing := existing_article(parsed)):
                    problem = ImportProblem(
                        f"“{existing.headline}” already exists "
                        f"({existing.get_status_display().lower()}): edit that article, or "
                        "change the headline to import this as a new one."
                    )
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
                form = ImportExplainerForm(initial={"text": text})
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
            placeholders=[line for line in parsed.report if "placeholder" in line]
            if parsed
            else [],
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
        article = self.get_object(request, unquote(object_id))
        if article is None or not self.has_view_or_change_permission(request, article):
            raise Http404("No such article.")
        versions = Version.objects.get_for_object(article).select_related("revision__user")
        try:
            older = versions.get(pk=request.GET.get("a"))
            newer = versions.get(pk=request.GET.get("b"))
        except (Version.DoesNotExist, ValueError):
            # No (valid) choice: the two newest revisions.
            newest = list(versions[:2])
            if len(newest) < 2:
                raise Http404("This article needs two revisions to compare.") from None
            newer, older = newest
        if older.revision.date_created > newer.revision.date_created:
            older, newer = newer, older
        table = difflib.HtmlDiff(wrapcolumn=70).make_table(
            version_lines(older),
            version_lines(newer),
            fromdesc=revision_label(older),
            todesc=revision_label(newer),
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compare revisions of “{article}”",
            "opts": self.model._meta,
            "original": article,
            "versions": versions,
            "older": older,
            "newer": newer,
            "table": table,
        }
        return TemplateResponse(request, "admin/explainers/article/compare.html", context)

    def history_view(self, request, object_id, extra_context=None):
        article = self.get_object(request, unquote(object_id))
        versions = []
        if article is not None:
            versions = Version.objects.get_for_object(article).select_related("revision__user")
        context = {"versions": versions, **(extra_context or {})}
        return super().history_view(request, object_id, context)


def revision_label(version):
    revision = version.revision
    when = format_date(timezone.localtime(revision.date_created), "F j, Y, H:i")
    return f"{when} — {display_name(revision.user)}"


def version_lines(version):
    """A revision of an article as lines of text, for a side-by-side comparison."""
    parts = {}
    for item in version.revision.version_set.select_related("content_type"):
        parts.setdefault(item.content_type.model, []).append(item.field_dict)
    article = next((f for f in parts.get("article", []) if str(f["id"]) == version.object_id), {})
    speakers = dict(Speaker.objects.values_list("pk", "name"))
    sources = dict(Source.objects.values_list("pk", "name"))
    lines = [
        f"Kicker: {article.get('kicker', '')}",
        f"Headline: {article.get('headline', '')}",
        f"Summary: {article.get('dek', '')}",
        f"Status: {article.get('status', '')}",
        f"Publication date: {article.get('published_at') or '—'}",
        "",
        "Lead:",
        *paragraph_lines(article.get("lead", "")),
    ]
    lead_sources = [sources.get(pk, pk) for pk in article.get("lead_sources", [])]
    if lead_sources:
        lines.append(f"Sources cited in the lead: {', '.join(map(str, lead_sources))}")
    quotes = sorted(parts.get("quote", []), key=lambda q: (q["position"], q["id"]))
    for section in sorted(parts.get("questionsection", []), key=lambda s: s["position"]):
        lines += ["", f"Q{section['position']}. {section['question']}"]
        lines += paragraph_lines(section["answer"])
        cited = [str(sources.get(pk, pk)) for pk in section.get("sources", [])]
        if cited:
            lines.append(f"Sources: {', '.join(cited)}")
        for quote in (q for q in quotes if q["section_id"] == section["id"]):
            speaker = speakers.get(quote["speaker_id"], "no speaker")
            lines.append(f"Quote: “{quote['text']}” — {speaker}")
    for quote in (q for q in quotes if q["section_id"] is None):
        speaker = speakers.get(quote["speaker_id"], "no speaker")
        lines.append(f"Lead quote: “{quote['text']}” — {speaker}")
    return lines


def paragraph_lines(value):
    return [html_to_text(block) for block in split_blocks(value or "")] or ["—"]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("article", "created_by", "created_at", "expires_at", "revoked")
    list_filter = ("revoked",)
    readonly_fields = ("article", "created_by", "created_at")
    fields = ("article", "expires_at", "revoked", "created_by", "created_at")

    def has_add_permission(self, request):
        return False  # share links are made on the article's page

    def has_module_permission(self, request):
        return can_publish(request.user) and super().has_module_permission(request)

from types import SimpleNamespace

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Prefetch
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from .models import (
    Article,
    Author,
    Byline,
    QuestionSection,
    Quote,
    Source,
    Speaker,
    article_problems,
    quote_problems,
    section_problems,
)
from .richtext import sanitize_html

# Rows whose position changes are moved this far out of the way first, so that swapping two
# questions never trips the unique (article, position) constraint half-way through the save.
PARKING_OFFSET = 10000


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "user")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("user",)


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ("name", "usual_role")
    search_fields = ("name", "usual_role")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "publisher", "url")
    list_filter = ("kind",)
    search_fields = ("name", "publisher", "url")


class ArticleChildFormSet(BaseInlineFormSet):
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


class SectionFormSet(ArticleChildFormSet):
    def clean(self):
        # Positions are settled before the inherited uniqueness check, so that new questions
        # left at 0 are placed rather than reported as duplicates.
        if not any(self.errors):
            self.place_new_questions()
        super().clean()
        if any(self.errors) or not self.publishing():
            return
        problems = section_problems(
            (f.cleaned_data["question"], sanitize_html(f.cleaned_data.get("answer", "")))
            for f in self.live_forms()
        )
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
        # A quote may only sit in one of this article's own questions.
        form.fields["section"].queryset = (
            QuestionSection.objects.filter(article=self.instance)
            if self.instance.pk
            else QuestionSection.objects.none()
        )

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


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ("author",)
    verbose_name = "author"
    verbose_name_plural = "byline (authors in order)"


class QuestionSectionInline(admin.StackedInline):
    model = QuestionSection
    formset = SectionFormSet
    extra = 1
    fields = (("position", "anchor"), "question", "answer", "sources")
    autocomplete_fields = ("sources",)


class QuoteInline(admin.StackedInline):
    model = Quote
    formset = QuoteFormSet
    extra = 0
    fields = (
        ("section", "after_paragraph", "position"),
        "text",
        ("speaker", "speaker_role"),
        ("source", "said_on"),
        "context",
    )
    autocomplete_fields = ("speaker", "source")


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == Article.Status.PUBLISHED:
            # The database rule already reports a missing date; the rest are checked here.
            values = SimpleNamespace(
                published_at=cleaned.get("published_at"),
                hero_image=cleaned.get("hero_image"),
                hero_alt=cleaned.get("hero_alt", ""),
                hero_credit=cleaned.get("hero_credit", ""),
            )
            for problem in article_problems(values, check_date=False):
                self.add_error(None, "Cannot publish: " + problem)
        return cleaned


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    inlines = (BylineInline, QuestionSectionInline, QuoteInline)
    list_display = ("headline", "status", "published_at", "author_names", "question_count")
    list_filter = ("status", "authors", "tags")
    search_fields = ("headline", "dek", "sections__question")
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("headline",)}
    autocomplete_fields = ("lead_sources",)
    readonly_fields = ("hero_preview", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("kicker", "headline", "slug", "dek", "lead", "lead_sources", "tags")}),
        ("Publication", {"fields": ("status", "published_at", ("created_at", "updated_at"))}),
        (
            "Hero photo",
            {"fields": ("hero_image", "hero_preview", "hero_alt", "hero_caption", "hero_credit")},
        ),
        ("Credits", {"fields": ("contributed_by", "original_url")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(question_total=Count("sections", distinct=True))
            .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")))
        )

    @admin.display(description="authors")
    def author_names(self, article):
        return ", ".join(byline.author.name for byline in article.bylines.all())

    @admin.display(description="questions", ordering="question_total")
    def question_count(self, article):
        return article.question_total

    @admin.display(description="preview")
    def hero_preview(self, article):
        if not article.hero_image:
            return "No photo yet."
        return format_html(
            '<img src="{}" alt="{}" style="max-height: 12rem; max-width: 100%;">',
            article.hero_image.url,
            article.hero_alt,
        )

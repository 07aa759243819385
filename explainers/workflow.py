"""
Who may do what in the newsroom, and the moves an article makes between states.

The one place the role rules are written. The admin (change form, inlines, list actions,
django-reversion's history, revision and recover views, the comparison), the site's article,
preview and share-link views, the import page and command, and the admins of the records shared by
many articles (photos, speakers, sources, authors, tags) all ask these functions and write no rule
of their own.

The roles (see `manage.py setup_roles`):

- **Editors** hold `explainers.publish_article`. They see, change and delete every article;
  publish, schedule, unpublish and send back; restore any revision and recover deleted articles;
  set publication dates; change and merge every shared record.
- **Reporters** hold `explainers.change_article` without publishing. They see their own articles
  (created by them, or bylined to their author profile) and what readers see, nothing else —
  in the admin and on the site alike. They change their own drafts only; once submitted, the
  editors have it. They restore an earlier *draft* revision of their own draft. They add speakers,
  sources, photos and tags and use them, but changing, merging or deleting a record shown on a
  colleague's article or on a published one is an editor's.
- Any other staff see what readers see, plus their own articles, as their view permissions allow.

The transitions (`publish`, `schedule`, `unpublish`, `submit`, `send_back`) each check the rule,
run the publish checks, save the article as a revision with a comment and an admin log entry, and
let the change pipeline (explainers.changes, through the model signals) refresh what readers see.
"""

import reversion
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateformat import format as format_date

from .models import Article

Status = Article.Status


class NotAllowed(PermissionDenied):
    """The user's role does not allow this; the message says what and why, without naming
    anything the user may not see."""


class Refused(Exception):
    """Allowed, but the article is not ready (the publish checks failed): the message says why."""


# Roles.


def is_editor(user):
    return user.is_active and user.has_perm("explainers.publish_article")


def can_see_tasks(user):
    """The background tasks' results (failures with their tracebacks, which name internals) are
    for admins: superusers and whoever manages the newsroom's users."""
    return (
        user.is_active
        and user.is_staff
        and (user.is_superuser or user.has_perm("auth.change_user"))
    )


def own_articles(user):
    """The ids of a user's own articles: created by them, or bylined to their author profile."""
    return Article.objects.filter(Q(created_by=user) | Q(bylines__author__user=user)).values("pk")


def owns(user, article):
    return article.created_by_id == user.pk or article.bylines.filter(author__user=user).exists()


# Seeing.


def readable(user, queryset=None):
    """The articles this user may open, in the admin and on the site (drafts, reviews and
    scheduled articles with a banner): all of them for editors; for everyone else what readers
    see plus their own."""
    queryset = Article.objects.all() if queryset is None else queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.published()
    if is_editor(user):
        return queryset
    return queryset.filter(
        Q(pk__in=Article.objects.published().values("pk")) | Q(pk__in=own_articles(user))
    )


def in_admin(user, queryset=None):
    """The articles listed for this user in the admin: everything for editors, their own for
    everyone else (published colleagues' work is read on the site)."""
    queryset = Article.objects.all() if queryset is None else queryset
    if is_editor(user):
        return queryset
    return queryset.filter(pk__in=own_articles(user))


def can_view(user, article):
    if article is None:
        return False
    if is_editor(user) or article.is_published():
        return True
    return user.is_authenticated and user.is_active and owns(user, article)


# Changing articles.


def can_add(user):
    return user.is_active and user.has_perm("explainers.add_article")


def can_edit(user, article=None):
    """`article=None` asks whether the user may edit articles at all."""
    if not (user.is_active and user.has_perm("explainers.change_article")):
        return False
    if article is None or is_editor(user):
        return True
    return article.status == Status.DRAFT and owns(user, article)


def can_delete(user, article=None):
    return is_editor(user) and user.has_perm("explainers.delete_article")


def can_manage_api_keys(user):
    """Make, list and revoke content-API keys (explainers.models.ApiKey): editors. A key acting
    for a staff member reads what that person may open (readable()), so an editor — who may
    open everything — gives away nothing they do not see themselves; the API only reads."""
    return is_editor(user)


def can_manage_redirects(user):
    """See, add and delete the old addresses that redirect to articles (explainers.redirects):
    editors, who decide where a story lives."""
    return is_editor(user)


def can_publish(user):
    """Publish, schedule, unpublish and send back to draft."""
    return is_editor(user)


def can_share(user):
    """Make, see and revoke share links: read-only previews of unpublished articles."""
    return is_editor(user)


def may_set_publication_date(user):
    return is_editor(user)


def may_set_expiry(user):
    """Who sets the time an article is taken down at: whoever schedules it."""
    return may_set_publication_date(user)


def statuses_for(user):
    """The states this user may put an article in through its form."""
    if is_editor(user):
        return list(Status.values)
    return [Status.DRAFT, Status.REVIEW]


def check_status_change(user, article, new_status):
    """Raise NotAllowed if this user may not move the article (None: a new one) to new_status."""
    old = article.status if article is not None and article.pk else None
    if new_status == old:
        return
    if new_status not in statuses_for(user):
        raise NotAllowed(f"Only an editor may set an article to “{Status(new_status).label}”.")
    if old not in (None, Status.DRAFT) and not is_editor(user):
        raise NotAllowed("Only an editor may move an article that is no longer a draft.")


# Revisions.


def can_see_history(user, article):
    return can_view(user, article) and (is_editor(user) or owns(user, article))


def can_restore(user, article, version):
    """Editors restore any revision. A reporter restores only an earlier draft of their own draft:
    a revision in any other state would publish, submit or take down the article."""
    if article is None or not can_edit(user, article):
        return False
    if holds_other_articles(version):
        # Restoring reverts a whole revision: one that also holds other articles (made by a
        # bulk action before each article had its own) would revert them too.
        return False
    if is_editor(user):
        return True
    return version.field_dict.get("status") == Status.DRAFT


def holds_other_articles(version):
    return (
        version.revision.version_set.filter(content_type_id=version.content_type_id)
        .exclude(object_id=version.object_id)
        .exists()
    )


# What a version is, whatever a revision says: its language and its place among the story's
# versions (a revision made before translations existed has no key of its own to restore).
IDENTITY = ("language", "translation_key", "translated_from")


def kept_on_restore(user):
    """The fields a restore by this user leaves as they are now, rather than as the revision had
    them: the article's identity as a version of its story, and those their role may not set
    (restoring an earlier draft must not undo an editor's scheduling)."""
    kept = () if may_set_publication_date(user) else ("published_at",)
    return IDENTITY + kept + (() if may_set_expiry(user) else ("expires_at",))


def can_recover(user):
    """Bring back a deleted article from its last revision."""
    return is_editor(user) and user.has_perm("explainers.add_article")


# Shared records: speakers, sources, photos, authors and tags.


def may_add_author(user, for_user=None):
    """Admins add any author. Everyone who writes articles may have one of her own: her author
    profile (`for_user` is herself), made the first time she needs it (see author_profile)."""
    if user.is_active and user.has_perm("explainers.add_author"):
        return True
    return for_user is not None and for_user.pk == user.pk and can_add(user)


def author_profile(user):
    """The user's own author profile, made if she may have one and has none yet (named after her
    full name, else her username, with a slug no other author has); None if she may not."""
    from django.utils.text import slugify

    from .models import Author

    profile = Author.objects.filter(user=user).first()
    if profile is not None or not may_add_author(user, for_user=user):
        return profile
    name = user.get_full_name() or user.get_username()
    base = slugify(name, allow_unicode=True)[:180].strip("-") or "author"
    slug, n = base, 2
    while Author.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return Author.objects.create(name=name, slug=slug, user=user)


def sign_own_article(user, article):
    """A writer who saves her own article (one she created) with nobody on its byline is put on
    it, with her author profile. Returns the byline made, or None."""
    from .models import Byline

    if article.created_by_id != user.pk or article.bylines.exists():
        return None
    profile = author_profile(user)
    if profile is None:
        return None
    return Byline.objects.create(article=article, author=profile)


def articles_showing(record):
    """The articles that show a speaker, source, photo, author or tag."""
    from .signals import articles_showing as showing

    return Article.objects.filter(pk__in=showing(type(record), [record]))


def can_change_shared(user, record, action="change"):
    """`action`: "change", "delete" or "merge". Editors may; others hold the model permission and
    only touch records no published article and no colleague's article shows."""
    opts = record._meta
    codename = "change" if action == "merge" else action
    if not (user.is_active and user.has_perm(f"{opts.app_label}.{codename}_{opts.model_name}")):
        return False
    if is_editor(user):
        return True
    if record.pk is None:
        return True
    showing = articles_showing(record)
    if showing.filter(Q(status=Status.PUBLISHED) | Q(status=Status.UNPUBLISHED)).exists():
        return False
    return not showing.exclude(pk__in=own_articles(user)).exists()


# Transitions.

# What each step is called, decided here once: in the history (`log`), to the user who took it
# on one article (`done`) and on several (`many`). The change form names a status change the
# same way as the list actions do (see step_for_change).
STEPS = {
    "publish": ("Published.", "Published “{article}”.", "Published {count} articles."),
    "schedule": (
        "Scheduled for {when}.",
        "Scheduled “{article}” to go out on {when}.",
        "Scheduled {count} articles to go out on {when}.",
    ),
    "unpublish": ("Unpublished.", "Unpublished “{article}”.", "Unpublished {count} articles."),
    "send_back": (
        "Sent back to draft.",
        "Sent “{article}” back to draft.",
        "Sent {count} articles back to draft.",
    ),
    "submit": (
        "Submitted for review.",
        "Submitted “{article}” for review.",
        "Submitted {count} articles for review.",
    ),
    "restore": (
        "Restored the revision of {label}.",
        "Restored the revision of {label}.",
        "Restored {count} revisions.",
    ),
}


def moment(when):
    """A date and time as the newsroom reads it, with its time zone named."""
    local = timezone.localtime(when)
    return f"{format_date(local, 'F j, Y, H:i')} {timezone.get_current_timezone_name()}"


def step_log(step, **details):
    return STEPS[step][0].format(**details)


def step_done(step, articles, **details):
    """What the user is told after taking `step` on `articles`: the article by name if one."""
    articles = list(articles)
    if len(articles) == 1:
        return STEPS[step][1].format(article=articles[0], **details)
    return STEPS[step][2].format(count=len(articles), **details)


def same_second(one, other):
    """Whether two dates are the same to the second: the change form keeps no finer, so an
    article saved untouched loses a date's microseconds without its date being changed."""
    if one is None or other is None:
        return one is other
    return one.replace(microsecond=0) == other.replace(microsecond=0)


def step_for_change(old_status, old_published_at, article):
    """The workflow step a save through the change form took, as (step, details), or None for an
    ordinary edit: a change of status, or of a published article's date (scheduling it, or
    publishing a scheduled one now). `article` is as saved."""
    new_status = article.status
    if new_status == old_status and (
        new_status != Status.PUBLISHED or same_second(article.published_at, old_published_at)
    ):
        return None
    if new_status == Status.PUBLISHED:
        if article.published_at is not None and article.published_at > timezone.now():
            return "schedule", {"when": moment(article.published_at)}
        was_live = old_published_at is not None and old_published_at <= timezone.now()
        if old_status == Status.PUBLISHED and was_live:
            return None  # live before and after: only its date was corrected
        return "publish", {}
    return {
        Status.REVIEW: ("submit", {}),
        Status.UNPUBLISHED: ("unpublish", {}),
        Status.DRAFT: ("send_back", {}),
    }.get(new_status)


def record(user, article, message):
    """Save the article as one revision by `user`, with `message` as its comment and as an admin
    log entry. The model signals carry the change to readers once the transaction commits."""
    with transaction.atomic(), reversion.create_revision():
        article.save()
        reversion.set_user(user)
        reversion.set_comment(message)
        log(user, article, message)


def log(user, article, message):
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[article],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


def require(allowed, message):
    if not allowed:
        raise NotAllowed(message)


def ready(article):
    problems = article.publish_problems()
    if problems:
        raise Refused(f"“{article}” was not published: {' '.join(problems)}")


def publish(user, article):
    require(can_publish(user), "Only an editor may publish.")
    if article.published_at is None or article.published_at > timezone.now():
        article.published_at = timezone.now()
    ready(article)
    article.status = Status.PUBLISHED
    record(user, article, step_log("publish"))


def schedule(user, article, when):
    require(can_publish(user), "Only an editor may schedule.")
    if when <= timezone.now():
        raise Refused("Choose a time in the future; to publish straight away, use “Publish now”.")
    article.published_at = when
    ready(article)
    article.status = Status.PUBLISHED
    record(user, article, step_log("schedule", when=moment(when)))


def unpublish(user, article):
    require(can_publish(user), "Only an editor may unpublish.")
    if article.status != Status.PUBLISHED:
        raise Refused(f"“{article}” is not published.")
    article.status = Status.UNPUBLISHED
    record(user, article, step_log("unpublish"))


def send_back(user, article):
    require(can_publish(user), "Only an editor may send an article back to draft.")
    if article.status == Status.DRAFT:
        raise Refused(f"“{article}” is already a draft.")
    article.status = Status.DRAFT
    record(user, article, step_log("send_back"))


def submit(user, article):
    require(can_edit(user, article), "You may submit only your own drafts.")
    if article.status != Status.DRAFT:
        raise Refused(f"“{article}” is not a draft.")
    article.status = Status.REVIEW
    record(user, article, step_log("submit"))


def merge_tags(user, tags, name):
    """Retag everything tagged with any of `tags` as the tag called `name` (made if new), then
    delete the others — in one transaction, row by row so the change pipeline sees each article.
    Returns the tag kept."""
    from taggit.models import Tag, TaggedItem

    require(
        all(can_change_shared(user, tag, "merge") for tag in tags),
        "Merging tags used on published or colleagues' articles is an editor's.",
    )
    with transaction.atomic():
        target = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        for tag in tags:
            if tag.pk == target.pk:
                continue
            for item in TaggedItem.objects.filter(tag=tag):
                duplicate = TaggedItem.objects.filter(
                    tag=target, content_type_id=item.content_type_id, object_id=item.object_id
                ).exists()
                if duplicate:
                    item.delete()
                else:
                    item.tag = target
                    item.save()
            tag.delete()
    return target


# Translations: each language's version of a story is its own article (translation_key).


def can_translate(user, article):
    """Start a version of this story in another language: whoever may write articles and may
    open this one."""
    return can_add(user) and can_view(user, article)


def language_name(code):
    from django.conf import settings

    return dict(settings.LANGUAGES).get(code, code)


def missing_languages(article):
    """The newsroom's languages this story has no version in yet."""
    from django.conf import settings

    taken = {article.language, *article.versions().values_list("language", flat=True)}
    return [(code, name) for code, name in settings.LANGUAGES if code not in taken]


def translate(user, article, language):
    """A draft of `article` in `language`, linked to it as a translation, with its structure
    copied for the translator to rewrite: the headline, summary, lead and questions with their
    answers (still in the original's words), the quotes with their speakers and sources (a
    speaker and a source are the same in any language), citations, photo, byline and tags.
    Corrections are not copied: each version is corrected on its own."""
    from django.conf import settings
    from django.db import IntegrityError

    require(can_translate(user, article), "You may not translate this article.")
    if language not in dict(settings.LANGUAGES) or language == article.language:
        raise Refused(f"“{language}” is not another of the newsroom's languages.")
    taken = Refused(f"This story already has a version in {language_name(language)}.")
    if article.versions().filter(language=language).exists():
        raise taken
    try:
        return version_of(article, language, user)
    except IntegrityError:  # a colleague's click got there first (one version per language)
        raise taken from None


def version_of(article, language, user=None):
    """The copy translate() makes, with no question asked of the user (for commands such as
    load_demo); one revision, logged when there is a user."""
    from .models import QuestionSection, Quote

    with transaction.atomic(), reversion.create_revision():
        copy = Article.objects.create(
            kicker=article.kicker,
            headline=article.headline,
            slug=free_slug(f"{article.slug}-{language}"),
            dek=article.dek,
            lead=article.lead,
            language=language,
            translation_key=article.translation_key,
            translated_from=article,
            status=Status.DRAFT,
            hero_photo=article.hero_photo,
            hero_caption=article.hero_caption,
            hero_credit=article.hero_credit,
            contributed_by=article.contributed_by,
            created_by=user,
        )
        copy.lead_sources.set(article.lead_sources.all())
        sections = {}
        for section in article.sections.all():
            sections[section.pk] = QuestionSection.objects.create(
                article=copy,
                position=section.position,
                question=section.question,
                anchor=section.anchor,
                answer=section.answer,
            )
            sections[section.pk].sources.set(section.sources.all())
        Quote.objects.bulk_create(
            Quote(
                article=copy,
                section=sections.get(quote.section_id),
                position=quote.position,
                after_paragraph=quote.after_paragraph,
                text=quote.text,
                speaker_id=quote.speaker_id,
                speaker_role=quote.speaker_role,
                source_id=quote.source_id,
                said_on=quote.said_on,
                context=quote.context,
            )
            for quote in article.quotes.all()
        )
        for byline in article.bylines.all():
            copy.bylines.create(author_id=byline.author_id, position=byline.position)
        copy.tags.set(list(article.tags.all()))
        message = f"Translation into {language_name(language)} started from “{article}”."
        reversion.set_comment(message)
        if user is not None:
            reversion.set_user(user)
            log(user, copy, message)
    return copy


def free_slug(base):
    """`base`, or `base-2`, `base-3`…: the first no article has."""
    base = base[:190]
    taken = set(Article.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)

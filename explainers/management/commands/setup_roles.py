"""
Create the newsroom's roles, or bring them up to date: Reporter, Editor and Admin.

    python manage.py setup_roles [--dry-run]

Each group gets exactly the permissions listed in ROLES (extra ones are removed), so running the
command again after an upgrade is how new permissions reach existing staff. Put people in a role
with the admin's Users page; they also need "Staff status" to sign in.
"""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

ALL = ("add", "change", "delete", "view")
WRITE = ("add", "change", "view")

# The parts of an article a writer edits through its page.
ARTICLE_PARTS = {
    "explainers.questionsection": ALL,
    "explainers.quote": ALL,
    "explainers.byline": ALL,
    "explainers.updatenote": ALL,
    "explainers.speaker": WRITE,
    "explainers.source": WRITE,
    "explainers.author": ("view",),
    "photos.photo": WRITE,
    # Tags are chosen (and new ones typed) on the article's page; the list is the editors'.
    "taggit.tag": ("view",),
}

# Edits every article, publishes, schedules, unpublishes, deletes and shares drafts.
EDITOR = {
    **ARTICLE_PARTS,
    "explainers.article": (*ALL, "publish"),
    "explainers.speaker": ALL,
    "explainers.source": ALL,
    "explainers.sharelink": ALL,
    "photos.photo": ALL,
    "taggit.tag": ALL,
}

ROLES = {
    # Writes articles and edits their own drafts; the admin limits them to their own articles.
    "Reporter": {"explainers.article": WRITE, **ARTICLE_PARTS},
    "Editor": EDITOR,
    # Everything editors do, and the people: users, roles and authors.
    "Admin": {
        **{model: ALL for model in EDITOR},
        "explainers.article": (*ALL, "publish"),
        "auth.user": ALL,
        "auth.group": ALL,
        "auth.permission": ("view",),
        "admin.logentry": ("view",),
    },
}


def role_permissions(spec):
    permissions = []
    for label, actions in spec.items():
        app_label, model = label.split(".")
        for action in actions:
            permissions.append(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )
    return permissions


class Command(BaseCommand):
    help = "Create or update the Reporter, Editor and Admin groups and their permissions."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")

    @transaction.atomic
    def handle(self, dry_run=False, **options):
        for name, spec in ROLES.items():
            wanted = set(role_permissions(spec))
            group = Group.objects.filter(name=name).first()
            current = set(group.permissions.all()) if group else set()
            added, removed = wanted - current, current - wanted
            if not dry_run:
                group = group or Group.objects.create(name=name)
                group.permissions.set(wanted)
            verb = (
                "created"
                if not current and added
                else "updated"
                if added or removed
                else "unchanged"
            )
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"{name}: {verb} ({len(wanted)} permissions, +{len(added)} −{len(removed)})"
                )
        if dry_run:
            transaction.set_rollback(True)
            self.stdout.write("Dry run: nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS("Roles are up to date."))

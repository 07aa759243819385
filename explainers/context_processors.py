from django.conf import settings


def site(request):
    """The site's identity, from settings, for every template."""
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_tagline": settings.NEWSROOM_SITE_TAGLINE,
        "site_description": settings.NEWSROOM_SITE_DESCRIPTION,
        "site_twitter": settings.NEWSROOM_TWITTER,
        "site_language": settings.NEWSROOM_LANGUAGE,
    }

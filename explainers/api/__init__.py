"""
The content API: the explainer's structure as JSON for apps, partners and newsletters
(Django REST Framework; the schema by drf-spectacular at /api/v1/schema/).

- `data`: the article as the API gives it, built when its page document is (stored with it), so
  a detail answer costs one query whatever the article's size;
- `access`: partner and staff keys (explainers.models.ApiKey) and their rate limits;
- `serializers`: the shape, field by field, for the schema (and the lists' rows);
- `views`, `urls`: the endpoints, cached and purged like the pages (explainers.pagecache).
"""

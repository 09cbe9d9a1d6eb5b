from django.db import migrations

from lms.organisation.search import trigram_indexes


class Migration(migrations.Migration):
    """pg_trgm indexes for Chinese substring search (see lms/organisation/search.py); no-op on SQLite."""

    dependencies = [
        ("lms", "0003_roles"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]
    operations = [
        trigram_indexes("wagtailsearch_indexentry", ["title_text", "body_text"]),
        trigram_indexes("lms_staffprofile", ["full_name"]),
    ]

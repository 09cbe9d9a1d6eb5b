from django.db import migrations

from lms.organisation.search import trigram_indexes


class Migration(migrations.Migration):
    """pg_trgm index for the certificate listing's substring search; no-op on SQLite."""

    dependencies = [("certificates", "0001_initial"), ("lms", "0004_search_trigram_indexes")]
    operations = [trigram_indexes("certificates_certificate", ["holder_name"])]

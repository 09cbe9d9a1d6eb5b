from django.db import migrations

from lms.organisation.search import trigram_indexes


class Migration(migrations.Migration):
    """pg_trgm indexes for the question listing's substring search; no-op on SQLite."""

    dependencies = [("quizzes", "0001_initial"), ("lms", "0004_search_trigram_indexes")]
    operations = [trigram_indexes("quizzes_question", ["name", "text"])]

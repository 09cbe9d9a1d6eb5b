"""Chinese search for Wagtail's database search backend (the admin's page explorer, choosers).

Chinese is written without spaces, so neither PostgreSQL's ``to_tsvector`` nor SQLite's FTS5
``unicode61`` tokenizer finds a word inside a title: "保护期限" is one token, and "期限" matches
nothing. Wagtail's database backend already keeps the indexed text of every object in plain
text beside the search vectors (``wagtailsearch_indexentry.title_text/body_text`` on
PostgreSQL, ``title/body`` on SQLite). A query that contains Chinese characters is answered
by substring matches (``icontains``, every whitespace-separated term must occur) on that plain
text; titles rank before bodies. Other queries keep the full-text search and its ranking.

Why this approach: it needs no tokeniser dictionary to maintain (jieba's segmentation decides
which substrings are findable -- "期限" inside "保护期限" may or may not be a word), finds every
substring a trainer can type, runs the same on SQLite and PostgreSQL, and on PostgreSQL is
served by ``pg_trgm`` GIN indexes (migration ``lms.0004_search_trigram_indexes``; the same
extension also indexes the plain ``icontains`` searches of the admin listings).

Use it with ``WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "lms.organisation.search"}}``.
"""

import re

from django.db import connection
from django.db.models import BigIntegerField, Case, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Cast
from modelsearch.query import And, Phrase, PlainText
from modelsearch.utils import get_descendants_content_types_pks

CJK = re.compile(
    r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31bf\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text or ""))


def substring_terms(query) -> list[str] | None:
    """The terms of a query to answer by substring matching, or None for full-text search."""
    if isinstance(query, (PlainText, Phrase)):
        text = query.query_string
        if has_cjk(text):
            return text.split() if isinstance(query, PlainText) else [text]
        return None
    if isinstance(query, And):
        terms = []
        for sub in query.subqueries:
            if not isinstance(sub, (PlainText, Phrase)):
                return None
            terms.extend(
                sub.query_string.split() if isinstance(sub, PlainText) else [sub.query_string]
            )
        return terms if any(has_cjk(t) for t in terms) else None
    return None


def _pk_type(model):
    """The type to cast ``IndexEntry.object_id`` (text) to, to compare it with the pk."""
    pk = model._meta.pk
    while pk.remote_field is not None:  # multi-table inheritance: page_ptr -> Page.id
        pk = pk.target_field
    return BigIntegerField() if isinstance(pk, IntegerField) else TextField()


class SubstringCompilerMixin:
    """Overrides ``search()`` of a database query compiler for Chinese queries."""

    #: lookups of the plain-text title and body of the index entry (set per vendor)
    title_lookup = ""
    body_lookup = ""

    def search(self, config, start, stop, score_field=None, **kwargs):
        terms = substring_terms(self.query)
        if not terms:
            return super().search(config, start, stop, score_field=score_field, **kwargs)
        from wagtail.search.models import IndexEntry

        model = self.queryset.model
        if self.fields:
            # Named model fields (the admin listings pass them): match them directly.
            lookups = [f"{name}__icontains" for name in self.fields]
            source = None
        else:
            lookups = [f"{self.title_lookup}__icontains", f"{self.body_lookup}__icontains"]
            source = IndexEntry.objects.filter(
                content_type_id__in=get_descendants_content_types_pks(model)
            )
        condition = Q()
        in_title = Q()
        for term in terms:
            condition &= Q(*[Q(**{lookup: term}) for lookup in lookups], _connector=Q.OR)
            in_title &= Q(**{lookups[0]: term})
        if source is None:
            queryset = self.queryset.filter(condition)
        else:
            # A subquery, not a join: one row per object, so counts and facets stay right.
            object_id = Cast("object_id", output_field=_pk_type(model))
            ids = source.filter(condition).values_list(object_id, flat=True)
            title_ids = source.filter(in_title).values_list(object_id, flat=True)
            queryset = self.queryset.filter(pk__in=ids)
            in_title = Q(pk__in=title_ids)
        rank = Case(When(in_title, then=Value(2)), default=Value(1), output_field=IntegerField())
        if self.order_by_relevance:
            queryset = queryset.order_by(rank.desc(), "-pk")
        elif not queryset.query.order_by:
            queryset = queryset.order_by("-pk")
        if score_field is not None:
            queryset = queryset.annotate(**{score_field: rank})
        return queryset[start:stop]


def SearchBackend(params):  # noqa: N802 -- Wagtail looks up ``SearchBackend`` in the module
    """Wagtail's database backend for this connection's vendor, with Chinese substring search."""
    if connection.vendor == "postgresql":
        from modelsearch.backends.database.postgres.postgres import (
            PostgresAutocompleteQueryCompiler,
            PostgresSearchBackend,
            PostgresSearchQueryCompiler,
        )

        base, search_compiler, autocomplete_compiler = (
            PostgresSearchBackend,
            PostgresSearchQueryCompiler,
            PostgresAutocompleteQueryCompiler,
        )
        title, body = "title_text", "body_text"
    elif connection.vendor == "sqlite":
        from modelsearch.backends.database import SearchBackend as DatabaseSearchBackend

        backend = DatabaseSearchBackend(params)
        if type(backend).__name__ != "SQLiteSearchBackend":  # no FTS5: the fallback backend
            return backend
        from modelsearch.backends.database.sqlite.sqlite import (
            SQLiteAutocompleteQueryCompiler,
            SQLiteSearchBackend,
            SQLiteSearchQueryCompiler,
        )

        base, search_compiler, autocomplete_compiler = (
            SQLiteSearchBackend,
            SQLiteSearchQueryCompiler,
            SQLiteAutocompleteQueryCompiler,
        )
        title, body = "title", "body"
    else:  # pragma: no cover - MySQL is not a supported database here
        from modelsearch.backends.database import SearchBackend as DatabaseSearchBackend

        return DatabaseSearchBackend(params)

    attrs = {"title_lookup": title, "body_lookup": body}
    compiler = type("ChineseSearchQueryCompiler", (SubstringCompilerMixin, search_compiler), attrs)
    autocomplete = type(
        "ChineseAutocompleteQueryCompiler", (SubstringCompilerMixin, autocomplete_compiler), attrs
    )
    backend_class = type(
        "ChineseSearchBackend",
        (base,),
        {"query_compiler_class": compiler, "autocomplete_query_compiler_class": autocomplete},
    )
    return backend_class(params)


def trigram_indexes(table: str, columns: list[str]):
    """A migration operation: ``pg_trgm`` GIN indexes on ``table.columns`` (PostgreSQL only).

    They serve ``icontains`` (``ILIKE '%…%'``) lookups, which is how every admin listing and
    the Chinese search above match. pg_trgm is a trusted extension (PostgreSQL 13+): the
    database owner may create it. On SQLite the operation does nothing."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for column in columns:
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{table}_{column}_trgm" '
                    f'ON "{table}" USING gin ("{column}" gin_trgm_ops)'
                )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for column in columns:
                cursor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_trgm"')

    return migrations.RunPython(forwards, backwards, elidable=False)

"""Bulk loading for the benchmark: PostgreSQL COPY, with the load-time indexes and foreign keys set aside.

Loading millions of rows through COPY is quick; maintaining a GIN index and checking every foreign key row by row
while doing it is not. So, like `pg_restore`, a load drops a table's secondary indexes and foreign keys, copies
the rows, then rebuilds the indexes and re-adds the foreign keys (each checked in one pass). It all happens in
the caller's transaction: a failed load leaves the tables, their indexes and their constraints as they were.
"""

import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import connection

ROWS_PER_COPY = 50_000


def copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, date | datetime):
        text = value.isoformat()
    elif isinstance(value, list | dict):
        text = json.dumps(value)
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def reserve_ids(model, count: int) -> int:
    """Take `count` consecutive primary keys from the table's sequence; returns the first one."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
            [table, column, table, column, count],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


def copy_rows(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY `rows` (tuples of values for the model's `columns`, by attribute name) into the model's table."""
    quote = connection.ops.quote_name
    field_columns = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    statement = f"COPY {quote(model._meta.db_table)} ({field_columns}) FROM STDIN"
    copied, buffer, pending = 0, io.StringIO(), 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's cursor, for copy_expert

        def flush():
            buffer.seek(0)
            raw.copy_expert(statement, buffer)
            buffer.seek(0)
            buffer.truncate()

        for row in rows:
            buffer.write("\t".join(map(copy_text, row)))
            buffer.write("\n")
            pending += 1
            if pending == ROWS_PER_COPY:
                flush()
                copied, pending = copied + pending, 0
        if pending:
            flush()
            copied += pending
    return copied


class LoadWindow:
    """Drop the secondary indexes and foreign keys of `models` on enter; rebuild them on exit (if no error)."""

    def __init__(self, models):
        self.tables = [model._meta.db_table for model in models]
        self.indexes: list[tuple[str, str]] = []
        self.foreign_keys: list[tuple[str, str, str]] = []

    def __enter__(self):
        with connection.cursor() as cursor:
            # Rows written earlier in the transaction have deferred foreign-key checks pending; a table with
            # pending checks cannot be altered, so run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                """
                SELECT i.relname, pg_get_indexdef(i.oid)
                FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                JOIN pg_class t ON t.oid = x.indrelid
                WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                """,
                [self.tables],
            )
            self.indexes = cursor.fetchall()
            cursor.execute(
                """
                SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
                FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                WHERE c.contype = 'f' AND t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
                """,
                [self.tables],
            )
            self.foreign_keys = cursor.fetchall()
            for name, _definition in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            for table, name, _definition in self.foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None:
            return False  # the transaction rolls back, and with it the drops
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _name, definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        return False

"""PostgreSQL statements over many rows at once (`INSERT … VALUES …`, `UPDATE … FROM (VALUES …)`), for the few hot
paths where the ORM's bulk methods cost more than the work (the SLA sweep, mail to many recipients)."""

from django.db import connection


def execute_with_values(sql: str, rows: list[tuple], template: str, *, fetch: bool = False) -> list[tuple]:
    """Run `sql` with its `VALUES` placeholder filled by `rows`, each rendered through `template` (e.g. `(%s, %s)`).

    Goes through Django's cursor, so query counters and logging see it like any other statement.
    """
    with connection.cursor() as cursor:
        values = b",".join(cursor.cursor.mogrify(template, row) for row in rows).decode()
        cursor.execute(sql.replace("VALUES %s", f"VALUES {values}", 1))
        return cursor.fetchall() if fetch else []

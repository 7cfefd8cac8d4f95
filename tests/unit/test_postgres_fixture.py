import psycopg2

from tests.fixtures.postgres import PostgresDatabase


def test_postgres_db_is_a_real_empty_database(postgres_db: PostgresDatabase) -> None:
    with psycopg2.connect(postgres_db.dsn) as conn, conn.cursor() as cur:
        cur.execute("select current_database(), count(*) from information_schema.tables "
                    "where table_schema = 'public'")
        name, tables = cur.fetchone()
    assert name == postgres_db.name
    assert tables == 0

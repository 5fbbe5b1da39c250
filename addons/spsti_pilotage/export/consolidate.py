"""Consolidate the pseudonymised exports of several services with DuckDB.

Usage: python consolidate.py DATABASE EXPORT_DIR [EXPORT_DIR ...]

Each EXPORT_DIR holds the visits.parquet and indicators.parquet of one
service (see SCHEMA.md). The tables `visits` and `indicators` of DATABASE
(a DuckDB file, ':memory:' for none) are replaced by the union of all the
services; the consolidated rates per indicator are printed."""
import os
import sys

import duckdb

CONSOLIDATED = """
    SELECT indicator, unit, from_date, to_date,
        COUNT(DISTINCT service) AS services,
        SUM(numerator) AS numerator,
        SUM(denominator) AS denominator,
        CASE WHEN unit = 'count' THEN SUM(numerator)
            ELSE SUM(numerator) / NULLIF(SUM(denominator), 0) END AS value
    FROM indicators
    WHERE scope = 'service' AND numerator IS NOT NULL
    GROUP BY indicator, unit, from_date, to_date
    ORDER BY indicator, from_date"""


def consolidate(connection, directories):
    "Load the exports of directories into connection; return the rates."
    for table in ['visits', 'indicators']:
        files = [os.path.join(d, f'{table}.parquet') for d in directories]
        connection.execute(
            f"CREATE OR REPLACE TABLE {table} AS "
            "SELECT * FROM read_parquet(?, union_by_name = true)", [files])
    return connection.execute(CONSOLIDATED).fetchall()


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    connection = duckdb.connect(argv[1])
    try:
        for row in consolidate(connection, argv[2:]):
            print(*row, sep='\t')
    finally:
        connection.close()


if __name__ == '__main__':
    main(sys.argv)

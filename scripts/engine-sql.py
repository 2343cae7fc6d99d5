#!/usr/bin/env python3
"""Runs the README's fleet SQL (the ```sql blocks marked <!-- sql:NAME -->) on an
`esmlog export` Parquet dataset in DuckDB or Spark SQL, and prints every query's rows as JSON:
{"weekly": [{"environment": ..., ...}, ...], "monthly": [...], "users": [...]}.

    scripts/engine-sql.py duckdb|spark DATASET README.md

The views are made as the README shows, so the SQL that is tested is the SQL people read.
"""
import json
import os
import re
import sys

TABLES = ["calls", "usage_periods", "usage_intervals", "usage_buckets"]


def queries(readme):
    text = open(readme, encoding="utf-8").read()
    found = re.findall(r"<!-- sql:(\w+) -->\s*```sql\n(.*?)```", text, re.S)
    if not found:
        sys.exit(f"{readme}: no <!-- sql:NAME --> blocks")
    return dict(found)


def plain(value):
    # Sums come back as Decimal or HUGEINT-backed ints depending on the engine.
    if hasattr(value, "is_integer") or type(value).__name__ == "Decimal":
        return int(value) if value == int(value) else float(value)
    return value


def run_duckdb(dataset, sql):
    import duckdb

    con = duckdb.connect()
    for table in TABLES:
        if os.path.isdir(os.path.join(dataset, table)):
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet("
                f"'{dataset}/{table}/**/*.parquet', hive_partitioning = true)"
            )
    out = {}
    for name, query in sql.items():
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description]
        out[name] = [
            {c: plain(v) for c, v in zip(columns, row)} for row in cursor.fetchall()
        ]
    return out


def run_spark(dataset, sql):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("esmlog-spark-check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for table in TABLES:
        if os.path.isdir(os.path.join(dataset, table)):
            spark.read.parquet(f"{dataset}/{table}").createOrReplaceTempView(table)
    out = {}
    for name, query in sql.items():
        out[name] = [
            {k: plain(v) for k, v in row.asDict().items()}
            for row in spark.sql(query).collect()
        ]
    spark.stop()
    return out


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("duckdb", "spark"):
        sys.exit(__doc__)
    engine, dataset, readme = sys.argv[1:]
    sql = queries(readme)
    run = run_duckdb if engine == "duckdb" else run_spark
    json.dump(run(os.path.abspath(dataset), sql), sys.stdout, default=str)
    print()


if __name__ == "__main__":
    main()

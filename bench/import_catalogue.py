"""Bench: `stockguard listings import` of a large catalogue, time and peak memory per store.

Writes a catalogue of ``--rows`` listings (two sources each: a page and a feed item), then
runs the real command in a subprocess on a fresh SQLite file and on a fresh PostgreSQL schema
(skipped when 127.0.0.1:5432 is unreachable). The peak resident memory of each run is that
child's own ``ru_maxrss`` (``os.wait4``), so one run never inflates another. A same-run
baseline: the import of a tenth of the rows on SQLite; a streamed import uses about the same
memory for both (ratio near 1), an in-memory one ten times more.

    .venv/bin/python bench/import_catalogue.py                 # 200,000 rows
    .venv/bin/python bench/import_catalogue.py --rows 20000

Ends with ``RESULT sqlite_s=… sqlite_mb=… pg_s=… pg_mb=… baseline_mb=… mb_ratio=…``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

PG_SERVER = os.environ.get(
    "STOCKGUARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HEADER = "sku,marketplace,asin,handling_days,default_quantity,source,source_2,title\n"


def write_catalogue(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for n in range(rows):
            handle.write(
                f"BENCH-{n:07d},{('US', 'CA', 'MX')[n % 3]},B0{n:08d},3,2,"
                f"https://shop{n % 200}.example.jp/items/{n},feed:tonya:CODE-{n},"
                f"Bench item {n}\n"
            )


def run_import(db_url: str, catalogue: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `stockguard listings import` process."""
    stockguard = str(Path(sys.executable).parent / "stockguard")
    command = [stockguard, "--db", db_url, "listings", "import"]
    logs = catalogue.with_suffix(".log")
    started = time.perf_counter()
    with logs.open("wb") as log:  # a file, not a pipe: thousands of refusals cannot block it
        child = subprocess.Popen([*command, str(catalogue)], stdout=log, stderr=log)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    out = logs.read_text(encoding="utf-8", errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed on {db_url.split('?')[0]}: {out[-2000:]}")
    print(f"  {out.strip().splitlines()[-1]}")
    return wall, usage.ru_maxrss / 1024  # Linux reports kilobytes


def pg_schema() -> str | None:
    """A fresh schema's URL, or None when PostgreSQL is unreachable."""
    try:
        db = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
        with db.begin() as conn:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        db.dispose()
    except Exception as exc:  # any failure to reach the server: skip PostgreSQL
        print(f"PostgreSQL skipped: {type(exc).__name__}")
        return None
    return schema


def drop_schema(schema: str) -> None:
    db = create_engine(PG_SERVER)
    with db.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="stockguard-import-") as tmp:
        work = Path(tmp)
        catalogue, small = work / "catalogue.csv", work / "small.csv"
        write_catalogue(catalogue, args.rows)
        write_catalogue(small, max(args.rows // 10, 1))
        print(f"baseline: {max(args.rows // 10, 1):,} rows on SQLite")
        _, baseline_mb = run_import(f"sqlite:///{work / 'small.db'}", small)
        print(f"{args.rows:,} rows on SQLite")
        sqlite_s, sqlite_mb = run_import(f"sqlite:///{work / 'bench.db'}", catalogue)
        pg_s = pg_mb = float("nan")
        schema = pg_schema()
        if schema is not None:
            try:
                print(f"{args.rows:,} rows on PostgreSQL")
                url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
                pg_s, pg_mb = run_import(url, catalogue)
            finally:
                drop_schema(schema)
    print(
        f"RESULT sqlite_s={sqlite_s:.1f} sqlite_mb={sqlite_mb:.0f} pg_s={pg_s:.1f} "
        f"pg_mb={pg_mb:.0f} baseline_mb={baseline_mb:.0f} mb_ratio={sqlite_mb / baseline_mb:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

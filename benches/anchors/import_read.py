#!/usr/bin/env python3
"""Anchor for benches/import.sh: DuckDB spatial reading a file into a table —
ST_Read (GDAL inside DuckDB) for a GeoJSON or Shapefile, read_parquet with
spatial loaded (its GeoParquet conversion to GEOMETRY) for GeoParquet. Prints
the row count.

    python3 benches/anchors/import_read.py FILE [STORE.duckdb]
    python3 benches/anchors/import_read.py --to-parquet IN.geojson OUT.parquet

With STORE the table is written into that DuckDB file (as wangge's import writes
its store and ogr2ogr its GeoPackage); without it, into an in-memory database.
The second form (untimed) writes the benchmark's GeoParquet input: DuckDB
spatial's COPY … (FORMAT parquet) of ST_Read, which writes the `geo` metadata.
"""
import os
import sys

import duckdb
import duckdb_extension_spatial

store = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] != "--to-parquet" else ":memory:"
con = duckdb.connect(store)
con.load_extension(os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions",
                                "v" + duckdb.__version__, "spatial.duckdb_extension"))
if sys.argv[1] == "--to-parquet":
    src, out = sys.argv[2], sys.argv[3].replace("'", "''")
    con.execute(f"COPY (SELECT * FROM ST_Read(?)) TO '{out}' (FORMAT parquet)", [src])
    sys.exit(0)
f = sys.argv[1]
if f.endswith(".parquet"):
    con.execute("CREATE TABLE b AS SELECT * FROM read_parquet(?)", [f])
else:
    con.execute("CREATE TABLE b AS SELECT * FROM ST_Read(?)", [f])
print(con.execute("SELECT count(*) FROM b").fetchone()[0])
con.close()

#!/usr/bin/env python3
"""Where DuckDB's own GeoParquet import spends its time (benches/RESULTS.md, issue 17, run D): the same file read
and decoded only, copied into a table in memory, and copied into a table of a DuckDB file, each timed alone.

    python3 benches/anchors/import_split.py FILE.parquet [GEOMETRY_COLUMN=geom]
"""
import os
import sys
import tempfile
import time

import duckdb
import duckdb_extension_spatial

src, geom = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "geom")
ext = os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions", "v" + duckdb.__version__,
                   "spatial.duckdb_extension")
with tempfile.TemporaryDirectory() as tmp:
    for mode in ["read and decode", "table in memory", "table in a DuckDB file"]:
        con = duckdb.connect(os.path.join(tmp, "split.duckdb") if mode.endswith("file") else ":memory:")
        con.load_extension(ext)
        t, c = time.time(), time.process_time()
        if mode == "read and decode":
            con.execute(f'SELECT count(*), sum(octet_length(ST_AsWKB("{geom}"))) FROM read_parquet(?)', [src]).fetchone()
        else:
            con.execute("CREATE TABLE b AS SELECT * FROM read_parquet(?)", [src])
        con.close()
        print(f"{mode}: {time.time() - t:.2f} s wall, {time.process_time() - c:.2f} s CPU (this process)")

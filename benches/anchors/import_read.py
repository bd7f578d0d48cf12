#!/usr/bin/env python3
"""Anchor for benches/import.sh: DuckDB spatial's ST_Read (GDAL inside DuckDB)
reading a GeoJSON or Shapefile into a table. Prints the row count.

    python3 benches/anchors/import_read.py FILE
"""
import os
import sys

import duckdb
import duckdb_extension_spatial

con = duckdb.connect()
con.load_extension(os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions",
                                "v" + duckdb.__version__, "spatial.duckdb_extension"))
con.execute("CREATE TABLE b AS SELECT * FROM ST_Read(?)", [sys.argv[1]])
print(con.execute("SELECT count(*) FROM b").fetchone()[0])

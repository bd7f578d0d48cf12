"""Read a PMTiles archive with the reference Python reader (`pmtiles` on PyPI)
and print one JSON object: the header's zooms, bounds (e7) and counts, the
metadata, and every tile as "z/x/y" → SHA-256 of its (gzip) bytes. Compared
with wangge's own decoding by server/tests/it/export.rs when python3 has
`pmtiles` (benches/requirements.txt).

    python3 benches/oracles/pmtiles_check.py FILE.pmtiles
"""

import hashlib
import json
import sys

from pmtiles.reader import MmapSource, Reader, all_tiles


def main() -> int:
    with open(sys.argv[1], "rb") as f:
        get = MmapSource(f)
        r = Reader(get)
        h = r.header()
        tiles = {f"{z}/{x}/{y}": hashlib.sha256(b).hexdigest() for (z, x, y), b in all_tiles(get)}
        out = {
            "min_zoom": h["min_zoom"], "max_zoom": h["max_zoom"],
            "bounds_e7": [h["min_lon_e7"], h["min_lat_e7"], h["max_lon_e7"], h["max_lat_e7"]],
            "addressed_tiles_count": h["addressed_tiles_count"], "tile_type": h["tile_type"].value,
            "tile_compression": h["tile_compression"].value, "metadata": r.metadata(), "tiles": tiles,
        }
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

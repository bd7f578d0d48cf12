//! What the store's DuckDB holds in memory, beside the process's resident
//! size: `duckdb_memory()` (the buffer manager's memory by tag: base tables,
//! ART indexes, in-memory updates, hash tables, …) and `pragma_database_size`
//! (file, WAL, buffer memory and its limit), read on the store's own
//! connection. `wangge serve` logs it once a minute ([`MemoryReport`]'s
//! `Display`), so a soak can tell the store's growth from the rest of the
//! server's (benches/live_memory.mjs reads those lines).

use super::{Ctx, Result, Store};

/// DuckDB's memory by tag and the database's sizes, as DuckDB reports them.
#[derive(Debug, Clone, Default)]
pub struct MemoryReport {
    /// Tag (`BASE_TABLE`, `ART_INDEX`, …) → bytes in memory, the tags using any.
    pub tags: Vec<(String, u64)>,
    /// The sum of `tags`.
    pub total: u64,
    /// `pragma_database_size`: the file, the WAL, the buffer memory in use and its limit (DuckDB's own text).
    pub database_size: String,
    pub wal_size: String,
    pub memory_usage: String,
    pub memory_limit: String,
}

impl std::fmt::Display for MemoryReport {
    /// `duckdb 12.3 MB (BASE_TABLE 10.1, ART_INDEX 2.2), file 50 MiB, wal 3 MiB, limit 19 GiB`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "duckdb {:.1} MB (", mb(self.total))?;
        for (n, (tag, b)) in self.tags.iter().enumerate() {
            write!(f, "{}{tag} {:.1}", if n > 0 { ", " } else { "" }, mb(*b))?;
        }
        write!(f, "), file {}, wal {}, buffers {}, limit {}", self.database_size, self.wal_size, self.memory_usage, self.memory_limit)
    }
}

/// Bytes in MB (10⁶).
pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// The process's resident set size in bytes (`VmRSS` of /proc/self/status; None where there is none).
pub fn rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = s.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// Log the resident size, the store's DuckDB memory, `caches` bytes of the server's own caches and what the live
/// state holds (one line, at info; a warning when the store's cannot be read).
pub fn log(store: &std::sync::Mutex<Store>, caches: u64, live: crate::live::closed::Held) {
    let rss_mb = rss_bytes().map_or(f64::NAN, mb);
    let caches_mb = mb(caches);
    let (c_used_mb, c_held_mb) = c_heap().map_or((f64::NAN, f64::NAN), |(u, h)| (mb(u), mb(h)));
    match crate::sync::lock(store).memory_report() {
        Ok(m) => tracing::info!(
            target: "wangge::cli::serve",
            rss_mb,
            duckdb_mb = mb(m.total),
            caches_mb,
            c_used_mb,
            c_held_mb,
            live_open = live.open,
            live_cells = live.cells,
            "memory: rss {rss_mb:.1} MB, caches {caches_mb:.1} MB, C heap {c_used_mb:.1} MB in use of {c_held_mb:.1} MB held, {m}; {live}"
        ),
        Err(e) => tracing::warn!(target: "wangge::cli::serve", rss_mb, error = %e, "memory: the store's could not be read"),
    }
}

/// Give the free pages inside glibc's malloc arenas back to the OS (`malloc_trim(0)`); whether any were.
///
/// The Rust code allocates with mimalloc, but DuckDB's C++ allocates with glibc's malloc, which keeps freed memory
/// in each thread's arena until the arena's top is free. After half an hour of incidents at 5 a second, half of it
/// was free and held (glibc's `malloc_stats` in soak 12: 52 MB taken from the OS, 25 MB in use), so `wangge serve` trims once a
/// minute. A no-op (false) where the C library is not glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn trim_c_heap() -> bool {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: glibc's malloc_trim takes each arena's own lock while it releases the arena's free pages; it is
    // safe to call from any thread at any time and reads no memory of ours.
    unsafe { malloc_trim(0) == 1 }
}

/// glibc's malloc over all its arenas (`mallinfo2`): bytes in use by the program (DuckDB's C++) and bytes it holds
/// from the OS, in use or free. Their difference is what the arenas keep freed or in pieces. None where the C
/// library is not glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn c_heap() -> Option<(u64, u64)> {
    /// glibc's `struct mallinfo2` (malloc.h, glibc 2.33 and later): ten `size_t` fields in this order.
    #[repr(C)]
    #[allow(dead_code)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    unsafe extern "C" {
        fn mallinfo2() -> MallInfo2;
    }
    // SAFETY: glibc's mallinfo2 takes each arena's lock while it sums it and returns the sums by value.
    let m = unsafe { mallinfo2() };
    Some(((m.uordblks + m.hblkhd) as u64, (m.arena + m.hblkhd) as u64))
}

/// glibc's malloc in use and held: not glibc here.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn c_heap() -> Option<(u64, u64)> {
    None
}

/// Give the free pages inside glibc's malloc arenas back to the OS: not glibc here, so nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim_c_heap() -> bool {
    false
}

impl Store {
    /// Let DuckDB hold at most `limit` (`256MB`, `1GB`: DuckDB's units) for this store; past it, it evicts
    /// cached blocks and spills. A limit DuckDB does not read is refused with its message.
    pub fn limit_memory(&self, limit: &str) -> Result<()> {
        let what = || format!("setting the store's memory limit to {limit:?}");
        self.conn.execute_batch(&format!("SET memory_limit = {}", super::geoparquet::quote_text(limit))).ctx(what)
    }

    /// Write what the WAL holds into the database file (DuckDB's `CHECKPOINT`): committed rows become ordinary
    /// blocks that the buffer pool may evict under its limit, and the WAL a restart replays shrinks to nothing.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.execute_batch("CHECKPOINT").ctx(|| "checkpointing the store".to_owned())
    }

    /// What DuckDB holds in memory for this store, by tag, and the database's sizes.
    pub fn memory_report(&self) -> Result<MemoryReport> {
        let what = || "reading DuckDB's memory".to_owned();
        let mut q = self
            .conn
            .prepare("SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0 ORDER BY 2 DESC")
            .ctx(what)?;
        let tags: Vec<(String, u64)> = q
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)))
            .and_then(|m| m.collect::<duckdb::Result<_>>())
            .ctx(what)?;
        let total = tags.iter().map(|(_, b)| b).sum();
        let (database_size, wal_size, memory_usage, memory_limit) = self
            .conn
            .query_row(
                "SELECT database_size::VARCHAR, wal_size::VARCHAR, memory_usage::VARCHAR, memory_limit::VARCHAR
                 FROM pragma_database_size() WHERE database_name = current_database()",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .ctx(what)?;
        Ok(MemoryReport { tags, total, database_size, wal_size, memory_usage, memory_limit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // glibc's malloc and free, for the tests that leave blocks in its arenas
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    unsafe extern "C" {
        fn malloc(size: usize) -> *mut u8;
        fn free(p: *mut u8);
    }

    #[test]
    fn the_report_sums_the_tags_and_names_the_sizes() {
        let s = Store::memory().expect("memory");
        s.conn.execute_batch("INSERT INTO sensor_readings SELECT 'S', i, i, NULL, NULL FROM range(200000) t(i)").expect("rows");
        let m = s.memory_report().expect("report");
        assert_eq!(m.total, m.tags.iter().map(|(_, b)| b).sum::<u64>());
        assert!(m.total > 0, "200,000 rows in memory take some: {m}");
        assert!(!m.memory_limit.is_empty(), "{m}");
        assert!(m.to_string().starts_with("duckdb "), "{m}");
    }

    #[test]
    fn a_memory_limit_is_set_and_a_bad_one_refused() {
        let s = Store::memory().expect("memory");
        s.limit_memory("64MB").expect("64MB");
        let m = s.memory_report().expect("report");
        assert!(m.memory_limit.contains("MiB") || m.memory_limit.contains("MB"), "{m}");
        assert!(m.memory_limit.starts_with("6"), "64 MB, or 61 MiB: {m}");
        let e = s.limit_memory("lots").expect_err("not a size");
        assert!(e.to_string().contains("lots"), "{e}");
    }

    #[test]
    fn a_checkpoint_empties_the_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(&dir.path().join("s.duckdb")).expect("open");
        s.conn.execute_batch("INSERT INTO sensor_readings SELECT 'S', i, i, NULL, NULL FROM range(20000) t(i)").expect("rows");
        let before = s.memory_report().expect("report").wal_size;
        assert_ne!(before, "0 bytes", "the rows are in the WAL first");
        s.checkpoint().expect("checkpoint");
        assert_eq!(s.memory_report().expect("report").wal_size, "0 bytes");
    }

    /// Freed memory in the middle of an arena (as DuckDB leaves it: later blocks still in use above) stays
    /// resident until a trim releases it.
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    fn a_trim_gives_back_free_pages_below_blocks_in_use() {
        // a new thread, which glibc gives an arena of its own while the arenas outnumber the busy threads
        let released = std::thread::spawn(|| {
            // SAFETY: glibc's malloc and free on blocks this closure owns; each block is written within its size
            // and freed once.
            unsafe {
                let blocks: Vec<*mut u8> = (0..200).map(|_| malloc(64 * 1024)).collect();
                assert!(blocks.iter().all(|p| !p.is_null()), "malloc");
                for &p in &blocks {
                    std::ptr::write_bytes(p, 1, 64 * 1024);
                }
                let pin = malloc(1024); // above them: the freed blocks are not the arena's top
                assert!(!pin.is_null(), "malloc");
                for p in blocks {
                    free(p);
                }
                let released = trim_c_heap();
                free(pin);
                released
            }
        })
        .join()
        .expect("thread");
        assert!(released, "malloc_trim released none of 12.8 MB freed below a block in use");
    }

    /// glibc's count of its memory in use follows a block malloc'd and freed (on this thread's arena).
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    fn the_c_heap_counts_a_block_in_use_until_it_is_freed() {
        const SIZE: u64 = 8 << 20;
        const SLACK: u64 = 1 << 20;
        // The counts are the whole process's: other tests' threads allocate and free beside this one, now and
        // then by more than a megabyte between two reads. One quiet try out of ten shows the block; a count
        // that did not follow it fails all ten.
        let mut seen = Vec::new();
        for _ in 0..10 {
            let (used0, _) = c_heap().expect("glibc");
            // SAFETY: one block malloc'd, written within its size, freed once.
            let (with, after) = unsafe {
                let p = malloc(SIZE as usize);
                assert!(!p.is_null(), "malloc");
                std::ptr::write_bytes(p, 1, SIZE as usize);
                let with = c_heap().expect("glibc");
                free(p);
                (with, c_heap().expect("glibc"))
            };
            if with.0 + SLACK >= used0 + SIZE && with.1 >= with.0 && after.0 + SIZE <= with.0 + SLACK {
                return;
            }
            seen.push(format!("in use {used0} → {} (held {}) → {} after free", with.0, with.1, after.0));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("glibc's count did not follow an 8 MB block in ten tries: {seen:#?}");
    }

    #[test]
    fn the_resident_size_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(rss_bytes().is_some_and(|b| b > 1 << 20));
        }
    }
}

//! The `wangge` binary.

use clap::Parser;

/// mimalloc rather than glibc's malloc: freed memory goes back to the OS instead of staying in per-thread arenas,
/// so a server running for days keeps its resident size flat (benches/RESULTS.md, issue 14 soak). Built with `no_thp`:
/// with transparent huge pages every touched 2 MB region was resident whole, and imports spent a third of their time
/// zeroing them.
/// The `system-alloc` feature leaves glibc's malloc in place, for heap profiling with `heaptrack`.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (position 15 of `mi_option_t` in the v3 `mimalloc.h` that libmimalloc-sys
/// builds; the crate exports no constant for it).
#[cfg(not(feature = "system-alloc"))]
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// For `wangge serve`: give freed pages back to the OS at once instead of after mimalloc's default 1 s, which it
/// only honours when the same thread allocates again. Under bursts of requests the server's RSS otherwise stepped up by
/// the freed memory its threads kept (12–37 MB a burst) while its live heap went back to where it was; with the
/// purge at once the steps after the first burst are 1–3 MB (benches/RESULTS.md, issue 14). Imports keep the default: their throughput
/// matters more than their RSS after they end. `MIMALLOC_PURGE_DELAY` in the environment still wins.
#[cfg(not(feature = "system-alloc"))]
#[allow(unsafe_code)]
fn purge_freed_pages_at_once() {
    // SAFETY: mi_option_set_default writes one entry of mimalloc's option table; it is not thread safe, and it runs
    // here before the server starts any thread.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 0) }
}

/// glibc's `M_ARENA_MAX` parameter of `mallopt` (malloc.h).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const M_ARENA_MAX: std::ffi::c_int = -8;

/// For `wangge serve`: at most one glibc malloc arena per core, not glibc's default of eight per core. DuckDB's C++
/// allocates with glibc's malloc on every thread that calls into the store (tokio's blocking pool, up to four per
/// core) and on its own workers. Each of those threads took an arena of its own, and every arena kept its freed
/// memory in its own pieces: in an hour's soak at 5 incidents a second glibc held 48–55 MB for 20–23 MB in use, and
/// its resident part kept rising. With two arenas on two cores it held 30–32 MB (benches/RESULTS.md, soaks 17 and
/// 18). `MALLOC_ARENA_MAX` in the environment still wins. Nothing to do where the C library is not glibc.
#[allow(unsafe_code)]
fn few_c_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        unsafe extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        let cores = std::thread::available_parallelism().map_or(2, usize::from).clamp(2, 64) as std::ffi::c_int;
        // SAFETY: mallopt sets one of glibc's malloc parameters under its own lock; it runs before the server
        // starts any thread, and an arena limit only affects arenas created after it.
        unsafe { mallopt(M_ARENA_MAX, cores) };
    }
}

fn main() {
    // RUST_LOG wins; by default warnings, and the request log of `wangge serve` at info
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,wangge::http=info,wangge::cli::serve=info".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let cli = wangge::cli::Cli::parse();
    if matches!(cli.command, wangge::cli::Command::Serve(_)) {
        #[cfg(not(feature = "system-alloc"))]
        purge_freed_pages_at_once();
        few_c_arenas();
    }
    let code = wangge::cli::run(cli);
    std::process::exit(code);
}

#[cfg(all(test, not(feature = "system-alloc")))]
mod tests {
    /// The option's position is mimalloc's, not ours: if an update of libmimalloc-sys moves it, this fails instead of
    /// `wangge serve` quietly setting another option. mimalloc's default purge delay is 1,000 ms.
    #[test]
    #[allow(unsafe_code)]
    fn the_purge_delay_option_is_where_we_set_it() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: mi_option_get only reads mimalloc's option table.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}

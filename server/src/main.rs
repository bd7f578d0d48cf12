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
    let code = wangge::cli::run(wangge::cli::Cli::parse());
    std::process::exit(code);
}

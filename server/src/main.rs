//! The `wangge` binary.

use clap::Parser;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let code = wangge::cli::run(wangge::cli::Cli::parse());
    std::process::exit(code);
}

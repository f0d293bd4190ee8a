//! Structured logs with `tracing`, filtered by the config's directive or
//! `RUST_LOG`, as text lines or (`log_format = "json"`) one JSON object per
//! line.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `default_filter`.
/// tower-abci logs every request at debug level (whole blobs included), so it is
/// capped at info unless named explicitly.
pub fn init(default_filter: &str, format: &str) -> anyhow::Result<()> {
    let directive = std::env::var("RUST_LOG").unwrap_or_else(|_| default_filter.to_string());
    let directive = if directive.contains("tower_abci") {
        directive
    } else {
        format!("{directive},tower_abci=info")
    };
    let filter = EnvFilter::try_new(&directive)
        .map_err(|e| anyhow::anyhow!("bad log filter {directive:?}: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = if format == "json" {
        builder.json().with_current_span(false).try_init()
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
    installed.map_err(|e| anyhow::anyhow!("cannot install logger: {e}"))
}

//! `lifeos health` and `lifeos --version`.

/// `lifeos --version`.
pub fn version() -> Result<(), String> {
    println!("lifeos {}", env!("CARGO_PKG_VERSION"));
    Ok(())
}

/// `lifeos health [--url URL]`: exit 0 when `/ready` answers 200.
pub async fn health(_args: Vec<String>) -> Result<(), String> {
    Err("not built yet".into())
}

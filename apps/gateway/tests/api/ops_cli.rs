//! The operator's probes run as processes: `lifeos --version`, `lifeos health`.

use crate::common::lifeos;

#[test]
fn version_prints_the_package_version() {
    let dir = tempfile::tempdir().unwrap();
    let output = lifeos(dir.path(), "sqlite::memory:")
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.trim(), format!("lifeos {}", env!("CARGO_PKG_VERSION")));
}

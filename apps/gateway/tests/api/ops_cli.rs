//! The operator's probes run as processes: `lifeos --version`, `lifeos health`.

use lifeos_kernel::testing::TestDatabase;

use crate::common::{TestApp, lifeos};

#[test]
fn version_prints_the_package_version() {
    let dir = tempfile::tempdir().unwrap();
    let output = lifeos(dir.path(), "sqlite::memory:")
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.trim(),
        format!("lifeos {}", env!("CARGO_PKG_VERSION"))
    );
}

/// `lifeos health` with nothing but `PATH` and `args`' variables: no secret, no vault,
/// no database (a container's health check runs it beside the server).
fn health(vars: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lifeos"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(vars.iter().copied())
        .arg("health")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// A port nothing listens on.
fn closed_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

lifeos_kernel::dialect_test! {
    async fn health_exits_0_when_the_server_is_ready(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let addr = app.base.strip_prefix("http://").unwrap().to_owned();
        let port = addr.rsplit(':').next().unwrap().to_owned();
        let output = tokio::task::spawn_blocking(move || {
            [
                health(&[], &["--url", &format!("http://{addr}")]),
                // From LIFEOS_BIND, as the server itself reads it: 0.0.0.0 is asked on loopback.
                health(&[("LIFEOS_BIND", &format!("0.0.0.0:{port}"))], &[]),
            ]
        })
        .await
        .unwrap();
        for run in output {
            assert!(
                run.status.success(),
                "{}: {}",
                app.label,
                String::from_utf8_lossy(&run.stderr)
            );
        }
        app.stop().await;
    }
}

#[test]
fn health_fails_readably_against_a_closed_port() {
    let addr = closed_port();
    let output = health(&[("LIFEOS_BIND", &addr.to_string())], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!("http://{addr}/ready")) && stderr.contains("cannot connect"),
        "{stderr}"
    );
    let output = health(&[], &["--url", "ftp://example.com"]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not an http:// URL"),
        "{output:?}"
    );
}

#[tokio::test]
async fn health_fails_when_ready_answers_503() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await;
            let _ = socket
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let output =
        tokio::task::spawn_blocking(move || health(&[], &["--url", &format!("http://{addr}")]))
            .await
            .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("answered 503") && stderr.contains("not ready"),
        "{stderr}"
    );
}

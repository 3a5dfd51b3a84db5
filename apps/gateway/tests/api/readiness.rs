//! `/health` and `/ready`, including readiness following the database away and back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifeos_kernel::testing::{self, TestDatabase};
use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::common::TestApp;

/// A TCP proxy in front of PostgreSQL that the test can cut and restore, so the shared
/// server is never stopped.
struct Proxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut proxy = Proxy {
            addr,
            upstream,
            tasks: Arc::default(),
            acceptor: None,
        };
        proxy.accept_on(listener);
        proxy
    }

    fn accept_on(&mut self, listener: TcpListener) {
        let (upstream, tasks) = (self.upstream, self.tasks.clone());
        self.acceptor = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(pipe);
            }
        }));
    }

    /// Closes the port and every open connection.
    fn cut(&mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.abort();
        }
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    async fn restore(&mut self) {
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.accept_on(listener);
    }
}

async fn ready_status(app: &TestApp) -> StatusCode {
    app.http
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap()
        .status()
}

async fn wait_for(app: &TestApp, wanted: StatusCode) {
    for _ in 0..100 {
        if ready_status(app).await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/ready never answered {wanted}");
}

lifeos_kernel::dialect_test! {
    async fn health_and_ready(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let health = app.http.get(app.url("/health")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        assert_eq!(ready_status(&app).await, StatusCode::OK);
        app.stop().await;
    }
}

// PostgreSQL only: it cuts a TCP proxy in front of the server; a SQLite file cannot go away.
#[tokio::test]
async fn ready_follows_postgres_away_and_back_without_a_restart() {
    let Ok(admin_url) = std::env::var(testing::TEST_DATABASE_URL) else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL readiness test skipped");
        return;
    };
    let db = testing::postgres(&admin_url).await;
    let mut url = url::Url::parse(&db.url).unwrap();
    let host = url.host_str().unwrap().to_owned();
    let port = url.port().unwrap_or(5432);
    let upstream = tokio::net::lookup_host((host.as_str(), port))
        .await
        .unwrap()
        .next()
        .unwrap();
    let mut proxy = Proxy::start(upstream).await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.addr.port())).unwrap();
    let proxied = TestDatabase::borrowed(url.as_str());

    let app = TestApp::spawn(&proxied).await;
    assert_eq!(ready_status(&app).await, StatusCode::OK);

    proxy.cut();
    wait_for(&app, StatusCode::SERVICE_UNAVAILABLE).await;
    let reply =
        crate::common::Reply::from(app.http.get(app.url("/ready")).send().await.unwrap()).await;
    reply.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");
    assert_eq!(
        app.http
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "still alive"
    );

    proxy.restore().await;
    wait_for(&app, StatusCode::OK).await;
    proxy.cut();
    drop(app);
    drop(db);
}

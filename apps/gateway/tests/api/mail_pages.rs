//! The pages mail links open: `/verify-email` and `/magic-link` show a form on GET (a mail
//! scanner's prefetch spends nothing), spend the token on POST, and answer with readable
//! HTML under their own strict Content-Security-Policy.

use lifeos_kernel::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, token};

/// An HTML page: its status, headers and text.
struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    html: String,
}

impl Page {
    async fn from(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            html: response.text().await.unwrap(),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The headers every page carries: HTML, never cached, its own strict policy.
    #[track_caller]
    fn assert_page_headers(&self) {
        assert_eq!(self.header("content-type"), "text/html; charset=utf-8");
        assert_eq!(self.header("cache-control"), "no-store");
        let csp = self.header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("style-src 'sha256-"), "{csp}");
        assert!(csp.contains("form-action 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(!csp.contains("script-src"), "no scripts: {csp}");
        assert!(!self.html.contains("<script"), "{}", self.html);
    }

    /// The text of the element with `id`.
    fn by_id(&self, id: &str) -> &str {
        let open = format!("id=\"{id}\">");
        let start = self.html.find(&open).expect(id) + open.len();
        let end = start + self.html[start..].find('<').unwrap();
        &self.html[start..end]
    }
}

async fn open(app: &TestApp, path_and_query: &str) -> Page {
    Page::from(app.http.get(app.url(path_and_query)).send().await.unwrap()).await
}

/// Presses the page's button: posts the form as a browser would, without cookies.
async fn submit(app: &TestApp, path: &str, token: &str) -> Page {
    let response = app
        .http
        .post(app.url(path))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    Page::from(response).await
}

async fn email_verified(app: &TestApp, access: &str) -> bool {
    let me = app.get("/api/v1/me", access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.body["emailVerified"].as_bool().unwrap()
}

/// Every mail in the app's mail directory, quoted-printable undone.
fn mails(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(app.mail_dir.path())
        .unwrap()
        .map(|entry| {
            std::fs::read_to_string(entry.unwrap().path())
                .unwrap()
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

lifeos_kernel::dialect_test! {
    async fn the_verify_page_confirms_only_when_its_button_is_pressed(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let access = token(&app.register("pages@example.com").await);
        let mailed = app
            .mailed_token("pages@example.com", "verify-email")
            .expect("verification mailed");

        // Opening the link (or a scanner prefetching it) only shows the form.
        let form = open(&app, &format!("/verify-email?token={mailed}")).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.html);
        form.assert_page_headers();
        assert!(form.html.contains("<form method=\"post\" action=\"verify-email\">"), "{}", form.html);
        assert!(
            form.html.contains(&format!("<input type=\"hidden\" name=\"token\" value=\"{mailed}\">")),
            "{}",
            form.html
        );
        assert!(form.html.contains("Confirm my e-mail address"), "{}", form.html);
        assert!(!email_verified(&app, &access).await, "a GET spends nothing");
        let again = open(&app, &format!("/verify-email?token={mailed}")).await;
        assert_eq!(again.status, StatusCode::OK);

        let confirmed = submit(&app, "/verify-email", &mailed).await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.html);
        confirmed.assert_page_headers();
        assert!(
            confirmed
                .html
                .contains("Your e-mail address <strong>pages@example.com</strong> is confirmed."),
            "{}",
            confirmed.html
        );
        assert!(email_verified(&app, &access).await);

        let spent = submit(&app, "/verify-email", &mailed).await;
        assert_eq!(spent.status, StatusCode::BAD_REQUEST, "{}", spent.html);
        spent.assert_page_headers();
        assert!(spent.html.contains("already used"), "{}", spent.html);
        assert!(email_verified(&app, &access).await);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn bad_links_get_readable_pages_not_errors(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        for path in ["/verify-email", "/verify-email?token=", "/magic-link", "/magic-link?other=1"] {
            let page = open(&app, path).await;
            assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}: {}", page.html);
            page.assert_page_headers();
            assert!(page.html.contains("carries no token"), "{path}: {}", page.html);
            assert!(!page.html.contains("<form"), "{path}: {}", page.html);
        }

        let unknown = submit(&app, "/magic-link", "not-a-token").await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.html);
        unknown.assert_page_headers();
        assert!(unknown.html.contains("expired, was already used, or is not valid"), "{}", unknown.html);

        let empty = submit(&app, "/verify-email", "").await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.html);
        assert!(empty.html.contains("carries no token"), "{}", empty.html);

        let json = app.post("/verify-email", None, json!({ "token": "x" })).await;
        assert!(json.status.is_client_error(), "{}", json.body);
        assert_eq!(json.content_type(), "text/html; charset=utf-8");

        // Whatever the link carries is text on the page, never markup.
        let hostile = open(&app, "/verify-email?token=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
        assert_eq!(hostile.status, StatusCode::OK);
        assert!(!hostile.html.contains("<script"), "{}", hostile.html);
        assert!(hostile.html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""), "{}", hostile.html);

        let long = open(&app, &format!("/magic-link?token={}", "a".repeat(300))).await;
        assert_eq!(long.status, StatusCode::BAD_REQUEST);
        assert!(long.html.contains("is not valid"), "{}", long.html);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_magic_link_page_signs_in(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.register("magic@example.com").await;
        let asked = app
            .post("/api/v1/auth/magic-link", None, json!({ "email": "magic@example.com" }))
            .await;
        assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
        let mailed = app
            .mailed_token("magic@example.com", "magic-link")
            .expect("magic link mailed");

        let form = open(&app, &format!("/magic-link?token={mailed}")).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.html);
        form.assert_page_headers();
        assert!(form.html.contains("<form method=\"post\" action=\"magic-link\">"), "{}", form.html);
        assert!(form.html.contains(&format!("value=\"{mailed}\"")), "{}", form.html);

        let signed_in = submit(&app, "/magic-link", &mailed).await;
        assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.html);
        signed_in.assert_page_headers();
        assert!(
            signed_in.html.contains("You are signed in as <strong>magic@example.com</strong>"),
            "{}",
            signed_in.html
        );
        assert!(signed_in.html.contains("<details>"), "tokens are tucked away: {}", signed_in.html);
        let access = signed_in.by_id("access-token").to_owned();
        assert!(signed_in.by_id("refresh-token").starts_with("lfr_"));
        let me = app.get("/api/v1/me", &access).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        assert_eq!(me.body["email"], "magic@example.com");
        assert_eq!(me.body["emailVerified"], true, "following the link proves the address");

        let spent = submit(&app, "/magic-link", &mailed).await;
        assert_eq!(spent.status, StatusCode::BAD_REQUEST, "{}", spent.html);
        assert!(spent.html.contains("already used"), "{}", spent.html);
        assert!(!spent.html.contains("access-token"), "{}", spent.html);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn mail_links_go_to_the_app_url_when_set(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |c| c.app_url = Some("https://app.example".into())).await;
        app.register("app-url@example.com").await;
        let sent = mails(&app);
        assert!(
            sent.iter().any(|mail| mail.contains("https://app.example/verify-email?token=")),
            "{sent:?}"
        );
        app.stop().await;

        let app = TestApp::spawn(&db).await;
        app.register("public-url@example.com").await;
        let sent = mails(&app);
        assert!(
            sent.iter().any(|mail| mail.contains("http://lifeos.test/verify-email?token=")),
            "without an app URL the server's own pages: {sent:?}"
        );
        app.stop().await;
    }
}

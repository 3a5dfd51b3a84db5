//! The pages mail links open when no client app is configured (`LIFEOS_APP_URL` unset):
//! `GET /verify-email?token=` and `GET /magic-link?token=` show a form that posts the
//! token back (so a mail scanner's prefetch does not spend it), and the `POST` shows the
//! result. Plain HTML, no scripts, served under a strict Content-Security-Policy.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRef, Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lifeos_kernel::AppError;
use lifeos_kernel::http::problem::status_of;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::IdentityError;
use crate::service::SharedIdentity;

/// The one inline style every page carries; the CSP allows exactly this text by its hash.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;\
padding:0 1rem;line-height:1.5;color:#1a1a1a}h1{font-size:1.5rem}\
button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}\
details{margin-top:2rem}code{word-break:break-all}";

/// The pages' Content-Security-Policy: nothing but the one inline style, forms post only
/// to this origin, no framing, no `<base>`.
static CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    let policy = format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
});

/// The longest token the pages pass on (ours are 43 characters); longer ones are not ours.
const MAX_TOKEN_LEN: usize = 256;

/// The mail-link pages, at the server's root (outside `/api/v1` and the contract).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    SharedIdentity: FromRef<S>,
{
    Router::new()
        .route("/verify-email", get(verify_form).post(verify))
        .route("/magic-link", get(magic_form).post(magic))
}

#[derive(Debug, Default, Deserialize)]
struct TokenField {
    #[serde(default)]
    token: Option<String>,
}

/// Which link a page is for.
#[derive(Debug, Clone, Copy)]
enum Link {
    VerifyEmail,
    MagicLink,
}

impl Link {
    /// The form's action: relative, so the page works wherever the server is published.
    fn action(self) -> &'static str {
        match self {
            Link::VerifyEmail => "verify-email",
            Link::MagicLink => "magic-link",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Link::VerifyEmail => "Confirm your e-mail address",
            Link::MagicLink => "Sign in to LifeOS",
        }
    }

    fn explanation(self) -> &'static str {
        match self {
            Link::VerifyEmail => {
                "You asked to confirm the e-mail address of your LifeOS account. \
                 Press the button to finish; the link works once."
            }
            Link::MagicLink => {
                "You asked for a sign-in link for your LifeOS account. \
                 Press the button to sign in; the link works once."
            }
        }
    }

    fn button(self) -> &'static str {
        match self {
            Link::VerifyEmail => "Confirm my e-mail address",
            Link::MagicLink => "Sign me in",
        }
    }

    fn failed(self) -> &'static str {
        match self {
            Link::VerifyEmail => "The e-mail address could not be confirmed",
            Link::MagicLink => "The sign-in link did not work",
        }
    }
}

async fn verify_form(uri: Uri) -> Response {
    form_page(Link::VerifyEmail, &uri)
}

async fn magic_form(uri: Uri) -> Response {
    form_page(Link::MagicLink, &uri)
}

async fn verify(
    State(identity): State<SharedIdentity>,
    form: Result<Form<TokenField>, FormRejection>,
) -> Response {
    let link = Link::VerifyEmail;
    let token = match posted_token(link, form) {
        Ok(token) => token,
        Err(page) => return page,
    };
    match identity.verify_email(&token).await {
        Ok(user) => page(
            StatusCode::OK,
            "E-mail address confirmed",
            &format!(
                "<p>Your e-mail address <strong>{}</strong> is confirmed.</p>\
                 <p>You can close this page.</p>",
                escape(&user.email)
            ),
        ),
        Err(error) => error_page(link, error),
    }
}

async fn magic(
    State(identity): State<SharedIdentity>,
    form: Result<Form<TokenField>, FormRejection>,
) -> Response {
    let link = Link::MagicLink;
    let token = match posted_token(link, form) {
        Ok(token) => token,
        Err(page) => return page,
    };
    match identity.consume_magic_link(&token).await {
        Ok(session) => page(
            StatusCode::OK,
            "Signed in",
            &format!(
                "<p>You are signed in as <strong>{email}</strong>.</p>\
                 <p>You can close this page.</p>\
                 <details><summary>Tokens for API clients</summary>\
                 <p>Access token (valid for {expires} s):<br><code id=\"access-token\">{access}</code></p>\
                 <p>Refresh token:<br><code id=\"refresh-token\">{refresh}</code></p>\
                 </details>",
                email = escape(&session.user.email),
                expires = session.expires_in,
                access = escape(&session.access_token),
                refresh = escape(&session.refresh_token),
            ),
        ),
        Err(error) => error_page(link, error),
    }
}

/// The page with the form that spends the token, or a readable page when the link
/// carries none.
fn form_page(link: Link, uri: &Uri) -> Response {
    let token = Query::<TokenField>::try_from_uri(uri)
        .ok()
        .and_then(|Query(field)| field.token)
        .filter(|token| !token.is_empty());
    let Some(token) = token else {
        return incomplete(link);
    };
    if token.len() > MAX_TOKEN_LEN {
        return invalid(link);
    }
    page(
        StatusCode::OK,
        link.title(),
        &format!(
            "<p>{explanation}</p>\
             <form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <button type=\"submit\">{button}</button>\
             </form>\
             <p>If you did not ask for this, close this page.</p>",
            explanation = link.explanation(),
            action = link.action(),
            token = escape(&token),
            button = link.button(),
        ),
    )
}

/// The token of a posted form, or the page that says what is wrong with the post.
fn posted_token(
    link: Link,
    form: Result<Form<TokenField>, FormRejection>,
) -> Result<String, Response> {
    match form {
        Ok(Form(TokenField { token: Some(token) })) if !token.is_empty() => {
            if token.len() > MAX_TOKEN_LEN {
                Err(invalid(link))
            } else {
                Ok(token)
            }
        }
        Ok(_) => Err(incomplete(link)),
        Err(rejection) => Err(page(
            rejection.status(),
            link.failed(),
            "<p>The form could not be read. Open the link from the e-mail again.</p>",
        )),
    }
}

fn incomplete(link: Link) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        link.failed(),
        "<p>This link is incomplete: it carries no token. Open the link from the e-mail \
         again, or copy the whole address into the browser.</p>",
    )
}

fn invalid(link: Link) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        link.failed(),
        "<p>This link has expired, was already used, or is not valid. Links in our \
         e-mails work once and for a limited time; ask for a new one in the app.</p>",
    )
}

fn error_page(link: Link, error: IdentityError) -> Response {
    if matches!(error, IdentityError::InvalidToken) {
        return invalid(link);
    }
    let error = AppError::from(error);
    let status = status_of(error.kind);
    if status.is_server_error() {
        tracing::error!(error = %error, source = ?error.source, "mail-link page failed");
        return page(
            status,
            link.failed(),
            "<p>Something went wrong on our side. The link was not used; please try again \
             in a few minutes.</p>",
        );
    }
    let mut response = page(
        status,
        link.failed(),
        &format!("<p>{}.</p>", escape(&capitalized(&error.detail))),
    );
    if let Some(seconds) = error.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A whole page with the pages' headers.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title} · LifeOS</title><style>{STYLE}</style></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>\n",
        title = escape(title),
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_SECURITY_POLICY, CSP.clone());
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Text for HTML content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style() {
        let csp = CSP.to_str().unwrap();
        let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
        assert!(csp.contains(&format!("style-src 'sha256-{hash}'")), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("form-action 'self'"));
    }

    #[test]
    fn a_page_escapes_its_title() {
        let response = page(StatusCode::OK, "<x>", "");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }
}

//! Gateway middleware: request ids, client addresses, problem+json for every error,
//! security headers.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use lifeos_kernel::http::{ClientIp, problem, request_id};

/// Takes the caller's `x-request-id` when it is sane, or makes one; every log line,
/// problem body and response of the request carries it.
#[expect(
    clippy::expect_used,
    reason = "the id was checked to be visible ASCII above"
)]
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(request_id::HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.chars().all(|c| c.is_ascii_graphic()))
        .map_or_else(|| lifeos_kernel::id::new_id().to_string(), str::to_owned);
    let value = HeaderValue::from_str(&id).expect("checked to be visible ASCII");
    request
        .headers_mut()
        .insert(request_id::HEADER, value.clone());
    let mut response = request_id::scope(id, next.run(request)).await;
    response.headers_mut().insert(request_id::HEADER, value);
    response
}

/// Records the client address for rate limits: the peer, or with a trusted proxy the
/// first `X-Forwarded-For` hop.
pub async fn client_ip(
    State(trust_proxy): State<bool>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = trust_proxy
        .then(|| request.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    if let Some(ip) = forwarded.or(peer) {
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
}

/// Turns every error response that is not already problem+json (unknown route, wrong
/// method, body limit, timeout...) into one, so clients parse a single error shape.
/// HTML pages (identity's mail-link pages) already explain their error to a person.
pub async fn problem_for_every_error(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error())
        || problem::is_problem(&response)
        || is_page
    {
        return response;
    }
    let mut rendered = problem::for_status(status).into_response_with_status(status);
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            rendered.headers_mut().insert(name, value.clone());
        }
    }
    rendered
}

/// Headers that make browsers treat API answers safely. Swagger UI needs scripts and
/// styles, so it gets no restrictive Content-Security-Policy.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let is_docs = request.uri().path().starts_with("/swagger-ui");
    let is_api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=63072000; includeSubDomains",
    );
    if !is_docs {
        set(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        );
    }
    if is_api {
        // Personal data: never cached by browsers or proxies.
        set(header::CACHE_CONTROL, "no-store");
    }
    response
}

/// A route that takes more than the API's body cap and time: an upload.
#[derive(Debug, Clone, Copy)]
pub struct Upload {
    pub path: &'static str,
    pub max_bytes: u64,
    pub timeout: std::time::Duration,
}

/// The hard body cap and the request timeout, per route: every route gets `max_bytes`
/// and `timeout`, an [`Upload`] its own. (One `RequestBodyLimitLayer` and `TimeoutLayer`
/// for all would cut a 2 GiB health export at 16 MiB and 30 seconds.)
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_bytes: u64,
    pub timeout: std::time::Duration,
    pub uploads: std::sync::Arc<[Upload]>,
}

pub async fn limits(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    use axum::response::IntoResponse;
    let upload = limits
        .uploads
        .iter()
        .find(|u| u.path == request.uri().path());
    let (max_bytes, timeout) = upload.map_or((limits.max_bytes, limits.timeout), |u| {
        (u.max_bytes, u.timeout)
    });
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_bytes) {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let cap = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let request =
        request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, cap)));
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

//! The OpenAPI contract: the domains' annotated routes plus what every operation shares
//! (security schemes, the problem responses, the list of error codes).

use std::collections::HashSet;

use axum::http::Method;
use lifeos_kernel::error::CommonCode;

use crate::domains;

mod rules;
use lifeos_kernel::http::Problem;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::tag::{Tag, TagBuilder};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};
use utoipa::{Modify, OpenApi as _};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "lifeos API",
        description = "One backend for a person's life OS. Errors are `application/problem+json` (RFC 9457) with a stable `code`.",
    ),
    components(schemas(Problem, lifeos_kernel::FieldError)),
    modifiers(&Shared),
)]
struct ApiDoc;

/// The base document the routers are merged into.
pub fn base() -> OpenApi {
    ApiDoc::openapi()
}

/// Every error code the API can answer with: the common ones and each domain's.
pub fn all_codes() -> Vec<&'static str> {
    let domains = domains::all();
    let mut codes: Vec<&'static str> = CommonCode::CODES
        .iter()
        .chain(domains.iter().flat_map(|d| d.codes))
        .copied()
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// The tags: each domain's, in registration order, then the system's.
fn tags() -> Vec<Tag> {
    domains::all()
        .iter()
        .flat_map(|d| d.tags)
        .chain(&[("system", "Health, readiness, metrics")])
        .map(|(name, description)| {
            TagBuilder::new()
                .name(*name)
                .description(Some(*description))
                .build()
        })
        .collect()
}

struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.schemas.insert(
            lifeos_kernel::http::text::JSON_VALUE_SCHEMA.to_owned(),
            RefOr::T(lifeos_kernel::http::text::json_value_schema()),
        );
        for (name, description) in PROBLEM_RESPONSES {
            components
                .responses
                .insert((*name).to_owned(), RefOr::T(problem_response(description)));
        }
    }
}

const PROBLEM_RESPONSES: &[(&str, &str)] = &[
    (
        "BadRequest",
        "Malformed request (`malformed_json`, `invalid_path_parameter`, `invalid_query`...)",
    ),
    (
        "Unauthorized",
        "Missing or invalid credentials (`unauthenticated`, `invalid_access_token`, `session_ended`...)",
    ),
    (
        "Forbidden",
        "The credential may not do this (`insufficient_scope`, `session_required`)",
    ),
    (
        "NotFound",
        "No such resource, or it belongs to someone else (`not_found`)",
    ),
    (
        "PayloadTooLarge",
        "Body over the limit (`payload_too_large`)",
    ),
    (
        "UnsupportedMediaType",
        "Body is not JSON (`unsupported_media_type`)",
    ),
    (
        "Unprocessable",
        "Invalid input (`invalid_body`, `validation_failed`, ...) with field `errors`",
    ),
    (
        "Conflict",
        "Conflicts with stored data (`id_conflict`, `idempotency_request_in_progress`, or the operation's own codes)",
    ),
    (
        "TooManyRequests",
        "Rate limited (`rate_limited`); see Retry-After",
    ),
    (
        "InternalError",
        "Unexpected failure (`internal_error`); the body never carries internals",
    ),
];

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
}

/// Adds the shared problem responses to each operation, so each handler documents only
/// its success and its specific errors.
fn add_problem_responses(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let has_path_params = path.contains('{');
        for (method, operation) in operations(item) {
            let writes = !matches!(method, "get" | "head" | "options");
            let idempotent = matches!(method, "post" | "patch");
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = operation.request_body.is_some();
            let mut wanted = vec![
                ("400", "BadRequest"),
                ("422", "Unprocessable"),
                ("429", "TooManyRequests"),
                ("500", "InternalError"),
            ];
            if secured {
                wanted.extend([("401", "Unauthorized"), ("403", "Forbidden")]);
            }
            if has_path_params || secured {
                wanted.push(("404", "NotFound"));
            }
            if has_body {
                wanted.extend([("413", "PayloadTooLarge"), ("415", "UnsupportedMediaType")]);
            }
            if secured && writes {
                // Any authenticated write can meet a conflict (a client id already taken, a
                // request with the same Idempotency-Key still running).
                wanted.push(("409", "Conflict"));
            }
            if secured && idempotent {
                add_idempotency_header(operation);
            }
            for (status, name) in wanted {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| {
                        RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                    });
            }
        }
    }
}

/// Each operation of a path, with its method.
fn operations(
    item: &mut utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("patch", &mut item.patch),
        ("head", &mut item.head),
        ("options", &mut item.options),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// Visible ASCII (what `invalid_idempotency_key` refuses otherwise).
const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]+$";

/// Documents the `Idempotency-Key` header that every authenticated write accepts.
fn add_idempotency_header(operation: &mut Operation) {
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    if parameters
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.name == "Idempotency-Key"))
    {
        return;
    }
    parameters.push(
        ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Retry-safe writes: 1 to 255 visible ASCII characters (a fresh UUID per logical request \
                 is a good choice). The same key with the same request replays the first answer for 24 h; \
                 with a different request it answers 422 `idempotency_key_reused`.",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(255))
                    .pattern(Some(IDEMPOTENCY_KEY_PATTERN)),
            ))
            .build()
            .into(),
    );
}

/// Lists every error code in `Problem.code`.
fn list_codes(openapi: &mut OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") else {
        return;
    };
    let code = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "Stable machine-readable code; clients branch on this.",
        ))
        .enum_values(Some(all_codes()))
        .build();
    problem
        .properties
        .insert("code".to_owned(), RefOr::T(Schema::Object(code)));
}

/// The declared POST and PATCH operations (method, route template): the writes that
/// take part in `Idempotency-Key`.
pub fn retryable_operations(openapi: &OpenApi) -> HashSet<(Method, String)> {
    openapi
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [
                (Method::POST, item.post.is_some()),
                (Method::PATCH, item.patch.is_some()),
            ]
            .into_iter()
            .filter(|(_, declared)| *declared)
            .map(|(method, _)| (method, path.clone()))
        })
        .collect()
}

/// Finishes the merged document.
pub fn finish(mut openapi: OpenApi) -> OpenApi {
    openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
    openapi.tags = Some(tags());
    add_problem_responses(&mut openapi);
    list_codes(&mut openapi);
    rules::state(&mut openapi);
    openapi
}

#[expect(
    clippy::expect_used,
    reason = "the document is plain data: serialising it cannot fail"
)]
pub fn to_json(openapi: &OpenApi) -> String {
    let mut text = openapi.to_pretty_json().expect("the spec serialises");
    text.push('\n');
    text
}

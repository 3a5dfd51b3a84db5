//! Rules every operation shares, stated in the schemas themselves so that a request the
//! contract calls valid is one the server accepts (checked by `just fuzz`):
//!
//! - dates and timestamps lie in the years 1900 to 2200 (`date_out_of_range` otherwise);
//! - request text holds no control characters but tab and newlines (`invalid_text`), and
//!   text with a minimum length is not blank (lengths count the trimmed text);
//! - member names of request objects hold no control characters either;
//! - a `cursor` is base64url text, empty or absent for the first page.
//!
//! Request schemas only (those a request body reaches, and the parameters): a response may
//! carry a computed date past 2200 (a service due after a last one in 2200).

use std::collections::BTreeSet;

use lifeos_kernel::date::{DATE_PATTERN, TIMESTAMP_PATTERN};
use utoipa::openapi::path::Parameter;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::{OpenApi, RefOr};

/// [`lifeos_kernel::http::text::PATTERN`] with at least one character that is not white space.
const NON_BLANK_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";
const CURSOR_PATTERN: &str = "^[A-Za-z0-9_-]*$";
/// Longer than any cursor the API issues (a sort key of a date or instant and an id).
const CURSOR_MAX_LENGTH: usize = 512;

pub fn state(openapi: &mut OpenApi) {
    let requested = request_components(openapi);
    if let Some(components) = openapi.components.as_mut() {
        for (name, schema) in components.schemas.iter_mut() {
            if requested.contains(name) || name == "Timestamp" {
                constrain(schema);
            }
        }
    }
    for item in openapi.paths.paths.values_mut() {
        for operation in super::operations(item) {
            for parameter in operation.1.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter {
                    constrain_parameter(parameter);
                }
            }
        }
    }
}

/// The component schemas a request body reaches, following `$ref`s.
fn request_components(openapi: &mut OpenApi) -> BTreeSet<String> {
    let mut pending: Vec<String> = Vec::new();
    for item in openapi.paths.paths.values_mut() {
        for (_, operation) in super::operations(item) {
            let Some(RefOr::T(body)) = operation.request_body.as_ref() else {
                continue;
            };
            for content in body.content.values() {
                if let RefOr::T(content) = content
                    && let Some(schema) = &content.schema
                {
                    refs(schema, &mut pending);
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = openapi
            .components
            .as_ref()
            .and_then(|c| c.schemas.get(&name))
        {
            refs(schema, &mut pending);
        }
    }
    seen
}

/// Collects the component names `schema` refers to.
fn refs(schema: &RefOr<Schema>, out: &mut Vec<String>) {
    match schema {
        RefOr::Ref(r) => {
            if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
                out.push(name.to_owned());
            }
        }
        RefOr::T(schema) => {
            for child in children(schema) {
                refs(child, out);
            }
        }
    }
}

fn children(schema: &Schema) -> Vec<&RefOr<Schema>> {
    match schema {
        Schema::Object(o) => {
            let mut out: Vec<&RefOr<Schema>> = o.properties.values().collect();
            if let Some(extra) = o.additional_properties.as_deref()
                && let AdditionalProperties::RefOr(extra) = extra
            {
                out.push(extra);
            }
            out
        }
        Schema::Array(a) => match &a.items {
            ArrayItems::RefOrSchema(items) => vec![items.as_ref()],
            ArrayItems::False => Vec::new(),
        },
        Schema::OneOf(o) => o.items.iter().collect(),
        Schema::AllOf(o) => o.items.iter().collect(),
        Schema::AnyOf(o) => o.items.iter().collect(),
        _ => Vec::new(),
    }
}

/// Adds the shared patterns to every string in `schema` that states no shape of its own.
fn constrain(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(o) => {
            constrain_string(o);
            constrain_names(o);
            for child in o.properties.values_mut() {
                constrain(child);
            }
            if let Some(extra) = o.additional_properties.as_deref_mut()
                && let AdditionalProperties::RefOr(extra) = extra
            {
                constrain(extra);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                constrain(items);
            }
        }
        Schema::OneOf(o) => o.items.iter_mut().for_each(constrain),
        Schema::AllOf(o) => o.items.iter_mut().for_each(constrain),
        Schema::AnyOf(o) => o.items.iter_mut().for_each(constrain),
        _ => {}
    }
}

fn constrain_string(o: &mut Object) {
    let is_string = match &o.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    if !is_string || o.pattern.is_some() || o.enum_values.is_some() {
        return;
    }
    o.pattern = match &o.format {
        Some(SchemaFormat::KnownFormat(KnownFormat::Date)) => Some(DATE_PATTERN.to_owned()),
        Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)) => {
            Some(TIMESTAMP_PATTERN.to_owned())
        }
        // Every length rule of the API counts the trimmed text: a required one is not blank.
        None if o.min_length.is_some_and(|n| n >= 1) => Some(NON_BLANK_TEXT_PATTERN.to_owned()),
        None => Some(lifeos_kernel::http::text::PATTERN.to_owned()),
        Some(_) => None,
    };
}

/// Member names are text too: an object's keys hold no control characters.
fn constrain_names(o: &mut Object) {
    let is_object = match &o.schema_type {
        SchemaType::Type(t) => *t == Type::Object,
        SchemaType::Array(types) => types.contains(&Type::Object),
        SchemaType::AnyValue => false,
    };
    // A request type without `deny_unknown_fields` ignores other members; they are text
    // like any other, so they are stated as such.
    if is_object && o.additional_properties.is_none() {
        o.additional_properties = Some(Box::new(AdditionalProperties::RefOr(RefOr::Ref(
            utoipa::openapi::Ref::from_schema_name(lifeos_kernel::http::text::JSON_VALUE_SCHEMA),
        ))));
    }
    if is_object && o.property_names.is_none() {
        o.property_names = Some(Box::new(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(lifeos_kernel::http::text::PATTERN))
                .build(),
        )));
    }
}

fn constrain_parameter(parameter: &mut Parameter) {
    let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut() else {
        return;
    };
    if parameter.name == "cursor" {
        schema.pattern = Some(CURSOR_PATTERN.to_owned());
        schema.max_length = Some(CURSOR_MAX_LENGTH);
        parameter.description.get_or_insert_with(|| {
            "The `nextCursor` of the previous page (base64url); empty or absent for the first page. \
             A cursor the API did not issue is a 422 `invalid_query`."
                .to_owned()
        });
        return;
    }
    constrain_string(schema);
}

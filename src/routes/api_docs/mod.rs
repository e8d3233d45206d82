//! `/api`: the API's reference for people, rendered by the server from the same OpenAPI document the
//! API serves (no script, no CDN). Open to everyone, as the document is.

use askama::Template;
use askama_web::WebTemplate;
use serde_json::Value;

use crate::error::AppResult;
use crate::view::Ctx;

pub struct Param {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub description: String,
}

pub struct Answer {
    pub status: String,
    pub description: String,
    pub schema: Option<String>,
}

pub struct Operation {
    /// The anchor: `get-customers-id`.
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub params: Vec<Param>,
    pub body: Option<String>,
    pub answers: Vec<Answer>,
}

pub struct Tag {
    pub name: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

pub struct Field {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

pub struct Schema {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Template, WebTemplate)]
#[template(path = "api_docs/index.html")]
pub struct ApiPage {
    pub ctx: Ctx,
    pub intro: String,
    pub tags: Vec<Tag>,
    pub schemas: Vec<Schema>,
    pub problems: &'static [(&'static str, &'static str)],
    /// The webhook event types.
    pub events: &'static [&'static str],
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A schema's name from a `$ref`, or its type in words.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(all) = schema
        .get("oneOf")
        .or_else(|| schema.get("allOf"))
        .and_then(Value::as_array)
    {
        let names: Vec<String> = all.iter().map(type_of).filter(|n| n != "null").collect();
        return names.join(" | ");
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!(
                "array of {}",
                schema.get("items").map(type_of).unwrap_or_default()
            )
        }
        Some(Value::String(t)) => {
            let format = text(schema, "format");
            if format.is_empty() {
                t.clone()
            } else {
                format!("{t} ({format})")
            }
        }
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        _ => String::new(),
    }
}

fn content_schema(v: &Value) -> Option<String> {
    let content = v.get("content")?.as_object()?;
    content
        .values()
        .next()
        .and_then(|c| c.get("schema"))
        .map(type_of)
}

/// The document, arranged for reading: operations by tag, then the schemas.
pub fn arrange(doc: &Value) -> (Vec<Tag>, Vec<Schema>) {
    let mut tags: Vec<Tag> = doc
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| Tag {
            name: text(t, "name"),
            description: text(t, "description"),
            operations: Vec::new(),
        })
        .collect();
    let paths = doc.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op
                .get("tags")
                .and_then(|t| t.get(0))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| Param {
                    name: text(p, "name"),
                    location: text(p, "in"),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    description: text(p, "description"),
                })
                .collect();
            let answers = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, r)| Answer {
                    status: status.clone(),
                    description: text(r, "description"),
                    schema: content_schema(r),
                })
                .collect();
            let operation = Operation {
                anchor: format!("{method}{}", path.replace(['/', '{', '}', '.'], "-"))
                    .trim_end_matches('-')
                    .to_owned(),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                params,
                body: op.get("requestBody").and_then(content_schema),
                answers,
            };
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(t) => t.operations.push(operation),
                None => tags.push(Tag {
                    name: tag,
                    description: String::new(),
                    operations: vec![operation],
                }),
            }
        }
    }
    tags.retain(|t| !t.operations.is_empty());
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let required: Vec<&str> = s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut fields: Vec<Field> = Vec::new();
            let mut add = |props: &Value| {
                for (field, f) in props.as_object().into_iter().flatten() {
                    fields.push(Field {
                        name: field.clone(),
                        kind: type_of(f),
                        required: required.contains(&field.as_str()),
                        description: text(f, "description"),
                    });
                }
            };
            if let Some(props) = s.get("properties") {
                add(props);
            }
            // A flattened object: its parts' properties.
            for part in s
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(props) = part.get("properties") {
                    add(props);
                }
            }
            Schema {
                name: name.clone(),
                fields,
            }
        })
        .collect();
    (tags, schemas)
}

pub async fn show(ctx: Ctx) -> AppResult<ApiPage> {
    let doc = serde_json::to_value(crate::api::openapi::doc())
        .map_err(|e| anyhow::anyhow!("the OpenAPI document does not serialize: {e}"))?;
    let (tags, schemas) = arrange(&doc);
    Ok(ApiPage {
        ctx,
        intro: doc
            .pointer("/info/description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        tags,
        schemas,
        problems: crate::api::problem::KINDS,
        events: crate::db::models::webhook::EVENTS,
    })
}

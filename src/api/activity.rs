//! The activity log: the provider's (everything concerning it), or a reseller's own actions.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Api, List, Org, Paging, Problem, ok, utc};
use crate::auth::PartnerStaff;
use crate::db::models::activity::{ACTIONS, Activity, LogFilter, LogRow};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Entry {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// customer.created, subscription.quantity_changed, …
    pub action: String,
    /// The action in words, in the token owner's language.
    pub action_name: String,
    pub entity_type: String,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub entity_id: Option<i64>,
    pub actor: Option<String>,
    pub acting_for: Option<String>,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub reseller_id: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EntryList {
    pub data: Vec<Entry>,
    pub next: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// One action (customer.created, …).
    pub action: Option<String>,
    /// One customer's entries (providers).
    pub customer: Option<i64>,
}

/// Entries, newest first.
#[utoipa::path(get, path = "/api/v1/activity", tag = "Activity log", params(Paging, ActivityQuery),
    responses((status = 200, body = EntryList), (status = 400, body = Problem)))]
pub async fn list(
    req: HttpRequest,
    caller: Api<PartnerStaff>,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, Problem> {
    let (seek, limit) = paging.seek::<i64>()?;
    let action = match query.action.as_deref().map(str::trim).unwrap_or_default() {
        "" => None,
        raw => Some(
            *ACTIONS
                .iter()
                .find(|a| **a == raw)
                .ok_or_else(|| Problem::bad_request("action is not one the log records."))?,
        ),
    };
    let filter = match Org::of(&caller)? {
        Org::Provider(user) => LogFilter {
            provider: Some(user.provider_id().get()),
            customer: query.customer,
            action,
            ..LogFilter::default()
        },
        Org::Reseller(user) => LogFilter {
            actor_partner: Some(user.reseller_id().get()),
            action,
            ..LogFilter::default()
        },
    };
    let tr = caller.tr();
    let page = state
        .db
        .query(move |conn| Activity::page(conn, &filter, &seek, limit))
        .await?;
    Ok(ok(&List::of(page, &req, |row: LogRow| Entry {
        action_name: tr.t(&row.action_key()).to_owned(),
        id: row.entry.id,
        occurred_at: utc(row.entry.occurred_at),
        action: row.entry.action,
        entity_type: row.entry.entity_type,
        entity_id: row.entry.entity_id,
        actor: row.actor,
        acting_for: row.acting_for,
        customer_id: row.entry.customer_id,
        customer_name: row.customer,
        reseller_id: row.entry.reseller_id,
        old_value: row.entry.old_value,
        new_value: row.entry.new_value,
    })))
}

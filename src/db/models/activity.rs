//! The activity log: every change, who made it, acting for whom, the customer it concerns, old -> new.

use diesel::prelude::*;

use crate::db::schema::activity_log;
use crate::db::{DbConnection, new_id, now};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = activity_log)]
pub struct Activity {
    pub id: i64,
    pub occurred_at: chrono::NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub actor_partner_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub reseller_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// One entry to record. Start from `NewActivity::new(action, entity_type, entity_id)` and fill in the rest.
#[derive(Default, Clone, Debug)]
pub struct NewActivity {
    pub actor_user_id: Option<i64>,
    pub actor_partner_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub reseller_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

impl NewActivity {
    pub fn new(action: &'static str, entity_type: &'static str, entity_id: Option<i64>) -> Self {
        Self {
            action,
            entity_type,
            entity_id,
            ..Self::default()
        }
    }

    pub fn by(mut self, user_id: i64, acting_for: Option<i64>) -> Self {
        self.actor_user_id = Some(user_id);
        self.actor_partner_id = acting_for;
        self
    }

    pub fn provider(mut self, provider_id: Option<i64>) -> Self {
        self.provider_id = provider_id;
        self
    }

    pub fn reseller(mut self, reseller_id: Option<i64>) -> Self {
        self.reseller_id = reseller_id;
        self
    }

    pub fn customer(mut self, customer_id: Option<i64>) -> Self {
        self.customer_id = customer_id;
        self
    }

    pub fn change(mut self, old: Option<String>, new: Option<String>) -> Self {
        self.old_value = old;
        self.new_value = new;
        self
    }

    pub fn record(self, conn: &mut DbConnection) -> QueryResult<i64> {
        let id = new_id();
        diesel::insert_into(activity_log::table)
            .values((
                activity_log::id.eq(id),
                activity_log::occurred_at.eq(now()),
                activity_log::actor_user_id.eq(self.actor_user_id),
                activity_log::actor_partner_id.eq(self.actor_partner_id),
                activity_log::provider_id.eq(self.provider_id),
                activity_log::reseller_id.eq(self.reseller_id),
                activity_log::customer_id.eq(self.customer_id),
                activity_log::action.eq(self.action),
                activity_log::entity_type.eq(self.entity_type),
                activity_log::entity_id.eq(self.entity_id),
                activity_log::old_value.eq(self.old_value),
                activity_log::new_value.eq(self.new_value),
            ))
            .execute(conn)?;
        Ok(id)
    }
}

impl Activity {
    /// Entries about one entity, newest first (tests and detail pages).
    pub fn for_entity(
        conn: &mut DbConnection,
        entity_type: &str,
        entity_id: i64,
    ) -> QueryResult<Vec<Activity>> {
        activity_log::table
            .filter(activity_log::entity_type.eq(entity_type))
            .filter(activity_log::entity_id.eq(entity_id))
            .order(activity_log::id.desc())
            .limit(100)
            .select(Activity::as_select())
            .load(conn)
    }
}

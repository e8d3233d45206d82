//! The platform's own settings (one row): whether operators must use multi-factor sign-in.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::platform_settings;

pub struct Platform;

impl Platform {
    pub fn require_mfa(conn: &mut DbConnection) -> QueryResult<bool> {
        Ok(platform_settings::table
            .find(1)
            .select(platform_settings::require_mfa)
            .first::<bool>(conn)
            .optional()?
            .unwrap_or(true))
    }

    /// Sets it: false when it already was so.
    pub fn set_require_mfa(conn: &mut DbConnection, required: bool) -> QueryResult<bool> {
        let n = diesel::update(
            platform_settings::table
                .find(1)
                .filter(platform_settings::require_mfa.ne(required)),
        )
        .set(platform_settings::require_mfa.eq(required))
        .execute(conn)?;
        Ok(n == 1)
    }
}

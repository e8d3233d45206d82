use std::collections::BTreeMap;
use std::time::Duration;

use diesel::prelude::*;
use partner_dashboard::config::{Config, MailTransport, OutboxSettings, ThrottleSettings};
use partner_dashboard::db::{DatabaseUrl, transaction};
use partner_dashboard::domain::{EnrollmentStatus, PartnerKind};
use partner_dashboard::startup::Application;

use crate::helpers::*;

#[tokio::test]
async fn an_unreachable_postgres_url_stops_start_up_and_never_falls_back_to_sqlite() {
    let data_dir = std::env::temp_dir().join(format!(
        "pd-unreachable-{}",
        partner_dashboard::db::new_id()
    ));
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: DatabaseUrl::Postgres(format!(
            "postgres://postgres:hunter2@127.0.0.1:{port}/pd"
        )),
        data_dir: data_dir.clone(),
        base_url: None,
        mail: MailTransport::Memory,
        mail_from: "x <x@example.com>".parse().unwrap(),
        session_key: actix_web::cookie::Key::from(&[7u8; 64]),
        tenant_domain_suffix: "onmicrosoft.com".into(),
        link_ttl: chrono::Duration::days(30),
        session_idle: Duration::from_secs(60),
        outbox: OutboxSettings::default(),
        throttle: ThrottleSettings::default(),
        webhooks: partner_dashboard::webhooks::WebhookSettings::default(),
        metrics_token: None,
        metrics_bind: None,
        trusted_proxies: Vec::new(),
        simulated_now: None,
        allow_simulated_clock: false,
        clock: partner_dashboard::clock::Clock::system(),
    };
    let err = match Application::build(config).await {
        Ok(_) => panic!("start-up must fail"),
        Err(err) => format!("{err:#}"),
    };
    assert!(
        err.starts_with("cannot connect to the database at postgres://postgres:***@127.0.0.1"),
        "{err}"
    );
    assert!(!err.contains("hunter2"));
    // Nothing was created on disk in its place.
    assert_eq!(std::fs::read_dir(&data_dir).unwrap().count(), 0);
}

/// The tables and columns `schema.rs` declares: (table, column) → (SQL type, nullable).
fn declared_schema() -> BTreeMap<(String, String), (String, bool)> {
    let source = include_str!("../../src/db/schema.rs");
    let mut columns = BTreeMap::new();
    let mut table: Option<String> = None;
    for line in source.lines() {
        let line = line.trim();
        if let Some((name, _)) = line.split_once(" (").filter(|_| line.ends_with(") {")) {
            table = Some(name.to_owned());
        } else if line == "}" {
            table = None;
        } else if let (Some(t), Some((column, ty))) = (&table, line.split_once(" -> ")) {
            let ty = ty.trim_end_matches(',');
            let (ty, nullable) = match ty.strip_prefix("Nullable<") {
                Some(inner) => (inner.trim_end_matches('>'), true),
                None => (ty, false),
            };
            columns.insert((t.clone(), column.to_owned()), (ty.to_owned(), nullable));
        }
    }
    columns
}

#[derive(QueryableByName, Debug)]
struct LiveColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
}

/// Diesel's SQL type for a column type the migrations wrote, on either backend. SQLite stores every
/// integer in up to 64 bits, so there `INTEGER` (a rowid's type) serves BigInt as well.
fn diesel_type(data_type: &str, declared: &str) -> &'static str {
    let sqlite = !backend_is_postgres();
    match data_type.to_ascii_lowercase().as_str() {
        "integer" if sqlite && declared == "BigInt" => "BigInt",
        "bigint" | "int8" => "BigInt",
        "integer" | "int" | "int4" => "Integer",
        "text" | "character varying" => "Text",
        "boolean" | "bool" => "Bool",
        "timestamp" | "timestamp without time zone" | "datetime" => "Timestamp",
        "blob" | "bytea" => "Binary",
        _ => "unknown",
    }
}

#[tokio::test]
async fn the_migrated_database_has_exactly_the_tables_columns_types_and_nullability_of_the_schema()
{
    let app = spawn_app().await;
    let query = if backend_is_postgres() {
        "SELECT table_name::text AS table_name, column_name::text AS column_name,
                data_type::text AS data_type, (is_nullable = 'YES') AS nullable
         FROM information_schema.columns WHERE table_schema = 'public'"
    } else {
        // A primary key is never null here: ids are made in Rust and every insert names one (SQLite
        // alone would let a non-INTEGER primary key hold NULL).
        "SELECT m.name AS table_name, c.name AS column_name, c.type AS data_type,
                (c.\"notnull\" = 0 AND c.pk = 0) AS nullable
         FROM sqlite_master m JOIN pragma_table_info(m.name) c
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
    };
    let declared = declared_schema();
    let live: BTreeMap<(String, String), (String, bool)> = app.with_conn(|conn| {
        diesel::sql_query(query)
            .load::<LiveColumn>(conn)
            .unwrap()
            .into_iter()
            .filter(|c| c.table_name != "__diesel_schema_migrations")
            .map(|c| {
                let key = (c.table_name, c.column_name);
                let want = declared.get(&key).map_or("", |(ty, _)| ty.as_str());
                let ty = diesel_type(&c.data_type, want).to_owned();
                (key, (ty, c.nullable))
            })
            .collect()
    });
    assert!(
        declared.len() > 150,
        "schema.rs was read: {}",
        declared.len()
    );
    let mut differences = Vec::new();
    for (key, want) in &declared {
        match live.get(key) {
            None => differences.push(format!("{}.{} is missing", key.0, key.1)),
            Some(got) if got != want => differences.push(format!(
                "{}.{}: {got:?}, schema.rs says {want:?}",
                key.0, key.1
            )),
            Some(_) => {}
        }
    }
    for key in live.keys().filter(|k| !declared.contains_key(*k)) {
        differences.push(format!("{}.{} is not in schema.rs", key.0, key.1));
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[tokio::test]
async fn a_failing_transaction_writes_nothing() {
    use partner_dashboard::db::models::partner::{NewPartner, Partner};
    use partner_dashboard::db::schema::partners;
    let app = spawn_app().await;
    let result: Result<(), partner_dashboard::db::DbError> = app.with_conn(|conn| {
        transaction(conn, |conn| {
            Partner::create(
                conn,
                NewPartner {
                    kind: PartnerKind::Reseller,
                    name: "Half Written Ltd",
                    partner_number: Some("123"),
                    country: "TW",
                    contact_name: "",
                    contact_email: "x@example.com",
                    enrollment_status: EnrollmentStatus::Pending,
                },
            )?;
            // The same Partner ID again breaks a unique constraint half-way through.
            Partner::create(
                conn,
                NewPartner {
                    kind: PartnerKind::Reseller,
                    name: "Second",
                    partner_number: Some("123"),
                    country: "TW",
                    contact_name: "",
                    contact_email: "y@example.com",
                    enrollment_status: EnrollmentStatus::Pending,
                },
            )?;
            Ok(())
        })
    });
    assert!(result.is_err());
    let count: i64 = app.with_conn(|conn| partners::table.count().get_result(conn).unwrap());
    assert_eq!(count, 0);
}

#[tokio::test]
async fn foreign_keys_are_enforced() {
    use partner_dashboard::db::schema::users;
    let app = spawn_app().await;
    let at = partner_dashboard::db::now();
    let result = app.with_conn(|conn| {
        diesel::insert_into(users::table)
            .values((
                users::id.eq(1),
                users::email.eq("orphan@example.com"),
                users::password_hash.eq("x"),
                users::role.eq("provider"),
                users::partner_id.eq(Some(424242_i64)),
                users::display_name.eq("Orphan"),
                users::created_at.eq(at),
                users::updated_at.eq(at),
            ))
            .execute(conn)
    });
    assert!(
        result.is_err(),
        "a user of a partner that does not exist must be refused"
    );
}

#[tokio::test]
async fn the_write_ahead_log_is_copied_back_beside_the_writer() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let db = app.state.db.clone();
    let (log, checkpointed) = tokio::task::spawn_blocking(move || {
        db.checkpoint(partner_dashboard::db::Checkpoint::Passive)
    })
    .await
    .unwrap()
    .unwrap();
    if backend_is_postgres() {
        assert_eq!((log, checkpointed), (0, 0), "nothing to do on PostgreSQL");
    } else {
        assert!(log > 0, "the provider's rows are in the WAL");
        assert_eq!(
            checkpointed, log,
            "every frame is back in the database file"
        );
    }
}

fn reseller<'a>(
    name: &'a str,
    number: &'a str,
) -> partner_dashboard::db::models::partner::NewPartner<'a> {
    use partner_dashboard::db::models::partner::NewPartner;
    NewPartner {
        kind: PartnerKind::Reseller,
        name,
        partner_number: Some(number),
        country: "TW",
        contact_name: "",
        contact_email: "x@example.com",
        enrollment_status: EnrollmentStatus::Pending,
    }
}

#[tokio::test]
async fn writes_at_the_same_moment_each_commit_or_roll_back_on_their_own() {
    use partner_dashboard::db::models::partner::Partner;
    use partner_dashboard::db::schema::partners;
    use partner_dashboard::error::AppError;
    let app = spawn_app().await;
    let db = app.state.db.clone();
    // Forty writes queued together (on SQLite they share commits); every fourth fails after writing.
    let writes = (0..40).map(|i| {
        let db = db.clone();
        async move {
            db.write(move |conn| {
                let (name, number) = (format!("Reseller {i}"), format!("{}", 1000 + i));
                Partner::create(conn, reseller(&name, &number))?;
                if i % 4 == 3 {
                    return Err(AppError::Conflict("errors.conflict"));
                }
                Ok(i)
            })
            .await
        }
    });
    let results = futures_util::future::join_all(writes).await;
    for (i, result) in results.iter().enumerate() {
        assert_eq!(
            result.is_ok(),
            i % 4 != 3,
            "write {i}: {:?}",
            result.as_ref().err()
        );
    }
    let names: Vec<String> = app.with_conn(|conn| {
        partners::table
            .select(partners::name)
            .order(partners::name)
            .load(conn)
            .unwrap()
    });
    assert_eq!(
        names.len(),
        30,
        "only the writes that succeeded are there: {names:?}"
    );
    assert!(!names.contains(&"Reseller 3".to_owned()));
    assert!(names.contains(&"Reseller 4".to_owned()));
}

#[tokio::test]
async fn a_panicking_write_is_reported_and_the_writer_goes_on() {
    use partner_dashboard::db::models::partner::Partner;
    use partner_dashboard::db::schema::partners;
    let app = spawn_app().await;
    let db = app.state.db.clone();
    let failed = db
        .write(|conn| -> Result<(), partner_dashboard::error::AppError> {
            Partner::create(conn, reseller("Half Written Ltd", "777"))?;
            panic!("a bug in the middle of a write");
        })
        .await;
    assert!(failed.is_err());
    db.execute(|conn| Partner::create(conn, reseller("Next Ltd", "778")))
        .await
        .unwrap();
    let names: Vec<String> =
        app.with_conn(|conn| partners::table.select(partners::name).load(conn).unwrap());
    assert_eq!(names, vec!["Next Ltd".to_owned()]);
}

/// Today's delegated administration becomes grants: each `delegated_admin` relationship an active
/// two-year grant with today's rights, to its reseller (or its provider without one); the flag goes.
#[test]
fn the_grants_migration_turns_delegated_administration_into_two_year_grants() {
    use diesel::connection::SimpleConnection;
    use diesel::sqlite::SqliteConnection;
    use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
    const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
    let path =
        std::env::temp_dir().join(format!("pd-grants-{}.db", partner_dashboard::db::new_id()));
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    // Every migration before the grants.
    loop {
        let version = conn.run_next_migration(MIGRATIONS).unwrap().to_string();
        if version.replace('-', "").starts_with("20261205000002") {
            break;
        }
    }
    let at = "'2026-12-01 00:00:00'";
    conn.batch_execute(&format!(
        "INSERT INTO partners (id, kind, name, country, contact_email, enrollment_status, created_at, updated_at) VALUES
           (1, 'provider', 'Contoso', 'TW', 'p@contoso.example', 'verified', {at}, {at}),
           (2, 'reseller', 'Northwind', 'TW', 'r@northwind.example', 'verified', {at}, {at});
         INSERT INTO customers (id, company_name, domain_prefix, country, language, created_at, updated_at) VALUES
           (10, 'Wingtip', 'wingtip', 'TW', 'en', {at}, {at}),
           (11, 'Coho', 'coho', 'TW', 'en', {at}, {at}),
           (12, 'Fourth', 'fourth', 'TW', 'en', {at}, {at});
         INSERT INTO provider_customers (id, provider_id, customer_id, reseller_id, delegated_admin, origin,
             company_name, domain_prefix, created_at) VALUES
           (20, 1, 10, 2, TRUE, 'created', 'Wingtip', 'wingtip', {at}),
           (21, 1, 11, 2, FALSE, 'created', 'Coho', 'coho', {at}),
           (22, 1, 12, NULL, TRUE, 'invited', 'Fourth', 'fourth', {at});"
    ))
    .unwrap();
    conn.run_pending_migrations(MIGRATIONS).unwrap();

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        customer_id: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        holder_id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        role_admin: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        role_licenses: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        role_support: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        role_billing: bool,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        days: i32,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        created_at: chrono::NaiveDateTime,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        expires_at: chrono::NaiveDateTime,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT customer_id, holder_id, status, role_admin, role_licenses, role_support, role_billing,
                days, created_at, expires_at FROM grants ORDER BY customer_id",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (r.customer_id, r.holder_id, r.status.as_str()))
            .collect::<Vec<_>>(),
        vec![(10, 2, "active"), (12, 1, "active")]
    );
    for r in &rows {
        assert!(r.role_admin && r.role_licenses && r.role_support && !r.role_billing);
        assert_eq!(r.days, 730);
        assert_eq!(r.expires_at - r.created_at, chrono::Duration::days(730));
    }
    // The flag is gone.
    assert!(
        diesel::sql_query("SELECT delegated_admin FROM provider_customers")
            .execute(&mut conn)
            .is_err()
    );
    drop(conn);
    let _ = std::fs::remove_file(path);
}

/// The query plan of `sql` on the backend under test, one line per step (PostgreSQL with sequential
/// scans off, as on a table too large to scan).
fn plan(app: &TestApp, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct SqliteStep {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    #[derive(QueryableByName)]
    struct PgStep {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        step: String,
    }
    app.with_conn(|conn| {
        transaction(conn, |conn| {
            let lines: Vec<String> = if backend_is_postgres() {
                diesel::sql_query("SET LOCAL enable_seqscan = off").execute(conn)?;
                diesel::sql_query(format!("EXPLAIN {sql}"))
                    .load::<PgStep>(conn)?
                    .into_iter()
                    .map(|s| s.step)
                    .collect()
            } else {
                diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                    .load::<SqliteStep>(conn)?
                    .into_iter()
                    .map(|s| s.detail)
                    .collect()
            };
            Ok::<_, partner_dashboard::db::DbError>(lines.join("\n"))
        })
        .unwrap()
    })
}

#[tokio::test]
async fn a_statements_orders_are_found_through_the_partial_statement_indexes() {
    let app = spawn_app().await;
    // A statement's orders, its resale orders, and the totals' correlated sums: each names a
    // statement, which implies the indexes' `IS NOT NULL`.
    for (sql, index) in [
        (
            "SELECT id FROM orders WHERE statement_id = 7 AND customer_id IN (1, 2) ORDER BY id",
            "orders_statement_idx",
        ),
        (
            "SELECT id FROM orders WHERE resale_statement_id = 7 ORDER BY id",
            "orders_resale_statement_idx",
        ),
        (
            "UPDATE statements SET total_minor = (SELECT COALESCE(SUM(ol.line_total_minor), 0) \
             FROM order_lines ol JOIN orders o ON o.id = ol.order_id \
             WHERE o.statement_id = statements.id) WHERE provider_id = 1",
            "orders_statement_idx",
        ),
        (
            "UPDATE statements SET total_minor = (SELECT COALESCE(SUM(ol.line_total_minor), 0) \
             FROM order_lines ol JOIN orders o ON o.id = ol.order_id \
             WHERE o.resale_statement_id = statements.id) WHERE provider_id = 1",
            "orders_resale_statement_idx",
        ),
    ] {
        let plan = plan(&app, sql);
        assert!(plan.contains(index), "{sql}\n{plan}");
    }
}

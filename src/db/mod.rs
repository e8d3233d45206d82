//! The database: one connection type over SQLite and PostgreSQL, chosen by the URL scheme, r2d2 pools,
//! embedded migrations, and the helpers that run every query off the async executor.

/// Runs `$body` on the connection of whichever backend `$conn` is, with `$c` bound to it: for the
/// few statements diesel's multi-backend connection cannot build (upserts, multi-row INSERTs on
/// SQLite), the same code type-checked once per backend.
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgresql($c) => $body,
        }
    };
}

pub mod backup;
pub mod error;
pub mod models;
pub mod schema;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{
    ConnectionManager, CustomizeConnection, ManageConnection, Pool, PooledConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use crate::domain::id::new_id;
pub use error::DbError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend. Queries written in diesel's DSL run on both; the rare
/// backend-specific query matches on this enum in its model file.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// Connections being opened right now, and whether the pools are closing (see `Db::close`).
#[derive(Debug, Default)]
struct Opening {
    count: AtomicUsize,
    closed: AtomicBool,
}

impl Opening {
    /// No more connections are opened; returns once none is being opened (or after `patience`).
    fn close(&self, patience: Duration) -> bool {
        self.closed.store(true, Ordering::SeqCst);
        let deadline = std::time::Instant::now() + patience;
        while self.count.load(Ordering::SeqCst) > 0 {
            if std::time::Instant::now() >= deadline {
                tracing::warn!("a database connection was still being opened at shutdown");
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }
}

/// diesel's r2d2 manager, counting the connections it is opening. r2d2 opens connections on threads
/// of its own (to keep `min_idle`, or for a waiting `get`); a process that exits while one of them is
/// in libpq's TLS handshake crashes in OpenSSL's exit-time cleanup. `Db::close` waits for them.
#[derive(Debug)]
pub struct Manager {
    inner: ConnectionManager<DbConnection>,
    opening: Arc<Opening>,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        // Counted before the check, so `close` either sees this connection coming or it sees `closed`.
        self.opening.count.fetch_add(1, Ordering::SeqCst);
        let result = if self.opening.closed.load(Ordering::SeqCst) {
            Err(diesel::r2d2::Error::ConnectionError(
                diesel::ConnectionError::BadConnection("the database pools are closed".into()),
            ))
        } else {
            self.inner.connect()
        };
        self.opening.count.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        self.inner.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        self.inner.has_broken(conn)
    }
}

/// Where the data lives, parsed from `DATABASE_URL`: `postgres://` or `postgresql://` selects PostgreSQL,
/// anything else is a SQLite file (`sqlite://path`, `sqlite:path` or a bare path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if raw.contains("://") && !raw.starts_with("sqlite://") {
            return Err("must start with postgres://, postgresql:// or sqlite://".into());
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.is_empty() || path == ":memory:" {
            return Err(
                "needs a file path (an in-memory SQLite database cannot be shared by the pool)"
                    .into(),
            );
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// The URL without credentials, for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("***"));
                    }
                    url.to_string()
                }
                Err(_) => "postgres://…".into(),
            },
        }
    }

    fn connection_string(&self) -> String {
        match self {
            Self::Sqlite(path) => path.to_string_lossy().into_owned(),
            Self::Postgres(raw) => raw.clone(),
        }
    }
}

/// How far `Db::checkpoint` goes: `Passive` copies what it can without waiting for anyone (while the
/// server runs); `Truncate` waits for readers and writers, copies everything and empties the log (at
/// shutdown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    Passive,
    Truncate,
}

/// Per-connection SQLite settings. WAL lets readers run beside the single writer; foreign keys are off
/// by default in SQLite and must be switched on for every connection.
#[derive(Debug, Clone, Copy)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(_) = conn {
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA temp_store = MEMORY;
                 PRAGMA cache_size = -4000;
                 PRAGMA wal_autocheckpoint = 16384;
                 PRAGMA journal_size_limit = 67108864;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// The application's pools. On SQLite every write goes through one writer connection (SQLite allows one
/// writer at a time; queuing in the app beats spinning on `SQLITE_BUSY`), while reads share a larger pool.
/// On PostgreSQL both are the same pool.
///
/// On SQLite, writes are queued to the writer thread (`writer.rs`), which commits the writes waiting at
/// the same moment together; they never take a blocking thread, so a burst of writes cannot hold up the
/// threads that reads need. Reads run on the blocking pool with a connection from the read pool.
#[derive(Clone)]
pub struct Db {
    read: DbPool,
    write: DbPool,
    writer: Option<writer::Writer>,
    url: DatabaseUrl,
    opening: Arc<Opening>,
}

impl Db {
    /// Connects (failing at once with a clear error when the database cannot be reached — a PostgreSQL
    /// URL never falls back to SQLite), applies the embedded migrations, and builds the pools.
    pub fn connect(url: &DatabaseUrl) -> anyhow::Result<Self> {
        if let DatabaseUrl::Sqlite(path) = url {
            create_parent_dir(path)?;
        }
        let mut first = DbConnection::establish(&url.connection_string())
            .with_context(|| format!("cannot connect to the database at {}", url.redacted()))?;
        if let DbConnection::Sqlite(_) = first {
            SqlitePragmas
                .on_acquire(&mut first)
                .context("cannot configure the SQLite database")?;
        }
        run_migrations(&mut first)?;
        drop(first);

        let workers: u32 = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .try_into()
            .unwrap_or(64);
        let opening = Arc::new(Opening::default());
        let build = |max_size: u32| -> anyhow::Result<DbPool> {
            Pool::builder()
                .max_size(max_size)
                .min_idle(Some(1))
                .connection_timeout(Duration::from_secs(10))
                .connection_customizer(Box::new(SqlitePragmas))
                .build(Manager {
                    inner: ConnectionManager::new(url.connection_string()),
                    opening: opening.clone(),
                })
                .with_context(|| format!("cannot open a connection pool to {}", url.redacted()))
        };
        let (read, write) = match url {
            DatabaseUrl::Sqlite(_) => (build((workers * 2).max(4))?, build(1)?),
            DatabaseUrl::Postgres(_) => {
                let pool = build((workers * 4).max(8))?;
                (pool.clone(), pool)
            }
        };
        let writer = match url {
            DatabaseUrl::Sqlite(_) => Some(writer::Writer::start(write.clone())?),
            DatabaseUrl::Postgres(_) => None,
        };
        Ok(Self {
            read,
            write,
            writer,
            url: url.clone(),
            opening,
        })
    }

    /// Stops the pools from opening connections and waits (up to ten seconds) until none is being
    /// opened. Call it before the process exits: libpq's TLS handshake on a pool thread must not meet
    /// OpenSSL's exit-time cleanup. Connections already open keep working.
    pub fn close(&self) {
        self.opening.close(Duration::from_secs(10));
    }

    /// Each pool's connections, idle ones and most (`/metrics`).
    pub fn pool_states(&self) -> Vec<(&'static str, u32, u32, u32)> {
        let state = |name, pool: &DbPool| {
            let s = pool.state();
            (name, s.connections, s.idle_connections, pool.max_size())
        };
        match self.url {
            DatabaseUrl::Sqlite(_) => vec![state("read", &self.read), state("write", &self.write)],
            DatabaseUrl::Postgres(_) => vec![state("main", &self.read)],
        }
    }

    /// SQLite's writer: its queue and batches so far (none on PostgreSQL).
    pub fn writer_stats(&self) -> Option<writer::WriterSnapshot> {
        self.writer.as_ref().map(|w| w.stats().snapshot())
    }

    /// How many connections the pools hold together.
    pub fn max_connections(&self) -> u32 {
        match self.url {
            DatabaseUrl::Sqlite(_) => self.read.max_size() + self.write.max_size(),
            DatabaseUrl::Postgres(_) => self.read.max_size(),
        }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Runs model queries with a read connection on the blocking thread pool (`read` for a closure
    /// with an error type of its own).
    pub async fn query<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.read(move |conn| f(conn).map_err(DbError::from)).await
    }

    /// Runs model writes in one transaction (`write` for a closure with an error type of its own).
    pub async fn execute<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.write(move |conn| f(conn).map_err(DbError::from)).await
    }

    /// `execute` for callers on a blocking thread.
    pub fn execute_blocking<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.write_blocking(move |conn| f(conn).map_err(DbError::from))
    }

    /// Runs `f` with a read connection on the blocking thread pool.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        run_blocking(self.read.clone(), f).await
    }

    /// Runs `f` inside one write transaction: everything it writes is committed together, or nothing
    /// is. On SQLite the transaction is a savepoint in the writer's next batch (see `writer.rs`); on
    /// PostgreSQL it is a transaction of its own on the blocking pool.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write(f).await,
            None => run_blocking(self.write.clone(), move |conn| transaction(conn, f)).await,
        }
    }

    /// `write` for callers on a blocking thread (the outbox worker, housekeeping): on SQLite their
    /// writes queue for the same writer as the requests' rather than compete for its connection.
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write_blocking(f),
            None => {
                let mut conn = self.write.get().map_err(DbError::from)?;
                transaction(&mut conn, f)
            }
        }
    }

    /// Copies the write-ahead log back into the database file (SQLite; a no-op on PostgreSQL), beside
    /// the writer rather than in its way: left to SQLite, the commit that crosses the threshold does it,
    /// and that request waits. The server runs this ten times a second; the writer's own
    /// `wal_autocheckpoint` (64 MiB) stays as the backstop. Returns the WAL's frames and how many of
    /// them are now in the database file.
    pub fn checkpoint(&self, mode: Checkpoint) -> anyhow::Result<(i64, i64)> {
        if self.url.is_postgres() {
            return Ok((0, 0));
        }
        #[derive(QueryableByName)]
        struct Done {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            log: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            checkpointed: i64,
        }
        let mut conn = self.read_conn()?;
        let sql = match mode {
            Checkpoint::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
            Checkpoint::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
        };
        let done: Done = diesel::sql_query(sql)
            .get_result(&mut *conn)
            .context("WAL checkpoint failed")?;
        Ok((done.log, done.checkpointed))
    }

    /// A connection for synchronous callers (CLI commands, the outbox worker's blocking half).
    pub fn write_conn(&self) -> anyhow::Result<PooledConn> {
        self.write.get().context("no database connection available")
    }

    pub fn read_conn(&self) -> anyhow::Result<PooledConn> {
        self.read.get().context("no database connection available")
    }
}

async fn run_blocking<T, E, F>(pool: DbPool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(DbError::from)?;
        f(&mut conn)
    })
    .await
    .map_err(|e| DbError::Failed(anyhow::Error::new(e).context("database task was cancelled")))?
}

/// One transaction. On SQLite it begins with `BEGIN IMMEDIATE`, taking the write lock up front, so a
/// transaction that reads before it writes can never fail half-way on a lock upgrade.
pub fn transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DbError>,
{
    let began = match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
        }
        DbConnection::Postgresql(inner) => AnsiTransactionManager::begin_transaction(inner),
    };
    began.map_err(DbError::from)?;
    let result = f(conn);
    finish(conn, result)
}

/// Runs `f` in a savepoint of the transaction already open on `conn`: its writes are kept only if it
/// succeeds (the SQLite writer runs each request's work this way inside one batch).
pub fn savepoint<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DbError>,
{
    <DbConnection as Connection>::TransactionManager::begin_transaction(conn)
        .map_err(DbError::from)?;
    let result = f(conn);
    finish(conn, result)
}

/// Commits what `result` was made in when it is a success, else rolls it back.
fn finish<T, E: From<DbError>>(conn: &mut DbConnection, result: Result<T, E>) -> Result<T, E> {
    match result {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)
                .map_err(DbError::from)?;
            Ok(value)
        }
        Err(err) => {
            // The caller's error is the one worth reporting; a failed rollback leaves the connection
            // marked broken and r2d2 discards it.
            let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
            Err(err)
        }
    }
}

pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<()> {
    let applied = match conn {
        // SQLite rebuilds a table to change its constraints, which needs foreign keys off (outside
        // the migrations' transactions); they are checked once everything is applied — only when
        // something was (the check reads every row: seconds at a million customers, on every start).
        DbConnection::Sqlite(inner) => {
            use diesel::connection::SimpleConnection;
            inner
                .batch_execute("PRAGMA foreign_keys = OFF")
                .context("cannot prepare the SQLite migrations")?;
            let applied = inner
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len());
            let broken: Vec<(String,)> = if matches!(applied, Ok(0)) {
                Vec::new()
            } else {
                diesel::sql_query("PRAGMA foreign_key_check")
                    .load::<ForeignKeyProblem>(inner)
                    .context("cannot check foreign keys after the migrations")?
                    .into_iter()
                    .map(|p| (p.table,))
                    .collect()
            };
            inner
                .batch_execute("PRAGMA foreign_keys = ON")
                .context("cannot finish the SQLite migrations")?;
            if let Some((table,)) = broken.first() {
                anyhow::bail!("the migrations left a broken foreign key in {table}");
            }
            applied
        }
        DbConnection::Postgresql(inner) => inner
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("cannot apply database migrations")?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(())
}

/// A row of `PRAGMA foreign_key_check`.
#[derive(diesel::QueryableByName)]
struct ForeignKeyProblem {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table: String,
}

fn create_parent_dir(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    Ok(())
}

#[diesel::declare_sql_function]
extern "SQL" {
    /// `lower(text)`: both backends have it (SQLite's folds ASCII only, which is what names need).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A LIKE pattern matching `term` literally (its `%`, `_` and `\` escaped; use `.escape('\\')`):
/// anywhere in the text when `contains`, else at its start.
pub fn like_pattern(term: &str, contains: bool) -> String {
    let mut escaped = String::with_capacity(term.len() + 2);
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    if contains {
        format!("%{escaped}%")
    } else {
        format!("{escaped}%")
    }
}

/// The current time as stored: UTC, to the millisecond (both backends keep that much exactly).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond_ms()
}

trait TruncateMs {
    fn with_nanosecond_ms(self) -> Self;
}

impl TruncateMs for chrono::NaiveDateTime {
    fn with_nanosecond_ms(self) -> Self {
        use chrono::Timelike;
        let ns = self.nanosecond() / 1_000_000 * 1_000_000;
        self.with_nanosecond(ns).unwrap_or(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_picks_the_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u@h/db".into())
        );
        assert!(
            DatabaseUrl::parse("postgresql://h/db")
                .unwrap()
                .is_postgres()
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("x.db").unwrap(),
            DatabaseUrl::Sqlite("x.db".into())
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn closing_waits_for_connections_being_opened_then_refuses_new_ones() {
        let dir = std::env::temp_dir().join(format!("pd-close-{}", new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let opening = Arc::new(Opening::default());
        let pool = Pool::builder()
            .max_size(2)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_millis(200))
            .build_unchecked(Manager {
                inner: ConnectionManager::new(dir.join("t.db").to_string_lossy()),
                opening: opening.clone(),
            });
        let first = pool.get().unwrap();
        // A connection is being opened on another thread: closing waits for it.
        opening.count.fetch_add(1, Ordering::SeqCst);
        let closer = {
            let opening = opening.clone();
            std::thread::spawn(move || opening.close(Duration::from_secs(5)))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !closer.is_finished(),
            "close returned while a connection was opening"
        );
        opening.count.fetch_sub(1, Ordering::SeqCst);
        assert!(closer.join().unwrap());
        // Open connections keep working; no new one is made.
        drop(first);
        assert!(pool.get().is_ok(), "the idle connection is still there");
        let _held = pool.get().unwrap();
        assert!(
            pool.get().is_err(),
            "a second connection is not opened after close"
        );
        assert_eq!(opening.count.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_pattern("50%_off", true), "%50\\%\\_off%");
        assert_eq!(like_pattern("abc", false), "abc%");
    }

    #[test]
    fn redacted_url_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://bob:secret@db:5432/pd").unwrap();
        assert!(!url.redacted().contains("secret"));
        assert!(url.redacted().contains("bob"));
    }
}

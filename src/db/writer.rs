//! SQLite's writer: one thread that owns the single write connection and commits the writes queued at
//! the same moment together (group commit).
//!
//! SQLite runs one write transaction at a time, and each commit appends every page it changed to the
//! write-ahead log. Under load, requests queue for the writer anyway; this thread takes everything queued,
//! runs each request's work in its own savepoint inside one `BEGIN IMMEDIATE` transaction, and commits
//! once. Each request still gets all-or-nothing: a request whose work fails (or panics) is rolled back
//! to its savepoint without touching the others, and no request hears "done" before the commit that
//! holds its rows has succeeded. When nothing else is queued, a batch is one request, exactly as before.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

use super::{DbConnection, DbError, DbPool, savepoint};

/// The most requests one commit holds: enough to share the work of a commit, few enough that a batch
/// stays a few milliseconds long.
const MAX_BATCH: usize = 64;

/// What a request's work hands back once it ran: told whether the batch's commit succeeded, it answers
/// the waiting request.
type Completion = Box<dyn FnOnce(Result<(), &anyhow::Error>) + Send>;
type Job = Box<dyn FnOnce(&mut DbConnection) -> Completion + Send>;

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    stats: Arc<WriterStats>,
}

/// Upper bounds of the batch-size histogram (`/metrics`).
pub const BATCH_BUCKETS: [usize; 7] = [1, 2, 4, 8, 16, 32, MAX_BATCH];

/// What the writer has done so far: commits attempted, the requests they held, the largest batch, how
/// many batches of each size, and how many requests wait now.
#[derive(Debug, Default)]
pub struct WriterStats {
    batches: AtomicU64,
    requests: AtomicU64,
    largest: AtomicUsize,
    queued: AtomicUsize,
    sizes: [AtomicU64; BATCH_BUCKETS.len()],
}

/// The writer's figures at one moment (`/metrics`).
#[derive(Clone, Debug, Default)]
pub struct WriterSnapshot {
    pub queued: usize,
    pub batches: u64,
    pub requests: u64,
    /// Batches of at most `BATCH_BUCKETS[i]` requests (cumulative, as Prometheus buckets are).
    pub at_most: [u64; BATCH_BUCKETS.len()],
}

impl WriterStats {
    fn record(&self, size: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.requests
            .fetch_add(u64::try_from(size).unwrap_or(u64::MAX), Ordering::Relaxed);
        self.largest.fetch_max(size, Ordering::Relaxed);
        self.queued.fetch_sub(size, Ordering::Relaxed);
        if let Some(i) = BATCH_BUCKETS.iter().position(|bound| size <= *bound) {
            self.sizes[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> WriterSnapshot {
        let mut at_most = [0; BATCH_BUCKETS.len()];
        let mut running = 0;
        for (i, n) in self.sizes.iter().enumerate() {
            running += n.load(Ordering::Relaxed);
            at_most[i] = running;
        }
        WriterSnapshot {
            queued: self.queued.load(Ordering::Relaxed),
            batches: self.batches(),
            requests: self.requests(),
            at_most,
        }
    }

    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn largest_batch(&self) -> usize {
        self.largest.load(Ordering::Relaxed)
    }
}

impl Writer {
    /// Starts the writer thread on `pool` (the one-connection write pool). The thread ends when the last
    /// `Writer` is dropped.
    pub fn start(pool: DbPool) -> anyhow::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let stats = Arc::new(WriterStats::default());
        let counted = stats.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(&pool, &queue, &counted))
            .context("cannot start the database writer thread")?;
        Ok(Self { jobs, stats })
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Runs `f` in its own savepoint of the next batch; answers once that batch is committed.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.queue(f)?.await.map_err(abandoned)?
    }

    /// The same for a caller on a blocking thread (the outbox worker, housekeeping).
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.queue(f)?.blocking_recv().map_err(abandoned)?
    }

    fn queue<T, E, F>(&self, f: F) -> Result<tokio::sync::oneshot::Receiver<Result<T, E>>, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn: &mut DbConnection| {
            let result = savepoint(conn, f);
            let completion: Completion = Box::new(move |committed: Result<(), &anyhow::Error>| {
                let result = match (result, committed) {
                    (Ok(_), Err(err)) => Err(E::from(DbError::Failed(anyhow::anyhow!(
                        "the transaction holding this write could not be committed: {err:#}"
                    )))),
                    (result, _) => result,
                };
                let _ = answer.send(result);
            });
            completion
        });
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        if self.jobs.send(job).is_err() {
            self.stats.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(DbError::Failed(anyhow::anyhow!(
                "the database writer has stopped"
            )));
        }
        Ok(answered)
    }
}

fn abandoned(_: tokio::sync::oneshot::error::RecvError) -> DbError {
    DbError::Failed(anyhow::anyhow!(
        "the database write was abandoned (see the log for the cause)"
    ))
}

fn run(pool: &DbPool, queue: &mpsc::Receiver<Job>, stats: &WriterStats) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.record(batch.len());
        run_batch(pool, batch);
    }
}

fn run_batch(pool: &DbPool, batch: Vec<Job>) {
    let mut conn = match pool.get().context("no database connection for the writer") {
        Ok(conn) => conn,
        Err(err) => return fail(batch, &err),
    };
    let conn: &mut DbConnection = &mut conn;
    let DbConnection::Sqlite(inner) = conn else {
        return fail(
            batch,
            &anyhow::anyhow!("the batching writer is for SQLite only"),
        );
    };
    if let Err(err) = AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE") {
        return fail(
            batch,
            &anyhow::Error::new(err).context("cannot begin a write"),
        );
    }
    let mut completions = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    while let Some(job) = jobs.next() {
        match catch_unwind(AssertUnwindSafe(|| job(conn))) {
            Ok(completion) => completions.push(completion),
            Err(_) => {
                // A bug: the panicking request's own answer is dropped with it (its caller sees the
                // write abandoned). Its savepoint is still open: rolling back to it undoes exactly that
                // request's rows, and the batch goes on. Should that fail, the transaction's state is
                // unknown, so the whole batch is rolled back and the connection closed rather than
                // reused (r2d2 drops a connection whose transaction is still open).
                tracing::error!("a database write panicked; its rows are rolled back");
                if let Err(err) = leave_open_savepoints(conn) {
                    let err = err.context("another write in the same transaction failed");
                    for completion in completions {
                        completion(Err(&err));
                    }
                    fail(jobs.collect(), &err);
                    return;
                }
            }
        }
    }
    match <DbConnection as Connection>::TransactionManager::commit_transaction(conn) {
        Ok(()) => {
            for completion in completions {
                completion(Ok(()));
            }
        }
        Err(err) => {
            let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
            let err = anyhow::Error::new(err).context("commit failed");
            for completion in completions {
                completion(Err(&err));
            }
        }
    }
}

/// Rolls back every savepoint a panicking request left open, down to the batch's own transaction.
fn leave_open_savepoints(conn: &mut DbConnection) -> anyhow::Result<()> {
    type Manager = <DbConnection as Connection>::TransactionManager;
    loop {
        let depth = Manager::transaction_manager_status_mut(conn)
            .transaction_depth()
            .context("the transaction's state is unknown after a panic")?;
        match depth.map(std::num::NonZeroU32::get) {
            Some(1) => return Ok(()),
            Some(_) => {
                Manager::rollback_transaction(conn).context("cannot roll back a savepoint")?
            }
            None => anyhow::bail!("the batch's transaction ended inside a request"),
        }
    }
}

/// Answers every request of a batch that never ran: nothing of it was written.
fn fail(batch: Vec<Job>, err: &anyhow::Error) {
    tracing::error!(error = ?err, requests = batch.len(), "database writes failed");
    // Dropping a job drops its answer channel: its caller sees the write abandoned.
    drop(batch);
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Receiver, channel};

    use diesel::connection::SimpleConnection;
    use diesel::r2d2::{ConnectionManager, Pool};
    use tokio::sync::oneshot::error::TryRecvError;

    use super::super::{Manager, Opening, SqlitePragmas, new_id};
    use super::*;

    /// A writer on a fresh SQLite file with a table `t` and a deferred foreign key (whose violation
    /// only COMMIT finds).
    fn writer() -> (Writer, DbPool) {
        let dir = std::env::temp_dir().join(format!("pd-writer-{}", new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pool = Pool::builder()
            .max_size(2)
            .min_idle(Some(0))
            .connection_customizer(Box::new(SqlitePragmas))
            .build(Manager {
                inner: ConnectionManager::new(dir.join("w.db").to_string_lossy()),
                opening: Arc::new(Opening::default()),
            })
            .unwrap();
        pool.get()
            .unwrap()
            .batch_execute(
                "CREATE TABLE t (v TEXT NOT NULL);
                 CREATE TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE child (parent INTEGER REFERENCES parent (id)
                     DEFERRABLE INITIALLY DEFERRED);",
            )
            .unwrap();
        (Writer::start(pool.clone()).unwrap(), pool)
    }

    fn insert(conn: &mut DbConnection, v: &str) -> Result<(), DbError> {
        diesel::sql_query("INSERT INTO t (v) VALUES (?)")
            .bind::<diesel::sql_types::Text, _>(v)
            .execute(conn)?;
        Ok(())
    }

    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }

    /// The committed rows of `t`, as another connection sees them.
    fn rows(pool: &DbPool) -> Vec<String> {
        let mut conn = pool.get().unwrap();
        let mut rows: Vec<String> = diesel::sql_query("SELECT v FROM t")
            .load::<V>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|r| r.v)
            .collect();
        rows.sort();
        rows
    }

    type Answer = tokio::sync::oneshot::Receiver<Result<(), DbError>>;

    /// Queues a write that holds the writer until `release` is sent; returns once it is running, so
    /// whatever is queued next waits for the same next batch.
    fn hold(w: &Writer) -> (Answer, std::sync::mpsc::Sender<()>) {
        let (release, released): (_, Receiver<()>) = channel();
        let (running, is_running) = channel();
        let answer = w
            .queue(move |conn| {
                running.send(()).unwrap();
                released.recv().unwrap();
                insert(conn, "held")
            })
            .unwrap();
        is_running.recv().unwrap();
        (answer, release)
    }

    fn queue_insert(w: &Writer, v: &str) -> Answer {
        let v = v.to_owned();
        w.queue(move |conn| insert(conn, &v)).unwrap()
    }

    #[test]
    fn writes_queued_together_share_one_commit_of_at_most_max_batch() {
        let (w, pool) = writer();
        let (held, release) = hold(&w);
        let queued: Vec<Answer> = (0..MAX_BATCH + 10)
            .map(|i| queue_insert(&w, &format!("r{i:03}")))
            .collect();
        release.send(()).unwrap();
        held.blocking_recv().unwrap().unwrap();
        for answer in queued {
            answer.blocking_recv().unwrap().unwrap();
        }
        // The held write alone, then MAX_BATCH together, then the 10 left.
        assert_eq!(w.stats().batches(), 3);
        assert_eq!(w.stats().largest_batch(), MAX_BATCH);
        assert_eq!(w.stats().requests(), u64::try_from(MAX_BATCH).unwrap() + 11);
        assert_eq!(rows(&pool).len(), MAX_BATCH + 11);
    }

    #[test]
    fn no_caller_hears_done_before_the_commit_that_holds_its_rows() {
        let (w, pool) = writer();
        let (held, release) = hold(&w);
        let mut first = queue_insert(&w, "first");
        let (release_second, second_released): (_, Receiver<()>) = channel();
        let (second_running, is_second_running) = channel();
        let second = w
            .queue(move |conn| {
                second_running.send(()).unwrap();
                second_released.recv().unwrap();
                insert(conn, "second")
            })
            .unwrap();
        release.send(()).unwrap();
        held.blocking_recv().unwrap().unwrap();
        // The batch of `first` and `second` is running: `first`'s work is done, not committed.
        is_second_running.recv().unwrap();
        assert!(matches!(first.try_recv(), Err(TryRecvError::Empty)));
        assert_eq!(rows(&pool), ["held"]);
        release_second.send(()).unwrap();
        second.blocking_recv().unwrap().unwrap();
        first.blocking_recv().unwrap().unwrap();
        assert_eq!(rows(&pool), ["first", "held", "second"]);
    }

    #[test]
    fn a_panicking_write_is_undone_alone_and_its_batch_mates_get_their_own_results() {
        let (w, pool) = writer();
        let (held, release) = hold(&w);
        let before = queue_insert(&w, "before");
        let panics: Answer = w
            .queue(|conn| {
                insert(conn, "panicked").unwrap();
                panic!("a bug in a write");
            })
            .unwrap();
        let fails: Answer = w
            .queue(|conn| {
                insert(conn, "failed")?;
                Err(DbError::NotFound)
            })
            .unwrap();
        let after = queue_insert(&w, "after");
        release.send(()).unwrap();
        held.blocking_recv().unwrap().unwrap();
        before.blocking_recv().unwrap().unwrap();
        assert!(
            panics.blocking_recv().is_err(),
            "its caller hears it abandoned"
        );
        assert!(matches!(
            fails.blocking_recv().unwrap(),
            Err(DbError::NotFound)
        ));
        after.blocking_recv().unwrap().unwrap();
        assert_eq!(w.stats().batches(), 2, "one batch held all four");
        assert_eq!(rows(&pool), ["after", "before", "held"]);
        // And the writer goes on.
        queue_insert(&w, "later").blocking_recv().unwrap().unwrap();
        assert_eq!(rows(&pool).len(), 4);
    }

    #[test]
    fn a_failing_commit_is_reported_to_every_caller_of_the_batch_and_writes_nothing() {
        let (w, pool) = writer();
        let (held, release) = hold(&w);
        let innocent = queue_insert(&w, "innocent");
        let violates: Answer = w
            .queue(|conn| {
                // Accepted by the statement, refused by COMMIT (the key is deferred).
                diesel::sql_query("INSERT INTO child (parent) VALUES (999)").execute(conn)?;
                Ok(())
            })
            .unwrap();
        release.send(()).unwrap();
        held.blocking_recv().unwrap().unwrap();
        for answer in [innocent, violates] {
            let err = answer.blocking_recv().unwrap().unwrap_err();
            assert!(
                format!("{err:#}").contains("could not be committed"),
                "{err:#}"
            );
        }
        assert_eq!(rows(&pool), ["held"]);
        // The connection is usable again.
        queue_insert(&w, "later").blocking_recv().unwrap().unwrap();
        assert_eq!(rows(&pool), ["held", "later"]);
    }
}

//! SQLite's writer: one thread that owns the single write connection and commits the writes queued at
//! the same moment together (group commit).
//!
//! SQLite runs one write transaction at a time, and each commit appends every page it changed to the
//! write-ahead log. Under load, requests queue for the writer anyway; this thread takes everything queued,
//! runs each request's work in its own savepoint inside one `BEGIN IMMEDIATE` transaction, and commits
//! once. Each request still gets all-or-nothing: a request whose work fails is rolled back to its
//! savepoint without touching the others, and no request hears "done" before the commit that holds its
//! rows has succeeded. When nothing else is queued, a batch is one request, exactly as before.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

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
}

impl Writer {
    /// Starts the writer thread on `pool` (the one-connection write pool). The thread ends when the last
    /// `Writer` is dropped.
    pub fn start(pool: DbPool) -> anyhow::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(&pool, &queue))
            .context("cannot start the database writer thread")?;
        Ok(Self { jobs })
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
        self.jobs
            .send(job)
            .map_err(|_| DbError::Failed(anyhow::anyhow!("the database writer has stopped")))?;
        Ok(answered)
    }
}

fn abandoned(_: tokio::sync::oneshot::error::RecvError) -> DbError {
    DbError::Failed(anyhow::anyhow!(
        "the database write was abandoned (see the log for the cause)"
    ))
}

fn run(pool: &DbPool, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
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
                // A bug: the panicking request's own answer is dropped (its caller sees the write
                // abandoned), and the whole batch is rolled back. The connection's transaction state is
                // unknown now, so it is closed rather than reused (r2d2 drops a connection whose
                // transaction is still open).
                tracing::error!("a database write panicked; its batch is rolled back");
                let err = anyhow::anyhow!("another write in the same transaction failed");
                for completion in completions {
                    completion(Err(&err));
                }
                fail(jobs.collect(), &err);
                return;
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

/// Answers every request of a batch that never ran: nothing of it was written.
fn fail(batch: Vec<Job>, err: &anyhow::Error) {
    tracing::error!(error = ?err, requests = batch.len(), "database writes failed");
    // Dropping a job drops its answer channel: its caller sees the write abandoned.
    drop(batch);
}

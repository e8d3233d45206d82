//! Backups of the SQLite database (SPEC.md §4): `backup` writes a consistent copy while the dashboard
//! keeps serving (`VACUUM INTO` reads one snapshot; writers go on in the write-ahead log), and
//! `restore` puts a checked copy into an empty data folder — never over existing data. On PostgreSQL
//! both say to use `pg_dump` / `pg_restore`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::DatabaseUrl;

const PG_BACKUP: &str = "the database is PostgreSQL: back it up with pg_dump (pg_dump --format=custom \
     \"$DATABASE_URL\" > FILE) and restore with pg_restore; `partner-dashboard backup` is for SQLite";

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

fn sqlite_path(url: &DatabaseUrl) -> anyhow::Result<&Path> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(path),
        DatabaseUrl::Postgres(_) => bail!("{PG_BACKUP}"),
    }
}

fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    let url = path.to_str().context("the database path is not UTF-8")?;
    let mut conn = SqliteConnection::establish(url)
        .with_context(|| format!("cannot open {}", path.display()))?;
    diesel::sql_query("PRAGMA busy_timeout = 10000").execute(&mut conn)?;
    Ok(conn)
}

/// `PRAGMA integrity_check` of a database file: ok, or what it found.
pub fn integrity(path: &Path) -> anyhow::Result<()> {
    let mut conn = open(path)?;
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    match rows.first().map(|r| r.integrity_check.as_str()) {
        Some("ok") => Ok(()),
        other => bail!(
            "{} fails its integrity check: {}",
            path.display(),
            other.unwrap_or("no answer")
        ),
    }
}

/// Writes a consistent copy of the live database to `to` (which must not exist yet); its size.
pub fn backup(url: &DatabaseUrl, to: &Path) -> anyhow::Result<u64> {
    let from = sqlite_path(url)?;
    if !from.exists() {
        bail!("there is no database at {} to back up", from.display());
    }
    if to.exists() {
        bail!(
            "{} exists already: a backup never overwrites a file",
            to.display()
        );
    }
    let target = to.to_str().context("the backup path is not UTF-8")?;
    let mut conn = open(from)?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(target)
        .execute(&mut conn)
        .with_context(|| format!("cannot write the backup to {}", to.display()))?;
    drop(conn);
    integrity(to)?;
    Ok(std::fs::metadata(to)?.len())
}

/// Puts the backup `from` where the configured database lives, if there is none there yet.
pub fn restore(url: &DatabaseUrl, from: &Path) -> anyhow::Result<PathBuf> {
    let to = sqlite_path(url)?.to_path_buf();
    if !from.is_file() {
        bail!("{} is not a backup file", from.display());
    }
    let existing: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", to.display())))
        .filter(|p| p.exists())
        .collect();
    if !existing.is_empty() {
        bail!(
            "{} exists: restore only into an empty data folder (move the current database away first)",
            to.display()
        );
    }
    integrity(from)?;
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Copy under another name, then rename: a half-copied file is never taken for the database.
    let partial = PathBuf::from(format!("{}.restoring", to.display()));
    std::fs::copy(from, &partial)
        .with_context(|| format!("cannot copy {} to {}", from.display(), partial.display()))?;
    std::fs::rename(&partial, &to)?;
    Ok(to)
}

//! CSV downloads, streamed a batch at a time through a list's own keyset query, so a million rows never
//! sit in memory. Cells a spreadsheet would run as a formula get a leading apostrophe; a byte-order mark
//! makes spreadsheet programs read the UTF-8 (Chinese names) right.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures_util::stream;

use crate::db::DbConnection;
use crate::error::AppError;
use crate::pagination::Seek;
use crate::state::AppState;

pub const BATCH: usize = 1000;

pub use crate::domain::safe_cell;

fn encode(rows: &[Vec<String>], header: Option<&[String]>) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    if header.is_some() {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut writer = csv::Writer::from_writer(out);
    if let Some(h) = header {
        writer.write_record(h).map_err(anyhow::Error::from)?;
    }
    for row in rows {
        writer
            .write_record(row.iter().map(|c| safe_cell(c)))
            .map_err(anyhow::Error::from)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cannot write CSV: {e}")))
}

/// One batch: its rows as cells, and where the next batch starts (none when this was the last).
pub type Batch<K = i64> = (Vec<Vec<String>>, Option<Seek<K>>);

/// A streamed CSV download named `filename`, the batches fetched by `fetch` from the first page on.
pub fn download<K, F>(
    state: web::Data<AppState>,
    filename: &str,
    header: Vec<String>,
    fetch: F,
) -> HttpResponse
where
    K: Send + 'static,
    F: Fn(&mut DbConnection, &Seek<K>) -> Result<Batch<K>, AppError> + Clone + Send + 'static,
{
    struct Cursor<K> {
        seek: Option<Seek<K>>,
        header: Option<Vec<String>>,
    }
    let body = stream::unfold(
        Cursor {
            seek: Some(Seek::First),
            header: Some(header),
        },
        move |cursor| {
            let state = state.clone();
            let fetch = fetch.clone();
            async move {
                let seek = cursor.seek?;
                let batch = state.db.read(move |conn| fetch(conn, &seek)).await;
                let failed = || actix_web::error::ErrorInternalServerError("export failed");
                let (rows, next) = match batch {
                    Ok(batch) => batch,
                    Err(err) => {
                        tracing::error!(error = ?err, "CSV export failed");
                        return Some((
                            Err(failed()),
                            Cursor {
                                seek: None,
                                header: None,
                            },
                        ));
                    }
                };
                let bytes = encode(&rows, cursor.header.as_deref())
                    .map(web::Bytes::from)
                    .map_err(|_| failed());
                Some((
                    bytes,
                    Cursor {
                        seek: next,
                        header: None,
                    },
                ))
            }
        },
    );
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body)
}

#[cfg(test)]
mod tests {
    use super::safe_cell;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("+1"), "'+1");
        assert_eq!(safe_cell("-2"), "'-2");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("Wingtip Toys"), "Wingtip Toys");
    }
}

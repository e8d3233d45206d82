//! CSV export of the filtered Customers list, streamed a thousand rows at a time through the same keyset
//! query as the list, so a million customers never sit in memory. Cells that a spreadsheet would run as
//! a formula are quoted with a leading apostrophe.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures_util::stream;

use super::{ListQuery, reseller_filter};
use crate::auth::{ProviderStaff, Signed};
use crate::db::models::customer::{CustomerRow, ProviderCustomer, ResellerFilter};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pagination::Seek;
use crate::routes::indirect_resellers::search_term;
use crate::startup::AppState;
use crate::view::request_locale;

const BATCH: usize = 1000;

/// A cell as a spreadsheet should show it, never as a formula.
pub fn safe_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn rows_to_csv(
    rows: &[CustomerRow],
    suffix: &str,
    header: Option<[&str; 5]>,
) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    if header.is_some() {
        // A byte-order mark, so spreadsheet programs read the file as UTF-8 (Chinese names).
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut writer = csv::Writer::from_writer(out);
    if let Some(h) = header {
        writer.write_record(h).map_err(anyhow::Error::from)?;
    }
    for row in rows {
        let r = &row.relation;
        writer
            .write_record([
                safe_cell(&r.company_name),
                safe_cell(&format!("{}.{suffix}", r.domain_prefix)),
                safe_cell(row.reseller_name.as_deref().unwrap_or("")),
                r.subscription_count.to_string(),
                r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            ])
            .map_err(anyhow::Error::from)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cannot write CSV: {e}")))
}

pub async fn export(
    req: actix_web::HttpRequest,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let query = query.into_inner();
    let raw_filter = query.reseller.clone();
    let filter = state
        .db
        .read(move |conn| reseller_filter(conn, provider, &raw_filter))
        .await?;
    let tr = Tr(request_locale(&req).await?);
    let header = [
        tr.t("customers.col.company"),
        tr.t("customers.col.domain"),
        tr.t("customers.col.reseller"),
        tr.t("customers.col.subscriptions"),
        tr.t("customers.col.created"),
    ];
    let search = search_term(&query.q);
    let suffix = state.config.tenant_domain_suffix.clone();

    struct Cursor {
        seek: Option<Seek<i64>>,
        first: bool,
    }
    let body = stream::unfold(
        Cursor {
            seek: Some(Seek::First),
            first: true,
        },
        move |cursor| {
            let state = state.clone();
            let search = search.clone();
            let suffix = suffix.clone();
            async move {
                let seek = cursor.seek?;
                let page_seek = seek.clone();
                let page = state
                    .db
                    .read(move |conn| {
                        Ok(ProviderCustomer::page_for_provider(
                            conn,
                            provider,
                            filter,
                            search.as_deref(),
                            &page_seek,
                            BATCH,
                        )?)
                    })
                    .await;
                let page = match page {
                    Ok(page) => page,
                    Err(err) => {
                        tracing::error!(error = ?err, "customer export failed");
                        return Some((
                            Err(actix_web::error::ErrorInternalServerError("export failed")),
                            Cursor {
                                seek: None,
                                first: false,
                            },
                        ));
                    }
                };
                let next = page
                    .items
                    .last()
                    .filter(|_| page.next.is_some())
                    .map(|last| Seek::After(last.relation.id));
                let bytes = rows_to_csv(&page.items, &suffix, cursor.first.then_some(header))
                    .map(web::Bytes::from)
                    .map_err(|_| actix_web::error::ErrorInternalServerError("export failed"));
                Some((
                    bytes,
                    Cursor {
                        seek: next,
                        first: false,
                    },
                ))
            }
        },
    );
    let name = match filter {
        ResellerFilter::Reseller(id) => format!("customers-reseller-{id}.csv"),
        ResellerFilter::None => "customers-no-reseller.csv".to_owned(),
        ResellerFilter::All => "customers.csv".to_owned(),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(body))
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

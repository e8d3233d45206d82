//! CSV export of the filtered Customers list, through the list's own keyset query.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{ListQuery, reseller_filter};
use crate::auth::{ProviderStaff, Signed};
use crate::db::models::customer::{CustomerSearch, ProviderCustomer, ResellerFilter};
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pagination::Seek;
use crate::routes::csv::{BATCH, download};
use crate::routes::indirect_resellers::search_term;
use crate::state::AppState;
use crate::view::request_locale;

pub async fn export(
    req: HttpRequest,
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
    let header = ["company", "domain", "reseller", "subscriptions", "created"]
        .iter()
        .map(|c| tr.t(&format!("customers.col.{c}")).to_owned())
        .collect();
    let suffix = state.config.tenant_domain_suffix.clone();
    let search = search_term(&query.q).map(|term| CustomerSearch::new(&term, &suffix));
    let name = match filter {
        ResellerFilter::Reseller(id) => format!("customers-reseller-{id}.csv"),
        ResellerFilter::None => "customers-no-reseller.csv".to_owned(),
        ResellerFilter::All => "customers.csv".to_owned(),
    };
    Ok(download(state, &name, header, move |conn, seek| {
        let page = ProviderCustomer::page_for_provider(
            conn,
            provider,
            filter,
            search.as_ref(),
            None,
            seek,
            BATCH,
        )?;
        let next = page
            .items
            .last()
            .filter(|_| page.next.is_some())
            .map(|r| Seek::After(r.relation.id));
        let rows = page
            .items
            .iter()
            .map(|row| {
                let r = &row.relation;
                vec![
                    r.company_name.clone(),
                    format!("{}.{suffix}", r.domain_prefix),
                    row.reseller_name.clone().unwrap_or_default(),
                    r.subscription_count.to_string(),
                    r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                ]
            })
            .collect();
        Ok((rows, next))
    }))
}

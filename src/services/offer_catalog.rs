//! The offer catalog, kept by operators: add an offer, change one (its SKU stays; orders keep the price
//! they were placed at), retire one (no new orders; subscriptions keep it) or bring it back. Every
//! change is in the activity log with what it was and what it became.

use crate::db::models::activity::NewActivity;
use crate::db::models::offer::{NewOffer, Offer};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::{Billing, decimal};
use crate::error::AppError;

/// An offer as the operator typed it, checked.
#[derive(Clone, Debug)]
pub struct OfferInput {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub billing: Billing,
    pub min_licenses: i32,
    pub max_licenses: i32,
    /// Offers of one family may be changed into each other at the renewal.
    pub family: String,
    /// The (term, billing) pairs it is sold in, each with its price per license per period.
    pub prices: Vec<(crate::domain::Term, Billing, i64)>,
    /// The offers it may be upgraded to.
    pub upgrades: Vec<i64>,
    /// The name and description in Traditional Chinese (empty: none).
    pub name_zh_tw: String,
    pub description_zh_tw: String,
}

impl OfferInput {
    fn row(&self) -> NewOffer<'_> {
        NewOffer {
            sku: &self.sku,
            name: &self.name,
            description: &self.description,
            unit_price_minor: self.unit_price_minor,
            currency: &self.currency,
            billing: self.billing,
            min_licenses: self.min_licenses,
            max_licenses: self.max_licenses,
            family: &self.family,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the SKU is taken")]
    SkuTaken,
    /// The catalog sells in one currency (every provider's statements and credit are in it).
    #[error("another currency than the catalog's")]
    OtherCurrency,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(CatalogError);

impl From<CatalogError> for AppError {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::SkuTaken => AppError::Conflict("operations.offers.sku_taken"),
            CatalogError::OtherCurrency => {
                AppError::Unprocessable("operations.offers.one_currency")
            }
            CatalogError::Db(err) => err.into(),
        }
    }
}

/// An offer in one line, for the activity log's old → new: name, its prices per term and billing,
/// limits, family and upgrade path.
pub fn describe(conn: &mut DbConnection, id: i64) -> Result<String, DbError> {
    let offer = Offer::find(conn, id)?;
    let prices: Vec<String> = Offer::prices_of(conn, &[id])?
        .iter()
        .map(|p| format!("{} {} {}", p.term, p.billing, decimal(p.unit_price_minor)))
        .collect();
    let upgrades = Offer::upgrade_ids(conn, id)?;
    Ok(format!(
        "{}{} · {} {} · {}–{}{}{}",
        offer.name,
        if offer.name_zh_tw.is_empty() {
            String::new()
        } else {
            format!(" ({})", offer.name_zh_tw)
        },
        offer.currency,
        prices.join(", "),
        offer.min_licenses,
        offer.max_licenses,
        if offer.family.is_empty() {
            String::new()
        } else {
            format!(" · {}", offer.family)
        },
        if upgrades.is_empty() {
            String::new()
        } else {
            format!(" · upgrades to {}", upgrades.len())
        }
    ))
}

/// The catalog's other offers are in `currency` (or there are none).
fn one_currency(
    conn: &mut DbConnection,
    currency: &str,
    except: Option<i64>,
) -> Result<(), CatalogError> {
    if Offer::currencies_other_than(conn, currency, except)? {
        return Err(CatalogError::OtherCurrency);
    }
    Ok(())
}

pub async fn add(db: &Db, operator: i64, offer: OfferInput) -> Result<i64, CatalogError> {
    let result = db
        .write(move |conn| {
            if Offer::sku_taken(conn, &offer.sku, None)? {
                return Err(CatalogError::SkuTaken);
            }
            one_currency(conn, &offer.currency, None)?;
            let id = Offer::create(conn, offer.row())?;
            Offer::set_prices(conn, id, &offer.prices)?;
            Offer::set_upgrades(conn, id, &offer.upgrades)?;
            Offer::set_translation(conn, id, (&offer.name_zh_tw, &offer.description_zh_tw))?;
            NewActivity::new("offer.created", "offer", Some(id))
                .by(operator, None)
                .change(None, Some(format!("{} {}", offer.sku, offer.name)))
                .record(conn)?;
            Ok(id)
        })
        .await;
    if result.is_ok() {
        names::forget(db);
    }
    match result {
        Err(CatalogError::Db(DbError::UniqueViolation)) => Err(CatalogError::SkuTaken),
        other => other,
    }
}

/// Changes an offer (its SKU stays as it was).
pub async fn change(
    db: &Db,
    operator: i64,
    id: i64,
    offer: OfferInput,
) -> Result<(), CatalogError> {
    db.write(move |conn| {
        let before = describe(conn, id)?;
        one_currency(conn, &offer.currency, Some(id))?;
        if !Offer::update(conn, id, offer.row())? {
            return Err(CatalogError::Db(DbError::NotFound));
        }
        Offer::set_prices(conn, id, &offer.prices)?;
        Offer::set_upgrades(conn, id, &offer.upgrades)?;
        Offer::set_translation(conn, id, (&offer.name_zh_tw, &offer.description_zh_tw))?;
        let after = describe(conn, id)?;
        NewActivity::new("offer.updated", "offer", Some(id))
            .by(operator, None)
            .change(Some(before), Some(after))
            .record(conn)?;
        Ok(())
    })
    .await?;
    names::forget(db);
    Ok(())
}

/// Retires an offer, or brings it back (`retired` false).
pub async fn set_retired(
    db: &Db,
    operator: i64,
    id: i64,
    retired: bool,
) -> Result<(), CatalogError> {
    db.write(move |conn| set_retired_in(conn, operator, id, retired))
        .await
}

fn set_retired_in(
    conn: &mut DbConnection,
    operator: i64,
    id: i64,
    retired: bool,
) -> Result<(), CatalogError> {
    let offer = Offer::find(conn, id)?;
    if Offer::set_retired(conn, id, retired)? {
        let action = if retired {
            "offer.retired"
        } else {
            "offer.restored"
        };
        NewActivity::new(action, "offer", Some(id))
            .by(operator, None)
            .change(None, Some(format!("{} {}", offer.sku, offer.name)))
            .record(conn)?;
    }
    Ok(())
}

/// Offers' names in Traditional Chinese for the pages (`Ctx::offer`), by catalog name: read from the
/// database at most every `names::FRESH_FOR`, and at once after this instance changed the catalog,
/// so another instance shows a change within that time. Kept per database (tests run many).
pub mod names {
    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, RwLock};
    use std::time::{Duration, Instant};

    use crate::db::Db;
    use crate::db::models::offer::Offer;

    pub const FRESH_FOR: Duration = Duration::from_secs(30);

    /// Catalog name → (name, description) in Traditional Chinese.
    pub type Names = Arc<HashMap<String, (String, String)>>;

    #[derive(Default)]
    struct Kept {
        read_at: Option<Instant>,
        names: Names,
    }

    static KEPT: LazyLock<RwLock<HashMap<String, Kept>>> = LazyLock::new(RwLock::default);

    fn key(db: &Db) -> String {
        db.url().redacted()
    }

    /// The names, read again first when they are older than `FRESH_FOR` (or were forgotten).
    pub async fn current(db: &Db) -> Names {
        let key = key(db);
        {
            let kept = KEPT.read().unwrap_or_else(|e| e.into_inner());
            if let Some(k) = kept.get(&key)
                && k.read_at.is_some_and(|at| at.elapsed() < FRESH_FOR)
            {
                return k.names.clone();
            }
        }
        match db.query(Offer::translations).await {
            Ok(rows) => {
                let names: Names = Arc::new(
                    rows.into_iter()
                        .map(|(name, zh, desc)| (name, (zh, desc)))
                        .collect(),
                );
                KEPT.write().unwrap_or_else(|e| e.into_inner()).insert(
                    key,
                    Kept {
                        read_at: Some(Instant::now()),
                        names: names.clone(),
                    },
                );
                names
            }
            Err(err) => {
                tracing::warn!(error = ?err, "offer names cannot be read");
                Names::default()
            }
        }
    }

    /// Forgets the names (this instance changed the catalog): the next page reads them again.
    pub fn forget(db: &Db) {
        KEPT.write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key(db));
    }
}

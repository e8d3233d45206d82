//! The **Margin report** (SPEC.md §2.11): by reseller, offer and month — revenue (what the provider
//! charged), cost (the catalog's), margin and margin % — with a 12-month chart; a reseller's own: what
//! it bills its customers (its sale prices, else its price) against what it pays. The figures are the
//! order-time rollup `margin_months` (`db::models::stats`), kept with every order, so the report reads
//! a few rows however many orders a month has.

use chrono::{Datelike, NaiveDateTime};

use crate::db::models::stats::{self, MarginRow};
use crate::db::{Db, DbError};
use crate::domain::ProviderId;
use crate::domain::lifecycle::sub_months;
use crate::domain::pricing::margin_bp;

/// Rows a month's table shows (the CSV has them all).
pub const MONTH_ROWS: i64 = 200;

/// The last `n` months up to `now`'s, oldest first (`YYYY-MM`, UTC).
pub fn last_months(now: NaiveDateTime, n: u32) -> Vec<String> {
    let first = chrono::NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(now);
    (0..n)
        .rev()
        .map(|back| sub_months(first, back).format("%Y-%m").to_string())
        .collect()
}

/// One month of a provider: revenue, cost and what they leave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthTotal {
    pub month: String,
    pub revenue: i64,
    pub cost: i64,
}

impl MonthTotal {
    pub fn margin(&self) -> i64 {
        self.revenue - self.cost
    }

    pub fn margin_bp(&self) -> Option<i64> {
        margin_bp(self.revenue, self.cost)
    }
}

/// The 12-month chart as the server draws it: a bar per month (revenue) with the margin inside it.
#[derive(Clone, Debug)]
pub struct Chart {
    pub bars: Vec<Bar>,
    /// The catalog's currency (set by the caller).
    pub currency: String,
    /// The largest revenue (the top of the scale).
    pub max: i64,
    pub width: i64,
    pub height: i64,
}

#[derive(Clone, Debug)]
pub struct Bar {
    pub month: String,
    pub x: i64,
    pub width: i64,
    /// Revenue, from the baseline up.
    pub revenue_y: i64,
    pub revenue_h: i64,
    /// Margin, from the baseline up (none below: a negative month draws no margin bar).
    pub margin_y: i64,
    pub margin_h: i64,
    pub total: MonthTotal,
}

/// Bars for `months` (oldest first) scaled to a `width` × `height` drawing with room for labels.
pub fn chart(months: &[MonthTotal], width: i64, height: i64) -> Chart {
    let max = months.iter().map(|m| m.revenue).max().unwrap_or(0).max(1);
    let n = i64::try_from(months.len()).unwrap_or(1).max(1);
    let plot_h = height - 20;
    let slot = width / n;
    let bar_w = (slot * 2 / 3).max(1);
    let scale = |v: i64| {
        let v = i128::from(v.clamp(0, max));
        i64::try_from(v * i128::from(plot_h) / i128::from(max)).unwrap_or(0)
    };
    let bars = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let x = i64::try_from(i).unwrap_or(0) * slot + (slot - bar_w) / 2;
            let (rh, mh) = (scale(m.revenue), scale(m.margin()));
            Bar {
                month: m.month.clone(),
                x,
                width: bar_w,
                revenue_y: plot_h - rh,
                revenue_h: rh,
                margin_y: plot_h - mh,
                margin_h: mh,
                total: m.clone(),
            }
        })
        .collect();
    Chart {
        bars,
        currency: "USD".to_owned(),
        max,
        width,
        height,
    }
}

/// The provider's last 12 months, every month present (zero where nothing was ordered).
pub fn year_of(
    conn: &mut crate::db::DbConnection,
    provider: ProviderId,
    now: NaiveDateTime,
) -> diesel::QueryResult<Vec<MonthTotal>> {
    let months = last_months(now, 12);
    let stored = stats::margin_totals(conn, provider.get(), &months[0])?;
    Ok(months
        .into_iter()
        .map(|month| {
            let (revenue, cost) = stored
                .iter()
                .find(|(m, _, _)| *m == month)
                .map_or((0, 0), |(_, r, c)| (*r, *c));
            MonthTotal {
                month,
                revenue,
                cost,
            }
        })
        .collect())
}

pub struct ProviderReport {
    pub currency: String,
    pub months: Vec<MonthTotal>,
    /// The month whose rows are shown.
    pub month: String,
    pub rows: Vec<MarginRow>,
    /// More rows than the table shows (the CSV has them).
    pub truncated: bool,
}

pub async fn provider_report(
    db: &Db,
    provider: ProviderId,
    month: Option<String>,
    reseller: Option<i64>,
    now: NaiveDateTime,
) -> Result<ProviderReport, DbError> {
    db.read(move |conn| {
        let months = year_of(conn, provider, now)?;
        let month = month
            .filter(|m| months.iter().any(|t| t.month == *m))
            .unwrap_or_else(|| months.last().map(|m| m.month.clone()).unwrap_or_default());
        let mut rows = stats::margin_month(conn, provider.get(), &month, reseller, MONTH_ROWS + 1)?;
        let truncated = rows.len() > usize::try_from(MONTH_ROWS).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(MONTH_ROWS).unwrap_or(usize::MAX));
        Ok(ProviderReport {
            currency: crate::db::models::offer::Offer::catalog_currency(conn)?,
            months,
            month,
            rows,
            truncated,
        })
    })
    .await
}

/// A reseller's last 12 months with each provider, by month and offer.
pub async fn reseller_report(
    db: &Db,
    reseller: i64,
    now: NaiveDateTime,
) -> Result<Vec<MarginRow>, DbError> {
    let first = last_months(now, 12).remove(0);
    db.read(move |conn| Ok(stats::margin_of_reseller(conn, reseller, &first)?))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_months_end_with_this_one() {
        let now = chrono::NaiveDate::from_ymd_opt(2027, 2, 15)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let months = last_months(now, 12);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], "2026-03");
        assert_eq!(months[11], "2027-02");
    }

    #[test]
    fn bars_scale_to_the_largest_month_and_margin_sits_inside_revenue() {
        let m = |month: &str, revenue, cost| MonthTotal {
            month: month.into(),
            revenue,
            cost,
        };
        let c = chart(
            &[m("2027-01", 1_000, 800), m("2027-02", 500, 600)],
            200,
            120,
        );
        assert_eq!(c.bars[0].revenue_h, 100);
        assert_eq!(c.bars[0].margin_h, 20);
        assert_eq!(c.bars[1].revenue_h, 50);
        // A month sold below cost draws no margin bar.
        assert_eq!(c.bars[1].margin_h, 0);
        assert!(c.bars[1].x > c.bars[0].x);
    }
}

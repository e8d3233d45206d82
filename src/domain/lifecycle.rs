//! The arithmetic of a subscription's commercial life (SPEC.md §2.10), free of the database: terms and
//! their end dates, billing periods, the cancellation window, co-terming and proration.
//!
//! - A term runs from its start to its end, `end` exclusive (a subscription that "renews on 1 Feb"
//!   covers up to 31 Jan). Adding months keeps the day of the month where it exists and takes the
//!   month's last day where it does not (31 Jan + 1 month = 28 or 29 Feb).
//! - Billing periods are counted back from the term's end, so a co-termed subscription's short period
//!   is its first one.
//! - Proration is by days of the period (UTC dates): `amount × days / days in the period`, rounded half
//!   up in minor units per line; a credit is the same figure negated.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};

use super::{Billing, Term};

/// The cancellation window after a purchase, a renewal or added licenses: 168 hours.
pub const WINDOW_HOURS: i64 = 168;

impl Term {
    pub fn months(self) -> u32 {
        match self {
            Self::Month => 1,
            Self::Year => 12,
            Self::ThreeYears => 36,
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Month => "terms.p1m",
            Self::Year => "terms.p1y",
            Self::ThreeYears => "terms.p3y",
        }
    }

    /// Annual and longer terms get renewal reminders (a monthly term renews every month).
    pub fn has_reminders(self) -> bool {
        self != Self::Month
    }

    /// The billing frequencies a term may be sold with.
    pub fn billings(self) -> &'static [Billing] {
        match self {
            Self::Month => &[Billing::Monthly],
            Self::Year => &[Billing::Monthly, Billing::Annual],
            Self::ThreeYears => &[Billing::Monthly, Billing::Annual, Billing::OneTime],
        }
    }
}

/// Every (term, billing) pair an offer may be priced in, in catalog order.
pub const PAIRS: [(Term, Billing); 6] = [
    (Term::Month, Billing::Monthly),
    (Term::Year, Billing::Monthly),
    (Term::Year, Billing::Annual),
    (Term::ThreeYears, Billing::Monthly),
    (Term::ThreeYears, Billing::Annual),
    (Term::ThreeYears, Billing::OneTime),
];

/// A term and how it is billed, as a form sends it: `P1Y:annual`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Plan {
    pub term: Term,
    pub billing: Billing,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            term: Term::Month,
            billing: Billing::Monthly,
        }
    }
}

impl Plan {
    pub fn new(term: Term, billing: Billing) -> Self {
        Self { term, billing }
    }

    /// A valid pair from its form value.
    pub fn parse(raw: &str) -> Option<Self> {
        let (term, billing) = raw.trim().split_once(':')?;
        let plan = Self::new(Term::parse(term)?, Billing::parse(billing)?);
        valid_pair(plan.term, plan.billing).then_some(plan)
    }

    pub fn value(&self) -> String {
        format!("{}:{}", self.term.as_str(), self.billing.as_str())
    }
}

/// What changes at a renewal: each field set is what changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSpec {
    pub quantity: Option<i32>,
    pub term: Option<Term>,
    pub billing: Option<Billing>,
    pub offer_id: Option<i64>,
}

impl ChangeSpec {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Whether a term may be billed so.
pub fn valid_pair(term: Term, billing: Billing) -> bool {
    term.billings().contains(&billing)
}

/// The months one billing period of `billing` lasts within `term`.
pub fn period_months(term: Term, billing: Billing) -> u32 {
    match billing {
        Billing::Monthly => 1,
        Billing::Annual => 12.min(term.months()),
        Billing::OneTime => term.months(),
    }
}

pub fn add_months(at: NaiveDateTime, months: u32) -> NaiveDateTime {
    at.checked_add_months(Months::new(months)).unwrap_or(at)
}

pub fn sub_months(at: NaiveDateTime, months: u32) -> NaiveDateTime {
    at.checked_sub_months(Months::new(months)).unwrap_or(at)
}

/// The natural end of a term starting at `start`.
pub fn term_end(start: NaiveDateTime, term: Term) -> NaiveDateTime {
    add_months(start, term.months())
}

/// When the cancellation window opened at `opened` closes (closed from that instant on).
pub fn window_end(opened: NaiveDateTime) -> NaiveDateTime {
    opened + chrono::Duration::hours(WINDOW_HOURS)
}

/// Whether a window opened at `opened` is still open at `now`.
pub fn in_window(opened: NaiveDateTime, now: NaiveDateTime) -> bool {
    now < window_end(opened)
}

/// What a new subscription's end date is aligned with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// The term's natural end.
    None,
    /// Another subscription's end (co-terming).
    With(NaiveDateTime),
    /// The end of a calendar month: the first instant of the month the natural end falls in.
    MonthEnd,
}

/// Why an aligned end cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlignError {
    /// The other subscription ends before this one would start.
    EndsTooSoon,
    /// It ends after this term's natural end.
    EndsTooLate,
}

/// The end of a term starting at `start`, aligned as asked.
pub fn aligned_end(
    start: NaiveDateTime,
    term: Term,
    align: Align,
) -> Result<NaiveDateTime, AlignError> {
    let natural = term_end(start, term);
    match align {
        Align::None => Ok(natural),
        Align::With(end) if end <= start => Err(AlignError::EndsTooSoon),
        Align::With(end) if end > natural => Err(AlignError::EndsTooLate),
        Align::With(end) => Ok(end),
        Align::MonthEnd => {
            let first = NaiveDate::from_ymd_opt(natural.year(), natural.month(), 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or(natural);
            // Bought on a month's first instant: the natural end is a month's start already.
            if first <= start {
                Ok(natural)
            } else {
                Ok(first)
            }
        }
    }
}

/// A span of time, `end` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

impl Period {
    /// Its length in whole UTC days (at least 1).
    pub fn days(&self) -> i64 {
        (self.end.date() - self.start.date()).num_days().max(1)
    }
}

/// The billing period of a term (`term_start`..`term_end`) that contains `at`, with the full period
/// it is part of (the same unless the term was co-termed and this is its short first period).
pub fn billing_period(
    term_start: NaiveDateTime,
    term_end: NaiveDateTime,
    term: Term,
    billing: Billing,
    at: NaiveDateTime,
) -> (Period, Period) {
    let months = period_months(term, billing);
    // Walk back from the end to the period holding `at` (at most 36 steps), each boundary counted
    // from the end itself so short months do not drift the days (30 Jun − 4 months is 28 Feb,
    // − 5 months 30 Jan).
    let mut k = 1;
    let mut end = term_end;
    let mut start = sub_months(term_end, months);
    while start > at && start > term_start && k < 1000 {
        k += 1;
        end = start;
        start = sub_months(term_end, months * k);
    }
    let part = Period {
        start: start.max(term_start),
        end,
    };
    // A period that is whole counted forward from its start (31 Jan to 28 Feb) is a full one.
    let full = if add_months(part.start, months) <= part.end {
        part
    } else {
        Period { start, end }
    };
    (part, full)
}

/// Where the billing period holding `at` ends, when another one follows it in the term: the next
/// charge of a term billed monthly (or yearly over three years). None: charged to the term's end.
pub fn next_charge(
    term_start: NaiveDateTime,
    term_end: NaiveDateTime,
    term: Term,
    billing: Billing,
    at: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let (part, _) = billing_period(term_start, term_end, term, billing, at);
    (part.end < term_end).then_some(part.end)
}

/// `amount × part / whole`, rounded half up (half away from zero for a negative amount).
pub fn prorate(amount: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return amount;
    }
    let n = i128::from(amount.unsigned_abs()) * i128::from(part.max(0));
    let d = i128::from(whole);
    let rounded = (2 * n + d) / (2 * d);
    let rounded = i64::try_from(rounded).unwrap_or(i64::MAX);
    if amount < 0 { -rounded } else { rounded }
}

/// What `quantity` licenses at `unit` per billing period cost from `from` to the end of the billing
/// period holding it: whole periods cost `quantity × unit`, a part of one its share of days.
pub fn charge_to_period_end(
    quantity: i64,
    unit: i64,
    term_start: NaiveDateTime,
    term_end: NaiveDateTime,
    term: Term,
    billing: Billing,
    from: NaiveDateTime,
) -> (i64, Period) {
    let (part, full) = billing_period(term_start, term_end, term, billing, from);
    let covered = Period {
        start: from.max(part.start),
        end: part.end,
    };
    let days = (covered.end.date() - covered.start.date())
        .num_days()
        .max(0);
    let amount = prorate(quantity * unit, days, full.days());
    (amount, covered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn terms_end_on_the_same_day_or_the_months_last() {
        assert_eq!(
            term_end(t("2027-01-31 10:00:00"), Term::Month),
            t("2027-02-28 10:00:00")
        );
        assert_eq!(
            term_end(t("2028-01-31 10:00:00"), Term::Month),
            t("2028-02-29 10:00:00")
        );
        assert_eq!(
            term_end(t("2028-02-29 00:00:00"), Term::Year),
            t("2029-02-28 00:00:00")
        );
        assert_eq!(
            term_end(t("2027-03-15 08:30:00"), Term::ThreeYears),
            t("2030-03-15 08:30:00")
        );
    }

    #[test]
    fn the_window_closes_at_168_hours() {
        let bought = t("2027-01-01 12:00:00");
        assert!(in_window(bought, t("2027-01-08 11:59:59")));
        assert!(!in_window(bought, t("2027-01-08 12:00:00")));
        assert_eq!(window_end(bought), t("2027-01-08 12:00:00"));
    }

    #[test]
    fn plans_read_back_from_their_form_value() {
        for (term, billing) in PAIRS {
            let plan = Plan::new(term, billing);
            assert_eq!(Plan::parse(&plan.value()), Some(plan));
        }
        assert_eq!(Plan::parse("P1M:annual"), None);
        assert_eq!(Plan::parse("P2Y:monthly"), None);
        assert_eq!(Plan::parse(""), None);
    }

    #[test]
    fn pairs_are_the_terms_billings() {
        for (term, billing) in PAIRS {
            assert!(valid_pair(term, billing));
        }
        assert!(!valid_pair(Term::Month, Billing::Annual));
        assert!(!valid_pair(Term::Year, Billing::OneTime));
    }

    #[test]
    fn aligned_ends() {
        let start = t("2027-01-15 09:00:00");
        assert_eq!(
            aligned_end(start, Term::Month, Align::MonthEnd),
            Ok(t("2027-02-01 00:00:00"))
        );
        assert_eq!(
            aligned_end(start, Term::Year, Align::MonthEnd),
            Ok(t("2028-01-01 00:00:00"))
        );
        // Bought on the first: the natural end is a month's start.
        let first = t("2027-03-01 00:00:00");
        assert_eq!(
            aligned_end(first, Term::Month, Align::MonthEnd),
            Ok(t("2027-04-01 00:00:00"))
        );
        let other = t("2027-06-30 00:00:00");
        assert_eq!(
            aligned_end(start, Term::Year, Align::With(other)),
            Ok(other)
        );
        assert_eq!(
            aligned_end(start, Term::Month, Align::With(other)),
            Err(AlignError::EndsTooLate)
        );
        assert_eq!(
            aligned_end(start, Term::Year, Align::With(start)),
            Err(AlignError::EndsTooSoon)
        );
    }

    #[test]
    fn proration_rounds_half_up_to_the_minor_unit() {
        assert_eq!(prorate(1000, 1, 3), 333);
        assert_eq!(prorate(1000, 2, 3), 667);
        assert_eq!(prorate(15, 1, 2), 8);
        assert_eq!(prorate(-15, 1, 2), -8);
        assert_eq!(prorate(1000, 3, 3), 1000);
        assert_eq!(prorate(1000, 0, 3), 0);
    }

    #[test]
    fn a_co_termed_first_period_is_short_and_prorated() {
        // Bought 15 Jan, monthly billing, ends 1 Feb: 17 of January's 31 days.
        let start = t("2027-01-15 09:00:00");
        let end = t("2027-02-01 00:00:00");
        let (amount, covered) =
            charge_to_period_end(2, 3100, start, end, Term::Month, Billing::Monthly, start);
        assert_eq!(covered, Period { start, end });
        assert_eq!(amount, prorate(6200, 17, 31));
        assert_eq!(amount, 3400);
        // An annual term aligned to 30 Jun, billed monthly: the first period runs to 30 Jan.
        let end = t("2027-06-30 00:00:00");
        let (part, full) = billing_period(start, end, Term::Year, Billing::Monthly, start);
        assert_eq!(
            part,
            Period {
                start,
                end: t("2027-01-30 00:00:00")
            }
        );
        assert_eq!(full.start, t("2026-12-30 00:00:00"));
    }

    #[test]
    fn a_term_bought_on_a_months_last_day_is_charged_whole() {
        let start = t("2027-01-31 10:00:00");
        let end = term_end(start, Term::Month);
        let (amount, covered) =
            charge_to_period_end(5, 600, start, end, Term::Month, Billing::Monthly, start);
        assert_eq!((amount, covered), (3000, Period { start, end }));
    }

    #[test]
    fn added_licenses_pay_for_the_rest_of_their_period() {
        let start = t("2027-01-01 00:00:00");
        let end = term_end(start, Term::Year);
        // Annual billing: 10 Jan to the year's end is 356 of 365 days.
        let (amount, covered) = charge_to_period_end(
            1,
            36_500,
            start,
            end,
            Term::Year,
            Billing::Annual,
            t("2027-01-10 15:00:00"),
        );
        assert_eq!(amount, 35_600);
        assert_eq!(covered.end, end);
        // Monthly billing of the same term: the rest of March (29 February does not exist in 2027).
        let (part, _) = billing_period(
            start,
            end,
            Term::Year,
            Billing::Monthly,
            t("2027-03-05 00:00:00"),
        );
        assert_eq!(
            part,
            Period {
                start: t("2027-03-01 00:00:00"),
                end: t("2027-04-01 00:00:00")
            }
        );
        // Leap year: February has 29 days.
        let leap = t("2028-02-01 00:00:00");
        let (amount, _) = charge_to_period_end(
            1,
            2900,
            leap,
            term_end(leap, Term::Month),
            Term::Month,
            Billing::Monthly,
            t("2028-02-28 00:00:00"),
        );
        assert_eq!(amount, 200);
    }
}

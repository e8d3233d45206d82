//! Prices (SPEC.md §2.11). The operator's catalog price is the provider's **cost**; the provider's
//! price list turns it into the **reseller price** — a reseller's override for the offer and plan,
//! else that reseller's markup, else the default markup — or, for direct customers, the **customer
//! price** (the provider's customer markup). A reseller's **sale price** is its own. Each rule applies
//! from its effective date; of the rules in force, the latest wins. Pure: rules in, a price out.
//! Money is integer minor units; a markup rounds half-up per license.

use chrono::NaiveDateTime;

use crate::domain::{Billing, Term};

/// A markup in basis points (1500 = 15 %), from −100 % to +10,000 %.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Markup(i32);

impl Markup {
    pub const MIN: i32 = -10_000;
    pub const MAX: i32 = 1_000_000;

    pub fn from_bp(bp: i32) -> Option<Self> {
        (Self::MIN..=Self::MAX).contains(&bp).then_some(Self(bp))
    }

    /// A percentage as people type it: `15`, `12.5`, `-3.25`, `15 %` (at most two decimals).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim().trim_end_matches('%').trim();
        if s.is_empty() {
            return Err("validation.required");
        }
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let well_formed = !whole.is_empty()
            && whole.len() <= 6
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= 2
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Err("validation.markup");
        }
        let whole: i32 = whole.parse().map_err(|_| "validation.markup")?;
        let frac: i32 = format!("{frac:0<2}")
            .parse()
            .map_err(|_| "validation.markup")?;
        let bp = whole * 100 + frac;
        Self::from_bp(if negative { -bp } else { bp }).ok_or("validation.markup")
    }

    pub fn bp(self) -> i32 {
        self.0
    }

    /// `cost` raised by the markup, rounded half-up to a minor unit.
    pub fn apply(self, cost: i64) -> i64 {
        let n = i128::from(cost) * i128::from(10_000 + self.0);
        let rounded = (2 * n + 10_000) / 20_000;
        i64::try_from(rounded.max(0)).unwrap_or(i64::MAX)
    }

    /// `15`, `12.5`, `-3.25`: as the form shows it back.
    pub fn percent(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let (whole, frac) = (self.0.unsigned_abs() / 100, self.0.unsigned_abs() % 100);
        match frac {
            0 => format!("{sign}{whole}"),
            f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
            f => format!("{sign}{whole}.{f:02}"),
        }
    }
}

/// What a rule sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleValue {
    Markup(Markup),
    /// Per license per billing period.
    Fixed(i64),
}

/// One entry of a provider's price list, for one audience.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    /// None: every reseller (or the direct customers).
    pub reseller_id: Option<i64>,
    /// An override's offer and plan.
    pub offer: Option<(i64, Term, Billing)>,
    pub value: RuleValue,
    pub effective_from: NaiveDateTime,
}

/// Which rule made a price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The reseller's own price or markup for this offer and plan.
    Override,
    /// The reseller's markup.
    ResellerMarkup,
    /// The default markup for every reseller, or the direct customers' markup.
    DefaultMarkup,
    /// No rule in force: the cost.
    Cost,
}

impl Source {
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Override => "prices.source.override",
            Self::ResellerMarkup => "prices.source.reseller_markup",
            Self::DefaultMarkup => "prices.source.default_markup",
            Self::Cost => "prices.source.cost",
        }
    }
}

/// Whether a rule belongs to a tier of the precedence.
type Pick<'a> = &'a dyn Fn(&Rule) -> bool;

/// The price of one offer and plan at `at` for `reseller` (None: a direct customer; `rules` are then
/// the customer rules), from `cost`: override > the reseller's markup > the default markup > cost.
pub fn resolve(
    cost: i64,
    rules: &[Rule],
    reseller: Option<i64>,
    offer: (i64, Term, Billing),
    at: NaiveDateTime,
) -> (i64, Source) {
    let latest = |pick: &dyn Fn(&Rule) -> bool| {
        rules
            .iter()
            .filter(|r| r.effective_from <= at && pick(r))
            .max_by_key(|r| (r.effective_from, r.id))
    };
    let tiers: [(Source, Pick<'_>); 3] = [
        (Source::Override, &|r: &Rule| {
            reseller.is_some() && r.reseller_id == reseller && r.offer == Some(offer)
        }),
        (Source::ResellerMarkup, &|r: &Rule| {
            reseller.is_some() && r.reseller_id == reseller && r.offer.is_none()
        }),
        (Source::DefaultMarkup, &|r: &Rule| {
            r.reseller_id.is_none() && r.offer.is_none()
        }),
    ];
    for (source, pick) in tiers {
        if let Some(rule) = latest(pick) {
            let price = match rule.value {
                RuleValue::Markup(m) => m.apply(cost),
                RuleValue::Fixed(p) => p,
            };
            return (price, source);
        }
    }
    (cost, Source::Cost)
}

/// A line's three prices: the provider's cost, what the provider charges (the reseller price, or a
/// direct customer's price), and the reseller's sale price where it recorded one. Per license, or —
/// after `map` — a line's amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Prices {
    pub cost: i64,
    pub price: i64,
    pub sale: Option<i64>,
}

impl Prices {
    /// The same computation (quantity, proration, sign) applied to each price.
    pub fn map(self, f: impl Fn(i64) -> i64) -> Self {
        Self {
            cost: f(self.cost),
            price: f(self.price),
            sale: self.sale.map(f),
        }
    }

    /// What the reseller bills its customer: its sale price, or what it pays where it set none.
    pub fn resale(&self) -> i64 {
        self.sale.unwrap_or(self.price)
    }
}

/// Margin in basis points of revenue (none when there is no revenue).
pub fn margin_bp(revenue: i64, cost: i64) -> Option<i64> {
    if revenue == 0 {
        return None;
    }
    let n = i128::from(revenue - cost) * 10_000;
    let d = i128::from(revenue);
    // Half away from zero.
    let q = (2 * n.abs() + d.abs()) / (2 * d.abs());
    let q = if (n < 0) != (d < 0) { -q } else { q };
    i64::try_from(q).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, day)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    fn rule(
        id: i64,
        reseller: Option<i64>,
        offer: Option<i64>,
        value: RuleValue,
        from: u32,
    ) -> Rule {
        Rule {
            id,
            reseller_id: reseller,
            offer: offer.map(|o| (o, Term::Year, Billing::Monthly)),
            value,
            effective_from: at(from),
        }
    }

    fn markup(percent: &str) -> RuleValue {
        RuleValue::Markup(Markup::parse(percent).unwrap())
    }

    const PLAN: (i64, Term, Billing) = (7, Term::Year, Billing::Monthly);

    #[test]
    fn markups_are_read_as_percentages_and_round_half_up() {
        assert_eq!(Markup::parse("15").unwrap().bp(), 1500);
        assert_eq!(Markup::parse(" 12.5 % ").unwrap().bp(), 1250);
        assert_eq!(Markup::parse("-3.25").unwrap().bp(), -325);
        assert_eq!(Markup::parse("1.234"), Err("validation.markup"));
        assert_eq!(Markup::parse("abc"), Err("validation.markup"));
        assert_eq!(Markup::parse("-101"), Err("validation.markup"));
        assert_eq!(Markup::parse(""), Err("validation.required"));
        // 1,250 × 1.15 = 1,437.5 → 1,438; 1,250 × 1.125 = 1,406.25 → 1,406.
        assert_eq!(Markup::parse("15").unwrap().apply(1_250), 1_438);
        assert_eq!(Markup::parse("12.5").unwrap().apply(1_250), 1_406);
        assert_eq!(Markup::parse("-100").unwrap().apply(1_250), 0);
        assert_eq!(Markup::parse("12.5").unwrap().percent(), "12.5");
        assert_eq!(Markup::parse("-3.25").unwrap().percent(), "-3.25");
        assert_eq!(Markup::parse("15").unwrap().percent(), "15");
    }

    #[test]
    fn override_beats_the_resellers_markup_which_beats_the_default() {
        let rules = vec![
            rule(1, None, None, markup("10"), 1),
            rule(2, Some(5), None, markup("20"), 1),
            rule(3, Some(5), Some(7), RuleValue::Fixed(999), 1),
        ];
        assert_eq!(
            resolve(1_000, &rules, Some(5), PLAN, at(2)),
            (999, Source::Override)
        );
        // Another offer of the same reseller: its markup.
        let other = (8, Term::Year, Billing::Monthly);
        assert_eq!(
            resolve(1_000, &rules, Some(5), other, at(2)),
            (1_200, Source::ResellerMarkup)
        );
        // The same offer on another plan is not overridden either.
        let annual = (7, Term::Year, Billing::Annual);
        assert_eq!(
            resolve(1_000, &rules, Some(5), annual, at(2)).1,
            Source::ResellerMarkup
        );
        // Another reseller: the default.
        assert_eq!(
            resolve(1_000, &rules, Some(6), PLAN, at(2)),
            (1_100, Source::DefaultMarkup)
        );
        // No rules: the cost.
        assert_eq!(
            resolve(1_000, &[], Some(6), PLAN, at(2)),
            (1_000, Source::Cost)
        );
    }

    #[test]
    fn a_rule_applies_from_its_effective_date_and_the_latest_in_force_wins() {
        let rules = vec![
            rule(1, None, None, markup("10"), 1),
            rule(2, None, None, markup("20"), 15),
            rule(3, Some(5), Some(7), RuleValue::Fixed(999), 20),
        ];
        // The instant before 15 November: 10 %; at it: 20 %.
        let before = at(15) - chrono::Duration::seconds(1);
        assert_eq!(resolve(1_000, &rules, Some(5), PLAN, before).0, 1_100);
        assert_eq!(resolve(1_000, &rules, Some(5), PLAN, at(15)).0, 1_200);
        // The override waits for its own date.
        let before = at(20) - chrono::Duration::seconds(1);
        assert_eq!(
            resolve(1_000, &rules, Some(5), PLAN, before),
            (1_200, Source::DefaultMarkup)
        );
        assert_eq!(
            resolve(1_000, &rules, Some(5), PLAN, at(20)),
            (999, Source::Override)
        );
        // Before any rule: the cost.
        assert_eq!(
            resolve(
                1_000,
                &rules,
                Some(5),
                PLAN,
                at(1) - chrono::Duration::seconds(1)
            ),
            (1_000, Source::Cost)
        );
        // Two rules from the same instant: the later one entered.
        let same = vec![
            rule(1, None, None, markup("10"), 1),
            rule(2, None, None, markup("30"), 1),
        ];
        assert_eq!(resolve(1_000, &same, None, PLAN, at(2)).0, 1_300);
    }

    #[test]
    fn a_lines_prices_follow_the_same_computation_and_margins_round_half_up() {
        let unit = Prices {
            cost: 1_000,
            price: 1_150,
            sale: Some(1_400),
        };
        let line = unit.map(|u| -3 * u);
        assert_eq!(
            line,
            Prices {
                cost: -3_000,
                price: -3_450,
                sale: Some(-4_200)
            }
        );
        assert_eq!(Prices { sale: None, ..unit }.resale(), 1_150);
        assert_eq!(margin_bp(1_150, 1_000), Some(1_304)); // 13.04 %
        assert_eq!(margin_bp(0, 10), None);
        assert_eq!(margin_bp(-1_150, -1_000), Some(1_304));
        assert_eq!(margin_bp(1_000, 1_200), Some(-2_000));
    }
}

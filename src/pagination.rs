//! Keyset pagination: lists walk an index from a cursor (`after=` / `before=` in the URL) instead of
//! counting and skipping rows, so page 1000 costs what page 1 costs. Cursors are the sort key of the
//! row at the edge of a page, as URL-safe base64 of JSON.

use base64::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub const PER_PAGE: usize = 50;

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    pub after: Option<String>,
    pub before: Option<String>,
}

/// A list with status tabs (`?status=pending`) and keyset paging.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct StatusQuery {
    #[serde(default)]
    pub status: String,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl StatusQuery {
    /// The tab asked for among `tabs` (read with `parse`); the first tab when none (or another) is
    /// asked.
    pub fn status_of<T: Copy + PartialEq>(&self, tabs: &[T], parse: fn(&str) -> Option<T>) -> T {
        match parse(&self.status) {
            Some(status) if tabs.contains(&status) => status,
            _ => tabs[0],
        }
    }

    pub fn seek<K: DeserializeOwned>(&self) -> Seek<K> {
        PageQuery {
            after: self.after.clone(),
            before: self.before.clone(),
        }
        .seek()
    }
}

/// The `LIMIT` a page query fetches: one row more than a page, so the extra row tells whether there
/// is more.
pub fn fetch_limit(per_page: usize) -> i64 {
    i64::try_from(per_page).unwrap_or(i64::MAX - 1) + 1
}

/// Where a page starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Seek<K> {
    First,
    /// The rows that follow this key in display order.
    After(K),
    /// The rows that precede this key in display order (fetched in reverse, then turned around).
    Before(K),
}

impl PageQuery {
    /// The requested position; a cursor that does not decode starts from the first page.
    pub fn seek<K: DeserializeOwned>(&self) -> Seek<K> {
        if let Some(k) = self.after.as_deref().and_then(decode) {
            Seek::After(k)
        } else if let Some(k) = self.before.as_deref().and_then(decode) {
            Seek::Before(k)
        } else {
            Seek::First
        }
    }
}

pub fn encode<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode<K: DeserializeOwned>(raw: &str) -> Option<K> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Orders a boxed query newest first by the id column `$id`, starting where `$seek` says: the keyset
/// step most lists share (ids are time-ordered, so newest first is id descending).
#[macro_export]
macro_rules! newest_first {
    ($query:expr, $id:expr, $seek:expr) => {
        match $seek {
            $crate::pagination::Seek::First => $query.order($id.desc()),
            $crate::pagination::Seek::After(id) => $query.filter($id.lt(*id)).order($id.desc()),
            $crate::pagination::Seek::Before(id) => $query.filter($id.gt(*id)).order($id.asc()),
        }
    };
}

/// Orders a boxed query oldest first by the id column `$id` (review queues: first come, first served).
#[macro_export]
macro_rules! oldest_first {
    ($query:expr, $id:expr, $seek:expr) => {
        match $seek {
            $crate::pagination::Seek::First => $query.order($id.asc()),
            $crate::pagination::Seek::After(id) => $query.filter($id.gt(*id)).order($id.asc()),
            $crate::pagination::Seek::Before(id) => $query.filter($id.lt(*id)).order($id.desc()),
        }
    };
}

/// Orders a boxed query by a name column then an id column (`$name`, `$id`), starting where `$seek`
/// (a `Seek<(String, i64)>`) says: the keyset step of lists shown alphabetically.
#[macro_export]
macro_rules! by_name {
    ($query:expr, $name:expr, $id:expr, $seek:expr) => {
        match $seek {
            $crate::pagination::Seek::First => $query.order(($name.asc(), $id.asc())),
            $crate::pagination::Seek::After((n, i)) => $query
                .filter($name.gt(n.clone()).or($name.eq(n.clone()).and($id.gt(*i))))
                .order(($name.asc(), $id.asc())),
            $crate::pagination::Seek::Before((n, i)) => $query
                .filter($name.lt(n.clone()).or($name.eq(n.clone()).and($id.lt(*i))))
                .order(($name.desc(), $id.desc())),
        }
    };
}

/// One page of a list, with cursors for the neighbouring pages.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
    pub prev: Option<String>,
}

impl<T> Page<T> {
    /// No rows and no neighbours.
    pub fn empty() -> Page<T> {
        Page {
            items: Vec::new(),
            next: None,
            prev: None,
        }
    }

    /// Builds a page from rows fetched with `LIMIT per_page + 1` in the seek's direction (reverse display
    /// order for `Before`), so one extra row tells whether there is more.
    pub fn from_rows<K: Serialize>(
        mut rows: Vec<T>,
        seek: &Seek<K>,
        per_page: usize,
        key: impl Fn(&T) -> K,
    ) -> Page<T> {
        let more = rows.len() > per_page;
        rows.truncate(per_page);
        if let Seek::Before(_) = seek {
            rows.reverse();
        }
        let first = rows.first().map(|r| encode(&key(r)));
        let last = rows.last().map(|r| encode(&key(r)));
        let (prev, next) = match seek {
            Seek::First => (None, if more { last } else { None }),
            Seek::After(_) => (first, if more { last } else { None }),
            Seek::Before(_) => (if more { first } else { None }, last),
        };
        Page {
            items: rows,
            next,
            prev,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages through 0..n (display order ascending) the way a query would.
    fn fetch(n: i64, seek: &Seek<i64>, per: usize) -> Vec<i64> {
        let all: Vec<i64> = (0..n).collect();
        match seek {
            Seek::First => all.into_iter().take(per + 1).collect(),
            Seek::After(k) => all.into_iter().filter(|x| x > k).take(per + 1).collect(),
            Seek::Before(k) => all
                .into_iter()
                .rev()
                .filter(|x| x < k)
                .take(per + 1)
                .collect(),
        }
    }

    #[test]
    fn walking_forward_and_back_visits_every_row_once() {
        let per = 3;
        let mut seek = Seek::First;
        let mut seen = Vec::new();
        let mut pages = Vec::new();
        loop {
            let page = Page::from_rows(fetch(10, &seek, per), &seek, per, |x| *x);
            seen.extend(page.items.iter().copied());
            pages.push(page.items.clone());
            match page.next {
                Some(c) => seek = Seek::After(decode(&c).unwrap()),
                None => break,
            }
        }
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(pages.len(), 4);
        // And back from the last page.
        let last = Page::from_rows(fetch(10, &Seek::After(8), per), &Seek::After(8), per, |x| {
            *x
        });
        assert_eq!(last.items, vec![9]);
        let back: Seek<i64> = Seek::Before(decode(&last.prev.unwrap()).unwrap());
        let page = Page::from_rows(fetch(10, &back, per), &back, per, |x| *x);
        assert_eq!(page.items, vec![6, 7, 8]);
        assert!(page.prev.is_some() && page.next.is_some());
        let back: Seek<i64> = Seek::Before(decode(&page.prev.unwrap()).unwrap());
        let page = Page::from_rows(fetch(10, &back, per), &back, per, |x| *x);
        assert_eq!(page.items, vec![3, 4, 5]);
    }

    #[test]
    fn a_broken_cursor_means_the_first_page() {
        let q = PageQuery {
            after: Some("%%%".into()),
            before: None,
        };
        assert_eq!(q.seek::<i64>(), Seek::First);
    }
}

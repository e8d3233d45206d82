//! Row ids, made in Rust so inserts need no `RETURNING` (which diesel's multi-backend connection lacks).
//! An id is 63 bits: milliseconds since 2025-01-01 (41 bits, good until 2094), a per-process node number
//! (10 bits, random at start or `INSTANCE_ID`) and a sequence (12 bits). Ids therefore sort by creation
//! time, which the keyset-paginated lists rely on ("newest first" is "id descending").

use std::sync::Mutex;
use std::sync::OnceLock;

const EPOCH_MS: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
const SEQ_MASK: i64 = (1 << SEQ_BITS) - 1;

static NODE: OnceLock<i64> = OnceLock::new();
static LAST: Mutex<(i64, i64)> = Mutex::new((0, 0));

/// Fixes this process's node number (0–1023). Without a call, a random one is chosen.
pub fn set_node(node: u16) {
    let _ = NODE.set(i64::from(node) & ((1 << NODE_BITS) - 1));
}

fn node() -> i64 {
    *NODE.get_or_init(|| {
        let mut b = [0u8; 2];
        let _ = getrandom::fill(&mut b);
        i64::from(u16::from_le_bytes(b)) & ((1 << NODE_BITS) - 1)
    })
}

/// A new unique id.
pub fn new_id() -> i64 {
    let now = chrono::Utc::now().timestamp_millis() - EPOCH_MS;
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let (mut ms, mut seq) = *last;
    if now > ms {
        ms = now;
        seq = 0;
    } else {
        // Same millisecond (or the clock stepped back): keep counting from the last id.
        seq += 1;
        if seq > SEQ_MASK {
            ms += 1;
            seq = 0;
        }
    }
    *last = (ms, seq);
    (ms << (NODE_BITS + SEQ_BITS)) | (node() << SEQ_BITS) | seq
}

/// An id for a row created at `at` (for generated historical data): unique within this process as long as
/// fewer than 4096 are asked for the same millisecond.
pub fn id_at(at: chrono::NaiveDateTime, seq: i64) -> i64 {
    let ms = at.and_utc().timestamp_millis() - EPOCH_MS;
    (ms << (NODE_BITS + SEQ_BITS)) | (node() << SEQ_BITS) | (seq & SEQ_MASK)
}

/// The smallest id that can be made at or after `at`: time ranges become id ranges, so a list filtered
/// by date walks the same index as the unfiltered list.
pub fn first_id_at(at: chrono::NaiveDateTime) -> i64 {
    let ms = at
        .and_utc()
        .timestamp_millis()
        .saturating_sub(EPOCH_MS)
        .max(0);
    // Past the 41 bits of milliseconds (2094) no id can be made: every id is before it.
    if ms >= 1 << (63 - NODE_BITS - SEQ_BITS) {
        return i64::MAX;
    }
    ms << (NODE_BITS + SEQ_BITS)
}

/// The creation time encoded in an id.
pub fn created_at(id: i64) -> chrono::NaiveDateTime {
    let ms = (id >> (NODE_BITS + SEQ_BITS)) + EPOCH_MS;
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.naive_utc())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_increasing() {
        let ids: Vec<i64> = (0..20_000).map(|_| new_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        assert!(ids[0] > 0);
    }

    #[test]
    fn the_first_id_of_a_time_never_wraps() {
        let at = |y: i32| {
            chrono::NaiveDate::from_ymd_opt(y, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        };
        assert_eq!(first_id_at(at(2020)), 0);
        assert!(first_id_at(at(2026)) > 0);
        assert!(first_id_at(at(2093)) < first_id_at(at(2094)));
        assert_eq!(first_id_at(at(2200)), i64::MAX);
        assert_eq!(first_id_at(at(262_000)), i64::MAX);
    }

    #[test]
    fn id_carries_its_creation_time() {
        let before = chrono::Utc::now().naive_utc() - chrono::Duration::milliseconds(1);
        let at = created_at(new_id());
        assert!(at >= before && at <= chrono::Utc::now().naive_utc());
    }
}

//! `/metrics` in the Prometheus text format (SPEC.md §4), behind `METRICS_TOKEN` (a bearer token; without
//! it the endpoint does not exist): requests and their latency per route pattern and status, sign-in
//! failures and throttled requests, job runs and failures (counted as they happen), and, read when
//! scraped, the database pools and the email and webhook queues per state with the oldest pending age.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};

/// Latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Registry {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    counters: BTreeMap<&'static str, u64>,
    job_seconds: f64,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn with<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    f(&mut registry().lock().unwrap_or_else(|e| e.into_inner()))
}

/// A request answered.
pub fn request(route: &str, status: u16, seconds: f64) {
    with(|r| {
        *r.requests.entry((route.to_owned(), status)).or_default() += 1;
        let h = r.latency.entry(route.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    });
}

/// One more of a counter: `sign_in_failures`, `throttled_requests`, `job_runs`, `job_failures`.
pub fn count(name: &'static str) {
    with(|r| *r.counters.entry(name).or_default() += 1);
}

/// A run of the jobs and how long it took.
pub fn job_run(seconds: f64, failed: bool) {
    with(|r| {
        *r.counters.entry("job_runs").or_default() += 1;
        if failed {
            *r.counters.entry("job_failures").or_default() += 1;
        }
        r.job_seconds += seconds;
    });
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// What the scrape reads from the database: per queue and state, how many and the oldest pending's age.
pub struct Gauges {
    pub pools: Vec<(&'static str, u32, u32, u32)>,
    pub writer: Option<crate::db::writer::WriterSnapshot>,
    pub queues: Vec<(&'static str, String, i64)>,
    pub oldest_pending_seconds: Vec<(&'static str, i64)>,
}

/// The text exposition.
pub fn render(gauges: &Gauges) -> String {
    let mut out = String::new();
    with(|r| {
        out.push_str(
            "# HELP pd_http_requests_total Requests answered, by route pattern and status.\n",
        );
        out.push_str("# TYPE pd_http_requests_total counter\n");
        for ((route, status), n) in &r.requests {
            let _ = writeln!(
                out,
                "pd_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                label(route)
            );
        }
        out.push_str(
            "# HELP pd_http_request_duration_seconds Request latency, by route pattern.\n",
        );
        out.push_str("# TYPE pd_http_request_duration_seconds histogram\n");
        for (route, h) in &r.latency {
            let route = label(route);
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "pd_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "pd_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "pd_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "pd_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        for name in [
            "sign_in_failures",
            "throttled_requests",
            "job_runs",
            "job_failures",
        ] {
            let _ = writeln!(out, "# TYPE pd_{name}_total counter");
            let _ = writeln!(
                out,
                "pd_{name}_total {}",
                r.counters.get(name).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(out, "# TYPE pd_job_duration_seconds_total counter");
        let _ = writeln!(out, "pd_job_duration_seconds_total {}", r.job_seconds);
    });
    out.push_str("# HELP pd_db_pool_connections Database pool connections, by pool and state.\n");
    out.push_str("# TYPE pd_db_pool_connections gauge\n");
    for (pool, size, idle, max) in &gauges.pools {
        let _ = writeln!(
            out,
            "pd_db_pool_connections{{pool=\"{pool}\",state=\"in_use\"}} {}",
            size - idle
        );
        let _ = writeln!(
            out,
            "pd_db_pool_connections{{pool=\"{pool}\",state=\"idle\"}} {idle}"
        );
        let _ = writeln!(
            out,
            "pd_db_pool_connections{{pool=\"{pool}\",state=\"max\"}} {max}"
        );
    }
    if let Some(w) = &gauges.writer {
        out.push_str("# HELP pd_sqlite_writer_queue_depth Writes waiting for SQLite's writer.\n");
        out.push_str("# TYPE pd_sqlite_writer_queue_depth gauge\n");
        let _ = writeln!(out, "pd_sqlite_writer_queue_depth {}", w.queued);
        out.push_str("# HELP pd_sqlite_writer_batch_size Writes committed together, per commit.\n");
        out.push_str("# TYPE pd_sqlite_writer_batch_size histogram\n");
        for (bound, n) in crate::db::writer::BATCH_BUCKETS.iter().zip(w.at_most) {
            let _ = writeln!(
                out,
                "pd_sqlite_writer_batch_size_bucket{{le=\"{bound}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "pd_sqlite_writer_batch_size_bucket{{le=\"+Inf\"}} {}",
            w.batches
        );
        let _ = writeln!(out, "pd_sqlite_writer_batch_size_sum {}", w.requests);
        let _ = writeln!(out, "pd_sqlite_writer_batch_size_count {}", w.batches);
    }
    out.push_str(
        "# HELP pd_queue_messages Queued email and webhook deliveries, by queue and state.\n",
    );
    out.push_str("# TYPE pd_queue_messages gauge\n");
    for (queue, state, n) in &gauges.queues {
        let _ = writeln!(
            out,
            "pd_queue_messages{{queue=\"{queue}\",state=\"{}\"}} {n}",
            label(state)
        );
    }
    out.push_str(
        "# HELP pd_queue_oldest_pending_seconds Age of the oldest pending message, by queue.\n",
    );
    out.push_str("# TYPE pd_queue_oldest_pending_seconds gauge\n");
    for (queue, age) in &gauges.oldest_pending_seconds {
        let _ = writeln!(
            out,
            "pd_queue_oldest_pending_seconds{{queue=\"{queue}\"}} {age}"
        );
    }
    out
}

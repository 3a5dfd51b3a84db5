//! Prometheus metrics: requests by route and status, latency, pool gauges, the build, and
//! the process (memory, CPU, open files, read from `/proc/self` on Linux). They are served
//! on their own listener (`LIFEOS_METRICS_BIND`), never on the API's port.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use lifeos_kernel::Db;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool: Family<PoolLabels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics(..)")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        // The process metrics keep their conventional unprefixed names; ours are `lifeos_*`.
        let mut root = Registry::default();
        root.register_collector(Box::new(ProcessCollector));
        let registry = root.sub_registry_with_prefix("lifeos");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by state",
            pool.clone(),
        );
        registry.register(
            "build",
            "The running build",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        Self {
            registry: root,
            requests,
            latency,
            pool,
        }
    }

    /// Counts a request and its latency under its route template.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        let route_labels = RouteLabels {
            method: method.to_owned(),
            route: route.to_owned(),
        };
        self.latency.get_or_create(&route_labels).observe(seconds);
    }

    /// The text exposition, with pool gauges read now.
    #[expect(clippy::expect_used, reason = "writing to a String cannot fail")]
    pub fn render(&self, db: &Db) -> String {
        let stats = db.stats();
        let gauge = |state| {
            self.pool
                .get_or_create(&PoolLabels { state })
                .set(i64::from(stats_value(stats, state)))
        };
        gauge("idle");
        gauge("in_use");
        gauge("max");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

fn stats_value(stats: lifeos_kernel::db::PoolStats, state: &str) -> u32 {
    match state {
        "idle" => stats.idle,
        "in_use" => stats.size.saturating_sub(stats.idle),
        _ => stats.max,
    }
}

/// The metrics listener's router: `GET /metrics` and nothing else.
pub fn router(metrics: Arc<Metrics>, db: Db) -> Router {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .with_state((metrics, db))
}

/// `GET /metrics`.
async fn metrics_handler(State((metrics, db)): State<(Arc<Metrics>, Db)>) -> impl IntoResponse {
    let body = metrics.render(&db);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}

/// The process metrics, read at each scrape; none where `/proc/self` is not there.
#[derive(Debug)]
struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(process) = process::read() else {
            return Ok(());
        };
        let mut gauge = |name: &str, help: &str, value: f64| {
            let metric = ConstGauge::new(value);
            metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
        };
        gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            process.resident_bytes,
        )?;
        gauge(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            process.virtual_bytes,
        )?;
        gauge(
            "process_open_fds",
            "Number of open file descriptors",
            process.open_fds,
        )?;
        if let Some(max_fds) = process.max_fds {
            gauge(
                "process_max_fds",
                "Maximum number of open file descriptors",
                max_fds,
            )?;
        }
        if let Some(start) = process.start_time_seconds {
            gauge(
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds",
                start,
            )?;
        }
        let cpu = ConstCounter::new(process.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?)
    }
}

/// `/proc/self`, parsed without new dependencies.
mod process {
    /// Linux's `USER_HZ`: `/proc` counts CPU time in these ticks, 100 on every
    /// architecture Linux supports for user space.
    const TICKS_PER_SECOND: f64 = 100.0;

    pub struct Process {
        pub resident_bytes: f64,
        pub virtual_bytes: f64,
        pub open_fds: f64,
        pub max_fds: Option<f64>,
        pub cpu_seconds: f64,
        pub start_time_seconds: Option<f64>,
    }

    pub fn read() -> Option<Process> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        // The command name is in parentheses and may hold spaces: fields start after it.
        let fields: Vec<&str> = stat
            .get(stat.rfind(')')? + 1..)?
            .split_whitespace()
            .collect();
        // Field n of proc(5) (1-based) is fields[n - 3].
        let number = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
        let cpu_seconds = (number(14)? + number(15)?) / TICKS_PER_SECOND;
        let start_ticks = number(22)?;
        let virtual_bytes = number(23)?;
        let resident_bytes = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })?
            * 1024.0;
        let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as f64;
        let max_fds = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|limits| {
                let line = limits
                    .lines()
                    .find(|line| line.starts_with("Max open files"))?;
                line.get("Max open files".len()..)?
                    .split_whitespace()
                    .next()?
                    .parse::<f64>()
                    .ok()
            });
        let start_time_seconds = boot_time().map(|boot| boot + start_ticks / TICKS_PER_SECOND);
        Some(Process {
            resident_bytes,
            virtual_bytes,
            open_fds,
            max_fds,
            cpu_seconds,
            start_time_seconds,
        })
    }

    /// `btime` of `/proc/stat`: when the machine booted, in seconds since the epoch.
    fn boot_time() -> Option<f64> {
        std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|line| line.strip_prefix("btime "))?
            .trim()
            .parse()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let process = process::read().expect("/proc/self is readable");
            assert!(process.resident_bytes > 0.0);
            assert!(process.open_fds > 0.0);
            assert!(process.start_time_seconds.is_some_and(|s| s > 1.0e9));
        }
    }
}

//! Benchmarks that need the loopback WhatsApp stand-in, so they live with the tests (run them with
//! `make bench-engine`; `cargo test` skips them as ignored). Figures are printed as `bench:` lines.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{read_qr, wait_for_within, TestDb};
use crate::process::Daemon;
use crate::standin::StandIn;

/// Any version: pinning one keeps the engine from asking web.whatsapp.com.
const APP_VERSION: &str = "2.3000.1027934701";

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn link_one(daemon: &Daemon, standin: &StandIn, i: usize) -> Duration {
    let began = Instant::now();
    let r = daemon
        .call(
            Method::POST,
            "/api/sessions",
            Some(json!({ "name": format!("bench-{i}"), "engine": "whatsapp" })),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().expect("id").to_string();
    let r = daemon
        .call(
            Method::POST,
            &format!("/api/sessions/{id}/start"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let qr = wait_for_within(Duration::from_secs(60), "a QR code", || async {
        let r = daemon
            .call(Method::GET, &format!("/api/sessions/{id}/qr"), None)
            .await;
        (r.status == 200)
            .then(|| r.body["qrCode"].as_str().map(read_qr))
            .flatten()
    })
    .await;
    standin.scan(&qr);
    wait_for_within(
        Duration::from_secs(120),
        "the session to be ready",
        || async {
            let r = daemon
                .call(Method::GET, &format!("/api/sessions/{id}"), None)
                .await;
            (r.body["status"] == "ready").then_some(())
        },
    )
    .await;
    began.elapsed()
}

/// RSS per linked real-engine session: `BENCH_SESSIONS` (default 200) sessions of one daemon
/// linked to the stand-in, the daemon's resident memory read from /proc before and after.
#[actix_web::test]
#[ignore = "a benchmark: make bench-engine"]
async fn bench_rss_per_linked_session() {
    let n: usize = std::env::var("BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let standin = StandIn::start(1).await;
    let db = TestDb::new();
    let daemon = Daemon::start(
        &db,
        &[
            ("ENGINE_TYPE", "whatsapp"),
            ("ENGINE_WS_URL", &standin.url),
            ("ENGINE_APP_VERSION", APP_VERSION),
            ("ENGINE_CONNECT_TIMEOUT_MS", "120000"),
        ],
    );
    let idle = rss_kib(daemon.pid());
    let began = Instant::now();
    let mut times = Vec::with_capacity(n);
    // Linked in waves: each link waits out the engine's 10 s grace for app-state keys.
    for wave in (0..n).collect::<Vec<_>>().chunks(25) {
        let linked = join_all(wave.iter().map(|&i| link_one(&daemon, &standin, i))).await;
        times.extend(linked);
    }
    let all = began.elapsed();
    let linked = rss_kib(daemon.pid());
    // The engines settle (prekey uploads, app-state waits) before the second reading.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(15) {
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    }
    let settled = rss_kib(daemon.pid());
    times.sort();
    println!(
        "bench: {n} real-engine sessions linked to the stand-in in {:.1} s (per link p50 {:.1} s, max {:.1} s)",
        all.as_secs_f64(),
        times[n / 2].as_secs_f64(),
        times[n - 1].as_secs_f64()
    );
    println!(
        "bench: daemon RSS idle {} MiB, {n} linked {} MiB, 15 s later {} MiB: {:.0} KiB per linked session",
        idle / 1024,
        linked / 1024,
        settled / 1024,
        settled.saturating_sub(idle) as f64 / n as f64
    );
}

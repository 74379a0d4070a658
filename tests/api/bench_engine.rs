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

/// A whatsapp session, started, with its first QR code.
async fn started(daemon: &Daemon, i: usize) -> (String, String) {
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
    (id, qr)
}

async fn ready(daemon: &Daemon, id: &str) {
    wait_for_within(
        Duration::from_secs(180),
        "the session to be ready",
        || async {
            let r = daemon
                .call(Method::GET, &format!("/api/sessions/{id}"), None)
                .await;
            (r.body["status"] == "ready").then_some(())
        },
    )
    .await;
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
    let standin = StandIn::start(6).await;
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
    let mut ids = Vec::with_capacity(n);
    // The stand-in's phone scans one QR code at a time (it pairs the connection that showed it),
    // so sessions start in waves and are scanned one after another; their logins (each waits out
    // the engine's 10 s grace for app-state keys) overlap.
    for wave in (0..n).collect::<Vec<_>>().chunks(10) {
        let shown = join_all(wave.iter().map(|&i| started(&daemon, i))).await;
        for (id, qr) in shown {
            let before = standin.paired();
            standin.scan(&qr);
            wait_for_within(Duration::from_secs(60), "the phone to pair", || async {
                (standin.paired() > before).then_some(())
            })
            .await;
            ids.push(id);
        }
    }
    for id in &ids {
        ready(&daemon, id).await;
    }
    let all = began.elapsed();
    let linked = rss_kib(daemon.pid());
    // The engines settle (prekey uploads, app-state waits) before the second reading.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(15) {
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    }
    let settled = rss_kib(daemon.pid());
    println!(
        "bench: {n} real-engine sessions linked to the stand-in in {:.1} s",
        all.as_secs_f64()
    );
    println!(
        "bench: daemon RSS idle {} MiB, {n} linked {} MiB, 15 s later {} MiB: {:.0} KiB per linked session",
        idle / 1024,
        linked / 1024,
        settled / 1024,
        settled.saturating_sub(idle) as f64 / n as f64
    );
}

//! webhook-load: measures webhook delivery from a running OpenWA daemon.
//!
//! It links a sandbox session, registers a webhook pointing at its own receiver, then makes
//! `message.received` events (POST /api/sandbox/sessions/:id/incoming) for `--seconds`, either as
//! fast as `--concurrency` clients can (`--rate 0`) or at a fixed total rate. It then waits until
//! every event has been delivered and prints the delivery rate and the delay from each event (the
//! envelope's `timestamp`, taken when the session actor made the event) to its arrival.
//!
//! With `--sessions N` it links N sessions, each with its own webhook, and worker `w` makes the
//! events of session `w % N` (one session's events are stored one at a time, in order, so a
//! single session measures that path; several measure what the database and dispatcher carry).
//!
//! With `--backlog` the receiver holds every request until all events are made (run the daemon
//! with a WEBHOOK_TIMEOUT longer than that), so they pile up in the outbox; the delivery rate is
//! then the dispatcher's alone: the outbox drained from the release to the last arrival, not
//! bounded by how fast events are made.
//!
//!   webhook-load --base http://127.0.0.1:2785 --key owa_k1_... [--seconds 60] [--rate 0]
//!                [--concurrency 32] [--sessions 1] [--backlog] [--label sqlite]

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;

type Fail = Box<dyn std::error::Error + Send + Sync>;

#[derive(Default)]
struct Seen {
    deliveries: HashSet<String>,
    delays_ms: Vec<i64>,
    last: Option<Instant>,
}

struct Args {
    base: String,
    key: String,
    seconds: u64,
    rate: u64,
    concurrency: usize,
    sessions: usize,
    backlog: bool,
    label: String,
}

fn args() -> Result<Args, Fail> {
    let mut a = Args {
        base: String::new(),
        key: String::new(),
        seconds: 60,
        rate: 0,
        concurrency: 32,
        sessions: 1,
        backlog: false,
        label: "run".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--backlog" {
            a.backlog = true;
            continue;
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--base" => a.base = value,
            "--key" => a.key = value,
            "--seconds" => a.seconds = value.parse()?,
            "--rate" => a.rate = value.parse()?,
            "--concurrency" => a.concurrency = value.parse()?,
            "--sessions" => a.sessions = value.parse::<usize>()?.max(1),
            "--label" => a.label = value,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if a.base.is_empty() || a.key.is_empty() {
        return Err("--base and --key are required".into());
    }
    Ok(a)
}

async fn receive(
    req: Request<hyper::body::Incoming>,
    seen: Arc<Mutex<Seen>>,
    mut hold: tokio::sync::watch::Receiver<bool>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let _ = hold.wait_for(|held| !*held).await;
    let arrived = chrono::Utc::now().timestamp_millis();
    if let Ok(body) = req.into_body().collect().await {
        if let Ok(v) = serde_json::from_slice::<Value>(&body.to_bytes()) {
            let event_ms = v["timestamp"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp_millis());
            let id = v["deliveryId"].as_str().unwrap_or_default().to_string();
            let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
            if v["event"] == "message.received" && s.deliveries.insert(id) {
                if let Some(t) = event_ms {
                    s.delays_ms.push(arrived - t);
                }
                s.last = Some(Instant::now());
            }
        }
    }
    Ok(Response::new(Full::new(Bytes::new())))
}

async fn call(client: &reqwest::Client, a: &Args, method: reqwest::Method, path: &str, body: Value) -> Result<Value, Fail> {
    let r = client
        .request(method, format!("{}{path}", a.base))
        .header("X-API-Key", &a.key)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = r.status();
    let text = r.text().await?;
    if !status.is_success() {
        return Err(format!("{path}: HTTP {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn wait_status(client: &reqwest::Client, a: &Args, id: &str, status: &str) -> Result<(), Fail> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let s = call(client, a, reqwest::Method::GET, &format!("/api/sessions/{id}"), Value::Null).await?;
        if s["status"] == status {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("session never became {status}").into())
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), Fail> {
    let a = Arc::new(args()?);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let sink = seen.clone();
    let (release, hold) = tokio::sync::watch::channel(a.backlog);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (sink, hold) = (sink.clone(), hold.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req| receive(req, sink.clone(), hold.clone()));
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    });

    let client = reqwest::Client::builder().pool_max_idle_per_host(a.concurrency).build()?;
    let mut ids = Vec::new();
    for n in 0..a.sessions {
        let name = format!("wh-bench-{}-{n}", std::process::id());
        let s = call(&client, &a, reqwest::Method::POST, "/api/sessions", json!({"name": name, "engine": "sandbox"})).await?;
        let id = s["id"].as_str().ok_or("no session id")?.to_string();
        call(&client, &a, reqwest::Method::POST, &format!("/api/sessions/{id}/start"), json!({})).await?;
        wait_status(&client, &a, &id, "qr_ready").await?;
        call(&client, &a, reqwest::Method::POST, &format!("/api/sandbox/sessions/{id}/scan"), json!({})).await?;
        wait_status(&client, &a, &id, "ready").await?;
        let hook = call(
            &client,
            &a,
            reqwest::Method::POST,
            &format!("/api/sessions/{id}/webhooks"),
            json!({"url": format!("http://127.0.0.1:{port}/hook"), "retryCount": 5}),
        )
        .await?;
        let _ = hook;
        ids.push(id);
    }

    let made = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(a.seconds);
    let mut workers = Vec::new();
    for w in 0..a.concurrency {
        let (client, a, made, id) = (client.clone(), a.clone(), made.clone(), ids[w % ids.len()].clone());
        workers.push(tokio::spawn(async move {
            // At a fixed rate each worker sends every `concurrency / rate` seconds.
            let mut tick = (a.rate > 0).then(|| {
                let every = Duration::from_secs_f64(a.concurrency as f64 / a.rate as f64);
                tokio::time::interval_at(tokio::time::Instant::now() + every.mul_f64(w as f64 / a.concurrency as f64), every)
            });
            let mut n = 0u64;
            while Instant::now() < until {
                if let Some(t) = tick.as_mut() {
                    t.tick().await;
                }
                let body = json!({"from": "628999000001@c.us", "text": format!("load {w}-{n}")});
                if call(&client, &a, reqwest::Method::POST, &format!("/api/sandbox/sessions/{id}/incoming"), body).await.is_ok() {
                    made.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let generated = made.load(Ordering::Relaxed);
    let gen_secs = started.elapsed().as_secs_f64();
    let activated = Instant::now();
    let _ = release.send(false);
    let drain_deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let got = seen.lock().unwrap_or_else(|e| e.into_inner()).deliveries.len() as u64;
        if got >= generated || Instant::now() > drain_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let s = seen.lock().unwrap_or_else(|e| e.into_inner());
    let delivered = s.deliveries.len();
    let from = if a.backlog { activated } else { started };
    let span = s.last.map(|t| (t - from).as_secs_f64()).unwrap_or(gen_secs);
    let mut delays = s.delays_ms.clone();
    delays.sort_unstable();
    println!(
        "{}: generated {generated} events in {gen_secs:.1} s ({:.0}/s); delivered {delivered} in {span:.1} s ({:.0}/s); \
         event->delivery p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
        a.label,
        generated as f64 / gen_secs,
        delivered as f64 / span,
        percentile(&delays, 0.50),
        percentile(&delays, 0.90),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(0),
    );
    if (delivered as u64) < generated {
        return Err(format!("{} events were not delivered", generated - delivered as u64).into());
    }
    Ok(())
}

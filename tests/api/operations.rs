//! What an operator relies on (API.md §9, issue 7): metrics, the audit log, settings, statistics,
//! CORS, security headers, client IPs behind proxies, and request ids.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::receiver::Receiver;

const TOKEN: &str = "metrics-token-for-tests";

/// Scrapes `/api/metrics` as Prometheus would and returns its samples.
async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let r = app
        .client
        .get(app.url("/api/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("scrape");
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"]
        .to_str()
        .expect("a text content type")
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = r.text().await.expect("the metrics text");
    let lines = text.lines().map(|l| Ok(l.to_string()));
    prometheus_parse::Scrape::parse(lines).expect("Prometheus text exposition format")
}

/// The value of `name` whose labels include every pair of `labels`.
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .find(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(ref h) => {
                h.iter().map(|b| b.count).fold(0.0, f64::max)
            }
            _ => f64::NAN,
        })
        .unwrap_or_else(|| panic!("no sample {name}{labels:?}"))
}

#[actix_web::test]
async fn metrics_need_their_token_and_are_absent_without_one() {
    let app = spawn_app().await;
    let r = app.get("/api/metrics").await;
    r.assert_error(404, "Cannot GET /api/metrics");

    let app = spawn_app_with(&[("METRICS_TOKEN", TOKEN)]).await;
    for auth in [None, Some("wrong"), Some(ADMIN_KEY)] {
        let mut req = app.client.get(app.url("/api/metrics"));
        if let Some(token) = auth {
            req = req.bearer_auth(token);
        }
        let r = read(req.send().await.unwrap()).await;
        r.assert_error(401, "Invalid metrics token");
    }
}

#[actix_web::test]
async fn metrics_parse_as_prometheus_text_and_move_with_traffic() {
    let rx = Receiver::start().await;
    let app = spawn_app_with(&[
        ("METRICS_TOKEN", TOKEN),
        ("WEBHOOK_RETRY_DELAY", "60000"),
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
    ])
    .await;
    let before = scrape(&app).await;
    for name in [
        "openwa_up",
        "openwa_process_uptime_seconds",
        "openwa_process_resident_memory_bytes",
        "openwa_sessions_total",
    ] {
        sample(&before, name, &[]);
    }
    assert_eq!(sample(&before, "openwa_up", &[]), 1.0);
    assert!(sample(&before, "openwa_process_resident_memory_bytes", &[]) > 1e6);
    assert_eq!(
        sample(&before, "openwa_sessions", &[("status", "ready")]),
        0.0
    );

    let id = app.ready_session("metered", "628111000801").await;
    let r = app
        .post(
            &format!("/api/sessions/{id}/webhooks"),
            json!({ "url": rx.url("/hook"), "events": ["message.sent"] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    for n in 0..3 {
        let r = app
            .send_text(&id, "628123456789@c.us", &format!("metered {n}"))
            .await;
        assert_eq!(r.status, 201, "{r:?}");
    }
    wait_for("3 deliveries", || async {
        (rx.hits().len() >= 3).then_some(())
    })
    .await;
    let after = wait_for("the counters to catch up", || async {
        let s = scrape(&app).await;
        let delivered = sample(
            &s,
            "openwa_webhook_deliveries_total",
            &[("result", "delivered")],
        );
        let sent = sample(&s, "openwa_messages_total", &[("direction", "outgoing")]);
        (delivered >= 3.0 && sent >= 3.0).then_some(s)
    })
    .await;
    assert_eq!(
        sample(
            &after,
            "openwa_messages_total",
            &[("direction", "outgoing")]
        ),
        3.0
    );
    assert_eq!(
        sample(
            &after,
            "openwa_messages_total",
            &[("direction", "incoming")]
        ),
        0.0
    );
    assert_eq!(
        sample(
            &after,
            "openwa_webhook_deliveries_total",
            &[("result", "failed")]
        ),
        0.0
    );
    assert_eq!(
        sample(&after, "openwa_sessions", &[("status", "ready")]),
        1.0
    );
    assert_eq!(sample(&after, "openwa_sessions_total", &[]), 1.0);
    let created = sample(
        &after,
        "openwa_http_requests_total",
        &[("method", "POST"), ("status", "201")],
    );
    assert!(created >= 5.0, "session, webhook and 3 sends: {created}");
    let count = |s: &prometheus_parse::Scrape| {
        s.samples
            .iter()
            .find(|x| x.metric == "openwa_http_request_duration_seconds_count")
            .map(|x| match x.value {
                prometheus_parse::Value::Untyped(v) | prometheus_parse::Value::Counter(v) => v,
                _ => f64::NAN,
            })
            .or_else(|| Some(sample(s, "openwa_http_request_duration_seconds", &[])))
            .unwrap_or(f64::NAN)
    };
    assert!(
        count(&after) >= count(&before) + 8.0,
        "the latency histogram counts requests"
    );
}

/// The audit rows matching `query`.
async fn audit(app: &TestApp, query: &str) -> Value {
    let r = app.get(&format!("/api/audit{query}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

fn actions(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| r["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[actix_web::test]
async fn audited_actions_leave_rows_that_the_filters_find() {
    let app = spawn_app().await;
    let (key_id, operator) = app
        .create_key(json!({ "name": "ops-bot", "role": "operator" }))
        .await;
    let id = app.create_session("audited").await;
    let as_operator = |method: Method, path: String| {
        app.client
            .request(method, app.url(&path))
            .header("X-API-Key", operator.clone())
    };
    let r = read(
        as_operator(Method::POST, format!("/api/sessions/{id}/start"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = read(
        as_operator(Method::POST, format!("/api/sessions/{id}/stop"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    // Refused: a viewer's route needs admin; an unknown key.
    let r = read(
        as_operator(Method::GET, "/api/audit".into())
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(403, "Insufficient permissions. Required: admin");
    let r = read(
        app.client
            .get(app.url("/api/sessions"))
            .header("X-API-Key", "owa_k1_not-a-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = app
        .post(&format!("/api/auth/api-keys/{key_id}/revoke"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(app.delete(&format!("/api/sessions/{id}")).await.status, 204);

    let all = audit(&app, "").await;
    assert_eq!(
        actions(&all),
        [
            "session.delete",
            "api_key.revoke",
            "auth.failed",
            "auth.failed",
            "session.stop",
            "session.start",
            "session.create",
            "api_key.create",
        ],
        "{all:#}"
    );
    assert_eq!(all["total"], 8);
    let start = &all["data"][5];
    assert_eq!(start["apiKeyId"], key_id);
    assert_eq!(start["apiKeyName"], "ops-bot");
    assert_eq!(start["sessionId"], id);
    assert_eq!(start["ipAddress"], "127.0.0.1");
    assert_eq!(start["method"], "POST");
    assert_eq!(start["path"], format!("/api/sessions/{id}/start"));
    assert_eq!(start["statusCode"], 200);
    assert_eq!(start["severity"], "info");
    assert!(start["createdAt"].as_str().unwrap().ends_with('Z'));
    // The new session is named by the row of its creation.
    assert_eq!(all["data"][6]["sessionId"], id);
    assert_eq!(all["data"][6]["apiKeyName"], "Default Admin Key");

    let refused = audit(&app, "?action=auth.failed").await;
    assert_eq!(refused["total"], 2);
    assert_eq!(refused["data"][0]["statusCode"], 401);
    assert_eq!(refused["data"][0]["apiKeyId"], Value::Null);
    assert_eq!(refused["data"][1]["statusCode"], 403);
    assert_eq!(refused["data"][1]["apiKeyName"], "ops-bot");
    assert_eq!(refused["data"][1]["severity"], "warning");
    assert_eq!(audit(&app, "?severity=warning").await["total"], 2);
    let of_session = audit(&app, &format!("?sessionId={id}")).await;
    assert_eq!(
        actions(&of_session),
        [
            "session.delete",
            "session.stop",
            "session.start",
            "session.create"
        ]
    );
    let by_key = audit(&app, &format!("?apiKeyId={key_id}")).await;
    assert_eq!(
        actions(&by_key),
        ["auth.failed", "session.stop", "session.start"]
    );
    let page = audit(&app, "?limit=2&offset=1").await;
    assert_eq!(actions(&page), ["api_key.revoke", "auth.failed"]);
    assert_eq!(page["total"], 8);

    for (query, message) in [
        (
            "?action=coffee.make",
            "action must be one of the following values: ",
        ),
        ("?limit=201", "limit must not be greater than 200"),
        (
            "?severity=loud",
            "severity must be one of the following values: info, warning, error",
        ),
    ] {
        let r = app.get(&format!("/api/audit{query}")).await;
        assert_eq!(r.status, 400, "{query}: {r:?}");
        assert!(
            r.messages().iter().any(|m| m.starts_with(message)),
            "{query}: {r:?}"
        );
    }
}

#[actix_web::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    for (trusted, expected) in [(None, "127.0.0.1"), (Some("127.0.0.1"), "203.0.113.7")] {
        let overrides: Vec<(&str, &str)> = trusted
            .map(|t| ("TRUSTED_PROXIES", t))
            .into_iter()
            .collect();
        let app = spawn_app_with(&overrides).await;
        let r = read(
            app.client
                .get(app.url("/api/sessions"))
                .header("X-API-Key", "owa_k1_wrong")
                .header("X-Forwarded-For", "6.6.6.6, 203.0.113.7")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 401);
        let rows = audit(&app, "?action=auth.failed").await;
        assert_eq!(
            rows["data"][0]["ipAddress"], expected,
            "trusted: {trusted:?}"
        );
    }
}

#[actix_web::test]
async fn settings_are_shown_to_admins_with_every_secret_masked() {
    let app = spawn_app_with(&[
        ("METRICS_TOKEN", "token-that-must-not-show"),
        ("DATABASE_PASSWORD", "password-that-must-not-show"),
    ])
    .await;
    let r = app.get("/api/settings").await;
    assert_eq!(r.status, 200, "{r:?}");
    let text = r.body.to_string();
    for secret in [
        "token-that-must-not-show",
        "password-that-must-not-show",
        ADMIN_KEY,
    ] {
        assert!(!text.contains(secret), "{secret} shown: {text}");
    }
    assert_eq!(r.body["metrics"]["token"], "***");
    assert_eq!(r.body["auth"]["master_key"], "***");
    assert_eq!(r.body["database"]["password"], "***");
    assert_eq!(
        r.body["auth"]["pepper"], "",
        "an unset secret reads as unset"
    );
    assert_eq!(r.body["sessions"]["engine_type"], "sandbox");
    assert_eq!(r.body["server"]["log_format"], "pretty");

    let (_, operator) = app
        .create_key(json!({ "name": "operator-key", "role": "operator" }))
        .await;
    let r = read(
        app.client
            .get(app.url("/api/settings"))
            .header("X-API-Key", operator)
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(403, "Insufficient permissions. Required: admin");
}

#[actix_web::test]
async fn statistics_count_sessions_and_messages_by_period() {
    let app = spawn_app().await;
    let id = app.ready_session("counted", "628111000802").await;
    app.create_session("idle").await;
    for n in 0..3 {
        assert_eq!(
            app.send_text(&id, "628123456789@c.us", &format!("n{n}"))
                .await
                .status,
            201
        );
    }
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/incoming"),
            json!({ "from": "628123456789@c.us", "text": "hi" }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");

    let o = app.get("/api/stats/overview").await;
    assert_eq!(o.status, 200, "{o:?}");
    assert_eq!(o.body["sessions"]["total"], 2);
    assert_eq!(o.body["sessions"]["byStatus"]["ready"], 1);
    assert_eq!(o.body["sessions"]["byStatus"]["created"], 1);
    assert_eq!(o.body["messages"]["outgoing"], 3);
    assert_eq!(o.body["messages"]["incoming"], 1);
    assert_eq!(o.body["messages"]["total"], 4);
    assert_eq!(o.body["messages"]["last24h"], 4);
    assert_eq!(o.body["apiKeys"]["active"], 1);

    for (period, buckets, interval) in [("24h", 24, "hour"), ("7d", 7, "day"), ("30d", 30, "day")] {
        let r = app
            .get(&format!("/api/stats/messages?period={period}"))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["interval"], interval);
        let list = r.body["buckets"].as_array().expect("buckets");
        assert_eq!(list.len(), buckets);
        let last = &list[buckets - 1];
        assert_eq!(
            (&last["outgoing"], &last["incoming"], &last["total"]),
            (&json!(3), &json!(1), &json!(4))
        );
        let earlier: i64 = list[..buckets - 1]
            .iter()
            .map(|b| b["total"].as_i64().unwrap())
            .sum();
        assert_eq!(earlier, 0);
    }
    assert_eq!(app.get("/api/stats/messages").await.body["period"], "24h");
    let r = app.get("/api/stats/messages?period=1y").await;
    r.assert_error(
        400,
        "period must be one of the following values: 24h, 7d, 30d",
    );
}

#[actix_web::test]
async fn cors_allows_the_listed_origins_and_refuses_others() {
    let preflight = |app: &TestApp, origin: &str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/sessions"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "x-api-key, content-type")
            .send()
    };
    let app = spawn_app_with(&[("CORS_ORIGINS", "https://crm.example.com")]).await;
    let ok = preflight(&app, "https://crm.example.com").await.unwrap();
    assert!(ok.status().is_success(), "{ok:?}");
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://crm.example.com"
    );
    assert!(ok
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let allowed_headers = ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed_headers.contains("x-api-key"), "{allowed_headers}");

    let refused = preflight(&app, "https://evil.example").await.unwrap();
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert_eq!(refused.status(), 400);
    // The dashboard's own requests (same origin) still work.
    let r = read(
        app.req(Method::POST, "/api/sessions")
            .header("X-API-Key", ADMIN_KEY)
            .header("Origin", app.base.clone())
            .json(&json!({ "name": "same-origin" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    // A listed origin's real request carries the header.
    let r = app
        .req(Method::GET, "/api/sessions")
        .header("Origin", "https://crm.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://crm.example.com"
    );

    // Without CORS_ORIGINS nothing is allowed cross-origin.
    let app = spawn_app().await;
    let r = preflight(&app, "https://crm.example.com").await.unwrap();
    assert!(
        r.headers().get("access-control-allow-origin").is_none(),
        "{r:?}"
    );

    // "*": any origin, and never with credentials.
    let app = spawn_app_with(&[("CORS_ORIGINS", "*")]).await;
    let r = preflight(&app, "https://anyone.example").await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
}

#[actix_web::test]
async fn security_headers_and_request_ids_are_on_every_answer() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    for path in [
        "/api/health",
        "/api/sessions",
        "/api/nowhere",
        "/",
        "/assets/app.js",
    ] {
        let r = app.req(Method::GET, path).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "{path}: plain HTTP"
        );
        let id = h["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{path}: {id}");
    }
    // The dashboard keeps its own, stricter policy.
    let page = app.req(Method::GET, "/").send().await.unwrap();
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));

    let r = app
        .req(Method::GET, "/api/health")
        .header("X-Request-ID", "trace-42.a_b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-42.a_b");
    // An id that could forge or flood log lines is replaced.
    for bad in ["x".repeat(129), "two words".to_string()] {
        let r = app
            .req(Method::GET, "/api/health")
            .header("X-Request-ID", &bad)
            .send()
            .await
            .unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{bad:?} -> {id}");
    }

    // HSTS only when a trusted proxy says the caller used TLS; this peer (127.0.0.1) is not one.
    let r = app
        .req(Method::GET, "/api/health")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let r = app
        .req(Method::GET, "/api/health")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert!(r.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

//! Per-IP rate limits (API.md §1.2).

use reqwest::Method;

use crate::helpers::*;

#[actix_web::test]
async fn over_the_short_window_is_429_with_retry_after_and_health_is_exempt() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_SHORT_TTL", "60000"),
        ("RATE_LIMIT_SHORT_LIMIT", "3"),
    ])
    .await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/sessions").await.status, 200);
    }
    let r = app.get("/api/sessions").await;
    r.assert_envelope(429);
    assert_eq!(r.body["error"], "Too Many Requests");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Failed authentication counts against the same budget (it is the same IP).
    app.send(Method::GET, "/api/sessions", None, None)
        .await
        .assert_envelope(429);
    for _ in 0..10 {
        assert_eq!(
            app.send(Method::GET, "/api/health", None, None)
                .await
                .status,
            200
        );
        assert_eq!(
            app.send(Method::GET, "/api/health/ready", None, None)
                .await
                .status,
            200
        );
    }
}

#[actix_web::test]
async fn the_medium_window_applies_alongside_the_short_one() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_MEDIUM_TTL", "60000"),
        ("RATE_LIMIT_MEDIUM_LIMIT", "5"),
    ])
    .await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/sessions").await.status, 200);
    }
    app.get("/api/sessions").await.assert_envelope(429);
}

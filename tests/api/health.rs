use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn health_routes_are_public_and_report_the_database() {
    let app = spawn_app().await;
    let r = app.send(Method::GET, "/api/health", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
    assert_eq!(r.body["version"], env!("CARGO_PKG_VERSION"));
    assert!(r.body["timestamp"].as_str().unwrap().ends_with('Z'));
    let r = app.send(Method::GET, "/api/health/live", None, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (200, json!({"status": "ok"}))
    );
    let r = app.send(Method::GET, "/api/health/ready", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["details"]["database"]["status"], "up");
}

#[actix_web::test]
async fn unknown_routes_and_methods_get_the_nest_404_envelope() {
    let app = spawn_app().await;
    let r = app.get("/api/xyz").await;
    r.assert_error(404, "Cannot GET /api/xyz");
    assert_eq!(r.body["error"], "Not Found");
    // Unknown routes answer 404 even without a key, as NestJS does.
    let r = app
        .send(Method::POST, "/api/nope/deeper", None, Some(json!({})))
        .await;
    r.assert_error(404, "Cannot POST /api/nope/deeper");
    let r = app
        .send(Method::DELETE, "/api/health", Some(ADMIN_KEY), None)
        .await;
    r.assert_error(404, "Cannot DELETE /api/health");
    // Inside a nested per-session scope too, and for a wrong method on a known path there.
    let id = uuid::Uuid::new_v4();
    let r = app.get(&format!("/api/sessions/{id}/nope")).await;
    r.assert_error(404, &format!("Cannot GET /api/sessions/{id}/nope"));
    let r = app.get(&format!("/api/sessions/{id}/start")).await;
    r.assert_error(404, &format!("Cannot GET /api/sessions/{id}/start"));
    // Outside /api a path without an extension is a dashboard route; an unknown file is not.
    let r = app.send(Method::GET, "/elsewhere.txt", None, None).await;
    r.assert_error(404, "Cannot GET /elsewhere.txt");
}

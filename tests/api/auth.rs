//! Every row of the authentication table (API.md §1.1), in order of precedence.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn missing_invalid_and_query_string_keys_are_refused() {
    let app = spawn_app().await;
    let r = app.send(Method::GET, "/api/sessions", None, None).await;
    r.assert_error(401, "API key is required");
    assert_eq!(r.body["error"], "Unauthorized");
    let r = app
        .send(Method::GET, "/api/sessions", Some("owa_k1_nope"), None)
        .await;
    r.assert_error(401, "Invalid API key");
    let r = app
        .send(
            Method::GET,
            &format!("/api/sessions?apiKey={ADMIN_KEY}"),
            None,
            None,
        )
        .await;
    r.assert_error(401, "API key is required");
}

#[actix_web::test]
async fn bearer_is_accepted_and_x_api_key_wins() {
    let app = spawn_app().await;
    let r = app
        .exec(app.req(Method::GET, "/api/sessions").bearer_auth(ADMIN_KEY))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app
        .exec(
            app.req(Method::GET, "/api/sessions")
                .header("X-API-Key", "owa_k1_wrong")
                .bearer_auth(ADMIN_KEY),
        )
        .await;
    r.assert_error(401, "Invalid API key");
}

#[actix_web::test]
async fn authentication_answers_before_body_validation() {
    let app = spawn_app().await;
    let r = app
        .send(
            Method::POST,
            "/api/sessions",
            None,
            Some(json!({"name": 5, "bogus": true})),
        )
        .await;
    r.assert_error(401, "API key is required");
    let r = app
        .exec(
            app.req(Method::POST, "/api/sessions")
                .header("X-API-Key", "owa_k1_bad")
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    r.assert_error(401, "Invalid API key");
}

#[actix_web::test]
async fn revoked_and_expired_keys_are_refused() {
    let app = spawn_app().await;
    let (id, secret) = app
        .create_key(json!({"name": "to-revoke", "role": "viewer"}))
        .await;
    assert_eq!(
        app.send(Method::GET, "/api/sessions", Some(&secret), None)
            .await
            .status,
        200
    );
    let r = app
        .post(&format!("/api/auth/api-keys/{id}/revoke"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["isActive"], false);
    app.send(Method::GET, "/api/sessions", Some(&secret), None)
        .await
        .assert_error(401, "API key is revoked");

    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let (_, secret) = app
        .create_key(
            json!({"name": "short-lived", "role": "viewer", "expiresAt": soon.to_rfc3339()}),
        )
        .await;
    assert_eq!(
        app.send(Method::GET, "/api/sessions", Some(&secret), None)
            .await
            .status,
        200
    );
    let r = wait_for("the key to expire", || async {
        let r = app
            .send(Method::GET, "/api/sessions", Some(&secret), None)
            .await;
        (r.status == 401).then_some(r)
    })
    .await;
    r.assert_error(401, "API key has expired");
}

#[actix_web::test]
async fn ip_allow_list_uses_the_peer_unless_behind_a_trusted_proxy() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let (_, elsewhere) = app
        .create_key(json!({"name": "office-only", "allowedIps": ["203.0.113.0/24"]}))
        .await;
    let (_, local) = app
        .create_key(json!({"name": "local-only", "allowedIps": ["127.0.0.1"]}))
        .await;
    app.send(Method::GET, "/api/sessions", Some(&elsewhere), None)
        .await
        .assert_error(401, "IP address not allowed");
    assert_eq!(
        app.send(Method::GET, "/api/sessions", Some(&local), None)
            .await
            .status,
        200
    );
    // The peer (127.0.0.1) is a trusted proxy, so the forwarded client address counts.
    let via_proxy = |key: String| {
        app.exec(
            app.req(Method::GET, "/api/sessions")
                .header("X-API-Key", key)
                .header("X-Forwarded-For", "203.0.113.7"),
        )
    };
    assert_eq!(via_proxy(elsewhere.clone()).await.status, 200);
    via_proxy(local)
        .await
        .assert_error(401, "IP address not allowed");

    // Without trusted proxies the header is ignored.
    let app = spawn_app().await;
    let (_, office) = app
        .create_key(json!({"name": "office-only", "allowedIps": ["203.0.113.0/24"]}))
        .await;
    let r = app
        .exec(
            app.req(Method::GET, "/api/sessions")
                .header("X-API-Key", office)
                .header("X-Forwarded-For", "203.0.113.7"),
        )
        .await;
    r.assert_error(401, "IP address not allowed");
}

#[actix_web::test]
async fn session_scope_and_role_are_enforced_in_that_order() {
    let app = spawn_app().await;
    let mine = app.create_session(&name("mine")).await;
    let other = app.create_session(&name("other")).await;
    let (_, scoped) = app
        .create_key(json!({"name": "scoped-viewer", "role": "viewer", "allowedSessions": [mine]}))
        .await;

    assert_eq!(
        app.send(
            Method::GET,
            &format!("/api/sessions/{mine}"),
            Some(&scoped),
            None
        )
        .await
        .status,
        200
    );
    let refused = app
        .send(
            Method::GET,
            &format!("/api/sessions/{other}"),
            Some(&scoped),
            None,
        )
        .await;
    refused.assert_error(401, "API key not authorized for this session");
    // A client tells this refusal (the key is fine) from a bad key by a stable word, not the text.
    assert_eq!(refused.body["code"], "FORBIDDEN_SESSION", "{refused:?}");
    // Out of scope AND role too low: the scope answers first.
    app.send(
        Method::POST,
        &format!("/api/sessions/{other}/start"),
        Some(&scoped),
        Some(json!({})),
    )
    .await
    .assert_error(401, "API key not authorized for this session");
    app.send(
        Method::POST,
        &format!("/api/sessions/{mine}/start"),
        Some(&scoped),
        Some(json!({})),
    )
    .await
    .assert_error(403, "Insufficient permissions. Required: operator");
    // Lists are filtered, not refused.
    let r = app
        .send(Method::GET, "/api/sessions", Some(&scoped), None)
        .await;
    let ids: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![mine.as_str()]);
    let r = app
        .send(
            Method::GET,
            "/api/sessions/stats/overview",
            Some(&scoped),
            None,
        )
        .await;
    assert_eq!(r.body["total"], 1);
}

#[actix_web::test]
async fn roles_rank_viewer_operator_admin() {
    let app = spawn_app().await;
    let (_, viewer) = app
        .create_key(json!({"name": "viewer", "role": "viewer"}))
        .await;
    let (_, operator) = app.create_key(json!({"name": "operator"})).await;
    app.send(
        Method::POST,
        "/api/sessions",
        Some(&viewer),
        Some(json!({"name": "by-viewer"})),
    )
    .await
    .assert_error(403, "Insufficient permissions. Required: operator");
    let r = app
        .send(
            Method::POST,
            "/api/sessions",
            Some(&operator),
            Some(json!({"name": "by-operator"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    app.send(Method::GET, "/api/auth/api-keys", Some(&operator), None)
        .await
        .assert_error(403, "Insufficient permissions. Required: admin");
    let id = r.body["id"].as_str().unwrap();
    app.send(
        Method::POST,
        &format!("/api/sandbox/sessions/{id}/scan"),
        Some(&operator),
        Some(json!({})),
    )
    .await
    .assert_error(403, "Insufficient permissions. Required: admin");
}

#[actix_web::test]
async fn validate_reports_role_and_applies_the_ip_list() {
    let app = spawn_app().await;
    let r = app
        .send(Method::POST, "/api/auth/validate", Some(ADMIN_KEY), None)
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (200, json!({"valid": true, "role": "admin"}))
    );
    let r = app
        .send(
            Method::POST,
            "/api/auth/validate",
            Some("owa_k1_nope"),
            None,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (200, json!({"valid": false}))
    );
    let r = app
        .send(Method::POST, "/api/auth/validate", None, None)
        .await;
    assert_eq!(r.body, json!({"valid": false}));
    let (_, far) = app
        .create_key(json!({"name": "far-away", "allowedIps": ["198.51.100.1"]}))
        .await;
    let r = app
        .send(Method::POST, "/api/auth/validate", Some(&far), None)
        .await;
    assert_eq!(r.body, json!({"valid": false}));
}

//! Session resources (API.md §4): create, list, read, config, stats, delete.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn is_iso_millis(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.')
}

#[actix_web::test]
async fn create_returns_the_full_session_object() {
    let app = spawn_app().await;
    let r = app.post("/api/sessions", json!({"name": "my-bot"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let s = &r.body;
    uuid::Uuid::parse_str(s["id"].as_str().unwrap()).unwrap();
    assert_eq!(s["name"], "my-bot");
    assert_eq!(s["status"], "created");
    assert_eq!(s["engine"], "sandbox", "defaults to ENGINE_TYPE");
    for null in [
        "phone",
        "pushName",
        "connectedAt",
        "lastActive",
        "lastError",
    ] {
        assert!(s[null].is_null(), "{null} in {s}");
    }
    assert!(
        is_iso_millis(&s["createdAt"]) && is_iso_millis(&s["updatedAt"]),
        "{s}"
    );
    app.post("/api/sessions", json!({"name": "my-bot"}))
        .await
        .assert_error(409, "Session with name 'my-bot' already exists");
}

#[actix_web::test]
async fn list_is_newest_first_with_paging_and_name_filter() {
    let app = spawn_app().await;
    let a = app.create_session("first-one").await;
    let b = app.create_session("second-one").await;
    let c = app.create_session("third-one").await;
    let ids = |v: Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(app.get("/api/sessions").await.body),
        vec![c.clone(), b.clone(), a.clone()]
    );
    assert_eq!(
        ids(app.get("/api/sessions?limit=1&offset=1").await.body),
        vec![b.clone()]
    );
    assert_eq!(
        ids(app.get("/api/sessions?name=first-one").await.body),
        vec![a]
    );
    assert_eq!(app.get("/api/sessions?name=nobody").await.body, json!([]));
}

#[actix_web::test]
async fn config_is_effective_merged_and_resettable() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/sessions",
            json!({"name": "conf", "engine": "sandbox", "config": {"maxReconnectAttempts": 2}}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/sessions/{id}/config");
    assert_eq!(
        app.get(&path).await.body,
        json!({"autoRejectCalls": false, "maxReconnectAttempts": 2, "reconnectBaseDelay": 5000})
    );
    let r = app
        .send(
            Method::PATCH,
            &path,
            Some(ADMIN_KEY),
            Some(json!({"reconnectBaseDelay": 2000})),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"autoRejectCalls": false, "maxReconnectAttempts": 2, "reconnectBaseDelay": 2000}),
        "{r:?}"
    );
    let r = app
        .send(
            Method::PATCH,
            &path,
            Some(ADMIN_KEY),
            Some(json!({"maxReconnectAttempts": null})),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"autoRejectCalls": false, "maxReconnectAttempts": 5, "reconnectBaseDelay": 2000}),
        "{r:?}"
    );
    let r = app
        .send(
            Method::PATCH,
            &path,
            Some(ADMIN_KEY),
            Some(json!({"maxReconnectAttempts": -1, "colour": 1})),
        )
        .await;
    assert!(
        r.messages()
            .contains(&"maxReconnectAttempts must not be less than 0".to_string()),
        "{r:?}"
    );
    assert!(
        r.messages()
            .contains(&"property colour should not exist".to_string()),
        "{r:?}"
    );
    assert_eq!(
        app.get(&path).await.body,
        json!({"autoRejectCalls": false, "maxReconnectAttempts": 5, "reconnectBaseDelay": 2000})
    );
}

#[actix_web::test]
async fn stats_overview_counts_by_status() {
    let app = spawn_app().await;
    app.create_session("idle-one").await;
    app.ready_session("linked-one", "628111111111").await;
    let r = app.get("/api/sessions/stats/overview").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["active"], 1);
    assert_eq!(r.body["ready"], 1);
    assert_eq!(r.body["disconnected"], 0);
    assert_eq!(r.body["byStatus"]["created"], 1);
    assert_eq!(r.body["byStatus"]["failed"], 0);
}

#[actix_web::test]
async fn delete_removes_the_session_and_its_messages() {
    let app = spawn_app().await;
    let id = app.ready_session("doomed", "628222222222").await;
    assert_eq!(
        app.send_text(&id, "628123456789@c.us", "bye").await.status,
        201
    );
    assert_eq!(app.delete(&format!("/api/sessions/{id}")).await.status, 204);
    app.get(&format!("/api/sessions/{id}"))
        .await
        .assert_error(404, &format!("Session with id '{id}' not found"));
    app.get(&format!("/api/sessions/{id}/messages"))
        .await
        .assert_envelope(404);
    app.delete(&format!("/api/sessions/{id}"))
        .await
        .assert_envelope(404);
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await
        .assert_envelope(404);
    // The name is free again.
    assert_eq!(
        app.post("/api/sessions", json!({"name": "doomed"}))
            .await
            .status,
        201
    );
}

/// OpenWA's newer clients read `engineLoaded` on every session object (is an engine in memory),
/// and the history's statuses from OpenWA's vocabulary: an incoming message is `sent`.
#[actix_web::test]
async fn engine_loaded_follows_the_engine_and_incoming_rows_use_openwa_statuses() {
    let app = spawn_app().await;
    let id = app.create_session("loaded").await;
    assert_eq!(app.session(&id).await["engineLoaded"], false);
    let r = app
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["engineLoaded"], true, "{r:?}");
    app.wait_status(&id, "qr_ready").await;
    let listed = app.get("/api/sessions").await;
    let mine = listed
        .body
        .as_array()
        .and_then(|all| all.iter().find(|s| s["id"] == id.as_str()).cloned())
        .expect("the session is listed");
    assert_eq!(mine["engineLoaded"], true);
    let r = app
        .post(&format!("/api/sessions/{id}/stop"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["engineLoaded"], false, "{r:?}");
    assert_eq!(app.session(&id).await["engineLoaded"], false);

    let ready = app.ready_session("loaded-ready", "628123450077").await;
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{ready}/incoming"),
            json!({ "from": "628999000777@c.us", "text": "hello" }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let page = app.messages(&ready, "?direction=incoming").await;
    let statuses: Vec<&str> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["status"].as_str())
        .collect();
    assert_eq!(statuses, ["sent"], "{page}");
}

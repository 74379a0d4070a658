//! Key management (API.md §3).

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn the_seeded_admin_key_is_written_to_the_data_dir() {
    let app = spawn_app().await;
    let file = app.db.path().join(".api-key");
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), ADMIN_KEY);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let keys = app.get("/api/auth/api-keys").await.body;
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["name"], "Default Admin Key");
    assert_eq!(keys[0]["role"], "admin");
    assert_eq!(keys[0]["keyPrefix"], &ADMIN_KEY[..12]);
}

#[actix_web::test]
async fn a_random_admin_key_is_generated_without_a_master_key() {
    let db = TestDb::new();
    let mut env = test_env(&db);
    env.remove("API_MASTER_KEY");
    let settings = openwa::config::Settings::load_with(None, |n| env.get(n).cloned()).unwrap();
    let server = openwa::server::Server::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    let stop = server.shutdown_handle();
    let task = actix_web::rt::spawn(server.run_until_stopped());
    let key = std::fs::read_to_string(db.path().join(".api-key"))
        .unwrap()
        .trim()
        .to_string();
    assert!(key.starts_with("owa_k1_") && key.len() == 71, "{key}");
    let r = reqwest::Client::new()
        .get(format!("{base}/api/sessions"))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    stop.shutdown().await;
    task.await.unwrap().unwrap();
}

#[actix_web::test]
async fn create_shows_the_secret_once_and_crud_works() {
    let app = spawn_app().await;
    let session = app.create_session(&name("scoped")).await;
    let r = app
        .post(
            "/api/auth/api-keys",
            json!({"name": "ci-bot", "role": "operator", "allowedIps": ["10.0.0.0/8"], "allowedSessions": [session]}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let secret = r.body["apiKey"].as_str().unwrap();
    assert!(secret.starts_with("owa_k1_") && secret.len() == 71);
    assert_eq!(r.body["keyPrefix"], &secret[..12]);
    assert_eq!(r.body["allowedSessions"], json!([session]));
    assert_eq!(r.body["usageCount"], 0);
    assert!(
        r.body.get("expiresAt").is_none() && r.body.get("lastUsedAt").is_none(),
        "empty fields omitted"
    );
    let id = r.body["id"].as_str().unwrap().to_string();

    let list = app.get("/api/auth/api-keys").await.body;
    assert_eq!(list[0]["id"], id, "newest first");
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k.get("apiKey").is_none() && k.get("keyHash").is_none()));
    let one = app.get(&format!("/api/auth/api-keys/{id}")).await;
    assert_eq!(one.body["name"], "ci-bot");

    let r = app
        .send(
            Method::PUT,
            &format!("/api/auth/api-keys/{id}"),
            Some(ADMIN_KEY),
            Some(json!({"name": "ci-bot-2", "allowedIps": [], "role": "viewer"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "ci-bot-2");
    assert_eq!(r.body["role"], "viewer");
    assert!(
        r.body.get("allowedIps").is_none(),
        "[] clears the list: {r:?}"
    );
    assert_eq!(
        r.body["allowedSessions"],
        json!([session]),
        "untouched fields stay"
    );

    assert_eq!(
        app.delete(&format!("/api/auth/api-keys/{id}")).await.status,
        204
    );
    app.get(&format!("/api/auth/api-keys/{id}"))
        .await
        .assert_error(404, &format!("API key with id '{id}' not found"));
    app.send(Method::GET, "/api/sessions", Some(secret), None)
        .await
        .assert_error(401, "Invalid API key");
}

#[actix_web::test]
async fn key_bodies_are_validated() {
    let app = spawn_app().await;
    let r = app.post("/api/auth/api-keys", json!({"name": "x", "role": "root", "allowedIps": ["nonsense"], "expiresAt": "tomorrow"})).await;
    r.assert_envelope(400);
    let m = r.messages();
    for expected in [
        "name must be longer than or equal to 3 characters",
        "role must be one of the following values: admin, operator, viewer",
        "expiresAt must be a valid ISO 8601 date string",
    ] {
        assert!(m.iter().any(|x| x == expected), "{expected:?} not in {m:?}");
    }
    assert!(
        m.iter().any(|x| x.starts_with("each value in allowedIps")),
        "{m:?}"
    );
    let r = app
        .post(
            "/api/auth/api-keys",
            json!({"name": "fine", "allowedSessions": ["not-a-uuid"]}),
        )
        .await;
    assert!(
        r.messages()
            .iter()
            .any(|x| x == "each value in allowedSessions must be a UUID"),
        "{r:?}"
    );
}

#[actix_web::test]
async fn the_last_active_admin_key_cannot_be_removed() {
    let app = spawn_app().await;
    let keys = app.get("/api/auth/api-keys").await.body;
    let seeded = keys[0]["id"].as_str().unwrap().to_string();
    let last = "Cannot remove the last active admin key";
    app.post(&format!("/api/auth/api-keys/{seeded}/revoke"), json!({}))
        .await
        .assert_error(409, last);
    app.delete(&format!("/api/auth/api-keys/{seeded}"))
        .await
        .assert_error(409, last);
    let demote = app
        .send(
            Method::PUT,
            &format!("/api/auth/api-keys/{seeded}"),
            Some(ADMIN_KEY),
            Some(json!({"role": "operator"})),
        )
        .await;
    demote.assert_error(409, last);
    let later = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let expire = app
        .send(
            Method::PUT,
            &format!("/api/auth/api-keys/{seeded}"),
            Some(ADMIN_KEY),
            Some(json!({"expiresAt": later})),
        )
        .await;
    expire.assert_error(409, last);

    // With a second admin, the first may go.
    let (_, second) = app
        .create_key(json!({"name": "second-admin", "role": "admin"}))
        .await;
    assert_eq!(
        app.post(&format!("/api/auth/api-keys/{seeded}/revoke"), json!({}))
            .await
            .status,
        200
    );
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/auth/api-keys/{seeded}"),
            Some(&second),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{r:?}");
}

#[actix_web::test]
async fn a_pepper_changes_how_keys_are_stored() {
    let app = spawn_app_with(&[("API_KEY_PEPPER", "s3cret-pepper")]).await;
    let (_, secret) = app.create_key(json!({"name": "peppered"})).await;
    assert_eq!(
        app.send(Method::GET, "/api/sessions", Some(&secret), None)
            .await
            .status,
        200
    );
    let db = app.stop().await;
    // The same database without the pepper no longer recognises the keys.
    let app = spawn_on(db, &[]).await;
    app.send(Method::GET, "/api/sessions", Some(&secret), None)
        .await
        .assert_error(401, "Invalid API key");
}

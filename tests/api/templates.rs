//! Message templates: CRUD per session (operator only, names unique per session), send-template
//! through the normal send path, and templates in a bulk send.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

async fn create(app: &TestApp, id: &str, body: Value) -> Resp {
    app.post(&format!("/api/sessions/{id}/templates"), body)
        .await
}

async fn put(app: &TestApp, path: &str, body: Value) -> Resp {
    app.send(Method::PUT, path, Some(&app.key), Some(body))
        .await
}

#[actix_web::test]
async fn templates_are_created_listed_changed_and_deleted_per_session() {
    let app = spawn_app().await;
    let id = app.create_session(&name("tpl")).await;
    let other = app.create_session(&name("tpl-other")).await;

    let r = create(
        &app,
        &id,
        json!({ "name": "welcome", "body": "Hi {{name}}", "header": "*Acme*" }),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let welcome = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(r.body["sessionId"], id.as_str());
    assert_eq!(r.body["header"], "*Acme*");
    assert_eq!(r.body["footer"], Value::Null);
    assert!(
        r.body["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{r:?}"
    );

    let r = create(
        &app,
        &id,
        json!({ "name": "reminder", "body": "Due {{date}}" }),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let reminder = r.body["id"].as_str().expect("id").to_string();

    // Names are unique within a session, not across sessions.
    create(&app, &id, json!({ "name": "welcome", "body": "again" }))
        .await
        .assert_error(
            409,
            "Template with name 'welcome' already exists in this session",
        );
    let r = create(
        &app,
        &other,
        json!({ "name": "welcome", "body": "elsewhere" }),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");

    let r = app.get(&format!("/api/sessions/{id}/templates")).await;
    assert_eq!(r.status, 200, "{r:?}");
    let names: Vec<&str> = r
        .body
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["reminder", "welcome"],
        "newest first, this session's only"
    );

    let path = format!("/api/sessions/{id}/templates/{welcome}");
    let r = app.get(&path).await;
    assert_eq!(
        (r.status.as_u16(), r.body["body"].clone()),
        (200, json!("Hi {{name}}"))
    );
    // Another session's template is not found through this one.
    app.get(&format!("/api/sessions/{other}/templates/{welcome}"))
        .await
        .assert_error(404, &format!("Template with id '{welcome}' not found"));

    let r = put(
        &app,
        &path,
        json!({ "body": "Hello {{name}}", "header": "", "footer": "Bye" }),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["body"], "Hello {{name}}");
    assert_eq!(r.body["header"], Value::Null, "\"\" clears the header");
    assert_eq!(r.body["footer"], "Bye");
    assert_eq!(r.body["name"], "welcome", "left out, so unchanged");
    put(&app, &path, json!({ "name": "reminder" }))
        .await
        .assert_error(
            409,
            "Template with name 'reminder' already exists in this session",
        );
    put(&app, &path, json!({ "body": null }))
        .await
        .assert_error(400, "body must be a string");

    let r = app
        .delete(&format!("/api/sessions/{id}/templates/{reminder}"))
        .await;
    assert_eq!(r.status, 204, "{r:?}");
    app.delete(&format!("/api/sessions/{id}/templates/{reminder}"))
        .await
        .assert_error(404, &format!("Template with id '{reminder}' not found"));

    // Deleting the session takes its templates along.
    let r = app.delete(&format!("/api/sessions/{other}")).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(app.db.count("SELECT COUNT(*) AS n FROM templates"), 1);
}

#[actix_web::test]
async fn template_bodies_ids_roles_and_sessions_are_checked() {
    let app = spawn_app().await;
    let id = app.create_session(&name("tpl-check")).await;
    let base = format!("/api/sessions/{id}/templates");
    create(&app, &id, json!({ "body": "x" }))
        .await
        .assert_error(400, "name should not be empty");
    create(&app, &id, json!({ "name": "a", "body": "   " }))
        .await
        .assert_error(400, "body should not be empty");
    create(&app, &id, json!({ "name": "a", "body": "x".repeat(4097) }))
        .await
        .assert_error(400, "body must be shorter than or equal to 4096 characters");
    create(&app, &id, json!({ "name": "a".repeat(101), "body": "x" }))
        .await
        .assert_error(400, "name must be shorter than or equal to 100 characters");
    create(&app, &id, json!({ "name": "a", "body": "x", "header": 5 }))
        .await
        .assert_error(400, "header must be a string");
    create(
        &app,
        &id,
        json!({ "name": "a", "body": "x", "color": "red" }),
    )
    .await
    .assert_error(400, "property color should not exist");
    app.get(&format!("{base}/not-a-uuid"))
        .await
        .assert_error(400, "Validation failed (uuid is expected)");
    let ghost = uuid::Uuid::new_v4();
    app.get(&format!("/api/sessions/{ghost}/templates"))
        .await
        .assert_error(404, &format!("Session with id '{ghost}' not found"));
    create(
        &app,
        &ghost.to_string(),
        json!({ "name": "a", "body": "x" }),
    )
    .await
    .assert_envelope(404);

    // Every template route is for operators, reads included (as OpenWA).
    let r = create(&app, &id, json!({ "name": "a", "body": "x" })).await;
    let tid = r.body["id"].as_str().expect("id").to_string();
    let (_, viewer) = app
        .create_key(json!({ "name": "viewer-key", "role": "viewer" }))
        .await;
    for (method, path, body) in [
        (Method::GET, base.clone(), None),
        (
            Method::POST,
            base.clone(),
            Some(json!({ "name": "b", "body": "y" })),
        ),
        (Method::GET, format!("{base}/{tid}"), None),
        (
            Method::PUT,
            format!("{base}/{tid}"),
            Some(json!({ "body": "z" })),
        ),
        (Method::DELETE, format!("{base}/{tid}"), None),
        (
            Method::POST,
            format!("/api/sessions/{id}/messages/send-template"),
            Some(json!({ "chatId": "628123450001@c.us", "templateId": tid })),
        ),
    ] {
        let r = app.send(method.clone(), &path, Some(&viewer), body).await;
        r.assert_envelope(403);
        assert_eq!(r.status, 403, "{method} {path}: {r:?}");
    }
    assert_eq!(
        app.get(&format!("{base}/{tid}")).await.body["body"],
        "x",
        "untouched"
    );
}

#[actix_web::test]
async fn send_template_renders_and_sends_through_the_normal_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[("SANDBOX_SENT_LOG", log.to_str().expect("path"))]).await;
    let id = app.create_session(&name("tpl-send")).await;
    let send = format!("/api/sessions/{id}/messages/send-template");
    let r = create(
        &app,
        &id,
        json!({ "name": "order", "header": "*Acme*", "body": "Hi {{name}}, order {{ order }} ships today", "footer": "Reply STOP to opt out" }),
    )
    .await;
    let tid = r.body["id"].as_str().expect("id").to_string();
    let chat = "628123450001@c.us";

    // Not started, then not linked: the send path's own answers.
    app.post(
        &send,
        json!({ "chatId": chat, "templateId": tid, "vars": { "name": "Ann", "order": "7" } }),
    )
    .await
    .assert_envelope(400);
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    app.wait_status(&id, "qr_ready").await;
    app.post(
        &send,
        json!({ "chatId": chat, "templateId": tid, "vars": { "name": "Ann", "order": "7" } }),
    )
    .await
    .assert_error(400, &format!("Session '{id}' is not ready"));
    app.post(
        &format!("/api/sandbox/sessions/{id}/scan"),
        json!({ "phone": "628111000601" }),
    )
    .await;
    app.wait_status(&id, "ready").await;

    let r = app
        .post(
            &send,
            json!({ "chatId": chat, "templateId": tid, "vars": { "name": "Ann", "order": "7" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert!(
        r.body["messageId"]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!("true_{chat}_"))),
        "{r:?}"
    );
    let expected = "*Acme*\n\nHi Ann, order 7 ships today\n\nReply STOP to opt out";
    let history = app.messages(&id, &format!("?chatId={chat}")).await;
    assert_eq!(bodies(&history), [expected]);
    assert_eq!(history["messages"][0]["type"], "text");
    let sent = std::fs::read_to_string(&log).expect("sent log");
    assert!(sent.contains("Hi Ann, order 7 ships today"), "{sent}");

    // By name, with an Idempotency-Key: a retry answers the first send and sends nothing more.
    let by_name =
        json!({ "chatId": chat, "templateName": "order", "vars": { "name": "Bo", "order": "8" } });
    let first = app
        .exec(
            app.req(Method::POST, &send)
                .header("X-API-Key", &app.key)
                .header("Idempotency-Key", "tpl-1")
                .json(&by_name),
        )
        .await;
    assert_eq!(first.status, 201, "{first:?}");
    let again = app
        .exec(
            app.req(Method::POST, &send)
                .header("X-API-Key", &app.key)
                .header("Idempotency-Key", "tpl-1")
                .json(&by_name),
        )
        .await;
    assert_eq!(again.body["messageId"], first.body["messageId"]);
    assert_eq!(
        app.messages(&id, &format!("?chatId={chat}")).await["total"],
        2
    );

    // What to change, in words.
    app.post(
        &send,
        json!({ "chatId": chat, "templateId": tid, "vars": { "name": "Ann" } }),
    )
    .await
    .assert_error(
        400,
        "vars has no value for {{order}} used in template 'order'",
    );
    app.post(&send, json!({ "chatId": chat, "templateName": "nope" }))
        .await
        .assert_error(404, "Template with name 'nope' not found");
    app.post(&send, json!({ "chatId": chat }))
        .await
        .assert_error(
            400,
            "templateId or templateName should not be empty (which template to send)",
        );
    app.post(
        &send,
        json!({ "chatId": chat, "templateId": tid, "templateName": "order" }),
    )
    .await
    .assert_error(400, "give templateId or templateName, not both");
    app.post(
        &send,
        json!({ "chatId": chat, "templateId": tid, "vars": { "name": 5 } }),
    )
    .await
    .assert_error(400, "vars.name must be a string");
    app.post(&send, json!({ "chatId": "bob", "templateId": tid }))
        .await
        .assert_envelope(400);
    assert_eq!(
        app.messages(&id, &format!("?chatId={chat}")).await["total"],
        2,
        "nothing more sent"
    );
}

#[actix_web::test]
async fn a_bulk_send_takes_templates_by_id_and_name() {
    let app = spawn_app_with(&[("BULK_MIN_DELAY_MS", "0")]).await;
    let id = app.ready_session(&name("tpl-bulk"), "628111000602").await;
    let r = create(
        &app,
        &id,
        json!({ "name": "promo", "body": "Hi {{name}}, {{pct}}% off", "footer": "Acme" }),
    )
    .await;
    let tid = r.body["id"].as_str().expect("id").to_string();
    let bulk = format!("/api/sessions/{id}/messages/send-bulk");
    let r = app
        .post(
            &bulk,
            json!({
                "messages": [
                    { "chatId": "628123450011@c.us", "type": "template", "content": { "templateId": tid }, "variables": { "name": "Ann", "pct": 10 } },
                    { "chatId": "628123450012@c.us", "type": "template", "content": { "templateName": "promo" }, "variables": { "name": "Bob", "pct": "20" } },
                ],
                "options": { "delayBetweenMessages": 0 },
            }),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    let url = r.body["statusUrl"].as_str().expect("statusUrl").to_string();
    wait_for("the batch to complete", || async {
        (app.get(&url).await.body["status"] == "completed").then_some(())
    })
    .await;
    let mut sent = bodies(&app.messages(&id, "?direction=outgoing").await);
    sent.sort();
    assert_eq!(sent, ["Hi Ann, 10% off\n\nAcme", "Hi Bob, 20% off\n\nAcme"]);

    app.post(
        &bulk,
        json!({ "messages": [
            { "chatId": "628123450011@c.us", "type": "text", "content": { "text": "fine" } },
            { "chatId": "628123450011@c.us", "type": "template", "content": { "templateName": "gone" } },
        ] }),
    )
    .await
    .assert_error(404, "messages.1.content: Template with name 'gone' not found");
    // Two missing templates are still a missing resource, and the answer names both.
    app.post(
        &bulk,
        json!({ "messages": [
            { "chatId": "628123450011@c.us", "type": "template", "content": { "templateName": "gone" } },
            { "chatId": "628123450011@c.us", "type": "template", "content": { "templateName": "lost" } },
        ] }),
    )
    .await
    .assert_error(
        404,
        "messages.0.content: Template with name 'gone' not found; messages.1.content: Template with name 'lost' not found",
    );
    let r = app
        .post(
            &bulk,
            json!({ "messages": [
                { "chatId": "628123450011@c.us", "type": "template", "content": { "templateId": tid }, "variables": { "name": "Ann" } },
            ] }),
        )
        .await;
    r.assert_envelope(400);
    assert!(
        r.messages()
            .iter()
            .any(|m| m.contains("no value for {{pct}}")),
        "{r:?}"
    );
    app.post(&bulk, json!({ "messages": [{ "chatId": "628123450011@c.us", "type": "template", "content": {} }] }))
        .await
        .assert_envelope(400);
}

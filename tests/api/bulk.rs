//! Bulk sends (API.md §5): 202 with a stored batch, variables, pacing, progress, cancel,
//! stopOnError and the refusals. (kill -9 mid-batch is in `process.rs`.)

use serde_json::{json, Value};

use crate::files::{FileServer, Route};
use crate::helpers::*;

fn sent_log(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn bodies_sent(path: &std::path::Path) -> Vec<String> {
    sent_log(path)
        .iter()
        .filter_map(|e| e["body"].as_str().map(str::to_string))
        .collect()
}

async fn batch(app: &TestApp, status_url: &str) -> Value {
    let r = app.get(status_url).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

async fn wait_batch(app: &TestApp, status_url: &str, status: &str) -> Value {
    wait_for(&format!("the batch to be {status}"), || async {
        let b = batch(app, status_url).await;
        (b["status"] == status).then_some(b)
    })
    .await
}

fn text(chat: &str, text: &str, vars: Value) -> Value {
    json!({ "chatId": chat, "type": "text", "content": { "text": text }, "variables": vars })
}

#[actix_web::test]
async fn a_batch_sends_each_message_with_its_variables_paced_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[
        ("SANDBOX_SENT_LOG", log.to_str().expect("path")),
        ("BULK_MIN_DELAY_MS", "0"),
    ])
    .await;
    let id = app.ready_session("bulk", "628111000501").await;
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/send-bulk"),
            json!({
                "messages": [
                    text("628123450001@c.us", "Hi {{name}}, order #{{order}} ships today", json!({"name": "Ann", "order": 1042})),
                    text("628123450002@c.us", "Hi {{ name }}!", json!({"name": "Bob"})),
                    { "chatId": "628123450003@c.us", "type": "text", "content": { "text": "No variables here" } },
                ],
                "options": { "delayBetweenMessages": 300, "randomizeDelay": false },
            }),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    let batch_id = r.body["batchId"].as_str().expect("batchId").to_string();
    assert!(batch_id.starts_with("batch_"), "{batch_id}");
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["totalMessages"], 3);
    let status_url = format!("/api/sessions/{id}/messages/batch/{batch_id}");
    assert_eq!(r.body["statusUrl"], status_url);
    assert!(r.body["estimatedCompletionTime"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));

    let done = wait_batch(&app, &status_url, "completed").await;
    assert_eq!(
        done["progress"],
        json!({ "total": 3, "sent": 3, "failed": 0, "pending": 0, "cancelled": 0 })
    );
    assert!(
        done["startedAt"].is_string() && done["completedAt"].is_string(),
        "{done}"
    );
    assert_eq!(
        bodies_sent(&log),
        [
            "Hi Ann, order #1042 ships today",
            "Hi Bob!",
            "No variables here"
        ]
    );
    // Each result names its message; they went out at least the delay apart.
    let results = done["results"].as_array().expect("results");
    let times: Vec<chrono::DateTime<chrono::Utc>> = results
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "sent", "{r}");
            assert!(
                r["messageId"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("true_")),
                "{r}"
            );
            r["sentAt"]
                .as_str()
                .expect("sentAt")
                .parse()
                .expect("ISO time")
        })
        .collect();
    for pair in times.windows(2) {
        let gap = (pair[1] - pair[0]).num_milliseconds();
        assert!(gap >= 290, "sends {gap} ms apart, the delay is 300 ms");
    }
    // The messages are in the history like any other send.
    let h = app.messages(&id, "?direction=outgoing").await;
    assert_eq!(h["total"], 3);
    assert_eq!(h["messages"][0]["waMessageId"], results[2]["messageId"]);
}

#[actix_web::test]
async fn cancel_stops_what_is_left_and_stop_on_error_fails_the_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let files = FileServer::start().await;
    files.route("/missing.jpg", Route::Status(404));
    let app = spawn_app_with(&[
        ("SANDBOX_SENT_LOG", log.to_str().expect("path")),
        ("BULK_MIN_DELAY_MS", "0"),
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
    ])
    .await;
    let id = app.ready_session("bulk-cancel", "628111000502").await;
    let send_bulk = |body: Value| {
        let path = format!("/api/sessions/{id}/messages/send-bulk");
        let app = &app;
        async move {
            let r = app.post(&path, body).await;
            assert_eq!(r.status, 202, "{r:?}");
            r.body["statusUrl"].as_str().expect("statusUrl").to_string()
        }
    };
    let slow: Vec<Value> = (0..5)
        .map(|i| text("628123450010@c.us", &format!("slow {i}"), json!({})))
        .collect();
    let first = send_bulk(json!({ "batchId": "batch_slow1", "messages": slow,
        "options": { "delayBetweenMessages": 60000, "randomizeDelay": false } }))
    .await;
    wait_for("the first message", || async {
        (batch(&app, &first).await["progress"]["sent"] == 1).then_some(())
    })
    .await;
    let r = app.post(&format!("{first}/cancel"), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["progress"]["sent"], 1);
    assert_eq!(r.body["progress"]["cancelled"], 4);
    app.post(&format!("{first}/cancel"), json!({}))
        .await
        .assert_error(400, "Batch 'batch_slow1' is already cancelled");

    // stopOnError: the failed download ends the batch; without it, the rest still goes.
    let image = json!({ "chatId": "628123450011@c.us", "type": "image",
        "content": { "image": { "url": files.url("/missing.jpg") }, "caption": "menu" } });
    let stopped = send_bulk(json!({
        "messages": [text("628123450011@c.us", "before", json!({})), image, text("628123450011@c.us", "after", json!({}))],
        "options": { "delayBetweenMessages": 0, "stopOnError": true } }))
    .await;
    let b = wait_batch(&app, &stopped, "failed").await;
    assert_eq!(b["progress"]["sent"], 1, "{b}");
    assert_eq!(b["progress"]["failed"], 1, "{b}");
    assert_eq!(b["progress"]["cancelled"], 1, "{b}");
    assert_eq!(b["results"][1]["error"]["code"], "MEDIA_ERROR");
    assert!(
        b["results"][1]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("HTTP 404")),
        "{b}"
    );
    let kept_on = send_bulk(json!({
        "messages": [text("628123450012@c.us", "one", json!({})), image, text("628123450012@c.us", "three", json!({}))],
        "options": { "delayBetweenMessages": 0 } }))
    .await;
    let b = wait_batch(&app, &kept_on, "completed").await;
    assert_eq!(b["progress"]["sent"], 2, "{b}");
    assert_eq!(b["progress"]["failed"], 1, "{b}");
    // Batches of a session run one after another, so the cancelled one sent nothing more.
    assert_eq!(bodies_sent(&log), ["slow 0", "before", "one", "three"]);
}

#[actix_web::test]
async fn bulk_bodies_and_batch_ids_are_validated() {
    let app = spawn_app().await;
    let id = app.ready_session("bulk-bad", "628111000503").await;
    let path = format!("/api/sessions/{id}/messages/send-bulk");
    let hi = text("628123450020@c.us", "hi", json!({}));
    let many: Vec<Value> = (0..101).map(|_| hi.clone()).collect();
    for (body, expected) in [
        (json!({ "messages": [] }), "messages must contain at least 1 elements"),
        (json!({ "messages": many }), "messages must contain no more than 100 elements"),
        (json!({}), "messages should not be empty"),
        (json!({ "messages": [hi, 7] }), "messages.1 must be an object"),
        (
            json!({ "messages": [{ "chatId": "628123450020@c.us", "type": "text", "content": {} }] }),
            "messages.0.content.text should not be empty",
        ),
        (
            json!({ "messages": [{ "chatId": "628123450020@c.us", "type": "sticker", "content": { "text": "x" } }] }),
            "messages.0.type must be one of the following values: text, image, video, audio, document",
        ),
        (
            json!({ "messages": [{ "chatId": "nobody", "type": "text", "content": { "text": "x" } }] }),
            "messages.0.chatId must be a WhatsApp chat id",
        ),
        (
            json!({ "messages": [{ "chatId": "628123450020@c.us", "type": "image", "content": { "caption": "x" } }] }),
            "messages.0.content.image should not be empty for a message of type image",
        ),
        (
            json!({ "messages": [{ "chatId": "628123450020@c.us", "type": "image", "content": { "image": {} } }] }),
            "either messages.0.content.image.url or messages.0.content.image.base64 must be given",
        ),
        (
            json!({ "messages": [text("628123450020@c.us", "Hi {{name}}", json!({"nom": "x"}))] }),
            "messages.0.variables has no value for {{name}} used in content.text",
        ),
        (
            json!({ "messages": [{ "chatId": "628123450020@c.us", "type": "text", "content": { "text": "x" }, "extra": 1 }] }),
            "property messages.0.extra should not exist",
        ),
        (
            json!({ "messages": [hi], "options": { "delayBetweenMessages": 500 } }),
            "options.delayBetweenMessages must not be less than 1000",
        ),
        (
            json!({ "messages": [hi], "options": { "delayBetweenMessages": 70000 } }),
            "options.delayBetweenMessages must not be greater than 60000",
        ),
        (
            json!({ "messages": [hi], "batchId": "no spaces" }),
            "batchId must contain only letters, digits, _ and -",
        ),
    ] {
        let r = app.post(&path, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert!(
            r.messages().iter().any(|m| m.starts_with(expected)),
            "{body}: expected {expected:?} in {:?}",
            r.messages()
        );
    }
    let body = json!({ "batchId": "batch_mine", "messages": [hi] });
    assert_eq!(app.post(&path, body.clone()).await.status, 202);
    app.post(&path, body)
        .await
        .assert_error(409, "Batch 'batch_mine' already exists");
    app.get(&format!("/api/sessions/{id}/messages/batch/batch_nope"))
        .await
        .assert_error(404, "Batch with id 'batch_nope' not found");
    app.get(&format!("/api/sessions/{id}/messages/batch/bad.id"))
        .await
        .assert_error(
            400,
            "Validation failed (batchId must contain only letters, digits, _ and -)",
        );
    // A batch belongs to its session.
    let other = app.ready_session("bulk-other", "628111000504").await;
    app.get(&format!("/api/sessions/{other}/messages/batch/batch_mine"))
        .await
        .assert_error(404, "Batch with id 'batch_mine' not found");
    let idle = app.create_session("bulk-idle").await;
    app.post(
        &format!("/api/sessions/{idle}/messages/send-bulk"),
        json!({ "messages": [text("628123450020@c.us", "x", json!({}))] }),
    )
    .await
    .assert_error(400, &format!("Session '{idle}' is not ready"));
}

#[actix_web::test]
async fn a_message_interrupted_while_sending_is_sent_again_under_its_id_and_delivered_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let env = [
        ("SANDBOX_SENT_LOG", log.to_str().expect("path")),
        ("BULK_MIN_DELAY_MS", "0"),
    ];
    let app = spawn_app_with(&env).await;
    let id = app.ready_session("bulk-resume", "628111000505").await;
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/send-bulk"),
            json!({ "batchId": "batch_resume", "messages": [text("628123450030@c.us", "only once", json!({}))],
                    "options": { "delayBetweenMessages": 0 } }),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    let status_url = r.body["statusUrl"].as_str().expect("statusUrl").to_string();
    let done = wait_batch(&app, &status_url, "completed").await;
    let db = app.stop().await;
    // What a kill -9 leaves when it lands after WhatsApp took the message and before the batch
    // recorded it: the message still "sending" under its chosen id, the batch still running.
    db.execute(
        "UPDATE batch_items SET status = 'sending', message_id = NULL, sent_at = NULL \
         WHERE batch_id = 'batch_resume'; \
         UPDATE batches SET status = 'processing', completed_at = NULL WHERE id = 'batch_resume'",
    );
    let app = spawn_on(db, &env).await;
    let again = wait_batch(&app, &status_url, "completed").await;
    assert_eq!(
        again["results"][0]["messageId"],
        done["results"][0]["messageId"]
    );
    assert_eq!(bodies_sent(&log), ["only once"]);
    assert_eq!(app.messages(&id, "").await["total"], 1);
}

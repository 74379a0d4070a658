//! Locations, contacts, replies, forwards, reactions, deletes and edits (API.md §5), and the
//! history's filters and cursor.

use serde_json::{json, Value};

use crate::helpers::*;

const ANN: &str = "628123450011@c.us";
const BOB: &str = "628123450022@c.us";

/// The sandbox's record of what reached the "phone".
fn sent_log(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

async fn incoming(app: &TestApp, id: &str, from: &str, text: &str) -> String {
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/incoming"),
            json!({ "from": from, "text": text }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["messageId"].as_str().expect("messageId").to_string()
}

/// The stored row of a message, by its `waMessageId`.
async fn row(app: &TestApp, id: &str, message_id: &str) -> Option<Value> {
    app.messages(id, "?limit=100").await["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["waMessageId"] == message_id)
        .cloned()
}

#[actix_web::test]
async fn locations_and_contacts_are_sent_and_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[("SANDBOX_SENT_LOG", log.to_str().expect("path"))]).await;
    let id = app.ready_session("places", "628111000401").await;
    let base = format!("/api/sessions/{id}/messages");

    let r = app
        .post(
            &format!("{base}/send-location"),
            json!({ "chatId": ANN, "latitude": -6.2088, "longitude": 106.8456,
                    "description": "Our shop", "address": "Jl. Sudirman 1" }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let loc = row(&app, &id, r.body["messageId"].as_str().unwrap())
        .await
        .expect("row");
    assert_eq!(loc["type"], "location");
    assert_eq!(loc["body"], "Our shop");
    assert_eq!(loc["metadata"]["location"]["latitude"], -6.2088);
    assert_eq!(loc["metadata"]["location"]["address"], "Jl. Sudirman 1");

    let r = app
        .post(
            &format!("{base}/send-contact"),
            json!({ "chatId": ANN, "contactName": "Support desk", "contactNumber": "+62 812-3456-7890" }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let card = row(&app, &id, r.body["messageId"].as_str().unwrap())
        .await
        .expect("row");
    assert_eq!(card["type"], "contact");
    assert_eq!(card["metadata"]["contact"]["number"], "6281234567890");
    let log = sent_log(&log);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1]["metadata"]["contact"]["name"], "Support desk");

    for (route, body, expected) in [
        (
            "send-location",
            json!({ "chatId": ANN, "latitude": 91, "longitude": 0 }),
            "latitude must not be greater than 90",
        ),
        (
            "send-location",
            json!({ "chatId": ANN, "latitude": 0, "longitude": -181 }),
            "longitude must not be less than -180",
        ),
        (
            "send-location",
            json!({ "chatId": ANN, "latitude": "north", "longitude": 0 }),
            "latitude must be a number conforming to the specified constraints",
        ),
        (
            "send-location",
            json!({ "chatId": ANN, "longitude": 0 }),
            "latitude should not be empty",
        ),
        (
            "send-contact",
            json!({ "chatId": ANN, "contactName": "X", "contactNumber": "call me" }),
            "contactNumber must be an international phone number",
        ),
        (
            "send-contact",
            json!({ "chatId": ANN, "contactNumber": "628123" }),
            "contactName should not be empty",
        ),
    ] {
        let r = app.post(&format!("{base}/{route}"), body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert!(
            r.messages().iter().any(|m| m.starts_with(expected)),
            "{body}: {:?}",
            r.messages()
        );
    }
}

#[actix_web::test]
async fn replies_and_forwards_point_at_stored_messages() {
    let app = spawn_app().await;
    let id = app.ready_session("threads", "628111000402").await;
    let base = format!("/api/sessions/{id}/messages");
    let question = incoming(&app, &id, ANN, "Are you open on Sunday?").await;

    let r = app
        .post(
            &format!("{base}/reply"),
            json!({ "chatId": ANN, "quotedMessageId": question, "text": "Yes, 9 to 5." }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let answer = row(&app, &id, r.body["messageId"].as_str().unwrap())
        .await
        .expect("row");
    assert_eq!(answer["body"], "Yes, 9 to 5.");
    assert_eq!(answer["metadata"]["quotedMessageId"], question);

    // The history row id works as well as the WhatsApp id.
    let question_row = row(&app, &id, &question).await.expect("row");
    let r = app
        .post(
            &format!("{base}/forward"),
            json!({ "fromChatId": ANN, "toChatId": BOB, "messageId": question_row["id"] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let fwd_id = r.body["messageId"].as_str().unwrap().to_string();
    assert!(fwd_id.starts_with(&format!("true_{BOB}_")), "{fwd_id}");
    let fwd = row(&app, &id, &fwd_id).await.expect("row");
    assert_eq!(fwd["body"], "Are you open on Sunday?");
    assert_eq!(fwd["chatId"], BOB);
    assert_eq!(fwd["metadata"]["forwarded"], true);

    // A message of another chat, an unknown one, and media that is not kept.
    app.post(
        &format!("{base}/reply"),
        json!({ "chatId": BOB, "quotedMessageId": question, "text": "x" }),
    )
    .await
    .assert_error(
        404,
        &format!("quotedMessageId '{question}' is a message of chat {ANN}, not of {BOB}"),
    );
    app.post(
        &format!("{base}/reply"),
        json!({ "chatId": ANN, "quotedMessageId": "false_628123450011@c.us_NOPE", "text": "x" }),
    )
    .await
    .assert_error(
        404,
        "Message with id 'false_628123450011@c.us_NOPE' not found",
    );
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/incoming"),
            json!({ "from": ANN, "type": "image" }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let photo = r.body["messageId"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("{base}/forward"),
            json!({ "fromChatId": ANN, "toChatId": BOB, "messageId": photo }),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.messages()[0].contains("its file is not stored here"),
        "{:?}",
        r.messages()
    );
}

#[actix_web::test]
async fn reactions_deletes_and_edits_follow_whatsapp_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[("SANDBOX_SENT_LOG", log.to_str().expect("path"))]).await;
    let id = app.ready_session("actions", "628111000403").await;
    let base = format!("/api/sessions/{id}/messages");
    let theirs = incoming(&app, &id, ANN, "Price list please").await;
    let mine = app.send_text(&id, ANN, "Sending it now").await.body["messageId"]
        .as_str()
        .expect("messageId")
        .to_string();

    // React, then take the reaction back.
    let ok = json!({ "success": true });
    let r = app
        .post(
            &format!("{base}/react"),
            json!({ "chatId": ANN, "messageId": theirs, "emoji": "👍" }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, ok);
    assert_eq!(
        row(&app, &id, &theirs).await.unwrap()["metadata"]["myReaction"],
        "👍"
    );
    let r = app
        .post(
            &format!("{base}/react"),
            json!({ "chatId": ANN, "messageId": theirs, "emoji": "" }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(row(&app, &id, &theirs).await.unwrap()["metadata"]["myReaction"].is_null());
    app.post(
        &format!("{base}/react"),
        json!({ "chatId": ANN, "messageId": theirs, "emoji": "ok" }),
    )
    .await
    .assert_error(
        400,
        "emoji must be a single emoji, or \"\" to remove the reaction",
    );

    // Edit our own text; not theirs.
    let r = app
        .post(
            &format!("{base}/edit"),
            json!({ "chatId": ANN, "messageId": mine, "text": "Sent" }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    // OpenWA's clients send `body` and read back the message's id and the edit's time.
    let r = app
        .post(
            &format!("{base}/edit"),
            json!({ "chatId": ANN, "messageId": mine, "body": "Sent!" }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["messageId"], mine.as_str(), "{r:?}");
    assert!(
        r.body["timestamp"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000),
        "{r:?}"
    );
    let edited = row(&app, &id, &mine).await.unwrap();
    assert_eq!(edited["body"], "Sent!");
    assert_eq!(edited["metadata"]["edited"], true);
    app.post(
        &format!("{base}/edit"),
        json!({ "chatId": ANN, "messageId": theirs, "text": "x" }),
    )
    .await
    .assert_error(
        400,
        &format!(
            "Message '{theirs}' was not sent by this session; only its own messages can be edited"
        ),
    );

    // Delete for everyone: only our own; for me: anything, gone from the history.
    app.post(
        &format!("{base}/delete"),
        json!({ "chatId": ANN, "messageId": theirs }),
    )
    .await
    .assert_envelope(400);
    let r = app
        .post(
            &format!("{base}/delete"),
            json!({ "chatId": ANN, "messageId": mine }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let revoked = row(&app, &id, &mine).await.unwrap();
    assert_eq!(revoked["type"], "revoked");
    assert!(revoked["body"].is_null());
    // Editing a deleted message is refused.
    app.post(
        &format!("{base}/edit"),
        json!({ "chatId": ANN, "messageId": mine, "text": "again" }),
    )
    .await
    .assert_error(
        400,
        &format!("Message '{mine}' is of type revoked; only text messages can be edited"),
    );
    let r = app
        .post(
            &format!("{base}/delete"),
            json!({ "chatId": ANN, "messageId": theirs, "forEveryone": false }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(row(&app, &id, &theirs).await.is_none());
    app.post(
        &format!("{base}/react"),
        json!({ "chatId": ANN, "messageId": theirs, "emoji": "👍" }),
    )
    .await
    .assert_error(404, &format!("Message with id '{theirs}' not found"));

    // The phone saw each action once, in order.
    let actions: Vec<String> = sent_log(&log)
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "send",
            "react",
            "react",
            "edit",
            "edit",
            "revoke",
            "deleteForMe"
        ]
    );
    for (route, body, expected) in [
        (
            "react",
            json!({ "chatId": ANN, "messageId": mine }),
            "emoji must be a string",
        ),
        (
            "delete",
            json!({ "chatId": ANN, "messageId": mine, "forEveryone": "yes" }),
            "forEveryone must be a boolean value",
        ),
        (
            "edit",
            json!({ "chatId": ANN, "messageId": mine }),
            "body should not be empty",
        ),
        (
            "edit",
            json!({ "chatId": ANN, "messageId": mine, "body": "a", "text": "b" }),
            "only one of body or text may be given",
        ),
        (
            "edit",
            json!({ "chatId": ANN, "text": "x" }),
            "messageId should not be empty",
        ),
    ] {
        let r = app.post(&format!("{base}/{route}"), body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert!(
            r.messages().iter().any(|m| m.starts_with(expected)),
            "{body}: {:?}",
            r.messages()
        );
    }
}

#[actix_web::test]
async fn history_filters_and_the_cursor_page_through_everything_once() {
    let app = spawn_app().await;
    let id = app.ready_session("history", "628111000404").await;
    for i in 0..7 {
        let r = app.send_text(&id, ANN, &format!("out {i}")).await;
        assert_eq!(r.status, 201, "{r:?}");
        incoming(
            &app,
            &id,
            if i % 2 == 0 { ANN } else { BOB },
            &format!("in {i}"),
        )
        .await;
    }
    let h = app.messages(&id, "?direction=incoming").await;
    assert_eq!(h["total"], 7);
    assert!(h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["direction"] == "incoming"));
    let h = app
        .messages(&id, &format!("?direction=incoming&chatId={BOB}"))
        .await;
    assert_eq!(h["total"], 3);
    assert_eq!(app.messages(&id, "?type=image").await["total"], 0);
    let now_ms = chrono::Utc::now().timestamp_millis();
    assert_eq!(
        app.messages(&id, &format!("?since={}", now_ms + 120_000))
            .await["total"],
        0
    );
    assert_eq!(
        app.messages(&id, &format!("?until={}", now_ms + 120_000))
            .await["total"],
        14
    );

    // Page with the cursor while new messages arrive: nothing is skipped or repeated.
    let mut seen = Vec::new();
    let mut query = "?limit=4".to_string();
    loop {
        let h = app.messages(&id, &query).await;
        for m in h["messages"].as_array().unwrap() {
            seen.push(m["body"].as_str().unwrap_or_default().to_string());
        }
        if seen.len() == 4 {
            // Arrives on top; the cursor keeps going down from where it was.
            incoming(&app, &id, ANN, "late").await;
        }
        match h["nextCursor"].as_str() {
            Some(next) => query = format!("?limit=4&after={next}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7)
        .flat_map(|i| [format!("out {i}"), format!("in {i}")])
        .rev()
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(app.messages(&id, "").await["total"], 15);

    // Totals follow revokes (the type changes) and deletes.
    let newest_out = app.messages(&id, "?direction=outgoing&limit=1").await["messages"][0]
        ["waMessageId"]
        .as_str()
        .expect("waMessageId")
        .to_string();
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/delete"),
            json!({ "chatId": ANN, "messageId": newest_out }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(app.messages(&id, "?type=revoked").await["total"], 1);
    assert_eq!(app.messages(&id, "?type=text").await["total"], 14);
    let newest_in = app.messages(&id, "?direction=incoming&limit=1").await["messages"][0]
        ["waMessageId"]
        .as_str()
        .expect("waMessageId")
        .to_string();
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/delete"),
            json!({ "chatId": ANN, "messageId": newest_in, "forEveryone": false }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(app.messages(&id, "").await["total"], 14);
    assert_eq!(app.messages(&id, "?direction=incoming").await["total"], 7);

    for (query, expected) in [
        (
            "?direction=sideways",
            "direction must be one of the following values: incoming, outgoing",
        ),
        ("?since=yesterday", "since must be an integer number"),
    ] {
        let r = app
            .get(&format!("/api/sessions/{id}/messages{query}"))
            .await;
        assert_eq!(r.status, 400, "{query}: {r:?}");
        assert!(
            r.messages().iter().any(|m| m == expected),
            "{query}: {:?}",
            r.messages()
        );
    }
    // A cursor naming no message of this session is a page that does not exist.
    app.get(&format!("/api/sessions/{id}/messages?after=nope"))
        .await
        .assert_error(
            404,
            "after must be the id of a message of this session; 'nope' is not",
        );
}

#[actix_web::test]
async fn buttons_and_media_conversion_say_plainly_they_are_not_offered_here() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("no-buttons"), "628111000777").await;
    let click = format!("/api/sessions/{id}/messages/click-button");
    let body = json!({ "chatId": "628123450011@c.us", "messageId": "true_628123450011@c.us_3EB0AA", "buttonId": "yes" });
    app.post(&click, body.clone()).await.assert_error(
        501,
        "Operation not supported by the active engine: clickButton",
    );
    for bad in [
        json!({ "chatId": "628123450011@c.us", "messageId": "x" }),
        json!({ "chatId": "nobody", "messageId": "x", "buttonId": "yes" }),
        json!({ "chatId": "628123450011@c.us", "messageId": "x", "buttonId": "yes", "extra": 1 }),
    ] {
        app.post(&click, bad).await.assert_envelope(400);
    }

    let convert = format!("/api/sessions/{id}/media/convert");
    let r = app.get(&convert).await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (200, json!({ "available": false }))
    );
    for kind in ["voice", "video"] {
        let r = app
            .post(&format!("{convert}/{kind}"), json!({ "base64": "AAAA" }))
            .await;
        r.assert_envelope(503);
        assert!(
            r.messages()[0].contains("convert the file on your side"),
            "{r:?}"
        );
        app.post(&format!("{convert}/{kind}"), json!({}))
            .await
            .assert_error(400, "url or base64 should not be empty");
        app.post(
            &format!("{convert}/{kind}"),
            json!({ "url": "https://a.example/x.mp3", "base64": "AAAA" }),
        )
        .await
        .assert_error(400, "give url or base64, not both");
    }
    let unknown = uuid::Uuid::new_v4();
    app.get(&format!("/api/sessions/{unknown}/media/convert"))
        .await
        .assert_envelope(404);
}

//! The rest of OpenWA's API on the sandbox: polls, reactions, star and pin, a chat's history,
//! the account's profile, calls, Business labels, channels, statuses and the catalog's 501.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::wsclient::Ws;

const ANN: &str = "628123450201@c.us";
const BOB: &str = "628123450202@c.us";

fn sent_log(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

async fn put(app: &TestApp, path: &str, body: Value) -> Resp {
    app.send(Method::PUT, path, Some(&app.key), Some(body))
        .await
}

#[actix_web::test]
async fn polls_are_sent_voted_on_by_both_sides_and_counted() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("polls"), "628111000901").await;
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["message.poll_vote", "message.sent"])
        .await;
    let base = format!("/api/sessions/{id}/messages");
    let r = app
        .post(
            &format!("{base}/send-poll"),
            json!({ "chatId": ANN, "name": "Lunch?", "options": ["Pizza", "Sushi", "Salad"], "allowMultipleAnswers": true }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let poll = r.body["messageId"].as_str().expect("messageId").to_string();
    let sent = ws.event("message.sent", &id).await;
    assert_eq!(sent["type"], "poll");
    assert_eq!(sent["poll"]["options"], json!(["Pizza", "Sushi", "Salad"]));
    let history = app.messages(&id, &format!("?chatId={ANN}")).await;
    assert_eq!(
        history["messages"][0]["metadata"]["poll"]["allowMultipleAnswers"],
        true
    );

    // Ann votes (the engine hands the vote over decrypted), then changes her mind.
    for options in [json!(["Pizza", "Sushi"]), json!(["Sushi"])] {
        let r = app
            .post(
                &format!("/api/sandbox/sessions/{id}/poll-vote"),
                json!({ "from": ANN, "pollId": poll, "options": options }),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        let vote = ws.event("message.poll_vote", &id).await;
        assert_eq!(
            (vote["pollId"].clone(), vote["voter"].clone()),
            (json!(poll), json!(ANN))
        );
        assert_eq!(vote["options"], options);
    }
    // This account votes too.
    let r = app
        .post(
            &format!("{base}/vote-poll"),
            json!({ "chatId": ANN, "pollMessageId": poll, "options": ["Sushi", "Salad"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app.get(&format!("{base}/{ANN}/{poll}/poll")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "Lunch?");
    assert_eq!(r.body["totalVoters"], 2);
    let votes: Vec<(String, u64)> = r.body["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap_or_default().to_string(),
                o["votes"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        votes,
        [
            ("Pizza".into(), 0),
            ("Sushi".into(), 2),
            ("Salad".into(), 1)
        ]
    );

    // What to change, in words.
    app.post(
        &format!("{base}/vote-poll"),
        json!({ "chatId": ANN, "pollMessageId": poll, "options": ["Tacos"] }),
    )
    .await
    .assert_error(
        400,
        "options: 'Tacos' is not an option of this poll; its options are: Pizza, Sushi, Salad",
    );
    app.post(
        &format!("{base}/send-poll"),
        json!({ "chatId": ANN, "name": "Q", "options": ["only"] }),
    )
    .await
    .assert_error(400, "options must contain at least 2 elements");
    app.post(
        &format!("{base}/send-poll"),
        json!({ "chatId": ANN, "name": "Q", "options": ["a", "a"] }),
    )
    .await
    .assert_error(
        400,
        "options must not repeat an option ('a' is given twice)",
    );
    let many: Vec<String> = (0..13).map(|i| format!("o{i}")).collect();
    app.post(
        &format!("{base}/send-poll"),
        json!({ "chatId": ANN, "name": "Q", "options": many }),
    )
    .await
    .assert_envelope(400);
    let text = app.send_text(&id, ANN, "not a poll").await;
    let text_id = text.body["messageId"].as_str().expect("id").to_string();
    app.post(
        &format!("{base}/vote-poll"),
        json!({ "chatId": ANN, "pollMessageId": text_id, "options": [] }),
    )
    .await
    .assert_error(
        400,
        &format!("Message '{text_id}' is of type text, not a poll"),
    );
}

#[actix_web::test]
async fn reactions_stars_pins_and_the_history_of_a_chat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[("SANDBOX_SENT_LOG", log.to_str().expect("path"))]).await;
    let id = app.ready_session(&name("marks"), "628111000902").await;
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["message.reaction"]).await;
    let base = format!("/api/sessions/{id}/messages");
    let mine = app.send_text(&id, ANN, "Order #12 is ready").await.body["messageId"]
        .as_str()
        .expect("id")
        .to_string();
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/incoming"),
            json!({ "from": ANN, "text": "Thanks!" }),
        )
        .await;
    let theirs = r.body["messageId"].as_str().expect("id").to_string();

    // Ann and Bob react; Ann changes hers; this account reacts too.
    for (from, emoji) in [(ANN, "👍"), (BOB, "👍"), (ANN, "❤️")] {
        let r = app
            .post(
                &format!("/api/sandbox/sessions/{id}/reaction"),
                json!({ "from": from, "messageId": mine, "emoji": emoji }),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        let event = ws.event("message.reaction", &id).await;
        assert_eq!(
            (
                event["messageId"].clone(),
                event["senderId"].clone(),
                event["reaction"].clone()
            ),
            (json!(mine), json!(from), json!(emoji))
        );
    }
    let r = app
        .post(
            &format!("{base}/react"),
            json!({ "chatId": ANN, "messageId": mine, "emoji": "👍" }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app.get(&format!("{base}/{ANN}/{mine}/reactions")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body[0]["emoji"], "👍", "most used first: {r:?}");
    let senders: Vec<&str> = r.body[0]["senders"]
        .as_array()
        .expect("senders")
        .iter()
        .filter_map(|s| s["senderId"].as_str())
        .collect();
    assert_eq!(senders, [BOB, "628111000902@c.us"]);
    assert_eq!(r.body[1]["emoji"], "❤️");
    // Taken back.
    app.post(
        &format!("/api/sandbox/sessions/{id}/reaction"),
        json!({ "from": BOB, "messageId": mine, "emoji": "" }),
    )
    .await;
    ws.event("message.reaction", &id).await;
    let r = app.get(&format!("{base}/{ANN}/{mine}/reactions")).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(2), "{r:?}");
    app.get(&format!("{base}/{BOB}/{mine}/reactions"))
        .await
        .assert_envelope(404);
    // An emoji that is not a string is refused, not taken for "taken back" (found by schemathesis).
    app.post(
        &format!("/api/sandbox/sessions/{id}/reaction"),
        json!({ "from": BOB, "messageId": mine, "emoji": {} }),
    )
    .await
    .assert_error(
        400,
        "emoji must be a string of at most 32 characters (\"\" takes the reaction back)",
    );

    // Star, pin and unpin reach the phone and the stored message.
    for (path, body) in [
        (
            "star",
            json!({ "chatId": ANN, "messageId": theirs, "star": true }),
        ),
        (
            "pin",
            json!({ "chatId": ANN, "messageId": mine, "durationSeconds": 604800 }),
        ),
        ("unpin", json!({ "chatId": ANN, "messageId": mine })),
    ] {
        let r = app.post(&format!("{base}/{path}"), body).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
    }
    let actions: Vec<String> = sent_log(&log)
        .iter()
        .filter_map(|e| e["action"].as_str().map(String::from))
        .collect();
    for expected in ["star", "pin", "unpin"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
    app.post(
        &format!("{base}/pin"),
        json!({ "chatId": ANN, "messageId": mine, "durationSeconds": 60 }),
    )
    .await
    .assert_error(
        400,
        "durationSeconds must be one of the following values: 86400, 604800, 2592000",
    );
    app.post(
        &format!("{base}/star"),
        json!({ "chatId": ANN, "messageId": mine }),
    )
    .await
    .assert_error(400, "star must be a boolean value");

    // The chat's history, oldest first, in OpenWA's live-history shape.
    let r = app.get(&format!("{base}/{ANN}/history?limit=10")).await;
    assert_eq!(r.status, 200, "{r:?}");
    let items = r.body.as_array().expect("array");
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0]["body"].clone(), items[0]["fromMe"].clone()),
        (json!("Order #12 is ready"), json!(true))
    );
    assert_eq!(items[0]["kind"], "individual");
    assert_eq!(items[0]["reactions"][ANN], "❤️");
    assert_eq!(
        (items[1]["id"].clone(), items[1]["starred"].clone()),
        (json!(theirs), json!(true))
    );
    let r = app.get(&format!("{base}/{ANN}/history?limit=1")).await;
    assert_eq!(r.body[0]["body"], "Thanks!", "the latest: {r:?}");
    app.get(&format!("{base}/not-a-chat/history"))
        .await
        .assert_envelope(400);
    app.get(&format!("{base}/{ANN}/history?deep=maybe"))
        .await
        .assert_envelope(400);
}

#[actix_web::test]
async fn the_profile_is_read_and_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[("SANDBOX_SENT_LOG", log.to_str().expect("path"))]).await;
    let id = app.ready_session(&name("profile"), "628111000903").await;
    let base = format!("/api/sessions/{id}/profile");
    let r = app.get(&base).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (r.body["id"].clone(), r.body["status"].clone()),
        (json!("628111000903@c.us"), Value::Null)
    );
    assert_eq!(
        put(
            &app,
            &format!("{base}/name"),
            json!({ "name": "Acme Support" })
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.session(&id).await["pushName"],
        "Acme Support",
        "the session shows the new name"
    );
    assert_eq!(
        put(
            &app,
            &format!("{base}/status"),
            json!({ "status": "Open 9-17" })
        )
        .await
        .status,
        200
    );
    let jpeg = [vec![0xFF, 0xD8, 0xFF, 0xE0], vec![0u8; 64]].concat();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&jpeg);
    let r = put(
        &app,
        &format!("{base}/picture"),
        json!({ "base64": b64, "mimetype": "image/jpeg" }),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app.get(&base).await;
    assert_eq!(r.body["status"], "Open 9-17");
    assert!(r.body["pictureUrl"].as_str().is_some(), "{r:?}");
    let r = app
        .send(
            Method::DELETE,
            &format!("{base}/picture"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(app.get(&base).await.body["pictureUrl"], Value::Null);
    let actions: Vec<String> = sent_log(&log)
        .iter()
        .filter_map(|e| e["action"].as_str().map(String::from))
        .collect();
    assert!(
        actions.contains(&"profileName".to_string())
            && actions.contains(&"profilePicture".to_string()),
        "{actions:?}"
    );

    put(
        &app,
        &format!("{base}/name"),
        json!({ "name": "x".repeat(26) }),
    )
    .await
    .assert_error(400, "name must be shorter than or equal to 25 characters");
    let png =
        base64::engine::general_purpose::STANDARD.encode([0x89, b'P', b'N', b'G', 0, 0, 0, 0]);
    put(
        &app,
        &format!("{base}/picture"),
        json!({ "base64": png, "mimetype": "image/jpeg" }),
    )
    .await
    .assert_error(
        400,
        "the picture must be a JPEG image (WhatsApp shows JPEG profile pictures)",
    );
    put(
        &app,
        &format!("{base}/picture"),
        json!({ "base64": png, "mimetype": "image/png" }),
    )
    .await
    .assert_error(
        400,
        "mimetype must be image/jpeg: WhatsApp shows JPEG profile pictures",
    );
    put(&app, &format!("{base}/status"), json!({}))
        .await
        .assert_envelope(400);
}

#[actix_web::test]
async fn calls_are_announced_and_declined_when_the_session_says_so() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("calls"), "628111000904").await;
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["call.received", "call.rejected", "call.missed"])
        .await;
    let ring = |video: bool| {
        let app = &app;
        let id = id.clone();
        async move {
            let r = app
                .post(
                    &format!("/api/sandbox/sessions/{id}/call"),
                    json!({ "from": ANN, "isVideo": video }),
                )
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            r.body["callId"].as_str().expect("callId").to_string()
        }
    };
    // Off by default: announced, then missed.
    let call = ring(false).await;
    let received = ws.event("call.received", &id).await;
    assert_eq!(
        (
            received["callId"].clone(),
            received["from"].clone(),
            received["isVideo"].clone()
        ),
        (json!(call), json!(ANN), json!(false))
    );
    app.post(
        &format!("/api/sandbox/sessions/{id}/call"),
        json!({ "from": ANN, "phase": "missed", "callId": call }),
    )
    .await;
    let missed = ws.event("call.missed", &id).await;
    assert_eq!(
        (missed["callId"].clone(), missed["outcome"].clone()),
        (json!(call), json!("missed"))
    );
    // Declined by hand.
    let call = ring(false).await;
    ws.event("call.received", &id).await;
    let r = app
        .post(
            &format!("/api/sessions/{id}/calls/{call}/reject"),
            json!({ "from": ANN }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(ws.event("call.rejected", &id).await["callId"], json!(call));

    // With autoRejectCalls, every call is declined as it rings.
    let r = app
        .send(
            Method::PATCH,
            &format!("/api/sessions/{id}/config"),
            Some(&app.key),
            Some(json!({ "autoRejectCalls": true })),
        )
        .await;
    assert_eq!(r.body["autoRejectCalls"], true, "{r:?}");
    let call = ring(true).await;
    assert_eq!(ws.event("call.received", &id).await["isVideo"], true);
    let rejected = ws.event("call.rejected", &id).await;
    assert_eq!(
        (rejected["callId"].clone(), rejected["outcome"].clone()),
        (json!(call), json!("rejected"))
    );
    app.send(
        Method::PATCH,
        &format!("/api/sessions/{id}/config"),
        Some(&app.key),
        Some(json!({ "autoRejectCalls": "yes" })),
    )
    .await
    .assert_error(400, "autoRejectCalls must be a boolean value");
    app.post(
        &format!("/api/sessions/{id}/calls/not-a-call!/reject"),
        json!({ "from": ANN }),
    )
    .await
    .assert_envelope(400);
    app.post(&format!("/api/sessions/{id}/calls/link"), json!({}))
        .await
        .assert_error(
            501,
            "Operation not supported by the active engine: createCallLink",
        );
}

#[actix_web::test]
async fn business_labels_are_kept_per_chat() {
    let app = spawn_app().await;
    // A personal account has no labels: OpenWA's 400.
    let personal = app.ready_session(&name("personal"), "628111000905").await;
    app.get(&format!("/api/sessions/{personal}/labels"))
        .await
        .assert_error(
            400,
            "Labels are only available for WhatsApp Business accounts",
        );

    let id = app.create_session(&name("business")).await;
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    app.wait_status(&id, "qr_ready").await;
    app.post(
        &format!("/api/sandbox/sessions/{id}/scan"),
        json!({ "phone": "628111000906", "business": true }),
    )
    .await;
    app.wait_status(&id, "ready").await;
    let base = format!("/api/sessions/{id}/labels");
    let r = app
        .post(&base, json!({ "name": "New customer", "color": 1 }))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        r.body,
        json!({ "id": "1", "name": "New customer", "hexColor": "#64C4FF", "color": 1 })
    );
    let r = put(&app, &format!("{base}/7"), json!({ "name": "Paid" })).await;
    assert_eq!(
        (r.body["id"].clone(), r.body["hexColor"].clone()),
        (json!("7"), json!("#FF9484"))
    );
    let r = put(
        &app,
        &format!("{base}/1"),
        json!({ "name": "Lead", "color": 2 }),
    )
    .await;
    assert_eq!(r.body["name"], "Lead");
    let r = app.get(&base).await;
    let names: Vec<&str> = r
        .body
        .as_array()
        .expect("labels")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(names, ["Lead", "Paid"]);

    let r = app
        .post(&format!("{base}/chat/{ANN}"), json!({ "labelId": "1" }))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    app.post(&format!("{base}/chat/{ANN}"), json!({ "labelId": "7" }))
        .await;
    app.post(&format!("{base}/chat/{BOB}"), json!({ "labelId": "7" }))
        .await;
    let r = app.get(&format!("{base}/chat/{ANN}")).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(2), "{r:?}");
    let r = app.get(&format!("{base}/7/chats")).await;
    let chats: Vec<&str> = r
        .body
        .as_array()
        .expect("chats")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(chats, [ANN, BOB]);
    let r = app
        .send(
            Method::DELETE,
            &format!("{base}/chat/{ANN}/7"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        app.get(&format!("{base}/chat/{ANN}")).await.body[0]["id"],
        "1"
    );
    let r = app.delete(&format!("{base}/7")).await;
    assert_eq!(r.status, 200, "{r:?}");
    app.get(&format!("{base}/7"))
        .await
        .assert_error(404, "Label 7 not found");
    assert_eq!(app.get(&format!("{base}/7/chats")).await.status, 404);
    app.post(&format!("{base}/chat/{ANN}"), json!({ "labelId": "99" }))
        .await
        .assert_error(404, "Label 99 not found");
    app.post(&format!("{base}/chat/{ANN}"), json!({ "labelId": "x" }))
        .await
        .assert_error(400, "labelId must be a label's id (digits)");
    app.post(&base, json!({ "name": "C", "color": 20 }))
        .await
        .assert_envelope(400);
    app.get(&format!("{base}/abc")).await.assert_envelope(400);
}

#[actix_web::test]
async fn channels_are_found_followed_read_muted_and_created() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("channels"), "628111000907").await;
    let base = format!("/api/sessions/{id}/channels");
    assert_eq!(app.get(&base).await.body, json!([]));
    // Found by invite code (or its link) before following it.
    let r = app.get(&format!("{base}/SandboxNewsCode1")).await;
    assert_eq!(r.status, 200, "{r:?}");
    let news = r.body["id"].as_str().expect("id").to_string();
    assert!(news.ends_with("@newsletter"), "{news}");
    let r = app
        .post(
            &format!("{base}/subscribe"),
            json!({ "inviteCode": "https://whatsapp.com/channel/SandboxNewsCode1" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["id"].clone()),
        (201, json!(news))
    );
    let r = app.get(&base).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{r:?}");
    let r = app.get(&format!("{base}/{news}/messages?limit=2")).await;
    let posts = r.body.as_array().expect("posts");
    assert_eq!(posts.len(), 2);
    assert!(
        posts[0]["timestamp"].as_i64() >= posts[1]["timestamp"].as_i64(),
        "newest first"
    );
    let r = app
        .post(&format!("{base}/{news}/mute"), json!({ "mute": true }))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(app.get(&format!("{base}/{news}")).await.body["muted"], true);
    let r = app.delete(&format!("{base}/{news}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    app.delete(&format!("{base}/{news}"))
        .await
        .assert_envelope(404);
    let r = app
        .post(
            &base,
            json!({ "name": "Acme updates", "description": "News from Acme" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["role"].clone()),
        (201, json!("owner"))
    );
    app.post(
        &format!("{base}/subscribe"),
        json!({ "inviteCode": "NoSuchCode" }),
    )
    .await
    .assert_envelope(404);
    app.get(&format!("{base}/not a code"))
        .await
        .assert_envelope(400);
    let own = r.body["id"].as_str().expect("id").to_string();
    app.post(&format!("{base}/{own}/delete"), json!({}))
        .await
        .assert_error(
            501,
            "Operation not supported by the active engine: deleteChannel",
        );
}

#[actix_web::test]
async fn statuses_are_seen_posted_to_contacts_and_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[("SANDBOX_SENT_LOG", log.to_str().expect("path"))]).await;
    let id = app.ready_session(&name("status"), "628111000908").await;
    let base = format!("/api/sessions/{id}/status");
    // Nobody to show it to yet.
    app.post(
        &format!("{base}/send-text"),
        json!({ "text": "Open today" }),
    )
    .await
    .assert_error(
        400,
        "recipients should not be empty: this account knows no contacts yet to show the status to",
    );
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/contacts"),
            json!({ "contacts": [{ "id": ANN, "name": "Ann" }, { "id": BOB, "name": "Bob" }] }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app
        .post(
            &format!("{base}/send-text"),
            json!({ "text": "Open today", "backgroundColor": "#25D366", "font": 2 }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["recipients"], 2);
    let status = r.body["statusId"].as_str().expect("statusId").to_string();
    assert!(r.body["expiresAt"].as_str().is_some());
    let posted = sent_log(&log)
        .into_iter()
        .find(|e| e["action"] == "postStatus")
        .expect("posted");
    assert_eq!(posted["recipients"], json!([ANN, BOB]));
    let r = app
        .post(
            &format!("{base}/send-text"),
            json!({ "text": "Just Ann", "recipients": [ANN] }),
        )
        .await;
    assert_eq!(r.body["recipients"], 1);

    // Ann posts one; it is listed with hers by contact.
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/incoming"),
            json!({ "from": ANN, "chatId": "status@broadcast", "text": "Holiday!" }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = app.get(&base).await;
    assert_eq!(
        r.body["statuses"].as_array().map(Vec::len),
        Some(3),
        "{r:?}"
    );
    let r = app.get(&format!("{base}/{ANN}")).await;
    let hers = &r.body["statuses"][0];
    assert_eq!(
        (
            hers["caption"].clone(),
            hers["contact"]["name"].clone(),
            hers["type"].clone()
        ),
        (json!("Holiday!"), json!("Ann"), json!("text"))
    );
    let mine = app.get(&format!("{base}/628111000908@c.us")).await;
    let colors: Vec<Value> = mine.body["statuses"]
        .as_array()
        .expect("mine")
        .iter()
        .map(|s| s["backgroundColor"].clone())
        .collect();
    assert!(colors.contains(&json!("#25D366")), "{mine:?}");

    let r = app.delete(&format!("{base}/{status}")).await;
    assert_eq!(r.body, json!({ "message": "Status deleted successfully" }));
    assert!(sent_log(&log)
        .iter()
        .any(|e| e["action"] == "revokeStatus" && e["recipients"] == json!([ANN, BOB])));
    app.delete(&format!("{base}/{status}"))
        .await
        .assert_envelope(404);
    app.post(
        &format!("{base}/send-text"),
        json!({ "text": "x", "backgroundColor": "green" }),
    )
    .await
    .assert_error(400, "backgroundColor must be a hex color (e.g., #25D366)");
    app.post(
        &format!("{base}/send-text"),
        json!({ "text": "x", "recipients": ["bob"] }),
    )
    .await
    .assert_envelope(400);
    app.post(
        &format!("{base}/send-image"),
        json!({ "caption": "no image" }),
    )
    .await
    .assert_envelope(400);
    app.delete(&format!("{base}/not-a-status"))
        .await
        .assert_envelope(400);
}

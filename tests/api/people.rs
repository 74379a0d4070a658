//! Contacts, groups, chats and presence on the sandbox engine, as an OpenWA client uses them:
//! the routes, their refusals (bad input, wrong role, session not ready), and the events they cause.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::receiver::Receiver;
use crate::wsclient::Ws;

const ANN: &str = "628123450011@c.us";
const BOB: &str = "628123450022@c.us";
const NOBODY: &str = "628123450099@c.us";

/// The sandbox's record of what reached the "phone".
fn sent_log(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

async fn sync_address_book(app: &TestApp, id: &str) {
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/contacts"),
            json!({ "contacts": [
                { "id": ANN, "name": "Ann Smith", "pushName": "Annie", "lid": "100000000000011@lid",
                  "profilePicUrl": "https://pps.whatsapp.net/ann.jpg" },
                { "id": "628123450022", "pushName": "Bob" },
                { "id": NOBODY, "name": "No WhatsApp", "onWhatsApp": false },
            ] }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["count"], 3, "{r:?}");
}

/// The next `event` of session `id` whose data `pick` accepts (skipping earlier ones).
async fn event_where(ws: &mut Ws, event: &str, id: &str, pick: impl Fn(&Value) -> bool) -> Value {
    loop {
        let data = ws.event(event, id).await;
        if pick(&data) {
            return data;
        }
    }
}

async fn put(app: &TestApp, path: &str, body: Value) -> Resp {
    app.send(Method::PUT, path, Some(&app.key), Some(body))
        .await
}

async fn delete_with(app: &TestApp, path: &str, body: Value) -> Resp {
    app.send(Method::DELETE, path, Some(&app.key), Some(body))
        .await
}

#[actix_web::test]
async fn the_address_book_is_stored_checked_and_blocked() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("book"), "628111000501").await;
    let base = format!("/api/sessions/{id}/contacts");
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["contact.update"]).await;

    sync_address_book(&app, &id).await;
    let update = ws.event("contact.update", &id).await;
    assert_eq!(update["id"], ANN, "{update}");
    assert_eq!(update["name"], "Ann Smith");
    assert_eq!(update["isMyContact"], true);

    let list = wait_for("the synced contacts", || async {
        let r = app.get(&base).await;
        (r.body.as_array().map(Vec::len) == Some(3)).then_some(r.body)
    })
    .await;
    let ann = &list[0];
    assert_eq!(ann["id"], ANN);
    assert_eq!(ann["number"], "628123450011");
    assert_eq!(ann["pushName"], "Annie");
    assert_eq!(ann["isBlocked"], false);
    let bob = &list[1];
    assert_eq!(bob["id"], BOB, "bare digits are read as @c.us");
    assert_eq!(
        bob["isMyContact"], false,
        "a push name alone is not a saved contact"
    );
    assert!(
        bob.get("name").is_none(),
        "unknown keys are left out: {bob}"
    );
    let page = app.get(&format!("{base}?limit=1&offset=1")).await;
    assert_eq!(page.body.as_array().map(Vec::len), Some(1));
    assert_eq!(page.body[0]["id"], BOB);

    let r = app.get(&format!("{base}/{ANN}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "Ann Smith");
    app.get(&format!("{base}/628123459999@c.us"))
        .await
        .assert_error(404, "Contact 628123459999@c.us not found");
    app.get(&format!("{base}/not-a-number"))
        .await
        .assert_envelope(400);

    let r = app.get(&format!("{base}/check/628123450011")).await;
    assert_eq!(
        r.body,
        json!({ "number": "628123450011", "exists": true, "whatsappId": ANN })
    );
    let r = app.get(&format!("{base}/check/628123450099")).await;
    assert_eq!(
        r.body,
        json!({ "number": "628123450099", "exists": false, "whatsappId": null })
    );
    app.get(&format!("{base}/check/12ab"))
        .await
        .assert_envelope(400);

    let r = app.get(&format!("{base}/{ANN}/profile-picture")).await;
    assert_eq!(r.body, json!({ "url": "https://pps.whatsapp.net/ann.jpg" }));
    let r = app.get(&format!("{base}/{BOB}/profile-picture")).await;
    assert_eq!(r.body, json!({ "url": null }));
    let r = app.get(&format!("{base}/100000000000011@lid/phone")).await;
    assert_eq!(
        r.body,
        json!({ "contactId": "100000000000011@lid", "phone": "628123450011" })
    );

    let r = app.post(&format!("{base}/{BOB}/block"), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({ "success": true, "message": "Contact blocked" })
    );
    event_where(&mut ws, "contact.update", &id, |u| {
        u["id"] == BOB && u["isBlocked"] == true
    })
    .await;
    assert_eq!(
        app.get(&format!("{base}/{BOB}")).await.body["isBlocked"],
        true
    );
    let r = app.delete(&format!("{base}/{BOB}/block")).await;
    assert_eq!(
        r.body,
        json!({ "success": true, "message": "Contact unblocked" })
    );
    assert_eq!(
        app.get(&format!("{base}/{BOB}")).await.body["isBlocked"],
        false
    );

    // A viewer reads the book but cannot block.
    let (_, viewer) = app
        .create_key(json!({ "name": "read-only", "role": "viewer" }))
        .await;
    let r = app.send(Method::GET, &base, Some(&viewer), None).await;
    assert_eq!(r.status, 200, "{r:?}");
    app.send(
        Method::POST,
        &format!("{base}/{ANN}/block"),
        Some(&viewer),
        None,
    )
    .await
    .assert_envelope(403);
}

#[actix_web::test]
async fn contacts_groups_and_chats_need_a_connected_session() {
    let app = spawn_app().await;
    let id = app.create_session(&name("idle")).await;
    for path in ["contacts", "groups", "chats", "contacts/check/628123450011"] {
        app.get(&format!("/api/sessions/{id}/{path}"))
            .await
            .assert_error(400, "Session is not started");
    }
    // Started but not linked yet.
    let r = app
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    app.wait_status(&id, "qr_ready").await;
    app.get(&format!("/api/sessions/{id}/groups"))
        .await
        .assert_error(
            409,
            "Session is not connected. The WhatsApp client is not ready.",
        );
    app.post(
        &format!("/api/sessions/{id}/chats/typing"),
        json!({ "chatId": ANN, "state": "typing" }),
    )
    .await
    .assert_envelope(409);
    let unknown = uuid::Uuid::new_v4();
    app.get(&format!("/api/sessions/{unknown}/contacts"))
        .await
        .assert_envelope(404);
}

#[actix_web::test]
async fn groups_are_created_managed_and_left() {
    let app = spawn_app().await;
    let own = "628111000502@c.us";
    let id = app.ready_session(&name("groups"), "628111000502").await;
    sync_address_book(&app, &id).await;
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["group.join", "group.leave", "group.update"])
        .await;
    let base = format!("/api/sessions/{id}/groups");

    let r = app
        .post(
            &base,
            json!({ "name": "Support", "participants": [ANN, NOBODY] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let gid = r.body["id"].as_str().expect("group id").to_string();
    assert!(gid.ends_with("@g.us"), "{gid}");
    assert_eq!(r.body["name"], "Support");
    assert_eq!(r.body["participantsCount"], 2, "as asked");
    let members: Vec<&str> = r.body["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(members, [own, ANN], "a number without WhatsApp is left out");
    let joined = ws.event("group.join", &id).await;
    assert_eq!(joined["groupId"], gid.as_str());
    assert_eq!(joined["actorId"], own);

    let list = app.get(&base).await;
    assert_eq!(list.status, 200, "{list:?}");
    assert_eq!(
        list.body,
        json!([{ "id": gid, "name": "Support", "participantsCount": 2, "isAdmin": true,
                 "linkedParentJID": null }])
    );

    let r = app
        .post(
            &format!("{base}/{gid}/participants"),
            json!({ "participants": ["628123450022", ANN, NOBODY] }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["success"], false, "not every participant was added");
    assert_eq!(r.body["message"], "Participants added");
    let statuses: Vec<(String, u64)> = r.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap_or_default().to_string(),
                o["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (BOB.to_string(), 200),
            (ANN.to_string(), 409),
            (NOBODY.to_string(), 404)
        ]
    );
    let joined = ws.event("group.join", &id).await;
    assert_eq!(joined["participantIds"], json!([BOB]));

    let r = app
        .post(
            &format!("{base}/{gid}/participants/promote"),
            json!({ "participants": [BOB] }),
        )
        .await;
    assert_eq!(r.body["success"], true, "{r:?}");
    let update = ws.event("group.update", &id).await;
    assert_eq!(update["changes"], json!({ "promote": [BOB] }));
    let r = app.get(&format!("{base}/{gid}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    let roles: Vec<(String, bool, bool)> = r.body["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or_default().to_string(),
                p["isAdmin"].as_bool().unwrap_or_default(),
                p["isSuperAdmin"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            (own.to_string(), true, true),
            (ANN.to_string(), false, false),
            (BOB.to_string(), true, false)
        ]
    );
    assert_eq!(r.body["owner"], own);

    let r = put(
        &app,
        &format!("{base}/{gid}/subject"),
        json!({ "subject": "Support team" }),
    )
    .await;
    assert_eq!(
        r.body,
        json!({ "success": true, "message": "Group subject updated" })
    );
    let update = ws.event("group.update", &id).await;
    assert_eq!(update["changes"], json!({ "subject": "Support team" }));
    let r = put(
        &app,
        &format!("{base}/{gid}/description"),
        json!({ "description": "Ask us" }),
    )
    .await;
    assert_eq!(r.body["message"], "Group description updated", "{r:?}");
    ws.event("group.update", &id).await;
    let r = app.get(&format!("{base}/{gid}")).await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["description"].as_str()),
        (Some("Support team"), Some("Ask us"))
    );
    // The list follows the change without asking WhatsApp again.
    assert_eq!(app.get(&base).await.body[0]["name"], "Support team");

    let first = app.get(&format!("{base}/{gid}/invite-code")).await;
    let code = first.body["inviteCode"].as_str().expect("code").to_string();
    assert_eq!(
        first.body["inviteLink"],
        format!("https://chat.whatsapp.com/{code}")
    );
    let revoked = app
        .post(&format!("{base}/{gid}/invite-code/revoke"), json!({}))
        .await;
    assert_eq!(revoked.status, 200, "{revoked:?}");
    assert_ne!(revoked.body["inviteCode"], code.as_str());
    assert_eq!(
        revoked.body["message"],
        "Invite code revoked and new one generated"
    );

    let r = delete_with(
        &app,
        &format!("{base}/{gid}/participants"),
        json!({ "participants": [ANN] }),
    )
    .await;
    assert_eq!(r.body["message"], "Participants removed", "{r:?}");
    let left = ws.event("group.leave", &id).await;
    assert_eq!(left["participantIds"], json!([ANN]));

    let r = app.post(&format!("{base}/{gid}/leave"), json!({})).await;
    assert_eq!(
        r.body,
        json!({ "success": true, "message": "Left the group" })
    );
    let left = ws.event("group.leave", &id).await;
    assert_eq!(left["participantIds"], json!([own]));
    assert_eq!(app.get(&base).await.body, json!([]));
    app.get(&format!("{base}/{gid}"))
        .await
        .assert_error(404, &format!("Group {gid} not found"));
}

#[actix_web::test]
async fn group_input_is_checked_and_admin_rights_are_enforced() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("gcheck"), "628111000503").await;
    let base = format!("/api/sessions/{id}/groups");
    let r = app.post(&base, json!({ "participants": [ANN] })).await;
    r.assert_envelope(400);
    assert!(r.messages().iter().any(|m| m.contains("name")), "{r:?}");
    app.post(&base, json!({ "name": "X", "participants": [] }))
        .await
        .assert_error(400, "participants should not be empty");
    let r = app
        .post(&base, json!({ "name": "X", "participants": ["+62 812"] }))
        .await;
    r.assert_envelope(400);
    app.post(
        &base,
        json!({ "name": "x".repeat(101), "participants": [ANN] }),
    )
    .await
    .assert_envelope(400);
    app.post(
        &base,
        json!({ "name": "X", "participants": [ANN], "color": "red" }),
    )
    .await
    .assert_error(400, "property color should not exist");
    app.get(&format!("{base}/{ANN}")).await.assert_envelope(400);
    app.get(&format!("{base}/120363000000000000@g.us"))
        .await
        .assert_error(404, "Group 120363000000000000@g.us not found");

    // A group someone else created: this account is a plain member.
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/groups"),
            json!({ "subject": "Theirs", "by": BOB, "participants": [ANN] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let gid = r.body["groupId"].as_str().expect("groupId").to_string();
    let listed = wait_for("the group joined", || async {
        let r = app.get(&base).await;
        r.body.as_array().filter(|a| !a.is_empty()).cloned()
    })
    .await;
    assert_eq!(listed[0]["isAdmin"], false);
    assert_eq!(listed[0]["participantsCount"], 3);
    let r = app
        .post(
            &format!("{base}/{gid}/participants"),
            json!({ "participants": [NOBODY] }),
        )
        .await;
    r.assert_error(400, &format!("This account is not an admin of group {gid}"));
    app.get(&format!("{base}/{gid}/invite-code"))
        .await
        .assert_envelope(400);

    // Its owner changes the subject: the cached list follows the notification.
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/group-event"),
            json!({ "groupId": gid, "action": "subject", "subject": "Renamed", "actor": BOB }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    wait_for("the renamed group", || async {
        (app.get(&base).await.body[0]["name"] == "Renamed").then_some(())
    })
    .await;

    // Operators change groups; viewers only read them.
    let (_, viewer) = app
        .create_key(json!({ "name": "read-only", "role": "viewer" }))
        .await;
    assert_eq!(
        app.send(Method::GET, &base, Some(&viewer), None)
            .await
            .status,
        200
    );
    app.send(
        Method::POST,
        &base,
        Some(&viewer),
        Some(json!({ "name": "X", "participants": [ANN] })),
    )
    .await
    .assert_envelope(403);
}

#[actix_web::test]
async fn the_chat_list_follows_messages_and_read_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[("SANDBOX_SENT_LOG", log.to_str().expect("path"))]).await;
    let id = app.ready_session(&name("chats"), "628111000504").await;
    sync_address_book(&app, &id).await;
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["chat.update"]).await;
    let incoming = |from: &str, text: &str, chat: Option<&str>| {
        let mut body = json!({ "from": from, "text": text });
        if let Some(chat) = chat {
            body["chatId"] = json!(chat);
        }
        let (app, path) = (&app, format!("/api/sandbox/sessions/{id}/incoming"));
        async move {
            let r = app.post(&path, body).await;
            assert_eq!(r.status, 201, "{r:?}");
            r.body["messageId"].as_str().expect("messageId").to_string()
        }
    };
    let first = incoming(ANN, "hello", None).await;
    incoming(ANN, "are you there?", None).await;
    let group = app
        .post(
            &format!("/api/sandbox/sessions/{id}/groups"),
            json!({ "subject": "Family", "by": BOB, "participants": [ANN] }),
        )
        .await
        .body["groupId"]
        .as_str()
        .expect("groupId")
        .to_string();
    let g = group.as_str();
    incoming(BOB, "dinner at 7", Some(g)).await;
    let r = app.send_text(&id, "628123450033@c.us", "hi Carl").await;
    assert_eq!(r.status, 201, "{r:?}");

    let chats = app.get(&format!("/api/sessions/{id}/chats")).await;
    assert_eq!(chats.status, 200, "{chats:?}");
    let ids: Vec<&str> = chats
        .body
        .as_array()
        .expect("chats")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["628123450033@c.us", g, ANN], "newest message first");
    let carl = &chats.body[0];
    assert_eq!(carl["unreadCount"], 0);
    assert_eq!(carl["lastMessage"], "hi Carl");
    assert_eq!(carl["lastMessageType"], "text");
    assert_eq!(carl["kind"], "individual");
    assert_eq!(
        carl["name"], "628123450033@c.us",
        "not in the address book: the id"
    );
    let family = &chats.body[1];
    assert_eq!(
        (family["isGroup"].as_bool(), family["name"].as_str()),
        (Some(true), Some("Family"))
    );
    assert_eq!(family["kind"], "group");
    assert_eq!(family["unreadCount"], 1);
    let ann = &chats.body[2];
    assert_eq!(ann["name"], "Ann Smith");
    assert_eq!(ann["unreadCount"], 2);
    assert_eq!(ann["lastMessage"], "are you there?");
    assert_eq!(
        (
            ann["archived"].as_bool(),
            ann["pinned"].as_bool(),
            ann["muted"].as_bool()
        ),
        (Some(false), Some(false), Some(false))
    );
    assert!(ann.get("muteExpiration").is_none(), "{ann}");

    let r = app
        .post(
            &format!("/api/sessions/{id}/chats/read"),
            json!({ "chatId": ANN }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (201, &json!({ "success": true }))
    );
    let update = ws.event("chat.update", &id).await;
    assert_eq!(
        (update["chatId"].as_str(), update["unreadCount"].as_i64()),
        (Some(ANN), Some(0))
    );
    assert_eq!(update["muted"], false);
    let receipts: Vec<Value> = sent_log(&log)
        .into_iter()
        .filter(|e| e["action"] == "read")
        .collect();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0]["waIds"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        receipts[0]["waIds"][0]
            .as_str()
            .map(|w| format!("false_{ANN}_{w}")),
        Some(first.clone()),
        "receipts name WhatsApp's own id: {receipts:?}"
    );
    // Nothing new: a second read sends no receipt again.
    app.post(
        &format!("/api/sessions/{id}/chats/read"),
        json!({ "chatId": ANN }),
    )
    .await;
    ws.event("chat.update", &id).await;
    let again: Vec<Value> = sent_log(&log)
        .into_iter()
        .filter(|e| e["action"] == "read")
        .collect();
    assert_eq!(again[1]["waIds"], json!([]));
    // Receipts for named messages only; `null` reads as leaving messageIds out.
    let wa_first = first.rsplit('_').next().expect("a WhatsApp id").to_string();
    let r = app
        .post(
            &format!("/api/sessions/{id}/chats/read"),
            json!({ "chatId": ANN, "messageIds": [wa_first.clone()] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = app
        .post(
            &format!("/api/sessions/{id}/chats/read"),
            json!({ "chatId": ANN, "messageIds": null }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let named: Vec<Value> = sent_log(&log)
        .into_iter()
        .filter(|e| e["action"] == "read")
        .collect();
    assert_eq!(named[2]["waIds"], json!([wa_first]));
    app.post(
        &format!("/api/sessions/{id}/chats/read"),
        json!({ "chatId": ANN, "messageIds": [] }),
    )
    .await
    .assert_error(400, "messageIds should not be empty");

    let chat = |body: Value| {
        body.as_array()
            .and_then(|a| a.iter().find(|c| c["id"] == ANN).cloned())
    };
    app.post(
        &format!("/api/sessions/{id}/chats/unread"),
        json!({ "chatId": ANN }),
    )
    .await;
    app.post(
        &format!("/api/sessions/{id}/chats/archive"),
        json!({ "chatId": ANN, "archive": true }),
    )
    .await;
    app.post(
        &format!("/api/sessions/{id}/chats/pin"),
        json!({ "chatId": ANN, "pin": true }),
    )
    .await;
    let until = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600)
        * 1000;
    let r = app
        .post(
            &format!("/api/sessions/{id}/chats/mute"),
            json!({ "chatId": ANN, "muteUntil": until }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let listed =
        chat(app.get(&format!("/api/sessions/{id}/chats")).await.body).expect("ann's chat");
    assert_eq!(listed["unreadCount"], -1, "marked unread: {listed}");
    assert_eq!(
        (
            listed["archived"].as_bool(),
            listed["pinned"].as_bool(),
            listed["muted"].as_bool()
        ),
        (Some(true), Some(true), Some(true))
    );
    assert_eq!(listed["muteExpiration"].as_u64(), Some(until), "{listed}");
    let r = app
        .post(
            &format!("/api/sessions/{id}/chats/mute"),
            json!({ "chatId": ANN, "muteUntil": null }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    app.post(
        &format!("/api/sessions/{id}/chats/archive"),
        json!({ "chatId": ANN, "archive": false }),
    )
    .await;
    let listed =
        chat(app.get(&format!("/api/sessions/{id}/chats")).await.body).expect("ann's chat");
    assert_eq!(
        (listed["archived"].as_bool(), listed["muted"].as_bool()),
        (Some(false), Some(false))
    );
    app.post(
        &format!("/api/sessions/{id}/chats/archive"),
        json!({ "chatId": ANN }),
    )
    .await
    .assert_error(400, "archive must be a boolean value");
    app.post(
        &format!("/api/sessions/{id}/chats/mute"),
        json!({ "chatId": ANN, "muteUntil": 0 }),
    )
    .await
    .assert_error(400, "muteUntil must not be less than 1");

    let r = app
        .post(
            &format!("/api/sessions/{id}/chats/delete"),
            json!({ "chatId": ANN }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert!(chat(app.get(&format!("/api/sessions/{id}/chats")).await.body).is_none());
    assert_eq!(
        app.messages(&id, &format!("?chatId={ANN}")).await["total"],
        2,
        "the history stays"
    );

    let r = app
        .post(
            &format!("/api/sessions/{id}/chats/typing"),
            json!({ "chatId": ANN, "state": "recording" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (201, &json!({ "success": true }))
    );
    assert!(sent_log(&log)
        .iter()
        .any(|e| e["action"] == "chatState" && e["state"] == "recording"));
    app.post(
        &format!("/api/sessions/{id}/chats/typing"),
        json!({ "chatId": ANN, "state": "dancing" }),
    )
    .await
    .assert_envelope(400);
    app.post(
        &format!("/api/sessions/{id}/chats/read"),
        json!({ "chatId": "ann" }),
    )
    .await
    .assert_envelope(400);
    app.post(&format!("/api/sessions/{id}/chats/read"), json!({}))
        .await
        .assert_error(400, "chatId should not be empty");
    let r = app.get(&format!("/api/sessions/{id}/chats?limit=1")).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn presence_is_shown_subscribed_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[("SANDBOX_SENT_LOG", log.to_str().expect("path"))]).await;
    let id = app.ready_session(&name("presence"), "628111000505").await;
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["presence.update"]).await;

    let r = put(
        &app,
        &format!("/api/sessions/{id}/presence"),
        json!({ "available": false }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!({ "success": true }))
    );
    put(
        &app,
        &format!("/api/sessions/{id}/presence"),
        json!({ "available": "yes" }),
    )
    .await
    .assert_envelope(400);
    let r = app
        .post(
            &format!("/api/sessions/{id}/presence/subscribe"),
            json!({ "chatId": ANN }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let log = sent_log(&log);
    assert!(
        log.iter()
            .any(|e| e["action"] == "presence" && e["available"] == false),
        "{log:?}"
    );
    assert!(log
        .iter()
        .any(|e| e["action"] == "subscribePresence" && e["chatId"] == ANN));

    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/presence"),
            json!({ "from": ANN, "state": "available", "lastSeen": 1700000000 }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let seen = ws.event("presence.update", &id).await;
    assert_eq!(
        seen,
        json!({ "sessionId": id, "chatId": ANN,
                "participants": [{ "id": ANN, "state": "available", "lastSeen": 1700000000 }] })
    );
    let typing = json!({ "from": ANN, "state": "composing" });
    app.post(
        &format!("/api/sandbox/sessions/{id}/presence"),
        typing.clone(),
    )
    .await;
    // The same state again is no news.
    app.post(&format!("/api/sandbox/sessions/{id}/presence"), typing)
        .await;
    app.post(
        &format!("/api/sandbox/sessions/{id}/presence"),
        json!({ "from": ANN, "state": "paused" }),
    )
    .await;
    assert_eq!(
        ws.event("presence.update", &id).await["participants"][0]["state"],
        "composing"
    );
    assert_eq!(
        ws.event("presence.update", &id).await["participants"][0]["state"],
        "paused"
    );
    let r = app.get(&format!("/api/sessions/{id}/presence/{ANN}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["chatId"], ANN);
    assert_eq!(
        r.body["participants"],
        json!([{ "id": ANN, "state": "paused" }])
    );
    assert!(
        r.body["observedAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{r:?}"
    );
    let r = app.get(&format!("/api/sessions/{id}/presence/{BOB}")).await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &Value::Null),
        "nothing reported: null, as OpenWA answers"
    );
}

#[actix_web::test]
async fn webhooks_take_openwa_group_events_and_receive_the_new_ones() {
    // The receiver listens on 127.0.0.1, which the SSRF guard refuses unless allowed by name.
    let app = spawn_app_with(&[("SSRF_ALLOWED_HOSTS", "127.0.0.1")]).await;
    let rx = Receiver::start().await;
    let id = app.ready_session(&name("hookgroups"), "628111000506").await;
    let r = app
        .post(
            &format!("/api/sessions/{id}/webhooks"),
            json!({ "url": rx.url("/g"), "events": ["group.join", "group.leave", "group.update", "contact.update"] }),
        )
        .await;
    assert_eq!(
        r.status, 201,
        "OpenWA's reserved group events are accepted: {r:?}"
    );
    let r = app
        .post(
            &format!("/api/sessions/{id}/groups"),
            json!({ "name": "Hooked", "participants": [ANN] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let gid = r.body["id"].as_str().expect("id").to_string();
    let hit = wait_for("group.join delivered", || async {
        rx.hits_of("group.join").into_iter().next()
    })
    .await;
    let body = hit.json();
    assert_eq!(body["event"], "group.join");
    assert_eq!(body["data"]["groupId"], gid.as_str());
    assert_eq!(
        body["data"]["participantIds"],
        json!(["628111000506@c.us", ANN])
    );
}

#[actix_web::test]
async fn group_settings_are_read_changed_checked_and_announced() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("settings"), "628111000509").await;
    sync_address_book(&app, &id).await;
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["group.update"]).await;
    let base = format!("/api/sessions/{id}/groups");
    let r = app
        .post(&base, json!({ "name": "Rules", "participants": [ANN] }))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let gid = r.body["id"].as_str().expect("group id").to_string();
    let settings = format!("{base}/{gid}/settings");

    let r = app.get(&settings).await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (
            200,
            &json!({ "announce": false, "locked": false, "memberAddMode": "all" })
        )
    );
    let r = put(
        &app,
        &settings,
        json!({ "announce": true, "ephemeralSeconds": 604800, "memberAddMode": "admins" }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (
            200,
            &json!({ "success": true, "message": "Group settings updated" })
        )
    );
    for changes in [
        json!({ "announce": true }),
        json!({ "ephemeralSeconds": 604800 }),
        json!({ "memberAddMode": "admins" }),
    ] {
        let update = ws.event("group.update", &id).await;
        assert_eq!(update["groupId"], gid.as_str());
        assert_eq!(update["changes"], changes);
    }
    let r = app.get(&settings).await;
    assert_eq!(
        r.body,
        json!({ "announce": true, "locked": false, "ephemeralSeconds": 604800,
                "memberAddMode": "admins" })
    );
    // Turning disappearing messages off drops the field.
    let r = put(
        &app,
        &settings,
        json!({ "ephemeralSeconds": 0, "locked": true }),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app.get(&settings).await;
    assert_eq!(
        r.body,
        json!({ "announce": true, "locked": true, "memberAddMode": "admins" })
    );

    put(&app, &settings, json!({})).await.assert_error(
        400,
        "At least one of announce, locked, ephemeralSeconds, memberAddMode must be provided",
    );
    put(&app, &settings, json!({ "announce": null }))
        .await
        .assert_error(400, "announce must not be null: leave it out to keep it");
    put(&app, &settings, json!({ "ephemeralSeconds": 3600 }))
        .await
        .assert_error(
            400,
            "ephemeralSeconds must be one of 0 (off), 86400 (24 hours), 604800 (7 days), 7776000 (90 days)",
        );
    put(&app, &settings, json!({ "memberAddMode": "everyone" }))
        .await
        .assert_error(
            400,
            "memberAddMode must be one of the following values: all, admins",
        );
    put(&app, &settings, json!({ "locked": "yes" }))
        .await
        .assert_error(400, "locked must be a boolean value");
    app.get(&format!("{base}/120363000000000000@g.us/settings"))
        .await
        .assert_envelope(404);
}

#[actix_web::test]
async fn clearing_a_chat_empties_its_history_at_whatsapp_and_here_and_keeps_it_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let app = spawn_app_with(&[("SANDBOX_SENT_LOG", log.to_str().expect("path"))]).await;
    let id = app.ready_session(&name("clear"), "628111000510").await;
    for text in ["one", "two"] {
        let r = app
            .post(
                &format!("/api/sandbox/sessions/{id}/incoming"),
                json!({ "from": ANN, "text": text }),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
    }
    let r = app.send_text(&id, BOB, "kept elsewhere").await;
    assert_eq!(r.status, 201, "{r:?}");
    wait_for("both chats' messages", || async {
        (app.messages(&id, "").await["total"] == 3).then_some(())
    })
    .await;

    let r = app
        .delete(&format!("/api/sessions/{id}/chats/{ANN}/messages"))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!({ "success": true }))
    );
    let left = app.messages(&id, "").await;
    assert_eq!(
        bodies(&left),
        ["kept elsewhere"],
        "only Ann's chat is cleared"
    );
    let chats = app.get(&format!("/api/sessions/{id}/chats")).await;
    let ann = chats
        .body
        .as_array()
        .and_then(|all| all.iter().find(|c| c["id"] == ANN).cloned())
        .expect("Ann's chat stays listed");
    assert_eq!(ann["unreadCount"], 0, "{ann}");
    assert!(ann["lastMessage"].is_null(), "{ann}");
    assert!(
        sent_log(&log)
            .iter()
            .any(|e| e["action"] == "clearChat" && e["chatId"] == ANN),
        "the phone cleared it too"
    );
    app.delete(&format!("/api/sessions/{id}/chats/not-a-chat/messages"))
        .await
        .assert_envelope(400);
}

#[actix_web::test]
async fn an_invite_code_shows_its_group_and_joins_it() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("join"), "628111000511").await;
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["group.join"]).await;
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/groups"),
            json!({ "subject": "Neighbours", "by": BOB, "participants": [ANN], "invite": true }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let gid = r.body["groupId"].as_str().expect("groupId").to_string();
    let code = r.body["inviteCode"]
        .as_str()
        .expect("inviteCode")
        .to_string();
    let base = format!("/api/sessions/{id}/groups");
    assert_eq!(app.get(&base).await.body, json!([]), "not a member yet");

    let r = app.get(&format!("{base}/join-info?code={code}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["id"], gid.as_str());
    assert_eq!(r.body["name"], "Neighbours");
    assert_eq!(r.body["owner"], BOB);
    assert_eq!(r.body["participantCount"], 2);
    assert!(r.body["createdAt"].is_i64(), "{r:?}");
    // A link works as well as its code.
    let r = app
        .get(&format!(
            "{base}/join-info?code=https://chat.whatsapp.com/{code}"
        ))
        .await;
    assert_eq!(r.body["id"], gid.as_str(), "{r:?}");
    app.get(&format!("{base}/join-info"))
        .await
        .assert_error(400, "An invite code is required");
    app.get(&format!("{base}/join-info?code=%20"))
        .await
        .assert_error(400, "An invite code is required");
    app.get(&format!("{base}/join-info?code=NOSUCHCODE"))
        .await
        .assert_error(404, "This invite link is invalid or has expired");

    let r = app
        .post(&format!("{base}/join"), json!({ "inviteCode": code }))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!({ "success": true, "groupId": gid }))
    );
    let joined = ws.event("group.join", &id).await;
    assert_eq!(joined["groupId"], gid.as_str());
    let listed = app.get(&base).await;
    assert_eq!(listed.body[0]["id"], gid.as_str(), "{listed:?}");
    assert_eq!(listed.body[0]["isAdmin"], false, "{listed:?}");
    // Joining again changes nothing and answers the same.
    let r = app
        .post(&format!("{base}/join"), json!({ "inviteCode": code }))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!({ "success": true, "groupId": gid }))
    );
    assert_eq!(app.get(&base).await.body.as_array().map(Vec::len), Some(1));
    app.post(
        &format!("{base}/join"),
        json!({ "inviteCode": "NOSUCHCODE" }),
    )
    .await
    .assert_error(404, "This invite link is invalid or has expired");
    app.post(&format!("{base}/join"), json!({}))
        .await
        .assert_error(400, "inviteCode should not be empty");
    app.post(&format!("{base}/join"), json!({ "inviteCode": "  " }))
        .await
        .assert_error(400, "inviteCode should not be empty");
}

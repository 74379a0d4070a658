//! The real engine talking to people, end to end: through our HTTP API and the unmodified
//! whatsapp-rust client to the stand-in for WhatsApp's server, which reads what arrives as the
//! recipients would (Signal sessions, sender keys) and answers as WhatsApp does (acks, receipts,
//! usync, prekeys, `w:g2`, blocklist).

use serde_json::{json, Value};

use crate::engine::{linked_session, whatsapp_app};
use crate::helpers::{wait_for, TestApp};
use crate::standin::{lid_of, Sent, StandIn, PHONE};

const BOB: &str = "15550002222";
const CAROL: &str = "15550003333";
const DAVE: &str = "15550004444";
/// Not a WhatsApp number at the stand-in.
const NOBODY: &str = "4930000000";

fn c_us(phone: &str) -> String {
    format!("{phone}@c.us")
}

fn pn(phone: &str) -> String {
    format!("{phone}@s.whatsapp.net")
}

/// The one message the stand-in took for `to` whose `pick` is true.
async fn arrived(standin: &StandIn, to: &str, pick: impl Fn(&Sent) -> bool) -> Sent {
    wait_for(&format!("a message to {to} at the stand-in"), || async {
        standin.sent_to(to).into_iter().find(|s| pick(s))
    })
    .await
}

async fn row(app: &TestApp, session: &str, message_id: &str) -> Option<Value> {
    app.messages(session, "").await["messages"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["waMessageId"] == message_id).cloned())
}

async fn wait_row_status(app: &TestApp, session: &str, message_id: &str, status: &str) {
    wait_for(&format!("{message_id} to be {status}"), || async {
        row(app, session, message_id)
            .await
            .filter(|m| m["status"] == status)
    })
    .await;
}

#[actix_web::test]
async fn a_text_and_a_reaction_reach_the_contact_and_receipts_mark_them_delivered_then_read() {
    let standin = StandIn::start(2).await;
    let app = whatsapp_app(&standin.url, "60000").await;
    let id = linked_session(&app, &standin, "sends").await;

    let r = app.send_text(&id, &c_us(BOB), "hello from the API").await;
    assert_eq!(r.status, 201, "{r:?}");
    let message_id = r.body["messageId"].as_str().expect("messageId").to_string();
    let wa_id = message_id.rsplit('_').next().expect("an id").to_string();

    // Bob's phone reads the text from its own Signal session with the device.
    let sent = arrived(&standin, &pn(BOB), |s| s.id == wa_id).await;
    assert_eq!(sent.text(), Some("hello from the API"), "{sent:?}");
    assert_eq!(sent.readers, [BOB], "{sent:?}");
    assert!(sent.problems.is_empty(), "{sent:?}");
    assert_eq!(sent.kind, "text");
    wait_row_status(&app, &id, &message_id, "sent").await;

    // Receipts move it on, and never back.
    standin.receipt(BOB, &wa_id, None);
    wait_row_status(&app, &id, &message_id, "delivered").await;
    standin.receipt(BOB, &wa_id, Some("read"));
    wait_row_status(&app, &id, &message_id, "read").await;
    // A stale delivery receipt, then a fresh one for a later text: receipts are handled in
    // order, so once the later text is delivered the stale receipt has been seen, and ignored.
    let r = app.send_text(&id, &c_us(BOB), "second").await;
    assert_eq!(r.status, 201, "{r:?}");
    let second_id = r.body["messageId"].as_str().expect("messageId").to_string();
    let second = arrived(&standin, &pn(BOB), |s| s.text() == Some("second")).await;
    assert!(second.problems.is_empty(), "{second:?}");
    standin.receipt(BOB, &wa_id, None);
    standin.receipt(BOB, &second.id, None);
    wait_row_status(&app, &id, &second_id, "delivered").await;
    assert_eq!(
        row(&app, &id, &message_id).await.expect("the row")["status"],
        "read"
    );

    // Bob writes; the session reacts to his message, and he reads the reaction.
    standin.send_text(BOB, "3EB0STANDINREACT0001", "thumbs up this");
    let theirs = format!("false_{}_3EB0STANDINREACT0001", c_us(BOB));
    wait_for("Bob's message", || async { row(&app, &id, &theirs).await }).await;
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/react"),
            json!({ "chatId": c_us(BOB), "messageId": theirs, "emoji": "👍" }),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!({ "success": true }))
    );
    let reaction = arrived(&standin, &pn(BOB), |s| s.kind == "reaction").await;
    let m = reaction
        .message
        .as_ref()
        .and_then(|m| m.reaction_message.as_option())
        .unwrap_or_else(|| panic!("a reaction message: {reaction:?}"));
    assert_eq!(m.text.as_deref(), Some("👍"));
    let key = m.key.as_option().expect("the reacted message's key");
    assert_eq!(key.id.as_deref(), Some("3EB0STANDINREACT0001"));
    assert_eq!(key.from_me, Some(false));
}

#[actix_web::test]
async fn numbers_are_checked_and_a_contact_is_blocked_and_unblocked_at_whatsapp() {
    let standin = StandIn::start(2).await;
    let app = whatsapp_app(&standin.url, "60000").await;
    let id = linked_session(&app, &standin, "contacts").await;
    let base = format!("/api/sessions/{id}/contacts");

    let r = app.get(&format!("{base}/check/{CAROL}")).await;
    assert_eq!(
        r.body,
        json!({ "number": CAROL, "exists": true, "whatsappId": c_us(CAROL) }),
        "{r:?}"
    );
    let r = app.get(&format!("{base}/check/{NOBODY}")).await;
    assert_eq!(
        r.body,
        json!({ "number": NOBODY, "exists": false, "whatsappId": null }),
        "{r:?}"
    );
    // The check taught the engine Carol's LID, which maps back to her number.
    let r = app
        .get(&format!("{base}/{}@lid/phone", lid_of(CAROL)))
        .await;
    assert_eq!(r.body["phone"], CAROL, "{r:?}");
    let r = app
        .get(&format!("{base}/{}/profile-picture", c_us(CAROL)))
        .await;
    assert_eq!(
        r.body,
        json!({ "url": format!("https://pps.whatsapp.net/standin/{CAROL}.jpg") }),
        "{r:?}"
    );

    let r = app
        .post(&format!("{base}/{}/block", c_us(DAVE)), json!({}))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (
            200,
            &json!({ "success": true, "message": "Contact blocked" })
        )
    );
    assert_eq!(standin.blocked(), [DAVE]);
    assert_eq!(
        app.get(&format!("{base}/{}", c_us(DAVE))).await.body["isBlocked"],
        true
    );
    let r = app.delete(&format!("{base}/{}/block", c_us(DAVE))).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(standin.blocked().is_empty());
}

#[actix_web::test]
async fn a_group_is_created_grown_renamed_and_messaged_at_whatsapp() {
    let standin = StandIn::start(2).await;
    let app = whatsapp_app(&standin.url, "60000").await;
    let id = linked_session(&app, &standin, "groups").await;
    let base = format!("/api/sessions/{id}/groups");
    let own = c_us(PHONE);

    let r = app
        .post(
            &base,
            json!({ "name": "Support", "participants": [c_us(BOB), c_us(NOBODY)] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let gid = r.body["id"].as_str().expect("group id").to_string();
    assert!(gid.ends_with("@g.us"), "{gid}");
    let members: Vec<&str> = r.body["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(members, [own.clone(), c_us(BOB)], "{r:?}");
    let at_whatsapp = standin.group(&gid).expect("the group at WhatsApp");
    assert_eq!(at_whatsapp.subject, "Support");

    let r = app
        .post(
            &format!("{base}/{gid}/participants"),
            json!({ "participants": [CAROL, c_us(BOB), NOBODY] }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
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
        [(c_us(CAROL), 200), (c_us(BOB), 409), (c_us(NOBODY), 404)],
        "{r:?}"
    );
    let r = app
        .post(
            &format!("{base}/{gid}/participants/promote"),
            json!({ "participants": [CAROL] }),
        )
        .await;
    assert_eq!(r.body["success"], true, "{r:?}");
    let r = app
        .send(
            reqwest::Method::PUT,
            &format!("{base}/{gid}/subject"),
            Some(&app.key),
            Some(json!({ "subject": "Support desk" })),
        )
        .await;
    assert!(r.status.is_success(), "{r:?}");

    // The group as WhatsApp now answers for it: renamed, three members, Carol an admin.
    let r = app.get(&format!("{base}/{gid}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "Support desk", "{r:?}");
    let roles: Vec<(String, bool)> = r.body["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or_default().to_string(),
                p["isAdmin"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [(own, true), (c_us(BOB), false), (c_us(CAROL), true)],
        "{r:?}"
    );

    // Settings change at WhatsApp and read back from it.
    let settings = format!("{base}/{gid}/settings");
    let r = app
        .send(
            reqwest::Method::PUT,
            &settings,
            Some(&app.key),
            Some(
                json!({ "announce": true, "locked": true, "ephemeralSeconds": 86400,
                         "memberAddMode": "admins" }),
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let at_whatsapp = standin.group(&gid).expect("the group");
    assert_eq!(
        (
            at_whatsapp.announce,
            at_whatsapp.locked,
            at_whatsapp.ephemeral,
            at_whatsapp.admins_add
        ),
        (true, true, Some(86400), true)
    );
    let r = app.get(&settings).await;
    assert_eq!(
        r.body,
        json!({ "announce": true, "locked": true, "ephemeralSeconds": 86400,
                "memberAddMode": "admins" }),
        "{r:?}"
    );

    // A text to the group: each member reads it with the sender key the device handed them.
    let r = app.send_text(&id, &gid, "welcome to the group").await;
    assert_eq!(r.status, 201, "{r:?}");
    let g_us = gid.clone();
    let sent = arrived(&standin, &g_us, |s| {
        s.text() == Some("welcome to the group")
    })
    .await;
    let mut readers = sent.readers.clone();
    readers.sort();
    assert_eq!(readers, [BOB, CAROL], "{sent:?}");
    assert!(sent.problems.is_empty(), "{sent:?}");
    let message_id = r.body["messageId"].as_str().expect("messageId").to_string();
    wait_row_status(&app, &id, &message_id, "sent").await;

    // Bob writes in the group: an incoming group message with its author, and marking the chat
    // read sends WhatsApp a read receipt that names him.
    standin.send_group_text(&gid, BOB, "3EB0STANDINGROUP0001", "thanks!");
    let incoming = wait_for("Bob's group message", || async {
        app.messages(&id, "").await["messages"]
            .as_array()
            .and_then(|all| all.iter().find(|m| m["body"] == "thanks!").cloned())
    })
    .await;
    assert_eq!(incoming["chatId"], gid.as_str(), "{incoming}");
    assert_eq!(incoming["from"], c_us(BOB), "{incoming}");
    assert_eq!(incoming["direction"], "incoming", "{incoming}");
    let r = app
        .post(
            &format!("/api/sessions/{id}/chats/read"),
            json!({ "chatId": gid }),
        )
        .await;
    assert!(r.status.is_success(), "{r:?}");
    wait_for("a read receipt for Bob's group message", || async {
        standin
            .received(&["receipt", "read", "3EB0STANDINGROUP0001", &pn(BOB)])
            .first()
            .cloned()
    })
    .await;

    // A reply to Bob, a mention of him and a reaction to his message, in the group: each member
    // reads who is quoted, mentioned or reacted to.
    let bobs = incoming["waMessageId"]
        .as_str()
        .expect("waMessageId")
        .to_string();
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/reply"),
            json!({ "chatId": gid, "quotedMessageId": bobs, "text": "you're welcome" }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let reply = arrived(&standin, &g_us, |s| s.text() == Some("you're welcome")).await;
    let quote = reply
        .message
        .as_ref()
        .and_then(|m| m.extended_text_message.as_option())
        .and_then(|t| t.context_info.as_option())
        .unwrap_or_else(|| panic!("a quote: {reply:?}"));
    assert_eq!(quote.stanza_id.as_deref(), Some("3EB0STANDINGROUP0001"));
    assert_eq!(quote.participant.as_deref(), Some(pn(BOB).as_str()));
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/send-text"),
            json!({ "chatId": gid, "text": "@15550002222 see above", "mentions": [c_us(BOB)] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mention = arrived(&standin, &g_us, |s| {
        s.text() == Some("@15550002222 see above")
    })
    .await;
    let mentioned = mention
        .message
        .as_ref()
        .and_then(|m| m.extended_text_message.as_option())
        .and_then(|t| t.context_info.as_option())
        .map(|c| c.mentioned_jid.clone())
        .unwrap_or_default();
    assert_eq!(mentioned, [pn(BOB)], "{mention:?}");
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/react"),
            json!({ "chatId": gid, "messageId": bobs, "emoji": "🙏" }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let reaction = arrived(&standin, &g_us, |s| s.kind == "reaction").await;
    let key = reaction
        .message
        .as_ref()
        .and_then(|m| m.reaction_message.as_option())
        .and_then(|m| m.key.as_option())
        .unwrap_or_else(|| panic!("a reaction: {reaction:?}"));
    assert_eq!(key.id.as_deref(), Some("3EB0STANDINGROUP0001"));
    assert_eq!(key.participant.as_deref(), Some(pn(BOB).as_str()));
    let mut readers = reaction.readers.clone();
    readers.sort();
    assert_eq!(readers, [BOB, CAROL], "{reaction:?}");

    // Carol's group, by its invite: where it leads, then joined.
    let (theirs, code) = standin.invite_to_group("Neighbours", CAROL, &[DAVE]);
    let r = app.get(&format!("{base}/join-info?code={code}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (
            &r.body["id"],
            &r.body["name"],
            &r.body["owner"],
            &r.body["participantCount"]
        ),
        (
            &json!(theirs),
            &json!("Neighbours"),
            &json!(c_us(CAROL)),
            &json!(2)
        ),
        "{r:?}"
    );
    let r = app
        .post(&format!("{base}/join"), json!({ "inviteCode": code }))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!({ "success": true, "groupId": theirs }))
    );
    assert!(standin
        .group(&theirs)
        .expect("Carol's group")
        .participants
        .iter()
        .any(|(p, _)| p == PHONE));
    let r = app
        .post(&format!("{base}/join"), json!({ "inviteCode": code }))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!({ "success": true, "groupId": theirs })),
        "already in: joined"
    );
    let listed = app.get(&base).await;
    assert!(
        listed
            .body
            .as_array()
            .expect("groups")
            .iter()
            .any(|g| g["id"] == theirs.as_str()),
        "{listed:?}"
    );
    app.get(&format!("{base}/join-info?code=NOSUCHCODE"))
        .await
        .assert_error(404, "This invite link is invalid or has expired");

    let r = app.post(&format!("{base}/{gid}/leave"), json!({})).await;
    assert!(r.status.is_success(), "{r:?}");
    assert!(
        !standin
            .group(&gid)
            .expect("the group stays")
            .participants
            .iter()
            .any(|(p, _)| p == PHONE),
        "left at WhatsApp"
    );
}

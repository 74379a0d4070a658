//! What OpenWA's later routes add to contacts and groups, on the sandbox: saving a contact to the
//! address book and taking it out, a group's picture, and the join requests an admin answers.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::wsclient::Ws;

const ANN: &str = "628123450011@c.us";
const BOB: &str = "628123450022@c.us";
const CAROL: &str = "628123450033@c.us";
const JPEG_B64: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA==";
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

async fn put(app: &TestApp, path: &str, body: Value) -> Resp {
    app.send(Method::PUT, path, Some(&app.key), Some(body))
        .await
}

/// A group of session `id`, created by this account (so it administers it), with Ann in it.
async fn group(app: &TestApp, id: &str) -> String {
    let r = app
        .post(
            &format!("/api/sessions/{id}/groups"),
            json!({ "name": "Club", "participants": [ANN] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().expect("group id").to_string()
}

#[actix_web::test]
async fn a_contact_is_saved_renamed_and_taken_out_of_the_address_book() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("book-edit"), "628111000601").await;
    let base = format!("/api/sessions/{id}/contacts");
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["contact.update"]).await;

    let r = put(
        &app,
        &format!("{base}/{BOB}"),
        json!({ "firstName": "Bob", "lastName": "Jones" }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (200, json!({ "success": true, "message": "Contact saved" }))
    );
    let update = ws.event("contact.update", &id).await;
    assert_eq!(
        (
            update["id"].clone(),
            update["name"].clone(),
            update["isMyContact"].clone()
        ),
        (json!(BOB), json!("Bob Jones"), json!(true))
    );
    let r = app.get(&format!("{base}/{BOB}")).await;
    assert_eq!(
        (r.body["name"].clone(), r.body["isMyContact"].clone()),
        (json!("Bob Jones"), json!(true))
    );

    // Renamed, bare digits taken as the number; a single name is allowed.
    let r = put(
        &app,
        &format!("{base}/628123450022"),
        json!({ "firstName": "Robert" }),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        app.get(&format!("{base}/{BOB}")).await.body["name"],
        "Robert"
    );

    let r = app.delete(&format!("{base}/{BOB}")).await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (
            200,
            json!({ "success": true, "message": "Contact deleted" })
        )
    );
    let r = app.get(&format!("{base}/{BOB}")).await;
    assert_eq!(r.body["isMyContact"], false, "{r:?}");
    assert!(
        r.body.get("name").is_none(),
        "the saved name is gone: {r:?}"
    );
    app.delete(&format!("{base}/{BOB}"))
        .await
        .assert_error(404, &format!("Contact {BOB} is not in the address book"));

    // What to change is named.
    for (body, what) in [
        (json!({}), "firstName"),
        (json!({ "firstName": "   " }), "firstName"),
        (json!({ "firstName": "A", "lastName": 5 }), "lastName"),
        (json!({ "firstName": "x".repeat(101) }), "firstName"),
        (json!({ "firstName": "A", "nickname": "B" }), "nickname"),
    ] {
        let r = put(&app, &format!("{base}/{BOB}"), body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        r.assert_envelope(400);
        assert!(
            r.messages().iter().any(|m| m.contains(what)),
            "{body}: {r:?}"
        );
    }
    put(
        &app,
        &format!("{base}/not-a-number"),
        json!({ "firstName": "A" }),
    )
    .await
    .assert_envelope(400);
}

#[actix_web::test]
async fn a_group_picture_is_read_set_and_removed_by_those_allowed() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("group-pic"), "628111000602").await;
    let gid = group(&app, &id).await;
    let picture = format!("/api/sessions/{id}/groups/{gid}/picture");

    assert_eq!(app.get(&picture).await.body, json!({ "url": null }));
    let r = put(
        &app,
        &picture,
        json!({ "base64": JPEG_B64, "mimetype": "image/jpeg" }),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (
            200,
            json!({ "success": true, "message": "Group picture updated" })
        )
    );
    let url = app.get(&picture).await.body["url"].clone();
    assert!(
        url.as_str()
            .is_some_and(|u| u.starts_with("https://") && u.ends_with(".jpg")),
        "{url}"
    );

    // A PNG is not what WhatsApp shows; neither source is a clear 400.
    put(
        &app,
        &picture,
        json!({ "base64": PNG_B64, "mimetype": "image/png" }),
    )
    .await
    .assert_envelope(400);
    put(
        &app,
        &picture,
        json!({ "base64": PNG_B64, "mimetype": "image/jpeg" }),
    )
    .await
    .assert_error(
        400,
        "the picture must be a JPEG image (WhatsApp shows JPEG profile pictures)",
    );
    put(&app, &picture, json!({})).await.assert_envelope(400);
    assert_eq!(
        app.get(&picture).await.body["url"],
        url,
        "refused changes change nothing"
    );

    let r = app.delete(&picture).await;
    assert_eq!(
        r.body,
        json!({ "success": true, "message": "Group picture removed" })
    );
    assert_eq!(app.get(&picture).await.body, json!({ "url": null }));

    // Someone else's locked group: only its admins change the picture.
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/groups"),
            json!({ "subject": "Theirs", "by": ANN, "participants": [BOB], "admins": [] }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let theirs = r.body["groupId"].as_str().expect("groupId").to_string();
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/group-event"),
            json!({ "groupId": theirs, "action": "locked", "actor": ANN, "value": true }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = put(
        &app,
        &format!("/api/sessions/{id}/groups/{theirs}/picture"),
        json!({ "base64": JPEG_B64, "mimetype": "image/jpeg" }),
    )
    .await;
    r.assert_error(
        400,
        &format!("This account is not an admin of group {theirs}"),
    );

    let unknown = "120363999999999999@g.us";
    app.get(&format!("/api/sessions/{id}/groups/{unknown}/picture"))
        .await
        .assert_error(404, &format!("Group {unknown} not found"));
}

#[actix_web::test]
async fn join_requests_are_listed_and_answered_by_an_admin() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("join-req"), "628111000603").await;
    let gid = group(&app, &id).await;
    let base = format!("/api/sessions/{id}/groups/{gid}/membership-requests");
    let (mut ws, _) = Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["group.update", "group.join"]).await;

    assert_eq!(app.get(&base).await.body, json!([]));
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/group-event"),
            json!({ "groupId": gid, "action": "join_request", "participants": [BOB, CAROL] }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let update = ws.event("group.update", &id).await;
    assert_eq!(
        update["changes"],
        json!({ "membershipRequests": [BOB, CAROL] })
    );

    let listed = app.get(&base).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let waiting: Vec<&str> = listed
        .body
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|r| r["participantId"].as_str())
        .collect();
    assert_eq!(waiting, [BOB, CAROL]);
    assert!(
        listed.body[0]["requestedAt"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000),
        "{listed:?}"
    );

    // One named is approved and joins; one not waiting is answered as such.
    let r = app
        .post(
            &format!("{base}/approve"),
            json!({ "participants": [BOB, ANN] }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["message"], "Membership requests approved");
    assert_eq!(r.body["success"], false, "Ann was not waiting: {r:?}");
    let outcomes: Vec<(String, u64)> = r.body["results"]
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
    assert_eq!(outcomes, [(BOB.to_string(), 200), (ANN.to_string(), 404)]);
    let joined = ws.event("group.join", &id).await;
    assert_eq!(joined["participantIds"], json!([BOB]));
    let members = app.get(&format!("/api/sessions/{id}/groups/{gid}")).await;
    assert_eq!(
        members.body["participants"].as_array().map(Vec::len),
        Some(3),
        "{members:?}"
    );

    // Every named one refused is an error; nobody named rejects all who wait.
    app.post(&format!("{base}/approve"), json!({ "participants": [ANN] }))
        .await
        .assert_error(
            409,
            &format!("No membership request of group {gid} could be approved: This person has no pending request"),
        );
    let r = app.post(&format!("{base}/reject"), json!({})).await;
    assert_eq!(
        (
            r.body["success"].clone(),
            r.body["message"].clone(),
            r.body["results"][0]["id"].clone()
        ),
        (
            json!(true),
            json!("Membership requests rejected"),
            json!(CAROL)
        ),
        "{r:?}"
    );
    assert_eq!(app.get(&base).await.body, json!([]));
    let r = app.post(&format!("{base}/reject"), json!({})).await;
    assert_eq!(
        r.body["results"],
        json!([]),
        "an empty queue is a no-op: {r:?}"
    );

    for body in [
        json!({ "participants": [] }),
        json!({ "participants": ["nobody"] }),
        json!({ "participants": ANN }),
    ] {
        app.post(&format!("{base}/approve"), body)
            .await
            .assert_envelope(400);
    }

    // A group this account does not administer.
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/groups"),
            json!({ "subject": "Theirs", "by": ANN, "participants": [], "admins": [] }),
        )
        .await;
    let theirs = r.body["groupId"].as_str().expect("groupId").to_string();
    app.get(&format!(
        "/api/sessions/{id}/groups/{theirs}/membership-requests"
    ))
    .await
    .assert_error(
        400,
        &format!("This account is not an admin of group {theirs}"),
    );
}

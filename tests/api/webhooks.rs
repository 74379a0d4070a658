//! Webhooks end to end: the real server, sandbox sessions producing events, and a real local HTTP
//! receiver.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::*;
use crate::receiver::{Hit, Receiver};

/// The receivers listen on 127.0.0.1, which the SSRF guard refuses unless allowed by name.
async fn app() -> TestApp {
    spawn_app_with(&[
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_RETRY_DELAY", "200"),
    ])
    .await
}

async fn add_hook(app: &TestApp, sid: &str, body: Value) -> Value {
    let r = app
        .post(&format!("/api/sessions/{sid}/webhooks"), body)
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body
}

async fn put_hook(app: &TestApp, sid: &str, id: &str, body: Value) -> Resp {
    app.send(
        Method::PUT,
        &format!("/api/sessions/{sid}/webhooks/{id}"),
        Some(&app.key),
        Some(body),
    )
    .await
}

/// A message from `from` arrives on the sandbox phone; returns its message id.
async fn incoming(app: &TestApp, sid: &str, from: &str, text: &str) -> String {
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{sid}/incoming"),
            json!({ "from": from, "text": text }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["messageId"].as_str().expect("messageId").to_string()
}

/// Waits until `rx` holds a request for which `pick` is true; returns it.
async fn wait_hit(rx: &Receiver, what: &str, pick: impl Fn(&Hit) -> bool) -> Hit {
    wait_for(what, || async { rx.hits().into_iter().find(|h| pick(h)) }).await
}

fn message_id_of(h: &Hit) -> String {
    h.json()["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[actix_web::test]
async fn events_arrive_signed_over_the_exact_bytes_with_every_header() {
    let app = app().await;
    let rx = Receiver::start().await;
    let sid = app.create_session(&name("hooked")).await;
    let hook = add_hook(
        &app,
        &sid,
        json!({ "url": rx.url("/events"), "events": ["*"], "secret": "s3cret",
                "headers": { "X-Tenant": "acme" } }),
    )
    .await;
    assert!(
        hook.get("secret").is_none() && hook.get("headers").is_none(),
        "{hook}"
    );
    assert_eq!(hook["retryCount"], 3);
    assert_eq!(hook["active"], true);

    app.link(&sid, Some("628111000222")).await;
    let mid = incoming(&app, &sid, "628999000111@c.us", "hello hooks").await;
    let hit = wait_hit(&rx, "message.received", |h| h.event() == "message.received").await;

    // The signature is over the bytes received, not a re-serialisation.
    assert_eq!(
        hit.header("x-openwa-signature"),
        format!("sha256={}", hmac_hex("s3cret", &hit.body))
    );
    assert_eq!(hit.header("content-type"), "application/json");
    assert!(hit.header("user-agent").starts_with("OpenWA-Webhook/"));
    assert_eq!(hit.header("x-openwa-event"), "message.received");
    assert_eq!(hit.header("x-openwa-retry-count"), "0");
    assert_eq!(hit.header("x-tenant"), "acme");
    let body = hit.json();
    assert_eq!(hit.header("x-openwa-delivery-id"), body["deliveryId"]);
    assert_eq!(
        hit.header("x-openwa-idempotency-key"),
        body["idempotencyKey"]
    );
    assert!(body["deliveryId"].as_str().unwrap().starts_with("dlv_"));
    assert_eq!(body["idempotencyKey"], format!("msg_{sid}_{mid}"));
    assert_eq!(body["sessionId"], sid);
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    let data = &body["data"];
    assert_eq!(data["id"], mid);
    assert_eq!(data["from"], "628999000111@c.us");
    assert_eq!(data["chatId"], "628999000111@c.us");
    assert_eq!(data["body"], "hello hooks");
    assert_eq!(data["fromMe"], false);
    assert_eq!(data["isGroup"], false);

    // Session events came too, each with its own shape.
    let qr = wait_hit(&rx, "session.qr", |h| h.event() == "session.qr").await;
    assert!(qr.json()["data"]["qr"].as_str().unwrap().contains(','));
    assert!(qr.json()["idempotencyKey"]
        .as_str()
        .unwrap()
        .starts_with(&format!("qr_{sid}_")));
    let ready = wait_hit(&rx, "session.status ready", |h| {
        h.event() == "session.status" && h.json()["data"]["status"] == "ready"
    })
    .await;
    assert_eq!(ready.json()["data"]["sessionId"], sid);
    let auth = wait_hit(&rx, "session.authenticated", |h| {
        h.event() == "session.authenticated"
    })
    .await;
    assert_eq!(auth.json()["data"]["phone"], "628111000222");

    // A sent message is announced as message.sent.
    let sent = app.send_text(&sid, "628999000111@c.us", "reply").await;
    assert_eq!(sent.status, 201, "{sent:?}");
    let out = wait_hit(&rx, "message.sent", |h| h.event() == "message.sent").await;
    assert_eq!(out.json()["data"]["id"], sent.body["messageId"]);
    assert_eq!(out.json()["data"]["fromMe"], true);

    // lastTriggeredAt shows the webhook fired; secret and headers never come back.
    let got = wait_for("lastTriggeredAt", || async {
        let r = app
            .get(&format!(
                "/api/sessions/{sid}/webhooks/{}",
                hook["id"].as_str().unwrap()
            ))
            .await;
        r.body["lastTriggeredAt"].is_string().then_some(r.body)
    })
    .await;
    assert!(got.get("secret").is_none() && got.get("headers").is_none());
}

#[actix_web::test]
async fn filters_and_inactive_webhooks_hold_back_what_they_should() {
    // One delivery at a time per webhook: a webhook's requests then arrive in the order its
    // events were queued, so "the later one arrived" proves the earlier one was never queued.
    let app = spawn_app_with(&[
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_CONCURRENCY", "1"),
    ])
    .await;
    let rx = Receiver::start().await;
    let sid = app.ready_session(&name("filtered"), "628111000333").await;
    add_hook(&app, &sid, json!({ "url": rx.url("/all") })).await;
    let orders = add_hook(
        &app,
        &sid,
        json!({ "url": rx.url("/orders"), "filters": { "conditions": [
            { "field": "body", "operator": "contains", "value": "ORDER" },
            { "field": "fromMe", "operator": "is", "value": false },
        ] } }),
    )
    .await;
    assert_eq!(orders["filters"]["conditions"][0]["field"], "body");
    assert_eq!(orders["events"], json!(["message.received"]));
    let chatter = incoming(&app, &sid, "628999000222@c.us", "just chatting").await;
    wait_hit(&rx, "the marker copy of the chat", |h| {
        message_id_of(h) == chatter
    })
    .await;
    let order = incoming(&app, &sid, "628999000222@c.us", "an order for two").await;
    // The marker gets both, the filtered webhook only the order: 3 copies in all once the
    // order has reached both webhooks.
    wait_for("the order on both webhooks", || async {
        (rx.hits()
            .iter()
            .filter(|h| message_id_of(h) == order)
            .count()
            == 2)
            .then_some(())
    })
    .await;
    let chatter_copies = rx
        .hits()
        .iter()
        .filter(|h| message_id_of(h) == chatter)
        .count();
    assert_eq!(
        chatter_copies, 1,
        "the filtered webhook got the chat message"
    );

    // An inactive webhook gets nothing; once active again, the next event is the first it sees.
    let r = put_hook(
        &app,
        &sid,
        orders["id"].as_str().unwrap(),
        json!({ "active": false }),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["active"], false);
    let quiet = incoming(&app, &sid, "628999000222@c.us", "ORDER while inactive").await;
    wait_hit(&rx, "the marker copy while inactive", |h| {
        message_id_of(h) == quiet
    })
    .await;
    put_hook(
        &app,
        &sid,
        orders["id"].as_str().unwrap(),
        json!({ "active": true }),
    )
    .await;
    let again = incoming(&app, &sid, "628999000222@c.us", "ORDER again").await;
    wait_for("the new order on both webhooks", || async {
        (rx.hits()
            .iter()
            .filter(|h| message_id_of(h) == again)
            .count()
            == 2)
            .then_some(())
    })
    .await;
    let quiet_copies = rx
        .hits()
        .iter()
        .filter(|h| message_id_of(h) == quiet)
        .count();
    assert_eq!(quiet_copies, 1, "the inactive webhook got an event");
}

#[actix_web::test]
async fn failures_retry_with_growing_gaps_stop_at_retry_count_and_can_be_retried() {
    let app = spawn_app_with(&[
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_RETRY_DELAY", "300"),
    ])
    .await;
    let rx = Receiver::start().await;
    rx.answer(500);
    let sid = app.ready_session(&name("flaky"), "628111000444").await;
    let hook = add_hook(&app, &sid, json!({ "url": rx.url("/"), "retryCount": 2 })).await;
    let mid = incoming(&app, &sid, "628999000333@c.us", "will fail").await;

    let failure = wait_for("the delivery to be exhausted", || async {
        let r = app.get("/api/webhooks/delivery-failures").await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body.as_array().and_then(|d| d.first().cloned())
    })
    .await;
    assert_eq!(failure["webhookId"], hook["id"]);
    assert_eq!(failure["sessionId"], sid);
    assert_eq!(failure["event"], "message.received");
    assert_eq!(failure["status"], "failed");
    assert_eq!(failure["attempts"], 3);
    assert_eq!(failure["lastStatusCode"], 500);
    assert!(failure["lastError"].as_str().unwrap().contains("500"));
    // OpenWA's fields for it: the delivery id under its own name, and whether it can be retried.
    assert_eq!(failure["deliveryId"], failure["id"]);
    assert_eq!(failure["replayable"], true);

    // One first try and two retries, the same delivery and bytes each time, with gaps that grow
    // from the base delay.
    let hits = rx.hits();
    assert_eq!(hits.len(), 3, "{hits:?}");
    let retries: Vec<&str> = hits
        .iter()
        .map(|h| h.header("x-openwa-retry-count"))
        .collect();
    assert_eq!(retries, ["0", "1", "2"]);
    assert!(hits
        .iter()
        .all(|h| h.body == hits[0].body && message_id_of(h) == mid));
    assert!(hits
        .iter()
        .all(|h| h.header("x-openwa-delivery-id") == failure["id"]));
    let gap1 = hits[1].at - hits[0].at;
    let gap2 = hits[2].at - hits[1].at;
    assert!(gap1 >= Duration::from_millis(300), "{gap1:?}");
    assert!(gap2 >= Duration::from_millis(600), "{gap2:?}");

    // An admin retries it once the receiver is fixed.
    rx.answer(204);
    let id = failure["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/webhooks/delivery-failures/{id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "pending");
    wait_for("the retried delivery", || async {
        (rx.hits().len() == 4).then_some(())
    })
    .await;
    wait_for("the failure list to empty", || async {
        let r = app.get("/api/webhooks/delivery-failures").await;
        (r.body == json!([]) && r.headers.get("x-total-count").is_some_and(|v| v == "0"))
            .then_some(())
    })
    .await;
    let r = app
        .post(
            &format!("/api/webhooks/delivery-failures/{id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    let r = app
        .post("/api/webhooks/delivery-failures/nope/retry", json!({}))
        .await;
    r.assert_error(
        400,
        "Validation failed (delivery id dlv_<uuid> is expected)",
    );
    let missing = format!("dlv_{}", uuid::Uuid::new_v4());
    let r = app
        .post(
            &format!("/api/webhooks/delivery-failures/{missing}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{r:?}");
}

#[actix_web::test]
async fn a_receiver_that_is_down_then_up_gets_every_event() {
    let app = app().await;
    let mut rx = Receiver::start().await;
    let sid = app.ready_session(&name("patient"), "628111000555").await;
    let hook = add_hook(&app, &sid, json!({ "url": rx.url("/"), "retryCount": 5 })).await;
    rx.down();
    let mut sent = HashSet::new();
    for i in 0..20 {
        sent.insert(incoming(&app, &sid, "628999000444@c.us", &format!("m{i}")).await);
    }
    // An attempt has been made (and refused) while the receiver was down.
    let path = format!(
        "/api/sessions/{sid}/webhooks/{}",
        hook["id"].as_str().unwrap()
    );
    wait_for("a first attempt", || async {
        app.get(&path).await.body["lastTriggeredAt"]
            .is_string()
            .then_some(())
    })
    .await;
    rx.up().await;
    let got = wait_for_within(Duration::from_secs(30), "every event", || async {
        let ids: HashSet<String> = rx.hits().iter().map(message_id_of).collect();
        (ids == sent).then_some(ids)
    })
    .await;
    assert_eq!(got.len(), 20);
    assert!(rx
        .hits()
        .iter()
        .any(|h| h.header("x-openwa-retry-count") != "0"));
}

#[actix_web::test]
async fn a_hanging_receiver_holds_only_its_own_slots() {
    let app = spawn_app_with(&[
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_CONCURRENCY", "2"),
        ("WEBHOOK_TIMEOUT", "10000"),
    ])
    .await;
    let stuck = Receiver::start().await;
    stuck.answer(0);
    let fine = Receiver::start().await;
    let sid = app.ready_session(&name("mixed"), "628111000777").await;
    add_hook(&app, &sid, json!({ "url": stuck.url("/") })).await;
    add_hook(&app, &sid, json!({ "url": fine.url("/") })).await;
    let mut sent = HashSet::new();
    for i in 0..10 {
        sent.insert(incoming(&app, &sid, "628999000888@c.us", &format!("n{i}")).await);
    }
    wait_for("every event at the healthy receiver", || async {
        let ids: HashSet<String> = fine.hits().iter().map(message_id_of).collect();
        (ids == sent).then_some(())
    })
    .await;
    // Meanwhile the hanging receiver holds at most its two slots.
    assert!(stuck.hits().len() <= 2, "{}", stuck.hits().len());
    // And the session kept answering at once.
    let r = app.get(&format!("/api/sessions/{sid}")).await;
    assert_eq!(r.body["status"], "ready");
}

#[actix_web::test]
async fn internal_targets_are_refused_at_creation_and_at_delivery() {
    let guarded = spawn_app().await;
    let sid = guarded.create_session(&name("ssrf")).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:a9fe:a9fe]/hook",
        "http://2130706433/hook",
    ] {
        let r = guarded
            .post(
                &format!("/api/sessions/{sid}/webhooks"),
                json!({ "url": url }),
            )
            .await;
        assert_eq!(r.status, 400, "{url}: {r:?}");
        let text = r.messages().join(" ");
        assert!(text.contains("url is not allowed"), "{url}: {text}");
    }
    let r = guarded
        .post(
            &format!("/api/sessions/{sid}/webhooks"),
            json!({ "url": "ftp://example.com/x" }),
        )
        .await;
    assert_eq!(r.messages(), ["url must be a URL address"]);
    let db = guarded.stop().await;

    // Registered while the guard was off; the guard, now on, refuses the delivery itself.
    let rx = Receiver::start().await;
    let open = spawn_on(
        db.clone(),
        &[
            ("WEBHOOK_SSRF_PROTECT", "false"),
            ("WEBHOOK_RETRY_DELAY", "100"),
        ],
    )
    .await;
    let sid = open.ready_session(&name("rebound"), "628111000666").await;
    add_hook(&open, &sid, json!({ "url": rx.url("/"), "retryCount": 0 })).await;
    rx.answer(500);
    incoming(&open, &sid, "628999000555@c.us", "first").await;
    let failure = wait_for("a failed delivery", || async {
        let r = open.get("/api/webhooks/delivery-failures").await;
        r.body.as_array().and_then(|d| d.first().cloned())
    })
    .await;
    let db = open.stop().await;
    assert_eq!(rx.hits().len(), 1);
    rx.answer(200);

    let guarded = spawn_on(db, &[]).await;
    let id = failure["id"].as_str().unwrap();
    let r = guarded
        .post(
            &format!("/api/webhooks/delivery-failures/{id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let refused = wait_for("the guard to refuse the delivery", || async {
        let r = guarded.get("/api/webhooks/delivery-failures").await;
        r.body
            .as_array()
            .and_then(|d| d.first().cloned())
            .filter(|f| f["lastStatusCode"].is_null())
    })
    .await;
    let error = refused["lastError"].as_str().unwrap();
    assert!(error.contains("loopback"), "{error}");
    assert_eq!(rx.hits().len(), 1, "the guard let a request through");
}

#[actix_web::test]
async fn bad_registrations_get_one_message_per_problem() {
    let app = app().await;
    let sid = app.create_session(&name("strict")).await;
    let path = format!("/api/sessions/{sid}/webhooks");
    let r = app.post(&path, json!({})).await;
    assert!(
        r.messages()
            .contains(&"url should not be empty".to_string()),
        "{r:?}"
    );
    let r = app
        .post(
            &path,
            json!({
                "url": "not a url",
                "events": ["message.received", "message.exploded"],
                "retryCount": 6,
                "secret": "x".repeat(256),
                "active": false,
                "colour": "red",
            }),
        )
        .await;
    assert_eq!(r.status, 400);
    let m = r.messages();
    for expected in [
        "url must be a URL address",
        "retryCount must not be greater than 5",
        "secret must be shorter than or equal to 255 characters",
        "property active should not exist",
        "property colour should not exist",
    ] {
        assert!(m.contains(&expected.to_string()), "{expected}: {m:?}");
    }
    assert!(
        m.iter()
            .any(|s| s.starts_with("each value in events must be one of")),
        "{m:?}"
    );
    let r = app
        .post(
            &path,
            json!({ "url": "http://127.0.0.1:9/", "headers": {
                "X-OpenWA-Signature": "forged", "Content-Type": "text/plain",
                "Bad Name": "x", "X-Ok": "line\nbreak" } }),
        )
        .await;
    let m = r.messages();
    assert!(
        m.contains(
            &"headers.X-OpenWA-Signature is set by OpenWA and cannot be overridden".to_string()
        ),
        "{m:?}"
    );
    assert!(
        m.contains(&"headers.Content-Type is set by OpenWA and cannot be overridden".to_string()),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|s| s.starts_with("headers.Bad Name is not a valid header name")),
        "{m:?}"
    );
    assert!(
        m.contains(&"headers.X-Ok must not contain control characters".to_string()),
        "{m:?}"
    );
    let r = app
        .post(
            &path,
            json!({ "url": "http://127.0.0.1:9/", "filters": { "conditions": [
                { "field": "colour", "operator": "is", "value": "red" },
                { "field": "body", "operator": "matches", "value": "x" },
                { "field": "body", "operator": "is" },
            ] } }),
        )
        .await;
    let m = r.messages();
    assert!(
        m.iter()
            .any(|s| s.starts_with("filters.conditions.0.field must be one of")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|s| s.starts_with("filters.conditions.1.operator must be one of")),
        "{m:?}"
    );
    assert!(
        m.contains(&"filters.conditions.2.value should not be empty".to_string()),
        "{m:?}"
    );
    let r = app
        .post(&path, json!({ "url": "http://127.0.0.1:9/", "events": [] }))
        .await;
    assert_eq!(r.messages(), ["events should not be empty"]);

    let missing = uuid::Uuid::new_v4();
    let r = app
        .post(
            &format!("/api/sessions/{missing}/webhooks"),
            json!({ "url": "http://127.0.0.1:9/" }),
        )
        .await;
    r.assert_error(404, &format!("Session with id '{missing}' not found"));
    let r = app.get(&format!("{path}/not-a-uuid")).await;
    r.assert_error(400, "Validation failed (uuid is expected)");
}

#[actix_web::test]
async fn crud_test_route_and_session_scoped_keys() {
    let app = app().await;
    let rx = Receiver::start().await;
    let a = app.create_session(&name("alpha")).await;
    let b = app.create_session(&name("beta")).await;
    let ha = add_hook(&app, &a, json!({ "url": rx.url("/a"), "secret": "k" })).await;
    let hb = add_hook(
        &app,
        &b,
        json!({ "url": rx.url("/b"), "events": ["session.status"] }),
    )
    .await;
    let (ha_id, hb_id) = (ha["id"].as_str().unwrap(), hb["id"].as_str().unwrap());

    // The test route sends one signed request now and says how it went.
    let r = app
        .post(
            &format!("/api/sessions/{a}/webhooks/{ha_id}/test"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["statusCode"], 200);
    let hit = wait_hit(&rx, "the test event", |h| h.event() == "test").await;
    // OpenWA's test event: its name, and data naming the webhook.
    let data = &hit.json()["data"];
    assert_eq!(data["webhookId"], ha_id);
    assert_eq!(data["message"], "This is a test webhook from OpenWA");
    assert_eq!(
        hit.header("x-openwa-signature"),
        format!("sha256={}", hmac_hex("k", &hit.body))
    );

    // Update, then list across sessions.
    let r = put_hook(
        &app,
        &a,
        ha_id,
        json!({ "events": ["*"], "retryCount": 0, "secret": null }),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["events"], json!(["*"]));
    assert_eq!(r.body["retryCount"], 0);
    let all = app.get("/api/webhooks").await;
    assert_eq!(all.body.as_array().unwrap().len(), 2);

    // A key scoped to session a sees only a's webhooks, and b's routes refuse it.
    let (_, scoped) = app
        .create_key(json!({ "name": "alpha-only", "role": "operator", "allowedSessions": [a] }))
        .await;
    let mine = app
        .send(Method::GET, "/api/webhooks", Some(&scoped), None)
        .await;
    let ids: Vec<&str> = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ha_id]);
    let r = app
        .send(
            Method::GET,
            &format!("/api/sessions/{b}/webhooks"),
            Some(&scoped),
            None,
        )
        .await;
    r.assert_error(401, "API key not authorized for this session");
    // Another session's webhook through this session's path does not exist.
    let r = app
        .send(
            Method::GET,
            &format!("/api/sessions/{a}/webhooks/{hb_id}"),
            Some(&scoped),
            None,
        )
        .await;
    r.assert_error(404, &format!("Webhook with id '{hb_id}' not found"));
    let r = app
        .send(
            Method::GET,
            "/api/webhooks/delivery-failures",
            Some(&scoped),
            None,
        )
        .await;
    r.assert_error(403, "Insufficient permissions. Required: admin");
    let (_, viewer) = app
        .create_key(json!({ "name": "watcher", "role": "viewer" }))
        .await;
    let r = app
        .send(Method::GET, "/api/webhooks", Some(&viewer), None)
        .await;
    r.assert_error(403, "Insufficient permissions. Required: operator");

    // Delete: gone for good.
    let r = app
        .delete(&format!("/api/sessions/{a}/webhooks/{ha_id}"))
        .await;
    assert_eq!(r.status, 204);
    let r = app
        .get(&format!("/api/sessions/{a}/webhooks/{ha_id}"))
        .await;
    assert_eq!(r.status, 404);
    let r = app.get(&format!("/api/sessions/{a}/webhooks")).await;
    assert_eq!(r.body, json!([]));
}

/// A session's events are as durable as its messages': their deliveries are in the database,
/// with the change they report, before the API answers the change.
#[actix_web::test]
async fn session_events_are_queued_before_the_change_is_answered() {
    let app = app().await;
    let id = app.ready_session("durable-status", "628111000411").await;
    let rx = Receiver::start().await;
    add_hook(
        &app,
        &id,
        json!({ "url": rx.url("/status"), "events": ["session.status"] }),
    )
    .await;
    for (action, status) in [("stop", "disconnected"), ("start", "initializing")] {
        let r = app
            .post(&format!("/api/sessions/{id}/{action}"), json!({}))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        // Read at once, without waiting: the row was committed with the status it reports.
        let queued = app.db.count(&format!(
            "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE session_id = '{id}' \
             AND event = 'session.status' AND payload LIKE '%\"status\":\"{status}\"%'"
        ));
        assert_eq!(queued, 1, "the session.status of {action} is queued once");
    }
    for status in ["disconnected", "initializing"] {
        wait_hit(&rx, "the queued statuses to be delivered", |h| {
            h.json()["data"]["status"] == status
        })
        .await;
    }
}

/// What `message.sent` says beyond the common fields, for each kind of send: the facts the
/// message's row records, in the event's own names.
#[actix_web::test]
async fn message_sent_carries_what_each_kind_of_send_adds() {
    let app = app().await;
    let id = app.ready_session("sent-fields", "628111000412").await;
    let rx = Receiver::start().await;
    add_hook(
        &app,
        &id,
        json!({ "url": rx.url("/sent"), "events": ["message.sent"] }),
    )
    .await;
    let chat = "628123450071@c.us";
    let send = |route: &'static str, body: Value| {
        let app = &app;
        let path = format!("/api/sessions/{id}/messages/{route}");
        async move {
            let r = app.post(&path, body).await;
            assert_eq!(r.status, 201, "{route}: {r:?}");
            r.body["messageId"].as_str().expect("messageId").to_string()
        }
    };
    let sent = |message_id: String| {
        let rx = &rx;
        async move {
            wait_hit(rx, "the message.sent of a send", |h| {
                message_id_of(h) == message_id
            })
            .await
            .json()["data"]
                .clone()
        }
    };
    let text = send(
        "send-text",
        json!({ "chatId": chat, "text": "hi @628123450072", "mentions": ["628123450072@c.us"] }),
    )
    .await;
    let data = sent(text.clone()).await;
    assert_eq!(data["mentionedIds"], json!(["628123450072@c.us"]), "{data}");
    assert!(
        data.get("hasMedia").is_none() && data.get("isForwarded").is_none(),
        "{data}"
    );

    let png = base64::engine::general_purpose::STANDARD.encode([0x89, b'P', b'N', b'G', 1, 2, 3]);
    let image = send(
        "send-image",
        json!({ "chatId": chat, "base64": png, "mimetype": "image/png", "caption": "a dot" }),
    )
    .await;
    let data = sent(image).await;
    assert_eq!(data["hasMedia"], true, "{data}");
    assert_eq!(
        data["media"],
        json!({ "mimetype": "image/png", "filename": null, "sizeBytes": 7 })
    );

    let location = send(
        "send-location",
        json!({ "chatId": chat, "latitude": -6.2088, "longitude": 106.8456, "address": "Jl. Sudirman 1" }),
    )
    .await;
    assert_eq!(
        sent(location).await["location"],
        json!({ "latitude": -6.2088, "longitude": 106.8456, "description": null,
                "address": "Jl. Sudirman 1" })
    );

    let reply = send(
        "reply",
        json!({ "chatId": chat, "quotedMessageId": text, "text": "and again" }),
    )
    .await;
    assert_eq!(
        sent(reply).await["quotedMessage"],
        json!({ "id": text, "body": "hi @628123450072" })
    );

    let forward = send(
        "forward",
        json!({ "fromChatId": chat, "toChatId": "628123450073@c.us", "messageId": text }),
    )
    .await;
    let data = sent(forward).await;
    assert_eq!(data["isForwarded"], true, "{data}");
    assert!(
        data.get("mentionedIds").is_none(),
        "a forward carries no mentions: {data}"
    );
}

#[actix_web::test]
async fn failed_deliveries_are_redriven_in_bounded_batches_within_scope() {
    let app = spawn_app_with(&[("SSRF_ALLOWED_HOSTS", "127.0.0.1")]).await;
    let rx = Receiver::start().await;
    rx.answer(500);
    let sid = app.ready_session(&name("redrive"), "628111000445").await;
    let hook = add_hook(&app, &sid, json!({ "url": rx.url("/"), "retryCount": 0 })).await;
    let hook_id = hook["id"].as_str().expect("id").to_string();
    for i in 0..3 {
        incoming(&app, &sid, "628999000334@c.us", &format!("lost {i}")).await;
    }
    let failures = wait_for("three exhausted deliveries", || async {
        let r = app.get("/api/webhooks/delivery-failures").await;
        r.body.as_array().filter(|d| d.len() == 3).cloned()
    })
    .await;
    let redrive = "/api/webhooks/delivery-failures/redrive";

    // The receiver is fixed: two at most this time, the rest left for the next call.
    rx.answer(204);
    let r = app
        .post(redrive, json!({ "limit": 2, "webhookId": hook_id }))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({ "redriven": 2, "delivered": 0, "enqueued": 2, "failed": 0, "skipped": 0, "remaining": 1 })
    );
    wait_for("the two redriven deliveries", || async {
        (rx.hits().len() == 5).then_some(())
    })
    .await;

    // A scoped key redrives only its own sessions' failures.
    let other = app
        .ready_session(&name("redrive-other"), "628111000446")
        .await;
    let (_, scoped) = app
        .create_key(json!({ "name": "scoped-admin", "role": "admin", "allowedSessions": [other] }))
        .await;
    let r = app
        .send(Method::POST, redrive, Some(&scoped), Some(json!({})))
        .await;
    assert_eq!(r.body["redriven"], 0, "{r:?}");
    assert_eq!(r.body["remaining"], 0, "{r:?}");

    // By id, the last one.
    let left = wait_for("one failure left", || async {
        let r = app.get("/api/webhooks/delivery-failures").await;
        r.body
            .as_array()
            .filter(|d| d.len() == 1)
            .and_then(|d| d[0]["id"].as_str().map(String::from))
    })
    .await;
    assert!(failures.iter().any(|f| f["id"] == left.as_str()));
    let r = app.post(redrive, json!({ "ids": [left] })).await;
    assert_eq!(
        (r.body["redriven"].clone(), r.body["remaining"].clone()),
        (json!(1), json!(0)),
        "{r:?}"
    );
    wait_for("every lost event delivered", || async {
        (rx.hits().len() == 6).then_some(())
    })
    .await;
    let r = app.post(redrive, json!({})).await;
    assert_eq!(r.body["redriven"], 0, "nothing left: {r:?}");

    // What to change is named; only admins redrive.
    for (body, what) in [
        (json!({ "limit": 0 }), "limit"),
        (json!({ "limit": 501 }), "limit"),
        (json!({ "ids": [] }), "ids"),
        (json!({ "ids": ["nope"] }), "ids"),
        (json!({ "sessionId": "not-a-uuid" }), "sessionId"),
        (json!({ "webhookId": null }), "webhookId"),
        (json!({ "everything": true }), "everything"),
    ] {
        let r = app.post(redrive, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert!(
            r.messages().iter().any(|m| m.contains(what)),
            "{body}: {r:?}"
        );
    }
    let (_, operator) = app
        .create_key(json!({ "name": "operator", "role": "operator" }))
        .await;
    app.send(Method::POST, redrive, Some(&operator), Some(json!({})))
        .await
        .assert_envelope(403);
}

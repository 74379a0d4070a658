//! Full-text search of the stored history (`/api/search`, `/api/sessions/:id/search`): indexed as
//! messages are stored and edited, ranked, highlighted, filtered, paged and scoped to the key.

use serde_json::{json, Value};

use crate::helpers::*;

const ANN: &str = "628123450101@c.us";
const BOB: &str = "628123450102@c.us";

async fn incoming(app: &TestApp, id: &str, from: &str, text: &str) {
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/incoming"),
            json!({ "from": from, "text": text }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
}

fn hit_bodies(r: &Resp) -> Vec<String> {
    r.body["hits"]
        .as_array()
        .map(|h| {
            h.iter()
                .filter_map(|h| h["body"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn history_is_searched_ranked_highlighted_and_paged() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("search"), "628111000701").await;
    incoming(&app, &id, ANN, "Where is my invoice for order 42?").await;
    incoming(
        &app,
        &id,
        BOB,
        "Invoice, invoice, invoice: all three please",
    )
    .await;
    incoming(&app, &id, ANN, "Thanks, see you tomorrow").await;
    let r = app
        .send_text(&id, ANN, "Your invoice <b>#42</b> is attached")
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let base = format!("/api/sessions/{id}/search");

    let r = app.get(&format!("{base}?q=invoice")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["total"], 3, "{r:?}");
    assert_eq!(r.body["provider"], "builtin-fts");
    assert!(r.body["tookMs"].is_u64(), "{r:?}");
    let found = hit_bodies(&r);
    assert_eq!(
        found[0], "Invoice, invoice, invoice: all three please",
        "most matches first: {found:?}"
    );
    assert!(!found.iter().any(|b| b.contains("tomorrow")), "{found:?}");
    let hits = r.body["hits"].as_array().expect("hits");
    let scores: Vec<f64> = hits.iter().filter_map(|h| h["score"].as_f64()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    let ours = hits
        .iter()
        .find(|h| h["direction"] == "outgoing")
        .expect("the sent one");
    assert_eq!(ours["chatId"], ANN);
    assert_eq!(ours["sessionId"], id.as_str());
    assert!(
        ours["waMessageId"].as_str().is_some_and(|w| !w.is_empty()),
        "{ours}"
    );
    // The snippet is text with the match marked; the message's own markup is escaped.
    let snippet = ours["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("<mark>invoice</mark>"), "{snippet}");
    // (SQLite keeps the tag, escaped; PostgreSQL's headline leaves tags out.)
    assert!(!snippet.contains("<b>"), "{snippet}");
    assert_eq!(ours["body"], "Your invoice <b>#42</b> is attached");

    // Every word must match; words are matched as written, whatever FTS syntax they hold.
    assert_eq!(
        hit_bodies(&app.get(&format!("{base}?q=invoice%20order")).await),
        ["Where is my invoice for order 42?"]
    );
    assert_eq!(
        app.get(&format!("{base}?q=invoice%20OR%20tomorrow"))
            .await
            .body["total"],
        0
    );
    assert_eq!(
        app.get(&format!("{base}?q=%22unbalanced")).await.status,
        200
    );

    // Filters and paging.
    let r = app
        .get(&format!("{base}?q=invoice&direction=incoming&chatId={ANN}"))
        .await;
    assert_eq!(hit_bodies(&r), ["Where is my invoice for order 42?"]);
    let r = app.get(&format!("{base}?q=invoice&from={BOB}")).await;
    assert_eq!(r.body["total"], 1);
    let page1 = app.get(&format!("{base}?q=invoice&limit=2")).await;
    let page2 = app.get(&format!("{base}?q=invoice&limit=2&offset=2")).await;
    assert_eq!(
        (page1.body["total"].clone(), page2.body["total"].clone()),
        (json!(3), json!(3))
    );
    let mut all = hit_bodies(&page1);
    all.extend(hit_bodies(&page2));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 3, "{all:?}");
    let future_ms = (chrono_now_ms() + 3_600_000).to_string();
    assert_eq!(
        app.get(&format!("{base}?q=invoice&dateFrom={future_ms}"))
            .await
            .body["total"],
        0
    );

    // An edit is searchable at once by its new words, no longer by the old ones.
    let full_id = ours["waMessageId"]
        .as_str()
        .expect("waMessageId")
        .to_string();
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/edit"),
            json!({ "chatId": ANN, "messageId": full_id, "text": "Receipt attached" }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(app.get(&format!("{base}?q=receipt")).await.body["total"], 1);
    assert_eq!(app.get(&format!("{base}?q=invoice")).await.body["total"], 2);

    // What to change, in words.
    app.get(&format!("{base}?q=%20%20"))
        .await
        .assert_error(400, "q should not be empty");
    app.get(&base)
        .await
        .assert_error(400, "q should not be empty");
    app.get(&format!("{base}?q=a&limit=0"))
        .await
        .assert_envelope(400);
    app.get(&format!("{base}?q=a&direction=sideways"))
        .await
        .assert_envelope(400);
    app.get(&format!("{base}?q=a&chatId=bob"))
        .await
        .assert_envelope(400);
    app.get(&format!("{base}?q=a&colour=red"))
        .await
        .assert_error(400, "property colour should not exist");
    let ghost = uuid::Uuid::new_v4();
    app.get(&format!("/api/sessions/{ghost}/search?q=a"))
        .await
        .assert_envelope(404);
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[actix_web::test]
async fn a_search_across_sessions_stays_within_the_keys_sessions() {
    let app = spawn_app().await;
    let a = app.ready_session(&name("search-a"), "628111000702").await;
    let b = app.ready_session(&name("search-b"), "628111000703").await;
    incoming(&app, &a, ANN, "parcel for session a").await;
    incoming(&app, &b, ANN, "parcel for session b").await;

    let r = app.get("/api/search?q=parcel").await;
    assert_eq!(r.body["total"], 2, "{r:?}");
    let r = app
        .get(&format!("/api/search?q=parcel&sessionId={b}"))
        .await;
    assert_eq!(hit_bodies(&r), ["parcel for session b"]);

    let (_, scoped) = app
        .create_key(json!({ "name": "only-a", "role": "viewer", "allowedSessions": [a] }))
        .await;
    let get = |path: String| {
        let key = scoped.clone();
        let app = &app;
        async move {
            app.send(reqwest::Method::GET, &path, Some(&key), None)
                .await
        }
    };
    let r = get("/api/search?q=parcel".into()).await;
    assert_eq!(hit_bodies(&r), ["parcel for session a"], "{r:?}");
    // Asking for another session does not widen the key's reach.
    let r = get(format!("/api/search?q=parcel&sessionId={b}")).await;
    assert_eq!(
        (r.status.as_u16(), r.body["total"].clone()),
        (200, Value::from(0))
    );
    get(format!("/api/sessions/{b}/search?q=parcel"))
        .await
        .assert_envelope(401);
    app.send(reqwest::Method::GET, "/api/search?q=parcel", None, None)
        .await
        .assert_envelope(401);
}

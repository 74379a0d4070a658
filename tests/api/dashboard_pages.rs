//! The dashboard a team runs its WhatsApp from, in a real headless Chromium: lists that follow
//! changes made elsewhere, the daemon's engine as the default, what a viewer sees, confirmations,
//! rate limits told in words, focus and contrast, every page (overview, events, templates,
//! webhooks with filters and failures, audit), the languages, 1,000 sessions, and an axe-core
//! check of each page.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::*;

const LIVE: &str = "return document.querySelector('#live-status')?.dataset.state === 'live'";

/// axe-core (MPL-2.0, vendored for the tests only: the dashboard itself loads nothing foreign).
const AXE: &str = include_str!("../dashboard/vendor/axe.min.js");

async fn sign_in(b: &mut Browser, app: &TestApp, key: &str) {
    b.client.goto(&app.base).await.expect("open the dashboard");
    b.fill("#api-key", key).await;
    b.click("#signin-form button[type=submit]").await;
    b.until("the live socket", LIVE).await;
}

/// Opens a page through its nav link (no reload) and waits for its heading.
async fn open(b: &mut Browser, nav: &str, heading: &str) {
    b.click(&format!("a[data-nav='{nav}']")).await;
    b.until(
        &format!("the {heading} page"),
        &format!("return document.querySelector('#app h1')?.textContent === '{heading}'"),
    )
    .await;
}

/// Runs axe-core on the page as it is; fails on any serious or critical violation.
async fn accessible(b: &mut Browser, page: &str) {
    b.client
        .execute(AXE, vec![])
        .await
        .expect("axe-core loads in the page");
    let found = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))))
               .catch(e => done([{ id: 'axe-error', help: String(e) }]));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    assert_eq!(found, json!([]), "accessibility violations on {page}");
}

/// A JavaScript expression: the text of the first element matching `css`, or "".
fn text_expr(css: &str) -> String {
    format!("(document.querySelector(\"{css}\")?.textContent ?? '')")
}

fn text_of(css: &str) -> String {
    format!("return {}", text_expr(css))
}

/// ISSUE 20's defects, each as a user meets it.
#[actix_web::test]
async fn the_session_list_follows_other_clients_and_the_daemons_engine() {
    let Some(mut b) = Browser::start("dashboard-defects").await else {
        return;
    };
    // The test server is ENGINE_TYPE=sandbox, as after `ENGINE_TYPE=sandbox make run`.
    let app = spawn_app_with(&[("SANDBOX_QR_ROTATE_MS", "60000")]).await;
    let server = app.get("/api/server").await;
    assert_eq!(server.status, 200, "{server:?}");
    assert_eq!(server.body["defaultEngine"], "sandbox");
    assert_eq!(server.body["docsUrl"], "/api/docs");

    sign_in(&mut b, &app, &app.key).await;
    b.find("#session-create").await;
    b.until(
        "the engine field on the daemon's engine",
        "return document.querySelector('#session-engine').value === 'sandbox'",
    )
    .await;
    b.until(
        "the API docs link",
        "const a = document.querySelector('#docs-link'); return a && !a.hidden && a.getAttribute('href') === '/api/docs'",
    )
    .await;

    // A session another client creates appears, and goes when another client deletes it.
    let other = app.create_session("made-elsewhere").await;
    let row = format!("#sessions-table tr[data-session-id='{other}']");
    b.find(&row).await;
    assert_eq!(
        app.delete(&format!("/api/sessions/{other}")).await.status,
        204
    );
    b.until(
        "the deleted session's row gone",
        &format!("return !document.querySelector(\"{row}\")"),
    )
    .await;

    // Start from the page: the QR is asked for once it exists (no 400 before it), and closing
    // the panel gives the focus back to the row.
    let sid = app.create_session("front-desk").await;
    let row = format!("#sessions-table tr[data-session-id='{sid}']");
    b.find(&row).await;
    b.click(&format!("{row} button[data-action='start']")).await;
    b.find("#qr-image").await;
    b.until(
        "the QR in the panel",
        "return !!document.querySelector('#qr-image').getAttribute('src')",
    )
    .await;
    let refused = b
        .client
        .execute(
            "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/qr') && e.responseStatus >= 400).map(e => e.responseStatus)",
            vec![],
        )
        .await
        .expect("resource timings");
    assert_eq!(
        refused,
        json!([]),
        "the page asked for the QR before it existed"
    );
    b.click("#qr-close").await;
    b.until(
        "the focus back in the session's row",
        &format!("return !!document.activeElement?.closest(\"{row}\")"),
    )
    .await;

    // Log out unlinks the phone: it asks first, and Cancel changes nothing.
    app.post(
        &format!("/api/sandbox/sessions/{sid}/scan"),
        json!({ "phone": "628123450002" }),
    )
    .await;
    b.until(
        "the ready badge",
        &format!("return document.querySelector(\"{row} .badge\")?.dataset.status === 'ready'"),
    )
    .await;
    b.click(&format!("{row} button[data-action='logout']"))
        .await;
    b.until(
        "the confirmation",
        "return document.querySelector('#confirm-dialog').open && document.querySelector('#confirm-title').textContent === 'Log out?'",
    )
    .await;
    b.click("#confirm-cancel").await;
    assert_eq!(app.session(&sid).await["status"], "ready");

    // A focused input shows an outline; faint text is readable (axe checks every contrast).
    b.click("#session-name").await;
    let outline = b
        .client
        .execute(
            "const s = getComputedStyle(document.activeElement); return [document.activeElement.id, s.outlineStyle, s.outlineWidth]",
            vec![],
        )
        .await
        .expect("computed style");
    assert_eq!(outline[0], "session-name");
    assert_ne!(outline[1], "none", "{outline:?}");
    assert_ne!(outline[2], "0px", "{outline:?}");
    accessible(&mut b, "sessions").await;
    b.click("#theme-toggle").await;
    b.until(
        "the dark theme, its colour transitions done",
        "return document.documentElement.dataset.theme === 'dark' && document.getAnimations().every(a => !(a instanceof CSSTransition))",
    )
    .await;
    accessible(&mut b, "sessions, dark").await;
    b.click("#theme-toggle").await;

    // A viewer: no create form, no stray "null", no buttons that would be refused.
    let (_, viewer) = app
        .create_key(json!({ "name": "wall-screen", "role": "viewer" }))
        .await;
    b.click("#signout").await;
    sign_in(&mut b, &app, &viewer).await;
    b.find(&row).await;
    let page = b
        .client
        .execute(
            "return [document.querySelector('#app').innerText, !!document.querySelector('#session-create'), document.querySelectorAll('#sessions-table button[data-action]').length]",
            vec![],
        )
        .await
        .expect("the page");
    assert!(
        !page[0].as_str().unwrap_or_default().contains("null"),
        "{page:?}"
    );
    assert_eq!(page[1], false);
    assert_eq!(page[2], 0);
    b.shot("viewer").await;
    accessible(&mut b, "sessions, viewer").await;
    b.close().await;
}

/// A 429 is told in words and the page waits as asked, then carries on.
#[actix_web::test]
async fn a_rate_limited_page_backs_off_and_says_so_in_words() {
    let Some(mut b) = Browser::start("dashboard-429").await else {
        return;
    };
    // Ten requests at once, then one a second.
    let app = spawn_app_with(&[
        ("RATE_LIMIT_SHORT_TTL", "10000"),
        ("RATE_LIMIT_SHORT_LIMIT", "10"),
    ])
    .await;
    let sid = app.create_session("busy-desk").await;
    sign_in(&mut b, &app, &app.key).await;
    b.find(&format!("#sessions-table tr[data-session-id='{sid}']"))
        .await;
    let reads_ok = "return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/sessions?') && e.responseStatus === 200).length";
    let before = b.until("the first read", reads_ok).await;
    // Another client (same address) keeps the allowance used up until the page's read is
    // refused, then stops: the page's next try, after the wait it was told, is allowed.
    let stop = Arc::new(AtomicBool::new(false));
    let hammer = {
        let (client, url, key, stop) = (
            app.client.clone(),
            app.url("/api/sessions"),
            app.key.clone(),
            stop.clone(),
        );
        actix_web::rt::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let _ = client.get(&url).header("X-API-Key", &key).send().await;
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    wait_for("the allowance used up", || async {
        (app.get("/api/sessions").await.status == 429).then_some(())
    })
    .await;
    b.click("#sessions-refresh").await;
    b.until(
        "the page's read refused",
        "return performance.getEntriesByType('resource').some(e => e.name.includes('/api/sessions?') && e.responseStatus === 429)",
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    hammer.await.expect("the other client stops");
    b.until(
        "the back-off notice",
        "return [...document.querySelectorAll('#toasts .toast')].some(t => t.textContent.includes('slow down'))",
    )
    .await;
    // The read is tried again once allowed: the list stays, and no programmer's text shows.
    b.until("the list read again", &format!("{reads_ok} > {before}"))
        .await;
    let body = b
        .client
        .execute("return document.body.innerText", vec![])
        .await
        .expect("text");
    assert!(
        !body
            .as_str()
            .unwrap_or_default()
            .contains("ThrottlerException"),
        "{body}"
    );
    b.shot("backed-off").await;
    b.close().await;
}

/// Every page a team uses, with what it is for, and an accessibility check of each.
#[actix_web::test]
async fn every_page_works_for_a_team() {
    let Some(mut b) = Browser::start("dashboard-pages").await else {
        return;
    };
    let app = spawn_app_with(&[("SSRF_ALLOWED_HOSTS", "127.0.0.1")]).await;
    let sid = app.ready_session("support-line", "628123450003").await;
    app.send_text(&sid, "628999000222@c.us", "Your order shipped")
        .await;
    sign_in(&mut b, &app, &app.key).await;

    // Overview: sessions by status, the message chart and webhook health.
    open(&mut b, "overview", "Overview").await;
    b.until(
        "one ready session counted",
        "return document.querySelector(\"#overview-statuses [data-status='ready'] .stat-value\")?.textContent === '1'",
    )
    .await;
    b.until(
        "the sent message counted",
        &format!(
            "return {} === '1'",
            text_expr("#overview-outgoing .stat-value")
        ),
    )
    .await;
    b.find("svg.chart").await;
    b.shot("overview").await;
    accessible(&mut b, "overview").await;

    // Live events: an incoming message shows; paused, the next one waits and is counted.
    open(&mut b, "events", "Live events").await;
    let incoming = |text: &str| json!({ "from": "628999000222@c.us", "text": text });
    app.post(
        &format!("/api/sandbox/sessions/{sid}/incoming"),
        incoming("Is it here yet?"),
    )
    .await;
    b.until(
        "the message.received event",
        "return [...document.querySelectorAll('#events-list .event-item')].some(e => e.dataset.event === 'message.received' && e.textContent.includes('Is it here yet?'))",
    )
    .await;
    b.click("#events-pause").await;
    app.post(
        &format!("/api/sandbox/sessions/{sid}/incoming"),
        incoming("Hello?"),
    )
    .await;
    b.until(
        "the waiting count",
        "return document.querySelector('#events-status').textContent.includes('waiting')",
    )
    .await;
    let shown = b
        .client
        .execute(
            "return document.querySelector('#events-list').textContent.includes('Hello?')",
            vec![],
        )
        .await
        .expect("list");
    assert_eq!(shown, json!(false), "a paused monitor showed a new event");
    b.click("#events-pause").await;
    b.until(
        "the held event shown on resume",
        "return document.querySelector('#events-list').textContent.includes('Hello?')",
    )
    .await;
    b.fill("#events-kind", "session.*").await;
    b.until(
        "the filter hiding message events",
        "return ![...document.querySelectorAll('#events-list .event-item')].some(e => e.dataset.event.startsWith('message.'))",
    )
    .await;
    b.shot("events").await;
    accessible(&mut b, "events").await;

    // Templates: write one, see its placeholders, change it, delete it.
    open(&mut b, "templates", "Templates").await;
    b.until(
        "the session in the picker",
        &format!("return document.querySelector('#template-session').value === '{sid}'"),
    )
    .await;
    b.fill("#template-name", "shipped").await;
    b.fill(
        "#template-body",
        "Hi {{name}}, order {{order}} is on its way",
    )
    .await;
    b.until(
        "the placeholders found",
        "return document.querySelector('#template-placeholders').textContent.includes('name, order')",
    )
    .await;
    b.click("#template-form button[type=submit]").await;
    let tid = b
        .until(
            "the template's row",
            "const r = document.querySelector('#templates-table tr[data-template-id]'); return r && r.dataset.templateId",
        )
        .await;
    let tid = tid.as_str().expect("template id").to_string();
    let stored = app
        .get(&format!("/api/sessions/{sid}/templates/{tid}"))
        .await;
    assert_eq!(
        stored.body["body"],
        "Hi {{name}}, order {{order}} is on its way"
    );
    b.click(&format!(
        "tr[data-template-id='{tid}'] button[data-action='edit']"
    ))
    .await;
    b.fill("#template-footer", "Thanks, the shop").await;
    b.click("#template-form button[type=submit]").await;
    wait_for("the footer stored", || async {
        let t = app
            .get(&format!("/api/sessions/{sid}/templates/{tid}"))
            .await;
        (t.body["footer"] == "Thanks, the shop").then_some(())
    })
    .await;
    b.shot("templates").await;
    accessible(&mut b, "templates").await;
    b.click(&format!(
        "tr[data-template-id='{tid}'] button[data-action='delete']"
    ))
    .await;
    b.click("#confirm-ok").await;
    wait_for("the template deleted", || async {
        let t = app
            .get(&format!("/api/sessions/{sid}/templates/{tid}"))
            .await;
        (t.status == 404).then_some(())
    })
    .await;

    // Webhooks: a filter built in the form is stored; a delivery that failed for good is
    // listed and retried.
    open(&mut b, "webhooks", "Webhooks").await;
    b.until(
        "the session in the picker",
        &format!("return !!document.querySelector(\"#webhook-session option[value='{sid}']\")"),
    )
    .await;
    b.select("#webhook-session", &sid).await;
    // Nothing listens on port 9: every delivery fails at once, and with no retries for good.
    b.fill("#webhook-url", "http://127.0.0.1:9/orders").await;
    b.fill("#webhook-retry", "0").await;
    b.click("#webhook-add-condition").await;
    b.select(".condition .cond-field", "body").await;
    b.select(".condition .cond-op", "contains").await;
    b.fill(".condition .cond-value", "order").await;
    b.click("#webhook-form button[type=submit]").await;
    let hook = wait_for("the webhook stored", || async {
        let hooks = app.get(&format!("/api/sessions/{sid}/webhooks")).await;
        hooks.body.as_array().and_then(|h| h.first().cloned())
    })
    .await;
    assert_eq!(
        hook["filters"]["conditions"][0],
        json!({ "field": "body", "operator": "contains", "value": "order", "caseSensitive": false }),
        "{hook}"
    );
    app.post(
        &format!("/api/sandbox/sessions/{sid}/incoming"),
        incoming("Where is my order?"),
    )
    .await;
    let failures = format!("/api/webhooks/delivery-failures?sessionId={sid}");
    let (failed, tried) = wait_for("the delivery failed for good", || async {
        let f = app.get(&failures).await;
        let first = f.body.as_array()?.first()?.clone();
        Some((
            first["id"].as_str()?.to_string(),
            first["updatedAt"].clone(),
        ))
    })
    .await;
    // The failures are read as the session is chosen: reload, and choose it again.
    b.client.refresh().await.expect("reload");
    b.until("the live socket", LIVE).await;
    b.until(
        "the session in the picker",
        &format!("return !!document.querySelector(\"#webhook-session option[value='{sid}']\")"),
    )
    .await;
    b.select("#webhook-session", &sid).await;
    let retry =
        format!("#failures-table tr[data-delivery-id='{failed}'] button[data-action='retry']");
    b.find(&retry).await;
    b.shot("webhooks-failures").await;
    accessible(&mut b, "webhooks").await;
    b.click(&retry).await;
    b.until(
        "the retry confirmed",
        "return [...document.querySelectorAll('#toasts .toast')].some(t => t.textContent.includes('queued again'))",
    )
    .await;
    // Queued again, it is tried once more (and fails again, nothing listens): a newer row.
    wait_for("the delivery tried again", || async {
        let f = app.get(&failures).await;
        let row = f
            .body
            .as_array()?
            .iter()
            .find(|d| d["id"] == json!(failed))?
            .clone();
        (row["updatedAt"] != tried).then_some(())
    })
    .await;

    // Audit log: filtered by action, and exported as CSV.
    open(&mut b, "audit", "Audit log").await;
    b.select("#audit-action", "webhook.create").await;
    b.until(
        "only the webhook's creation",
        "const rows = [...document.querySelectorAll('#audit-table tr[data-audit-id]')]; return rows.length === 1 && rows[0].dataset.action === 'webhook.create'",
    )
    .await;
    b.click("#audit-export").await;
    // The file as the user gets it: downloaded by the browser.
    let downloads = b.downloads();
    let csv = wait_for("the CSV downloaded", || async {
        let file = std::fs::read_dir(&downloads).ok()?.flatten().find(|f| {
            let name = f.file_name().to_string_lossy().to_string();
            name.starts_with("openwa-audit-") && name.ends_with(".csv")
        })?;
        std::fs::read_to_string(file.path()).ok()
    })
    .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("createdAt,action,severity"), "{csv}");
    assert!(lines[1].contains(",webhook.create,info,"), "{csv}");
    b.shot("audit").await;
    accessible(&mut b, "audit").await;

    // Chats: the chat with its unread messages, its thread, mark read, an answer sent.
    open(&mut b, "chats", "Chats").await;
    b.until(
        "the session in the picker",
        &format!("return !!document.querySelector(\"#chats-session option[value='{sid}']\")"),
    )
    .await;
    b.select("#chats-session", &sid).await;
    let chat = "#chat-list button.chat-item[data-chat-id='628999000222@c.us']";
    b.until(
        "the chat's unread count",
        &format!(
            "return Number({}) >= 3",
            text_expr(&format!("{chat} .unread"))
        ),
    )
    .await;
    b.click(chat).await;
    b.until(
        "the thread of the chat",
        "return [...document.querySelectorAll('#thread-messages li[data-message-id] .body')].some(e => e.textContent.includes('Where is my order?'))",
    )
    .await;
    b.click("#mark-read").await;
    wait_for("the chat read at the API", || async {
        let chats = app.get(&format!("/api/sessions/{sid}/chats")).await;
        let unread = chats
            .body
            .as_array()?
            .iter()
            .find(|c| c["id"] == "628999000222@c.us")?["unreadCount"]
            .as_i64()?;
        (unread == 0).then_some(())
    })
    .await;
    b.fill("#composer-text", "It arrives tomorrow").await;
    b.click("#composer-send").await;
    b.until(
        "the answer in the thread",
        "return [...document.querySelectorAll('#thread-messages li[data-message-id] .body')].some(e => e.textContent.includes('It arrives tomorrow'))",
    )
    .await;
    let history = app.messages(&sid, "?chatId=628999000222@c.us").await;
    assert!(
        bodies(&history).iter().any(|t| t == "It arrives tomorrow"),
        "{history}"
    );
    b.fill("#check-number-phone", "628999000222").await;
    // Toasts of the answer sent may cover the button: submit the form as Enter would.
    b.client
        .execute(
            "document.querySelector('#check-number').requestSubmit(); return true",
            vec![],
        )
        .await
        .expect("submit the number check");
    b.until(
        "the number checked",
        "return document.querySelector('#check-number-result')?.dataset.exists !== undefined",
    )
    .await;
    b.shot("chats").await;
    accessible(&mut b, "chats").await;
    b.client
        .set_window_size(390, 844)
        .await
        .expect("phone-sized window");
    b.shot("chats-phone").await;
    let overflow = b
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1",
            vec![],
        )
        .await
        .expect("width");
    assert_eq!(
        overflow,
        json!(false),
        "the chats page is wider than a phone"
    );
    b.client
        .set_window_size(1280, 900)
        .await
        .expect("desktop window");

    // The console and the keys page pass the same check.
    open(&mut b, "console", "Message console").await;
    accessible(&mut b, "console").await;
    open(&mut b, "keys", "API keys").await;
    accessible(&mut b, "keys").await;
    b.close().await;
}

/// A thousand sessions: found by name or phone, filtered, sorted and paged, and still live.
#[actix_web::test]
async fn a_thousand_sessions_stay_findable_and_live() {
    let Some(mut b) = Browser::start("dashboard-1000").await else {
        return;
    };
    let app = spawn_app().await;
    let names: Vec<String> = (0..1000).map(|i| format!("desk-{i:04}")).collect();
    for chunk in names.chunks(25) {
        join_all(chunk.iter().map(|n| app.create_session(n))).await;
    }
    let linked = app.ready_session("vip-line", "628555000111").await;

    b.client.goto(&app.base).await.expect("open");
    b.fill("#api-key", &app.key).await;
    b.click("#signin-form button[type=submit]").await;
    let painted = b
        .until(
            "the first page of rows",
            "return document.querySelectorAll('#sessions-table tr[data-session-id]').length === 50 && performance.now()",
        )
        .await;
    let summary = b.until("the summary", &text_of("#sessions-summary")).await;
    assert!(
        summary
            .as_str()
            .unwrap_or_default()
            .starts_with("1001 sessions"),
        "{summary}"
    );
    let info = b.until("the pager", &text_of("#sessions-page-info")).await;
    assert_eq!(info, "1–50 of 1001");
    let heap = b
        .client
        .execute(
            "return performance.memory ? performance.memory.usedJSHeapSize : null",
            vec![],
        )
        .await
        .expect("heap");
    // Reported in the note; not a pass mark (speed is for `make bench`).
    eprintln!(
        "1000 sessions: first page painted {painted} ms after navigation, JS heap {heap} bytes"
    );
    let figures = json!({ "firstPageMs": painted, "jsHeapBytes": heap });
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("dashboard-1000.json"), figures.to_string());

    // Search by phone finds the linked one; by name a page of matches.
    b.fill("#sessions-search", "555000111").await;
    b.until(
        "only the linked session",
        &format!("const r = [...document.querySelectorAll('#sessions-table tr[data-session-id]')]; return r.length === 1 && r[0].dataset.sessionId === '{linked}'"),
    )
    .await;
    b.fill("#sessions-search", "desk-09").await;
    b.until(
        "the hundred desk-09xx sessions, paged",
        &format!(
            "return {} === '1–50 of 100'",
            text_expr("#sessions-page-info")
        ),
    )
    .await;
    b.click("#sessions-next").await;
    b.until(
        "the second page",
        &format!(
            "return {} === '51–100 of 100'",
            text_expr("#sessions-page-info")
        ),
    )
    .await;
    // Status filter and sort by name.
    b.fill("#sessions-search", "").await;
    b.select("#sessions-status-filter", "ready").await;
    b.until(
        "the one ready session",
        "return document.querySelectorAll('#sessions-table tr[data-session-id]').length === 1",
    )
    .await;
    b.select("#sessions-status-filter", "").await;
    b.select("#sessions-sort", "name").await;
    b.until(
        "desk-0000 first by name",
        "return document.querySelector('#sessions-table tr[data-session-id] .session-name')?.textContent === 'desk-0000'",
    )
    .await;
    // Still live: a status change elsewhere repaints its row.
    let first = b
        .until(
            "the first row's id",
            "return document.querySelector('#sessions-table tr[data-session-id]').dataset.sessionId",
        )
        .await;
    let first = first.as_str().expect("id").to_string();
    let r = app
        .post(&format!("/api/sessions/{first}/start"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    b.until(
        "the started badge, live",
        &format!("const s = document.querySelector(\"tr[data-session-id='{first}'] .badge\")?.dataset.status; return s && s !== 'created'"),
    )
    .await;
    b.shot("sessions-1000").await;
    b.close().await;
}

/// The dashboard speaks the browser's language, and the switch changes it.
#[actix_web::test]
async fn the_dashboard_speaks_the_browsers_language() {
    let Some(mut b) = Browser::start_in("dashboard-languages", "es").await else {
        return;
    };
    let app = spawn_app().await;
    b.client.goto(&app.base).await.expect("open");
    b.until(
        "Spanish from the browser",
        "return document.documentElement.lang === 'es' && document.querySelector('#lang-switch').value === 'es'",
    )
    .await;
    b.fill("#api-key", &app.key).await;
    b.click("#signin-form button[type=submit]").await;
    b.until("the live socket", LIVE).await;
    let nav = b.until("the nav", &text_of("a[data-nav='sessions']")).await;
    assert_eq!(nav, "Sesiones");
    b.shot("spanish").await;
    for (code, sessions) in [("pt-BR", "Sessões"), ("id", "Sesi"), ("en", "Sessions")] {
        b.select("#lang-switch", code).await;
        b.until(
            &format!("the page in {code}"),
            &format!("return document.documentElement.lang === '{code}' && document.querySelector(\"a[data-nav='sessions']\")?.textContent === '{sessions}'"),
        )
        .await;
        // Still signed in after the switch.
        b.until("the live socket", LIVE).await;
    }
    b.close().await;
}

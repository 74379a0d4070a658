//! The API's own documentation: the OpenAPI document and the routes agree both ways, every
//! documented private route refuses a caller without a key, the docs can be turned off, and
//! Swagger UI renders offline, under our Content-Security-Policy, in a real Chromium.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::{spawn_app, spawn_app_with};

/// A concrete path for a documented template: any well-formed id will do.
fn concrete(template: &str) -> String {
    template
        .replace("{session_id}", "0b0e6a6e-5c55-4d7e-9a55-0e5b6c7a8d01")
        .replace("{key_id}", "1b0e6a6e-5c55-4d7e-9a55-0e5b6c7a8d02")
        .replace("{webhook_id}", "2b0e6a6e-5c55-4d7e-9a55-0e5b6c7a8d03")
        .replace("{delivery_id}", "dlv_3b0e6a6e-5c55-4d7e-9a55-0e5b6c7a8d04")
        .replace("{batch_id}", "batch-1")
        .replace("{message_id}", "message-1")
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

#[actix_web::test]
async fn the_document_describes_every_route_and_only_those() {
    let app = spawn_app().await;
    let r = app.send(Method::GET, "/api/docs-json", None, None).await;
    assert_eq!(r.status, 200, "the document is public: {r:?}");
    let doc = r.body;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "OpenWA API");

    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let registered: BTreeSet<(String, String)> = openwa::http::route_table()
        .into_iter()
        .map(|(m, p)| (m.as_str().to_string(), p))
        .collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "documented routes that do not exist: {phantom:?}"
    );

    // Each documented route exists and guards itself: without a key, a private one answers 401
    // (never a 404), in the envelope; a public one does not ask for a key.
    let mut private = 0;
    for (method, path, op) in operations(&doc) {
        if path == "/api/metrics" {
            continue;
        }
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let r = app.send(method.clone(), &concrete(&path), None, None).await;
        if op.get("security").is_some() {
            private += 1;
            r.assert_error(401, "API key is required");
            assert!(
                op["responses"].get("401").is_some(),
                "{method} {path} does not document its 401"
            );
        } else {
            assert_ne!(
                r.status, 401,
                "{method} {path} is documented as public: {r:?}"
            );
            assert_ne!(
                r.status, 404,
                "{method} {path} is documented but absent: {r:?}"
            );
        }
    }
    assert!(private > 50, "only {private} private operations");

    // The webhook payloads are described, the test delivery's event among them.
    assert!(doc["webhooks"]["message.received"]["post"]["requestBody"].is_object());
    assert!(doc["webhooks"]["test"].is_object());
    // The CLI prints the same document.
    let out = std::process::Command::new(crate::helpers::binary())
        .arg("openapi")
        .env("DATA_DIR", std::env::temp_dir())
        .output()
        .expect("openwa openapi runs");
    assert!(out.status.success(), "{out:?}");
    let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(printed["paths"], doc["paths"]);
}

#[actix_web::test]
async fn the_docs_can_be_turned_off() {
    let app = spawn_app_with(&[("DOCS_ENABLED", "false")]).await;
    for path in ["/api/docs-json", "/api/docs", "/api/docs/index.html"] {
        app.send(Method::GET, path, None, None)
            .await
            .assert_error(404, &format!("Cannot GET {path}"));
    }
}

#[actix_web::test]
async fn swagger_ui_lists_the_operations_offline() {
    let app = spawn_app().await;
    // Served from the binary under the dashboard's policy: scripts and styles from here only.
    let page = reqwest::get(app.url("/api/docs/"))
        .await
        .expect("the page answers");
    assert_eq!(page.status(), 200);
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");

    let Some(mut b) = Browser::start("api-docs").await else {
        return;
    };
    b.client
        .goto(&app.url("/api/docs"))
        .await
        .expect("open the docs");
    let doc = app
        .send(Method::GET, "/api/docs-json", None, None)
        .await
        .body;
    // Every operation, and every webhook event (Swagger UI lists both as operations).
    let count = operations(&doc).len() + doc["webhooks"].as_object().map_or(0, |w| w.len());
    let shown = b
        .until(
            "Swagger UI to list every operation",
            &format!(
                "const n = document.querySelectorAll('.opblock').length; return n >= {count} && n"
            ),
        )
        .await;
    assert_eq!(shown.as_u64(), Some(count as u64));
    let title = b
        .until(
            "the title",
            "return document.querySelector('.info .title')?.textContent",
        )
        .await;
    assert!(
        title.as_str().is_some_and(|t| t.contains("OpenWA API")),
        "{title}"
    );
    // Nothing came from anywhere else (a CDN would be blocked by the policy, and is not there).
    let foreign = b
        .until(
            "the resources loaded",
            "return JSON.stringify(performance.getEntriesByType('resource').map(e => e.name).filter(u => !u.startsWith(location.origin)))",
        )
        .await;
    assert_eq!(foreign, "[]");
    b.shot("api-docs").await;
    b.close().await;
}

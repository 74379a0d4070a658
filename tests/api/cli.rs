//! The `openwa` command line and its systemd integration, run as an operator would.

use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;
use crate::process::Daemon;

/// Runs `openwa <args>` against `db` with the test settings; returns (exit code, stdout, stderr).
fn openwa(db: &TestDb, args: &[&str], extra: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = Command::new(binary())
        .args(args)
        .envs(test_env(db))
        .envs(extra.iter().copied())
        .output()
        .expect("run openwa");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[actix_web::test]
async fn a_key_created_on_the_command_line_works_over_http_until_revoked() {
    let db = std::sync::Arc::new(TestDb::new());
    let create = |name: &str, role: &str| {
        let (code, stdout, stderr) = openwa(
            &db,
            &["keys", "create", "--name", name, "--role", role],
            &[],
        );
        assert_eq!(code, Some(0), "{stderr}");
        let key = stdout.trim().to_string();
        assert!(
            key.starts_with("owa_k1_") && key.len() == 71,
            "stdout is the key alone: {stdout:?}"
        );
        key
    };
    let admin = create("locked-out admin", "admin");
    let bot = create("crm bot", "operator");

    let (code, listing, _) = openwa(&db, &["keys", "list"], &[]);
    assert_eq!(code, Some(0));
    for key in [&admin, &bot] {
        assert!(listing.contains(&key[..12]), "{listing}");
        assert!(
            !listing.contains(key.as_str()),
            "a listing never shows a secret"
        );
    }
    assert!(
        listing.contains("locked-out admin") && listing.contains("crm bot"),
        "{listing}"
    );

    let app = spawn_on(db.clone(), &[]).await;
    let get = |path: &str, key: &str| {
        app.client
            .get(app.url(path))
            .header("X-API-Key", key.to_string())
            .send()
    };
    let r = read(get("/api/auth/api-keys", &admin).await.unwrap()).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body.as_array().map(Vec::len),
        Some(2),
        "no key was seeded beside them"
    );
    assert_eq!(
        read(get("/api/sessions", &bot).await.unwrap()).await.status,
        200
    );

    let (code, _, stderr) = openwa(&db, &["keys", "revoke", &bot[..12]], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    // The daemon's key cache forgets it within 10 seconds.
    wait_for_within(
        Duration::from_secs(20),
        "the revoked key to be refused",
        || async {
            let r = read(get("/api/sessions", &bot).await.unwrap()).await;
            (r.status == 401).then_some(r)
        },
    )
    .await
    .assert_error(401, "API key is revoked");

    let (code, _, stderr) = openwa(&db, &["keys", "revoke", "owa_k1_00000000"], &[]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no key has the id or prefix"), "{stderr}");
    let (code, _, stderr) = openwa(&db, &["keys", "create", "--name", "ab"], &[]);
    assert_eq!(code, Some(1), "the API's name rule: {stderr}");
    assert!(
        stderr.contains("--name must be 3 to 100 characters"),
        "{stderr}"
    );
    let (code, _, stderr) = openwa(
        &db,
        &["keys", "create", "--name", "x", "--role", "root"],
        &[],
    );
    assert_eq!(code, Some(2), "clap refuses an unknown role");
    assert!(stderr.contains("admin"), "{stderr}");
}

#[test]
fn config_check_prints_the_effective_settings_masked_and_refuses_bad_ones() {
    let db = TestDb::new();
    let (code, stdout, stderr) = openwa(
        &db,
        &["config", "check"],
        &[
            ("METRICS_TOKEN", "very-secret-token"),
            ("LOG_FORMAT", "json"),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let settings: Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(settings["server"]["log_format"], "json");
    assert_eq!(settings["metrics"]["token"], "***");
    assert_eq!(settings["auth"]["master_key"], "***");
    assert!(!stdout.contains("very-secret-token") && !stdout.contains(ADMIN_KEY));

    for (var, value) in [
        ("LOG_FORMAT", "xml"),
        ("CORS_ORIGINS", "crm.example.com"),
        ("AUDIT_RETENTION_DAYS", "0"),
        ("PORT", "http"),
    ] {
        let (code, _, stderr) = openwa(&db, &["config", "check"], &[(var, value)]);
        assert_eq!(code, Some(2), "{var}={value}");
        assert!(stderr.contains(var), "{var}: {stderr}");
    }
}

#[test]
fn version_and_help_answer_for_every_command() {
    let db = TestDb::new();
    let (code, stdout, _) = openwa(&db, &["--version"], &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout.trim(),
        format!("openwa {}", env!("CARGO_PKG_VERSION"))
    );
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["keys", "--help"],
        vec!["keys", "create", "--help"],
        vec!["keys", "list", "--help"],
        vec!["keys", "revoke", "--help"],
        vec!["config", "check", "--help"],
    ] {
        let (code, stdout, _) = openwa(&db, &args, &[]);
        assert_eq!(code, Some(0), "{args:?}");
        assert!(stdout.contains("Usage: openwa"), "{args:?}: {stdout}");
    }
}

#[actix_web::test]
async fn json_logs_carry_the_request_id_of_every_line_of_a_request() {
    let db = TestDb::new();
    let daemon = Daemon::start(&db, &[("LOG_FORMAT", "json")]);
    let r = daemon
        .call_with(
            reqwest::Method::POST,
            "/api/sessions",
            serde_json::json!({ "name": "traced" }),
            "trace-7f3a",
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let of_request = wait_for("the request's log lines", || async {
        let lines = daemon.lines.lock().unwrap().clone();
        let mine: Vec<Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["requestId"] == "trace-7f3a")
            .collect();
        (mine.len() >= 2).then_some(mine)
    })
    .await;
    let messages: Vec<&str> = of_request
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("created (sandbox engine)")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("POST /api/sessions 201")),
        "{messages:?}"
    );
    // Every line is JSON, and none shows the admin key.
    for line in daemon.lines.lock().unwrap().iter() {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(parsed["level"].is_string() && parsed["time"].is_string());
        assert!(!line.contains(ADMIN_KEY), "secret in a log line: {line}");
    }
}

#[actix_web::test]
async fn under_systemd_it_reports_ready_then_keeps_the_watchdog_fed() {
    let db = TestDb::new();
    let socket_path = db.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("notify socket");
    socket
        .set_read_timeout(Some(DEADLINE))
        .expect("read timeout");
    let daemon = Daemon::start(
        &db,
        &[
            ("NOTIFY_SOCKET", socket_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "200000"),
        ],
    );
    let mut buf = [0u8; 512];
    let mut received = Vec::new();
    while received
        .iter()
        .filter(|m: &&String| m.contains("WATCHDOG=1"))
        .count()
        < 2
    {
        let n = socket
            .recv(&mut buf)
            .expect("a notification before the deadline");
        received.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert!(
        received[0].contains("READY=1"),
        "readiness first: {received:?}"
    );
    // Ready means ready: the API answers.
    let r = daemon
        .call(reqwest::Method::GET, "/api/health/ready", None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let Ok(out) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("skipped: systemd-analyze is not installed here");
        return;
    };
    assert!(out.status.success());
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/openwa.service"
    ))
    .expect("config/openwa.service");
    for needed in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "User=openwa",
        "StateDirectory=openwa",
        "Environment=DATA_DIR=/var/lib/openwa",
        "EnvironmentFile=-/etc/openwa/openwa.env",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=",
    ] {
        assert!(unit.contains(needed), "the unit lacks {needed:?}");
    }
    // Verified as installed, except that ExecStart names the binary under test.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("openwa.service");
    let unit = unit.replace("/usr/local/bin/openwa", binary().to_str().unwrap());
    std::fs::write(&path, unit).expect("unit copy");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze verify");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let about_unit: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("openwa.service"))
        .collect();
    assert!(out.status.success() && about_unit.is_empty(), "{stderr}");
}

//! A real headless Chromium, driven through chromedriver, for the dashboard tests.
//!
//! Chromium is a system package: where it is missing the browser tests say so and pass, unless
//! `CI=true` or `OPENWA_REQUIRE_BROWSER=1`, where a missing browser fails them (`.ci/run`
//! installs it). Screenshots go to `test-artifacts/dashboard/<backend>/` in the repository, or
//! under `OPENWA_TEST_ARTIFACTS`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::helpers::{on_postgres, wait_for, DEADLINE};

const CHROMIUM: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub client: Client,
    driver: Child,
    shots: PathBuf,
    taken: usize,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("OPENWA_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

impl Browser {
    /// A fresh headless Chromium, or `None` (with a note) where none is installed and none is
    /// required.
    pub async fn start(suite: &str) -> Option<Browser> {
        Self::start_in(suite, "en-US").await
    }

    /// [`Browser::start`] with the browser's language set to `lang` (what `navigator.languages`
    /// and Accept-Language say).
    pub async fn start_in(suite: &str, lang: &str) -> Option<Browser> {
        let chromium = CHROMIUM.iter().find(|p| Path::new(p).exists());
        let (Some(chromium), true) = (chromium, Path::new(CHROMEDRIVER).exists()) else {
            assert!(
                !required(),
                "Chromium and chromedriver are required here (apt-get install chromium chromium-driver)"
            );
            eprintln!("SKIPPED {suite}: no Chromium/chromedriver (apt-get install chromium chromium-driver)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let status = reqwest::Client::new();
        wait_for("chromedriver to answer", || async {
            let r = status.get(format!("{url}/status")).send().await.ok()?;
            let body: Value = r.json().await.ok()?;
            (body["value"]["ready"] == true).then_some(())
        })
        .await;
        let root = std::env::var("OPENWA_TEST_ARTIFACTS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts"));
        let backend = if on_postgres() { "postgres" } else { "sqlite" };
        let shots = root.join(suite).join(backend);
        let _ = std::fs::remove_dir_all(&shots);
        let downloads = shots.join("downloads");
        std::fs::create_dir_all(&downloads).expect("artifacts folder");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-dev-shm-usage", "--window-size=1280,900", format!("--lang={lang}"),
                    "--enable-precise-memory-info",
                ],
                "prefs": {
                    "intl.accept_languages": lang,
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a Chromium session");
        Some(Browser {
            client,
            driver,
            shots,
            taken: 0,
        })
    }

    /// Where the browser saves what the page downloads.
    pub fn downloads(&self) -> PathBuf {
        self.shots.join("downloads")
    }

    /// Saves a screenshot named `NN-<name>.png`; returns its path.
    pub async fn shot(&mut self, name: &str) -> PathBuf {
        self.taken += 1;
        let path = self.shots.join(format!("{:02}-{name}.png", self.taken));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("screenshot written");
        path
    }

    /// Saves what the page looks like and holds, then fails the test with `why`.
    async fn fail(&mut self, why: &str) -> ! {
        let _ = self.shot("FAILED").await;
        if let Ok(html) = self.client.source().await {
            let _ = std::fs::write(self.shots.join("FAILED.html"), html);
        }
        panic!(
            "{why} (screenshot and page source in {})",
            self.shots.display()
        );
    }

    /// The first element matching `css` that is displayed, waiting up to [`DEADLINE`].
    pub async fn find(&mut self, css: &str) -> Element {
        let deadline = std::time::Instant::now() + DEADLINE;
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if el.is_displayed().await.unwrap_or(false) {
                    return el;
                }
            }
            if std::time::Instant::now() > deadline {
                self.fail(&format!("timed out waiting for {css} to show"))
                    .await;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `script` (a function body returning a value) returns something truthy;
    /// returns that value.
    pub async fn until(&mut self, what: &str, script: &str) -> Value {
        let deadline = std::time::Instant::now() + DEADLINE;
        loop {
            if let Ok(v) = self.client.execute(script, vec![]).await {
                let truthy = !matches!(&v, Value::Null | Value::Bool(false))
                    && v != json!("")
                    && v != json!(0);
                if truthy {
                    return v;
                }
            }
            if std::time::Instant::now() > deadline {
                self.fail(&format!("timed out waiting for {what}")).await;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn click(&mut self, css: &str) {
        let el = self.find(css).await;
        if let Err(e) = el.click().await {
            self.fail(&format!("could not click {css}: {e}")).await;
        }
    }

    /// Clears the field and types `text` into it.
    pub async fn fill(&mut self, css: &str, text: &str) {
        let el = self.find(css).await;
        let _ = el.clear().await;
        if let Err(e) = el.send_keys(text).await {
            self.fail(&format!("could not type into {css}: {e}")).await;
        }
    }

    pub async fn select(&mut self, css: &str, value: &str) {
        let el = self.find(css).await;
        if let Err(e) = el.select_by_value(value).await {
            self.fail(&format!("could not select {value} in {css}: {e}"))
                .await;
        }
    }

    pub async fn close(self) {
        let client = self.client.clone();
        let _ = client.close().await;
    }
}

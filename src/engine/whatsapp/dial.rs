//! How an engine reaches WhatsApp. The crate retries a failed dial forever and says nothing, so the
//! engine dials itself: directly or through the session's proxy (HTTP CONNECT or SOCKS), with a
//! bound on each attempt, reporting why an attempt failed. Its HTTP client (version check, media)
//! gets the same proxy, timeouts and reporting.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_websockets::{ClientBuilder, Connector};
use whatsapp_rust::anyhow;
use whatsapp_rust::async_channel::Receiver;
use whatsapp_rust::async_trait;
use whatsapp_rust::http::{HttpClient, HttpRequest, HttpResponse, UreqHttpClient};
use whatsapp_rust::transport::{
    default_tls_connector, from_websocket, Transport, TransportEvent, TransportFactory,
};
use whatsapp_rust::wacore::net::{StreamingHttpResponse, UploadBody, WHATSAPP_WEB_ORIGIN};

/// Longest a dial (TCP, proxy, TLS, WebSocket upgrade) may take before it counts as failed.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(15);
const HTTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const HTTP_RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Receives a sentence saying why a connection attempt failed.
pub type Reporter = Arc<dyn Fn(String) + Send + Sync>;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProxyKind {
    Http,
    Https,
    Socks4,
    Socks5,
}

/// A session's proxy, parsed once when its engine is created.
#[derive(Clone)]
pub struct Proxy {
    kind: ProxyKind,
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
    /// The URL as given, for the HTTP client.
    url: String,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.describe())
    }
}

impl Proxy {
    /// Parses `proxyUrl`; `proxyType`, when given, names the protocol for a URL without a scheme
    /// the API accepts. The error says what is wrong, for `lastError`.
    pub fn parse(url: &str, kind: Option<&str>) -> Result<Self, String> {
        let bad = |why: &str| format!("Proxy URL is unusable: {why}");
        let uri: http::Uri = url.parse().map_err(|_| bad("not a URL"))?;
        let scheme = uri.scheme_str().or(kind).unwrap_or("http");
        let kind = match scheme {
            "http" => ProxyKind::Http,
            "https" => ProxyKind::Https,
            "socks4" | "socks4a" => ProxyKind::Socks4,
            "socks5" | "socks5h" => ProxyKind::Socks5,
            _ => return Err(bad("the protocol must be http, https, socks4 or socks5")),
        };
        let host = uri
            .host()
            .ok_or_else(|| bad("it has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(match kind {
            ProxyKind::Http => 80,
            ProxyKind::Https => 443,
            ProxyKind::Socks4 | ProxyKind::Socks5 => 1080,
        });
        let credentials = uri
            .authority()
            .and_then(|a| a.as_str().rsplit_once('@'))
            .map(|(userinfo, _)| match userinfo.split_once(':') {
                Some((u, p)) => (u.to_string(), p.to_string()),
                None => (userinfo.to_string(), String::new()),
            });
        Ok(Self {
            kind,
            host,
            port,
            credentials,
            url: url.to_string(),
        })
    }

    /// The host dialed (without IPv6 brackets), for the SSRF guard.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `http`, `https`, `socks4` or `socks5`.
    pub fn scheme(&self) -> &'static str {
        match self.kind {
            ProxyKind::Http => "http",
            ProxyKind::Https => "https",
            ProxyKind::Socks4 => "socks4",
            ProxyKind::Socks5 => "socks5",
        }
    }

    /// `host:port`, never with credentials.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// `socks5://host:1080`, never with credentials: this goes into `lastError` and logs.
    pub fn describe(&self) -> String {
        format!("{}://{}", self.scheme(), self.address())
    }

    /// A byte stream to `host:port` through this proxy.
    async fn tunnel(&self, host: &str, port: u16) -> Result<Box<dyn Io>, String> {
        let proxy = (self.host.as_str(), self.port);
        let failed = |e: &dyn std::fmt::Display| format!("proxy {} failed: {e}", self.describe());
        match self.kind {
            ProxyKind::Socks5 => {
                let stream = match &self.credentials {
                    Some((user, pass)) => {
                        tokio_socks::tcp::Socks5Stream::connect_with_password(
                            proxy,
                            (host, port),
                            user,
                            pass,
                        )
                        .await
                    }
                    None => tokio_socks::tcp::Socks5Stream::connect(proxy, (host, port)).await,
                }
                .map_err(|e| failed(&e))?;
                Ok(Box::new(stream))
            }
            ProxyKind::Socks4 => {
                let stream = match &self.credentials {
                    Some((user, _)) => {
                        tokio_socks::tcp::Socks4Stream::connect_with_userid(
                            proxy,
                            (host, port),
                            user,
                        )
                        .await
                    }
                    None => tokio_socks::tcp::Socks4Stream::connect(proxy, (host, port)).await,
                }
                .map_err(|e| failed(&e))?;
                Ok(Box::new(stream))
            }
            ProxyKind::Http | ProxyKind::Https => {
                let tcp = TcpStream::connect(proxy).await.map_err(|e| failed(&e))?;
                let mut stream: Box<dyn Io> = if self.kind == ProxyKind::Https {
                    Box::new(
                        default_tls_connector()
                            .wrap(&self.host, tcp)
                            .await
                            .map_err(|e| failed(&e))?,
                    )
                } else {
                    Box::new(tcp)
                };
                self.connect_request(&mut stream, host, port)
                    .await
                    .map_err(|e| failed(&e))?;
                Ok(stream)
            }
        }
    }

    /// HTTP `CONNECT`: asks the proxy for a tunnel and reads its answer up to the blank line (one
    /// byte at a time, so nothing of the tunnel is read by mistake).
    async fn connect_request(
        &self,
        stream: &mut Box<dyn Io>,
        host: &str,
        port: u16,
    ) -> std::io::Result<()> {
        let mut request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
        if let Some((user, pass)) = &self.credentials {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await?;
        stream.flush().await?;
        let mut head = Vec::with_capacity(256);
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 8192 {
                return Err(std::io::Error::other("answer to CONNECT is too long"));
            }
            let mut byte = [0u8; 1];
            if stream.read(&mut byte).await? == 0 {
                return Err(std::io::Error::other(
                    "closed the connection during CONNECT",
                ));
            }
            head.push(byte[0]);
        }
        let status_line = String::from_utf8_lossy(&head);
        let status_line = status_line.lines().next().unwrap_or_default();
        let ok = status_line
            .split_whitespace()
            .nth(1)
            .is_some_and(|code| code == "200");
        if ok {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "answered CONNECT with \"{status_line}\""
            )))
        }
    }
}

/// The engine's `TransportFactory`: one WebSocket to WhatsApp (or the configured stand-in) per call.
pub struct Dialer {
    uri: http::Uri,
    proxy: Option<Proxy>,
    report: Reporter,
}

impl Dialer {
    pub fn new(ws_url: &str, proxy: Option<Proxy>, report: Reporter) -> Result<Self, String> {
        let uri = ws_url
            .parse()
            .map_err(|_| format!("ENGINE_WS_URL is not a URL: {ws_url}"))?;
        Ok(Self { uri, proxy, report })
    }

    async fn dial(&self) -> Result<Box<dyn Io>, String> {
        let host = self
            .uri
            .host()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls = self.uri.scheme_str() == Some("wss");
        let port = self.uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let tcp: Box<dyn Io> = match &self.proxy {
            Some(proxy) => proxy.tunnel(&host, port).await?,
            None => Box::new(
                TcpStream::connect((host.as_str(), port))
                    .await
                    .map_err(|e| format!("cannot reach {host}:{port}: {e}"))?,
            ),
        };
        let connector = if tls {
            default_tls_connector()
        } else {
            Connector::Plain
        };
        let stream = connector
            .wrap(&host, tcp)
            .await
            .map_err(|e| format!("TLS with {host} failed: {e}"))?;
        Ok(Box::new(stream))
    }

    async fn open(&self) -> Result<(Arc<dyn Transport>, Receiver<TransportEvent>), String> {
        let stream = self.dial().await?;
        let origin = http::HeaderValue::from_static(WHATSAPP_WEB_ORIGIN);
        let builder = ClientBuilder::from_uri(self.uri.clone())
            .add_header(http::header::ORIGIN, origin)
            .map_err(|e| format!("bad WebSocket request: {e}"))?;
        let (ws, _) = builder
            .connect_on(stream)
            .await
            .map_err(|e| format!("WebSocket upgrade failed: {e}"))?;
        Ok(from_websocket(ws))
    }

    fn target(&self) -> String {
        match &self.proxy {
            Some(p) => format!("{} through proxy {}", self.uri, p.describe()),
            None => self.uri.to_string(),
        }
    }
}

#[async_trait]
impl TransportFactory for Dialer {
    async fn create_transport(
        &self,
    ) -> anyhow::Result<(Arc<dyn Transport>, Receiver<TransportEvent>)> {
        let reason = match tokio::time::timeout(DIAL_TIMEOUT, self.open()).await {
            Ok(Ok(transport)) => return Ok(transport),
            Ok(Err(e)) => format!("Cannot connect to WhatsApp: {e}"),
            Err(_) => format!(
                "Cannot connect to WhatsApp: no answer from {} within {} s",
                self.target(),
                DIAL_TIMEOUT.as_secs()
            ),
        };
        (self.report)(reason.clone());
        Err(anyhow::anyhow!(reason))
    }
}

/// The crate's ureq client with our timeouts and the session's proxy, reporting failed requests
/// (before a connection, the only request is the version check).
pub struct Http {
    inner: UreqHttpClient,
    report: Reporter,
}

impl Http {
    pub fn new(proxy: Option<&Proxy>, report: Reporter) -> Result<Self, String> {
        let mut config = ureq::Agent::config_builder()
            .timeout_connect(Some(HTTP_CONNECT_TIMEOUT))
            .timeout_recv_response(Some(HTTP_RESPONSE_TIMEOUT));
        if let Some(proxy) = proxy {
            let p = ureq::Proxy::new(&proxy.url)
                .map_err(|e| format!("proxy {} is unusable: {e}", proxy.describe()))?;
            config = config.proxy(Some(p));
        }
        let agent: ureq::Agent = config.build().into();
        Ok(Self {
            inner: UreqHttpClient::with_agent(agent),
            report,
        })
    }
}

#[async_trait]
impl HttpClient for Http {
    async fn execute(&self, request: HttpRequest) -> anyhow::Result<HttpResponse> {
        let host = request
            .url
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.host().map(str::to_string))
            .unwrap_or_default();
        let result = self.inner.execute(request).await;
        if let Err(e) = &result {
            (self.report)(format!("Cannot reach {host}: {e}"));
        }
        result
    }

    fn supports_streaming(&self) -> bool {
        self.inner.supports_streaming()
    }

    fn execute_streaming(&self, request: HttpRequest) -> anyhow::Result<StreamingHttpResponse> {
        self.inner.execute_streaming(request)
    }

    fn supports_upload_streaming(&self) -> bool {
        self.inner.supports_upload_streaming()
    }

    fn execute_upload(
        &self,
        request: HttpRequest,
        body: UploadBody,
        content_length: u64,
    ) -> anyhow::Result<HttpResponse> {
        self.inner.execute_upload(request, body, content_length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_and_never_show_credentials() {
        let p = Proxy::parse("socks5://user:secret@10.0.0.1:9050", None).unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5);
        assert_eq!(p.describe(), "socks5://10.0.0.1:9050");
        assert_eq!(p.credentials, Some(("user".into(), "secret".into())));
        assert!(!format!("{p:?}").contains("secret"));
        let p = Proxy::parse("http://proxy.example:3128", None).unwrap();
        assert_eq!((p.kind, p.port), (ProxyKind::Http, 3128));
        assert_eq!(
            Proxy::parse("https://proxy.example", None).unwrap().port,
            443
        );
        assert!(Proxy::parse("ftp://proxy.example", None).is_err());
        assert!(Proxy::parse("not a url", None).is_err());
    }
}

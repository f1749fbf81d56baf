//! Pairing on a LAN shared with strangers (issue #30): `integra join` never hands the PIN (or
//! anything to test a guess against) to whatever answers, a relay to the real hub gets no
//! token, and every SPAKE2 attempt is a guess the hub counts. Strangers are loopback addresses
//! (127.0.0.x); nothing leaves loopback.

use super::common::*;
use super::hub::start_hub;
use futures_util::{SinkExt, StreamExt};
use integra::hub::client::Remote;
use integra::hub::{Role, auth, pake};
use integra::store::Store;
use serde_json::{Value, json};
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::Message;

type Seen = Arc<Mutex<Vec<u8>>>;

/// A stream that keeps a copy of every byte read from it.
struct Recording<S> {
    inner: S,
    seen: Seen,
}

impl<S: AsyncRead + Unpin> AsyncRead for Recording<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let fresh = buf.filled()[before..].to_vec();
            self.seen.lock().expect("seen").extend(fresh);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recording<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A TLS listener at 127.0.0.n with an identity of its own (not the hub's).
async fn own_tls(
    n: u8,
) -> (
    tokio::net::TcpListener,
    tokio_rustls::TlsAcceptor,
    String,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = integra::hub::tls::Identity::load_or_create(dir.path()).expect("identity");
    let acceptor = tokio_rustls::TlsAcceptor::from(id.server_config().expect("tls"));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::new(127, 0, 0, n), 0))
        .await
        .expect("listen");
    (listener, acceptor, id.fingerprint(), dir)
}

/// What a fake hub got: every byte after TLS, and the WebSocket text messages.
#[derive(Default, Clone)]
struct FakeView {
    bytes: Seen,
    texts: Arc<Mutex<Vec<String>>>,
}

/// A fake hub at 127.0.0.n (its own certificate) that plays the hub as well as it can: it
/// answers the device's pairing with offers made from the PIN it guesses (`guess`), bound to
/// its own TLS connection, and keeps everything it receives.
async fn fake_hub(n: u8, guess: &str) -> (SocketAddr, FakeView, tempfile::TempDir) {
    let (listener, acceptor, _, dir) = own_tls(n).await;
    let addr = listener.local_addr().expect("address");
    let view = FakeView::default();
    let kept = view.clone();
    let guess = auth::pin_hash(guess);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, kept, guess) = (acceptor.clone(), kept.clone(), guess.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let binding = match pake::Channel::of(tls.get_ref().1) {
                    pake::Channel::Tls13(e) => e.to_vec(),
                    pake::Channel::OlderTls => Vec::new(),
                };
                let stream = Recording {
                    inner: tls,
                    seen: kept.bytes.clone(),
                };
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let mut offered = false;
                while let Ok(Some(Ok(m))) =
                    tokio::time::timeout(Duration::from_secs(3), ws.next()).await
                {
                    let Message::Text(t) = m else { continue };
                    kept.texts.lock().expect("texts").push(t.to_string());
                    if offered {
                        continue;
                    }
                    let Ok(hello) = serde_json::from_str::<pake::Hello>(t.as_str()) else {
                        continue;
                    };
                    let Ok((_, offers)) = pake::Hub::answer(
                        &hello,
                        std::slice::from_ref(&guess),
                        &binding,
                        pake::os_rng(),
                    ) else {
                        continue;
                    };
                    offered = true;
                    let _ = ws
                        .send(Message::Text(json!(offers).to_string().into()))
                        .await;
                }
            });
        }
    });
    (addr, view, dir)
}

/// A hub over TLS with its own identity in its data directory (as `integra hub` runs it).
async fn tls_hub() -> (integra::hub::Hub, SocketAddr, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = integra::hub::Hub::new(
        integra::engine::Engine::open(dir.path(), catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let id = integra::hub::tls::Identity::load_or_create(dir.path()).expect("identity");
    let (addr, _task) = hub
        .serve_with(
            "127.0.0.1:0".parse().expect("addr"),
            Some(id.server_config().expect("tls")),
        )
        .await
        .expect("serve");
    assert!(hub.wait_ready(Duration::from_secs(10)).await);
    (hub, addr, dir, id.fingerprint())
}

/// A man in the middle at 127.0.0.n: it terminates the device's TLS with its own certificate
/// and forwards everything over its own TLS connection to the hub at `to` (trusting whatever
/// certificate it shows). Returns its address and everything the hub sent back through it.
async fn relay(n: u8, to: SocketAddr) -> (SocketAddr, Seen, tempfile::TempDir) {
    let (listener, acceptor, _, dir) = own_tls(n).await;
    let addr = listener.local_addr().expect("address");
    let from_hub = Seen::default();
    let kept = from_hub.clone();
    let config = Arc::new(
        integra::hub::tls::client_config(&integra::hub::tls::Pin::first_use()).expect("config"),
    );
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, kept, config) = (acceptor.clone(), kept.clone(), config.clone());
            tokio::spawn(async move {
                let Ok(mut device) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(upstream) = tokio::net::TcpStream::connect(to).await else {
                    return;
                };
                let name = rustls::pki_types::ServerName::from(to.ip());
                let Ok(hub) = tokio_rustls::TlsConnector::from(config)
                    .connect(name, upstream)
                    .await
                else {
                    return;
                };
                let mut hub = Recording {
                    inner: hub,
                    seen: kept,
                };
                let _ = tokio::io::copy_bidirectional(&mut device, &mut hub).await;
            });
        }
    });
    (addr, from_hub, dir)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// `integra join` against a fake hub (its own certificate, a stranger's machine on the LAN):
/// for two different PINs the fake gets the same thing — the device's name and one SPAKE2
/// message, nothing holding the PIN or its hash — and after the fake's offers (made from a
/// guessed PIN) the device sends nothing more, so the fake cannot test a guess offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_hub_gets_nothing_from_join_that_reveals_the_pin() {
    let (fake, view, _dir) = fake_hub(31, "00000000").await;
    let mut shapes = Vec::new();
    for pin in ["12345678", "87654321"] {
        let before = view.texts.lock().expect("texts").len();
        let url = format!("https://{fake}");
        let joined = tokio::task::spawn_blocking(move || {
            Remote::pair_pinned(&url, pin, "Lobby TV", None).map(|p| p.token)
        })
        .await
        .expect("join");
        assert!(joined.is_err(), "a device paired with a fake hub");
        let bytes = view.bytes.lock().expect("bytes").clone();
        assert!(!bytes.is_empty(), "the fake hub heard nothing at all");
        for secret in [pin.to_string(), auth::pin_hash(pin)] {
            assert!(
                !contains(&bytes, &secret),
                "the fake hub got {secret} from join: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        // Exactly one message (the device stopped at the fake's offers): a name and a
        // SPAKE2 element of 33 bytes.
        let texts = view.texts.lock().expect("texts")[before..].to_vec();
        assert_eq!(texts.len(), 1, "{texts:?}");
        let hello: Value = serde_json::from_str(&texts[0]).expect("json");
        let fields: Vec<&String> = hello.as_object().expect("object").keys().collect();
        let a = pake::unhex(hello["spake2"].as_str().expect("spake2")).expect("hex");
        shapes.push((fields.into_iter().cloned().collect::<Vec<_>>(), a.len()));
        assert_eq!(hello["name"], "Lobby TV");
    }
    assert_eq!(
        shapes[0], shapes[1],
        "the two PINs look different to the fake"
    );
    assert_eq!(shapes[0].1, 33);
}

/// A relay that terminates TLS with its own certificate and forwards to the real hub: join
/// through it is refused by the device, the hub sends no token through it, no device is
/// paired, and the same PIN then pairs directly — pinning the real hub's certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_to_the_real_hub_gets_no_token_and_join_refuses_it() {
    let (_hub, addr, dir, fingerprint) = tls_hub().await;
    let store = Store::open(dir.path()).expect("store");
    let pin = auth::new_pin(&store, Role::Counter, chrono::Utc::now())
        .expect("pin")
        .0;
    let (relay_addr, from_hub, _relay_dir) = relay(32, addr).await;
    let (url, p) = (format!("https://{relay_addr}"), pin.clone());
    let through_relay =
        tokio::task::spawn_blocking(move || Remote::pair_pinned(&url, &p, "Desk 3", None))
            .await
            .expect("join");
    let seen = from_hub.lock().expect("seen").clone();
    assert!(!seen.is_empty(), "the relay reached the hub");
    assert!(
        through_relay.is_err(),
        "a device paired through a relay: {:?}",
        through_relay.map(|p| p.fingerprint)
    );
    assert!(
        !contains(&seen, "itg_"),
        "the hub sent a token through the relay: {}",
        String::from_utf8_lossy(&seen)
    );
    assert!(store.devices().expect("devices").is_empty());
    // The real hub, directly: the PIN still pairs, and the device pins the hub's certificate.
    let url = format!("https://{addr}");
    let paired =
        tokio::task::spawn_blocking(move || Remote::pair_pinned(&url, &pin, "Desk 3", None))
            .await
            .expect("join")
            .expect("pair with the real hub");
    assert_eq!(paired.role, "counter");
    assert_eq!(paired.fingerprint.as_deref(), Some(fingerprint.as_str()));
    assert_eq!(store.devices().expect("devices").len(), 1);
}

/// One SPAKE2 pairing from 127.0.0.n with `pin`, the device's side played by hand: the hub's
/// final answer, or the HTTP status that refused the WebSocket. A device whose check of the
/// offers fails sends a forged proof (what a guessing stranger would).
pub(super) async fn spake2_from(addr: SocketAddr, n: u8, pin: &str) -> Result<(bool, Value), u16> {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, n), 0)))
        .expect("bind");
    let tcp = socket.connect(addr).await.expect("connect");
    let url = format!("ws://{addr}/api/v1/pair/spake2");
    let mut ws = match tokio_tungstenite::client_async(url, tcp).await {
        Ok((ws, _)) => ws,
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => return Err(r.status().as_u16()),
        Err(e) => panic!("upgrade: {e}"),
    };
    let device = pake::Device::new(&auth::pin_hash(pin), [n; 32]);
    let text = |v: Value| Message::Text(v.to_string().into());
    ws.send(text(json!(device.hello("stranger"))))
        .await
        .expect("hello");
    let offers: pake::Offers = serde_json::from_value(next_text(&mut ws).await).expect("offers");
    assert_eq!(offers.offers.len(), pake::OFFERS);
    let checked = device.check("stranger", &offers, &[]);
    let proof = checked.as_ref().map_or_else(
        |_| json!({"offer": 0, "confirm": "00".repeat(32)}),
        |p| json!(p),
    );
    ws.send(text(proof)).await.expect("proof");
    Ok((checked.is_ok(), next_text(&mut ws).await))
}

async fn next_text(ws: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) -> Value {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                return serde_json::from_str::<Value>(t.as_str()).expect("json");
            }
            Some(Ok(_)) => {}
            other => panic!("the pairing ended without an answer: {other:?}"),
        }
    }
}

/// A SPAKE2 attempt is one guess, counted before it is checked: a wrong PIN gets offers that
/// do not check and a forged proof is refused; after the address's attempts are used, even
/// the right PIN waits (429) while another address pairs with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spake2_attempt_counts_against_the_pairing_limit() {
    let h = start_hub(catalog()).await;
    let pin = h.pin(Role::Display);
    for i in 0..auth::ATTEMPTS_PER_ADDRESS {
        let wrong = format!("{:08}", 11_111_111 + i);
        let (checked, answer) = spake2_from(h.addr, 33, &wrong).await.expect("let in");
        assert!(!checked, "the offers checked with a wrong PIN");
        assert_eq!(answer["error"]["code"], "wrong-pin", "{answer}");
    }
    assert_eq!(spake2_from(h.addr, 33, &pin).await.err(), Some(429));
    let (checked, answer) = spake2_from(h.addr, 34, &pin).await.expect("let in");
    assert!(checked);
    assert_eq!(answer["role"], "display", "{answer}");
    let token = answer["token"].as_str().expect("token");
    let (s, me) = h.call("GET", "/api/v1/me", Some(token), None).await;
    assert_eq!(s, reqwest::StatusCode::OK);
    assert_eq!(me["device"]["name"], "stranger");
    // Used: the same PIN pairs nobody else.
    let (_, again) = spake2_from(h.addr, 35, &pin).await.expect("let in");
    assert_eq!(again["error"]["code"], "wrong-pin", "{again}");
}

/// Accepts any certificate (a test's TLS 1.2 client; the signatures are still checked).
#[derive(Debug)]
struct AnyCertificate(rustls::crypto::WebPkiSupportedAlgorithms);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// Pairing runs on TLS 1.3 only (TLS 1.2's exporter binds the handshake only with the extended
/// master secret): `join` offers nothing older, so a fake hub speaking TLS 1.2 gets no byte of
/// the pairing; and the hub refuses the SPAKE2 route on a TLS 1.2 connection (426) — a device
/// cannot be talked down to a weaker binding, nor to the browsers' PIN-in-the-body route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_runs_on_tls_1_3_only() {
    use rustls::pki_types::pem::PemObject;
    let provider = integra::hub::tls::provider();
    // A fake hub that speaks TLS 1.2 only.
    let dir = tempfile::tempdir().expect("tempdir");
    integra::hub::tls::Identity::load_or_create(dir.path()).expect("identity");
    let cert = rustls::pki_types::CertificateDer::from_pem_file(
        dir.path().join(integra::hub::tls::CERT_FILE),
    )
    .expect("certificate");
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(
        dir.path().join(integra::hub::tls::KEY_FILE),
    )
    .expect("key");
    let config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::new(127, 0, 0, 36), 0))
        .await
        .expect("listen");
    let fake = listener.local_addr().expect("address");
    let (handshakes, heard) = (Arc::new(Mutex::new(0)), Seen::default());
    let (count, kept) = (handshakes.clone(), heard.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(tls) = acceptor.clone().accept(tcp).await else {
                continue;
            };
            *count.lock().expect("count") += 1;
            let mut stream = Recording {
                inner: tls,
                seen: kept.clone(),
            };
            let mut sink = Vec::new();
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut sink),
            )
            .await;
        }
    });
    let url = format!("https://{fake}");
    let joined = tokio::task::spawn_blocking(move || {
        Remote::pair_pinned(&url, "12345678", "Desk 4", None).map(|p| p.token)
    })
    .await
    .expect("join");
    assert!(joined.is_err(), "join paired over TLS 1.2");
    assert_eq!(
        *handshakes.lock().expect("count"),
        0,
        "join finished a TLS 1.2 handshake"
    );
    assert!(heard.lock().expect("heard").is_empty());
    // The real hub, reached over TLS 1.2 by hand: the SPAKE2 route refuses before the upgrade.
    let (_hub, addr, _dir, _) = tls_hub().await;
    let algorithms = provider.signature_verification_algorithms;
    let mut client = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(algorithms)))
        .with_no_client_auth();
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(client))
        .connect(rustls::pki_types::ServerName::from(addr.ip()), tcp)
        .await
        .expect("TLS 1.2 to the hub");
    assert_eq!(
        tls.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    match tokio_tungstenite::client_async(format!("ws://{addr}/api/v1/pair/spake2"), tls).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status().as_u16(), 426);
            let body: Value =
                serde_json::from_slice(r.body().as_deref().unwrap_or_default()).expect("json");
            assert_eq!(body["error"]["code"], "tls-version", "{body}");
        }
        Ok(_) => panic!("the hub paired over TLS 1.2"),
        Err(e) => panic!("upgrade: {e}"),
    }
}

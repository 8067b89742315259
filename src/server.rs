//! Serving HTTP on the open internet: the accept loop with the timeouts a public server
//! needs, and the client's address for every request.
//!
//! `axum::serve` has no header-read timeout, so 1 000 half-open connections (headers
//! never finished) were held indefinitely. Here hyper's HTTP/1 header timeout closes a
//! connection that does not finish its request head — or, kept alive, does not start the
//! next one — within the configured time (20 s by default); bodies are cut off by `web::hardening` when they
//! stall between chunks.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The address of the client, as the server saw it (a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The address behind a request: the peer, or — only when the install says it runs
    /// behind a reverse proxy — the last address that proxy appended to
    /// `X-Forwarded-For` (the ones before it are the client's own claims).
    pub fn of(parts: &axum::http::request::Parts, behind_proxy: bool) -> IpAddr {
        let peer = parts
            .extensions
            .get::<ClientAddr>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0);
        if !behind_proxy {
            return peer;
        }
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back()
            .unwrap_or(peer)
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open requests finish
/// (for up to 30 seconds).
///
/// # Errors
/// Accepting connections failed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ClientAddr(canonical(peer)));
            app.clone().oneshot(req.map(Body::new))
        });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("open connections did not finish within 30 s");
        }
    }
    Ok(())
}

fn canonical(peer: SocketAddr) -> IpAddr {
    match peer.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address as an extractor (see [`ClientAddr::of`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<crate::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(ClientAddr::of(parts, state.config.behind_proxy)))
    }
}

/// Whether the request reached us over HTTPS: always when the install says its cookies
/// are secure, or when the trusted reverse proxy says so in `X-Forwarded-Proto`.
pub fn over_https(headers: &axum::http::HeaderMap, config: &crate::config::Config) -> bool {
    config.secure_cookies
        || (config.behind_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
}

/// Makes glibc return large freed blocks to the system at once.
///
/// Every password check allocates Argon2's 19 MiB block. glibc serves the first such
/// block with `mmap`, and on freeing it raises its "mmap threshold" past 19 MiB, after
/// which the blocks come from the heap arenas and are kept: measured here, each sign-in
/// added ~19 MB of resident memory until ~380 MB. Pinning the threshold at its default
/// (128 KiB) turns that dynamic adjustment off: big blocks are always mapped and unmapped,
/// and a login flood leaves memory where it was (8 → 12 MB anonymous over 200 attempts).
///
/// And at most two glibc arenas. Rust allocates through mimalloc, but SQLite (C) through
/// glibc, each of the pool's connections on a thread of its own — and glibc gave each
/// thread an arena that kept what its searches had freed: at a million applications,
/// concurrent broad searches and scans left the server at 244–291 MB anonymous; with two
/// arenas, 141 MB after the same load (throughput of the pages unchanged: SQLite's
/// allocations are few and large, contention on two arenas does not show).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes an allocator parameter; it is called once at start-up,
    // before the runtime spawns threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

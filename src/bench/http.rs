//! What a person gets: the product served on a loopback port, its pages and API lists
//! asked by signed-in users — one request at a time (latency), then by 16 clients on
//! keep-alive connections for a few seconds (throughput, p50 / p99) — each beside the
//! sign-in page, which touches no database (the ceiling), and the server's memory after.
//!
//! The server is a `registrar serve` process of its own on the bench's database; the
//! load generator is in the bench's process (hyper's HTTP/1 client on one connection per
//! client): the figures include the client's cost, as `wrk` on the same machine would.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;

use crate::AppState;

/// One page's figures.
#[derive(Debug, Clone)]
pub struct Figure {
    pub what: String,
    /// Median of sequential requests on one connection.
    pub single: Duration,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers other than 200 under load (must be 0).
    pub failures: u64,
}

/// A request's headers: a session cookie or a bearer token.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Cookie(String),
    Bearer(String),
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One GET; its status and how long the whole answer took.
async fn get(sender: &mut Sender, path: &str, auth: &Auth) -> anyhow::Result<(u16, Duration)> {
    let mut req = Request::get(path).header("host", "127.0.0.1");
    req = match auth {
        Auth::None => req,
        Auth::Cookie(c) => req.header("cookie", c.as_str()),
        Auth::Bearer(t) => req.header("authorization", format!("Bearer {t}")),
    };
    let req = req.body(Empty::<Bytes>::new())?;
    sender.ready().await?;
    let t = Instant::now();
    let resp = sender.send_request(req).await?;
    let status = resp.status().as_u16();
    resp.into_body().collect().await?;
    Ok((status, t.elapsed()))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Measures `path`: 15 sequential requests (median), then `clients` connections asking
/// as fast as they are answered for `seconds`.
///
/// # Errors
/// The page does not answer 200 to the first request, or the connection fails.
pub async fn measure(
    addr: SocketAddr,
    what: &str,
    path: &str,
    auth: &Auth,
    clients: usize,
    seconds: f64,
) -> anyhow::Result<Figure> {
    let mut one = connect(addr).await?;
    let (status, _) = get(&mut one, path, auth).await?;
    anyhow::ensure!(status == 200, "{what}: {path} answered {status}");
    let mut single = Vec::new();
    for _ in 0..15 {
        single.push(get(&mut one, path, auth).await?.1);
    }
    single.sort();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let auth = auth.clone();
        let path = path.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await?;
            let mut times = Vec::new();
            let mut failures = 0u64;
            while Instant::now() < deadline {
                let (status, took) = get(&mut sender, &path, &auth).await?;
                if status != 200 {
                    failures += 1;
                }
                times.push(took);
            }
            anyhow::Ok((times, failures))
        }));
    }
    let mut times = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (mine, failed) = t.await??;
        times.extend(mine);
        failures += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    Ok(Figure {
        what: what.to_owned(),
        single: percentile(&single, 0.5),
        per_second: times.len() as f64 / elapsed.max(1e-9),
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
        failures,
    })
}

/// A session cookie of `login` (signed in the way the form does).
async fn cookie_of(st: &AppState, login: &str) -> anyhow::Result<String> {
    let attempt = crate::auth::session::Attempt {
        login,
        password: crate::seed::DEMO_PASSWORD,
        client: std::net::IpAddr::from([127, 0, 0, 1]),
    };
    match crate::auth::session::sign_in(st, attempt).await? {
        Ok(s) => Ok(format!(
            "{}={}",
            crate::auth::session::COOKIE,
            s.cookie_value
        )),
        Err(r) => anyhow::bail!("{login} cannot sign in: {}", r.message()),
    }
}

/// The server under load: a `registrar serve` of its own on the bench's database (the
/// same binary), so its memory is the server's alone — not the bench's generated data —
/// and it shares the machine with the load generator as it would with `wrk`.
struct Server {
    child: tokio::process::Child,
    addr: SocketAddr,
}

impl Server {
    async fn start(database_url: &str, documents_dir: &std::path::Path) -> anyhow::Result<Self> {
        // A free loopback port: bound and let go; `serve` binds it a moment later.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .args(["serve", "--bind", &addr.to_string()])
            .env("DATABASE_URL", database_url)
            .env("REGISTRAR_DOCUMENTS_DIR", documents_dir)
            .env("REGISTRAR_SCHEDULER", "0")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("the bench's server stopped at start: {status}");
            }
            if let Ok(mut sender) = connect(addr).await
                && let Ok((200, _)) = get(&mut sender, "/login", &Auth::None).await
            {
                return Ok(Self { child, addr });
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(120),
                "the bench's server did not answer on {addr} within two minutes"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn memory(&self) -> Option<(f64, f64)> {
        memory_of(&format!("/proc/{}/status", self.child.id()?))
    }
}

/// A process's memory, from its `/proc/…/status` (Linux), in MiB: (resident, anonymous).
fn memory_of(status_path: &str) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(status_path).ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("RssAnon:")?))
}

/// The server's memory: its peak anonymous memory under the load (sampled every 50 ms)
/// and what it holds once the load is over, in MiB.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub peak_anonymous: f64,
    pub resident_after: f64,
    pub anonymous_after: f64,
}

/// Serves the product from a server process of its own on the bench's database and
/// measures what people get: the registry of a partner, a sales center and the operator,
/// a search, the API list, beside the sign-in page; and the server's memory.
///
/// # Errors
/// The server cannot start or a page does not answer 200.
pub async fn run(
    st: &AppState,
    search: &str,
    clients: usize,
    seconds: f64,
) -> anyhow::Result<(Vec<Figure>, Option<Memory>)> {
    let mut server = Server::start(&st.config.database_url, &st.config.documents_dir).await?;
    let addr = server.addr;
    let pid = server.child.id();
    let (stop_sampling, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let sampler = tokio::spawn(async move {
        let path = format!("/proc/{}/status", pid.unwrap_or_default());
        let mut peak: Option<f64> = None;
        loop {
            if let Some((_, anon)) = memory_of(&path) {
                peak = Some(peak.map_or(anon, |p| p.max(anon)));
            }
            tokio::select! {
                _ = &mut stopped => return peak,
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    });
    let partner = Auth::Cookie(cookie_of(st, "p-klg-1").await?);
    let center = Auth::Cookie(cookie_of(st, "sc-klg").await?);
    let operator = Auth::Cookie(cookie_of(st, "operator").await?);
    let token = Auth::Bearer(
        crate::auth::token::create_for(
            &st.db,
            crate::audit::Actor::system("bench"),
            "p-klg-1",
            st.clock.now(),
            Some(1),
        )
        .await?,
    );
    let query = form_urlencoded::byte_serialize(search.as_bytes()).collect::<String>();
    let plan: Vec<(&str, String, &Auth)> = vec![
        (
            "sign-in page (no database: the ceiling)",
            "/login".to_owned(),
            &Auth::None,
        ),
        (
            "/applications, partner p-klg-1",
            "/applications".to_owned(),
            &partner,
        ),
        (
            "/applications, sales center sc-klg",
            "/applications".to_owned(),
            &center,
        ),
        (
            "/applications, operator",
            "/applications".to_owned(),
            &operator,
        ),
        (
            "/applications?q=<name>, partner",
            format!("/applications?q={query}"),
            &partner,
        ),
        (
            "GET /api/v1/applications, partner (bearer)",
            "/api/v1/applications".to_owned(),
            &token,
        ),
        ("GET /api/v1/me (bearer)", "/api/v1/me".to_owned(), &token),
    ];
    let mut out = Vec::new();
    for (what, path, auth) in plan {
        out.push(measure(addr, what, &path, auth, clients, seconds).await?);
    }
    let _ = stop_sampling.send(());
    let peak = sampler.await?;
    let mem = match (peak, server.memory()) {
        (Some(peak), Some((rss, anon))) => Some(Memory {
            peak_anonymous: peak.max(anon),
            resident_after: rss,
            anonymous_after: anon,
        }),
        _ => None,
    };
    server.child.kill().await?;
    Ok((out, mem))
}

/// The HTTP section of the report.
pub fn render(figures: &[Figure], clients: usize, mem: Option<Memory>) -> String {
    let ceiling = figures.first().map_or(1.0, |f| f.per_second.max(1e-9));
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let mut out = format!(
        "\nHTTP, {clients} concurrent clients on keep-alive connections (the load generator in the bench's process, the server in a process of its own)\n\n| page | one request | req/s | p50 | p99 | of the ceiling | failures |\n|---|---|---|---|---|---|---|\n"
    );
    for f in figures {
        out.push_str(&format!(
            "| {} | {} | {:.0} | {} | {} | {:.2} % | {} |\n",
            f.what,
            ms(f.single),
            f.per_second,
            ms(f.p50),
            ms(f.p99),
            100.0 * f.per_second / ceiling,
            f.failures
        ));
    }
    if let Some(m) = mem {
        out.push_str(&format!(
            "\nThe server's memory (a `registrar serve` process of its own): {:.0} MiB anonymous at the peak of the load; after it, {:.0} MiB anonymous, {:.0} MiB resident (with the database's mapped pages)\n",
            m.peak_anonymous, m.anonymous_after, m.resident_after
        ));
    }
    out
}

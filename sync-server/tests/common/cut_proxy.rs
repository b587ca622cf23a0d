//! A TCP proxy on 127.0.0.1 that cuts connections, for the photo-upload cut test and benchmark
//! (tests/photo_cuts.rs, examples/bench_photo_cut.rs).
//!
//! It forwards bytes both ways between a client and `upstream`. While it has cuts left, each new
//! connection gets a random budget of client-to-server bytes; when a connection has forwarded its
//! budget, both of its sockets are dropped mid-stream, as a mobile network drops a connection.
//! It counts the client-to-server bytes it forwarded, the bytes that reached the server (what was
//! in flight at a cut is the network's loss, not the protocol's overhead): all of them, and those
//! of request bodies (it reads the HTTP/1.1 framing: headers, then `Content-Length` bytes).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct CutProxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

struct Shared {
    upstream: SocketAddr,
    cuts_left: AtomicUsize,
    cuts: AtomicUsize,
    /// A connection's budget is 1..=max_budget bytes.
    max_budget: AtomicU64,
    forwarded: AtomicU64,
    body: AtomicU64,
    connections: AtomicUsize,
    rng: Mutex<u64>,
}

impl Shared {
    fn budget(&self) -> Option<u64> {
        if self.cuts_left.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut x = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        // xorshift64*: reproducible from the seed the test prints.
        *x ^= *x >> 12;
        *x ^= *x << 25;
        *x ^= *x >> 27;
        let n = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        Some(1 + n % self.max_budget.load(Ordering::SeqCst).max(1))
    }

    /// Takes one cut, if any are left.
    fn take_cut(&self) -> bool {
        self.cuts_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

impl CutProxy {
    /// A proxy to `upstream` that cuts nothing until [`CutProxy::arm`]ed.
    pub async fn start(upstream: SocketAddr, seed: u64) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            cuts_left: AtomicUsize::new(0),
            cuts: AtomicUsize::new(0),
            max_budget: AtomicU64::new(1),
            forwarded: AtomicU64::new(0),
            body: AtomicU64::new(0),
            connections: AtomicUsize::new(0),
            rng: Mutex::new(seed.max(1)),
        });
        let accepting = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let shared = accepting.clone();
                tokio::spawn(async move {
                    let _ = forward(client, shared).await;
                });
            }
        });
        CutProxy { addr, shared }
    }

    /// Cuts the next `cuts` connections that reach their budget, each after 1..=`max_budget`
    /// client-to-server bytes.
    pub fn arm(&self, cuts: usize, max_budget: u64) {
        self.shared.max_budget.store(max_budget, Ordering::SeqCst);
        self.shared.cuts_left.store(cuts, Ordering::SeqCst);
    }

    /// Connections cut so far.
    pub fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Client-to-server bytes forwarded so far.
    pub fn forwarded(&self) -> u64 {
        self.shared.forwarded.load(Ordering::SeqCst)
    }

    /// Request-body bytes forwarded so far.
    pub fn body(&self) -> u64 {
        self.shared.body.load(Ordering::SeqCst)
    }

    /// Starts counting again (cuts, connections and bytes).
    pub fn reset(&self) {
        self.shared.body.store(0, Ordering::SeqCst);
        self.shared.cuts.store(0, Ordering::SeqCst);
        self.shared.connections.store(0, Ordering::SeqCst);
        self.shared.forwarded.store(0, Ordering::SeqCst);
    }
}

async fn forward(client: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    shared.connections.fetch_add(1, Ordering::SeqCst);
    let server = TcpStream::connect(shared.upstream).await?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let mut budget = None;
    let mut requests = Requests::default();
    let upstream = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = from_client.read(&mut buf).await?;
            // Drawn at the first bytes after arming, so a kept-alive connection is cut too.
            if budget.is_none() {
                budget = shared.budget();
            }
            if n == 0 {
                to_server.shutdown().await?;
                // Half-closed: the answer may still come back.
                return std::future::pending::<std::io::Result<()>>().await;
            }
            let (pass, cut) = match budget {
                Some(left) if (n as u64) >= left && shared.take_cut() => (left as usize, true),
                Some(left) if (n as u64) >= left => {
                    // No cuts left after all (other connections took them): this one goes on.
                    budget = None;
                    (n, false)
                }
                Some(left) => {
                    budget = Some(left - n as u64);
                    (n, false)
                }
                None => (n, false),
            };
            to_server.write_all(&buf[..pass]).await?;
            shared.forwarded.fetch_add(pass as u64, Ordering::SeqCst);
            shared
                .body
                .fetch_add(requests.feed(&buf[..pass]), Ordering::SeqCst);
            if cut {
                shared.cuts.fetch_add(1, Ordering::SeqCst);
                return Ok(());
            }
        }
    };
    let downstream = tokio::io::copy(&mut from_server, &mut to_client);
    // Whichever ends first ends the connection: a cut drops both sockets at once.
    tokio::select! {
        r = upstream => r,
        r = downstream => r.map(|_| ()),
    }
}

/// Where a connection's stream of HTTP/1.1 requests is: in a request's headers, or in its body.
#[derive(Default)]
struct Requests {
    head: Vec<u8>,
    body_left: u64,
}

impl Requests {
    /// Reads `data`; returns how many of its bytes were request body.
    fn feed(&mut self, mut data: &[u8]) -> u64 {
        let mut body = 0;
        while !data.is_empty() {
            if self.body_left > 0 {
                let n = self.body_left.min(data.len() as u64);
                body += n;
                self.body_left -= n;
                data = &data[n as usize..];
                continue;
            }
            self.head.push(data[0]);
            data = &data[1..];
            if self.head.ends_with(b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.head).to_ascii_lowercase();
                self.body_left = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                self.head.clear();
            }
        }
        body
    }
}

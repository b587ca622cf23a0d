//! Benchmark (c) of the sync issue: one photo's display copy uploaded by the app's sync client
//! through a fault-injecting TCP proxy on 127.0.0.1 that cuts the upload at random 50 times (each
//! connection dropped after a random number of bytes), the client resuming from the server's
//! offset after each cut; printed next to an uncut upload of the same copy in the same run.
//!
//! Bytes sent / payload, both as request bodies (what resuming costs; target <= 1.05) and as
//! everything that reached the server, headers included. Bytes in flight at a cut, lost by the
//! network, are not counted: they depend on the network's window, not on the protocol.
//!
//! `cargo run --release -p buqi-server --example bench_photo_cut [-- --cuts 50 --rounds 5]`

#[allow(dead_code)]
#[path = "../tests/common/cut_proxy.rs"]
mod cut_proxy;
#[allow(dead_code)]
#[path = "../tests/common/photo_cut.rs"]
mod photo_cut;

use photo_cut::{camera_jpeg, upload_through_cuts, Upload};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number, not {v:?}"))
        })
        .unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn row(what: &str, runs: &[Upload]) {
    let m = |f: &dyn Fn(&Upload) -> f64| median(runs.iter().map(f).collect());
    println!(
        "{what:<8} {:>9.0} {:>6.0} {:>9.0} {:>11.4} {:>13.4} {:>10.1}",
        m(&|u| u.payload as f64),
        m(&|u| u.cuts as f64),
        m(&|u| u.attempts as f64),
        m(&|u| u.ratio()),
        m(&|u| u.wire_ratio()),
        m(&|u| u.seconds * 1000.0),
    );
}

#[tokio::main]
async fn main() {
    let cuts = arg("--cuts", 50);
    let rounds = arg("--rounds", 5).max(1);
    let dir = tempfile::tempdir().unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let jpeg = camera_jpeg(2048, 1536, 7);
    let (mut whole, mut cut) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let seed = seed.wrapping_add(round as u64);
        whole.push(upload_through_cuts(dir.path(), &jpeg, 0, seed).await);
        cut.push(upload_through_cuts(dir.path(), &jpeg, cuts, seed).await);
    }
    println!(
        "(c) one display copy through a proxy that cuts it {cuts} times, the app's sync client resuming; medians of {rounds} rounds (seed {seed})"
    );
    println!(
        "{:<8} {:>9} {:>6} {:>9} {:>11} {:>13} {:>10}",
        "upload", "bytes", "cuts", "attempts", "body/copy", "wire/copy", "ms"
    );
    row("uncut", &whole);
    row("cut", &cut);
    let worst = cut.iter().map(Upload::ratio).fold(0.0, f64::max);
    println!(
        "target: body/copy <= 1.05 (worst of {rounds} rounds: {worst:.4}); wire/copy counts the requests' headers too (about {:.0} bytes a cut)",
        median(
            cut.iter()
                .zip(&whole)
                .map(|(c, w)| (c.forwarded as f64 - w.forwarded as f64) / c.cuts.max(1) as f64)
                .collect()
        )
    );
}

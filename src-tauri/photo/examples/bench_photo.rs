//! The photo pipeline against `vipsthumbnail`, on a generated 12-megapixel camera-like JPEG.
//!
//! ```text
//! cargo run --release -p buqi-photo --example bench_photo [-- --rounds 15]
//! ```
//! (`scripts/bench-photo.sh` installs libvips-tools if needed and runs this.)
//!
//! Each round times, one after the other, wall clock:
//!
//! - **ours**: read `original.jpg`, `buqi_photo::process` with the default settings (SHA-256 of
//!   the original, EXIF, 2048-px display copy and 320-px thumbnail at quality 85, original
//!   kept in memory), write the two JPEGs to files (no fsync);
//! - **ours + stamp**: the same with a Chinese stamp burned into the display copy;
//! - **reference**: `vipsthumbnail original.jpg --size 2048 -o display.jpg[Q=85,strip]`, then
//!   `vipsthumbnail original.jpg --size 320 -o thumb.jpg[Q=85,strip]`, then
//!   `sha256sum original.jpg` — three processes, as a shell script would run them; vips may
//!   use all cores and shrinks on load where it can (the 320-px one decodes at 1/8 scale).
//!
//! A warm-up round (page cache, font parsing, vips's first start) is not counted. It prints
//! medians and 90th percentiles, the ratio ours / reference, and the target (≤ 0.6), then
//! where our time goes, stage by stage.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use buqi_photo::{process, process_timed, LonLat, Settings, Stamp};

fn main() {
    let mut rounds = 15usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--rounds takes a number")
            }
            other => panic!("unknown argument {other:?} (only --rounds N)"),
        }
    }

    let dir = tempfile::tempdir().expect("a temporary directory");
    let original = dir.path().join("original.jpg");
    let exif = common::tiff(&common::ExifSpec {
        orientation: Some(1),
        date_time_original: Some("2024:05:01 10:20:30"),
        offset_time_original: Some("+08:00"),
        gps: Some((30.5927, 114.3054)),
        bearing: Some((132.5, "T")),
        ..Default::default()
    });
    let image = common::photo_like(4000, 3000);
    let jpeg = common::jpeg(&image, 90, Some(&exif));
    std::fs::write(&original, &jpeg).expect("write the test photo");
    drop(image);
    println!(
        "test photo: 4000 × 3000 (12.0 MP), JPEG quality 90, 4:2:0, with EXIF, {:.2} MB",
        jpeg.len() as f64 / 1_048_576.0
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("cores: {cores}; rounds: {rounds} (+1 warm-up)");

    let vips = Command::new("vipsthumbnail")
        .arg("--vips-version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match &vips {
        Some(v) => println!("reference: vipsthumbnail ({v}) ×2 + sha256sum"),
        None => println!(
            "reference: vipsthumbnail not found (apt-get install libvips-tools); ours only"
        ),
    }

    let stamp = Stamp {
        taken_at: "2024-05-01 10:20".into(),
        position: Some(LonLat {
            lon: 114.3054,
            lat: 30.5927,
        }),
        community: "武汉市武昌区水果湖街道东亭社区".into(),
        item: "4 老年服务站".into(),
        surveyor: "王小明".into(),
    };
    let settings = Settings::default();
    let ours = |stamp: Option<&Stamp>| {
        let start = Instant::now();
        let bytes = std::fs::read(&original).expect("read the test photo");
        let photo = process(&bytes, &settings, stamp).expect("the pipeline accepts the test photo");
        std::fs::write(dir.path().join("ours-display.jpg"), &photo.display.jpeg).unwrap();
        std::fs::write(dir.path().join("ours-thumb.jpg"), &photo.thumbnail.jpeg).unwrap();
        let elapsed = start.elapsed();
        assert_eq!((photo.display.width, photo.display.height), (2048, 1536));
        assert_eq!((photo.thumbnail.width, photo.thumbnail.height), (320, 240));
        elapsed
    };
    let reference = || {
        let start = Instant::now();
        for (size, name) in [(2048, "ref-display.jpg"), (320, "ref-thumb.jpg")] {
            let out = dir.path().join(name);
            run(Command::new("vipsthumbnail")
                .arg(&original)
                .arg("--size")
                .arg(size.to_string())
                .arg("-o")
                .arg(format!("{}[Q=85,strip]", out.display())));
        }
        run(Command::new("sha256sum").arg(&original));
        start.elapsed()
    };

    let (mut plain, mut stamped, mut refs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..=rounds {
        let a = ours(None);
        let b = ours(Some(&stamp));
        let c = vips.as_ref().map(|_| reference());
        if round > 0 {
            plain.push(a);
            stamped.push(b);
            refs.extend(c);
        }
    }
    if vips.is_some() {
        check_reference_sizes(dir.path());
    }

    println!();
    println!("{:<44} {:>10} {:>10}", "per photo", "median ms", "p90 ms");
    let row = |name: &str, t: &[Duration]| {
        println!("{:<44} {:>10.1} {:>10.1}", name, ms(median(t)), ms(p90(t)));
    };
    row("ours: hash + display + thumbnail", &plain);
    row("ours: hash + display + thumbnail + stamp", &stamped);
    if !refs.is_empty() {
        row("reference: vipsthumbnail 2048 + 320 + sha256sum", &refs);
        let ratio = |t: &[Duration]| ms(median(t)) / ms(median(&refs));
        println!();
        println!(
            "ratio ours / reference: {:.2}× (with stamp {:.2}×); target ≤ 0.60× — {}",
            ratio(&plain),
            ratio(&stamped),
            if ratio(&plain) <= 0.6 {
                "met"
            } else {
                "NOT met"
            }
        );
    }

    println!();
    println!(
        "where our time goes (median of {rounds} runs, no stamp; ‖ = on two threads at once):"
    );
    let bytes = std::fs::read(&original).unwrap();
    let mut stages: Vec<(&str, Vec<Duration>)> = Vec::new();
    for _ in 0..rounds.max(1) {
        let (result, marks) = process_timed(&bytes, &settings, None);
        result.expect("the pipeline accepts the test photo");
        for (i, (name, d)) in marks.into_iter().enumerate() {
            if stages.len() <= i {
                stages.push((name, Vec::new()));
            }
            stages[i].1.push(d);
        }
    }
    for (name, times) in &stages {
        println!("  {:<46} {:>7.1} ms", name, ms(median(times)));
    }
}

fn run(command: &mut Command) {
    let out = command.output().expect("start the reference command");
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The reference must really make the same two sizes, or the comparison is meaningless.
fn check_reference_sizes(dir: &Path) {
    for (name, size) in [
        ("ref-display.jpg", (2048, 1536)),
        ("ref-thumb.jpg", (320, 240)),
    ] {
        let got = image::image_dimensions(dir.join(name)).expect("vipsthumbnail wrote a JPEG");
        assert_eq!(got, size, "vipsthumbnail made {name} at {got:?}");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(t: &[Duration]) -> Duration {
    percentile(t, 0.5)
}

fn p90(t: &[Duration]) -> Duration {
    percentile(t, 0.9)
}

fn percentile(t: &[Duration], q: f64) -> Duration {
    let mut v = t.to_vec();
    v.sort();
    v[((v.len() - 1) as f64 * q).round() as usize]
}

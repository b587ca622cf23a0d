//! A photo upload cut at random by a fault-injecting proxy on 127.0.0.1, resumed each time by the
//! app's sync client from the server's offset: the copy arrives intact, and the bytes of it sent
//! stay within 5% of the copy (a property of the protocol, not a timing: the server keeps a chunk
//! as far as it arrived, and the client goes on from there).

mod common;

use common::photo_cut::{camera_jpeg, upload_through_cuts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_upload_cut_many_times_arrives_whole_for_little_more_than_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("seed {seed}");
    let jpeg = camera_jpeg(2048, 1536, 7);
    let whole = upload_through_cuts(dir.path(), &jpeg, 0, seed).await;
    assert_eq!(whole.cuts, 0);
    assert!(whole.ratio() < 1.01, "{whole:?}");
    let cut = upload_through_cuts(dir.path(), &jpeg, 30, seed).await;
    for (what, u) in [("uncut", &whole), ("cut", &cut)] {
        eprintln!(
            "{what}: {u:?} body ratio {:.4}, with headers {:.4}",
            u.ratio(),
            u.wire_ratio()
        );
    }
    assert!(cut.cuts >= 10, "the proxy cut {} times: {cut:?}", cut.cuts);
    assert!(cut.attempts > cut.cuts / 2, "{cut:?}");
    assert!(
        cut.ratio() <= 1.05,
        "{} bytes reached the server for a {}-byte copy: {cut:?}",
        cut.forwarded,
        cut.payload
    );
}

//! With the `window` feature: Tauri's build step (the config, the capabilities, the icon).
//! Without it the core library needs nothing built.

fn main() {
    #[cfg(feature = "window")]
    window();
}

#[cfg(feature = "window")]
fn window() {
    // `generate_context!` embeds ../ui/dist at compile time and fails if it is missing. A clean
    // clone has no built UI yet, so an empty folder with a page saying so is made here: the core's
    // tests build, and the window shows what to do instead of failing to compile. `make` and the
    // scripts build the real UI first.
    let dist = std::path::Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        let _ = std::fs::create_dir_all(dist);
        let _ = std::fs::write(
            dist.join("index.html"),
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>补齐 buqi</title></head>\
             <body data-buqi-placeholder><main><h1>补齐 buqi</h1><p>界面尚未构建：在 ui/ 中运行 npm ci &amp;&amp; npm run build。</p>\
             <p lang=\"en\">The UI is not built: run npm ci &amp;&amp; npm run build in ui/.</p></main></body></html>",
        );
    }
    // Without these, a rebuilt UI is not noticed and the window keeps the old one.
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-changed=tauri.conf.json");
    println!("cargo:rerun-if-changed=capabilities");
    // The app's commands, each with its own permission, so a capability grants exactly these
    // (permissions/app-commands.toml) and nothing else reaches the core.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "standard",
        "settings_get",
        "settings_set",
        "communities",
        "create_community",
        "survey",
        "evaluation",
        "item_view",
        "create_record",
        "update_record",
        "delete_record",
        "restore_record",
        "record",
        "export_community",
        "import_community",
        "ramp_assess",
        "walk_preview",
        "record_boundary_walk",
        "record_tape_area",
        "gps_start",
        "gps_stop",
        "add_photo",
        "photo_thumbnail",
        "photo_display",
        "enroll",
        "sync_status",
        "sync_now",
        "checklist_templates",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build: the config, capabilities or icon are wrong (see above)");
}

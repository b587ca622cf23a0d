//! `buqi import` as the office runs it: the real binary on a SQLite file, with the lists in
//! tests/fixtures/import/ (and an XLSX made here).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use buqi_server::store::{Store, SERVER_DEVICE};
use uuid::Uuid;

/// The id 东湖社区 has in communities.csv.
const DONGHU: &str = "0190a5c2-7d1e-7000-8000-000000000001";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn buqi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_buqi"))
        .args(args)
        .env_remove("BUQI_DATABASE")
        .stdin(Stdio::null())
        .output()
        .expect("the buqi binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A database with two surveyors, 张三 and 李四; their ids.
struct Office {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    db: String,
    zhang: Uuid,
    li: Uuid,
}

impl Office {
    fn new() -> Office {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let db = format!("sqlite:{}", path.join("office.db").display());
        let add = |name: &str| {
            let out = buqi(&[
                "user",
                "add",
                name,
                "--role",
                "surveyor",
                "--city",
                "武汉",
                "--database",
                &db,
            ]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            let stdout = text(&out.stdout);
            let id = stdout.trim().rsplit("id ").next().unwrap();
            Uuid::parse_str(id).unwrap()
        };
        let (zhang, li) = (add("张三"), add("李四"));
        Office {
            _dir: dir,
            dir: path,
            db,
            zhang,
            li,
        }
    }

    fn import(&self, file: &Path, extra: &[&str]) -> Output {
        let file = file.display().to_string();
        let mut args = vec!["import", file.as_str(), "--database", self.db.as_str()];
        args.extend_from_slice(extra);
        buqi(&args)
    }

    async fn store(&self) -> Store {
        Store::open(&self.db).await.unwrap()
    }

    /// The names of the communities assigned to a user.
    async fn communities_of(&self, user: Uuid) -> Vec<String> {
        let store = self.store().await;
        let mut names: Vec<String> = store
            .communities_of(user)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        names.sort();
        names
    }

    /// How many times the audit log records this action.
    async fn audited(&self, action: &str) -> usize {
        let store = self.store().await;
        store
            .audit()
            .await
            .unwrap()
            .iter()
            .filter(|a| a.action == action)
            .count()
    }
}

fn boundaries_arg() -> String {
    fixture("boundaries.geojson").display().to_string()
}

#[tokio::test]
async fn a_csv_with_chinese_headers_creates_communities_and_assignments() {
    let office = Office::new();
    let boundaries = boundaries_arg();
    let out = office.import(
        &fixture("communities.csv"),
        &["--boundaries", boundaries.as_str()],
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "created 东湖社区 (武汉), id {DONGHU}; assigned to 张三、李四"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("created 南湖花园社区 (武汉), id "),
        "{stdout}"
    );
    assert!(
        stdout.contains("created 积玉桥社区 (武汉), id "),
        "{stdout}"
    );
    // 东湖: name, city, district, street, committee, kind, boundary; 南湖花园 has no committee,
    // 积玉桥 no boundary.
    assert!(
        stdout.ends_with("imported 3 communities: 3 created, 0 already there; 3 assignments added; 19 community fields written\n"),
        "{stdout}"
    );
    // Not a terminal: no spinner, and nothing else to say.
    assert_eq!(stderr, "");

    assert_eq!(office.communities_of(office.zhang).await, ["东湖社区"]);
    assert_eq!(
        office.communities_of(office.li).await,
        ["东湖社区", "南湖花园社区"]
    );
    let store = office.store().await;
    let donghu = store.communities_of(office.zhang).await.unwrap().remove(0);
    assert_eq!(donghu.id.to_string(), DONGHU);
    assert_eq!(donghu.city, "武汉");
    assert_eq!(office.audited("community_add").await, 3);
    assert_eq!(office.audited("assign").await, 3);

    // The list's columns are the community record's fields, the server's own changes, pulled by
    // the tablets of those assigned it like any change.
    let pulled = store.pull(office.zhang, 0, 100).await.unwrap();
    let fields: std::collections::BTreeMap<String, serde_json::Value> = pulled
        .changes
        .iter()
        .map(|p| {
            assert_eq!(p.change.device, SERVER_DEVICE);
            assert_eq!(p.change.kind, buqi_schema::record::EntityKind::Community);
            assert_eq!(p.change.entity.to_string(), DONGHU);
            assert_eq!(p.change.base, None);
            (p.change.field.clone(), p.change.value.clone())
        })
        .collect();
    assert_eq!(
        fields.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "boundary",
            "city",
            "district",
            "kind",
            "name",
            "residents_committee",
            "street"
        ]
    );
    assert_eq!(fields["district"], "武昌区");
    assert_eq!(fields["street"], "水果湖街道");
    assert_eq!(fields["residents_committee"], "东湖社区居委会");
    assert_eq!(fields["kind"], "existing");
    assert_eq!(fields["name"], "东湖社区");
    assert_eq!(fields["boundary"]["method"], "documents");
    assert_eq!(fields["boundary"]["ring"].as_array().unwrap().len(), 4);
    assert!(fields["boundary"]["ring"][0][0].as_f64().unwrap() > 114.0);
    // The community's fields read as the survey model's: a `Community` of buqi_schema.
    let mut object: serde_json::Map<String, serde_json::Value> = fields.into_iter().collect();
    object.insert("id".into(), serde_json::json!(DONGHU));
    let community: buqi_schema::survey::Community =
        serde_json::from_value(serde_json::Value::Object(object)).unwrap();
    assert_eq!(community.district.as_deref(), Some("武昌区"));
    assert_eq!(community.boundary.unwrap().ring.len(), 4);

    // `buqi assign` by name finds what the import made.
    let out = buqi(&["assign", "张三", "积玉桥社区", "--database", &office.db]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn importing_the_same_list_again_changes_nothing() {
    let office = Office::new();
    let boundaries = boundaries_arg();
    let args = ["--boundaries", boundaries.as_str()];
    let first = office.import(&fixture("communities.csv"), &args);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let audit_lines = office.store().await.audit().await.unwrap().len();

    let again = office.import(&fixture("communities.csv"), &args);
    let stdout = text(&again.stdout);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        stdout.contains(&format!("already there: 东湖社区 (武汉), id {DONGHU}")),
        "{stdout}"
    );
    // 南湖花园社区 has no id in the list: it is found by its name and city.
    assert!(
        stdout.contains("already there: 南湖花园社区 (武汉), id "),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("imported 3 communities: 0 created, 3 already there; 0 assignments added; 0 community fields written\n"),
        "{stdout}"
    );
    assert_eq!(text(&again.stderr), "");
    assert_eq!(
        office.store().await.audit().await.unwrap().len(),
        audit_lines
    );
    let log = office.store().await.pull(office.li, 0, 1000).await.unwrap();
    assert_eq!(
        log.changes.len(),
        13,
        "东湖's 7 fields and 南湖花园's 6, no more"
    );
    assert_eq!(log.next, 19);
    assert_eq!(office.audited("community_add").await, 3);
    assert_eq!(
        office.communities_of(office.li).await,
        ["东湖社区", "南湖花园社区"]
    );
}

#[tokio::test]
async fn an_xlsx_with_english_headers_and_numeric_boundary_keys() {
    let office = Office::new();
    let path = office.dir.join("communities.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let rows: [[&str; 5]; 3] = [
        ["Name", "City", "Kind", "Surveyor", "Boundary key"],
        ["白沙洲社区", "武汉", "existing", "张三, 李四", ""],
        ["杨园社区", "武汉", "New", "李四", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
    }
    // A key typed as a number, as spreadsheets keep them: the feature's key is the number 101.
    sheet.write_number(1, 4, 101).unwrap();
    workbook.save(&path).unwrap();

    let boundaries = boundaries_arg();
    let dry = office.import(&path, &["--boundaries", boundaries.as_str(), "--dry-run"]);
    let stdout = text(&dry.stdout);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(
        stdout.contains("row 2: would create 白沙洲社区 (武汉), id "),
        "{stdout}"
    );
    assert!(
        stdout.contains("    类型: 既有; 边界: 101 (4 points)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    would assign to 张三、李四"),
        "{stdout}"
    );

    let out = office.import(&path, &["--boundaries", boundaries.as_str()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.ends_with("imported 2 communities: 2 created, 0 already there; 3 assignments added; 7 community fields written\n"),
        "{stdout}"
    );
    assert_eq!(office.communities_of(office.zhang).await, ["白沙洲社区"]);
    assert_eq!(
        office.communities_of(office.li).await,
        ["杨园社区", "白沙洲社区"]
    );
}

#[tokio::test]
async fn bad_rows_are_each_named_and_nothing_is_created() {
    let office = Office::new();
    let boundaries = boundaries_arg();
    let out = office.import(&fixture("bad.csv"), &["--boundaries", boundaries.as_str()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(text(&out.stdout), "");
    let expected = [
        "row 4, 城市: is empty",
        "row 5, 调查员: there is no user named \"王五\" (buqi user add)",
        "row 6, 编号: expected a UUID (or nothing, for a new id), got \"0190a5c2-7d1e-7000-8000-00000000000\"",
        "row 7, 类型: expected 新建 or 既有, got \"老旧\"",
        "row 8, 社区名称: \"东湖社区\" is also on row 2; each community once",
        "row 9, 边界编号: no feature in boundaries.geojson has key \"ZZ\"",
        "row 10, 边界编号: the feature \"XY\" in boundaries.geojson: point 1 is (535120.5, 3380150.2): not longitude/latitude, the coordinates look projected",
    ];
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), expected.len() + 1, "{stderr}");
    for (line, expected) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(&format!("buqi import: {expected}")),
            "expected {expected:?}, got {line:?}"
        );
    }
    let last = lines[expected.len()];
    assert!(last.starts_with("buqi import: 7 problems in "), "{last}");
    assert!(last.ends_with("bad.csv; nothing was changed"), "{last}");
    assert_eq!(office.audited("community_add").await, 0);
    assert_eq!(office.audited("assign").await, 0);
}

#[tokio::test]
async fn a_dry_run_creates_nothing() {
    let office = Office::new();
    let boundaries = boundaries_arg();
    let out = office.import(
        &fixture("communities.csv"),
        &["--boundaries", boundaries.as_str(), "--dry-run"],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("row 2: would create 东湖社区 (武汉), id {DONGHU}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "    区: 武昌区; 街道: 水果湖街道; 居委会: 东湖社区居委会; 类型: 既有; 边界: DH (4 points)\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "dry run: 3 communities checked (3 to create, 0 already there); nothing was changed\n"
        ),
        "{stdout}"
    );
    assert_eq!(office.audited("community_add").await, 0);
    assert!(office.communities_of(office.li).await.is_empty());
}

#[tokio::test]
async fn an_id_the_server_holds_under_another_name_is_refused() {
    let office = Office::new();
    let out = buqi(&[
        "community",
        "add",
        "--name",
        "别的社区",
        "--city",
        "武汉",
        "--id",
        DONGHU,
        "--database",
        &office.db,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let boundaries = boundaries_arg();
    let out = office.import(
        &fixture("communities.csv"),
        &["--boundaries", boundaries.as_str()],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "buqi import: row 2, 编号: community {DONGHU} is already on the server as 别的社区 (武汉), not \"东湖社区\""
        )),
        "{stderr}"
    );
    assert_eq!(office.audited("community_add").await, 1);
}

#[tokio::test]
async fn projected_boundary_files_and_unknown_columns_are_refused() {
    let office = Office::new();
    let geojson = office.dir.join("projected.geojson");
    std::fs::write(
        &geojson,
        r#"{"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
            "features": []}"#,
    )
    .unwrap();
    let geojson = geojson.display().to_string();
    let out = office.import(
        &fixture("communities.csv"),
        &["--boundaries", geojson.as_str()],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("EPSG::3857"), "{stderr}");
    assert!(stderr.contains("EPSG:4326 or EPSG:4490"), "{stderr}");

    let csv = office.dir.join("extra.csv");
    std::fs::write(&csv, "社区名称,城市,备注\n东湖社区,武汉,门口有坡道\n").unwrap();
    let out = office.import(&csv, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("buqi import: row 1: unknown column \"备注\" (column C); the columns are 社区名称/name, 城市/city,"),
        "{stderr}"
    );
    assert_eq!(office.audited("community_add").await, 0);
}

#[tokio::test]
async fn a_csv_saved_in_gbk_is_refused_with_what_to_do() {
    let office = Office::new();
    let csv = office.dir.join("gbk.csv");
    // "社区名称,城市" in GBK, as Excel on Chinese Windows saves a plain "CSV".
    let mut bytes = vec![0xc9, 0xe7, 0xc7, 0xf8, 0xc3, 0xfb, 0xb3, 0xc6, b','];
    bytes.extend([0xb3, 0xc7, 0xca, 0xd0, b'\n']);
    std::fs::write(&csv, bytes).unwrap();
    let out = office.import(&csv, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("row 1 is not UTF-8 text: save the sheet as \"CSV UTF-8\""),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_surveyor_of_another_city_is_a_bad_row_and_nothing_is_written() {
    let office = Office::new();
    let path = office.dir.join("two-cities.csv");
    std::fs::write(
        &path,
        "社区名称,城市,调查员\n东湖社区,武汉,张三\n外滩社区,上海,李四\n",
    )
    .unwrap();
    let out = office.import(&path, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("buqi import: row 3, 调查员: \"李四\" works in 武汉, not 上海: a user can be assigned only communities of their own city\n"),
        "{stderr}"
    );
    assert_eq!(office.audited("community_add").await, 0);
    assert!(office.store().await.communities().await.unwrap().is_empty());
}

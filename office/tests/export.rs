//! Exports of real surveys, parsed back with csv, calamine and serde_json.

mod common;

use std::io::Cursor;

use buqi_office::export::{export, Entity, ExportRequest, Filter, Format, Sources};
use buqi_schema::{Evaluation, Standard, Survey};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use common::*;
use serde_json::Value;

const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SHA_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// The Wuhan example with what the examples lack: a walked boundary, a GPS fix and two photos (one
/// of item 2's kindergarten, one of item 9), re-read through the survey format so it is valid.
fn wuhan_with_photos() -> Survey {
    let s = example("wuhan-old-estate");
    let kg = s
        .facilities
        .iter()
        .find(|f| f.kind == buqi_schema::vocab::FacilityKind::Kindergarten)
        .unwrap()
        .id;
    let mut v = serde_json::to_value(&s).unwrap();
    v["community"]["boundary"] = serde_json::json!({
        "ring": [[114.300, 30.540], [114.310, 30.540], [114.310, 30.550], [114.300, 30.550]],
        "method": "gps_polygon"
    });
    v["gps_points"] = serde_json::json!([{
        "id": "0190c3a0-5b1e-7c4d-8a11-0000000000f1", "lon": 114.3051, "lat": 30.5432,
        "accuracy_m": 4.0, "taken_at": "2026-05-12T09:00:00+08:00", "source": "gnss",
        "facility": kg, "label": "幼儿园大门"
    }]);
    v["photos"] = serde_json::json!([
        { "id": "0190c3a0-5b1e-7c4d-8a11-0000000000e1", "sha256": SHA_A, "item": 2, "facility": kg },
        { "id": "0190c3a0-5b1e-7c4d-8a11-0000000000e2", "sha256": SHA_B, "item": 9 }
    ]);
    for f in v["facilities"].as_array_mut().unwrap() {
        if f["id"] == serde_json::json!(kg) {
            f["position"] = serde_json::json!({ "lon": 114.3051, "lat": 30.5433 });
        }
    }
    Survey::from_json(&v.to_string()).unwrap()
}

struct Fixture {
    surveys: Vec<Survey>,
    evaluations: Vec<Evaluation>,
    projects: Vec<buqi_office::Project>,
    standard: Standard,
}

fn fixture() -> Fixture {
    let mut surveys = vec![wuhan_with_photos()];
    surveys.extend(
        ["xian-existing-partial", "shenyang-new-complete"]
            .iter()
            .map(|n| example(n)),
    );
    let evaluations: Vec<Evaluation> = surveys.iter().map(evaluated).collect();
    let standard = Standard::builtin();
    let options = buqi_office::PlanOptions::new(2027, "2026-11-20".parse().unwrap());
    let mut projects = Vec::new();
    for (s, e) in surveys.iter().zip(&evaluations) {
        projects.extend(
            buqi_office::plan(
                s,
                e,
                &standard,
                &buqi_office::CostTable::builtin(),
                &options,
            )
            .unwrap(),
        );
    }
    Fixture {
        surveys,
        evaluations,
        projects,
        standard,
    }
}

impl Fixture {
    fn sources(&self) -> Sources<'_> {
        Sources {
            surveys: &self.surveys,
            evaluations: &self.evaluations,
            projects: &self.projects,
            standard: &self.standard,
        }
    }
}

fn request(entity: Entity, format: Format) -> ExportRequest {
    ExportRequest {
        entity,
        format,
        filter: Filter::default(),
        fields: None,
        photo_url: "https://office.example/v1/photos/{sha256}/display".into(),
    }
}

fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (headers, rows)
}

#[test]
fn communities_as_csv_with_photo_links_and_verdicts() {
    let fx = fixture();
    let bytes = export(&request(Entity::Communities, Format::Csv), &fx.sources()).unwrap();
    let (headers, rows) = read_csv(&bytes);
    assert_eq!(headers[0], "id");
    assert_eq!(rows.len(), 3);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let wuhan = rows.iter().find(|r| r[col("name")] == "紫阳社区").unwrap();
    assert_eq!(wuhan[col("verdict")], "not_complete");
    assert_eq!(wuhan[col("gaps")], "9");
    assert_eq!(wuhan[col("population")], "8600");
    assert_eq!(
        wuhan[col("photos")],
        format!("https://office.example/v1/photos/{SHA_A}/display https://office.example/v1/photos/{SHA_B}/display")
    );
}

#[test]
fn findings_filtered_by_item_and_status_with_chosen_fields() {
    let fx = fixture();
    let mut req = request(Entity::Findings, Format::Csv);
    req.filter = Filter {
        district: Some("武昌区".into()),
        item: Some(2),
        status: Some("not_met".into()),
    };
    req.fields = Some(vec![
        "community".into(),
        "check".into(),
        "shortfall".into(),
        "unit".into(),
        "photos".into(),
    ]);
    let (headers, rows) = read_csv(&export(&req, &fx.sources()).unwrap());
    assert_eq!(
        headers,
        ["community", "check", "shortfall", "unit", "photos"]
    );
    assert_eq!(
        rows,
        vec![
            vec![
                "紫阳社区".to_owned(),
                "2.building_area".into(),
                "120".into(),
                "m2".into(),
                format!("https://office.example/v1/photos/{SHA_A}/display")
            ],
            vec![
                "紫阳社区".to_owned(),
                "2.land_area".into(),
                "400".into(),
                "m2".into(),
                format!("https://office.example/v1/photos/{SHA_A}/display")
            ],
        ]
    );
}

#[test]
fn projects_as_xlsx_read_back() {
    let fx = fixture();
    let mut req = request(Entity::Projects, Format::Xlsx);
    req.filter.status = Some("planned".into());
    let bytes = export(&req, &fx.sources()).unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), ["项目库"]);
    let range = wb.worksheet_range("项目库").unwrap();
    assert_eq!(
        range.get_value((0, 0)),
        Some(&Data::String("项目编号".into()))
    );
    assert_eq!(
        range.get_value((0, 6)),
        Some(&Data::String("建设方式".into()))
    );
    assert_eq!(range.height(), 1 + fx.projects.len());
    for (i, p) in fx.projects.iter().enumerate() {
        let r = 1 + i as u32;
        assert_eq!(range.get_value((r, 0)), Some(&Data::String(p.id.clone())));
        assert_eq!(
            range.get_value((r, 11)),
            Some(&Data::Float(p.target_year as f64))
        );
        if let Some(c) = p.cost_yuan {
            assert_eq!(range.get_value((r, 10)), Some(&Data::Float(c)));
        }
    }
    // The kindergarten project links its photo.
    let kg = fx.projects.iter().position(|p| p.item == 2).unwrap();
    assert_eq!(
        range.get_value((1 + kg as u32, 14)),
        Some(&Data::String(format!(
            "https://office.example/v1/photos/{SHA_A}/display"
        )))
    );
}

#[test]
fn geojson_has_boundaries_as_polygons_and_facilities_and_fixes_as_points() {
    let fx = fixture();
    let doc: Value = serde_json::from_slice(
        &export(
            &request(Entity::Communities, Format::GeoJson),
            &fx.sources(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(doc["type"], "FeatureCollection");
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let wuhan = features
        .iter()
        .find(|f| f["properties"]["name"] == "紫阳社区")
        .unwrap();
    assert_eq!(wuhan["geometry"]["type"], "Polygon");
    let ring = wuhan["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.len(), 5, "closed ring");
    assert_eq!(ring[0], ring[4]);
    assert_eq!(
        ring[1],
        serde_json::json!([114.31, 30.54]),
        "lon, lat as stored (WGS-84)"
    );
    assert_eq!(wuhan["properties"]["photos"].as_array().unwrap().len(), 2);
    assert_eq!(wuhan["properties"]["population"], 8600.0);
    // A community without a boundary has a null geometry, not a made-up one.
    assert!(features.iter().any(|f| f["geometry"].is_null()));

    let mut req = request(Entity::Facilities, Format::GeoJson);
    req.filter.item = Some(2);
    let doc: Value = serde_json::from_slice(&export(&req, &fx.sources()).unwrap()).unwrap();
    let features = doc["features"].as_array().unwrap();
    assert!(
        features
            .iter()
            .all(|f| f["properties"]["kind"] == "kindergarten"),
        "{features:?}"
    );
    let placed = features.iter().find(|f| !f["geometry"].is_null()).unwrap();
    assert_eq!(
        placed["geometry"],
        serde_json::json!({"type": "Point", "coordinates": [114.3051, 30.5433]})
    );
    assert_eq!(
        placed["properties"]["photos"][0],
        format!("https://office.example/v1/photos/{SHA_A}/display")
    );

    let doc: Value = serde_json::from_slice(
        &export(&request(Entity::GpsPoints, Format::GeoJson), &fx.sources()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        doc["features"][0]["geometry"]["coordinates"],
        serde_json::json!([114.3051, 30.5432])
    );
    assert_eq!(doc["features"][0]["properties"]["label"], "幼儿园大门");
}

#[test]
fn bad_requests_name_what_is_wrong_and_list_what_is_valid() {
    let fx = fixture();
    let err = |req: ExportRequest| export(&req, &fx.sources()).unwrap_err().to_string();

    let mut req = request(Entity::Facilities, Format::Csv);
    req.fields = Some(vec!["name".into(), "areaa".into()]);
    let e = err(req);
    assert!(
        e.contains("unknown field \"areaa\" for facilities") && e.contains("building_area_m2"),
        "{e}"
    );

    let mut req = request(Entity::Projects, Format::Csv);
    req.filter.status = Some("done".into());
    let e = err(req);
    assert!(
        e.contains("\"done\" is not a status of projects")
            && e.contains("planned, funded, under_construction, completed, accepted"),
        "{e}"
    );

    let mut req = request(Entity::Facilities, Format::Csv);
    req.filter.status = Some("met".into());
    assert!(err(req).contains("status does not apply to facilities"));

    let mut req = request(Entity::Findings, Format::Csv);
    req.filter.item = Some(21);
    assert!(err(req).contains("21 is not an item"));

    let mut req = request(Entity::Findings, Format::Csv);
    req.photo_url = "https://office.example/photos/".into();
    assert!(err(req).contains("{sha256}"));

    let e = Entity::from_id("surveys").unwrap_err().to_string();
    assert!(
        e.contains("communities, facilities, gps_points, findings, projects"),
        "{e}"
    );
    assert!(Format::from_id("pdf")
        .unwrap_err()
        .to_string()
        .contains("csv, xlsx, geojson"));
}

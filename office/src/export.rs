//! Exports of communities, facilities, GPS points, findings and projects as CSV, XLSX and GeoJSON,
//! filtered (district, item, status) and with a choice of fields; every row links its photos.
//!
//! Coordinates are written as the survey stores them: WGS-84/CGCS2000 longitude, latitude (the
//! schema never holds GCJ-02; the two datums differ by centimetres). That is what GeoJSON (RFC 7946)
//! asks for, so no shift is applied; a map showing them over an AMap/Tencent (GCJ-02) basemap must
//! shift at its display edge, as for every buqi map.

use std::collections::HashMap;

use buqi_schema::evaluate::{CheckStatus, Verdict};
use buqi_schema::{Evaluation, Standard, Survey};
use rust_xlsxwriter::Workbook;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::plan::{shortfall, unit_id, Project, Status};
use crate::report::project_shortfall_zh;
use crate::sheet::{write_table, Cell, Formats, NumFmt};
use crate::OfficeError;

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Communities,
    Facilities,
    GpsPoints,
    /// One row per check of each community's evaluation.
    Findings,
    Projects,
}

impl Entity {
    pub const ALL: [Entity; 5] = [
        Entity::Communities,
        Entity::Facilities,
        Entity::GpsPoints,
        Entity::Findings,
        Entity::Projects,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Entity::Communities => "communities",
            Entity::Facilities => "facilities",
            Entity::GpsPoints => "gps_points",
            Entity::Findings => "findings",
            Entity::Projects => "projects",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Entity::Communities => "居住社区",
            Entity::Facilities => "设施",
            Entity::GpsPoints => "GPS点位",
            Entity::Findings => "评估结果",
            Entity::Projects => "项目库",
        }
    }

    pub fn from_id(id: &str) -> Result<Entity, OfficeError> {
        Entity::ALL
            .into_iter()
            .find(|e| e.id() == id)
            .ok_or_else(|| {
                OfficeError::Export(format!(
                    "unknown export {id:?}; valid: {}",
                    list(Entity::ALL.iter().map(|e| e.id()))
                ))
            })
    }

    /// Every field, in output order: (id, Chinese header).
    pub fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Entity::Communities => &[
                ("id", "社区编号"),
                ("name", "居住社区"),
                ("city", "城市"),
                ("district", "区（县）"),
                ("street", "街道"),
                ("residents_committee", "社区居委会"),
                ("kind", "新建/既有"),
                ("old_estate", "城镇老旧小区"),
                ("population", "人口"),
                ("households", "户数"),
                ("total_floor_area_m2", "物业总建筑面积（平方米）"),
                ("verdict", "结论"),
                ("gaps", "短板项数"),
                ("gap_items", "短板项"),
                ("surveyed_at", "调查时间"),
                ("photos", "照片"),
            ],
            Entity::Facilities => &[
                ("id", "设施编号"),
                ("community_id", "社区编号"),
                ("community", "居住社区"),
                ("district", "区（县）"),
                ("kind", "设施类型代码"),
                ("kind_zh", "设施类型"),
                ("name", "名称"),
                ("building_area_m2", "建筑面积（平方米）"),
                ("land_area_m2", "用地面积（平方米）"),
                ("usable_area_m2", "使用面积（平方米）"),
                ("lon", "经度"),
                ("lat", "纬度"),
                ("photos", "照片"),
            ],
            Entity::GpsPoints => &[
                ("id", "点位编号"),
                ("community_id", "社区编号"),
                ("community", "居住社区"),
                ("district", "区（县）"),
                ("facility", "设施编号"),
                ("label", "说明"),
                ("lon", "经度"),
                ("lat", "纬度"),
                ("accuracy_m", "精度（米）"),
                ("taken_at", "时间"),
                ("source", "来源"),
            ],
            Entity::Findings => &[
                ("community_id", "社区编号"),
                ("community", "居住社区"),
                ("district", "区（县）"),
                ("item", "序号"),
                ("item_name", "建设内容"),
                ("item_status", "该项结论"),
                ("check", "检查项编号"),
                ("check_title", "检查项"),
                ("strength", "强度"),
                ("status", "检查结论"),
                ("shortfall", "短缺"),
                ("unit", "单位"),
                ("clause", "标准条文"),
                ("photos", "照片"),
            ],
            Entity::Projects => &[
                ("id", "项目编号"),
                ("community_id", "社区编号"),
                ("community", "居住社区"),
                ("district", "区（县）"),
                ("item", "序号"),
                ("item_name", "建设内容"),
                ("way", "建设方式"),
                ("rank", "优先序"),
                ("tier", "优先类别"),
                ("shortfall", "短缺情况"),
                ("cost_yuan", "估算投资（元）"),
                ("target_year", "目标年份"),
                ("status", "状态"),
                ("status_date", "状态日期"),
                ("photos", "照片"),
            ],
        }
    }

    /// The values the `status` filter takes for this export; empty where it takes none.
    pub fn statuses(self) -> Vec<&'static str> {
        match self {
            Entity::Communities => vec!["complete", "not_complete", "undetermined"],
            Entity::Findings => vec!["met", "not_met", "not_applicable", "not_surveyed"],
            Entity::Projects => Status::ALL.iter().map(|s| s.id()).collect(),
            Entity::Facilities | Entity::GpsPoints => Vec::new(),
        }
    }
}

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    GeoJson,
}

impl Format {
    pub fn from_id(id: &str) -> Result<Format, OfficeError> {
        match id {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "geojson" => Ok(Format::GeoJson),
            _ => Err(OfficeError::Export(format!(
                "unknown format {id:?}; valid: csv, xlsx, geojson"
            ))),
        }
    }
}

/// Which rows: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub district: Option<String>,
    /// 1–20. Findings and projects of the item; facilities of the kinds the item's checks name;
    /// communities with a gap in it.
    pub item: Option<u8>,
    /// See [`Entity::statuses`].
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub entity: Entity,
    pub format: Format,
    pub filter: Filter,
    /// Field ids in the order wanted; `None`: all, in the default order.
    pub fields: Option<Vec<String>>,
    /// A photo's address, with `{sha256}` where its hash goes: `https://office.example/v1/photos/{sha256}/display`.
    pub photo_url: String,
}

/// What exports read.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    pub surveys: &'a [Survey],
    /// Matched to surveys by community id; a survey without one exports no findings and an empty
    /// verdict.
    pub evaluations: &'a [Evaluation],
    pub projects: &'a [Project],
    /// The standard the evaluations ran under (for the item filter on facilities).
    pub standard: &'a Standard,
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

#[derive(Debug, Clone)]
enum Geometry {
    Point([f64; 2]),
    Polygon(Vec<[f64; 2]>),
}

struct Row {
    cells: Vec<Cell>,
    photos: Vec<String>,
    geometry: Option<Geometry>,
}

/// Checks the request before anything is read: the fields, the filter's values against the export.
fn validate(req: &ExportRequest) -> Result<Vec<usize>, OfficeError> {
    let all = req.entity.fields();
    let valid = || list(all.iter().map(|(id, _)| *id));
    let wanted: Vec<usize> = match &req.fields {
        None => (0..all.len()).collect(),
        Some(fields) if fields.is_empty() => {
            return Err(OfficeError::Export(format!(
                "no fields chosen for {}; valid: {}",
                req.entity.id(),
                valid()
            )))
        }
        Some(fields) => fields
            .iter()
            .map(|f| {
                all.iter().position(|(id, _)| id == f).ok_or_else(|| {
                    OfficeError::Export(format!(
                        "unknown field {f:?} for {}; valid: {}",
                        req.entity.id(),
                        valid()
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    if let Some(item) = req.filter.item {
        if !(1..=20).contains(&item) {
            return Err(OfficeError::Export(format!(
                "filter item: {item} is not an item of the standard; valid: 1–20"
            )));
        }
        if req.entity == Entity::GpsPoints {
            return Err(OfficeError::Export(
                "filter item does not apply to gps_points; valid filters: district".to_owned(),
            ));
        }
    }
    if let Some(status) = &req.filter.status {
        let statuses = req.entity.statuses();
        if statuses.is_empty() {
            return Err(OfficeError::Export(format!(
                "filter status does not apply to {}; valid filters: district, item",
                req.entity.id()
            )));
        }
        if !statuses.contains(&status.as_str()) {
            return Err(OfficeError::Export(format!(
                "filter status: {status:?} is not a status of {}; valid: {}",
                req.entity.id(),
                list(statuses.into_iter())
            )));
        }
    }
    if !req.photo_url.contains("{sha256}") {
        return Err(OfficeError::Export(format!(
            "photo_url {:?} has no {{sha256}} placeholder",
            req.photo_url
        )));
    }
    Ok(wanted)
}

fn verdict_id(v: Verdict) -> &'static str {
    match v {
        Verdict::Complete => "complete",
        Verdict::NotComplete => "not_complete",
        Verdict::Undetermined => "undetermined",
    }
}

fn check_status_id(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Met => "met",
        CheckStatus::NotMet => "not_met",
        CheckStatus::NotApplicable => "not_applicable",
        CheckStatus::NotSurveyed => "not_surveyed",
    }
}

fn num_opt(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, |v| Cell::Num(v, NumFmt::Decimal))
}

fn bool_cell(v: Option<bool>) -> Cell {
    v.map_or(Cell::Empty, |b| Cell::text(if b { "是" } else { "否" }))
}

/// Builds every row with every field (in `Entity::fields` order), filtered.
fn rows(req: &ExportRequest, src: &Sources) -> Vec<Row> {
    let evals: HashMap<Uuid, &Evaluation> = src
        .evaluations
        .iter()
        .map(|e| (e.community.id, e))
        .collect();
    let url = |sha: &str| req.photo_url.replace("{sha256}", sha);
    let f = &req.filter;
    let district_ok = |d: Option<&str>| f.district.as_deref().is_none_or(|want| d == Some(want));
    let boundary = |s: &Survey| {
        s.community
            .boundary
            .as_ref()
            .filter(|b| b.ring.len() >= 3)
            .map(|b| Geometry::Polygon(b.ring.clone()))
    };
    let mut out = Vec::new();
    match req.entity {
        Entity::Communities => {
            for s in src.surveys {
                let c = &s.community;
                let e = evals.get(&c.id);
                if !district_ok(c.district.as_deref()) {
                    continue;
                }
                if let Some(item) = f.item {
                    if !e.is_some_and(|e| e.summary.gap_items.contains(&item)) {
                        continue;
                    }
                }
                if let Some(st) = &f.status {
                    if e.map(|e| verdict_id(e.summary.verdict)) != Some(st.as_str()) {
                        continue;
                    }
                }
                out.push(Row {
                    cells: vec![
                        Cell::text(c.id.to_string()),
                        Cell::text(&c.name),
                        Cell::opt_text(c.city.as_deref()),
                        Cell::opt_text(c.district.as_deref()),
                        Cell::opt_text(c.street.as_deref()),
                        Cell::opt_text(c.residents_committee.as_deref()),
                        Cell::opt_text(c.kind.map(|k| k.name_zh())),
                        bool_cell(c.old_estate),
                        c.population.map_or(Cell::Empty, |v| Cell::int(v.get())),
                        c.households.map_or(Cell::Empty, |v| Cell::int(v.get())),
                        num_opt(c.total_floor_area_m2.map(|v| v.get())),
                        Cell::opt_text(e.map(|e| verdict_id(e.summary.verdict))),
                        e.map_or(Cell::Empty, |e| Cell::int(e.summary.gaps as f64)),
                        Cell::opt_text(
                            e.map(|e| {
                                e.summary
                                    .gap_items
                                    .iter()
                                    .map(|i| i.to_string())
                                    .collect::<Vec<_>>()
                                    .join(",")
                            })
                            .as_deref(),
                        ),
                        Cell::opt_text(
                            s.surveyed
                                .as_ref()
                                .and_then(|b| b.started_at)
                                .map(|t| t.to_rfc3339())
                                .as_deref(),
                        ),
                        Cell::Empty,
                    ],
                    photos: s.photos.iter().map(|p| url(&p.sha256)).collect(),
                    geometry: boundary(s),
                });
            }
        }
        Entity::Facilities => {
            let kinds = f.item.map(|i| src.standard.facility_kinds(i));
            for s in src.surveys {
                let c = &s.community;
                if !district_ok(c.district.as_deref()) {
                    continue;
                }
                for fa in &s.facilities {
                    if kinds.as_ref().is_some_and(|k| !k.contains(&fa.kind)) {
                        continue;
                    }
                    out.push(Row {
                        cells: vec![
                            Cell::text(fa.id.to_string()),
                            Cell::text(c.id.to_string()),
                            Cell::text(&c.name),
                            Cell::opt_text(c.district.as_deref()),
                            Cell::text(fa.kind.id()),
                            Cell::text(fa.kind.name_zh()),
                            Cell::opt_text(fa.name.as_deref()),
                            num_opt(fa.building_area_m2.map(|v| v.get())),
                            num_opt(fa.land_area_m2.map(|v| v.get())),
                            num_opt(fa.usable_area_m2.map(|v| v.get())),
                            fa.position
                                .map_or(Cell::Empty, |p| Cell::Num(p.lon, NumFmt::Plain)),
                            fa.position
                                .map_or(Cell::Empty, |p| Cell::Num(p.lat, NumFmt::Plain)),
                            Cell::Empty,
                        ],
                        photos: s
                            .photos
                            .iter()
                            .filter(|p| p.facility == Some(fa.id))
                            .map(|p| url(&p.sha256))
                            .collect(),
                        geometry: fa.position.map(|p| Geometry::Point([p.lon, p.lat])),
                    });
                }
            }
        }
        Entity::GpsPoints => {
            for s in src.surveys {
                let c = &s.community;
                if !district_ok(c.district.as_deref()) {
                    continue;
                }
                for g in &s.gps_points {
                    out.push(Row {
                        cells: vec![
                            Cell::text(g.id.to_string()),
                            Cell::text(c.id.to_string()),
                            Cell::text(&c.name),
                            Cell::opt_text(c.district.as_deref()),
                            Cell::opt_text(g.facility.map(|f| f.to_string()).as_deref()),
                            Cell::opt_text(g.label.as_deref()),
                            Cell::Num(g.lon, NumFmt::Plain),
                            Cell::Num(g.lat, NumFmt::Plain),
                            num_opt(g.accuracy_m.map(|v| v.get())),
                            Cell::text(g.taken_at.to_rfc3339()),
                            Cell::text(
                                serde_json::to_value(g.source)
                                    .ok()
                                    .and_then(|v| v.as_str().map(str::to_owned))
                                    .unwrap_or_default(),
                            ),
                        ],
                        photos: Vec::new(),
                        geometry: Some(Geometry::Point([g.lon, g.lat])),
                    });
                }
            }
        }
        Entity::Findings => {
            for s in src.surveys {
                let c = &s.community;
                let Some(e) = evals.get(&c.id) else { continue };
                if !district_ok(c.district.as_deref()) {
                    continue;
                }
                for it in &e.items {
                    if f.item.is_some_and(|want| want != it.item) {
                        continue;
                    }
                    let photos: Vec<String> = s
                        .photos
                        .iter()
                        .filter(|p| p.item == Some(it.item))
                        .map(|p| url(&p.sha256))
                        .collect();
                    for ch in &it.checks {
                        if f.status
                            .as_deref()
                            .is_some_and(|st| st != check_status_id(ch.status))
                        {
                            continue;
                        }
                        let short = shortfall(ch);
                        out.push(Row {
                            cells: vec![
                                Cell::text(c.id.to_string()),
                                Cell::text(&c.name),
                                Cell::opt_text(c.district.as_deref()),
                                Cell::plain(it.item),
                                Cell::text(&it.name_zh),
                                Cell::text(it.status.name_zh()),
                                Cell::text(&ch.check),
                                Cell::text(&ch.title_zh),
                                Cell::text(match ch.strength {
                                    buqi_schema::standard::Strength::Binding => "binding",
                                    buqi_schema::standard::Strength::Advisory => "advisory",
                                }),
                                Cell::text(check_status_id(ch.status)),
                                short.map_or(Cell::Empty, |s| Cell::Num(s.value, NumFmt::Decimal)),
                                Cell::opt_text(short.map(|s| unit_id(s.unit))),
                                Cell::text(&ch.source.clause_zh),
                                Cell::Empty,
                            ],
                            photos: photos.clone(),
                            geometry: boundary(s),
                        });
                    }
                }
            }
        }
        Entity::Projects => {
            let surveys: HashMap<Uuid, &Survey> =
                src.surveys.iter().map(|s| (s.community.id, s)).collect();
            for p in src.projects {
                if !district_ok(p.district.as_deref())
                    || f.item.is_some_and(|i| i != p.item)
                    || f.status.as_deref().is_some_and(|st| st != p.status.id())
                {
                    continue;
                }
                let survey = surveys.get(&p.community);
                out.push(Row {
                    cells: vec![
                        Cell::text(&p.id),
                        Cell::text(p.community.to_string()),
                        Cell::text(&p.community_name),
                        Cell::opt_text(p.district.as_deref()),
                        Cell::plain(p.item),
                        Cell::text(&p.item_name_zh),
                        Cell::text(p.way.name_zh()),
                        Cell::plain(p.priority.rank as f64),
                        Cell::text(p.priority.tier.name_zh()),
                        Cell::text(project_shortfall_zh(p)),
                        num_opt(p.cost_yuan),
                        Cell::plain(p.target_year),
                        Cell::text(p.status.id()),
                        Cell::opt_text(p.history.last().map(|c| c.date.to_string()).as_deref()),
                        Cell::Empty,
                    ],
                    photos: survey
                        .map(|s| {
                            s.photos
                                .iter()
                                .filter(|ph| ph.item == Some(p.item))
                                .map(|ph| url(&ph.sha256))
                                .collect()
                        })
                        .unwrap_or_default(),
                    geometry: survey.and_then(|s| boundary(s)),
                });
            }
        }
    }
    out
}

/// Exports what the request asks for, or says what is wrong with it (naming the bad field or filter
/// and listing the valid ones) before reading anything.
pub fn export(req: &ExportRequest, src: &Sources) -> Result<Vec<u8>, OfficeError> {
    let wanted = validate(req)?;
    let all = req.entity.fields();
    let photos_col = all.iter().position(|(id, _)| *id == "photos");
    let rows = rows(req, src);
    // The chosen fields, with photos filled in as the format wants them.
    let pick = |row: &Row, joiner: &str| -> Vec<Cell> {
        wanted
            .iter()
            .map(|i| {
                if Some(*i) == photos_col {
                    Cell::text(row.photos.join(joiner))
                } else {
                    row.cells[*i].clone()
                }
            })
            .collect()
    };
    match req.format {
        Format::Csv => {
            // A UTF-8 byte-order mark: Excel on Chinese Windows otherwise reads UTF-8 CSV as GBK.
            let mut out = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut out);
                w.write_record(wanted.iter().map(|i| all[*i].0))
                    .map_err(|e| OfficeError::Export(e.to_string()))?;
                for row in &rows {
                    w.write_record(pick(row, " ").iter().map(Cell::to_plain))
                        .map_err(|e| OfficeError::Export(e.to_string()))?;
                }
                w.flush().map_err(|e| OfficeError::Export(e.to_string()))?;
            }
            Ok(out)
        }
        Format::Xlsx => {
            let xlsx = |e: rust_xlsxwriter::XlsxError| OfficeError::Xlsx(e.to_string());
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name(req.entity.name_zh()).map_err(xlsx)?;
            let headers: Vec<&str> = wanted.iter().map(|i| all[*i].1).collect();
            let cells: Vec<Vec<Cell>> = rows.iter().map(|r| pick(r, "\n")).collect();
            write_table(ws, &Formats::new(), 0, &headers, &cells, &|_| false, 50.0)
                .map_err(xlsx)?;
            wb.save_to_buffer().map_err(xlsx)
        }
        Format::GeoJson => {
            let features: Vec<Value> = rows
                .iter()
                .map(|row| {
                    let mut props = Map::new();
                    for i in &wanted {
                        let id = all[*i].0;
                        let v = if Some(*i) == photos_col {
                            json!(row.photos)
                        } else {
                            match &row.cells[*i] {
                                Cell::Empty => Value::Null,
                                Cell::Text(s) => json!(s),
                                Cell::Num(n, _) => json!(n),
                            }
                        };
                        props.insert(id.to_owned(), v);
                    }
                    let geometry = match &row.geometry {
                        None => Value::Null,
                        Some(Geometry::Point(p)) => json!({"type": "Point", "coordinates": p}),
                        Some(Geometry::Polygon(ring)) => {
                            // GeoJSON rings are closed: the first position repeated at the end.
                            let mut ring = ring.clone();
                            if ring.first() != ring.last() {
                                ring.push(ring[0]);
                            }
                            json!({"type": "Polygon", "coordinates": [ring]})
                        }
                    };
                    json!({"type": "Feature", "geometry": geometry, "properties": props})
                })
                .collect();
            let doc = json!({"type": "FeatureCollection", "features": features});
            serde_json::to_vec_pretty(&doc).map_err(|e| OfficeError::Export(e.to_string()))
        }
    }
}

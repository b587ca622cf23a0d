//! `buqi import`: the office's list of communities (CSV or XLSX, one community a row, with
//! GeoJSON boundaries if it has them) made into the server's communities and assignments.
//!
//! Everything is checked before anything is written: each bad cell is reported by the row number
//! the spreadsheet shows (the header is row 1) and its column's header, and if there is any, the
//! command changes nothing and exits 2. Then the whole list is written in one store transaction
//! ([`Store::import`]): every community, assignment and community-record field, or nothing.
//!
//! The communities table holds each community's id, name and city; the list's other columns
//! (district, street, residents' committee, kind, boundary), with the name and city, become fields
//! of the community record (`district`, `street`, `residents_committee`, `kind`, `boundary`,
//! `name`, `city`, as `buqi_schema::record` names them), written as the server's own changes so
//! that tablets pull them like any change. A field the server already has a value for is left
//! alone (a surveyor's correction is not overwritten; the command says which it kept), so
//! importing again changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use buqi_schema::survey::CommunityKind;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressDrawTarget};
use uuid::Uuid;

use super::{fail, runtime, DatabaseArg};
use crate::clock::ServerClock;
use crate::store::{Community, ImportRow, Store, StoreError};

/// `buqi import FILE [--boundaries FILE.geojson] [--dry-run]`.
#[derive(clap::Args, Debug, Clone)]
pub struct ImportArgs {
    /// The community list: .csv (UTF-8) or .xlsx (its first sheet). One community a row under a
    /// header row; columns (Chinese or English headers): 社区名称/name, 城市/city, 区/district,
    /// 街道/street, 居委会/residents_committee, 类型/kind (新建|既有, new|existing),
    /// 调查员/surveyor (user names, separated by 、 or ,), 编号/id (a UUID; otherwise a new one),
    /// 边界编号/boundary_key (a feature of --boundaries).
    pub file: PathBuf,
    /// Boundaries: a GeoJSON file of Polygon or MultiPolygon features in WGS-84/CGCS2000
    /// longitude/latitude (EPSG:4326 or EPSG:4490; not GCJ-02, not projected).
    #[arg(long, value_name = "FILE.geojson")]
    pub boundaries: Option<PathBuf>,
    /// The feature property that 边界编号/boundary_key matches.
    #[arg(long, value_name = "PROPERTY", default_value = "key")]
    pub boundary_property: String,
    /// Check everything and show what would be done; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub db: DatabaseArg,
}

/// The exit code when the input is refused: nothing was changed.
const REFUSED: u8 = 2;

/// The columns of the community list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Column {
    Name,
    City,
    District,
    Street,
    ResidentsCommittee,
    Kind,
    Surveyor,
    Id,
    BoundaryKey,
}

impl Column {
    const ALL: [Column; 9] = [
        Column::Name,
        Column::City,
        Column::District,
        Column::Street,
        Column::ResidentsCommittee,
        Column::Kind,
        Column::Surveyor,
        Column::Id,
        Column::BoundaryKey,
    ];

    /// The headers that name the column, the usual Chinese one first and the English id last.
    fn headers(self) -> &'static [&'static str] {
        match self {
            Column::Name => &["社区名称", "名称", "社区", "name"],
            Column::City => &["城市", "市", "city"],
            Column::District => &["区", "区县", "区(县)", "区（县）", "district"],
            Column::Street => &["街道", "street"],
            Column::ResidentsCommittee => &["居委会", "社区居委会", "residents_committee"],
            Column::Kind => &["类型", "社区类型", "kind"],
            Column::Surveyor => &["调查员", "surveyor", "surveyors"],
            Column::Id => &["编号", "id"],
            Column::BoundaryKey => &["边界编号", "boundary_key"],
        }
    }

    fn of_header(header: &str) -> Option<Column> {
        let header = header
            .trim()
            .to_lowercase()
            .replace([' ', '-'], "_")
            .replace("residents'_committee", "residents_committee");
        Column::ALL
            .into_iter()
            .find(|c| c.headers().contains(&header.as_str()))
    }

    fn zh(self) -> &'static str {
        self.headers()[0]
    }
}

/// One thing wrong with the input: where (a row as the spreadsheet numbers it, and a column's
/// header) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub row: u32,
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "row {}, {column}: {}", self.row, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

/// The sheet as text: the header row and the rows under it, each with its row number.
#[derive(Debug, Clone, Default)]
struct Table {
    header_row: u32,
    header: Vec<String>,
    rows: Vec<(u32, Vec<String>)>,
}

impl Table {
    /// From rows of cells with their numbers: the first non-empty row is the header, empty rows
    /// are dropped.
    fn of(rows: impl IntoIterator<Item = (u32, Vec<String>)>) -> Table {
        let mut table = Table::default();
        let mut rows = rows
            .into_iter()
            .map(|(n, cells)| (n, cells.into_iter().map(|c| c.trim().to_owned()).collect()))
            .filter(|(_, cells): &(u32, Vec<String>)| cells.iter().any(|c| !c.is_empty()));
        if let Some((n, header)) = rows.next() {
            table.header_row = n;
            table.header = header;
            table.rows = rows.collect();
        }
        table
    }
}

/// Reads a CSV or XLSX file.
fn read_table(path: &Path) -> Result<Table, String> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "csv" => read_csv(path),
        "xlsx" | "xlsm" => read_xlsx(path),
        _ => Err("expected a .csv or .xlsx file".into()),
    }
}

fn read_csv(path: &Path) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for record in reader.byte_records() {
        let record = record.map_err(|e| e.to_string())?;
        // The line the record starts on: the row a spreadsheet shows it in (unless a cell above
        // holds a line break).
        let row = record.position().map_or(0, |p| p.line()) as u32;
        let mut cells = Vec::with_capacity(record.len());
        for cell in record.iter() {
            let text = std::str::from_utf8(cell).map_err(|_| {
                format!(
                    "row {row} is not UTF-8 text: save the sheet as \"CSV UTF-8\" (CSV UTF-8 逗号分隔), or as .xlsx"
                )
            })?;
            cells.push(text.trim_start_matches('\u{feff}').to_owned());
        }
        rows.push((row, cells));
    }
    Ok(Table::of(rows))
}

fn read_xlsx(path: &Path) -> Result<Table, String> {
    use calamine::Reader;
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| e.to_string())?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|e| e.to_string())?;
    let Some((first_row, first_column)) = range.start() else {
        return Ok(Table::default());
    };
    // Cells left of the range are empty: pad so that column positions are the sheet's.
    let pad = first_column as usize;
    let rows = range.rows().enumerate().map(|(i, cells)| {
        let mut texts = vec![String::new(); pad];
        texts.extend(cells.iter().map(|c| c.to_string()));
        (first_row + i as u32 + 1, texts)
    });
    Ok(Table::of(rows))
}

/// A boundary ring, `[longitude, latitude]`, not closed (the first point is not repeated).
pub type Ring = Vec<[f64; 2]>;

/// The features of a GeoJSON file by the value of one property.
#[derive(Debug, Default)]
struct Boundaries {
    file: String,
    property: String,
    /// Every feature with the property, by its value: its ring or what is wrong with it.
    by_key: HashMap<String, Vec<Result<Ring, String>>>,
}

fn read_boundaries(path: &Path, property: &str) -> Result<Boundaries, String> {
    use geojson::GeoJson;
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let geojson: GeoJson = text.parse().map_err(|e| format!("not GeoJSON: {e}"))?;
    let features = match geojson {
        GeoJson::FeatureCollection(collection) => {
            if let Some(crs) = collection
                .foreign_members
                .as_ref()
                .and_then(|m| m.get("crs"))
            {
                check_crs(crs)?;
            }
            collection.features
        }
        GeoJson::Feature(feature) => vec![feature],
        GeoJson::Geometry(_) => {
            return Err(format!(
                "a bare geometry: boundaries must be features with a {property:?} property"
            ))
        }
    };
    let mut boundaries = Boundaries {
        file: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        property: property.to_owned(),
        by_key: HashMap::new(),
    };
    for feature in features {
        let key = match feature.property(property) {
            Some(serde_json::Value::String(s)) => s.trim().to_owned(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        let ring = match &feature.geometry {
            None => Err("the feature has no geometry".to_owned()),
            Some(geometry) => outer_ring(&geometry.value),
        };
        boundaries.by_key.entry(key).or_default().push(ring);
    }
    Ok(boundaries)
}

/// Refuses a file whose `crs` member names anything but longitude/latitude on WGS-84 or CGCS2000.
fn check_crs(crs: &serde_json::Value) -> Result<(), String> {
    let name = crs
        .pointer("/properties/name")
        .and_then(|n| n.as_str())
        .unwrap_or_default();
    let lon_lat = [
        "CRS84",
        "EPSG::4326",
        "EPSG:4326",
        "EPSG::4490",
        "EPSG:4490",
    ];
    if lon_lat.iter().any(|n| name.ends_with(n)) {
        Ok(())
    } else {
        Err(format!(
            "its coordinates are in {name:?}: export the boundaries as WGS-84/CGCS2000 longitude/latitude (EPSG:4326 or EPSG:4490)"
        ))
    }
}

/// The outer ring of a Polygon, or of a MultiPolygon of one polygon, checked: finite
/// longitude/latitude, at least 3 distinct points.
pub fn outer_ring(geometry: &geojson::GeometryValue) -> Result<Ring, String> {
    use geojson::GeometryValue;
    let ring = match geometry {
        GeometryValue::Polygon { coordinates } => coordinates.first(),
        GeometryValue::MultiPolygon { coordinates } => match coordinates.as_slice() {
            [polygon] => polygon.first(),
            [] => None,
            parts => {
                return Err(format!(
                    "a MultiPolygon of {} parts; a community's boundary is one ring: merge the parts or keep one",
                    parts.len()
                ))
            }
        },
        other => {
            return Err(format!(
                "a {}, not a Polygon or MultiPolygon",
                other.type_name()
            ))
        }
    };
    let ring = ring.ok_or("an empty polygon")?;
    let mut points: Ring = Vec::with_capacity(ring.len());
    for (i, position) in ring.iter().enumerate() {
        let &[lon, lat, ..] = position.as_slice() else {
            return Err(format!("point {} has fewer than 2 coordinates", i + 1));
        };
        if !lon.is_finite() || !lat.is_finite() {
            return Err(format!("point {} is not a number", i + 1));
        }
        if lon.abs() > 180.0 {
            return Err(format!(
                "point {} is ({lon}, {lat}): not longitude/latitude, the coordinates look projected; export the boundaries as WGS-84/CGCS2000 longitude/latitude (EPSG:4326 or EPSG:4490)",
                i + 1
            ));
        }
        if lat.abs() > 90.0 {
            return Err(format!(
                "point {} is ({lon}, {lat}): latitude beyond ±90 (GeoJSON puts longitude first; are they swapped?)",
                i + 1
            ));
        }
        points.push([lon, lat]);
    }
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    let mut distinct: Vec<[f64; 2]> = Vec::new();
    for p in &points {
        if !distinct.contains(p) {
            distinct.push(*p);
        }
    }
    if distinct.len() < 3 {
        return Err(format!(
            "the ring has {} distinct points; a boundary needs at least 3",
            distinct.len()
        ));
    }
    Ok(points)
}

/// A community as one row of the list gives it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The row number as the spreadsheet shows it.
    pub row: u32,
    pub id: Option<Uuid>,
    pub name: String,
    pub city: String,
    pub district: Option<String>,
    pub street: Option<String>,
    pub residents_committee: Option<String>,
    pub kind: Option<CommunityKind>,
    pub surveyors: Vec<String>,
    pub boundary_key: Option<String>,
    pub boundary: Option<Ring>,
}

/// The header of each column present, as the file writes it, and where.
struct Header {
    at: BTreeMap<Column, (usize, String)>,
}

impl Header {
    fn label(&self, column: Column) -> String {
        self.at
            .get(&column)
            .map_or_else(|| column.zh().to_owned(), |(_, h)| h.clone())
    }

    fn english(&self, column: Column) -> bool {
        self.label(column).is_ascii()
    }
}

/// Checks the header and every row; the rows that are good, and every problem.
fn check_rows(table: &Table, boundaries: Option<&Boundaries>) -> (Vec<Row>, Vec<Problem>) {
    let mut problems = Vec::new();
    let at_header = |message: String| Problem {
        row: table.header_row,
        column: None,
        message,
    };
    if table.header.is_empty() {
        problems.push(Problem {
            row: 1,
            column: None,
            message: "the file holds no rows".into(),
        });
        return (Vec::new(), problems);
    }
    let mut header = Header {
        at: BTreeMap::new(),
    };
    for (i, text) in table.header.iter().enumerate() {
        if text.is_empty() {
            let used = table
                .rows
                .iter()
                .any(|(_, cells)| cells.get(i).is_some_and(|c| !c.is_empty()));
            if used {
                problems.push(at_header(format!(
                    "column {} holds values but has no header",
                    column_letters(i)
                )));
            }
            continue;
        }
        match Column::of_header(text) {
            Some(column) => {
                if let Some((_, first)) = header.at.get(&column) {
                    problems.push(at_header(format!(
                        "{text:?} (column {}) names the same column as {first:?}",
                        column_letters(i)
                    )));
                } else {
                    header.at.insert(column, (i, text.clone()));
                }
            }
            None => problems.push(at_header(format!(
                "unknown column {text:?} (column {}); the columns are {}",
                column_letters(i),
                Column::ALL
                    .iter()
                    .map(|c| format!("{}/{}", c.zh(), c.headers().last().unwrap_or(&"")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
    for required in [Column::Name, Column::City] {
        if !header.at.contains_key(&required) {
            problems.push(at_header(format!(
                "no {} column ({}/{})",
                required.zh(),
                required.zh(),
                required.headers().last().unwrap_or(&"")
            )));
        }
    }
    if !problems.is_empty() {
        return (Vec::new(), problems);
    }
    if boundaries.is_some() && !header.at.contains_key(&Column::BoundaryKey) {
        problems.push(at_header(
            "--boundaries was given but there is no 边界编号/boundary_key column".into(),
        ));
    }

    let mut rows = Vec::new();
    let mut names: HashMap<String, u32> = HashMap::new();
    let mut ids: HashMap<Uuid, u32> = HashMap::new();
    let mut keys: HashMap<String, u32> = HashMap::new();
    for (n, cells) in &table.rows {
        let n = *n;
        let cell = |column: Column| -> &str {
            header
                .at
                .get(&column)
                .and_then(|(i, _)| cells.get(*i))
                .map_or("", String::as_str)
        };
        let mut bad = |column: Column, message: String| {
            problems.push(Problem {
                row: n,
                column: Some(header.label(column)),
                message,
            })
        };
        let mut text = |column: Column, required: bool| -> Option<String> {
            let value = cell(column);
            if value.chars().any(char::is_control) {
                bad(column, "holds a control character (a line break?)".into());
                None
            } else if value.is_empty() {
                if required {
                    bad(column, "is empty".into());
                }
                None
            } else {
                Some(value.to_owned())
            }
        };
        let name = text(Column::Name, true);
        let city = text(Column::City, true);
        let district = text(Column::District, false);
        let street = text(Column::Street, false);
        let residents_committee = text(Column::ResidentsCommittee, false);
        let boundary_key = text(Column::BoundaryKey, false);

        let kind = match cell(Column::Kind) {
            "" => None,
            value => match parse_kind(value) {
                Some(kind) => Some(kind),
                None => {
                    let expected = if header.english(Column::Kind) {
                        "new or existing"
                    } else {
                        "新建 or 既有"
                    };
                    bad(Column::Kind, format!("expected {expected}, got {value:?}"));
                    None
                }
            },
        };
        let id = match cell(Column::Id) {
            "" => None,
            value => match Uuid::parse_str(value) {
                Ok(id) if !id.is_nil() => Some(id),
                _ => {
                    bad(
                        Column::Id,
                        format!("expected a UUID (or nothing, for a new id), got {value:?}"),
                    );
                    None
                }
            },
        };
        let surveyors = split_names(cell(Column::Surveyor));

        if let Some(name) = &name {
            match names.get(name) {
                Some(first) => bad(
                    Column::Name,
                    format!("{name:?} is also on row {first}; each community once"),
                ),
                None => {
                    names.insert(name.clone(), n);
                }
            }
        }
        if let Some(id) = id {
            match ids.get(&id) {
                Some(first) => bad(Column::Id, format!("{id} is also on row {first}")),
                None => {
                    ids.insert(id, n);
                }
            }
        }
        let mut boundary = None;
        if let Some(key) = &boundary_key {
            if let Some(first) = keys.get(key) {
                bad(
                    Column::BoundaryKey,
                    format!(
                        "{key:?} is also on row {first}; two communities cannot share a boundary"
                    ),
                );
            } else {
                keys.insert(key.clone(), n);
            }
            match boundaries {
                None => bad(
                    Column::BoundaryKey,
                    format!("{key:?} names a boundary, but no --boundaries file was given"),
                ),
                Some(b) => match b.by_key.get(key).map(Vec::as_slice) {
                    None | Some([]) => bad(
                        Column::BoundaryKey,
                        format!("no feature in {} has {} {key:?}", b.file, b.property),
                    ),
                    Some([Ok(ring)]) => boundary = Some(ring.clone()),
                    Some([Err(why)]) => bad(
                        Column::BoundaryKey,
                        format!("the feature {key:?} in {}: {why}", b.file),
                    ),
                    Some(several) => bad(
                        Column::BoundaryKey,
                        format!(
                            "{} features in {} have {} {key:?}",
                            several.len(),
                            b.file,
                            b.property
                        ),
                    ),
                },
            }
        }
        if let (Some(name), Some(city)) = (name, city) {
            rows.push(Row {
                row: n,
                id,
                name,
                city,
                district,
                street,
                residents_committee,
                kind,
                surveyors,
                boundary_key,
                boundary,
            });
        }
    }
    (rows, problems)
}

fn parse_kind(value: &str) -> Option<CommunityKind> {
    match value.trim().to_lowercase().as_str() {
        "新建" | "新建居住社区" | "new" => Some(CommunityKind::New),
        "既有" | "既有居住社区" | "existing" => Some(CommunityKind::Existing),
        _ => None,
    }
}

/// User names separated by 、 or a comma (half- or full-width); duplicates dropped.
fn split_names(cell: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in cell.split(['、', ',', '，']).map(str::trim) {
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names
}

/// `A`, `B`, …, `Z`, `AA`, … for a 0-based column index.
fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// What the import does with one row.
#[derive(Debug, Clone)]
struct Step {
    row: Row,
    community: Community,
    /// The community is on the server already (the same id and name, or the only one of that
    /// name and city).
    exists: bool,
}

/// Checks the rows against the server: their surveyors are users, their ids are free or the same
/// community's. The steps of the import, or the problems.
async fn plan(
    store: &Store,
    rows: Vec<Row>,
    header: &dyn Fn(Column) -> String,
) -> Result<(Vec<Step>, Vec<Problem>), StoreError> {
    let mut problems = Vec::new();
    // Each surveyor's city, or None for a name that is no user.
    let mut users: HashMap<String, Option<String>> = HashMap::new();
    for name in rows.iter().flat_map(|r| &r.surveyors) {
        if users.contains_key(name) {
            continue;
        }
        let city = match store.user(name).await {
            Ok(user) => Some(user.city),
            Err(StoreError::NoUser(_)) => None,
            Err(e) => return Err(e),
        };
        users.insert(name.clone(), city);
    }
    let existing = store.communities().await?;
    let mut steps = Vec::new();
    for row in rows {
        for name in &row.surveyors {
            match &users[name] {
                None => problems.push(Problem {
                    row: row.row,
                    column: Some(header(Column::Surveyor)),
                    message: format!("there is no user named {name:?} (buqi user add)"),
                }),
                Some(city) if *city != row.city => problems.push(Problem {
                    row: row.row,
                    column: Some(header(Column::Surveyor)),
                    message: format!(
                        "{name:?} works in {city}, not {}: a user can be assigned only communities of their own city",
                        row.city
                    ),
                }),
                Some(_) => {}
            }
        }
        let label = format!("{} ({})", row.name, row.city);
        let (id, exists) = match row.id {
            Some(id) => match existing.iter().find(|e| e.id == id) {
                None => (id, false),
                Some(held) if held.name == row.name => (id, true),
                Some(held) => {
                    problems.push(Problem {
                        row: row.row,
                        column: Some(header(Column::Id)),
                        message: format!(
                            "community {id} is already on the server as {} ({}), not {:?}",
                            held.name, held.city, row.name
                        ),
                    });
                    continue;
                }
            },
            None => {
                let same: Vec<Uuid> = existing
                    .iter()
                    .filter(|e| e.name == row.name && e.city == row.city)
                    .map(|e| e.id)
                    .collect();
                match same.as_slice() {
                    [] => (Uuid::now_v7(), false),
                    [id] => (*id, true),
                    several => {
                        problems.push(Problem {
                            row: row.row,
                            column: Some(header(Column::Name)),
                            message: format!(
                                "{} communities named {label} are on the server already ({}); give this row's id in a {} column",
                                several.len(),
                                several
                                    .iter()
                                    .map(Uuid::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                header(Column::Id)
                            ),
                        });
                        continue;
                    }
                }
            }
        };
        let community = Community {
            id,
            name: row.name.clone(),
            city: row.city.clone(),
        };
        steps.push(Step {
            row,
            community,
            exists,
        });
    }
    Ok((steps, problems))
}

/// The list's columns beyond name and city, as `区: 武昌区; 类型: 既有; …`.
fn extra(row: &Row) -> Vec<String> {
    let mut parts = Vec::new();
    let mut put = |label: &str, value: &Option<String>| {
        if let Some(value) = value {
            parts.push(format!("{label}: {value}"));
        }
    };
    put("区", &row.district);
    put("街道", &row.street);
    put("居委会", &row.residents_committee);
    if let Some(kind) = row.kind {
        parts.push(format!("类型: {}", kind.name_zh()));
    }
    if let (Some(key), Some(ring)) = (&row.boundary_key, &row.boundary) {
        parts.push(format!("边界: {key} ({} points)", ring.len()));
    }
    parts
}

/// The community record's fields a row gives, named and shaped as `buqi_schema::record` has
/// them.
fn record_fields(row: &Row) -> Vec<(String, serde_json::Value)> {
    use serde_json::json;
    let mut fields = vec![
        ("name".to_owned(), json!(row.name)),
        ("city".to_owned(), json!(row.city)),
    ];
    let texts = [
        ("district", &row.district),
        ("street", &row.street),
        ("residents_committee", &row.residents_committee),
    ];
    for (field, value) in texts {
        if let Some(value) = value {
            fields.push((field.to_owned(), json!(value)));
        }
    }
    if let Some(kind) = row.kind {
        fields.push(("kind".to_owned(), json!(kind)));
    }
    if let Some(ring) = &row.boundary {
        // The office's own files, not a measurement on site: `documents`. No area: the tablet
        // measures one if the surveyor walks the boundary.
        fields.push((
            "boundary".to_owned(),
            json!({ "ring": ring, "method": "documents" }),
        ));
    }
    fields
}

fn refuse(problems: &[Problem], file: &Path) -> ExitCode {
    for problem in problems {
        eprintln!("buqi import: {problem}");
    }
    eprintln!(
        "buqi import: {} problem{} in {}; nothing was changed",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        file.display()
    );
    ExitCode::from(REFUSED)
}

pub fn run(args: ImportArgs) -> ExitCode {
    let table = match read_table(&args.file) {
        Ok(table) => table,
        Err(e) => {
            eprintln!("buqi import: cannot read {}: {e}", args.file.display());
            return ExitCode::from(REFUSED);
        }
    };
    let boundaries = match &args.boundaries {
        None => None,
        Some(path) => match read_boundaries(path, &args.boundary_property) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("buqi import: cannot read {}: {e}", path.display());
                return ExitCode::from(REFUSED);
            }
        },
    };
    let (rows, mut problems) = check_rows(&table, boundaries.as_ref());
    let labels: HashMap<Column, String> = Column::ALL
        .into_iter()
        .map(|c| {
            let found = table
                .header
                .iter()
                .find(|h| Column::of_header(h) == Some(c))
                .cloned();
            (c, found.unwrap_or_else(|| c.zh().to_owned()))
        })
        .collect();
    let label = |c: Column| labels[&c].clone();

    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail("import", format!("cannot start: {e}")),
    };
    runtime.block_on(async {
        let store = match Store::open(&args.db.database).await {
            Ok(store) => store,
            Err(e) => return fail("import", e),
        };
        let (steps, more) = match plan(&store, rows, &label).await {
            Ok(planned) => planned,
            Err(e) => return fail("import", e),
        };
        problems.extend(more);
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.row);
            return refuse(&problems, &args.file);
        }
        if steps.is_empty() {
            eprintln!(
                "buqi import: {} lists no communities; nothing was changed",
                args.file.display()
            );
            return ExitCode::from(REFUSED);
        }
        if args.dry_run {
            dry_run(&steps);
            return ExitCode::SUCCESS;
        }
        write(&store, &steps).await
    })
}

fn dry_run(steps: &[Step]) {
    for step in steps {
        let c = &step.community;
        let verb = if step.exists {
            "already there:"
        } else {
            "would create"
        };
        println!(
            "row {}: {verb} {} ({}), id {}",
            step.row.row, c.name, c.city, c.id
        );
        let extra = extra(&step.row);
        if !extra.is_empty() {
            println!("    {}", extra.join("; "));
        }
        if !step.row.surveyors.is_empty() {
            println!("    would assign to {}", step.row.surveyors.join("、"));
        }
    }
    let new = steps.iter().filter(|s| !s.exists).count();
    println!(
        "dry run: {} communities checked ({new} to create, {} already there); nothing was changed",
        steps.len(),
        steps.len() - new
    );
}

async fn write(store: &Store, steps: &[Step]) -> ExitCode {
    let rows: Vec<ImportRow> = steps
        .iter()
        .map(|step| ImportRow {
            community: step.community.clone(),
            surveyors: step.row.surveyors.clone(),
            fields: record_fields(&step.row),
        })
        .collect();
    // One transaction: a bar would only say "waiting"; a spinner says it is not stuck.
    let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    spinner.set_message(format!("importing {} communities", rows.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let imported = store
        .import(rows, ServerClock::new().now(), Utc::now())
        .await;
    spinner.finish_and_clear();
    let imported = match imported {
        Ok(imported) => imported,
        Err(e) => {
            return fail(
                "import",
                format!("{e}; nothing was imported (the list is written whole or not at all)"),
            )
        }
    };
    let row_of: HashMap<Uuid, &Step> = steps.iter().map(|s| (s.community.id, s)).collect();
    for step in steps {
        let c = &step.community;
        let mut line = if step.exists {
            format!("already there: {} ({}), id {}", c.name, c.city, c.id)
        } else {
            format!("created {} ({}), id {}", c.name, c.city, c.id)
        };
        if !step.row.surveyors.is_empty() {
            line.push_str(&format!("; assigned to {}", step.row.surveyors.join("、")));
        }
        println!("{line}");
    }
    for kept in &imported.kept {
        let Some(step) = row_of.get(&kept.community) else {
            continue;
        };
        eprintln!(
            "buqi import: row {}, {} ({}): kept the server's {} {} (the list says {})",
            step.row.row,
            step.community.name,
            step.community.city,
            kept.field,
            kept.held,
            kept.listed
        );
    }
    println!(
        "imported {} communities: {} created, {} already there; {} assignments added; {} community fields written",
        steps.len(),
        imported.created,
        steps.len() - imported.created,
        imported.assigned,
        imported.fields
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Table {
        Table::of(
            rows.iter()
                .enumerate()
                .map(|(i, cells)| (i as u32 + 1, cells.iter().map(|c| c.to_string()).collect())),
        )
    }

    #[test]
    fn headers_in_chinese_and_english() {
        assert_eq!(Column::of_header("社区名称"), Some(Column::Name));
        assert_eq!(Column::of_header(" Name "), Some(Column::Name));
        assert_eq!(
            Column::of_header("Residents committee"),
            Some(Column::ResidentsCommittee)
        );
        assert_eq!(Column::of_header("边界编号"), Some(Column::BoundaryKey));
        assert_eq!(Column::of_header("备注"), None);
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
    }

    #[test]
    fn bad_cells_are_named_by_row_and_header() {
        let t = table(&[
            &["社区名称", "城市", "类型", "编号"],
            &["东湖社区", "武汉", "既有", ""],
            &[],
            &["", "武汉", "老旧", "not-an-id"],
            &["东湖社区", "武汉", "new", ""],
        ]);
        let (rows, problems) = check_rows(&t, None);
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "row 4, 社区名称: is empty",
                "row 4, 类型: expected 新建 or 既有, got \"老旧\"",
                "row 4, 编号: expected a UUID (or nothing, for a new id), got \"not-an-id\"",
                "row 5, 社区名称: \"东湖社区\" is also on row 2; each community once",
            ]
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].kind, Some(CommunityKind::Existing));
    }

    #[test]
    fn surveyor_names_split_on_either_separator() {
        assert_eq!(
            split_names("张三、李四, 王五，张三"),
            ["张三", "李四", "王五"]
        );
        assert!(split_names(" ").is_empty());
    }

    fn polygon(points: &[[f64; 2]]) -> geojson::GeometryValue {
        geojson::GeometryValue::Polygon {
            coordinates: vec![points
                .iter()
                .map(|p| geojson::Position::from(p.to_vec()))
                .collect()],
        }
    }

    #[test]
    fn rings_are_lon_lat_with_three_distinct_points() {
        let ring = outer_ring(&polygon(&[
            [114.30, 30.55],
            [114.31, 30.55],
            [114.31, 30.56],
            [114.30, 30.55],
        ]))
        .unwrap();
        assert_eq!(ring.len(), 3);
        let projected = outer_ring(&polygon(&[
            [535_000.0, 3_380_000.0],
            [535_100.0, 3_380_000.0],
            [535_100.0, 3_380_100.0],
        ]))
        .unwrap_err();
        assert!(projected.contains("projected"), "{projected}");
        let swapped = outer_ring(&polygon(&[
            [30.55, 114.30],
            [30.55, 114.31],
            [30.56, 114.31],
        ]))
        .unwrap_err();
        assert!(swapped.contains("swapped"), "{swapped}");
        let thin =
            outer_ring(&polygon(&[[114.3, 30.5], [114.4, 30.5], [114.3, 30.5]])).unwrap_err();
        assert!(thin.contains("2 distinct points"), "{thin}");
        let line = geojson::GeometryValue::LineString {
            coordinates: vec![],
        };
        assert!(outer_ring(&line).unwrap_err().contains("LineString"));
    }
}

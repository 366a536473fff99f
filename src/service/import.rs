//! Importing post ideas from CSV or JSON, and exporting a workspace's posts. An import is
//! checked whole first: one bad row and nothing is imported, with every row's problems listed.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::auth::Tenant;
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{Chapter, ChapterId, Post, PostStatus, Priority};
use crate::service::audit::{self, Actor, Event};
use crate::service::posts::{self, NewPost};

pub const MAX_ROWS: usize = 1000;
pub const MAX_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// `auto` looks at the first non-blank character: `[` means JSON.
    pub fn detect(choice: &str, content: &str) -> Format {
        match choice {
            "csv" => Format::Csv,
            "json" => Format::Json,
            _ if content.trim_start().starts_with('[') => Format::Json,
            _ => Format::Csv,
        }
    }
}

/// One row as written in the file; every field but the title is optional.
#[derive(Debug, Default, Deserialize)]
struct RawRow {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    /// A chapter number ("2") or title.
    #[serde(default)]
    chapter: String,
    #[serde(default)]
    priority: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    due_date: String,
}

/// A row that passed every check, ready to create.
#[derive(Debug, Clone)]
pub struct ValidRow {
    pub line: usize,
    pub title: String,
    pub body: String,
    pub chapter: Option<(ChapterId, String)>,
    pub priority: Priority,
    pub due_date: Option<NaiveDateTime>,
}

/// What the preview shows for each row.
#[derive(Debug, Clone)]
pub struct RowReport {
    pub line: usize,
    pub title: String,
    pub chapter: String,
    pub priority: String,
    pub due_date: String,
    pub errors: Vec<String>,
}

#[derive(Debug)]
pub struct Checked {
    pub rows: Vec<RowReport>,
    pub valid: Vec<ValidRow>,
    /// A problem with the file as a whole (unreadable, empty, too big).
    pub file_error: Option<String>,
}

impl Checked {
    pub fn ok(&self) -> bool {
        self.file_error.is_none()
            && self.rows.iter().all(|r| r.errors.is_empty())
            && !self.valid.is_empty()
    }
}

fn file_error(message: impl Into<String>) -> Checked {
    Checked {
        rows: Vec::new(),
        valid: Vec::new(),
        file_error: Some(message.into()),
    }
}

/// Reads and checks every row against the workspace's chapters.
pub fn check(content: &str, format: Format, chapters: &[Chapter]) -> Checked {
    if content.trim().is_empty() {
        return file_error("The file is empty.");
    }
    if content.len() > MAX_BYTES {
        return file_error("The file is larger than 1 MB. Split it into smaller files.");
    }
    let raw: Vec<(usize, RawRow)> =
        match format {
            Format::Json => match serde_json::from_str::<Vec<RawRow>>(content) {
                // JSON rows are numbered from 1 in file order.
                Ok(rows) => rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| (i + 1, r))
                    .collect(),
                Err(e) => {
                    return file_error(format!(
                        "This is not a JSON list of ideas (line {}, column {}): {}",
                        e.line(),
                        e.column(),
                        e
                    ))
                }
            },
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .trim(csv::Trim::All)
                    .flexible(false)
                    .from_reader(content.as_bytes());
                match reader.headers() {
                    Ok(h) if h.iter().any(|c| c.eq_ignore_ascii_case("title")) => {}
                    Ok(_) => return file_error(
                        "The first line must name the columns and include \u{201c}title\u{201d}.",
                    ),
                    Err(e) => return file_error(format!("The CSV cannot be read: {e}")),
                }
                let headers = match reader.headers() {
                    Ok(h) => csv::StringRecord::from(
                        h.iter().map(|c| c.to_ascii_lowercase()).collect::<Vec<_>>(),
                    ),
                    Err(e) => return file_error(format!("The CSV cannot be read: {e}")),
                };
                reader.set_headers(headers);
                let mut rows = Vec::new();
                for (i, record) in reader.deserialize::<RawRow>().enumerate() {
                    // Line 1 is the header.
                    let line = i + 2;
                    match record {
                        Ok(r) => rows.push((line, r)),
                        Err(e) => {
                            return file_error(format!("Line {line} cannot be read: {e}"));
                        }
                    }
                }
                rows
            }
        };
    if raw.is_empty() {
        return file_error("The file has no rows to import.");
    }
    if raw.len() > MAX_ROWS {
        return file_error(format!(
            "The file has {} rows; import at most {MAX_ROWS} at a time.",
            raw.len()
        ));
    }
    let mut rows = Vec::with_capacity(raw.len());
    let mut valid = Vec::with_capacity(raw.len());
    for (line, r) in raw {
        let mut errors = Vec::new();
        let title = r.title.trim().to_string();
        if title.is_empty() {
            errors.push("The title is missing.".to_string());
        } else if title.chars().count() > posts::TITLE_MAX {
            errors.push(format!(
                "The title is longer than {} characters.",
                posts::TITLE_MAX
            ));
        }
        if r.body.chars().count() > posts::BODY_MAX {
            errors.push(format!(
                "The text is longer than {} characters.",
                posts::BODY_MAX
            ));
        }
        let chapter = match r.chapter.trim() {
            "" => None,
            wanted => {
                let found = chapters.iter().find(|c| {
                    wanted.parse::<i32>().ok() == Some(c.chapter_number)
                        || c.title.eq_ignore_ascii_case(wanted)
                });
                if found.is_none() {
                    errors.push(format!(
                        "There is no chapter \u{201c}{wanted}\u{201d} in this workspace."
                    ));
                }
                found.map(|c| (c.id.clone(), c.title.clone()))
            }
        };
        let priority = match r.priority.trim().to_ascii_lowercase().as_str() {
            "" => Priority::Medium,
            p => Priority::parse(p).unwrap_or_else(|| {
                errors.push(format!(
                    "Priority \u{201c}{p}\u{201d} is not one of low, medium, high, urgent."
                ));
                Priority::Medium
            }),
        };
        let due_date = match r.due_date.trim() {
            "" => None,
            d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(date) => date.and_hms_opt(0, 0, 0),
                Err(_) => {
                    errors.push(format!(
                        "Due date \u{201c}{d}\u{201d} is not a date like 2026-12-31."
                    ));
                    None
                }
            },
        };
        rows.push(RowReport {
            line,
            title: title.clone(),
            chapter: chapter.as_ref().map(|c| c.1.clone()).unwrap_or_default(),
            priority: priority.label().into(),
            due_date: due_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            errors: errors.clone(),
        });
        if errors.is_empty() {
            valid.push(ValidRow {
                line,
                title,
                body: r.body,
                chapter,
                priority,
                due_date,
            });
        }
    }
    Checked {
        rows,
        valid,
        file_error: None,
    }
}

/// Creates every row as an idea. Call inside a transaction, with rows from a `check` that
/// returned `ok()`.
pub fn import(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    rows: &[ValidRow],
) -> Result<usize, AppError> {
    for row in rows {
        let post = posts::create(
            conn,
            tenant,
            actor,
            NewPost {
                title: &row.title,
                body: &row.body,
                chapter_id: row.chapter.as_ref().map(|c| c.0.clone()),
                status: PostStatus::Idea,
                post_number: None,
                shape: "",
                guidance: "",
            },
        )?
        .map_err(|e| AppError::BadRequest(format!("Row {}: {e:?}", row.line)))?;
        if row.priority != Priority::Medium || row.due_date.is_some() {
            crate::repo::posts::set_planning(
                conn,
                tenant,
                &post.id,
                &crate::repo::posts::Planning {
                    due_date: row.due_date,
                    priority: row.priority,
                    chapter_id: post.chapter_id.as_ref(),
                    shape: "",
                    guidance: "",
                },
            )?;
        }
    }
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "posts.imported",
            format!("Imported {} post ideas", rows.len()),
        ),
    )?;
    Ok(rows.len())
}

/// One exported post.
#[derive(Debug, Serialize)]
pub struct ExportRow {
    pub id: String,
    pub title: String,
    pub status: String,
    pub priority: String,
    pub chapter: String,
    pub assignee: String,
    pub due_date: String,
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
    pub body: String,
}

pub fn export_rows(
    posts: Vec<Post>,
    chapters: &[Chapter],
    names: &std::collections::HashMap<crate::model::UserId, String>,
) -> Vec<ExportRow> {
    posts
        .into_iter()
        .map(|p| ExportRow {
            id: p.id.to_string(),
            chapter: p
                .chapter_id
                .as_ref()
                .and_then(|id| chapters.iter().find(|c| &c.id == id))
                .map(|c| c.title.clone())
                .unwrap_or_default(),
            assignee: p
                .assignee_id
                .as_ref()
                .and_then(|id| names.get(id).cloned())
                .unwrap_or_default(),
            title: p.title,
            status: p.status.as_str().into(),
            priority: p.priority.as_str().into(),
            due_date: p
                .due_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            version: p.current_version,
            created_at: p.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            updated_at: p.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            body: p.body,
        })
        .collect()
}

/// CSV with a header line; the same columns `check` reads back (plus read-only ones).
pub fn to_csv(rows: &[ExportRow]) -> Result<String, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .serialize(row)
            .map_err(|e| AppError::internal(format!("csv export: {e}")))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::internal(format!("csv export: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal(format!("csv export: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_checked_one_by_one() {
        let content =
            "title,priority,due_date\nFirst,high,2026-12-01\n,low,\nThird,soon,31/12/2026\n";
        let checked = check(content, Format::Csv, &[]);
        assert!(!checked.ok());
        assert_eq!(checked.rows.len(), 3);
        assert!(checked.rows[0].errors.is_empty());
        assert_eq!(checked.rows[1].line, 3);
        assert!(checked.rows[1].errors[0].contains("title is missing"));
        assert_eq!(checked.rows[2].errors.len(), 2);
    }

    #[test]
    fn json_needs_a_list() {
        let checked = check("{\"title\": \"x\"}", Format::Json, &[]);
        assert!(checked.file_error.unwrap().contains("not a JSON list"));
        let ok = check("[{\"title\": \"x\", \"body\": \"y\"}]", Format::Json, &[]);
        assert!(ok.ok());
    }

    #[test]
    fn format_is_detected_from_content() {
        assert_eq!(Format::detect("auto", "  [{}]"), Format::Json);
        assert_eq!(Format::detect("auto", "title\nx"), Format::Csv);
    }
}

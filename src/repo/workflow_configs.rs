//! The installation-wide list of workflows (not tenant data: every workspace sees the same
//! rows, filtered by tier).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::workflow_configs as w;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = w)]
pub struct WorkflowConfigRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub config_file: String,
    pub environment: String,
    /// JSON list of strings.
    pub features: String,
    pub tier_required: Option<String>,
    pub enabled: bool,
    pub is_default: bool,
    /// The workflow file's text as last synced.
    pub yaml: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The fields the registry decides.
#[derive(Debug, Clone, PartialEq, Eq, AsChangeset, Insertable)]
#[diesel(table_name = w, treat_none_as_null = true)]
pub struct WorkflowConfigFields {
    pub name: String,
    pub description: String,
    pub config_file: String,
    pub environment: String,
    pub features: String,
    pub tier_required: Option<String>,
    pub enabled: bool,
    pub is_default: bool,
    pub yaml: String,
}

impl WorkflowConfigRow {
    pub fn fields(&self) -> WorkflowConfigFields {
        WorkflowConfigFields {
            name: self.name.clone(),
            description: self.description.clone(),
            config_file: self.config_file.clone(),
            environment: self.environment.clone(),
            features: self.features.clone(),
            tier_required: self.tier_required.clone(),
            enabled: self.enabled,
            is_default: self.is_default,
            yaml: self.yaml.clone(),
        }
    }
}

pub fn list_all_global(conn: &mut DbConn) -> QueryResult<Vec<WorkflowConfigRow>> {
    w::table
        .order(w::slug.asc())
        .select(WorkflowConfigRow::as_select())
        .load(conn)
}

pub fn find_by_slug_global(
    conn: &mut DbConn,
    slug: &str,
) -> QueryResult<Option<WorkflowConfigRow>> {
    w::table
        .filter(w::slug.eq(slug))
        .select(WorkflowConfigRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut DbConn,
    slug: &str,
    fields: &WorkflowConfigFields,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(w::table)
        .values((
            w::id.eq(&id),
            w::slug.eq(slug),
            fields,
            w::created_at.eq(now),
            w::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    fields: &WorkflowConfigFields,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(w::table.filter(w::id.eq(id)))
        .set((fields, w::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

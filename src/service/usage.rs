//! Credits: each workspace has a monthly allowance from its tier. Work that costs credits
//! reserves an estimate first (`reserve`), then charges what it really used (`confirm`) or hands
//! the reservation back (`release`). Every call is keyed, so a retried job cannot charge twice.
//!
//! Periods are calendar months in UTC, made on first use with the tier's allowance copied in,
//! so a plan change never rewrites past months. Pending reservations that outlive their
//! `expires_at` are marked `expired` by the next `reserve` or `balance` of that workspace and
//! stop holding credits; confirming one after that charges nothing.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::tenant::{self, Tenant};
use crate::db::schema::{credit_reservations as r, usage_periods as p, workspaces as w};
use crate::db::{write_tx, DbConn};
use crate::error::AppError;
use crate::model::{
    now, Reservation, ReservationId, ReservationStatus, ResourceType, Tier, UsagePeriod,
    UsagePeriodId, Workspace, WorkspaceId,
};
use crate::service::audit::{self, Actor, Event};

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("{}", limit_message(*needed, *remaining, *limit))]
    LimitExceeded {
        needed: i64,
        remaining: i64,
        limit: i64,
    },
    /// A caller bug: reservations are for at least one credit.
    #[error("a credit reservation must be for at least 1 credit, not {0}")]
    InvalidAmount(i64),
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
}

fn credits(n: i64) -> String {
    if n == 1 {
        "1 credit".into()
    } else {
        format!("{n} credits")
    }
}

fn limit_message(needed: i64, remaining: i64, limit: i64) -> String {
    let left = if remaining <= 0 {
        format!("has used all {} for this month", credits(limit))
    } else {
        format!("has {} left this month", credits(remaining))
    };
    format!(
        "This workspace {left} and this needs {}. Credits renew on the 1st of each month; \
         a workspace owner can move to a larger plan for more.",
        credits(needed)
    )
}

impl From<UsageError> for AppError {
    fn from(e: UsageError) -> Self {
        match e {
            e @ UsageError::LimitExceeded { .. } => AppError::PaymentRequired(e.to_string()),
            e @ UsageError::InvalidAmount(_) => AppError::Internal(e.to_string()),
            UsageError::Db(e) => AppError::Db(e),
        }
    }
}

/// Credits of the current month. `pending` is held by unexpired reservations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub period_start: NaiveDateTime,
    pub period_end: NaiveDateTime,
    pub limit: i64,
    pub used: i64,
    pub pending: i64,
}

impl Balance {
    pub fn unlimited(&self) -> bool {
        self.limit == 0
    }

    /// Credits that can still be reserved without overage; `i64::MAX` when unlimited.
    pub fn remaining(&self) -> i64 {
        if self.unlimited() {
            return i64::MAX;
        }
        (self.limit - self.used - self.pending).max(0)
    }
}

pub fn tier_of(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Tier> {
    w::table
        .find(tenant.workspace_id())
        .select(w::tier)
        .first(conn)
}

/// `[start, end)` of the UTC calendar month containing `at`.
pub fn month_of(at: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    let first = |y: i32, m: u32| {
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or(at)
    };
    let (y, m) = (at.year(), at.month());
    let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (first(y, m), first(next.0, next.1))
}

/// The period containing `at`, made with `tier`'s allowance if it does not exist yet.
fn period_at(
    conn: &mut DbConn,
    workspace: &WorkspaceId,
    tier: Tier,
    at: NaiveDateTime,
) -> QueryResult<UsagePeriod> {
    let (start, end) = month_of(at);
    let find = |conn: &mut DbConn| {
        p::table
            .filter(p::workspace_id.eq(workspace))
            .filter(p::period_start.eq(start))
            .select(UsagePeriod::as_select())
            .first(conn)
            .optional()
    };
    if let Some(found) = find(conn)? {
        return Ok(found);
    }
    let row = UsagePeriod {
        id: UsagePeriodId::new(),
        workspace_id: workspace.clone(),
        period_start: start,
        period_end: end,
        credits_used: 0,
        credits_limit: tier.credits_per_month(),
        overage_credits: 0,
        created_at: at,
        updated_at: at,
    };
    // A concurrent first use may have made it meanwhile (PostgreSQL); the savepoint keeps
    // the outer transaction usable so the winner's row can be read.
    let inserted = write_tx(conn, |conn| {
        diesel::insert_into(p::table).values(&row).execute(conn)
    });
    match inserted {
        Ok(_) => Ok(row),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => find(conn)?.ok_or(diesel::result::Error::NotFound),
        Err(e) => Err(e),
    }
}

/// Takes the period's row lock, so concurrent reservations on PostgreSQL are counted one after
/// the other (SQLite's immediate transaction already serialises them), and rereads it.
fn lock_period(
    conn: &mut DbConn,
    id: &UsagePeriodId,
    at: NaiveDateTime,
) -> QueryResult<UsagePeriod> {
    diesel::update(p::table.find(id))
        .set(p::updated_at.eq(at))
        .execute(conn)?;
    p::table
        .find(id)
        .select(UsagePeriod::as_select())
        .first(conn)
}

fn expire_stale(
    conn: &mut DbConn,
    workspace: &WorkspaceId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        r::table
            .filter(r::workspace_id.eq(workspace))
            .filter(r::status.eq(ReservationStatus::Pending))
            .filter(r::expires_at.le(at)),
    )
    .set((
        r::status.eq(ReservationStatus::Expired),
        r::updated_at.eq(at),
    ))
    .execute(conn)
}

/// Credits held by the period's pending reservations (call after `expire_stale`).
fn pending_in(conn: &mut DbConn, period: &UsagePeriodId) -> QueryResult<i64> {
    let amounts: Vec<i64> = r::table
        .filter(r::usage_period_id.eq(period))
        .filter(r::status.eq(ReservationStatus::Pending))
        .select(r::amount)
        .load(conn)?;
    Ok(amounts.iter().sum())
}

fn find_reservation(
    conn: &mut DbConn,
    workspace: &WorkspaceId,
    key: &str,
) -> QueryResult<Option<Reservation>> {
    r::table
        .filter(r::workspace_id.eq(workspace))
        .filter(r::idempotency_key.eq(key))
        .select(Reservation::as_select())
        .first(conn)
        .optional()
}

pub fn balance(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Balance> {
    write_tx(conn, |conn| {
        let at = now();
        let ws = tenant.workspace_id();
        let tier = tier_of(conn, tenant)?;
        let period = period_at(conn, ws, tier, at)?;
        expire_stale(conn, ws, at)?;
        let pending = pending_in(conn, &period.id)?;
        Ok(Balance {
            period_start: period.period_start,
            period_end: period.period_end,
            limit: period.credits_limit,
            used: period.credits_used,
            pending,
        })
    })
}

/// Holds `amount` credits of this month for work about to start, until `ttl` from now.
///
/// Idempotent: an existing reservation with this key is returned unchanged whatever its status.
/// Pending, unexpired reservations count against the limit; overage tiers may go over. When the
/// credits are not there nothing is written.
pub fn reserve(
    conn: &mut DbConn,
    tenant: &Tenant,
    key: &str,
    amount: i64,
    resource_id: Option<&str>,
    ttl: Duration,
) -> Result<Reservation, UsageError> {
    if amount < 1 {
        return Err(UsageError::InvalidAmount(amount));
    }
    write_tx(conn, |conn| {
        let at = now();
        let ws = tenant.workspace_id();
        let tier = tier_of(conn, tenant)?;
        let period = period_at(conn, ws, tier, at)?;
        let period = lock_period(conn, &period.id, at)?;
        // Looked up under the lock, so a concurrent reserve with the same key is seen here
        // rather than failing on the unique index.
        if let Some(existing) = find_reservation(conn, ws, key)? {
            return Ok(existing);
        }
        expire_stale(conn, ws, at)?;
        let pending = pending_in(conn, &period.id)?;
        let limit = period.credits_limit;
        if limit > 0 && !tier.overage_enabled() && period.credits_used + pending + amount > limit {
            return Err(UsageError::LimitExceeded {
                needed: amount,
                remaining: (limit - period.credits_used - pending).max(0),
                limit,
            });
        }
        let row = Reservation {
            id: ReservationId::new(),
            workspace_id: ws.clone(),
            usage_period_id: period.id.clone(),
            resource_type: ResourceType::Post,
            resource_id: resource_id.map(str::to_owned),
            amount,
            confirmed_amount: 0,
            status: ReservationStatus::Pending,
            idempotency_key: key.to_owned(),
            expires_at: at + ttl,
            created_at: at,
            updated_at: at,
        };
        diesel::insert_into(r::table).values(&row).execute(conn)?;
        Ok(row)
    })
}

/// Charges `min(used, reserved)` to the reservation's period (which may be last month if the
/// work straddled midnight of the 1st) and releases the rest; usage past the period's limit is
/// recorded as overage. Only a pending reservation; returns Ok(false) otherwise (so a replay is
/// harmless).
pub fn confirm(
    conn: &mut DbConn,
    tenant: &Tenant,
    key: &str,
    used: i64,
) -> Result<bool, UsageError> {
    write_tx(conn, |conn| {
        let at = now();
        let ws = tenant.workspace_id();
        let Some(res) = find_reservation(conn, ws, key)? else {
            return Ok(false);
        };
        let charge = used.clamp(0, res.amount);
        // The status filter makes the transition happen once even if two confirms race.
        let changed = diesel::update(
            r::table
                .find(&res.id)
                .filter(r::status.eq(ReservationStatus::Pending)),
        )
        .set((
            r::status.eq(ReservationStatus::Confirmed),
            r::confirmed_amount.eq(charge),
            r::updated_at.eq(at),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Ok(false);
        }
        diesel::update(p::table.find(&res.usage_period_id))
            .set((
                p::credits_used.eq(p::credits_used + charge),
                p::updated_at.eq(at),
            ))
            .execute(conn)?;
        let period = p::table
            .find(&res.usage_period_id)
            .select(UsagePeriod::as_select())
            .first(conn)?;
        if period.credits_limit > 0 {
            let overage = (period.credits_used - period.credits_limit).max(0);
            if overage != period.overage_credits {
                diesel::update(p::table.find(&period.id))
                    .set(p::overage_credits.eq(overage))
                    .execute(conn)?;
            }
        }
        Ok(true)
    })
}

/// Hands a pending reservation's credits back. Ok(false) when there is none pending.
pub fn release(conn: &mut DbConn, tenant: &Tenant, key: &str) -> Result<bool, UsageError> {
    let at = now();
    let changed = diesel::update(
        r::table
            .filter(r::workspace_id.eq(tenant.workspace_id()))
            .filter(r::idempotency_key.eq(key))
            .filter(r::status.eq(ReservationStatus::Pending)),
    )
    .set((
        r::status.eq(ReservationStatus::Released),
        r::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn reservation(
    conn: &mut DbConn,
    tenant: &Tenant,
    key: &str,
) -> QueryResult<Option<Reservation>> {
    find_reservation(conn, tenant.workspace_id(), key)
}

/// What `set_tier` did, for the operator's confirmation line.
#[derive(Debug, Clone)]
pub struct TierChange {
    pub workspace: Workspace,
    pub old: Tier,
    pub new: Tier,
    pub balance: Balance,
}

#[derive(Debug, thiserror::Error)]
pub enum SetTierError {
    #[error("No workspace has the address \u{201c}{0}\u{201d}.")]
    UnknownWorkspace(String),
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
}

/// Operator command (until billing exists): puts the workspace on `tier` and gives the current
/// month the new allowance at once, so an upgrade helps today and a downgrade applies today.
/// Credits already used stay counted. Recorded in the workspace's audit log.
pub fn set_tier(conn: &mut DbConn, slug: &str, tier: Tier) -> Result<TierChange, SetTierError> {
    write_tx(conn, |conn| {
        let workspace = crate::repo::workspaces::find_by_slug_for_operator(conn, slug)?
            .ok_or_else(|| SetTierError::UnknownWorkspace(slug.to_owned()))?;
        let tenant = tenant::for_system(&workspace, &workspace.owner_id);
        let old = tier_of(conn, &tenant)?;
        let at = now();
        diesel::update(w::table.find(&workspace.id))
            .set((w::tier.eq(tier), w::updated_at.eq(at)))
            .execute(conn)?;
        let period = period_at(conn, &workspace.id, tier, at)?;
        diesel::update(p::table.find(&period.id))
            .set((
                p::credits_limit.eq(tier.credits_per_month()),
                p::updated_at.eq(at),
            ))
            .execute(conn)?;
        audit::workspace(
            conn,
            &tenant,
            &Actor::cli(),
            Event::new(
                "workspace.tier_changed",
                format!("Plan changed from {} to {}", old.name(), tier.name()),
            )
            .on("workspace", workspace.id.as_str())
            .change(
                serde_json::json!({ "tier": old.slug() }),
                serde_json::json!({ "tier": tier.slug() }),
            ),
        )?;
        let balance = balance(conn, &tenant)?;
        Ok(TierChange {
            workspace,
            old,
            new: tier,
            balance,
        })
    })
}

// The ledger's database behaviour is tested in the crate because only the crate can build a
// `Tenant`; the command line is tested end to end in tests/it/usage.rs.
#[cfg(test)]
mod ledger_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn periods_are_utc_calendar_months() {
        assert_eq!(
            month_of(at("2026-11-29 13:45:00")),
            (at("2026-11-01 00:00:00"), at("2026-12-01 00:00:00"))
        );
        assert_eq!(
            month_of(at("2026-12-31 23:59:59")),
            (at("2026-12-01 00:00:00"), at("2027-01-01 00:00:00"))
        );
        assert_eq!(
            month_of(at("2027-01-01 00:00:00")).0,
            at("2027-01-01 00:00:00")
        );
    }

    #[test]
    fn the_limit_message_says_what_is_left_and_what_is_needed() {
        let e = UsageError::LimitExceeded {
            needed: 11,
            remaining: 3,
            limit: 10,
        };
        assert!(e.to_string().starts_with(
            "This workspace has 3 credits left this month and this needs 11 credits."
        ));
        let e = UsageError::LimitExceeded {
            needed: 1,
            remaining: 0,
            limit: 10,
        };
        assert!(e.to_string().starts_with(
            "This workspace has used all 10 credits for this month and this needs 1 credit."
        ));
    }

    #[test]
    fn remaining_never_goes_below_zero_and_unlimited_has_no_ceiling() {
        let b = Balance {
            period_start: at("2026-11-01 00:00:00"),
            period_end: at("2026-12-01 00:00:00"),
            limit: 10,
            used: 9,
            pending: 4,
        };
        assert_eq!(b.remaining(), 0);
        assert_eq!(Balance { limit: 0, ..b }.remaining(), i64::MAX);
    }
}

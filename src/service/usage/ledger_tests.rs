//! The credit ledger against a real database: SQLite by default, PostgreSQL when
//! TEST_DATABASE_URL names a server (a fresh database per test, dropped afterwards).

use chrono::{Duration, Months};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::*;
use crate::db::schema::audit_logs;

struct TestDb {
    conn: DbConn,
    pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    fn new() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let admin = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty());
        let (url, pg) = match admin {
            Some(admin) => {
                let name = format!("pmq_u_{}", uuid::Uuid::new_v4().simple());
                let mut c = diesel::PgConnection::establish(&admin).unwrap();
                // A database name cannot be a bind parameter; this one is generated above.
                let create = format!("CREATE DATABASE {name}");
                c.batch_execute(&create).unwrap();
                let (base, query) = match admin.split_once('?') {
                    Some((b, q)) => (b, format!("?{q}")),
                    None => (admin.as_str(), String::new()),
                };
                let root_end = base.find("://").map(|i| i + 3).unwrap_or(0);
                let root = match base[root_end..].find('/') {
                    Some(i) => &base[..root_end + i],
                    None => base,
                };
                (format!("{root}/{name}{query}"), Some((admin.clone(), name)))
            }
            None => (
                format!("sqlite://{}", dir.path().join("usage.db").display()),
                None,
            ),
        };
        let mut conn = crate::db::pool::AnyManager::new(url).connect().unwrap();
        crate::db::migrations::run_pending(&mut conn).unwrap();
        TestDb {
            conn,
            pg,
            _dir: dir,
        }
    }

    /// A new account with its personal workspace, and the member's tenant for it.
    fn member(&mut self, name: &str) -> (Tenant, Workspace) {
        let email = format!("{}@example.com", name.to_lowercase());
        let (user, ws) = crate::service::accounts::register(
            &mut self.conn,
            name,
            &email,
            "not-a-real-hash",
            false,
            &Actor::cli(),
        )
        .unwrap()
        .unwrap_or_else(|_| panic!("{email} is taken"));
        let (tenant, ws) = tenant::check_membership(&mut self.conn, &user.id, &ws.slug)
            .unwrap()
            .unwrap();
        (tenant, ws)
    }

    fn reservations(&mut self, tenant: &Tenant) -> Vec<Reservation> {
        r::table
            .filter(r::workspace_id.eq(tenant.workspace_id()))
            .select(Reservation::as_select())
            .order(r::created_at)
            .load(&mut self.conn)
            .unwrap()
    }

    fn periods(&mut self, tenant: &Tenant) -> Vec<UsagePeriod> {
        p::table
            .filter(p::workspace_id.eq(tenant.workspace_id()))
            .select(UsagePeriod::as_select())
            .order(p::period_start)
            .load(&mut self.conn)
            .unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            if let Ok(mut c) = diesel::PgConnection::establish(&admin) {
                // As above: a generated name, not input.
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = c.batch_execute(&drop);
            }
        }
    }
}

fn ttl() -> Duration {
    Duration::minutes(15)
}

#[test]
fn reservation_is_idempotent_by_key() {
    let mut db = TestDb::new();
    let (t, _) = db.member("Ada");
    let first = reserve(&mut db.conn, &t, "run:1", 3, Some("post-7"), ttl()).unwrap();
    assert_eq!(first.status, ReservationStatus::Pending);
    assert_eq!(first.resource_id.as_deref(), Some("post-7"));
    // A replay with other arguments gets the original back and holds nothing more.
    let again = reserve(&mut db.conn, &t, "run:1", 9, None, ttl()).unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.amount, 3);
    assert_eq!(db.reservations(&t).len(), 1);
    assert_eq!(balance(&mut db.conn, &t).unwrap().pending, 3);

    // Whatever its status: a confirmed reservation is returned as it is, not renewed.
    assert!(confirm(&mut db.conn, &t, "run:1", 3).unwrap());
    let after = reserve(&mut db.conn, &t, "run:1", 3, None, ttl()).unwrap();
    assert_eq!(after.id, first.id);
    assert_eq!(after.status, ReservationStatus::Confirmed);
    let b = balance(&mut db.conn, &t).unwrap();
    assert_eq!((b.used, b.pending), (3, 0));
}

#[test]
fn exceeding_the_limit_gives_a_clear_message_and_writes_nothing() {
    let mut db = TestDb::new();
    let (t, _) = db.member("Ada");
    reserve(&mut db.conn, &t, "a", 7, None, ttl()).unwrap();
    let err = reserve(&mut db.conn, &t, "b", 11, None, ttl()).unwrap_err();
    match &err {
        UsageError::LimitExceeded {
            needed,
            remaining,
            limit,
        } => assert_eq!((*needed, *remaining, *limit), (11, 3, 10)),
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("This workspace has 3 credits left this month and this needs 11 credits."),
        "{err}"
    );
    let app: AppError = err.into();
    assert_eq!(app.code(), "payment_required");
    assert_eq!(
        actix_web::ResponseError::status_code(&app),
        actix_web::http::StatusCode::PAYMENT_REQUIRED
    );
    let keys: Vec<String> = db
        .reservations(&t)
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys, ["a"]);
    assert!(reservation(&mut db.conn, &t, "b").unwrap().is_none());
}

#[test]
fn pending_reservations_count_against_the_limit() {
    let mut db = TestDb::new();
    let (t, _) = db.member("Ada");
    reserve(&mut db.conn, &t, "a", 6, None, ttl()).unwrap();
    let b = balance(&mut db.conn, &t).unwrap();
    assert_eq!((b.limit, b.used, b.pending, b.remaining()), (10, 0, 6, 4));
    assert!(matches!(
        reserve(&mut db.conn, &t, "b", 5, None, ttl()),
        Err(UsageError::LimitExceeded { remaining: 4, .. })
    ));
    reserve(&mut db.conn, &t, "c", 4, None, ttl()).unwrap();
    assert_eq!(balance(&mut db.conn, &t).unwrap().remaining(), 0);
}

#[test]
fn confirm_charges_what_was_used_up_to_the_reservation_and_a_replay_changes_nothing() {
    let mut db = TestDb::new();
    let (t, _) = db.member("Ada");
    reserve(&mut db.conn, &t, "a", 5, None, ttl()).unwrap();
    assert!(confirm(&mut db.conn, &t, "a", 3).unwrap());
    let stored = reservation(&mut db.conn, &t, "a").unwrap().unwrap();
    assert_eq!(stored.status, ReservationStatus::Confirmed);
    assert_eq!((stored.amount, stored.confirmed_amount), (5, 3));
    let b = balance(&mut db.conn, &t).unwrap();
    assert_eq!((b.used, b.pending, b.remaining()), (3, 0, 7));

    assert!(!confirm(&mut db.conn, &t, "a", 3).unwrap());
    assert!(!release(&mut db.conn, &t, "a").unwrap());
    assert_eq!(balance(&mut db.conn, &t).unwrap().used, 3);

    // Using more than was reserved charges only the reservation.
    reserve(&mut db.conn, &t, "b", 2, None, ttl()).unwrap();
    assert!(confirm(&mut db.conn, &t, "b", 9).unwrap());
    assert_eq!(balance(&mut db.conn, &t).unwrap().used, 5);
    assert!(!confirm(&mut db.conn, &t, "unknown", 1).unwrap());
    assert_eq!(db.periods(&t)[0].overage_credits, 0);
}

#[test]
fn release_frees_the_credits() {
    let mut db = TestDb::new();
    let (t, _) = db.member("Ada");
    reserve(&mut db.conn, &t, "a", 10, None, ttl()).unwrap();
    assert!(reserve(&mut db.conn, &t, "b", 1, None, ttl()).is_err());
    assert!(release(&mut db.conn, &t, "a").unwrap());
    assert_eq!(
        reservation(&mut db.conn, &t, "a").unwrap().unwrap().status,
        ReservationStatus::Released
    );
    let b = balance(&mut db.conn, &t).unwrap();
    assert_eq!((b.used, b.pending, b.remaining()), (0, 0, 10));
    assert!(!release(&mut db.conn, &t, "a").unwrap());
    assert!(!confirm(&mut db.conn, &t, "a", 10).unwrap());
    reserve(&mut db.conn, &t, "b", 10, None, ttl()).unwrap();
}

#[test]
fn expired_reservations_stop_counting_and_cannot_be_confirmed() {
    let mut db = TestDb::new();
    let (t, _) = db.member("Ada");
    reserve(&mut db.conn, &t, "a", 8, None, ttl()).unwrap();
    diesel::update(r::table.filter(r::idempotency_key.eq("a")))
        .set(r::expires_at.eq(now() - Duration::seconds(1)))
        .execute(&mut db.conn)
        .unwrap();
    let b = balance(&mut db.conn, &t).unwrap();
    assert_eq!((b.pending, b.remaining()), (0, 10));
    assert_eq!(
        reservation(&mut db.conn, &t, "a").unwrap().unwrap().status,
        ReservationStatus::Expired
    );
    assert!(!confirm(&mut db.conn, &t, "a", 8).unwrap());
    reserve(&mut db.conn, &t, "b", 10, None, ttl()).unwrap();
    assert_eq!(balance(&mut db.conn, &t).unwrap().used, 0);
}

#[test]
fn an_overage_tier_may_go_over_and_the_excess_is_recorded() {
    let mut db = TestDb::new();
    let (t, ws) = db.member("Ada");
    set_tier(&mut db.conn, &ws.slug, Tier::Pro).unwrap();
    assert_eq!(tier_of(&mut db.conn, &t).unwrap(), Tier::Pro);
    reserve(&mut db.conn, &t, "big", 250, None, ttl()).unwrap();
    assert!(confirm(&mut db.conn, &t, "big", 250).unwrap());
    let period = &db.periods(&t)[0];
    assert_eq!(
        (
            period.credits_limit,
            period.credits_used,
            period.overage_credits
        ),
        (200, 250, 50)
    );
    assert_eq!(balance(&mut db.conn, &t).unwrap().remaining(), 0);
    reserve(&mut db.conn, &t, "more", 1, None, ttl()).unwrap();

    // Base has no overage: the same request is refused.
    let (other, other_ws) = db.member("Bob");
    set_tier(&mut db.conn, &other_ws.slug, Tier::Base).unwrap();
    assert!(matches!(
        reserve(&mut db.conn, &other, "big", 51, None, ttl()),
        Err(UsageError::LimitExceeded { limit: 50, .. })
    ));
}

#[test]
fn a_new_month_starts_a_fresh_period_with_the_tiers_allowance() {
    let mut db = TestDb::new();
    let (t, _) = db.member("Ada");
    reserve(&mut db.conn, &t, "a", 4, None, ttl()).unwrap();
    confirm(&mut db.conn, &t, "a", 4).unwrap();
    // Make this month's row last month's.
    let this_month = db.periods(&t).remove(0);
    let last_start = this_month.period_start - Months::new(1);
    diesel::update(p::table.find(&this_month.id))
        .set((
            p::period_start.eq(last_start),
            p::period_end.eq(this_month.period_start),
        ))
        .execute(&mut db.conn)
        .unwrap();

    let b = balance(&mut db.conn, &t).unwrap();
    assert_eq!((b.used, b.limit, b.remaining()), (0, 10, 10));
    assert_eq!(
        (b.period_start, b.period_end),
        (this_month.period_start, this_month.period_end)
    );
    let periods = db.periods(&t);
    assert_eq!(periods.len(), 2);
    assert_eq!(
        (periods[0].period_start, periods[0].credits_used),
        (last_start, 4)
    );
    assert_eq!(periods[1].credits_used, 0);
}

#[test]
fn set_tier_gives_the_current_month_the_new_allowance_and_is_audited() {
    let mut db = TestDb::new();
    let (t, ws) = db.member("Ada");
    reserve(&mut db.conn, &t, "a", 4, None, ttl()).unwrap();
    confirm(&mut db.conn, &t, "a", 4).unwrap();
    let change = set_tier(&mut db.conn, &ws.slug, Tier::Base).unwrap();
    assert_eq!((change.old, change.new), (Tier::Free, Tier::Base));
    assert_eq!((change.balance.limit, change.balance.used), (50, 4));
    assert_eq!(db.periods(&t).len(), 1);
    assert_eq!(balance(&mut db.conn, &t).unwrap().remaining(), 46);
    let actions: Vec<String> = audit_logs::table
        .filter(audit_logs::workspace_id.eq(t.workspace_id()))
        .select(audit_logs::action)
        .load(&mut db.conn)
        .unwrap();
    assert!(
        actions.iter().any(|a| a == "workspace.tier_changed"),
        "{actions:?}"
    );

    // A downgrade applies at once too; what was used stays counted.
    set_tier(&mut db.conn, &ws.slug, Tier::Free).unwrap();
    let b = balance(&mut db.conn, &t).unwrap();
    assert_eq!((b.limit, b.used, b.remaining()), (10, 4, 6));

    assert!(matches!(
        set_tier(&mut db.conn, "no-such-place", Tier::Max),
        Err(SetTierError::UnknownWorkspace(_))
    ));
}

#[test]
fn reservations_belong_to_their_workspace() {
    let mut db = TestDb::new();
    let (ada, _) = db.member("Ada");
    let (bob, _) = db.member("Bob");
    reserve(&mut db.conn, &ada, "run:1", 5, None, ttl()).unwrap();
    assert!(reservation(&mut db.conn, &bob, "run:1").unwrap().is_none());
    assert!(!confirm(&mut db.conn, &bob, "run:1", 5).unwrap());
    assert!(!release(&mut db.conn, &bob, "run:1").unwrap());
    assert_eq!(balance(&mut db.conn, &bob).unwrap().pending, 0);
    assert_eq!(balance(&mut db.conn, &ada).unwrap().pending, 5);
}

#[test]
fn a_reservation_is_for_at_least_one_credit() {
    let mut db = TestDb::new();
    let (t, _) = db.member("Ada");
    assert!(matches!(
        reserve(&mut db.conn, &t, "zero", 0, None, ttl()),
        Err(UsageError::InvalidAmount(0))
    ));
    assert!(db.reservations(&t).is_empty());
}

//! Plans and credits: the built-in tiers, monthly usage rows and credit reservations.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{credit_reservations, usage_periods};
use crate::model::WorkspaceId;

crate::typed_id!(UsagePeriodId, ReservationId);

crate::text_enum!(
    /// A workspace's plan. Built in (no table) until billing lets operators edit plans; stored
    /// in `workspaces.tier`.
    Tier { Free => "free", Base => "base", Pro => "pro", Max => "max" }
);

crate::text_enum!(
    ReservationStatus { Pending => "pending", Confirmed => "confirmed", Released => "released", Expired => "expired" }
);

crate::text_enum!(
    /// What credits pay for. Only `post` (agent work) is charged today; the others are kept so
    /// storage and API metering can share the ledger later.
    ResourceType { Post => "post", Storage => "storage", ApiCall => "api_call" }
);

/// The `tier_required` value that workflow configurations use for "any paid plan with premium
/// models", rather than naming one tier.
pub const PREMIUM_REQUIREMENT: &str = "premium";

impl Tier {
    pub fn slug(self) -> &'static str {
        self.as_str()
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Free => "Free",
            Tier::Base => "Base",
            Tier::Pro => "Pro",
            Tier::Max => "Max",
        }
    }

    /// The monthly allowance (1 credit = US$0.01 of model cost). 0 would mean unlimited; no
    /// built-in tier is.
    pub fn credits_per_month(self) -> i64 {
        match self {
            Tier::Free => 10,
            Tier::Base => 50,
            Tier::Pro => 200,
            Tier::Max => 500,
        }
    }

    /// Whether work may go on past the allowance; the excess is recorded as overage for billing.
    pub fn overage_enabled(self) -> bool {
        matches!(self, Tier::Pro | Tier::Max)
    }

    pub fn rank(self) -> u8 {
        match self {
            Tier::Free => 0,
            Tier::Base => 1,
            Tier::Pro => 2,
            Tier::Max => 3,
        }
    }

    pub fn is_premium(self) -> bool {
        self >= Tier::Pro
    }

    /// Whether this tier meets a `tier_required` value: a tier slug (this tier or a higher one),
    /// `premium` (see [`PREMIUM_REQUIREMENT`]) or nothing. An unknown requirement is refused,
    /// so a typo in a configuration locks a workflow rather than giving it away.
    pub fn satisfies(self, required: &str) -> bool {
        let required = required.trim();
        if required.is_empty() {
            return true;
        }
        if required == PREMIUM_REQUIREMENT {
            return self.is_premium();
        }
        Tier::parse(required).is_some_and(|r| self >= r)
    }
}

impl PartialOrd for Tier {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tier {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// One workspace's credit counter for one calendar month (UTC), `[period_start, period_end)`.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = usage_periods)]
pub struct UsagePeriod {
    pub id: UsagePeriodId,
    pub workspace_id: WorkspaceId,
    pub period_start: NaiveDateTime,
    pub period_end: NaiveDateTime,
    pub credits_used: i64,
    /// The tier's allowance when the period began (or when an operator last set the tier);
    /// 0 = unlimited.
    pub credits_limit: i64,
    pub overage_credits: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Credits held for work in progress, found again by its idempotency key.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = credit_reservations)]
pub struct Reservation {
    pub id: ReservationId,
    pub workspace_id: WorkspaceId,
    pub usage_period_id: UsagePeriodId,
    pub resource_type: ResourceType,
    pub resource_id: Option<String>,
    pub amount: i64,
    /// What `confirm` charged (at most `amount`); 0 until then.
    pub confirmed_amount: i64,
    pub status: ReservationStatus,
    pub idempotency_key: String,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_the_plan_table() {
        let credits: Vec<i64> = Tier::ALL.iter().map(|t| t.credits_per_month()).collect();
        assert_eq!(credits, [10, 50, 200, 500]);
        assert!(!Tier::Free.overage_enabled() && !Tier::Base.overage_enabled());
        assert!(Tier::Pro.overage_enabled() && Tier::Max.overage_enabled());
        assert!(Tier::Free < Tier::Base && Tier::Base < Tier::Pro && Tier::Pro < Tier::Max);
        assert_eq!(Tier::parse("pro"), Some(Tier::Pro));
        assert_eq!(Tier::parse("Pro"), None);
        assert_eq!(Tier::Max.slug(), "max");
        assert_eq!(Tier::Free.name(), "Free");
    }

    #[test]
    fn a_tier_satisfies_itself_lower_tiers_premium_when_paid_and_no_requirement() {
        assert!(Tier::Free.satisfies(""));
        assert!(Tier::Free.satisfies("  "));
        assert!(Tier::Free.satisfies("free"));
        assert!(!Tier::Free.satisfies("base"));
        assert!(Tier::Pro.satisfies("base"));
        assert!(Tier::Pro.satisfies("pro"));
        assert!(!Tier::Pro.satisfies("max"));
        assert!(!Tier::Base.satisfies("premium"));
        assert!(Tier::Pro.satisfies("premium") && Tier::Max.satisfies("premium"));
        assert!(!Tier::Max.satisfies("platinum"));
        assert!(!Tier::Base.is_premium() && Tier::Pro.is_premium());
    }
}

//! Workspace roles grant scopes; handlers declare the scope they need through `Member<S>`.

use crate::model::Role;

crate::text_enum!(
    /// A permission inside a workspace (`resource:action`).
    Scope {
        ContentRead => "content:read",
        ContentWrite => "content:write",
        ContentApprove => "content:approve",
        StrategyRead => "strategy:read",
        StrategyWrite => "strategy:write",
        WorkflowRead => "workflow:read",
        WorkflowExecute => "workflow:execute",
        TeamRead => "team:read",
        TeamManage => "team:manage",
        BillingRead => "billing:read",
        BillingManage => "billing:manage",
        WorkspaceSettings => "workspace:settings",
        WorkspaceDelete => "workspace:delete",
        WorkspaceUsers => "workspace:users",
        Admin => "admin",
    }
);

impl Role {
    /// The role → scope matrix. Viewers may read billing while editors may not: that is
    /// deliberate (a viewer seat is often the finance contact).
    pub fn has(self, scope: Scope) -> bool {
        use Scope::*;
        match self {
            Role::Owner => true,
            Role::Admin => !matches!(scope, BillingManage | WorkspaceDelete | Admin),
            Role::Editor => matches!(
                scope,
                ContentRead
                    | ContentWrite
                    | ContentApprove
                    | StrategyRead
                    | WorkflowRead
                    | WorkflowExecute
                    | TeamRead
            ),
            Role::Viewer => matches!(
                scope,
                ContentRead | StrategyRead | WorkflowRead | TeamRead | BillingRead
            ),
        }
    }
}

/// A type-level scope, so a handler's signature states what it needs: `Member<WorkspaceSettings>`.
pub trait RequiredScope {
    /// `None` means any accepted member may pass.
    const SCOPE: Option<Scope>;
}

/// Any accepted member of the workspace.
pub struct AnyMember;

impl RequiredScope for AnyMember {
    const SCOPE: Option<Scope> = None;
}

macro_rules! scope_markers {
    ($($marker:ident => $scope:ident),* $(,)?) => {$(
        pub struct $marker;
        impl RequiredScope for $marker {
            const SCOPE: Option<Scope> = Some(Scope::$scope);
        }
    )*};
}

/// Marker types, one per scope.
pub mod need {
    use super::{RequiredScope, Scope};
    scope_markers!(
        ContentRead => ContentRead,
        ContentWrite => ContentWrite,
        ContentApprove => ContentApprove,
        StrategyRead => StrategyRead,
        StrategyWrite => StrategyWrite,
        WorkflowRead => WorkflowRead,
        WorkflowExecute => WorkflowExecute,
        TeamRead => TeamRead,
        TeamManage => TeamManage,
        BillingRead => BillingRead,
        BillingManage => BillingManage,
        WorkspaceSettings => WorkspaceSettings,
        WorkspaceDelete => WorkspaceDelete,
        WorkspaceUsers => WorkspaceUsers,
        Admin => Admin,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_matches_the_spec() {
        let count = |r: Role| Scope::ALL.iter().filter(|s| r.has(**s)).count();
        assert_eq!(count(Role::Owner), 15);
        assert_eq!(count(Role::Admin), 12);
        assert_eq!(count(Role::Editor), 7);
        assert_eq!(count(Role::Viewer), 5);
        assert!(Role::Viewer.has(Scope::BillingRead));
        assert!(!Role::Editor.has(Scope::BillingRead));
        assert!(!Role::Admin.has(Scope::WorkspaceDelete));
        assert!(Role::Editor.has(Scope::ContentApprove));
    }
}

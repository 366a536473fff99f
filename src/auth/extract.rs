//! Request extractors: who is signed in (`AuthUser`) and what they may do in the workspace named
//! by the URL (`Member<S>`).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use crate::app::AppState;
use crate::auth::scopes::RequiredScope;
use crate::auth::session::{self, SID_KEY};
use crate::auth::tenant::{self, Tenant};
use crate::error::AppError;
use crate::model::{SessionId, User, Workspace};
use crate::service::audit::{self, Actor, Event};

/// The signed-in user and their session.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    pub session_id: SessionId,
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("app state missing"))
}

async fn load_auth_user(req: &HttpRequest) -> Result<Option<AuthUser>, AppError> {
    if let Some(cached) = req.extensions().get::<AuthUser>() {
        return Ok(Some(cached.clone()));
    }
    let session = req.get_session();
    let token = match session.get::<String>(SID_KEY) {
        Ok(Some(t)) => t,
        // A cookie we cannot read is treated as no cookie.
        _ => return Ok(None),
    };
    let state = state(req)?;
    let found = crate::db::run(&state.pool, move |conn| Ok(session::lookup(conn, &token)?)).await?;
    match found {
        Some((row, user)) => {
            let auth = AuthUser {
                user,
                session_id: row.id,
            };
            req.extensions_mut().insert(auth.clone());
            Ok(Some(auth))
        }
        None => {
            // Revoked or expired: forget it so the browser stops sending it.
            session.remove(SID_KEY);
            Ok(None)
        }
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load_auth_user(&req).await?.ok_or(AppError::Unauthenticated) })
    }
}

/// The signed-in user when there is one; public pages use it to adapt their header.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<AuthUser>);

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(load_auth_user(&req).await?)) })
    }
}

/// An accepted member of the workspace in the URL (`{slug}`) who holds scope `S`.
/// Not a member, or no such workspace: 404. Member without the scope: 403 naming it.
pub struct Member<S: RequiredScope> {
    pub auth: AuthUser,
    pub tenant: Tenant,
    pub workspace: Workspace,
    _scope: PhantomData<S>,
}

impl<S: RequiredScope> Member<S> {
    pub fn user(&self) -> &User {
        &self.auth.user
    }
}

impl<S: RequiredScope + 'static> FromRequest for Member<S> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let auth = load_auth_user(&req)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            let slug = req
                .match_info()
                .get("slug")
                .ok_or(AppError::NotFound)?
                .to_string();
            let state = state(&req)?;
            let user_id = auth.user.id.clone();
            // A failed lookup is an error, never a pass: access checks fail closed.
            let (tenant, workspace) = crate::db::run(&state.pool, move |conn| {
                Ok(tenant::check_membership(conn, &user_id, &slug)?)
            })
            .await?
            .ok_or(AppError::NotFound)?;
            if let Some(scope) = S::SCOPE {
                if !tenant.can(scope) {
                    tracing::info!(
                        user_id = %auth.user.id,
                        workspace_id = %workspace.id,
                        scope = scope.as_str(),
                        "access denied"
                    );
                    let actor = Actor::from_request(&req, Some(&auth.user.id));
                    let what = format!(
                        "Denied {} {}: needs {}",
                        req.method(),
                        req.match_pattern()
                            .unwrap_or_else(|| req.path().to_string()),
                        scope.as_str()
                    );
                    let t = tenant.clone();
                    crate::db::run(&state.pool, move |conn| {
                        Ok(audit::workspace(
                            conn,
                            &t,
                            &actor,
                            Event::new("access.denied", what),
                        )?)
                    })
                    .await?;
                    return Err(AppError::MissingScope(scope));
                }
            }
            Ok(Member {
                auth,
                tenant,
                workspace,
                _scope: PhantomData,
            })
        })
    }
}

impl Member<crate::auth::scopes::need::WorkspaceDelete> {
    /// An owner passed the stricter check, so the settings scope holds too.
    pub fn into_settings(self) -> Member<crate::auth::scopes::need::WorkspaceSettings> {
        Member {
            auth: self.auth,
            tenant: self.tenant,
            workspace: self.workspace,
            _scope: PhantomData,
        }
    }
}

impl<S: RequiredScope> Member<S> {
    /// Every member may read content; a handler that passed a stricter check can render the
    /// read view with the same proof.
    pub fn into_reader(self) -> Member<crate::auth::scopes::need::ContentRead> {
        Member {
            auth: self.auth,
            tenant: self.tenant,
            workspace: self.workspace,
            _scope: PhantomData,
        }
    }
}

impl<S: RequiredScope> Member<S> {
    /// This member as the actor of an audited change made by this request.
    pub fn actor(&self, req: &HttpRequest) -> crate::service::audit::Actor {
        crate::service::audit::Actor::from_request(req, Some(&self.auth.user.id))
    }
}

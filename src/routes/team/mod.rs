//! **Team** (admins of a provider or reseller organisation): invite members by email, resend or revoke
//! an invitation, change a member's role, deactivate or reactivate; and the invitation's link, where
//! the invited person sets their name and password and is signed in.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::{Device, FlashKind};
use crate::auth::{AppSession, CurrentUser, PartnerStaff, Signed, can, password};
use crate::db::models::team::TeamInvitation;
use crate::db::models::user::User;
use crate::domain::{Email, MemberRole};
use crate::error::AppResult;
use crate::routes::{form_page, home_page, see_other};
use crate::services::ChangeError;
use crate::services::team::{self, JoinError, Joining, TeamAdmin};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

type Admin = Signed<PartnerStaff, can::Admin>;

fn admin_of(user: &Admin) -> TeamAdmin {
    TeamAdmin {
        user_id: user.id,
        partner_id: user.partner_id().unwrap_or_default(),
        name: user.display_name.clone(),
        locale: user.locale,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "team/page.html")]
pub struct TeamPage {
    pub ctx: Ctx,
    pub members: Vec<User>,
    pub invitations: Vec<TeamInvitation>,
    pub errors: FormErrors,
    pub email: String,
    pub role: MemberRole,
    pub roles: [MemberRole; 4],
    pub now: chrono::NaiveDateTime,
    pub me: i64,
    pub require_mfa: bool,
    /// The support address and phone customers see (as typed after a refusal).
    pub support_email: String,
    pub support_phone: String,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    user: &Admin,
    errors: FormErrors,
    email: String,
    role: MemberRole,
) -> AppResult<HttpResponse> {
    render_with(req, state, user, errors, (email, role), None).await
}

async fn render_with(
    req: &HttpRequest,
    state: &AppState,
    user: &Admin,
    errors: FormErrors,
    (email, role): (String, MemberRole),
    support: Option<SupportForm>,
) -> AppResult<HttpResponse> {
    let view = team::view(&state.db, user.partner_id().unwrap_or_default()).await?;
    let support = support.unwrap_or(SupportForm {
        support_email: view.support_email,
        support_phone: view.support_phone,
    });
    let has_errors = !errors.is_empty();
    let page = TeamPage {
        ctx: Ctx::build(req).await?,
        members: view.members,
        invitations: view.invitations,
        errors,
        email,
        role,
        roles: MemberRole::PARTNER,
        now: state.now(),
        me: user.id,
        require_mfa: view.require_mfa,
        support_email: support.support_email,
        support_phone: support.support_phone,
    };
    Ok(form_page(req, page, has_errors))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Admin,
) -> AppResult<HttpResponse> {
    render(
        &req,
        &state,
        &user,
        FormErrors::new(),
        String::new(),
        MemberRole::Sales,
    )
    .await
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FormErrors::new();
    let email = Email::parse(&form.email)
        .map_err(|key| errors.add("email", key))
        .ok();
    let role = MemberRole::parse(&form.role).filter(|r| MemberRole::PARTNER.contains(r));
    if role.is_none() {
        errors.add("role", "team.role_invalid");
    }
    let role_or_default = role.unwrap_or(MemberRole::Sales);
    let (Some(email), Some(role)) = (email, role) else {
        return render(&req, &state, &user, errors, form.email, role_or_default).await;
    };
    let shown = email.as_str().to_owned();
    match team::invite(
        &state.db,
        state.now(),
        admin_of(&user),
        email,
        role,
        state.base_url.clone(),
    )
    .await
    {
        Ok(()) => {}
        Err(ChangeError::Refused { field, key }) => {
            errors.add(field, key);
            return render(&req, &state, &user, errors, form.email, role).await;
        }
        Err(err) => return Err(err.into()),
    }
    state.wake_outbox();
    session.flash_with(FlashKind::Success, "team.invited", &[("email", &shown)])?;
    Ok(see_other("/team"))
}

pub async fn resend(
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let email = team::resend(
        &state.db,
        state.now(),
        admin_of(&user),
        path.into_inner(),
        state.base_url.clone(),
    )
    .await?;
    state.wake_outbox();
    session.flash_with(FlashKind::Success, "team.resent", &[("email", &email)])?;
    Ok(see_other("/team"))
}

pub async fn revoke(
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let email = team::revoke(&state.db, state.now(), admin_of(&user), path.into_inner()).await?;
    session.flash_with(FlashKind::Success, "team.revoked", &[("email", &email)])?;
    Ok(see_other("/team"))
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// A refusal the Team page shows as a message at the top (the last admin).
fn refused(session: &AppSession, err: ChangeError) -> AppResult<HttpResponse> {
    match err {
        ChangeError::Refused { key, .. } => {
            session.flash(FlashKind::Error, key)?;
            Ok(see_other("/team"))
        }
        err => Err(err.into()),
    }
}

pub async fn change_role(
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    path: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> AppResult<HttpResponse> {
    match team::change_role(
        &state.db,
        admin_of(&user),
        path.into_inner(),
        MemberRole::parse(&form.role),
        state.url("/sign-in"),
    )
    .await
    {
        Ok(member) => {
            state.wake_outbox();
            let tr = crate::i18n::Tr(session.locale().or(user.locale).unwrap_or_default());
            session.flash_with(
                FlashKind::Success,
                "team.role_changed",
                &[
                    ("name", &member.display_name),
                    ("role", tr.t(member.team_role.label_key())),
                ],
            )?;
            Ok(see_other("/team"))
        }
        Err(err) => refused(&session, err),
    }
}

async fn set_active(
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    member_id: i64,
    active: bool,
) -> AppResult<HttpResponse> {
    match team::set_active(&state.db, state.now(), admin_of(&user), member_id, active).await {
        Ok(member) => {
            let key = if active {
                "team.reactivated"
            } else {
                "team.deactivated"
            };
            session.flash_with(FlashKind::Success, key, &[("name", &member.display_name)])?;
            Ok(see_other("/team"))
        }
        Err(err) => refused(&session, err),
    }
}

pub async fn deactivate(
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    set_active(state, session, user, path.into_inner(), false).await
}

pub async fn reactivate(
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    set_active(state, session, user, path.into_inner(), true).await
}

/// Reset MFA: the member sets it up again.
pub async fn reset_mfa(
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let member = team::reset_mfa(
        &state.db,
        state.now(),
        admin_of(&user),
        path.into_inner(),
        state.url("/sign-in"),
    )
    .await?;
    state.wake_outbox();
    session.flash_with(
        FlashKind::Success,
        "team.mfa_was_reset",
        &[("name", &member.display_name)],
    )?;
    Ok(see_other("/team"))
}

#[derive(Deserialize)]
pub struct RequireMfaForm {
    #[serde(default)]
    require_mfa: Option<String>,
}

/// Require multi-factor authentication: members without it set it up at their next page.
pub async fn require_mfa(
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    form: web::Form<RequireMfaForm>,
) -> AppResult<HttpResponse> {
    let required = form.require_mfa.as_deref() == Some("yes");
    team::set_require_mfa(&state.db, admin_of(&user), required).await?;
    session.flash(
        FlashKind::Success,
        if required {
            "team.mfa_now_required"
        } else {
            "team.mfa_not_required"
        },
    )?;
    Ok(see_other("/team"))
}

#[derive(Deserialize, Clone)]
pub struct SupportForm {
    #[serde(default)]
    support_email: String,
    #[serde(default)]
    support_phone: String,
}

/// The support address and phone customers see.
pub async fn set_support_contact(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Admin,
    form: web::Form<SupportForm>,
) -> AppResult<HttpResponse> {
    let typed = form.into_inner();
    let saved = team::set_support_contact(
        &state.db,
        admin_of(&user),
        team::SupportContact {
            email: typed.support_email.clone(),
            phone: typed.support_phone.clone(),
        },
    )
    .await;
    match saved {
        Ok(()) => {
            session.flash(FlashKind::Success, "team.support_saved")?;
            Ok(see_other("/team"))
        }
        Err(crate::services::ChangeError::Refused { field, key }) => {
            let mut errors = FormErrors::new();
            errors.add(field, key);
            render_with(
                &req,
                &state,
                &user,
                errors,
                (String::new(), MemberRole::Sales),
                Some(typed),
            )
            .await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "team/join.html")]
pub struct JoinPage {
    pub ctx: Ctx,
    pub joining: Option<Joining>,
    pub errors: FormErrors,
    pub display_name: String,
    /// Someone is signed in on this browser: they are asked to sign out first.
    pub signed_in_as: Option<String>,
}

async fn join_page(
    req: &HttpRequest,
    state: &AppState,
    token: String,
    errors: FormErrors,
    display_name: String,
) -> AppResult<HttpResponse> {
    let joining = match team::joining(&state.db, state.now(), token).await {
        Ok(joining) => Some(joining),
        Err(JoinError::Gone | JoinError::EmailTaken) => None,
        Err(JoinError::Db(err)) => return Err(err.into()),
    };
    let signed_in_as = CurrentUser::load(req).await?.map(|u| u.email.clone());
    let status = if joining.is_none() {
        actix_web::http::StatusCode::GONE
    } else if !errors.is_empty() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let page = JoinPage {
        ctx: Ctx::build(req).await?,
        joining,
        errors,
        display_name,
        signed_in_as,
    };
    use actix_web::Responder;
    Ok(page
        .customize()
        .with_status(status)
        .respond_to(req)
        .map_into_boxed_body())
}

/// The invitation's link: who invites, to what role; a form for a name and a password.
pub async fn join_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    join_page(
        &req,
        &state,
        path.into_inner(),
        FormErrors::new(),
        String::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn join(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<String>,
    form: web::Form<JoinForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let form = form.into_inner();
    let name = form.display_name.trim().to_owned();
    let mut errors = FormErrors::new();
    if name.is_empty() {
        errors.add("display_name", "validation.required");
    } else if name.chars().count() > 100 {
        errors.add("display_name", "validation.too_long");
    }
    if let Err(key) = password::check_new(&form.new_password) {
        errors.add("new_password", key);
    }
    if form.confirm_password != form.new_password {
        errors.add("confirm_password", "account.password.mismatch");
    }
    if CurrentUser::load(&req).await?.is_some() {
        errors.add("display_name", "team.join.sign_out_first");
    }
    if !errors.is_empty() {
        return join_page(&req, &state, token, errors, name).await;
    }
    let locale = session.locale();
    match team::join(
        &state.db,
        state.now(),
        token.clone(),
        name.clone(),
        form.new_password,
        locale,
    )
    .await
    {
        Ok(user) => {
            session.sign_in(
                user.id,
                user.locale,
                Device::of(&req, state.client_address(&req)),
            )?;
            CurrentUser::forget(&req);
            session.flash(FlashKind::Success, "team.join.welcome")?;
            Ok(see_other(home_page(user.role)))
        }
        Err(JoinError::EmailTaken) => {
            errors.add("display_name", "team.email_taken");
            join_page(&req, &state, token, errors, name).await
        }
        Err(JoinError::Gone) => join_page(&req, &state, token, errors, name).await,
        Err(JoinError::Db(err)) => Err(err.into()),
    }
}

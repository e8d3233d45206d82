//! The role × route matrix, read from the router's own table: every registered route, tried by every
//! kind of user, answers as the table says it admits — the rightful user gets in (a positive control
//! in the same test), everyone else gets a 404 (or the way to sign in, or to replace a temporary
//! password), and a refused request changes nothing. A route the fill-in below does not know fails.

use std::collections::{BTreeMap, HashMap};

use reqwest::StatusCode;

use crate::helpers::*;
use crate::profile::submit_request;
use partner_dashboard::db::models::outbox::{NewEmail, OutboxEmail};
use partner_dashboard::db::models::profile::ProfileChangeRequest;
use partner_dashboard::db::transaction;
use partner_dashboard::domain::MemberRole;
use partner_dashboard::domain::{EnrollmentStatus, ProviderId};
use partner_dashboard::routes::{Admits, Need, RouteInfo, table};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Who {
    ProviderA,
    ProviderB,
    ResellerOfA,
    ResellerOfB,
    UnrelatedReseller,
    PendingReseller,
    CustomerAdmin,
    TemporaryPassword,
    Operator,
    SignedOut,
    // The other member roles of each organisation (the ones above are their admins).
    ProviderASales,
    ProviderAHelpdesk,
    ProviderABilling,
    ProviderBSales,
    ProviderBHelpdesk,
    ProviderBBilling,
    ResellerASales,
    ResellerAHelpdesk,
    ResellerABilling,
    OperatorSupport,
}

const EVERYONE: [Who; 20] = [
    Who::ProviderA,
    Who::ProviderB,
    Who::ResellerOfA,
    Who::ResellerOfB,
    Who::UnrelatedReseller,
    Who::PendingReseller,
    Who::CustomerAdmin,
    Who::TemporaryPassword,
    Who::Operator,
    Who::SignedOut,
    Who::ProviderASales,
    Who::ProviderAHelpdesk,
    Who::ProviderABilling,
    Who::ProviderBSales,
    Who::ProviderBHelpdesk,
    Who::ProviderBBilling,
    Who::ResellerASales,
    Who::ResellerAHelpdesk,
    Who::ResellerABilling,
    Who::OperatorSupport,
];

impl Who {
    /// Their role in their organisation.
    fn role(self) -> MemberRole {
        use Who::*;
        match self {
            ProviderASales | ProviderBSales | ResellerASales => MemberRole::Sales,
            ProviderAHelpdesk | ProviderBHelpdesk | ResellerAHelpdesk => MemberRole::Helpdesk,
            ProviderABilling | ProviderBBilling | ResellerABilling => MemberRole::Billing,
            OperatorSupport => MemberRole::Support,
            _ => MemberRole::Admin,
        }
    }

    fn of_provider_a(self) -> bool {
        use Who::*;
        matches!(
            self,
            ProviderA | ProviderASales | ProviderAHelpdesk | ProviderABilling
        )
    }

    fn of_provider_b(self) -> bool {
        use Who::*;
        matches!(
            self,
            ProviderB | ProviderBSales | ProviderBHelpdesk | ProviderBBilling
        )
    }

    fn of_reseller_a(self) -> bool {
        use Who::*;
        matches!(
            self,
            ResellerOfA | ResellerASales | ResellerAHelpdesk | ResellerABilling
        )
    }

    /// A member of a reseller other than A (each its admin).
    fn of_other_reseller(self) -> bool {
        matches!(
            self,
            Who::ResellerOfB | Who::UnrelatedReseller | Who::PendingReseller
        )
    }
}

/// How a request was answered, as far as admission goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// The handler ran: a page, a redirect of its own, a form's 422, a 409 or 410 of its rules.
    Admitted,
    NotFound,
    /// 303 to `/sign-in?next=…`.
    SignIn,
    /// 303 to `/account/password`.
    PasswordFirst,
    /// 403: a page that exists for this user and says they may not use it (a personal link opened by
    /// the wrong kind of account).
    Forbidden,
}

/// What the table's `admits` means for each kind of user. `scoped`: the path names a row of provider
/// A (or of its reseller), which no one else may reach.
fn expected(route: &RouteInfo, who: Who) -> Answer {
    use Answer::*;
    let scoped = route.pattern.contains('{');
    let signed_in = |admitted: bool| match who {
        Who::SignedOut => SignIn,
        Who::TemporaryPassword => PasswordFirst,
        _ if admitted => Admitted,
        _ => NotFound,
    };
    match route.admits {
        Admits::Anyone => Admitted,
        Admits::PasswordChange => match who {
            Who::SignedOut => SignIn,
            _ => Admitted,
        },
        Admits::SignedIn => signed_in(true),
        Admits::Provider(need) => signed_in(
            who.role().may(need) && (who.of_provider_a() || (who.of_provider_b() && !scoped)),
        ),
        Admits::Reseller(need) => signed_in(
            who.role().may(need) && (who.of_reseller_a() || (!scoped && who.of_other_reseller())),
        ),
        Admits::Partner(need) => signed_in(
            who.role().may(need)
                && (who.of_provider_a()
                    || (!scoped
                        && (who.of_provider_b()
                            || who.of_reseller_a()
                            || who.of_other_reseller()))),
        ),
        Admits::Customer => signed_in(who == Who::CustomerAdmin),
        Admits::Operator(need) => {
            signed_in(who == Who::Operator || (who == Who::OperatorSupport && need == Need::Read))
        }
        Admits::ResellerLink | Admits::CustomerLink => {
            let answers = match route.admits {
                Admits::ResellerLink => {
                    who.of_reseller_a() || matches!(who, Who::ResellerOfB | Who::UnrelatedReseller)
                }
                _ => who == Who::CustomerAdmin,
            };
            match who {
                // Whoever opens the link signed out sees who asks, and is asked to sign in to answer.
                Who::SignedOut if route.method == "GET" => Admitted,
                Who::SignedOut => SignIn,
                Who::TemporaryPassword => PasswordFirst,
                _ if answers => Admitted,
                // A reseller waiting for its verification sees that the request waits for it.
                Who::PendingReseller
                    if route.admits == Admits::ResellerLink && route.method == "GET" =>
                {
                    Admitted
                }
                _ => Forbidden,
            }
        }
    }
}

/// Routes whose admitted request deletes the row the matrix reaches.
const ONCE: [&str; 1] = ["/price-list/rules/{id:\\d+}/remove"];

/// Answers that differ from the rule above on purpose, each with its reason.
fn exception(route: &RouteInfo, who: Who) -> Option<Answer> {
    match (route.method, route.pattern) {
        // A logo not yet approved is seen only by its provider and by operators.
        ("GET", "/logos/{id:\\d+}")
            if !(who.of_provider_a() || matches!(who, Who::Operator | Who::OperatorSupport)) =>
        {
            Some(Answer::NotFound)
        }
        // A wizard draft is its author's (provider A's admin): not another member's, whatever
        // their role.
        (_, pattern)
            if pattern.starts_with("/customers/new/{draft")
                && who.of_provider_a()
                && who != Who::ProviderA =>
        {
            Some(Answer::NotFound)
        }

        _ => None,
    }
}

fn classify(method: &str, path: &str, who: Who, res: &reqwest::Response) -> Answer {
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default();
    match status.as_u16() {
        404 => Answer::NotFound,
        303 if location.starts_with("/sign-in?next=") => Answer::SignIn,
        303 if location == "/account/password" => Answer::PasswordFirst,
        403 => Answer::Forbidden,
        200..=399 | 409 | 410 | 422 => Answer::Admitted,
        other => panic!("{method} {path} as {who:?}: unexpected {other} (location {location:?})"),
    }
}

/// The rows the matrix reaches.
struct World {
    paths: HashMap<&'static str, String>,
    clients: BTreeMap<Who, reqwest::Client>,
    tokens: HashMap<Who, String>,
}

impl World {
    /// The concrete path of a route's pattern.
    fn path(&self, route: &RouteInfo) -> String {
        if !route.pattern.contains('{') {
            return route.pattern.to_owned();
        }
        self.paths
            .get(route.pattern)
            .unwrap_or_else(|| {
                panic!(
                    "{} {} is not in the matrix: add the row it should reach to `world`",
                    route.method, route.pattern
                )
            })
            .clone()
    }

    async fn send(&self, app: &TestApp, route: &RouteInfo, who: Who) -> reqwest::Response {
        self.send_with_token(app, route, who, Some(self.tokens[&who].as_str()))
            .await
    }

    async fn send_with_token(
        &self,
        app: &TestApp,
        route: &RouteInfo,
        who: Who,
        token: Option<&str>,
    ) -> reqwest::Response {
        let path = self.path(route);
        let client = &self.clients[&who];
        match route.method {
            "GET" => app.get_with(client, &path).await,
            "POST" => client
                .post(app.url(&path))
                .header("Origin", &app.address)
                .form(
                    &token
                        .map(|t| ("csrf_token", t))
                        .into_iter()
                        .collect::<Vec<_>>(),
                )
                .send()
                .await
                .unwrap(),
            other => panic!("a {other} route: teach the matrix to send it"),
        }
    }
}

async fn world(app: &TestApp) -> World {
    let provider_a = app.create_provider("alice@contoso.example");
    let a = provider_a.id;
    app.create_provider("bob@fabrikam.example");
    let ra1 = app
        .create_named_reseller(
            "Northwind Traders",
            "ra1@northwind.example",
            EnrollmentStatus::Verified,
        )
        .id;
    let ra2 = app
        .create_named_reseller(
            "Tailspin",
            "ra2@tailspin.example",
            EnrollmentStatus::Verified,
        )
        .id;
    app.partner(a, ra1);
    app.partner(a, ra2);
    let b = app
        .with_conn(|conn| {
            partner_dashboard::db::models::user::User::find_by_email(
                conn,
                &partner_dashboard::domain::Email::parse("bob@fabrikam.example").unwrap(),
            )
        })
        .unwrap()
        .unwrap()
        .partner_id
        .unwrap();
    let rb1 = app
        .create_named_reseller("Adatum", "rb1@adatum.example", EnrollmentStatus::Verified)
        .id;
    app.partner(b, rb1);
    app.create_named_reseller(
        "Unrelated Ltd",
        "ru@unrelated.example",
        EnrollmentStatus::Verified,
    );
    let pending = app
        .create_named_reseller(
            "Pending Co",
            "rp@pending.example",
            EnrollmentStatus::Pending,
        )
        .id;
    let to_reject = app
        .create_named_reseller("Reject Co", "rr@reject.example", EnrollmentStatus::Pending)
        .id;
    let offer = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let customer = app.seed_customer(a, Some(ra1), "Wingtip Toys", "wingtiptoys");
    // Another, whose reseller and tenant owner the matrix changes (the first one's reseller keeps its
    // delegated administration for the reseller routes).
    let changed = app.seed_customer(a, Some(ra1), "Coho Winery", "cohowinery");
    app.create_operator("olivia@platform.example");
    // An admin user of the provider's customer, whose password the matrix resets.
    let customer_user = app.with_conn(|conn| {
        use partner_dashboard::db::models::user::{NewUser, User};
        User::create(
            conn,
            NewUser {
                email: &partner_dashboard::domain::Email::parse("admin@wingtiptoys.example")
                    .unwrap(),
                password_hash: &test_hash(),
                role: partner_dashboard::domain::Role::Customer,
                partner_id: None,
                customer_id: Some(customer),
                display_name: "Wingtip Admin",
                locale: None,
                must_change_password: true,
            },
        )
        .unwrap()
    });
    // The other roles of provider A, of provider B and of reseller A; a platform support operator;
    // and a member of A whose role the Team routes change, with an invitation of A's.
    for (partner, prefix) in [(a, "a"), (b, "b"), (ra1, "ra")] {
        for role in [MemberRole::Sales, MemberRole::Helpdesk, MemberRole::Billing] {
            app.create_member(
                Some(partner),
                &format!("{prefix}-{role}@members.example"),
                role,
            );
        }
    }
    app.create_member(None, "support@platform.example", MemberRole::Support);
    let dave = app.create_member(Some(a), "dave@contoso.example", MemberRole::Sales);
    let admin = app.create_customer_admin("admin@wingtip.example", false);
    let temporary = app.create_customer_admin("new@wingtip.example", true);
    let _ = temporary;
    // The customer admin's organisation is provider A's customer too, with a Billing reader grant to
    // reseller A that the End grant routes end (its Subscription administrator grants stay).
    app.with_conn(|conn| {
        use partner_dashboard::db::models::customer::{NewRelation, ProviderCustomer};
        ProviderCustomer::create(
            conn,
            NewRelation {
                provider_id: a,
                customer_id: admin.id,
                reseller_id: None,
                azure_tenant_owner: false,
                origin: partner_dashboard::domain::CustomerOrigin::Invited,
                subscription_count: 0,
                created_at: partner_dashboard::db::now(),
            },
            "Wingtip Toys",
            "wingtip",
        )
        .unwrap()
    });
    let matrix_grant = app
        .grant(
            a,
            admin.id,
            ra1,
            partner_dashboard::db::models::grant::Roles::default()
                .with(partner_dashboard::db::models::grant::Role::BillingReader),
            30,
        )
        .id;

    let mut clients = BTreeMap::new();
    for (who, email) in [
        (Who::ProviderA, Some("alice@contoso.example")),
        (Who::ProviderB, Some("bob@fabrikam.example")),
        (Who::ResellerOfA, Some("ra1@northwind.example")),
        (Who::ResellerOfB, Some("rb1@adatum.example")),
        (Who::UnrelatedReseller, Some("ru@unrelated.example")),
        (Who::PendingReseller, Some("rp@pending.example")),
        (Who::CustomerAdmin, Some("admin@wingtip.example")),
        (Who::TemporaryPassword, Some("new@wingtip.example")),
        (Who::Operator, Some("olivia@platform.example")),
        (Who::SignedOut, None),
        (Who::ProviderASales, Some("a-sales@members.example")),
        (Who::ProviderAHelpdesk, Some("a-helpdesk@members.example")),
        (Who::ProviderABilling, Some("a-billing@members.example")),
        (Who::ProviderBSales, Some("b-sales@members.example")),
        (Who::ProviderBHelpdesk, Some("b-helpdesk@members.example")),
        (Who::ProviderBBilling, Some("b-billing@members.example")),
        (Who::ResellerASales, Some("ra-sales@members.example")),
        (Who::ResellerAHelpdesk, Some("ra-helpdesk@members.example")),
        (Who::ResellerABilling, Some("ra-billing@members.example")),
        (Who::OperatorSupport, Some("support@platform.example")),
    ] {
        let client = if who == Who::ProviderA {
            app.client.clone()
        } else {
            new_client()
        };
        if let Some(email) = email {
            let res = app.sign_in_with(&client, email, PASSWORD).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{who:?} signs in");
            assert!(
                !location(&res).starts_with("/sign-in"),
                "{who:?} signs in: {}",
                location(&res)
            );
        }
        clients.insert(who, client);
    }
    let alice = &clients[&Who::ProviderA];

    // Provider A's rows: a subscription (with its order), a wizard draft, a partnership request and a
    // customer invitation with their links, a profile change request with a logo.
    let res = app
        .post_form_with(
            alice,
            &format!("/customers/{customer}/subscriptions/new"),
            &[
                ("offer", &offer.to_string()),
                ("quantity", "10"),
                ("reseller", &ra1.to_string()),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a subscription");
    let (subscription, order) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::{orders, subscriptions};
        let subscription = subscriptions::table
            .filter(subscriptions::customer_id.eq(customer))
            .select(subscriptions::id)
            .first::<i64>(conn)
            .unwrap();
        let order = orders::table
            .filter(orders::provider_id.eq(a))
            .select(orders::id)
            .first::<i64>(conn)
            .unwrap();
        (subscription, order)
    });
    let res = app
        .post_form_with(
            alice,
            "/customers/new",
            &[
                ("reseller", ""),
                ("company_name", "Fourth Coffee"),
                ("domain_prefix", "fourthcoffee"),
                ("address_line1", "1 Harbour Road"),
                ("address_line2", ""),
                ("city", "Taipei"),
                ("state", ""),
                ("postal_code", "100"),
                ("country", "TW"),
                ("contact_first_name", "Mei"),
                ("contact_last_name", "Lin"),
                ("contact_email", "mei@fourthcoffee.example"),
                ("contact_phone", ""),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a wizard draft");
    let draft: i64 = location(&res).split('/').nth(3).unwrap().parse().unwrap();
    let (request, partnership_link) = app.request_partnership_with(alice).await;
    let res = app
        .post_form_with(alice, "/customers/invitations", &[("reseller", "")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "an invitation");
    let invitation_page = location(&res);
    let invitation: i64 = invitation_page.rsplit('/').next().unwrap().parse().unwrap();
    let html = app.html_with(alice, &invitation_page).await;
    let invitation_link = texts(&html, "#personal-link").pop().unwrap();
    let ra1_id = ra1.to_string();
    let res = app
        .post_form_with(
            alice,
            &format!("/customers/{}/grants", admin.id),
            &[
                ("holder", &ra1_id),
                ("license_reader", "yes"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a grant request");
    let grant_page = location(&res);
    let grant_request: i64 = grant_page.rsplit('/').next().unwrap().parse().unwrap();
    let html = app.html_with(alice, &grant_page).await;
    let grant_link = texts(&html, "#personal-link").pop().unwrap();
    let res = submit_request(app, "Contoso Distribution Ltd").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "a profile change request"
    );
    let change = app.with_conn(|conn| {
        ProfileChangeRequest::latest(conn, ProviderId::established(a))
            .unwrap()
            .unwrap()
    });
    // A message that failed for good, for the outbox console.
    let failed = app.with_conn(|conn| {
        transaction(conn, |conn| {
            OutboxEmail::enqueue(
                conn,
                NewEmail {
                    to: "not an address".into(),
                    template: "test",
                    locale: "en",
                    subject: "Undeliverable".into(),
                    text: "text".into(),
                    html: "<p>html</p>".into(),
                    sensitive: false,
                    reply_to: None,
                },
            )
            .map_err(partner_dashboard::db::DbError::from)
        })
        .unwrap()
    });
    app.state.wake_outbox();
    eventually("the message fails", || {
        app.with_conn(|conn| OutboxEmail::find(conn, failed).unwrap())
            .status
            .as_str()
            == "failed"
    })
    .await;

    // Statements of provider A: its reseller's (the subscription's order) and the customer admin's
    // company's as a direct customer; a rule of its price list.
    app.seed_order(a, admin.id, None, provider_a.user_id);
    let (reseller_statement, customer_statement, rule) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::statements;
        let next = partner_dashboard::services::statements::billing_month(
            app.state.now() + chrono::Duration::days(40),
        )
        .2;
        partner_dashboard::services::statements::issue_in(conn, a, next).unwrap();
        let of = |conn: &mut partner_dashboard::db::DbConnection, kind: &str| {
            statements::table
                .filter(statements::kind.eq(kind))
                .select(statements::id)
                .first::<i64>(conn)
                .unwrap()
        };
        let rule = partner_dashboard::db::models::price::add(
            conn,
            &partner_dashboard::db::models::price::NewRule {
                provider_id: a,
                audience: partner_dashboard::domain::Audience::Reseller,
                reseller_id: None,
                offer: None,
                value: partner_dashboard::domain::pricing::RuleValue::Fixed(100),
                effective_from: app.state.now(),
                created_by: provider_a.user_id,
                at: app.state.now(),
            },
        )
        .unwrap();
        (of(conn, "reseller"), of(conn, "customer"), rule)
    });

    let res = app
        .post_form_with(
            alice,
            "/team/invitations",
            &[("email", "erin@contoso.example"), ("role", "billing")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a team invitation");
    let team_invitation = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::team_invitations;
        team_invitations::table
            .select(team_invitations::id)
            .first::<i64>(conn)
            .unwrap()
    });

    // Alice's API token.
    let (api_token, _) = partner_dashboard::services::api_tokens::create(
        &app.state.db,
        partner_dashboard::services::api_tokens::Owner {
            user_id: provider_a.user_id,
            partner_id: a,
            kind: partner_dashboard::domain::PartnerKind::Provider,
        },
        partner_dashboard::services::api_tokens::CheckedToken {
            name: "Sync".into(),
            days: 30,
            access: partner_dashboard::db::models::api_token::Access::Read,
        },
        app.state.clock.now(),
    )
    .await
    .unwrap();

    // Alice's organisation's webhook endpoint, with one delivery.
    // (Delete gets one of its own: the matrix visits it before Resend.)
    let (webhook, webhook_delivery, webhook_to_delete) = app.with_conn(|conn| {
        use partner_dashboard::db::models::webhook::{Delivery, Endpoint, NewEndpoint};
        let [id, other] = [(); 2].map(|()| {
            let id = partner_dashboard::db::new_id();
            Endpoint::create(
                conn,
                &NewEndpoint {
                    id,
                    partner_id: a,
                    url: "https://hooks.example.com/x",
                    events: &["order.placed"],
                    secret_sealed: "sealed",
                    created_by: provider_a.user_id,
                },
            )
            .unwrap()
        });
        let delivery =
            Delivery::queue(conn, id, "msg_1", "order.placed", &serde_json::json!({})).unwrap();
        (id, delivery, other)
    });

    let mut tokens = HashMap::new();
    for (who, client) in &clients {
        tokens.insert(*who, app.csrf_token_with(client).await);
    }
    let paths = HashMap::from([
        ("/static/{file:.*}", "/static/css/app.css".to_owned()),
        (
            "/indirect-resellers/requests/{id}",
            format!("/indirect-resellers/requests/{request}"),
        ),
        (
            "/indirect-resellers/requests/{id}/send",
            format!("/indirect-resellers/requests/{request}/send"),
        ),
        (
            "/indirect-resellers/requests/{id}/done",
            format!("/indirect-resellers/requests/{request}/done"),
        ),
        (
            "/indirect-resellers/requests/{id}/resend",
            format!("/indirect-resellers/requests/{request}/resend"),
        ),
        (
            "/indirect-resellers/requests/{id}/revoke",
            format!("/indirect-resellers/requests/{request}/revoke"),
        ),
        // The second reseller, so removing it leaves the first one's routes to test.
        (
            "/indirect-resellers/{reseller_id}/remove",
            format!("/indirect-resellers/{ra2}/remove"),
        ),
        (
            "/indirect-resellers/{reseller_id:\\d+}",
            format!("/indirect-resellers/{ra1}"),
        ),
        (
            "/customers/new/{draft:\\d+}",
            format!("/customers/new/{draft}"),
        ),
        (
            "/customers/new/{draft:\\d+}/subscriptions",
            format!("/customers/new/{draft}/subscriptions"),
        ),
        (
            "/customers/new/{draft:\\d+}/review",
            format!("/customers/new/{draft}/review"),
        ),
        (
            "/customers/new/{draft:\\d+}/submit",
            format!("/customers/new/{draft}/submit"),
        ),
        (
            "/customers/new/{draft:\\d+}/cancel",
            format!("/customers/new/{draft}/cancel"),
        ),
        (
            "/customers/new/{draft:\\d+}/confirmation",
            format!("/customers/new/{draft}/confirmation"),
        ),
        (
            "/customers/invitations/{id:\\d+}",
            format!("/customers/invitations/{invitation}"),
        ),
        (
            "/customers/invitations/{id:\\d+}/send",
            format!("/customers/invitations/{invitation}/send"),
        ),
        (
            "/customers/invitations/{id:\\d+}/done",
            format!("/customers/invitations/{invitation}/done"),
        ),
        (
            "/customers/invitations/{id:\\d+}/resend",
            format!("/customers/invitations/{invitation}/resend"),
        ),
        (
            "/customers/invitations/{id:\\d+}/revoke",
            format!("/customers/invitations/{invitation}/revoke"),
        ),
        (
            "/customer-invitations/{token}",
            app.path_of(&invitation_link),
        ),
        ("/grants/approve/{token}", app.path_of(&grant_link)),
        (
            "/customers/{id:\\d+}/grants",
            format!("/customers/{customer}/grants"),
        ),
        (
            "/customers/grants/{id:\\d+}/end",
            format!("/customers/grants/{matrix_grant}/end"),
        ),
        (
            "/reseller/grants/{id:\\d+}/end",
            format!("/reseller/grants/{matrix_grant}/end"),
        ),
        (
            "/my/grants/{id:\\d+}/end",
            format!("/my/grants/{matrix_grant}/end"),
        ),
        (
            "/customers/grants/requests/{id:\\d+}",
            format!("/customers/grants/requests/{grant_request}"),
        ),
        (
            "/customers/grants/requests/{id:\\d+}/send",
            format!("/customers/grants/requests/{grant_request}/send"),
        ),
        (
            "/customers/grants/requests/{id:\\d+}/done",
            format!("/customers/grants/requests/{grant_request}/done"),
        ),
        (
            "/customers/grants/requests/{id:\\d+}/resend",
            format!("/customers/grants/requests/{grant_request}/resend"),
        ),
        (
            "/customers/grants/requests/{id:\\d+}/revoke",
            format!("/customers/grants/requests/{grant_request}/revoke"),
        ),
        ("/customers/{id:\\d+}", format!("/customers/{customer}")),
        (
            "/customers/{id:\\d+}/details",
            format!("/customers/{customer}/details"),
        ),
        (
            "/customers/{id:\\d+}/users/{user:\\d+}/reset-password",
            format!("/customers/{customer}/users/{customer_user}/reset-password"),
        ),
        (
            "/customers/{id:\\d+}/users/{user:\\d+}/temporary-password",
            format!("/customers/{customer}/users/{customer_user}/temporary-password"),
        ),
        (
            "/customers/{id:\\d+}/reseller",
            format!("/customers/{changed}/reseller"),
        ),
        (
            "/customers/{id:\\d+}/reseller/remove",
            format!("/customers/{customer}/reseller/remove"),
        ),
        (
            "/customers/{id:\\d+}/tenant-owner",
            format!("/customers/{changed}/tenant-owner"),
        ),
        (
            "/customers/{id:\\d+}/subscriptions/new",
            format!("/customers/{customer}/subscriptions/new"),
        ),
        (
            "/subscriptions/{id:\\d+}",
            format!("/subscriptions/{subscription}"),
        ),
        (
            "/subscriptions/{id:\\d+}/quantity",
            format!("/subscriptions/{subscription}/quantity"),
        ),
        (
            "/subscriptions/{id:\\d+}/status",
            format!("/subscriptions/{subscription}/status"),
        ),
        (
            "/subscriptions/{id:\\d+}/lifecycle",
            format!("/subscriptions/{subscription}/lifecycle"),
        ),
        (
            "/subscriptions/{id:\\d+}/reseller-of-record",
            format!("/subscriptions/{subscription}/reseller-of-record"),
        ),
        (
            "/subscriptions/{id:\\d+}/support-contact",
            format!("/subscriptions/{subscription}/support-contact"),
        ),
        ("/orders/{id:\\d+}", format!("/orders/{order}")),
        (
            "/orders/{id:\\d+}/approve",
            format!("/orders/{order}/approve"),
        ),
        (
            "/orders/{id:\\d+}/reject",
            format!("/orders/{order}/reject"),
        ),
        (
            "/indirect-resellers/{reseller_id:\\d+}/credit",
            format!("/indirect-resellers/{ra1}/credit"),
        ),
        (
            "/logos/{id:\\d+}",
            format!("/logos/{}", change.logo_id.unwrap()),
        ),
        (
            "/partnerships/accept/{token}",
            app.path_of(&partnership_link),
        ),
        (
            "/reseller/subscriptions/{id:\\d+}",
            format!("/reseller/subscriptions/{subscription}"),
        ),
        (
            "/reseller/subscriptions/{id:\\d+}/quantity",
            format!("/reseller/subscriptions/{subscription}/quantity"),
        ),
        (
            "/reseller/subscriptions/{id:\\d+}/status",
            format!("/reseller/subscriptions/{subscription}/status"),
        ),
        (
            "/reseller/subscriptions/{id:\\d+}/lifecycle",
            format!("/reseller/subscriptions/{subscription}/lifecycle"),
        ),
        (
            "/operations/enrollments/{id}/verify",
            format!("/operations/enrollments/{pending}/verify"),
        ),
        (
            "/operations/enrollments/{id}/reject",
            format!("/operations/enrollments/{to_reject}/reject"),
        ),
        (
            "/operations/profile-requests/{id:\\d+}",
            format!("/operations/profile-requests/{}", change.id),
        ),
        (
            "/operations/profile-requests/{id:\\d+}/start-review",
            format!("/operations/profile-requests/{}/start-review", change.id),
        ),
        (
            "/operations/profile-requests/{id:\\d+}/approve",
            format!("/operations/profile-requests/{}/approve", change.id),
        ),
        (
            "/operations/profile-requests/{id:\\d+}/reject",
            format!("/operations/profile-requests/{}/reject", change.id),
        ),
        (
            "/operations/orders/{id:\\d+}",
            format!("/operations/orders/{order}"),
        ),
        (
            "/operations/offers/{id:\\d+}",
            format!("/operations/offers/{offer}"),
        ),
        (
            "/operations/offers/{id:\\d+}/retire",
            format!("/operations/offers/{offer}/retire"),
        ),
        (
            "/operations/offers/{id:\\d+}/restore",
            format!("/operations/offers/{offer}/restore"),
        ),
        (
            "/operations/outbox/{id:\\d+}/retry",
            format!("/operations/outbox/{failed}/retry"),
        ),
        (
            "/operations/providers/{id:\\d+}/created",
            format!("/operations/providers/{a}/created"),
        ),
        (
            "/statements/{id:\\d+}",
            format!("/statements/{reseller_statement}"),
        ),
        (
            "/statements/{id:\\d+}.csv",
            format!("/statements/{reseller_statement}.csv"),
        ),
        (
            "/statements/{id:\\d+}/paid",
            format!("/statements/{reseller_statement}/paid"),
        ),
        (
            "/reseller/statements/{id:\\d+}",
            format!("/reseller/statements/{reseller_statement}"),
        ),
        (
            "/reseller/statements/{id:\\d+}.csv",
            format!("/reseller/statements/{reseller_statement}.csv"),
        ),
        (
            "/my/statements/{id:\\d+}",
            format!("/my/statements/{customer_statement}"),
        ),
        (
            "/my/statements/{id:\\d+}.csv",
            format!("/my/statements/{customer_statement}.csv"),
        ),
        (
            "/price-list/rules/{id:\\d+}/remove",
            format!("/price-list/rules/{rule}/remove"),
        ),
        (
            "/reseller/prices/{provider:\\d+}",
            format!("/reseller/prices/{a}"),
        ),
        (
            "/reseller/prices/{provider:\\d+}/customer",
            format!("/reseller/prices/{a}/customer"),
        ),
        (
            "/team/invitations/{id:\\d+}/resend",
            format!("/team/invitations/{team_invitation}/resend"),
        ),
        (
            "/team/invitations/{id:\\d+}/revoke",
            format!("/team/invitations/{team_invitation}/revoke"),
        ),
        (
            "/team/members/{id:\\d+}/role",
            format!("/team/members/{dave}/role"),
        ),
        (
            "/team/members/{id:\\d+}/deactivate",
            format!("/team/members/{dave}/deactivate"),
        ),
        (
            "/team/members/{id:\\d+}/reactivate",
            format!("/team/members/{dave}/reactivate"),
        ),
        ("/team/join/{token}", "/team/join/not-a-link".to_owned()),
        (
            "/team/members/{id:\\d+}/reset-mfa",
            format!("/team/members/{dave}/reset-mfa"),
        ),
        ("/webhooks/{id:\\d+}", format!("/webhooks/{webhook}")),
        (
            "/webhooks/{id:\\d+}/test",
            format!("/webhooks/{webhook}/test"),
        ),
        (
            "/webhooks/{id:\\d+}/disable",
            format!("/webhooks/{webhook}/disable"),
        ),
        (
            "/webhooks/{id:\\d+}/enable",
            format!("/webhooks/{webhook}/enable"),
        ),
        (
            "/webhooks/{id:\\d+}/delete",
            format!("/webhooks/{webhook_to_delete}/delete"),
        ),
        (
            "/webhooks/{id:\\d+}/deliveries/{delivery:\\d+}/resend",
            format!("/webhooks/{webhook}/deliveries/{webhook_delivery}/resend"),
        ),
        (
            "/account/api-tokens/{id:\\d+}/revoke",
            format!("/account/api-tokens/{api_token}/revoke"),
        ),
        (
            "/account/devices/{device}/sign-out",
            "/account/devices/not-a-device/sign-out".to_owned(),
        ),
        (
            "/password-reset/{token}",
            "/password-reset/not-a-link".to_owned(),
        ),
    ]);
    World {
        paths,
        clients,
        tokens,
    }
}

/// The rows of every table but the sessions (which any request may touch).
fn business_rows(app: &TestApp) -> BTreeMap<String, i64> {
    let mut rows = app.row_counts();
    rows.remove("sessions");
    rows
}

#[tokio::test]
async fn every_route_of_the_table_admits_exactly_whom_it_says_and_refusals_change_nothing() {
    let mut options = AppOptions::default();
    options.throttle.sign_up_per_address_burst = 10_000;
    // The matrix counts rows before and after each refusal: no worker may write in between.
    options.webhooks.deliver = false;
    let app = spawn_app_with(options).await;
    let w = world(&app).await;
    let routes = table().infos();
    assert!(routes.len() > 90, "the whole table: {}", routes.len());
    let mut wrong = Vec::new();
    let mut check = |route: &RouteInfo, who: Who, got: Answer| {
        let want = exception(route, who).unwrap_or_else(|| expected(route, who));
        if got != want {
            wrong.push(format!(
                "{} {} as {who:?}: {got:?}, expected {want:?}",
                route.method, route.pattern
            ));
        }
    };

    // Every GET, by everyone.
    for route in routes.iter().filter(|r| r.method == "GET") {
        for who in EVERYONE {
            let res = w.send(&app, route, who).await;
            let got = classify(route.method, &w.path(route), who, &res);
            check(route, who, got);
        }
    }

    // Every POST, first by each user it refuses: nothing changes.
    let before = business_rows(&app);
    let mut refusals = 0;
    for route in routes.iter().filter(|r| r.method == "POST") {
        for who in EVERYONE {
            let want = exception(route, who).unwrap_or_else(|| expected(route, who));
            if want == Answer::Admitted {
                continue;
            }
            let res = w.send(&app, route, who).await;
            let got = classify(route.method, &w.path(route), who, &res);
            check(route, who, got);
            refusals += 1;
        }
    }
    assert!(refusals > 300, "{refusals}");
    assert_eq!(
        business_rows(&app),
        before,
        "a refused request wrote something"
    );

    // Every POST by each user it admits, without the CSRF token and with another session's: refused,
    // nothing written. The same requests with the right token follow.
    let foreign = w.tokens[&Who::Operator].clone();
    for route in routes.iter().filter(|r| r.method == "POST") {
        for who in EVERYONE {
            let want = exception(route, who).unwrap_or_else(|| expected(route, who));
            if want != Answer::Admitted {
                continue;
            }
            let wrong = if who == Who::Operator {
                w.tokens[&Who::ProviderA].as_str()
            } else {
                foreign.as_str()
            };
            for token in [None, Some(wrong)] {
                let res = w.send_with_token(&app, route, who, token).await;
                assert_eq!(
                    res.status(),
                    StatusCode::FORBIDDEN,
                    "POST {} as {who:?} with token {token:?}",
                    route.pattern
                );
            }
        }
    }
    assert_eq!(
        business_rows(&app),
        before,
        "a request without its CSRF token wrote something"
    );

    // Then by each user it admits (the positive controls), signing out last of all.
    let (sign_out, others): (Vec<&RouteInfo>, Vec<&RouteInfo>) = routes
        .iter()
        .filter(|r| r.method == "POST")
        .partition(|r| r.pattern == "/sign-out");
    for route in others.into_iter().chain(sign_out) {
        let mut first = true;
        for who in EVERYONE {
            let want = exception(route, who).unwrap_or_else(|| expected(route, who));
            if want != Answer::Admitted {
                continue;
            }
            let res = w.send(&app, route, who).await;
            let mut got = classify(route.method, &w.path(route), who, &res);
            // A route that deletes its row: the first admitted member's request removes it, the
            // next ones find it gone.
            if ONCE.contains(&route.pattern) && !first && got == Answer::NotFound {
                got = Answer::Admitted;
            }
            first = false;
            check(route, who, got);
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Every route ran for someone: the log holds nearly every kind of entry, each one the activity
    // log's filter offers.
    crate::activity_log::assert_actions_known(&app);
}

#[test]
fn each_method_and_path_is_in_the_table_once() {
    let routes = table().infos();
    let mut seen = std::collections::HashSet::new();
    for r in &routes {
        assert!(
            seen.insert((r.method, r.pattern)),
            "{} {} twice",
            r.method,
            r.pattern
        );
    }
}

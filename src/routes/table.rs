//! The route table: every route with the users it admits, registered from one list. The app is wired
//! from it, and the role × route matrix test walks it, so a route cannot be added without saying who
//! may use it, nor say one thing and do another without the test failing.

use actix_web::{FromRequest, Handler, Responder, Route, web};

pub use crate::domain::Need;

/// Who a route admits: what its handler's extractor checks (`Signed<R, P>`), said once more here so the
/// tests can hold each route to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admits {
    /// Everyone, signed in or not: public pages, personal links, assets.
    Anyone,
    /// Any signed-in user who has replaced a temporary password (`AnyRole`).
    SignedIn,
    /// Any signed-in user, also one who still has to replace a temporary password.
    PasswordChange,
    /// Indirect providers' members whose role allows the need (`Signed<ProviderStaff, P>`).
    Provider(Need),
    /// Indirect resellers' members, verified or not, whose role allows the need (`ResellerStaff`).
    Reseller(Need),
    /// Members of either kind of partner organisation (`PartnerStaff`): the Team page.
    Partner(Need),
    /// A customer's admin (`CustomerAdmin`).
    Customer,
    /// Platform operators (`OperatorStaff`); `Admin`: platform admins only (support reads).
    Operator(Need),
    /// A partnership request's personal link: shown to anyone signed out (who is asked to sign in or
    /// enroll), answered by a verified reseller, refused (403) to any other account.
    ResellerLink,
    /// A customer invitation's personal link: the same, answered by a customer's admin.
    CustomerLink,
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub pattern: &'static str,
    pub admits: Admits,
}

struct Entry {
    info: RouteInfo,
    route: Route,
}

/// The routes, in the order they are matched.
#[derive(Default)]
pub struct RouteTable {
    entries: Vec<Entry>,
}

impl RouteTable {
    pub fn get<F, Args>(&mut self, pattern: &'static str, admits: Admits, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add("GET", pattern, admits, web::get().to(handler))
    }

    pub fn post<F, Args>(&mut self, pattern: &'static str, admits: Admits, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add("POST", pattern, admits, web::post().to(handler))
    }

    fn add(
        &mut self,
        method: &'static str,
        pattern: &'static str,
        admits: Admits,
        route: Route,
    ) -> &mut Self {
        self.entries.push(Entry {
            info: RouteInfo {
                method,
                pattern,
                admits,
            },
            route,
        });
        self
    }

    /// What the table holds, without the handlers.
    pub fn infos(&self) -> Vec<RouteInfo> {
        self.entries.iter().map(|e| e.info.clone()).collect()
    }

    /// Registers every route. The methods of one path share a resource (so a path that exists answers
    /// another method with 405), in the order the paths first appear.
    pub fn register(self, cfg: &mut web::ServiceConfig) {
        let mut paths: Vec<(&'static str, Vec<Route>)> = Vec::new();
        for entry in self.entries {
            match paths.iter_mut().find(|(p, _)| *p == entry.info.pattern) {
                Some((_, routes)) => routes.push(entry.route),
                None => paths.push((entry.info.pattern, vec![entry.route])),
            }
        }
        for (pattern, routes) in paths {
            if routes.len() == 1 {
                for route in routes {
                    cfg.route(pattern, route);
                }
            } else {
                let resource = routes
                    .into_iter()
                    .fold(web::resource(pattern), |resource, route| {
                        resource.route(route)
                    });
                cfg.service(resource);
            }
        }
    }
}

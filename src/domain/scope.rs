//! Scope ids: the organisation a query is scoped to. A page of provider A that scopes by a
//! `ProviderId` cannot be made to show provider B's rows by changing an id in the URL, because a
//! `ProviderId` comes from the signed-in user (the auth extractor), never from the request. The one
//! constructor, `established`, is for code that has established the relationship itself (the
//! extractor; a use case that has just created the organisation or found it on a checked row), and
//! clippy refuses it anywhere else (`disallowed-methods` in clippy.toml).

macro_rules! scope_id {
    ($(#[$meta:meta])* $t:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $t(i64);

        impl $t {
            pub fn get(self) -> i64 {
                self.0
            }

            /// For code that established the relationship itself (see the module's comment).
            pub fn established(id: i64) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

scope_id!(
    /// An indirect provider, as the scope of a query.
    ProviderId
);
scope_id!(
    /// An indirect reseller, as the scope of a query.
    ResellerId
);
scope_id!(
    /// A customer organisation, as the scope of its admin's queries.
    CustomerId
);

//! The messages the dashboard sends. Each is a struct with what its templates show; the `email!` macro
//! ties it to its three templates (subject, text body, HTML body).

use askama::Template;

use crate::email::EmailMessage;
use crate::i18n::{Locale, Tr};

macro_rules! email {
    ($name:ident, $template:literal, sensitive = $sensitive:expr,
     $subject:literal, $text:literal, $html:literal) => {
        const _: () = {
            #[derive(Template)]
            #[template(path = $subject)]
            struct Subject<'a> {
                m: &'a $name,
            }

            #[derive(Template)]
            #[template(path = $text)]
            struct Text<'a> {
                m: &'a $name,
            }

            #[derive(Template)]
            #[template(path = $html)]
            struct Html<'a> {
                m: &'a $name,
            }

            impl EmailMessage for $name {
                const TEMPLATE: &'static str = $template;
                const SENSITIVE: bool = $sensitive;

                fn locale(&self) -> Locale {
                    self.tr.locale()
                }

                fn render(&self) -> Result<(String, String, String), askama::Error> {
                    Ok((
                        Subject { m: self }.render()?,
                        Text { m: self }.render()?,
                        Html { m: self }.render()?,
                    ))
                }
            }
        };
    };
}

/// Sent after a password change, so an unexpected change is noticed.
pub struct PasswordChanged {
    pub tr: Tr,
    pub name: String,
    pub when: String,
    pub sign_in_url: String,
}

email!(
    PasswordChanged,
    "password_changed",
    sensitive = false,
    "email/password_changed/subject.txt",
    "email/password_changed/body.txt",
    "email/password_changed/body.html"
);

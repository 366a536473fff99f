//! Typed ids and text-backed enums that diesel can bind and load through the MultiConnection.

/// A UUIDv4 id stored as TEXT, with its own type so ids of different tables cannot be mixed up.
#[macro_export]
macro_rules! typed_id {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize,
                 diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            /// Accepts only a well-formed UUID, so ids from URLs never reach a query unchecked.
            pub fn parse(s: &str) -> Option<Self> {
                uuid::Uuid::parse_str(s).ok().map(|u| Self(u.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        $crate::text_sql_impls!($name, |s| s.0.as_str(), |v| Ok($name(v)));
    )*};
}

/// A Rust enum stored as TEXT (the column carries a CHECK constraint with the same values).
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash,
                 diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown {} value {s:?}", stringify!($name)))
                })
            }
        }

        $crate::text_sql_impls!($name, |s| s.as_str(), |v| $name::parse(&v)
            .ok_or_else(|| format!("unknown {} value {v:?}", stringify!($name)).into()));
    };
}

/// ToSql/FromSql as TEXT on PostgreSQL, SQLite and the MultiConnection backend, for a type
/// that converts to and from `&str`/`String` through the given closures.
#[macro_export]
#[doc(hidden)]
macro_rules! text_sql_impls {
    ($name:ident, |$s:ident| $to:expr, |$v:ident| $from:expr) => {
        $crate::text_sql_impls!(@one $name, $crate::db::MultiBackend, |$s| $to, |$v| $from);
        $crate::text_sql_impls!(@one $name, diesel::pg::Pg, |$s| $to, |$v| $from);
        $crate::text_sql_impls!(@one $name, diesel::sqlite::Sqlite, |$s| $to, |$v| $from);
    };
    (@one $name:ident, $backend:ty, |$s:ident| $to:expr, |$v:ident| $from:expr) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, $backend> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $backend>,
            ) -> diesel::serialize::Result {
                let $s = self;
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, $backend>>::to_sql($to, out)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $backend> for $name {
            fn from_sql(
                bytes: <$backend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let $v = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, $backend>>::from_sql(bytes)?;
                $from
            }
        }
    };
}

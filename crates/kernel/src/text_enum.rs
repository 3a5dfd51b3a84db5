//! [`text_enum!`]: an enum stored as its snake_case text on both dialects.
//!
//! One declaration gives the Rust enum, `as_str`/`parse`/`ALL`, `Display`, and sqlx
//! `Type`/`Encode`/`Decode` for SQLite and PostgreSQL (a TEXT column). Decoding an unknown
//! stored value is an error, never a silent default.

/// Declares an enum whose variants are stored as the given strings.
///
/// ```ignore
/// lifeos_kernel::text_enum! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
///     #[serde(rename_all = "snake_case")]
///     pub enum DayKind { Free = "free", Focus = "focus", Buffer = "buffer" }
/// }
/// ```
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and wire) text of this variant.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The variant stored as `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__sqlx::Type<$crate::__sqlx::Sqlite> for $name {
            fn type_info() -> $crate::__sqlx::sqlite::SqliteTypeInfo {
                <&str as $crate::__sqlx::Type<$crate::__sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &$crate::__sqlx::sqlite::SqliteTypeInfo) -> bool {
                <&str as $crate::__sqlx::Type<$crate::__sqlx::Sqlite>>::compatible(ty)
            }
        }

        impl $crate::__sqlx::Encode<'_, $crate::__sqlx::Sqlite> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut $crate::__sqlx::sqlite::SqliteArgumentsBuffer,
            ) -> ::std::result::Result<$crate::__sqlx::encode::IsNull, $crate::__sqlx::error::BoxDynError> {
                $crate::__sqlx::Encode::<$crate::__sqlx::Sqlite>::encode(self.as_str(), buf)
            }
        }

        impl<'r> $crate::__sqlx::Decode<'r, $crate::__sqlx::Sqlite> for $name {
            fn decode(
                value: $crate::__sqlx::sqlite::SqliteValueRef<'r>,
            ) -> ::std::result::Result<Self, $crate::__sqlx::error::BoxDynError> {
                let text = <&str as $crate::__sqlx::Decode<$crate::__sqlx::Sqlite>>::decode(value)?;
                $crate::text_enum::unknown(stringify!($name), text, Self::parse(text))
            }
        }

        impl $crate::__sqlx::Type<$crate::__sqlx::Postgres> for $name {
            fn type_info() -> $crate::__sqlx::postgres::PgTypeInfo {
                <&str as $crate::__sqlx::Type<$crate::__sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &$crate::__sqlx::postgres::PgTypeInfo) -> bool {
                <&str as $crate::__sqlx::Type<$crate::__sqlx::Postgres>>::compatible(ty)
            }
        }

        impl $crate::__sqlx::Encode<'_, $crate::__sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut $crate::__sqlx::postgres::PgArgumentBuffer,
            ) -> ::std::result::Result<$crate::__sqlx::encode::IsNull, $crate::__sqlx::error::BoxDynError> {
                <&str as $crate::__sqlx::Encode<$crate::__sqlx::Postgres>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        impl<'r> $crate::__sqlx::Decode<'r, $crate::__sqlx::Postgres> for $name {
            fn decode(
                value: $crate::__sqlx::postgres::PgValueRef<'r>,
            ) -> ::std::result::Result<Self, $crate::__sqlx::error::BoxDynError> {
                let text = <&str as $crate::__sqlx::Decode<$crate::__sqlx::Postgres>>::decode(value)?;
                $crate::text_enum::unknown(stringify!($name), text, Self::parse(text))
            }
        }
    };
}

/// The decode error for a stored value no variant has.
pub fn unknown<T>(
    name: &str,
    text: &str,
    parsed: Option<T>,
) -> Result<T, sqlx::error::BoxDynError> {
    parsed.ok_or_else(|| format!("unknown {name} value stored: {text:?}").into())
}

#[cfg(test)]
mod tests {
    crate::text_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Colour { Red = "red", DeepBlue = "deep_blue" }
    }

    #[test]
    fn round_trips_its_text() {
        for colour in Colour::ALL {
            assert_eq!(Colour::parse(colour.as_str()), Some(*colour));
        }
        assert_eq!(Colour::DeepBlue.to_string(), "deep_blue");
        assert_eq!(Colour::parse("green"), None);
    }

    #[test]
    fn an_unknown_stored_value_is_an_error() {
        let error = super::unknown("Colour", "green", Colour::parse("green")).unwrap_err();
        assert!(error.to_string().contains("green"));
    }
}

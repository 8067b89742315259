//! `code_enum!`: enums whose variants are stored and sent as snake_case codes.
//!
//! One list of `Variant = "code"` pairs generates the enum (with serde renames), `ALL`
//! (so a new variant cannot escape the exhaustive table tests that walk `ALL`),
//! `as_str`, `parse`, `FromStr` and `Display` — round-trips by construction, instead of
//! four hand-kept lists per enum — and makes it a sea-orm `ActiveEnum` stored as its code,
//! so an entity's column can be the enum itself (a row with an unknown code fails to
//! load instead of being read as a default).

/// Declares a code enum: `code_enum! { pub enum State { Submitted = "submitted", … } }`.
#[macro_export]
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:tt ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
            sea_orm::EnumIter, sea_orm::DeriveActiveEnum,
        )]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] #[sea_orm(string_value = $code)] $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];

            /// The stored code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $code ),+
                }
            }

            /// The variant of a stored code.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $( $code => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::parse(s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($name)))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::code_enum! {
        enum Colour { Red = "red", DarkBlue = "dark_blue" }
    }

    #[test]
    fn codes_round_trip() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(c));
            assert_eq!(c.to_string().parse::<Colour>(), Ok(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        assert_eq!(Colour::ALL.len(), 2);
        assert!(Colour::parse("green").is_none());
    }
}

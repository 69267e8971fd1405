//! Enums stored and exchanged as stable lowercase codes (`web_form`, `after_sale`, ...), with
//! labels in both languages. One macro writes `as_str`, `parse`, `label`, `Display`, `FromStr`
//! and serde for each, so the database, the API and the UI can never spell a value two ways.

/// Declares a code enum. The variants' order is their `Ord` order and the order of `ALL`.
///
/// ```ignore
/// code_enum! {
///     /// Doc.
///     pub enum Fee("fee") {
///         /// 无偿服务
///         Free = "free", "Free", "无偿";
///         Paid = "paid", "Paid", "有偿";
///     }
/// }
/// ```
/// The string after the name is the field an unknown code is reported on (`unknown_fee`).
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($field:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $en:literal, $zh:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in the database and used in the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// Reads a code (surrounding blanks ignored; case matters, as codes are stored lowercase).
            pub fn parse(s: &str) -> Result<$name, $crate::error::Invalid> {
                let t = s.trim();
                $name::ALL.iter().copied().find(|v| v.as_str() == t).ok_or_else(|| {
                    $crate::error::Invalid::one(
                        $field,
                        concat!("unknown_", $field),
                        format!(
                            "{} must be one of {}, not {:?}",
                            $field,
                            [$($code),+].join(", "),
                            s
                        ),
                    )
                })
            }

            /// A label for people, in `lang`.
            pub fn label(self, lang: $crate::lang::Language) -> &'static str {
                match (self, lang) {
                    $(
                        ($name::$variant, $crate::lang::Language::En) => $en,
                        ($name::$variant, $crate::lang::Language::ZhCn) => $zh,
                    )+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::Invalid;
            fn from_str(s: &str) -> Result<$name, $crate::error::Invalid> {
                $name::parse(s)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).map_err(|e| ::serde::de::Error::custom(&e.errors[0].message))
            }
        }
    };
}

pub(crate) use code_enum;

#[cfg(test)]
mod tests {
    use crate::lang::Language;

    code_enum! {
        /// A test enum.
        pub enum Colour("colour") {
            Red = "red", "Red", "红";
            /// Documented variant.
            DarkBlue = "dark_blue", "Dark blue", "深蓝";
        }
    }

    #[test]
    fn codes_labels_and_serde_agree() {
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::DarkBlue]);
        assert!(Colour::Red < Colour::DarkBlue);
        for &c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()).unwrap(), c);
            assert_eq!(c.to_string().parse::<Colour>().unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), c);
        }
        assert_eq!(Colour::parse(" dark_blue ").unwrap(), Colour::DarkBlue);
        assert_eq!(Colour::DarkBlue.label(Language::ZhCn), "深蓝");
        assert_eq!(Colour::DarkBlue.label(Language::En), "Dark blue");
        let e = Colour::parse("Red").unwrap_err();
        assert_eq!(
            (e.errors[0].field.as_str(), e.errors[0].code),
            ("colour", "unknown_colour")
        );
        assert!(e.errors[0].message.contains("red, dark_blue"), "{e}");
        let e = serde_json::from_str::<Colour>("\"green\"").unwrap_err();
        assert!(e.to_string().contains("colour must be one of red, dark_blue"), "{e}");
        assert!(serde_json::from_str::<Colour>("3").is_err());
    }
}

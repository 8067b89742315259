//! Validated Russian requisites: ИНН, КПП, ОГРН/ОГРНИП, СНИЛС, with their checksums.
//!
//! Parse, don't validate: each checker answers the requisite as its own type ([`Inn`],
//! [`Kpp`], [`Ogrn`], [`Snils`]) holding the normalised text, or the reason in Russian,
//! so that the intake can name the field and the Проверки tab can show the reason. A
//! value of these types has passed its checksum.

macro_rules! requisite {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

requisite!(
    /// An ИНН whose check digits hold: 10 digits (organisation) or 12 (person).
    Inn
);
requisite!(
    /// A КПП of the right shape.
    Kpp
);
requisite!(
    /// An ОГРН (13 digits) or ОГРНИП (15) whose check digit holds.
    Ogrn
);
requisite!(
    /// A СНИЛС whose check number holds, written `XXX-XXX-XXX YY`.
    Snils
);

fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn weighted(d: &[u32], weights: &[u32]) -> u32 {
    d.iter().zip(weights).map(|(a, b)| a * b).sum()
}

/// ИНН: 10 digits for an organisation, 12 for a person (sole trader), with check digits.
///
/// # Errors
/// Wrong length, non-digits, or a failed check digit.
pub fn inn(s: &str) -> Result<Inn, String> {
    let s = s.trim();
    let d = digits(s).ok_or_else(|| "ИНН состоит только из цифр".to_owned())?;
    let ok = match d.len() {
        10 => (weighted(&d, &[2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11) % 10 == d[9],
        12 => {
            (weighted(&d, &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11) % 10 == d[10]
                && (weighted(&d, &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11) % 10 == d[11]
        }
        _ => return Err("ИНН содержит 10 цифр (организация) или 12 цифр (ИП)".to_owned()),
    };
    if ok {
        Ok(Inn(s.to_owned()))
    } else {
        Err("контрольная сумма ИНН не сходится".to_owned())
    }
}

/// КПП: four digits (tax office), two digits or capital Latin letters (reason), three digits.
///
/// # Errors
/// A value of another shape.
pub fn kpp(s: &str) -> Result<Kpp, String> {
    let s = s.trim();
    let b = s.as_bytes();
    let ok = b.len() == 9
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..6]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && b[6..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(Kpp(s.to_owned()))
    } else {
        Err("КПП: 9 знаков — 4 цифры, 2 цифры или заглавные латинские буквы, 3 цифры".to_owned())
    }
}

fn mod_check(d: &[u32], modulus: u64) -> bool {
    let (body, check) = d.split_at(d.len() - 1);
    let n = body.iter().fold(0u64, |acc, x| acc * 10 + u64::from(*x));
    (n % modulus) % 10 == u64::from(check[0])
}

/// ОГРН (13 digits, organisations) or ОГРНИП (15 digits, sole traders).
///
/// # Errors
/// Wrong length for the legal form, non-digits, or a failed check digit.
pub fn ogrn(s: &str, sole_trader: bool) -> Result<Ogrn, String> {
    let s = s.trim();
    let d = digits(s).ok_or_else(|| "ОГРН состоит только из цифр".to_owned())?;
    match (d.len(), sole_trader) {
        (13, false) if mod_check(&d, 11) => Ok(Ogrn(s.to_owned())),
        (15, true) if mod_check(&d, 13) => Ok(Ogrn(s.to_owned())),
        (13, false) | (15, true) => Err("контрольная цифра ОГРН не сходится".to_owned()),
        (_, false) => Err("ОГРН организации содержит 13 цифр".to_owned()),
        (_, true) => Err("ОГРНИП содержит 15 цифр".to_owned()),
    }
}

/// СНИЛС, written `XXX-XXX-XXX YY` or as 11 digits; returns the written form.
///
/// # Errors
/// Not 11 digits, or a failed check number.
pub fn snils(s: &str) -> Result<Snils, String> {
    let d: Vec<u32> = s
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()
        .ok_or_else(|| "СНИЛС состоит из цифр (можно с дефисами и пробелом)".to_owned())?;
    if d.len() != 11 {
        return Err("СНИЛС содержит 11 цифр".to_owned());
    }
    let number = d[..9].iter().fold(0u32, |a, x| a * 10 + x);
    let given = d[9] * 10 + d[10];
    // Numbers up to 001-001-998 were issued before check numbers existed.
    if number > 1_001_998 {
        let sum = weighted(&d[..9], &[9, 8, 7, 6, 5, 4, 3, 2, 1]);
        let expected = match sum {
            0..=99 => sum,
            100 | 101 => 0,
            _ => {
                let r = sum % 101;
                if r == 100 { 0 } else { r }
            }
        };
        if expected != given {
            return Err("контрольное число СНИЛС не сходится".to_owned());
        }
    }
    let t: String = d
        .iter()
        .map(|x| char::from_digit(*x, 10).unwrap_or('0'))
        .collect();
    Ok(Snils(format!(
        "{}-{}-{} {}",
        &t[..3],
        &t[3..6],
        &t[6..9],
        &t[9..]
    )))
}

/// An organisation named by its ИНН and (optional) КПП, as a form or the API sends them:
/// a blank КПП is none; each bad one named by its field.
///
/// # Errors
/// `inn` and/or `kpp` with the reason.
pub fn inn_kpp(
    inn_text: &str,
    kpp_text: Option<&str>,
) -> Result<(Inn, Option<Kpp>), Vec<crate::error::FieldError>> {
    use crate::error::FieldError;
    let inn = inn(inn_text).map_err(|m| FieldError::new("inn", m));
    let kpp = kpp_text
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(kpp)
        .transpose()
        .map_err(|m| FieldError::new("kpp", m));
    match (inn, kpp) {
        (Ok(i), Ok(k)) => Ok((i, k)),
        (i, k) => Err(i.err().into_iter().chain(k.err()).collect()),
    }
}

/// A plausible e-mail address (what mail servers accept, without guessing at more).
///
/// # Errors
/// Not of the form `local@domain.tld`.
pub fn email(s: &str) -> Result<String, String> {
    use validator::ValidateEmail;
    let s = s.trim();
    let dotted_domain = s
        .rsplit_once('@')
        .is_some_and(|(_, d)| d.contains('.') && !d.ends_with('.'));
    if s.validate_email() && dotted_domain {
        Ok(s.to_owned())
    } else {
        Err("адрес электронной почты указан неверно".to_owned())
    }
}

/// ФСС registration number: 10 digits.
///
/// # Errors
/// Another shape.
pub fn fss_number(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("регистрационный номер ФСС — 10 цифр".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inn_checksums() {
        assert!(inn("4027291410").is_ok(), "{:?}", inn("4027291410"));
        assert!(inn("7707083893").is_ok()); // Сбербанк
        assert!(inn("7707083894").is_err());
        assert!(inn("500100732259").is_ok());
        assert!(inn("500100732258").is_err());
        assert!(inn("12345").is_err());
        assert!(inn("77070838a3").is_err());
    }

    #[test]
    fn kpp_shape() {
        assert!(kpp("402701001").is_ok());
        assert!(kpp("7707AB001").is_ok());
        assert!(kpp("40270100").is_err());
        assert!(kpp("4027ab001").is_err());
    }

    #[test]
    fn ogrn_and_ogrnip_checksums() {
        assert!(ogrn("1027700132195", false).is_ok()); // Сбербанк
        assert!(ogrn("1027700132196", false).is_err());
        assert!(ogrn("304500116000157", true).is_ok());
        assert!(ogrn("304500116000158", true).is_err());
        assert!(
            ogrn("1027700132195", true).is_err(),
            "a sole trader has a 15-digit ОГРНИП"
        );
    }

    #[test]
    fn snils_checksum_and_format() {
        assert_eq!(snils("112-233-445 95").unwrap().as_str(), "112-233-445 95");
        assert_eq!(snils("11223344595").unwrap().as_str(), "112-233-445 95");
        assert!(snils("112-233-445 96").is_err());
        assert!(snils("112-233-445").is_err());
        // Old numbers carry no check number.
        assert!(snils("001-001-997 00").is_ok());
    }

    #[test]
    fn emails() {
        assert!(email("info@example.ru").is_ok());
        assert!(email("info@example").is_err());
        assert!(email("info example.ru").is_err());
        assert!(email("@example.ru").is_err());
    }
}

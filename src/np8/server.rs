//! The licence server as a port: it hands out the registration number and the PIN of a
//! 1С:Налогоплательщик 8 licence. The product carries it on `AppState`, so the real
//! server's client can replace the built-in one without touching the service.

use rand::Rng;

/// What the licence server is asked for.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub inn: &'a str,
    pub kpp: Option<&'a str>,
    pub basis: super::Basis,
}

/// A licence the server issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// «Рег. номер лицензии».
    pub number: String,
    /// «Пин-код».
    pub pin: String,
}

/// The licence server, as the product talks to it.
pub trait LicenceServer: Send + Sync {
    /// Issues a licence; `Err` carries the server's reason in Russian.
    ///
    /// # Errors
    /// The server refused or could not be reached.
    fn issue(&self, request: &Request<'_>) -> Result<Issued, String>;
}

/// The built-in server: a ten-digit number starting with 8 and a fifteen-digit PIN, both
/// from a cryptographic generator seeded by the operating system. Nothing about them can be guessed from the
/// organisation or from other licences; the number is unique by the table's index (the
/// service asks again on the one-in-a-billion collision).
pub struct LocalLicenceServer;

impl LicenceServer for LocalLicenceServer {
    fn issue(&self, _request: &Request<'_>) -> Result<Issued, String> {
        // The thread's generator: ChaCha12 seeded from the operating system.
        let mut rng = rand::rng();
        let mut digits = |n: usize| -> String {
            (0..n)
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect()
        };
        Ok(Issued {
            number: format!("8{}", digits(9)),
            pin: digits(15),
        })
    }
}

/// The PIN as people read it aloud: three groups of five digits.
pub fn pin_grouped(pin: &str) -> String {
    pin.as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_pins_have_their_shape_and_differ() {
        let r = Request {
            inn: "4027291410",
            kpp: Some("402701001"),
            basis: crate::np8::Basis::Paid,
        };
        let a = LocalLicenceServer.issue(&r).unwrap();
        let b = LocalLicenceServer.issue(&r).unwrap();
        assert_eq!(a.number.len(), 10);
        assert!(a.number.starts_with('8'));
        assert_eq!(a.pin.len(), 15);
        assert!(a.pin.bytes().all(|c| c.is_ascii_digit()));
        assert_ne!(a, b);
        assert_eq!(pin_grouped("123456789012345"), "12345-67890-12345");
    }
}

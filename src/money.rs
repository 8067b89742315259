//! Money in roubles, exact to the kopeck.
//!
//! `Money` wraps a `rust_decimal::Decimal` rounded to two places. In the database it is a
//! `BIGINT` of kopecks (see the migrations crate for why); in JSON it is a string with
//! two decimals (`"4900.00"`); in the UI it is Russian-formatted (`4 900,00 ₽`).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Mul, Sub};

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, Value, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Rounds half away from zero to whole kopecks, as a cashier would.
    pub fn new(amount: Decimal) -> Self {
        Money(amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    pub fn rubles(rubles: i64) -> Self {
        Money(Decimal::new(rubles * 100, 2))
    }

    pub fn from_kopecks(kopecks: i64) -> Self {
        Money(Decimal::new(kopecks, 2))
    }

    pub fn kopecks(self) -> i64 {
        // Always integral: every constructor rounds to two places.
        (self.0 * Decimal::ONE_HUNDRED)
            .to_i64()
            .expect("a money amount fits in i64 kopecks")
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// `4 900,00 ₽`: thousands separated by a thin space, decimal comma.
    pub fn ru(self) -> String {
        let kopecks = self.kopecks();
        let sign = if kopecks < 0 { "-" } else { "" };
        let abs = kopecks.unsigned_abs();
        let rub = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, ch) in rub.chars().enumerate() {
            if i > 0 && (rub.len() - i).is_multiple_of(3) {
                grouped.push('\u{a0}');
            }
            grouped.push(ch);
        }
        format!("{sign}{grouped},{:02}\u{a0}₽", abs % 100)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Mul<i64> for Money {
    type Output = Money;
    fn mul(self, rhs: i64) -> Money {
        Money(self.0 * Decimal::from(rhs))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(i64),
        }
        let amount = match Raw::deserialize(d)? {
            Raw::Text(s) => s
                .trim()
                .replace([' ', '\u{a0}'], "")
                .replace(',', ".")
                .parse::<Decimal>()
                .map_err(serde::de::Error::custom)?,
            Raw::Int(i) => Decimal::from(i),
        };
        if amount.scale() > 2 && amount != amount.round_dp(2) {
            return Err(serde::de::Error::custom(
                "an amount has at most two decimals",
            ));
        }
        Ok(Money::new(amount))
    }
}

impl From<Money> for Value {
    fn from(m: Money) -> Value {
        Value::BigInt(Some(m.kopecks()))
    }
}

impl TryGetable for Money {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        i64::try_get_by(res, idx).map(Money::from_kopecks)
    }
}

impl ValueType for Money {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::BigInt(Some(k)) => Ok(Money::from_kopecks(k)),
            _ => Err(ValueTypeErr),
        }
    }
    fn type_name() -> String {
        "Money".to_owned()
    }
    fn array_type() -> ArrayType {
        ArrayType::BigInt
    }
    fn column_type() -> ColumnType {
        ColumnType::BigInteger
    }
}

impl Nullable for Money {
    fn null() -> Value {
        Value::BigInt(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn kopecks_round_trip() {
        assert_eq!(Money::from_kopecks(490_000), Money::rubles(4900));
        assert_eq!(Money::rubles(4900).kopecks(), 490_000);
        assert_eq!(Money::new(dec!(0.005)).kopecks(), 1);
        assert_eq!(Money::new(dec!(-0.005)).kopecks(), -1);
    }

    #[test]
    fn json_is_a_two_decimal_string() {
        assert_eq!(
            serde_json::to_string(&Money::rubles(4900)).unwrap(),
            "\"4900.00\""
        );
        let m: Money = serde_json::from_str("\"2 450,5\"").unwrap();
        assert_eq!(m, Money::new(dec!(2450.50)));
        assert!(serde_json::from_str::<Money>("\"1.001\"").is_err());
    }

    #[test]
    fn russian_format() {
        assert_eq!(Money::rubles(4900).ru(), "4\u{a0}900,00\u{a0}₽");
        assert_eq!(Money::new(dec!(590)).ru(), "590,00\u{a0}₽");
        assert_eq!(
            Money::new(dec!(1234567.8)).ru(),
            "1\u{a0}234\u{a0}567,80\u{a0}₽"
        );
    }
}

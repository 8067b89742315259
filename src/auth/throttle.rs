//! In-memory limits on sign-in attempts, before any password is hashed:
//! - per client address, every attempt (a token bucket) and every failure (a slower one),
//!   so one address cannot keep the hashing pool busy or walk through many accounts;
//! - names that are not logins go through the same three-failure lockout as real
//!   accounts (kept here, not in the database), so the answers — and their timing — do
//!   not tell which logins exist.
//!
//! The maps are bounded: idle entries are dropped when a map grows past its cap, so a
//! flood of random names or addresses cannot grow memory without limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::session::{LOCKOUT_MINUTES, MAX_FAILED_ATTEMPTS};

/// How many entries a map keeps before idle ones are swept.
const MAX_ENTRIES: usize = 50_000;

/// Allowances per client address.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Sign-in attempts an address may make in a burst…
    pub attempts_burst: u32,
    /// …and how many it regains per minute.
    pub attempts_per_minute: u32,
    /// Failed attempts an address may make in a burst…
    pub failures_burst: u32,
    /// …and how many it regains per minute.
    pub failures_per_minute: u32,
}

impl Default for Limits {
    /// An office behind one address signs in many people in the morning; a guesser is
    /// slowed to a few tries a minute after a short burst.
    fn default() -> Self {
        Limits {
            attempts_burst: 30,
            attempts_per_minute: 30,
            failures_burst: 10,
            failures_per_minute: 2,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl Bucket {
    fn refill(&mut self, now: DateTime<Utc>, burst: u32, per_minute: u32) {
        let elapsed = (now - self.at).num_milliseconds().max(0) as f64 / 60_000.0;
        self.tokens = (self.tokens + elapsed * f64::from(per_minute)).min(f64::from(burst));
        self.at = now;
    }

    /// Seconds until one token is back.
    fn wait(&self, per_minute: u32) -> u64 {
        if per_minute == 0 {
            return 3600;
        }
        let missing = 1.0 - self.tokens;
        (missing * 60.0 / f64::from(per_minute)).ceil().max(1.0) as u64
    }

    fn full(&self, burst: u32) -> bool {
        self.tokens >= f64::from(burst)
    }
}

#[derive(Debug, Clone, Copy)]
struct UnknownName {
    failures: i32,
    locked_until: Option<DateTime<Utc>>,
    seen: DateTime<Utc>,
}

#[derive(Default)]
struct Inner {
    attempts: HashMap<IpAddr, Bucket>,
    failures: HashMap<IpAddr, Bucket>,
    unknown: HashMap<String, UnknownName>,
}

/// The sign-in throttle shared by every request of a server.
pub struct LoginThrottle {
    limits: Limits,
    inner: Mutex<Inner>,
}

/// The address a limit is counted for: IPv6 clients by their /64, which one host
/// usually owns whole.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let mut s = v6.segments();
            s[4..].fill(0);
            IpAddr::V6(s.into())
        }
        IpAddr::V6(v6) => IpAddr::V4(
            v6.to_ipv4_mapped()
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
        ),
        v4 => v4,
    }
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> Self {
        LoginThrottle {
            limits,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bucket of `ip` in `map`, refilled to `now` (created full); idle full buckets
    /// are swept first when the map is at its cap.
    fn bucket(
        map: &mut HashMap<IpAddr, Bucket>,
        ip: IpAddr,
        now: DateTime<Utc>,
        burst: u32,
        per_minute: u32,
    ) -> &mut Bucket {
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, b| {
                b.refill(now, burst, per_minute);
                !b.full(burst)
            });
        }
        let b = map.entry(ip).or_insert(Bucket {
            tokens: f64::from(burst),
            at: now,
        });
        b.refill(now, burst, per_minute);
        b
    }

    /// Takes one attempt from the address's allowance.
    ///
    /// # Errors
    /// The seconds to wait, when the address has used up its attempts or its failures.
    pub fn admit(&self, ip: IpAddr, now: DateTime<Utc>) -> Result<(), u64> {
        let l = self.limits;
        let ip = key(ip);
        let mut g = self.lock();
        let failures = g.failures.get(&ip).copied().map(|mut b| {
            b.refill(now, l.failures_burst, l.failures_per_minute);
            b
        });
        if let Some(b) = failures.filter(|b| b.tokens < 1.0) {
            return Err(b.wait(l.failures_per_minute));
        }
        let b = Self::bucket(
            &mut g.attempts,
            ip,
            now,
            l.attempts_burst,
            l.attempts_per_minute,
        );
        if b.tokens < 1.0 {
            return Err(b.wait(l.attempts_per_minute));
        }
        b.tokens -= 1.0;
        Ok(())
    }

    /// Counts a failed attempt against the address.
    pub fn failed(&self, ip: IpAddr, now: DateTime<Utc>) {
        let l = self.limits;
        let ip = key(ip);
        let mut g = self.lock();
        let b = Self::bucket(
            &mut g.failures,
            ip,
            now,
            l.failures_burst,
            l.failures_per_minute,
        );
        b.tokens = (b.tokens - 1.0).max(0.0);
    }

    /// Whether a name that is not a login is locked out right now.
    pub fn unknown_locked(&self, name: &str, now: DateTime<Utc>) -> bool {
        self.lock()
            .unknown
            .get(&name.to_lowercase())
            .and_then(|n| n.locked_until)
            .is_some_and(|until| until > now)
    }

    /// Counts a failure for a name that is not a login; `true` when this failure locks
    /// it, exactly as the third failure locks a real account.
    pub fn unknown_failed(&self, name: &str, now: DateTime<Utc>) -> bool {
        let mut g = self.lock();
        if g.unknown.len() >= MAX_ENTRIES {
            let idle = now - Duration::minutes(LOCKOUT_MINUTES);
            g.unknown
                .retain(|_, n| n.locked_until.is_some_and(|u| u > now) || n.seen > idle);
            if g.unknown.len() >= MAX_ENTRIES {
                g.unknown.clear();
            }
        }
        let n = g.unknown.entry(name.to_lowercase()).or_insert(UnknownName {
            failures: 0,
            locked_until: None,
            seen: now,
        });
        if n.locked_until.is_some_and(|u| u <= now) {
            n.locked_until = None;
        }
        n.seen = now;
        n.failures += 1;
        if n.failures >= MAX_FAILED_ATTEMPTS {
            n.failures = 0;
            n.locked_until = Some(now + Duration::minutes(LOCKOUT_MINUTES));
            return true;
        }
        false
    }

    /// Entries held, for tests of the bound.
    pub fn len(&self) -> usize {
        let g = self.lock();
        g.attempts.len() + g.failures.len() + g.unknown.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_gets_its_burst_then_waits_for_the_refill() {
        let th = LoginThrottle::new(Limits {
            attempts_burst: 3,
            attempts_per_minute: 6,
            failures_burst: 100,
            failures_per_minute: 100,
        });
        for _ in 0..3 {
            assert_eq!(th.admit(ip("10.0.0.1"), t(0)), Ok(()));
        }
        assert_eq!(th.admit(ip("10.0.0.1"), t(0)), Err(10));
        // Another address is not affected; ten seconds later one more attempt is allowed.
        assert_eq!(th.admit(ip("10.0.0.2"), t(0)), Ok(()));
        assert_eq!(th.admit(ip("10.0.0.1"), t(10)), Ok(()));
        assert!(th.admit(ip("10.0.0.1"), t(10)).is_err());
    }

    #[test]
    fn failures_slow_an_address_down_more_than_attempts() {
        let th = LoginThrottle::new(Limits {
            attempts_burst: 100,
            attempts_per_minute: 100,
            failures_burst: 2,
            failures_per_minute: 1,
        });
        th.failed(ip("10.0.0.1"), t(0));
        th.failed(ip("10.0.0.1"), t(0));
        assert_eq!(th.admit(ip("10.0.0.1"), t(0)), Err(60));
        assert_eq!(th.admit(ip("10.0.0.1"), t(60)), Ok(()));
    }

    #[test]
    fn an_ipv6_host_is_one_client_across_its_64() {
        let th = LoginThrottle::new(Limits {
            attempts_burst: 1,
            attempts_per_minute: 1,
            ..Limits::default()
        });
        assert!(th.admit(ip("2001:db8::1"), t(0)).is_ok());
        assert!(th.admit(ip("2001:db8::ffff:2"), t(0)).is_err());
        assert!(th.admit(ip("2001:db8:0:1::1"), t(0)).is_ok());
    }

    #[test]
    fn unknown_names_lock_on_the_third_failure_for_fifteen_minutes() {
        let th = LoginThrottle::new(Limits::default());
        assert!(!th.unknown_failed("Ghost", t(0)));
        assert!(!th.unknown_failed("ghost", t(1)));
        assert!(th.unknown_failed("ghost", t(2)));
        assert!(th.unknown_locked("GHOST", t(3)));
        assert!(!th.unknown_locked("ghost", t(2 + 15 * 60)));
    }

    #[test]
    fn a_flood_of_names_stays_bounded() {
        let th = LoginThrottle::new(Limits::default());
        for i in 0..(MAX_ENTRIES * 2) {
            th.unknown_failed(&format!("name-{i}"), t(i as i64));
        }
        assert!(th.len() <= MAX_ENTRIES + 1, "{}", th.len());
    }
}

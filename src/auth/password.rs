//! Password hashing with Argon2id (the crate's defaults: 19 MiB, 2 passes).
//!
//! Every hash runs on a small pool of dedicated threads (one per core, less one), fed
//! through a bounded queue. That bounds both the CPU a sign-in flood can take from everybody else
//! and the memory it can pin: each thread's allocator arena keeps at most one 19 MiB
//! Argon2 block, so the pool's footprint is `threads × 19 MiB` however many attempts
//! arrive at once. (Hashing on tokio's blocking pool, as before, let 500 parallel
//! attempts grow the server to 7.5 GB and keep it.) When the queue is full the caller
//! gets [`Busy`] at once and answers 503.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// The hashing pool is saturated; the attempt was not evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    queue: SyncSender<Job>,
}

/// Attempts that may wait for a hashing thread, per thread (32 × ~20 ms: a queued sign-in
/// waits under a second; beyond that it is turned away).
const QUEUE_PER_THREAD: usize = 32;

/// One hashing thread per core but one (at least one): during a flood of sign-ins a core
/// stays free for everybody else's pages.
fn pool_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(2, usize::from)
        .saturating_sub(1)
        .max(1)
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = pool_threads();
        let (queue, jobs) = sync_channel::<Job>(threads * QUEUE_PER_THREAD);
        let jobs: Arc<Mutex<Receiver<Job>>> = Arc::new(Mutex::new(jobs));
        for i in 0..threads {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while taking a job, not while hashing.
                        let job = match jobs.lock() {
                            Ok(rx) => rx.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("start a password hashing thread");
        }
        Pool { queue }
    })
}

/// Runs `f` on the hashing pool.
///
/// # Errors
/// [`Busy`] when the queue is full (nothing was run).
pub async fn on_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    match pool().queue.try_send(job) {
        Ok(()) => rx.await.map_err(|_| Busy),
        Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
    }
}

/// # Errors
/// The hasher failed (it does not for ordinary passwords).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    Ok(hash.to_string())
}

/// A stored value that no password matches: accounts that must not sign in with a
/// password at all (the 1C intake integration works with API tokens only).
pub const NO_PASSWORD: &str = "!";

pub fn verify(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Verifies against a throwaway hash, so an unknown login (or a locked one) costs as
/// much time as a wrong password and response times do not reveal which logins exist.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let h = DUMMY.get_or_init(|| hash("registrar-dummy-password").expect("hash a constant"));
    let _ = verify(password, h);
}

/// Verifies on the pool; `hash: None` runs the dummy verification and answers `false`.
///
/// # Errors
/// [`Busy`] when the pool's queue is full.
pub async fn verify_async(password: String, hash: Option<String>) -> Result<bool, Busy> {
    on_pool(move || match hash {
        Some(h) if h != NO_PASSWORD => verify(&password, &h),
        _ => {
            verify_dummy(&password);
            false
        }
    })
    .await
}

/// # Errors
/// The pool is saturated, or hashing failed.
pub async fn hash_async(password: String) -> anyhow::Result<String> {
    on_pool(move || hash(&password))
        .await
        .map_err(|Busy| anyhow::anyhow!("the password hashing pool is busy"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_password() {
        let h = hash("секрет-123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("секрет-123", &h));
        assert!(!verify("секрет-124", &h));
        assert!(!verify("секрет-123", "not a hash"));
        assert!(!verify("", NO_PASSWORD));
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once_instead_of_queueing_without_bound() {
        let threads = pool_threads();
        let capacity = threads * (QUEUE_PER_THREAD + 1);
        // Block every hashing thread and fill the queue, then one more is refused.
        let gate = Arc::new(std::sync::Barrier::new(threads + 1));
        let mut running = Vec::new();
        for _ in 0..threads {
            let g = gate.clone();
            running.push(tokio::spawn(on_pool(move || {
                g.wait();
            })));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut queued = Vec::new();
        for _ in threads..capacity {
            queued.push(tokio::spawn(on_pool(|| ())));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(on_pool(|| ()).await, Err(Busy));
        gate.wait();
        for r in running.into_iter().chain(queued) {
            assert_eq!(r.await.unwrap(), Ok(()));
        }
    }
}

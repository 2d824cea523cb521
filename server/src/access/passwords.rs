//! Password hashing with Argon2id (the `argon2` crate's defaults, OWASP's recommended
//! parameters). Hashing is deliberately slow, so it runs on the blocking pool.

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// At most one Argon2 computation per core at a time: each holds about 19 MiB, so a flood of
/// sign-ins waits its turn instead of taking the server's memory.
fn turns() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn limit() -> &'static Semaphore {
    static LIMIT: OnceLock<Semaphore> = OnceLock::new();
    LIMIT.get_or_init(|| Semaphore::new(turns()))
}

pub async fn hash(password: String) -> Result<String, argon2::password_hash::Error> {
    let _turn = limit().acquire().await.expect("the limit is never closed");
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .expect("password hashing does not panic")
}

/// Every password check was busy for longer than the caller would wait.
#[derive(Debug)]
pub struct Busy;

/// Checks `password` against `stored`, waiting at most `wait` for a turn. With no stored hash
/// (an unknown user) it checks against a throwaway hash, so that the answer takes as long
/// either way and timing does not reveal which usernames exist.
pub async fn verify(password: String, stored: Option<String>, wait: std::time::Duration) -> Result<bool, Busy> {
    let _turn =
        tokio::time::timeout(wait, limit().acquire()).await.map_err(|_| Busy)?.expect("the limit is never closed");
    let checked = tokio::task::spawn_blocking(move || {
        static DECOY: OnceLock<String> = OnceLock::new();
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| {
            DECOY
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut rand::rngs::OsRng);
                    Argon2::default()
                        .hash_password(b"decoy password never used", &salt)
                        .expect("hashing a fixed password succeeds")
                        .to_string()
                })
                .clone()
        });
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known
    })
    .await
    .expect("password verification does not panic");
    Ok(checked)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_hash_accepts_its_password_only() {
        let h = super::hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        let wait = std::time::Duration::from_secs(5);
        assert!(super::verify("correct horse battery".into(), Some(h.clone()), wait).await.unwrap());
        assert!(!super::verify("correct horse batterY".into(), Some(h), wait).await.unwrap());
        assert!(!super::verify("decoy password never used".into(), None, wait).await.unwrap());
    }

    #[tokio::test]
    async fn a_check_that_cannot_get_a_turn_in_time_is_busy() {
        // Every turn taken (waiting for any another test holds).
        let _taken = super::limit().acquire_many(super::turns() as u32).await.unwrap();
        let waited = super::verify("x".into(), None, std::time::Duration::from_millis(50)).await;
        assert!(waited.is_err(), "no turn within the wait");
    }
}

//! The connection-level limits of Aurora DSQL that the wire layer enforces: the new-connection rate
//! (a token bucket, 100 per second with bursts of 1,000 in dsql mode) and the maximum connection duration
//! (60 minutes). Their values come from the database's rule table (`compat::Rules`, so postgres mode has
//! neither) and time from the database's clock (`Config::clock`), so tests move a manual clock instead of
//! waiting an hour.
//!
//! ```text
//!   accept      ConnectionRateLimiter::try_admit: a token, or the refusal (FATAL 53400) sent after the
//!               startup message, like the 53300 of --max-connections
//!   each frame  ConnectionExpiry::next_frame: the frame, or FATAL 57P01 once the connection is too old; a
//!               timer set to the deadline closes an idle connection without waiting for its next message
//! ```

use std::pin::Pin;
use std::time::Duration;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};

use super::transport::{Disconnect, Transport};
use crate::compat::{ConnectionRate, Rules};

/// The new-connection rate limit of one server: a bucket of `burst` tokens, refilled continuously at
/// `per_second`; each admitted connection takes one.
pub(crate) struct ConnectionRateLimiter {
    rate: ConnectionRate,
    bucket: Mutex<Bucket>,
}

struct Bucket {
    tokens: f64,
    refilled_at: Option<DateTime<Utc>>,
}

impl ConnectionRateLimiter {
    /// A limiter whose bucket starts full.
    pub(crate) fn new(rate: ConnectionRate) -> ConnectionRateLimiter {
        ConnectionRateLimiter { rate, bucket: Mutex::new(Bucket { tokens: f64::from(rate.burst), refilled_at: None }) }
    }

    /// Takes a token for a connection arriving at `now`; false when the bucket is empty (the connection is
    /// refused and takes nothing).
    pub(crate) fn try_admit(&self, now: DateTime<Utc>) -> bool {
        let mut bucket = self.bucket.lock();
        if let Some(refilled_at) = bucket.refilled_at {
            // A clock that steps backwards refills nothing rather than draining the bucket.
            let elapsed = (now - refilled_at).to_std().unwrap_or_default().as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * f64::from(self.rate.per_second)).min(f64::from(self.rate.burst));
        }
        bucket.refilled_at = Some(now.max(bucket.refilled_at.unwrap_or(now)));
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The maximum duration of one connection: reads the next frame unless the connection has expired.
pub(crate) struct ConnectionExpiry {
    connected_at: DateTime<Utc>,
    /// Fires at the deadline as measured when it was last set; the clock then decides (an injected clock
    /// may disagree with the timer, in either direction).
    timer: Option<Pin<Box<Sleep>>>,
}

impl ConnectionExpiry {
    /// The expiry of a connection accepted at `connected_at`; no timer when `rules` set no maximum.
    pub(crate) fn new(rules: &Rules, connected_at: DateTime<Utc>, now: DateTime<Utc>) -> ConnectionExpiry {
        let timer =
            rules.max_connection_duration.map(|max| Box::pin(tokio::time::sleep(remaining(connected_at, max, now))));
        ConnectionExpiry { connected_at, timer }
    }

    /// The next frame from the client (`None` when it hung up), or the FATAL error that closes a connection
    /// older than the rules allow: checked when a frame arrives and when the deadline timer fires.
    pub(crate) async fn next_frame<T: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        transport: &mut Transport<T>,
        rules: &Rules,
        clock: impl Fn() -> DateTime<Utc>,
    ) -> Result<Option<BytesMut>, Disconnect> {
        let (Some(timer), Some(max)) = (self.timer.as_mut(), rules.max_connection_duration) else {
            return transport.read_frame().await;
        };
        loop {
            rules.check_connection_age(self.connected_at, clock()).map_err(Disconnect::Fatal)?;
            tokio::select! {
                // Reading is cancel-safe: bytes already read stay in the transport's buffer.
                frame = transport.read_frame() => {
                    let frame = frame?;
                    if frame.is_some() {
                        rules.check_connection_age(self.connected_at, clock()).map_err(Disconnect::Fatal)?;
                    }
                    return Ok(frame);
                }
                () = timer.as_mut() => {
                    let wait = remaining(self.connected_at, max, clock()).max(Duration::from_millis(1));
                    timer.as_mut().reset(Instant::now() + wait);
                }
            }
        }
    }
}

/// How long until a connection made at `connected_at` reaches `max`, by the clock reading `now`.
fn remaining(connected_at: DateTime<Utc>, max: Duration, now: DateTime<Utc>) -> Duration {
    let age = (now - connected_at).to_std().unwrap_or_default();
    max.saturating_sub(age)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::DSQL_CONNECTION_RATE;

    #[test]
    fn dsql_rate_allows_a_burst_of_1000_then_100_per_second() {
        let limiter = ConnectionRateLimiter::new(DSQL_CONNECTION_RATE);
        let start = Utc::now();
        let admitted = (0..1_500).filter(|_| limiter.try_admit(start)).count();
        assert_eq!(admitted, 1_000, "the burst");
        let later = start + chrono::Duration::milliseconds(100);
        let admitted = (0..50).filter(|_| limiter.try_admit(later)).count();
        assert_eq!(admitted, 10, "100 per second refill 10 in 100 ms");
        // After 20 quiet seconds the bucket is full again, not fuller.
        let much_later = later + chrono::Duration::seconds(20);
        let admitted = (0..1_500).filter(|_| limiter.try_admit(much_later)).count();
        assert_eq!(admitted, 1_000);
    }

    #[test]
    fn a_clock_stepping_back_refills_nothing() {
        let limiter = ConnectionRateLimiter::new(ConnectionRate { per_second: 1, burst: 1 });
        let start = Utc::now();
        assert!(limiter.try_admit(start));
        assert!(!limiter.try_admit(start - chrono::Duration::seconds(10)));
        assert!(!limiter.try_admit(start + chrono::Duration::milliseconds(500)));
        assert!(limiter.try_admit(start + chrono::Duration::seconds(1)));
    }
}

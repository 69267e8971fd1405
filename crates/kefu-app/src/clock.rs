//! Where the use cases read the time. Every use case asks [`App::now`](crate::App::now), never the
//! system clock itself, so that a test can set the clock to a chosen instant (a Friday evening
//! before a holiday, the first second of a rate-limit minute) and assert exact results.

use kefu_core::time::Millis;
use std::sync::Arc;

/// A source of the current time, in UTC milliseconds.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> Millis;
}

/// The operating system's clock: what `kefu serve` and the CLI use.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        crate::now_ms()
    }
}

/// A clock that stands still until it is set or advanced: for tests.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    /// A clock standing at `at` (UTC milliseconds).
    pub fn at(at: Millis) -> Arc<ManualClock> {
        Arc::new(ManualClock(at.into()))
    }
    pub fn set(&self, at: Millis) {
        self.0.store(at, std::sync::atomic::Ordering::SeqCst);
    }
    pub fn advance(&self, by_ms: i64) {
        self.0.fetch_add(by_ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> Millis {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

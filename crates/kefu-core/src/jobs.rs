//! Background job rules: retry backoff and when a job is given up (dead-lettered).

/// Delay before retry number `attempt` (1 = the first retry): exponential from `base` (10 s by
/// default), doubling, capped at one hour, with up to 20 % jitter supplied by the caller
/// (`jitter` in 0..=1) so that many failed jobs do not retry in lockstep.
pub fn retry_delay_ms(attempt: u32, base: i64, jitter: f64) -> i64 {
    let cap: i64 = 3_600_000;
    let exp = base.saturating_mul(1i64 << attempt.saturating_sub(1).min(20)).min(cap);
    let j = jitter.clamp(0.0, 1.0);
    exp + (exp as f64 * 0.2 * j) as i64
}

/// Whether a job that has now failed `attempts` times out of `max_attempts` goes to the dead letters.
pub fn is_dead(attempts: u32, max_attempts: u32) -> bool {
    attempts >= max_attempts.max(1)
}

/// The tick a periodic job belongs to: the start of the period containing `now_ms`.
/// Every node computes the same tick, so a unique key per tick enqueues each once.
pub fn period_tick(now_ms: i64, period_ms: i64) -> i64 {
    let p = period_ms.max(1);
    now_ms.div_euclid(p) * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay_ms(1, 10_000, 0.0), 10_000);
        assert_eq!(retry_delay_ms(2, 10_000, 0.0), 20_000);
        assert_eq!(retry_delay_ms(3, 10_000, 1.0), 48_000);
        assert_eq!(retry_delay_ms(30, 10_000, 0.0), 3_600_000);
        assert_eq!(retry_delay_ms(0, 10_000, 0.0), 10_000);
    }

    #[test]
    fn dead_after_max() {
        assert!(!is_dead(4, 5));
        assert!(is_dead(5, 5));
        assert!(is_dead(1, 0));
    }

    #[test]
    fn ticks_align() {
        assert_eq!(period_tick(125_000, 60_000), 120_000);
        assert_eq!(period_tick(120_000, 60_000), 120_000);
        assert_eq!(period_tick(-1, 60_000), -60_000);
    }
}

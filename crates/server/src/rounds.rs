//! A background task's rhythm: a round every so often until the service stops, a round that
//! overran delaying the next rather than bunching them. Retention, visits' jobs and webhook
//! deliveries each run their rounds on it and say themselves how a round went.

use std::future::Future;
use std::time::Duration;

/// Runs `round` every `every` (the first at once) until `stopped` resolves.
pub async fn every<R>(
    every: Duration,
    stopped: impl Future<Output = ()>,
    mut round: impl FnMut() -> R,
) where
    R: Future<Output = ()>,
{
    let rounds = async {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            round().await;
        }
    };
    tokio::select! {
        () = rounds => {}
        () = stopped => {}
    }
}

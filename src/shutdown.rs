//! Graceful shutdown: on SIGTERM the server stops accepting and finishes its requests, then the
//! background tasks are told to stop. Each finishes the message, delivery or run in hand, and stops
//! before taking the next (see `startup::Application::run_until_stopped`).

use tokio::sync::watch;

/// Tells the background tasks to stop.
pub struct StopSignal(watch::Sender<bool>);

/// What a background task watches: whether to stop before its next piece of work.
#[derive(Clone)]
pub struct Stopping(watch::Receiver<bool>);

impl StopSignal {
    pub fn new() -> (Self, Stopping) {
        let (tx, rx) = watch::channel(false);
        (Self(tx), Stopping(rx))
    }

    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Stopping {
    /// A signal that never comes (a worker driven by hand, as in tests).
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        // The receiver keeps the last value once the sender is gone.
        drop(tx);
        Self(rx)
    }

    /// Whether to stop now (callable from a blocking thread).
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits for the signal; never returns for `never()`.
    pub async fn wait(&mut self) {
        if self.0.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Sleeps for `d` unless told to stop first; whether the sleep ran out (false: stop now).
    pub async fn sleep(&mut self, d: std::time::Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(d) => !self.requested(),
            () = self.wait() => false,
        }
    }
}

//! [`handler_fn`]: a closure as a [`Handler`], for small handlers and tests.

use std::future::Future;
use std::sync::Arc;

use crate::task::{Handler, Outcome, Task};

/// A [`Handler`] made of a closure that takes the task (a clone) and returns a future of
/// the outcome.
///
/// ```
/// use procos_workers::client::handler_fn;
/// use procos_workers::{Outcome, TypedValue, Variables};
///
/// let double = handler_fn(|task| async move {
///     let n = task.i64("n").unwrap_or(0);
///     Outcome::complete(Variables::from([("doubled".to_owned(), TypedValue::long(n * 2))]))
/// });
/// # drop(double);
/// ```
pub fn handler_fn<F, Fut>(f: F) -> Arc<dyn Handler>
where
    F: Fn(Task) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    Arc::new(FnHandler(f))
}

struct FnHandler<F>(F);

#[async_trait::async_trait]
impl<F, Fut> Handler for FnHandler<F>
where
    F: Fn(Task) -> Fut + Send + Sync,
    Fut: Future<Output = Outcome> + Send,
{
    async fn handle(&self, task: &Task) -> Outcome {
        (self.0)(task.clone()).await
    }
}

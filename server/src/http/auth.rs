//! Who is asking: every request carries an [`Actor`] in its extensions.
//!
//! Handlers read it with `axum::Extension<Actor>`.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use wangge_engine::people::Actor;

/// Put the caller's actor into the request (open local mode: the local admin).
///
/// An actor already in the extensions (put there by an outer layer of the
/// server's own code, e.g. a test's `.layer(Extension(actor))`; clients
/// cannot set extensions) is kept.
pub(crate) async fn identify(mut req: Request, next: Next) -> Response {
    if req.extensions().get::<Actor>().is_none() {
        req.extensions_mut().insert(Actor::local());
    }
    next.run(req).await
}

//! The explorer page (`GET /explorer`), served from the HTTP read API's
//! listener: three static files built into quired, which read only the read
//! API and the Cosmos REST routes of the same origin and check every proof
//! in the browser (docs/explorer.md).
//!
//! | route | file |
//! |---|---|
//! | `GET /explorer` (and `/explorer/`) | `abci/explorer/index.html` |
//! | `GET /explorer/explorer.js` | the views |
//! | `GET /explorer/verify.js` | the proof checks (Merkle paths, header hash, Ed25519 commit signatures) |

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const INDEX_HTML: &str = include_str!("../../explorer/index.html");
const EXPLORER_JS: &str = include_str!("../../explorer/explorer.js");
const VERIFY_JS: &str = include_str!("../../explorer/verify.js");

/// Scripts and styles only from this origin (the page's inline style block
/// excepted), and requests only to it: the page cannot be made to load code
/// or leak what it reads elsewhere.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; \
                      connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
                      frame-ancestors 'none'";

fn file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, content_type),
            (CONTENT_SECURITY_POLICY, POLICY),
            // The files change with quired; a minute's caching is plenty.
            (CACHE_CONTROL, "public, max-age=60"),
        ],
        body,
    )
}

/// The explorer's routes (stateless; merged into the HTTP read API's router).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let index = || async { file("text/html; charset=utf-8", INDEX_HTML) };
    Router::new()
        .route("/explorer", get(index))
        .route("/explorer/", get(index))
        .route(
            "/explorer/explorer.js",
            get(|| async { file("text/javascript; charset=utf-8", EXPLORER_JS) }),
        )
        .route(
            "/explorer/verify.js",
            get(|| async { file("text/javascript; charset=utf-8", VERIFY_JS) }),
        )
}

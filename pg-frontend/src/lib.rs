//! The Postgres-wire frontend (`omnigraph-server`) will live here; it serves each
//! connection with an `omnigraph_sql::Session`. Not built yet: see docs/known-gaps.md.

//! Changing what `SessionContext` can only set when a state is built (the type planner,
//! where an analyzer rule goes), in place: the session's state is rebuilt from itself.
//! The builder re-registers every function under its name and aliases in hash order, so
//! a name one function took over from another's alias (our `to_char` over DataFusion's)
//! could go back to the other; the rebuilt state gets each name's function back.

use std::sync::Arc;

use datafusion::execution::registry::FunctionRegistry;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionContext;

/// Replaces `ctx`'s state by `change` applied to a builder made from it (keeping the
/// session id and which function each name calls).
pub fn rebuild(
    ctx: &SessionContext,
    change: impl FnOnce(SessionStateBuilder) -> SessionStateBuilder,
) {
    let shared = ctx.state_ref();
    let mut state = shared.write();
    let builder = SessionStateBuilder::new_from_existing(state.clone())
        .with_session_id(state.session_id().to_string());
    let mut rebuilt = change(builder).build();
    restore_functions(&state, &mut rebuilt);
    *state = rebuilt;
}

fn restore_functions(before: &SessionState, after: &mut SessionState) {
    // Re-registering a function also claims its aliases; a few rounds settle every name.
    for _ in 0..3 {
        let mut changed = false;
        for (name, udf) in before.scalar_functions() {
            if !after
                .scalar_functions()
                .get(name)
                .is_some_and(|f| Arc::ptr_eq(f, udf))
            {
                let _ = after.register_udf(Arc::clone(udf));
                changed = true;
            }
        }
        for (name, udaf) in before.aggregate_functions() {
            if !after
                .aggregate_functions()
                .get(name)
                .is_some_and(|f| Arc::ptr_eq(f, udaf))
            {
                let _ = after.register_udaf(Arc::clone(udaf));
                changed = true;
            }
        }
        for (name, udwf) in before.window_functions() {
            if !after
                .window_functions()
                .get(name)
                .is_some_and(|f| Arc::ptr_eq(f, udwf))
            {
                let _ = after.register_udwf(Arc::clone(udwf));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

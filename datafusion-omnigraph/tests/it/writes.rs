//! DML through a plain DataFusion session with the extension registered (embedding).

use crate::common::*;

#[tokio::test]
async fn dml_works_in_any_session_and_never_widens_a_where() {
    let f = fixture().await;
    let t = table(
        &f.ctx,
        "INSERT INTO person (name, age, city) VALUES ('dora', 7, 'rome')",
    )
    .await;
    assert!(t.contains("| 1     |"), "{t}");
    // A WHERE the optimizer proves false deletes nothing (its filter would vanish).
    let t = table(&f.ctx, "DELETE FROM person WHERE 1 = 0").await;
    assert!(t.contains("| 0     |"), "{t}");
    let e = error(
        &f.ctx,
        "DELETE FROM person WHERE id IN (SELECT src FROM knows)",
    )
    .await;
    assert!(e.contains("not supported"), "{e}");
    assert!(
        table(&f.ctx, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 4 |")
    );
    let t = table(&f.ctx, "DELETE FROM person WHERE name = 'dora'").await;
    assert!(t.contains("| 1     |"), "{t}");
    let t = table(&f.ctx, "UPDATE person SET age = 31 WHERE name = 'alice'").await;
    assert!(t.contains("| 1     |"), "{t}");
}

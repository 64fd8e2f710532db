//! The roles `pg_roles` lists.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion_pg_catalog::pg_catalog::context::{PgCatalogContextProvider, Role as PgRole};

/// The users `pg_roles` lists: the users file's, or the one trusted user.
#[derive(Debug, Clone)]
pub struct UserRoles(pub Arc<Vec<(String, crate::users::Role)>>);

#[async_trait]
impl PgCatalogContextProvider for UserRoles {
    async fn roles(&self) -> Vec<String> {
        self.0.iter().map(|(name, _)| name.clone()).collect()
    }

    async fn role(&self, name: &str) -> Option<PgRole> {
        let (name, role) = self.0.iter().find(|(n, _)| n == name)?;
        let admin = *role == crate::users::Role::Admin;
        Some(PgRole {
            name: name.clone(),
            is_superuser: admin,
            can_login: true,
            can_create_db: false,
            can_create_role: false,
            can_create_user: false,
            can_replication: false,
            grants: vec![],
            inherited_roles: vec![],
        })
    }
}

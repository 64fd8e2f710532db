//! PostgreSQL's fixed OIDs of the `pg_catalog` tables. datafusion-pg-catalog hands every
//! relation an OID from a counter; clients compare catalog rows' `classoid`, `tableoid`
//! and `'pg_proc'::regclass` with the constants `initdb` gives these tables, and the static
//! rows (`pg_init_privs`, `pg_description`, `pg_depend`, `pg_type.typrelid`) name them so.

/// The `pg_catalog` tables and their fixed OIDs. pg_dump looks each object up by
/// `(tableoid, oid)` with these constants (a namespace under 2615, a relation under 1259),
/// and psql's `\dd` compares them with `pg_description.classoid`.
pub const CATALOG_TABLE_OIDS: &[(&str, i32)] = &[
    ("pg_aggregate", 2600),
    ("pg_am", 2601),
    ("pg_attrdef", 2604),
    ("pg_cast", 2605),
    ("pg_constraint", 2606),
    ("pg_conversion", 2607),
    ("pg_depend", 2608),
    ("pg_description", 2609),
    ("pg_index", 2610),
    ("pg_inherits", 2611),
    ("pg_language", 2612),
    ("pg_namespace", 2615),
    ("pg_opclass", 2616),
    ("pg_operator", 2617),
    ("pg_rewrite", 2618),
    ("pg_trigger", 2620),
    ("pg_opfamily", 2753),
    ("pg_class", 1259),
    ("pg_attribute", 1249),
    ("pg_proc", 1255),
    ("pg_type", 1247),
    ("pg_database", 1262),
    ("pg_collation", 3456),
    ("pg_extension", 3079),
    ("pg_policy", 3256),
    ("pg_event_trigger", 3466),
    ("pg_ts_config", 3602),
    ("pg_ts_dict", 3600),
    ("pg_ts_parser", 3601),
    ("pg_ts_template", 3764),
    ("pg_amop", 2602),
    ("pg_amproc", 2603),
    ("pg_statistic", 2619),
    ("pg_authid", 1260),
    ("pg_auth_members", 1261),
    ("pg_tablespace", 1213),
    ("pg_shdepend", 1214),
    ("pg_shdescription", 2396),
    ("pg_init_privs", 3394),
    ("pg_default_acl", 826),
    ("pg_seclabel", 3596),
    ("pg_shseclabel", 3592),
    ("pg_sequence", 2224),
    ("pg_enum", 3501),
    ("pg_range", 3541),
    ("pg_transform", 3576),
    ("pg_foreign_data_wrapper", 2328),
    ("pg_foreign_server", 1417),
    ("pg_foreign_table", 3118),
    ("pg_user_mapping", 1418),
    ("pg_statistic_ext", 3381),
    ("pg_partitioned_table", 3350),
    ("pg_db_role_setting", 2964),
    ("pg_largeobject_metadata", 2995),
    ("pg_publication", 6104),
    ("pg_subscription", 6100),
];

/// The fixed OID of `pg_catalog.<table>`, if it has one.
pub fn fixed_table_oid(table: &str) -> Option<i32> {
    CATALOG_TABLE_OIDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(table))
        .map(|(_, oid)| *oid)
}

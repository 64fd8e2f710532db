// pgjdbc client suite for omnigraph-server.
//
// Usage: java -cp <classes>:/usr/share/java/postgresql.jar ClientTest <host> <port> [check-name-substring]
//
// Prints one line per check, "ok <name>" or "FAIL <name>: <detail>", then a summary, and
// exits 1 when any check failed. Every check opens its own connection(s) so that one
// failure (for example a failed transaction) cannot leak into the next check. Rows written
// by the suite use names starting with "jdbc." so they never collide with the demo data or
// with other suites sharing the server.

import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

public class ClientTest {
    interface Check {
        void run() throws Exception;
    }

    static String host;
    static int port;
    static String filter;
    static final String RUN = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    static int passed = 0;
    static final List<String> failures = new ArrayList<>();

    // ---------------------------------------------------------------- helpers

    static String url(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    static Connection connect() throws SQLException {
        return connect("demo", new Properties());
    }

    static Connection connect(String database, Properties extra) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "tester");
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "60");
        String trace = System.getenv("JDBC_TRACE_FILE");
        if (trace != null && !trace.isEmpty()) {
            // pgjdbc logs every message it sends and receives.
            props.setProperty("loggerLevel", "TRACE");
            props.setProperty("loggerFile", trace);
        }
        props.putAll(extra);
        return DriverManager.getConnection(url(database), props);
    }

    static void check(String name, Check body) {
        if (filter != null && !name.contains(filter)) {
            return;
        }
        try {
            body.run();
            passed++;
            System.out.println("ok " + name);
        } catch (Throwable t) {
            String detail = describe(t);
            failures.add(name);
            System.out.println("FAIL " + name + ": " + detail.replace("\n", "\n    "));
        }
        System.out.flush();
    }

    static String describe(Throwable t) {
        StringBuilder out = new StringBuilder();
        Throwable cur = t;
        int depth = 0;
        while (cur != null && depth < 4) {
            if (depth > 0) {
                out.append("\ncaused by: ");
            }
            out.append(cur.getClass().getSimpleName());
            if (cur instanceof SQLException) {
                out.append(" [SQLSTATE ").append(((SQLException) cur).getSQLState()).append("]");
            }
            out.append(" ").append(cur.getMessage());
            if (!(cur instanceof AssertionError) && !(cur instanceof SQLException)) {
                StackTraceElement[] st = cur.getStackTrace();
                if (st.length > 0) {
                    out.append(" at ").append(st[0]);
                }
            }
            cur = cur.getCause();
            depth++;
        }
        return out.toString();
    }

    static void fail(String message) {
        throw new AssertionError(message);
    }

    static void assertTrue(boolean cond, String message) {
        if (!cond) {
            fail(message);
        }
    }

    static void assertEq(Object expected, Object actual, String what) {
        if (expected == null ? actual != null : !expected.equals(actual)) {
            fail(what + ": expected <" + expected + "> but got <" + actual + ">");
        }
    }

    static void expectSqlState(String expected, Check body) throws Exception {
        try {
            body.run();
        } catch (SQLException e) {
            if (!expected.equals(e.getSQLState())) {
                fail("expected SQLSTATE " + expected + " but got " + e.getSQLState() + ": " + e.getMessage());
            }
            return;
        }
        fail("expected SQLSTATE " + expected + " but the statement succeeded");
    }

    static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), "no row from " + sql);
            return rs.getLong(1);
        }
    }

    static String name(String tag, int i) {
        return "jdbc." + RUN + "." + tag + "." + i;
    }

    // ---------------------------------------------------------------- checks

    static void checkConnect() throws Exception {
        try (Connection c = connect()) {
            assertTrue(c.isValid(5), "isValid(5) returned false");
            assertTrue(c.getAutoCommit(), "autocommit should default to true");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                assertTrue(rs.next(), "SELECT 1 returned no row");
                assertEq(1, rs.getInt(1), "SELECT 1");
            }
            assertEq("demo", c.getCatalog(), "getCatalog()");
        }
    }

    static void checkStatementTypedGetters() throws Exception {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery(
                    "SELECT name, age, city FROM person WHERE name = 'alice.smith'")) {
                assertTrue(rs.next(), "alice.smith not found");
                assertEq("alice.smith", rs.getString("name"), "getString(name)");
                int age = rs.getInt("age");
                assertTrue(!rs.wasNull() && age > 0, "age should be a positive non-null int, got " + age);
                assertEq(Integer.valueOf(age), rs.getObject("age"), "getObject(age) is an Integer");
                assertTrue(rs.getString("city") != null, "city is null");
                assertTrue(!rs.next(), "more than one alice.smith");
            }
            // A date, and a NULL date (wasNull), from knows.since.
            try (ResultSet rs = st.executeQuery(
                    "SELECT since FROM knows WHERE since IS NOT NULL ORDER BY since LIMIT 1")) {
                assertTrue(rs.next(), "no knows row with a since date");
                Date d = rs.getDate(1);
                assertTrue(d != null && !rs.wasNull(), "getDate returned null");
                assertTrue(d.toLocalDate().getYear() > 1900, "odd date " + d);
                assertEq(d.toString(), rs.getString(1), "getString of a date is ISO yyyy-mm-dd");
            }
            try (ResultSet rs = st.executeQuery(
                    "SELECT since, src FROM knows WHERE since IS NULL LIMIT 1")) {
                assertTrue(rs.next(), "no knows row with a NULL since");
                assertTrue(rs.getDate(1) == null, "getDate of NULL should be null");
                assertTrue(rs.wasNull(), "wasNull after NULL date");
                assertTrue(rs.getString(2) != null && !rs.wasNull(), "src should not be null");
            }
            // getInt of a NULL int is 0 with wasNull.
            try (ResultSet rs = st.executeQuery("SELECT CAST(NULL AS INT) AS n, 42 AS m, 'x' AS s, true AS b, 2.5 AS f")) {
                assertTrue(rs.next(), "no row");
                assertEq(0, rs.getInt("n"), "getInt(NULL)");
                assertTrue(rs.wasNull(), "wasNull after NULL int");
                assertEq(42, rs.getInt("m"), "getInt(42)");
                assertEq(42L, rs.getLong("m"), "getLong(42)");
                assertEq("x", rs.getString("s"), "getString('x')");
                assertEq(true, rs.getBoolean("b"), "getBoolean(true)");
                assertEq(2.5, rs.getDouble("f"), "getDouble(2.5)");
            }
        }
    }

    static void checkPreparedSelectRepeated() throws Exception {
        try (Connection c = connect()) {
            // Known names to look up.
            List<String> names = new ArrayList<>();
            Map<String, Integer> ages = new HashMap<>();
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT name, age FROM person WHERE age IS NOT NULL ORDER BY name LIMIT 10")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                    ages.put(rs.getString(1), rs.getInt(2));
                }
            }
            assertEq(10, names.size(), "people with an age");
            try (PreparedStatement ps = c.prepareStatement("SELECT name, age, city FROM person WHERE name = ?")) {
                for (int i = 0; i < names.size(); i++) {
                    ps.setString(1, names.get(i));
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next(), "execution " + (i + 1) + ": no row for " + names.get(i));
                        assertEq(names.get(i), rs.getString(1), "execution " + (i + 1) + " name");
                        assertEq(ages.get(names.get(i)), rs.getInt(2), "execution " + (i + 1) + " age");
                        assertTrue(!rs.next(), "execution " + (i + 1) + ": more than one row");
                    }
                }
                boolean serverPrepared = ps.unwrap(org.postgresql.PGStatement.class).isUseServerPrepare();
                assertTrue(serverPrepared, "after 10 executions pgjdbc should be using a server-side prepared statement");
            }
            // int parameter, compared with a plain statement's answer, 8 times.
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM person WHERE age > ?")) {
                for (int i = 0; i < 8; i++) {
                    int bound = 20 + 5 * i;
                    ps.setInt(1, bound);
                    long expected = count(c, "SELECT count(*) FROM person WHERE age > " + bound);
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next(), "execution " + (i + 1) + ": no row");
                        assertEq(expected, rs.getLong(1), "execution " + (i + 1) + " count(age > " + bound + ")");
                    }
                }
            }
            // date parameter (setDate), 7 times.
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM knows WHERE since >= ?")) {
                for (int i = 0; i < 7; i++) {
                    String day = (2000 + 3 * i) + "-01-01";
                    ps.setDate(1, Date.valueOf(day));
                    long expected = count(c, "SELECT count(*) FROM knows WHERE since >= DATE '" + day + "'");
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next(), "execution " + (i + 1) + ": no row");
                        assertEq(expected, rs.getLong(1), "execution " + (i + 1) + " count(since >= " + day + ")");
                    }
                }
            }
        }
    }

    static void checkPreparedThresholdOne() throws Exception {
        // prepareThreshold=1: named server statement (and binary results) from the first execution.
        Properties p = new Properties();
        p.setProperty("prepareThreshold", "1");
        try (Connection c = connect("demo", p);
             PreparedStatement ps = c.prepareStatement(
                     "SELECT name, age, since FROM person p JOIN knows k ON k.src = p.id WHERE p.name = ? AND k.since IS NOT NULL LIMIT 1")) {
            String who;
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT src FROM knows WHERE since IS NOT NULL ORDER BY src LIMIT 1")) {
                assertTrue(rs.next(), "no knows row with since");
                who = rs.getString(1);
            }
            for (int i = 0; i < 3; i++) {
                ps.setString(1, who);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next(), "execution " + (i + 1) + ": no row");
                    assertEq(who, rs.getString(1), "name");
                    rs.getInt(2);
                    assertTrue(rs.getDate(3) != null, "since should be a date");
                }
            }
        }
    }

    static void checkPreparedInsertRepeated() throws Exception {
        try (Connection c = connect()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO person (name, age, city) VALUES (?, ?, ?)")) {
                for (int i = 0; i < 8; i++) {
                    ps.setString(1, name("ins", i));
                    if (i % 2 == 0) {
                        ps.setInt(2, 20 + i);
                        ps.setString(3, "City" + i);
                    } else {
                        ps.setNull(2, Types.INTEGER);
                        ps.setNull(3, Types.VARCHAR);
                    }
                    assertEq(1, ps.executeUpdate(), "execution " + (i + 1) + " update count");
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT age, city FROM person WHERE name = ?")) {
                for (int i = 0; i < 8; i++) {
                    ps.setString(1, name("ins", i));
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next(), name("ins", i) + " not found after insert");
                        int age = rs.getInt(1);
                        boolean ageNull = rs.wasNull();
                        String city = rs.getString(2);
                        if (i % 2 == 0) {
                            assertEq(20 + i, age, "age of " + name("ins", i));
                            assertEq("City" + i, city, "city of " + name("ins", i));
                        } else {
                            assertTrue(ageNull, "age of " + name("ins", i) + " should be NULL");
                            assertTrue(city == null, "city of " + name("ins", i) + " should be NULL");
                        }
                    }
                }
            }
            // Edges with setDate / setNull(DATE), 7 times.
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO knows (src, dst, since) VALUES (?, ?, ?)")) {
                for (int i = 0; i < 7; i++) {
                    ps.setString(1, name("ins", i));
                    ps.setString(2, name("ins", i + 1));
                    if (i % 2 == 0) {
                        ps.setDate(3, Date.valueOf("2021-03-" + (10 + i)));
                    } else {
                        ps.setNull(3, Types.DATE);
                    }
                    int n;
                    try {
                        n = ps.executeUpdate();
                    } catch (SQLException e) {
                        // pgjdbc describes the statement (Describe S) once it is server-prepared with an
                        // unspecified parameter type (setDate): a RowDescription instead of NoData breaks it.
                        throw new SQLException("edge execution " + (i + 1) + ": " + e.getMessage(), e.getSQLState(), e);
                    }
                    assertEq(1, n, "edge execution " + (i + 1) + " update count");
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT since FROM knows WHERE src = ? AND dst = ?")) {
                for (int i = 0; i < 7; i++) {
                    ps.setString(1, name("ins", i));
                    ps.setString(2, name("ins", i + 1));
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next(), "edge " + i + " not found");
                        Date d = rs.getDate(1);
                        if (i % 2 == 0) {
                            assertEq(Date.valueOf("2021-03-" + (10 + i)), d, "since of edge " + i);
                        } else {
                            assertTrue(d == null && rs.wasNull(), "since of edge " + i + " should be NULL, got " + d);
                        }
                    }
                }
            }
        }
    }

    static void checkExecuteUpdateCounts() throws Exception {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            String a = name("upd", 1), b = name("upd", 2), d = name("upd", 3);
            int n = st.executeUpdate("INSERT INTO person (name, age) VALUES ('" + a + "', 1), ('" + b + "', 2), ('" + d + "', 3)");
            assertEq(3, n, "INSERT of 3 rows");
            n = st.executeUpdate("UPDATE person SET city = 'Updated' WHERE name IN ('" + a + "', '" + b + "')");
            assertEq(2, n, "UPDATE of 2 rows");
            n = st.executeUpdate("UPDATE person SET city = 'Nowhere' WHERE name = 'jdbc.no.such.person'");
            assertEq(0, n, "UPDATE of 0 rows");
            n = st.executeUpdate("DELETE FROM person WHERE name IN ('" + a + "', '" + b + "', '" + d + "')");
            assertEq(3, n, "DELETE of 3 rows");
            assertEq(0L, count(c, "SELECT count(*) FROM person WHERE name LIKE 'jdbc." + RUN + ".upd.%'"), "rows left");
            // Through a PreparedStatement too.
            try (PreparedStatement ps = c.prepareStatement("UPDATE person SET age = ? WHERE name = ?")) {
                ps.setInt(1, 99);
                ps.setString(2, "jdbc.no.such.person");
                assertEq(0, ps.executeUpdate(), "prepared UPDATE of 0 rows");
            }
            // execute() returning false and getUpdateCount
            boolean isResult = st.execute("INSERT INTO person (name) VALUES ('" + name("upd", 4) + "')");
            assertTrue(!isResult, "execute(INSERT) should return false");
            assertEq(1, st.getUpdateCount(), "getUpdateCount after INSERT");
        }
    }

    static void checkTransactions() throws Exception {
        String rolled = name("tx", 1), committed = name("tx", 2);
        try (Connection c = connect(); Connection other = connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                assertEq(1, st.executeUpdate("INSERT INTO person (name, age) VALUES ('" + rolled + "', 5)"), "insert in txn");
                assertEq(1L, count(c, "SELECT count(*) FROM person WHERE name = '" + rolled + "'"), "read-your-writes");
                assertEq(0L, count(other, "SELECT count(*) FROM person WHERE name = '" + rolled + "'"), "other connection sees uncommitted row");
            }
            c.rollback();
            assertEq(0L, count(c, "SELECT count(*) FROM person WHERE name = '" + rolled + "'"), "row after rollback");

            try (PreparedStatement ps = c.prepareStatement("INSERT INTO person (name, age) VALUES (?, ?)")) {
                ps.setString(1, committed);
                ps.setInt(2, 6);
                assertEq(1, ps.executeUpdate(), "insert in second txn");
            }
            c.commit();
            assertEq(1L, count(other, "SELECT count(*) FROM person WHERE name = '" + committed + "'"), "other connection after commit");
            c.setAutoCommit(true);
            assertEq(1L, count(c, "SELECT count(*) FROM person WHERE name = '" + committed + "'"), "after setAutoCommit(true)");
        }
    }

    /** pgjdbc's CopyManager: rows in, a bad row failing the whole COPY with nothing written. */
    static void checkCopyManager() throws Exception {
        String a = name("copy", 1), b = name("copy", 2), bad = name("copy", 3);
        try (Connection c = connect()) {
            org.postgresql.copy.CopyManager copy =
                c.unwrap(org.postgresql.PGConnection.class).getCopyAPI();
            String rows = a + ",7\n" + b + ",\n";
            long copied = copy.copyIn("COPY person (name, age) FROM STDIN (FORMAT csv)",
                new java.io.StringReader(rows));
            assertEq(2L, copied, "rows copied");
            assertEq(7L, count(c, "SELECT sum(age) FROM person WHERE name IN ('" + a + "', '" + b + "')"), "copied ages");
            expectSqlState("22P02", () -> copy.copyIn("COPY person (name, age) FROM STDIN (FORMAT csv)",
                new java.io.StringReader(bad + ",8\n" + bad + "x,eight\n")));
            assertEq(0L, count(c, "SELECT count(*) FROM person WHERE name LIKE '" + bad + "%'"), "nothing of a failed COPY");
        }
    }

    static void checkTransactionErrorRecovery() throws Exception {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.executeQuery("SELECT 1").close();
                expectSqlState("42P01", () -> st.executeQuery("SELECT * FROM jdbc_no_such_table").close());
                expectSqlState("25P02", () -> st.executeQuery("SELECT 1").close());
            }
            c.rollback();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 2")) {
                assertTrue(rs.next(), "no row after rollback");
                assertEq(2, rs.getInt(1), "SELECT 2 after rollback");
            }
            c.commit();
        }
    }

    static void checkSqlStates() throws Exception {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            expectSqlState("42P01", () -> st.executeQuery("SELECT * FROM jdbc_no_such_table").close());
            expectSqlState("42703", () -> st.executeQuery("SELECT no_such_column FROM person").close());
            expectSqlState("23505", () -> st.executeUpdate("INSERT INTO person (name) VALUES ('alice.smith')"));
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO person (name, age) VALUES (?, ?)")) {
                ps.setString(1, "alice.smith");
                ps.setInt(2, 1);
                expectSqlState("23505", ps::executeUpdate);
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM jdbc_no_such_table WHERE x = ?")) {
                ps.setInt(1, 1);
                expectSqlState("42P01", () -> ps.executeQuery().close());
            }
            // the connection is still usable
            assertEq(200L <= count(c, "SELECT count(*) FROM person") ? 1 : 0, 1, "person count after errors");
        }
    }

    static void checkFetchSize() throws Exception {
        try (Connection c = connect()) {
            long people = count(c, "SELECT count(*) FROM person");
            long pairs = Math.min(people * people, 20000);
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.setFetchSize(7);
                int rows = 0;
                Set<String> seen = new HashSet<>();
                try (ResultSet rs = st.executeQuery("SELECT name, age FROM person ORDER BY name")) {
                    assertEq(7, rs.getFetchSize(), "ResultSet fetch size");
                    while (rs.next()) {
                        rows++;
                        seen.add(rs.getString(1));
                    }
                }
                assertEq(people, (long) rows, "rows fetched 7 at a time");
                assertEq(people, (long) seen.size(), "distinct names fetched 7 at a time");
                st.setFetchSize(1000);
                long n = 0;
                try (ResultSet rs = st.executeQuery("SELECT a.name, b.name FROM person a CROSS JOIN person b LIMIT " + pairs)) {
                    while (rs.next()) {
                        n++;
                    }
                }
                assertEq(pairs, n, "cross join rows fetched 1000 at a time");
            }
            // prepared + fetch size (named portal on a server-prepared statement)
            try (PreparedStatement ps = c.prepareStatement("SELECT name FROM person WHERE age >= ? ORDER BY name")) {
                ps.setFetchSize(3);
                for (int i = 0; i < 6; i++) {
                    ps.setInt(1, 0);
                    int rows = 0;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            rows++;
                        }
                    }
                    long expected = count(c, "SELECT count(*) FROM person WHERE age >= 0");
                    assertEq(expected, (long) rows, "execution " + (i + 1) + " rows fetched 3 at a time");
                }
            }
            // Two portals open at once on one connection.
            try (Statement s1 = c.createStatement(); Statement s2 = c.createStatement()) {
                s1.setFetchSize(5);
                s2.setFetchSize(5);
                try (ResultSet r1 = s1.executeQuery("SELECT name FROM person ORDER BY name");
                     ResultSet r2 = s2.executeQuery("SELECT name FROM person ORDER BY name")) {
                    int n = 0;
                    while (r1.next()) {
                        assertTrue(r2.next(), "second portal ended early at row " + n);
                        assertEq(r1.getString(1), r2.getString(1), "interleaved portals row " + n);
                        n++;
                    }
                    assertEq(people, (long) n, "interleaved rows");
                }
            }
            c.commit();
        }
    }

    static void checkMetaDataProduct() throws Exception {
        try (Connection c = connect()) {
            DatabaseMetaData md = c.getMetaData();
            assertEq("PostgreSQL", md.getDatabaseProductName(), "getDatabaseProductName");
            String v = md.getDatabaseProductVersion();
            assertTrue(v != null && !v.isEmpty(), "empty product version");
            assertTrue(md.getDatabaseMajorVersion() >= 9, "major version " + md.getDatabaseMajorVersion());
            assertEq("tester", md.getUserName(), "getUserName");
            assertTrue(md.getURL().contains("/demo"), "getURL " + md.getURL());
        }
    }

    static void checkMetaDataTables() throws Exception {
        try (Connection c = connect()) {
            DatabaseMetaData md = c.getMetaData();
            Set<String> tables = new HashSet<>();
            Set<String> publicTables = new HashSet<>();
            try (ResultSet rs = md.getTables(null, null, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    String t = rs.getString("TABLE_NAME");
                    tables.add(t);
                    if ("public".equals(rs.getString("TABLE_SCHEM"))) {
                        publicTables.add(t);
                    }
                    assertEq("TABLE", rs.getString("TABLE_TYPE"), "TABLE_TYPE of " + t);
                }
            }
            for (String t : new String[] {"person", "company", "knows", "works_at"}) {
                assertTrue(publicTables.contains(t), "getTables(TABLE) lacks public." + t + "; got " + tables);
            }
            // getTables with a null type list and a pattern: relations of every kind, so in
            // PostgreSQL the table and its indexes (person_pkey).
            Set<String> matched = new HashSet<>();
            try (ResultSet rs = md.getTables(null, "public", "pers%", null)) {
                while (rs.next()) {
                    String t = rs.getString("TABLE_NAME");
                    String type = rs.getString("TABLE_TYPE");
                    if ("TABLE".equals(type)) {
                        matched.add(t);
                    } else {
                        assertEq("INDEX", type, "TABLE_TYPE of " + t + " from getTables(null, public, pers%, null)");
                    }
                }
            }
            assertEq(Set.of("person"), matched, "tables from getTables(null, public, pers%, null)");
        }
    }

    static void checkMetaDataTableTypes() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getTableTypes()) {
            Set<String> types = new HashSet<>();
            while (rs.next()) {
                types.add(rs.getString(1));
            }
            assertTrue(types.contains("TABLE"), "getTableTypes lacks TABLE: " + types);
        }
    }

    static void checkMetaDataColumns() throws Exception {
        try (Connection c = connect()) {
            DatabaseMetaData md = c.getMetaData();
            Map<String, String> typeNames = new HashMap<>();
            Map<String, Integer> dataTypes = new HashMap<>();
            Map<String, Integer> nullable = new HashMap<>();
            List<String> order = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, "public", "person", null)) {
                while (rs.next()) {
                    String col = rs.getString("COLUMN_NAME");
                    order.add(col + "@" + rs.getInt("ORDINAL_POSITION"));
                    typeNames.put(col, rs.getString("TYPE_NAME"));
                    dataTypes.put(col, rs.getInt("DATA_TYPE"));
                    nullable.put(col, rs.getInt("NULLABLE"));
                    assertEq("person", rs.getString("TABLE_NAME"), "TABLE_NAME");
                }
            }
            for (String col : new String[] {"name", "age", "city"}) {
                assertTrue(typeNames.containsKey(col), "getColumns(person) lacks " + col + "; got " + order);
            }
            assertEq("text", typeNames.get("name"), "TYPE_NAME of name");
            assertEq(Types.VARCHAR, dataTypes.get("name"), "DATA_TYPE of name (Types.VARCHAR=12)");
            assertEq("int4", typeNames.get("age"), "TYPE_NAME of age");
            assertEq(Types.INTEGER, dataTypes.get("age"), "DATA_TYPE of age (Types.INTEGER=4)");
            assertEq(DatabaseMetaData.columnNoNulls, nullable.get("name"), "NULLABLE of name");
            assertEq(DatabaseMetaData.columnNullable, nullable.get("age"), "NULLABLE of age");
        }
        // a date column, unqualified (schema pattern null as in the brief)
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getColumns(null, null, "knows", "since")) {
            boolean found = false;
            while (rs.next()) {
                found = true;
                assertEq("date", rs.getString("TYPE_NAME"), "TYPE_NAME of knows.since");
                assertEq(Types.DATE, rs.getInt("DATA_TYPE"), "DATA_TYPE of knows.since (Types.DATE=91)");
            }
            assertTrue(found, "getColumns(null, null, knows, since) returned nothing");
        }
    }

    static void checkMetaDataPrimaryKeys() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getPrimaryKeys(null, "public", "person")) {
            List<String> cols = new ArrayList<>();
            while (rs.next()) {
                cols.add(rs.getString("COLUMN_NAME") + "#" + rs.getInt("KEY_SEQ") + "(" + rs.getString("PK_NAME") + ")");
            }
            // Every graph table's primary key is its reserved `id` column (derived from the
            // @key for nodes), as docs/sql-reference.md says.
            assertTrue(cols.size() == 1 && cols.get(0).equals("id#1(person_pkey)"),
                    "getPrimaryKeys(null, public, person) should be exactly [id#1(person_pkey)], got " + cols);
        }
    }

    static void checkMetaDataImportedKeys() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getImportedKeys(null, "public", "knows")) {
            // The result shape is what BI tools need; an empty list is acceptable.
            rs.getMetaData().getColumnCount();
            while (rs.next()) {
                rs.getString("PKTABLE_NAME");
            }
        }
    }

    static void checkMetaDataIndexInfo() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getIndexInfo(null, "public", "person", false, true)) {
            rs.getMetaData().getColumnCount();
            while (rs.next()) {
                rs.getString("INDEX_NAME");
            }
        }
    }

    static void checkMetaDataSchemas() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getSchemas()) {
            Set<String> schemas = new HashSet<>();
            while (rs.next()) {
                schemas.add(rs.getString("TABLE_SCHEM"));
            }
            assertTrue(schemas.contains("public"), "getSchemas lacks public: " + schemas);
            assertTrue(schemas.contains("omnigraph"), "getSchemas lacks omnigraph: " + schemas);
        }
    }

    static void checkMetaDataCatalogs() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getCatalogs()) {
            Set<String> catalogs = new HashSet<>();
            while (rs.next()) {
                catalogs.add(rs.getString("TABLE_CAT"));
            }
            assertTrue(catalogs.contains("demo"), "getCatalogs lacks demo: " + catalogs);
        }
    }

    static void checkMetaDataTypeInfo() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getTypeInfo()) {
            Map<String, Integer> types = new HashMap<>();
            while (rs.next()) {
                types.put(rs.getString("TYPE_NAME"), rs.getInt("DATA_TYPE"));
            }
            assertEq(Types.INTEGER, types.get("int4"), "getTypeInfo int4");
            assertEq(Types.VARCHAR, types.get("text"), "getTypeInfo text");
            assertEq(Types.DATE, types.get("date"), "getTypeInfo date");
        }
    }

    static void checkMetaDataProcedures() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getProcedures(null, null, "%")) {
            while (rs.next()) {
                rs.getString("PROCEDURE_NAME");
            }
        }
    }

    static void checkResultSetMetaData() throws Exception {
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(
                     "SELECT p.name, p.age, k.since, count(*) OVER () AS total FROM person p JOIN knows k ON k.src = p.id LIMIT 1")) {
            ResultSetMetaData m = rs.getMetaData();
            assertEq(4, m.getColumnCount(), "column count");
            assertEq("name", m.getColumnName(1), "column 1 name");
            assertEq("since", m.getColumnLabel(3), "column 3 label");
            assertEq(Types.VARCHAR, m.getColumnType(1), "getColumnType(name)");
            assertEq("text", m.getColumnTypeName(1), "getColumnTypeName(name)");
            assertEq(Types.INTEGER, m.getColumnType(2), "getColumnType(age)");
            assertEq("int4", m.getColumnTypeName(2), "getColumnTypeName(age)");
            assertEq(Types.DATE, m.getColumnType(3), "getColumnType(since)");
            assertEq("date", m.getColumnTypeName(3), "getColumnTypeName(since)");
            assertEq(Types.BIGINT, m.getColumnType(4), "getColumnType(count)");
            assertEq("java.lang.Integer", m.getColumnClassName(2), "getColumnClassName(age)");
        }
    }

    static void checkResultSetMetaDataTableInfo() throws Exception {
        // getTableName / isNullable / isAutoIncrement make pgjdbc look the result's columns up in
        // pg_catalog by the table OID and attribute number carried in RowDescription.
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT name, age FROM person LIMIT 1")) {
            ResultSetMetaData m = rs.getMetaData();
            org.postgresql.PGResultSetMetaData pm = m.unwrap(org.postgresql.PGResultSetMetaData.class);
            assertEq("person", pm.getBaseTableName(1), "getBaseTableName(1)");
            assertEq("name", pm.getBaseColumnName(1), "getBaseColumnName(1)");
            assertEq(ResultSetMetaData.columnNoNulls, m.isNullable(1), "isNullable(name)");
            assertEq(ResultSetMetaData.columnNullable, m.isNullable(2), "isNullable(age)");
            assertTrue(!m.isAutoIncrement(1), "name is not auto-increment");
        }
    }

    static void checkCallCreateBranch() throws Exception {
        String branch = "jdbc_" + RUN + "_call";
        try (Connection c = connect()) {
            try (PreparedStatement ps = c.prepareStatement("CALL create_branch(?)")) {
                ps.setString(1, branch);
                ps.execute();
            }
            assertEq(1L, count(c, "SELECT count(*) FROM omnigraph.branches WHERE name = '" + branch + "'"), "branch after CALL create_branch(?)");
            // the branch is usable as a schema
            long main = count(c, "SELECT count(*) FROM person");
            assertEq(main, count(c, "SELECT count(*) FROM \"" + branch + "\".person"), "person rows on the new branch");
        }
        // and as a database name graph@branch
        try (Connection c = connect("demo@" + branch, new Properties())) {
            assertTrue(count(c, "SELECT count(*) FROM person") > 0, "person on demo@" + branch);
        }
    }

    static void checkCallableStatement() throws Exception {
        String branch = "jdbc_" + RUN + "_callable";
        try (Connection c = connect()) {
            try (CallableStatement cs = c.prepareCall("{call create_branch(?)}")) {
                cs.setString(1, branch);
                cs.execute();
            }
            assertEq(1L, count(c, "SELECT count(*) FROM omnigraph.branches WHERE name = '" + branch + "'"), "branch after {call create_branch(?)}");
            try (CallableStatement cs = c.prepareCall("{call delete_branch(?)}")) {
                cs.setString(1, branch);
                cs.execute();
            }
            assertEq(0L, count(c, "SELECT count(*) FROM omnigraph.branches WHERE name = '" + branch + "'"), "branch after {call delete_branch(?)}");
        }
    }

    static void checkCallableStatementCallMode() throws Exception {
        // escapeSyntaxCallMode=call makes pgjdbc send {call f(?)} as CALL f($1).
        Properties p = new Properties();
        p.setProperty("escapeSyntaxCallMode", "call");
        String branch = "jdbc_" + RUN + "_callmode";
        try (Connection c = connect("demo", p)) {
            try (CallableStatement cs = c.prepareCall("{call create_branch(?)}")) {
                cs.setString(1, branch);
                cs.execute();
            }
            assertEq(1L, count(c, "SELECT count(*) FROM omnigraph.branches WHERE name = '" + branch + "'"), "branch after {call create_branch(?)} in call mode");
        }
    }

    static void checkTableFunctionParameter() throws Exception {
        // A bound parameter as a table-function argument (traversal from a given start node).
        try (Connection c = connect()) {
            long expected = count(c, "SELECT count(*) FROM neighbors('knows', 'alice.smith')");
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM neighbors('knows', ?)")) {
                for (int i = 0; i < 6; i++) {
                    ps.setString(1, "alice.smith");
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next(), "no row");
                        assertEq(expected, rs.getLong(1), "execution " + (i + 1) + " neighbors count");
                    }
                }
            }
        }
    }

    static void checkGraphTable() throws Exception {
        // A GRAPH_TABLE pattern prepared server side with a bound start: its column types
        // (Describe) and its rows, compared with the same question asked with a join.
        try (Connection c = connect()) {
            long expected = count(c, "SELECT count(*) FROM knows k JOIN person p ON p.id = k.dst WHERE k.src = 'alice.smith'");
            String sql = "SELECT * FROM GRAPH_TABLE (demo MATCH (a:Person WHERE a.name = ?)-[k:Knows]->(b) "
                + "COLUMNS (b.name AS friend, b.age, k.since)) g";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < 6; i++) {
                    ps.setString(1, "alice.smith");
                    try (ResultSet rs = ps.executeQuery()) {
                        ResultSetMetaData md = rs.getMetaData();
                        assertEq(3, md.getColumnCount(), "column count");
                        assertEq("friend", md.getColumnName(1), "first column");
                        assertEq("text", md.getColumnTypeName(1), "friend type");
                        assertEq("int4", md.getColumnTypeName(2), "age type");
                        assertEq("date", md.getColumnTypeName(3), "since type");
                        long rows = 0;
                        while (rs.next()) {
                            rows++;
                        }
                        assertEq(expected, rows, "execution " + (i + 1) + " rows");
                    }
                }
            }
        }
    }

    static void checkDuplicateColumnNames() throws Exception {
        // PostgreSQL allows unnamed and duplicate output columns (pgjdbc's own metadata queries use them).
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 1, 1, NULL, NULL")) {
            assertTrue(rs.next(), "no row");
            assertEq(4, rs.getMetaData().getColumnCount(), "column count");
            assertEq(1, rs.getInt(2), "second column");
            for (int i = 1; i <= 4; i++) {
                assertEq("?column?", rs.getMetaData().getColumnName(i), "column " + i + " name");
            }
        }
    }

    static void checkBatch() throws Exception {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO company (name, industry) VALUES (?, ?)")) {
            for (int i = 0; i < 6; i++) {
                ps.setString(1, name("batch", i));
                ps.setString(2, "industry" + i);
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            assertEq(6, counts.length, "batch result length");
            for (int i = 0; i < counts.length; i++) {
                assertEq(1, counts[i], "batch count " + i);
            }
            assertEq(6L, count(c, "SELECT count(*) FROM company WHERE name LIKE 'jdbc." + RUN + ".batch.%'"), "rows after batch");
        }
    }

    static void checkGeneratedKeys() throws Exception {
        // RETURNING, as pgjdbc's getGeneratedKeys appends it.
        try (Connection c = connect();
             PreparedStatement ps = c.prepareStatement("INSERT INTO person (name, age) VALUES (?, ?)", new String[] {"id"})) {
            ps.setString(1, name("keys", 1));
            ps.setInt(2, 3);
            assertEq(1, ps.executeUpdate(), "insert count");
            try (ResultSet rs = ps.getGeneratedKeys()) {
                assertTrue(rs.next(), "getGeneratedKeys returned no row");
                assertEq(name("keys", 1), rs.getString(1), "generated id");
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ClientTest <host> <port> [filter]");
            System.exit(2);
        }
        host = args[0];
        port = Integer.parseInt(args[1]);
        filter = args.length > 2 ? args[2] : null;
        Class.forName("org.postgresql.Driver");
        System.out.println("pgjdbc " + org.postgresql.util.DriverInfo.DRIVER_FULL_NAME);

        check("connect", ClientTest::checkConnect);
        check("statement_typed_getters", ClientTest::checkStatementTypedGetters);
        check("prepared_select_repeated_server_prepare", ClientTest::checkPreparedSelectRepeated);
        check("prepared_threshold_1_binary", ClientTest::checkPreparedThresholdOne);
        check("prepared_insert_repeated_setnull_setdate", ClientTest::checkPreparedInsertRepeated);
        check("execute_update_counts", ClientTest::checkExecuteUpdateCounts);
        check("transactions_commit_rollback", ClientTest::checkTransactions);
        check("transaction_error_25P02_then_rollback", ClientTest::checkTransactionErrorRecovery);
        check("sqlstates_42P01_42703_23505", ClientTest::checkSqlStates);
        check("fetch_size_portals", ClientTest::checkFetchSize);
        check("batch_insert", ClientTest::checkBatch);
        check("generated_keys_returning", ClientTest::checkGeneratedKeys);
        check("metadata_product", ClientTest::checkMetaDataProduct);
        check("metadata_get_tables", ClientTest::checkMetaDataTables);
        check("metadata_get_table_types", ClientTest::checkMetaDataTableTypes);
        check("metadata_get_columns", ClientTest::checkMetaDataColumns);
        check("metadata_get_primary_keys", ClientTest::checkMetaDataPrimaryKeys);
        check("metadata_get_imported_keys", ClientTest::checkMetaDataImportedKeys);
        check("metadata_get_index_info", ClientTest::checkMetaDataIndexInfo);
        check("metadata_get_schemas", ClientTest::checkMetaDataSchemas);
        check("metadata_get_catalogs", ClientTest::checkMetaDataCatalogs);
        check("metadata_get_type_info", ClientTest::checkMetaDataTypeInfo);
        check("metadata_get_procedures", ClientTest::checkMetaDataProcedures);
        check("resultset_metadata_types", ClientTest::checkResultSetMetaData);
        check("resultset_metadata_table_info", ClientTest::checkResultSetMetaDataTableInfo);
        check("call_create_branch_prepared", ClientTest::checkCallCreateBranch);
        check("callable_statement_escape", ClientTest::checkCallableStatement);
        check("callable_statement_escape_call_mode", ClientTest::checkCallableStatementCallMode);
        check("table_function_bound_parameter", ClientTest::checkTableFunctionParameter);
        check("graph_table_prepared", ClientTest::checkGraphTable);
        check("duplicate_unnamed_columns", ClientTest::checkDuplicateColumnNames);
        check("copy_manager_copy_in", ClientTest::checkCopyManager);

        System.out.println("SUMMARY passed=" + passed + " failed=" + failures.size()
                + (failures.isEmpty() ? "" : " " + failures));
        System.exit(failures.isEmpty() ? 0 : 1);
    }
}

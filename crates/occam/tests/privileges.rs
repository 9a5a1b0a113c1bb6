//! Privilege checks for sessions of roles other than `admin`: 42501 for each statement kind without the
//! privilege, success with it, GRANT / REVOKE taking effect at the next statement of fresh and existing
//! sessions (prepared statements included), table ownership, and the administrator unaffected.

use occam::database::RoleLogin;
use occam::{Database, Session, Value};

mod common;
use common::{ok, rows, run, tag};

/// The SQLSTATE and message of a statement that must fail.
fn error(session: &mut Session, sql: &str) -> (&'static str, String) {
    match run(session, sql) {
        Ok(result) => panic!("{sql}: expected an error, got {result:?}"),
        Err(err) => (err.code, err.message),
    }
}

fn denied(session: &mut Session, sql: &str, table: &str) {
    assert_eq!(error(session, sql), ("42501", format!("permission denied for table {table}")), "{sql}");
}

/// A database with table `accounts` (ids 1 and 2) created by admin, and the login role `myapp`.
fn setup() -> (Database, Session) {
    let db = Database::open_in_memory();
    let mut admin = db.session("admin").unwrap();
    ok(&mut admin, "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT)");
    ok(&mut admin, "INSERT INTO accounts VALUES (1, 100), (2, 100)");
    ok(&mut admin, "CREATE ROLE myapp WITH LOGIN");
    (db, admin)
}

#[test]
fn every_statement_kind_needs_its_privilege() {
    let (db, mut admin) = setup();
    let mut app = db.session("myapp").unwrap();
    denied(&mut app, "SELECT * FROM accounts", "accounts");
    denied(&mut app, "SELECT 1 WHERE EXISTS (SELECT 1 FROM accounts)", "accounts");
    denied(&mut app, "SELECT n FROM generate_series(1, 2) AS n JOIN accounts ON id = n", "accounts");
    denied(&mut app, "INSERT INTO accounts VALUES (3, 0)", "accounts");
    denied(&mut app, "UPDATE accounts SET balance = 0", "accounts");
    denied(&mut app, "DELETE FROM accounts", "accounts");

    // Each privilege allows its statement; reading the table's columns needs SELECT too, as in PostgreSQL.
    ok(&mut admin, "GRANT INSERT ON accounts TO myapp");
    assert_eq!(tag(&mut app, "INSERT INTO accounts VALUES (3, 0)"), "INSERT 0 1");
    denied(&mut app, "INSERT INTO accounts VALUES (4, 0) RETURNING id", "accounts");
    denied(&mut app, "INSERT INTO accounts SELECT id + 10, balance FROM accounts", "accounts");

    ok(&mut admin, "GRANT UPDATE ON accounts TO myapp");
    assert_eq!(tag(&mut app, "UPDATE accounts SET balance = 7"), "UPDATE 3");
    denied(&mut app, "UPDATE accounts SET balance = 0 WHERE id = 1", "accounts");
    denied(&mut app, "UPDATE accounts SET balance = balance + 1", "accounts");

    ok(&mut admin, "GRANT DELETE ON accounts TO myapp");
    denied(&mut app, "DELETE FROM accounts WHERE id = 3", "accounts");
    assert_eq!(tag(&mut app, "DELETE FROM accounts"), "DELETE 3");

    ok(&mut admin, "GRANT SELECT ON accounts TO myapp");
    ok(&mut app, "INSERT INTO accounts VALUES (1, 100), (2, 100)");
    assert_eq!(tag(&mut app, "UPDATE accounts SET balance = balance - 10 WHERE id = 1 RETURNING balance"), "UPDATE 1");
    assert_eq!(rows(&mut app, "SELECT balance FROM accounts WHERE id = 1"), vec![vec![Value::Int(90)]]);
    assert_eq!(tag(&mut app, "DELETE FROM accounts WHERE id = 2 RETURNING id"), "DELETE 1");
}

#[test]
fn ddl_needs_create_on_the_schema_and_ownership() {
    let (db, mut admin) = setup();
    let mut app = db.session("myapp").unwrap();
    assert_eq!(
        error(&mut app, "CREATE TABLE mine (id INT PRIMARY KEY)"),
        ("42501", "permission denied for schema public".to_string())
    );
    assert_eq!(error(&mut app, "DROP TABLE accounts"), ("42501", "must be owner of table accounts".to_string()));
    assert_eq!(error(&mut app, "CREATE ROLE other"), ("42501", "permission denied to create role".to_string()));
    assert_eq!(error(&mut app, "DROP ROLE myapp").0, "42501");
    assert_eq!(error(&mut app, "GRANT SELECT ON accounts TO myapp").0, "42501");
    assert_eq!(error(&mut app, "AWS IAM GRANT myapp TO 'arn:aws:iam::123456789012:role/X'").0, "42501");

    ok(&mut admin, "GRANT CREATE ON SCHEMA public TO myapp");
    // The creator owns its table: every privilege, GRANT on it, and DROP.
    ok(&mut app, "CREATE TABLE mine (id INT PRIMARY KEY)");
    ok(&mut app, "INSERT INTO mine VALUES (1)");
    assert_eq!(rows(&mut app, "SELECT id FROM mine"), vec![vec![Value::Int(1)]]);
    ok(&mut admin, "CREATE ROLE reader");
    ok(&mut app, "GRANT SELECT ON mine TO reader");
    let mut reader = db.session("reader").unwrap();
    assert_eq!(rows(&mut reader, "SELECT id FROM mine"), vec![vec![Value::Int(1)]]);
    denied(&mut reader, "DELETE FROM mine", "mine");
    assert_eq!(error(&mut admin, "DROP ROLE myapp").0, "2BP01");
    ok(&mut app, "REVOKE SELECT ON mine FROM reader");
    ok(&mut app, "DROP TABLE mine");

    ok(&mut admin, "REVOKE CREATE ON SCHEMA public FROM myapp");
    assert_eq!(error(&mut app, "CREATE TABLE again (id INT PRIMARY KEY)").0, "42501");
}

#[test]
fn grant_and_revoke_apply_from_the_next_statement() {
    let (db, mut admin) = setup();
    let mut existing = db.session("myapp").unwrap();
    let prepared = existing.prepare("SELECT balance FROM accounts WHERE id = $1", &[]).unwrap();
    assert_eq!(existing.execute(&prepared, &[Value::Int(1)]).unwrap_err().code, "42501");

    ok(&mut admin, "GRANT ALL ON public.accounts TO myapp");
    let mut fresh = db.session("myapp").unwrap();
    assert_eq!(rows(&mut fresh, "SELECT count(*) FROM accounts"), vec![vec![Value::Int(2)]]);
    assert!(existing.execute(&prepared, &[Value::Int(1)]).is_ok());

    ok(&mut admin, "REVOKE SELECT ON accounts FROM myapp");
    let mut fresh = db.session("myapp").unwrap();
    denied(&mut fresh, "SELECT * FROM accounts", "accounts");
    assert_eq!(existing.execute(&prepared, &[Value::Int(1)]).unwrap_err().code, "42501");
    // The other privileges stay.
    assert_eq!(tag(&mut fresh, "UPDATE accounts SET balance = 0"), "UPDATE 2");

    // ALL TABLES IN SCHEMA covers the tables that exist at the time; PUBLIC grants reach every role.
    ok(&mut admin, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO myapp");
    assert_eq!(rows(&mut fresh, "SELECT count(*) FROM accounts"), vec![vec![Value::Int(2)]]);
    ok(&mut admin, "REVOKE ALL ON accounts FROM myapp");
    denied(&mut fresh, "SELECT * FROM accounts", "accounts");
    ok(&mut admin, "GRANT SELECT ON accounts TO PUBLIC");
    assert_eq!(rows(&mut fresh, "SELECT count(*) FROM accounts"), vec![vec![Value::Int(2)]]);
}

#[test]
fn the_administrator_is_unaffected() {
    let (db, mut admin) = setup();
    ok(&mut admin, "GRANT CREATE ON SCHEMA public TO myapp");
    let mut app = db.session("myapp").unwrap();
    ok(&mut app, "CREATE TABLE theirs (id INT PRIMARY KEY)");
    // admin reads, writes and drops what other roles own.
    ok(&mut admin, "INSERT INTO theirs VALUES (1)");
    assert_eq!(rows(&mut admin, "SELECT id FROM theirs"), vec![vec![Value::Int(1)]]);
    ok(&mut admin, "DROP TABLE theirs");
    assert_eq!(
        rows(&mut admin, "SELECT current_user, session_user"),
        vec![vec![Value::Text("admin".into()), Value::Text("admin".into())]]
    );
    assert_eq!(rows(&mut app, "SELECT current_user, current_role, user"), vec![vec![Value::Text("myapp".into()); 3]]);
}

#[test]
fn role_login_reports_roles_and_iam_mappings() {
    let (db, mut admin) = setup();
    ok(&mut admin, "CREATE ROLE batch NOLOGIN");
    ok(&mut admin, "AWS IAM GRANT myapp TO 'arn:aws:iam::123456789012:role/App'");
    assert_eq!(
        db.role_login("myapp"),
        Some(RoleLogin {
            can_login: true,
            is_admin: false,
            password_verifier: None,
            iam_arns: vec!["arn:aws:iam::123456789012:role/App".to_string()],
        })
    );
    assert_eq!(db.role_login("batch").map(|r| r.can_login), Some(false));
    assert_eq!(db.role_login("admin").map(|r| r.is_admin), Some(true));
    assert_eq!(db.role_login("nobody"), None);
    ok(&mut admin, "AWS IAM REVOKE myapp FROM 'arn:aws:iam::123456789012:role/App'");
    ok(&mut admin, "DROP ROLE batch");
    assert_eq!(db.role_login("myapp").map(|r| r.iam_arns), Some(Vec::new()));
    assert_eq!(db.role_login("batch"), None);
}

#[test]
fn concurrent_role_ddl_conflicts_at_commit() {
    let (db, _admin) = setup();
    let (mut a, mut b) = (db.session("admin").unwrap(), db.session("admin").unwrap());
    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    ok(&mut a, "CREATE ROLE one");
    ok(&mut b, "CREATE ROLE two");
    ok(&mut a, "COMMIT");
    // Both handed out an oid from the same counter: the second commit loses, as concurrent CREATE TABLEs do.
    assert_eq!(error(&mut b, "COMMIT").0, "40001");
    assert!(db.role_login("one").is_some());
    assert!(db.role_login("two").is_none());
}

/// The workshop's setup over the wire: admin creates `myapp` and grants it the tables; the application's
/// connection as `myapp` (local mode accepts any password) is refused before the GRANT and served after it,
/// on the same connection and its prepared statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workshop_role_over_the_wire() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    tokio::spawn(occam::wire::serve(listener, Database::open_in_memory()));
    let connect = |user: &'static str| async move {
        let config = format!("host=127.0.0.1 port={port} user={user} password=token dbname=postgres");
        let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        client
    };
    let admin = connect("admin").await;
    admin.batch_execute("CREATE ROLE myapp WITH LOGIN").await.unwrap();
    admin
        .batch_execute("AWS IAM GRANT myapp TO 'arn:aws:iam::123456789012:role/ReinventDat401Stack-Function'")
        .await
        .unwrap();
    admin.batch_execute("CREATE TABLE accounts (id INT PRIMARY KEY, balance INT)").await.unwrap();
    admin.batch_execute("INSERT INTO accounts VALUES (1, 100), (2, 100)").await.unwrap();

    let app = connect("myapp").await;
    let debit =
        app.prepare("UPDATE accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance").await.unwrap();
    let err = app.query(&debit, &[&10i32, &1i32]).await.unwrap_err();
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE));
    assert_eq!(err.as_db_error().map(|e| e.message()), Some("permission denied for table accounts"));

    admin.batch_execute("GRANT ALL ON public.accounts TO myapp").await.unwrap();
    let row = app.query_one(&debit, &[&10i32, &1i32]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 90);
    let user: String = app.query_one("SELECT current_user", &[]).await.unwrap().get(0);
    assert_eq!(user, "myapp");
}

/// Starts a server over `db` with `authenticator`, returning its port.
async fn serve_with(db: &Database, authenticator: std::sync::Arc<dyn occam::wire::Authenticator>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    let options = occam::wire::ServerOptions { authenticator, ..Default::default() };
    tokio::spawn(occam::wire::serve_with_options(listener, db.clone(), options));
    port
}

async fn login(port: u16, user: &str, password: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut config = tokio_postgres::Config::new();
    config.host("127.0.0.1").port(port).user(user).password(password).dbname("postgres");
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Roles created with SQL log in through the catalog: SCRAM against the verifier CREATE ROLE stored, IAM
/// tokens for roles with an `AWS IAM GRANT` mapping, LOGIN required, a dropped role refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_roles_log_in() {
    use occam::auth::sigv4::Credentials;
    use occam::auth::token::{self, TokenVerifier};
    use std::sync::Arc;

    let (db, mut admin) = setup();
    ok(&mut admin, "CREATE USER pw_user WITH PASSWORD 's3cret'");
    ok(&mut admin, "CREATE ROLE quiet NOLOGIN PASSWORD 's3cret'");
    ok(&mut admin, "AWS IAM GRANT myapp TO 'arn:aws:iam::123456789012:role/App'");
    assert!(db
        .role_login("pw_user")
        .and_then(|r| r.password_verifier)
        .is_some_and(|v| v.starts_with("SCRAM-SHA-256$")));

    let port = serve_with(&db, Arc::new(occam::wire::PasswordAuth { roles: Arc::new(db.clone()) })).await;
    let client = login(port, "pw_user", "s3cret").await.expect("the right password logs in");
    let user: String = client.query_one("SELECT current_user", &[]).await.unwrap().get(0);
    assert_eq!(user, "pw_user");
    let wrong = login(port, "pw_user", "wrong").await.err().and_then(|e| e.code().cloned());
    assert_eq!(wrong, Some(tokio_postgres::error::SqlState::INVALID_PASSWORD));
    let quiet = login(port, "quiet", "s3cret").await.err().and_then(|e| e.code().cloned());
    assert_eq!(quiet, Some(tokio_postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION));

    let credentials = Credentials {
        access_key_id: "AKIAOCCAMTEST0000001".into(),
        secret_access_key: "occam/secret/for+tests".into(),
        session_token: None,
    };
    let verifier = TokenVerifier { credentials: credentials.clone(), region: None };
    let port = serve_with(&db, Arc::new(occam::wire::IamAuth { roles: Arc::new(db.clone()), verifier })).await;
    let app_token = token::generate("127.0.0.1", "us-east-1", false, 900, &credentials, chrono::Utc::now());
    login(port, "myapp", &app_token).await.expect("a mapped role logs in with a DbConnect token");
    ok(&mut admin, "AWS IAM REVOKE myapp FROM 'arn:aws:iam::123456789012:role/App'");
    let app_token = token::generate("127.0.0.1", "us-east-1", false, 900, &credentials, chrono::Utc::now());
    assert!(login(port, "myapp", &app_token).await.is_err(), "an unmapped role is refused");
    ok(&mut admin, "DROP ROLE pw_user");
    let port = serve_with(&db, Arc::new(occam::wire::PasswordAuth { roles: Arc::new(db.clone()) })).await;
    assert!(login(port, "pw_user", "s3cret").await.is_err(), "a dropped role is refused");
}

#[test]
fn indexes_need_ownership_of_the_table() {
    let (db, mut admin) = setup();
    ok(&mut admin, "GRANT ALL ON accounts TO myapp");
    let job = rows(&mut admin, "CREATE INDEX ASYNC accounts_balance ON accounts (balance)");
    let [Value::Text(job_id)] = job[0].as_slice() else { panic!("expected a job id, got {job:?}") };
    // The build finishing could race the DROP INDEX below (a retryable 40001); this test is about ownership.
    ok(&mut admin, &format!("CALL sys.wait_for_job('{job_id}')"));
    let mut app = db.session("myapp").unwrap();
    assert_eq!(
        error(&mut app, "CREATE INDEX ASYNC mine ON accounts (balance)"),
        ("42501", "must be owner of table accounts".to_string())
    );
    assert_eq!(
        error(&mut app, "DROP INDEX accounts_balance"),
        ("42501", "must be owner of index accounts_balance".to_string())
    );
    ok(&mut admin, "DROP INDEX accounts_balance");
}

#[test]
fn a_view_is_read_with_its_own_privilege() {
    let (db, mut admin) = setup();
    ok(&mut admin, "CREATE VIEW balances AS SELECT id, balance FROM accounts WHERE balance > 0");
    ok(&mut admin, "CREATE VIEW other AS SELECT 1 AS one");
    let mut app = db.session("myapp").unwrap();
    assert_eq!(error(&mut app, "SELECT * FROM balances"), ("42501", "permission denied for view balances".to_string()));
    ok(&mut admin, "GRANT SELECT ON balances TO myapp");
    // The view's table is read as the view's owner: SELECT on the view is enough.
    assert_eq!(rows(&mut app, "SELECT count(*) FROM balances"), vec![vec![Value::Int(2)]]);
    denied(&mut app, "SELECT * FROM accounts", "accounts");
    assert_eq!(error(&mut app, "SELECT * FROM other"), ("42501", "permission denied for view other".to_string()));
    assert_eq!(error(&mut app, "DROP VIEW balances"), ("42501", "must be owner of view balances".to_string()));
    // Creating a view needs CREATE on the schema, and SELECT on what it reads.
    assert_eq!(error(&mut app, "CREATE VIEW mine AS SELECT 1 AS x").0, "42501");
    ok(&mut admin, "GRANT CREATE ON SCHEMA public TO myapp");
    denied(&mut app, "CREATE VIEW peek AS SELECT * FROM accounts", "accounts");
    ok(&mut app, "CREATE VIEW mine AS SELECT id FROM balances");
    assert_eq!(rows(&mut app, "SELECT count(*) FROM mine"), vec![vec![Value::Int(2)]]);
    ok(&mut app, "DROP VIEW mine");
    ok(&mut admin, "REVOKE SELECT ON balances FROM myapp");
    assert_eq!(error(&mut app, "SELECT * FROM balances"), ("42501", "permission denied for view balances".to_string()));
}

/// INSERT / UPDATE / DELETE on an updatable view need the privilege on the view; its table is written as
/// the view's owner, who needs the privilege there (as in PostgreSQL).
#[test]
fn a_view_is_written_with_its_own_privilege_and_its_owners() {
    let (db, mut admin) = setup();
    ok(&mut admin, "GRANT SELECT ON accounts TO myapp");
    ok(&mut admin, "GRANT CREATE ON SCHEMA public TO myapp");
    let mut app = db.session("myapp").unwrap();
    ok(&mut app, "CREATE VIEW mine AS SELECT id, balance FROM accounts WHERE id < 10");
    ok(&mut admin, "CREATE ROLE other WITH LOGIN");
    let mut other = db.session("other").unwrap();
    let insert = "INSERT INTO mine VALUES (3, 30)";
    assert_eq!(error(&mut other, insert), ("42501", "permission denied for view mine".to_string()));
    ok(&mut app, "GRANT INSERT, UPDATE ON mine TO other");
    // The owner `myapp` may only read `accounts`.
    denied(&mut other, insert, "accounts");
    denied(&mut app, insert, "accounts");
    ok(&mut admin, "GRANT INSERT, UPDATE ON accounts TO myapp");
    assert_eq!(tag(&mut other, insert), "INSERT 0 1");
    assert_eq!(tag(&mut other, "UPDATE mine SET balance = 0"), "UPDATE 3");
    // UPDATE reading the view's columns needs SELECT on the view too; DELETE needs DELETE, for both.
    assert_eq!(
        error(&mut other, "UPDATE mine SET balance = 1 WHERE id = 3"),
        ("42501", "permission denied for view mine".to_string())
    );
    ok(&mut app, "GRANT DELETE ON mine TO other");
    denied(&mut other, "DELETE FROM mine", "accounts");
    ok(&mut admin, "GRANT DELETE ON accounts TO myapp");
    assert_eq!(tag(&mut other, "DELETE FROM mine"), "DELETE 3");
    // A view the administrator owns writes its table whatever the table's grants.
    ok(&mut admin, "CREATE VIEW all_accounts AS SELECT * FROM accounts");
    ok(&mut admin, "GRANT INSERT ON all_accounts TO other");
    assert_eq!(tag(&mut other, "INSERT INTO all_accounts VALUES (4, 40)"), "INSERT 0 1");
}

/// A data-modifying WITH query needs its statement's privileges, as the main statement does.
#[test]
fn data_modifying_with_queries_need_their_privileges() {
    let (db, mut admin) = setup();
    ok(&mut admin, "CREATE TABLE audit (id INT PRIMARY KEY, balance INT)");
    ok(&mut admin, "GRANT SELECT ON accounts TO myapp");
    ok(&mut admin, "GRANT SELECT, INSERT ON audit TO myapp");
    let mut app = db.session("myapp").unwrap();
    let moving = "WITH gone AS (DELETE FROM accounts WHERE id = 1 RETURNING *) INSERT INTO audit SELECT * FROM gone";
    denied(&mut app, moving, "accounts");
    denied(&mut app, "WITH s AS (SELECT 1) UPDATE accounts SET balance = 0 WHERE id IN (SELECT * FROM s)", "accounts");
    ok(&mut admin, "GRANT DELETE ON accounts TO myapp");
    assert_eq!(tag(&mut app, moving), "INSERT 0 1");
    assert_eq!(rows(&mut app, "SELECT id FROM audit"), vec![vec![Value::Int(1)]]);
}

/// A SQL function's body reads as the caller (PostgreSQL's default SECURITY INVOKER): calling a function
/// that reads a table needs SELECT on that table, whether the call is in an expression or in FROM, and
/// through a function that calls it.
#[test]
fn function_bodies_read_with_the_callers_privileges() {
    let (db, mut admin) = setup();
    ok(
        &mut admin,
        "CREATE FUNCTION balance_of(a int) RETURNS int LANGUAGE sql AS 'SELECT balance FROM accounts WHERE id = a'",
    );
    ok(&mut admin, "CREATE FUNCTION balances() RETURNS SETOF int LANGUAGE sql AS 'SELECT balance FROM accounts'");
    ok(&mut admin, "CREATE FUNCTION doubled(a int) RETURNS int LANGUAGE sql RETURN balance_of(a) * 2");
    let mut app = db.session("myapp").unwrap();
    denied(&mut app, "SELECT balance_of(1)", "accounts");
    denied(&mut app, "SELECT * FROM balances()", "accounts");
    denied(&mut app, "SELECT doubled(1)", "accounts");
    denied(&mut app, "WITH accounts AS (SELECT 1) SELECT balance_of(1) FROM accounts", "accounts");
    ok(&mut admin, "GRANT SELECT ON accounts TO myapp");
    assert_eq!(rows(&mut app, "SELECT balance_of(1), doubled(2)"), vec![vec![Value::Int(100), Value::Int(200)]]);
    assert_eq!(rows(&mut app, "SELECT count(*) FROM balances()"), vec![vec![Value::Int(2)]]);
}

#[test]
fn schemas_need_usage_and_create_and_belong_to_their_owner() {
    let (db, mut admin) = setup();
    let mut app = db.session("myapp").unwrap();
    assert_eq!(error(&mut app, "CREATE SCHEMA mine"), ("42501", "permission denied for database postgres".into()));
    ok(&mut admin, "CREATE SCHEMA billing");
    ok(&mut admin, "CREATE TABLE billing.invoices (id INT PRIMARY KEY)");
    ok(&mut admin, "GRANT SELECT ON billing.invoices TO myapp");
    // The table's privilege is not enough without USAGE on its schema, as in PostgreSQL.
    assert_eq!(
        error(&mut app, "SELECT * FROM billing.invoices"),
        ("42501", "permission denied for schema billing".into())
    );
    ok(&mut admin, "GRANT USAGE ON SCHEMA billing TO myapp");
    assert!(rows(&mut app, "SELECT * FROM billing.invoices").is_empty());
    assert_eq!(
        error(&mut app, "CREATE TABLE billing.mine (id INT PRIMARY KEY)"),
        ("42501", "permission denied for schema billing".into())
    );
    ok(&mut admin, "GRANT CREATE ON SCHEMA billing TO myapp");
    ok(&mut app, "CREATE TABLE billing.mine (id INT PRIMARY KEY)");
    assert_eq!(error(&mut app, "DROP SCHEMA billing CASCADE"), ("42501", "must be owner of schema billing".into()));

    // A schema created for a role belongs to it: it creates and grants there without further grants.
    ok(&mut admin, "CREATE SCHEMA AUTHORIZATION myapp");
    ok(&mut app, "SET search_path = myapp, public");
    ok(&mut app, "CREATE TABLE notes (id INT PRIMARY KEY)");
    ok(&mut app, "INSERT INTO notes VALUES (1)");
    assert_eq!(
        rows(&mut app, "SELECT schemaname FROM pg_tables WHERE tablename = 'notes'"),
        vec![vec![Value::Text("myapp".into())]]
    );
    ok(&mut app, "DROP SCHEMA myapp CASCADE");
}

//! The `registrar` binary as scripts use it.

use std::process::Command;

use crate::helpers::fresh_database;

fn registrar(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(args)
        .env("DATABASE_URL", db)
        .env(
            "REGISTRAR_DOCUMENTS_DIR",
            std::env::temp_dir().join(format!("registrar-cli-docs-{}", std::process::id())),
        )
        .env("RUST_LOG", "error")
        .output()
        .expect("run registrar")
}

fn stdout(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[tokio::test]
async fn migrate_seed_token_and_jobs_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;

    assert!(stdout(&registrar(&db, &["migrate"])).contains("migrations applied"));
    let first = stdout(&registrar(&db, &["seed", "--demo"]));
    assert!(first.contains("calendar_days"));
    let second = stdout(&registrar(&db, &["seed", "--demo"]));
    assert!(
        second
            .lines()
            .all(|l| l.contains("inserted     0  updated     0")),
        "second seed changed something:\n{second}"
    );

    let out = stdout(&registrar(&db, &["token", "create", "--user", "intake"]));
    let token = out.trim();
    assert_eq!(out.lines().count(), 1);
    assert!(token.starts_with("rg_") && token.len() == 67);

    let out = stdout(&registrar(
        &db,
        &["jobs", "run", "--as-of", "2025-03-31T10:00:00Z"],
    ));
    for job in [
        "auto_reject",
        "identification_no_show",
        "distribution",
        "outbox",
    ] {
        assert!(out.contains(job), "{out}");
    }

    // Tokens are listed without their secret, and revoked by id.
    let list = stdout(&registrar(&db, &["token", "list", "--user", "intake"]));
    assert!(
        list.lines().next().unwrap().starts_with("   ID  USER"),
        "{list}"
    );
    assert!(list.contains("intake") && list.contains("active") && !list.contains(token));
    assert!(list.contains(&token[..10]));
    let id = list
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(stdout(&registrar(&db, &["token", "revoke", &id])).contains("revoked"));
    let list = stdout(&registrar(&db, &["token", "list"]));
    assert!(list.contains("revoked"), "{list}");
    let again = registrar(&db, &["token", "revoke", &id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already revoked"));
    let short = stdout(&registrar(
        &db,
        &["token", "create", "--user", "intake", "--days", "7"],
    ));
    assert!(short.trim().starts_with("rg_"));

    let bad = registrar(&db, &["token", "create", "--user", "ghost"]);
    assert!(!bad.status.success());
    let err = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "one-line error: {err}");
    assert!(err.contains("ghost"));

    let bad = registrar(&db, &["jobs", "run", "--as-of", "tomorrow"]);
    assert!(!bad.status.success());
}

#[tokio::test]
async fn seed_without_demo_creates_no_users() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    let out = stdout(&registrar(&db, &["seed"]));
    assert!(!out.contains("users"));
    let bad = registrar(&db, &["token", "create", "--user", "operator"]);
    assert!(!bad.status.success(), "no demo users without --demo");
}

#[tokio::test]
async fn generate_makes_applications_that_the_jobs_then_find_due() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    let out = stdout(&registrar(
        &db,
        &[
            "generate",
            "--applications",
            "1500",
            "--due",
            "40",
            "--seed",
            "7",
        ],
    ));
    assert!(out.contains("generated 1500 applications"), "{out}");
    let out = stdout(&registrar(&db, &["jobs", "run"]));
    let line = out.lines().find(|l| l.starts_with("auto_reject")).unwrap();
    assert!(line.split_whitespace().nth(1) == Some("40"), "{out}");
    let refused = registrar(&db, &["generate", "--subscribers", "5"]);
    assert!(!refused.status.success());
}

#[tokio::test]
async fn bench_reports_each_figure_beside_raw_sql() {
    let out = stdout(&registrar(
        "sqlite://unused",
        &[
            "bench",
            "--applications",
            "3000",
            "--due",
            "100",
            "--intake",
            "20",
            "--http-seconds",
            "0.3",
        ],
    ));
    for what in [
        "generate 3000 applications",
        "sign-in page (no database: the ceiling)",
        "/applications, partner p-klg-1",
        "/applications, sales center sc-klg",
        "/applications, operator",
        "/applications?q=<name>, partner",
        "GET /api/v1/applications, partner (bearer)",
        "The server's memory (a `registrar serve` process of its own)",
        "intake, one application per transaction",
        "registry first page, partner",
        "registry page 1000 by name",
        "30-day job: 100 due applications",
    ] {
        assert!(out.contains(what), "{what} missing:\n{out}");
    }
    assert!(
        out.lines().filter(|l| l.ends_with("× |")).count() >= 6,
        "{out}"
    );
    // Every page answered 200 under load: the failures column of the HTTP rows is 0.
    let http_rows: Vec<&str> = out.lines().filter(|l| l.contains(" % |")).collect();
    assert_eq!(http_rows.len(), 7, "{out}");
    assert!(http_rows.iter().all(|l| l.ends_with("| 0 |")), "{out}");
}

#[tokio::test]
async fn bench_http_only_measures_the_pages_of_a_filled_database() {
    // `--http-only` measures what people get on the data already there (seconds, not the
    // minutes of generating a million applications again), and writes no applications.
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    stdout(&registrar(
        &db,
        &["generate", "--applications", "1500", "--due", "10"],
    ));
    use sea_orm::{EntityTrait, PaginatorTrait};
    let conn = sea_orm::Database::connect(&*db).await.unwrap();
    let mut counted = Vec::new();
    for _ in 0..2 {
        let out = stdout(&registrar(
            &db,
            &[
                "bench",
                "--database",
                &db,
                "--http-only",
                "--http-seconds",
                "0.3",
            ],
        ));
        assert!(
            !out.contains("intake") && !out.contains("generate"),
            "{out}"
        );
        let http_rows: Vec<&str> = out.lines().filter(|l| l.contains(" % |")).collect();
        assert_eq!(http_rows.len(), 7, "{out}");
        assert!(http_rows.iter().all(|l| l.ends_with("| 0 |")), "{out}");
        counted.push(
            registrar::entities::application::Entity::find()
                .count(&conn)
                .await
                .unwrap(),
        );
    }
    // The first run loads the demo fixture (its users sign in); neither generates.
    assert_eq!(counted[0], counted[1]);
    assert!(counted[0] < 1600, "{counted:?}");
    let refused = registrar("sqlite://unused", &["bench", "--http-only"]);
    assert!(!refused.status.success(), "--http-only needs --database");
}

fn user_create(db: &str, args: &[&str], password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(["user", "create"])
        .args(args)
        .env("DATABASE_URL", db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn a_first_operator_can_be_created_on_a_fresh_install() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    stdout(&registrar(&db, &["seed"]));
    let admin = [
        "--login",
        "admin",
        "--role",
        "operator",
        "--full-name",
        "Главный оператор",
    ];
    assert!(
        !user_create(&db, &admin, "short").status.success(),
        "too short a password"
    );
    assert!(
        stdout(&user_create(&db, &admin, "correct horse battery")).contains("user admin created")
    );
    assert!(
        !user_create(&db, &admin, "correct horse battery")
            .status
            .success(),
        "exists already"
    );
    let token = stdout(&registrar(&db, &["token", "create", "--user", "admin"]));
    assert!(token.trim().starts_with("rg_"));

    let bad = user_create(
        &db,
        &[
            "--login",
            "p",
            "--role",
            "partner",
            "--organisation",
            "p-nowhere",
        ],
        "correct horse battery",
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("organisation"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

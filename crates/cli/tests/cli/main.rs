//! The `allot` binary, run as a user would run it, on both engines.

mod ras;

use allot_store::on_both_engines;
use allot_store::testing::{POSTGRES_ENV, TestDatabase};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The URL to give the binary (with the real password, which the store
/// only ever shows redacted).
fn url(db: &TestDatabase) -> String {
    match db.url.engine() {
        allot_store::Engine::Sqlite => db.url.redacted(),
        allot_store::Engine::Postgres => {
            let admin = std::env::var(POSTGRES_ENV).unwrap();
            let name = db.url.redacted().rsplit('/').next().unwrap().to_owned();
            format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
        }
    }
}

fn allot(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_allot"))
        .args(args)
        .env("ALLOT_DATABASE_URL", url(db))
        .env("CI", "true")
        .env("ALLOT_LOG", "warn")
        .output()
        .expect("run allot")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "allot failed:\nstdout: {}\nstderr: {}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

const GOOD: &str = "reference,legal_given_names,legal_family_name,date_of_birth,sex,upn,nhs_number,postcode,address,address_protected,primary_need,ehc_plan_status\n\
WV-1,Amara Grace,Okafor,2014-09-23,female,T801200100101,943 476 5919,bs1 4dj,12 Mill Lane,false,ASD,final\n\
WV-2,Ben,\"O'Neil, Jr\",2010-01-01,male,,,BS2 0AB,\"Flat 2, 9 Hidden Row\",true,SEMH,\n";

fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

on_both_engines!(
    importing_a_file_twice_changes_nothing_the_second_time,
    a_bad_file_names_every_bad_row_and_changes_nothing,
    export_with_protected_fields_round_trips_through_import,
    migrate_and_verify_report_plainly,
    the_demo_area_is_the_same_for_the_same_seed,
    serve_answers_on_the_address_it_prints,
    users_audit_and_subject_access_from_the_command_line,
    delegation_policies_are_checked_and_published_as_versions,
    a_payment_run_writes_a_bacs_file_and_a_journal_and_pays_nothing_twice,
    a_statement_is_imported_whole_or_not_at_all_and_once,
);

async fn users_audit_and_subject_access_from_the_command_line(db: TestDatabase) {
    ok(&allot(&db, &["demo", "--children", "60", "--seed", "3", "--no-serve"]));
    let users = ok(&allot(&db, &["users", "list"]));
    assert_eq!(users.lines().count(), 13, "one demo user per role:\n{users}");
    assert!(users.contains("caseworker@demo.allot.example"));
    let added = allot(&db, &["users", "add", "a.jones@wyvern.example", "--name", "Alex Jones", "--role", "caseworker"]);
    assert!(!added.status.success());
    assert!(text(&added.stderr).contains("organisation_id"), "{}", text(&added.stderr));
    let reset = ok(&allot(&db, &["users", "reset", "caseworker@demo.allot.example", "--reason", "lost phone"]));
    assert!(reset.contains("Temporary password: ") && reset.contains("otpauth://totp/"), "{reset}");
    ok(&allot(&db, &["users", "disable", "team.manager@demo.allot.example", "--reason", "left"]));
    assert!(
        ok(&allot(&db, &["users", "list"]))
            .contains("team.manager@demo.allot.example\tDemo team manager\tteam_manager\tdisabled")
    );
    // The chain is whole; a checkpoint kept now verifies.
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = ok(&allot(&db, &["audit", "checkpoint"]));
    let kept = write(dir.path(), "checkpoint.json", &checkpoint);
    assert!(ok(&allot(&db, &["audit", "verify", "--checkpoint", &kept])).contains("whole"));
    // Tampering is caught, and `allot verify` says so too.
    db.tamper("UPDATE audit_trail SET action = 'nothing' WHERE seq = 2").await;
    let verify = allot(&db, &["audit", "verify", "--checkpoint", &kept]);
    assert!(!verify.status.success());
    assert!(text(&verify.stdout).contains("entry 2 has been changed"), "{}", text(&verify.stdout));
    assert!(!allot(&db, &["verify"]).status.success());
    // A subject access export holds this child and no other.
    let export = ok(&allot(&db, &["export", "children", "--format", "csv"]));
    let mut rows = export.lines().skip(1).map(|l| l.split(',').take(3).map(str::to_owned).collect::<Vec<_>>());
    let (first, second) = (rows.next().unwrap(), rows.next().unwrap());
    let out = dir.path().join("sar");
    ok(&allot(&db, &["sar", "export", &first[0], "--out", out.to_str().unwrap()]));
    let json = std::fs::read_to_string(out.join(format!("subject-access-{}.json", first[0]))).unwrap();
    let html = std::fs::read_to_string(out.join(format!("subject-access-{}.html", first[0]))).unwrap();
    assert!(json.contains(&first[2]) && html.contains(&first[2]), "the child's family name is in both");
    assert!(!json.contains(&second[0]) && !html.contains(&second[0]), "another child's reference is in neither");
    let looked = ok(&allot(&db, &["audit", "child", &first[0]]));
    assert!(looked.contains("subject_access_export"), "{looked}");
    // Reading who looked is itself recorded, as is the export of the area.
    let again = ok(&allot(&db, &["audit", "child", &first[0]]));
    assert!(again.contains("read_access_log") && again.contains("cli:"), "{again}");
    let store = db.store().await;
    let area = allot_store::Store::areas(&store).await.unwrap()[0].id;
    let trail = allot_store::Store::audit_entries(&store, area, None, 0, u32::MAX).await.unwrap();
    assert!(trail.iter().any(|e| e.entry.action == "export_children" && e.entry.actor.starts_with("cli:")));
}

async fn importing_a_file_twice_changes_nothing_the_second_time(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "children.csv", GOOD);
    ok(&allot(&db, &["areas", "add", "E06000001", "Test Council"]));
    assert!(ok(&allot(&db, &["import", "children", &file])).contains("2 created, 0 updated, 0 unchanged"));
    assert!(ok(&allot(&db, &["import", "children", &file])).contains("0 created, 0 updated, 2 unchanged"));
    let changed = write(dir.path(), "changed.csv", &GOOD.replace(",SEMH,", ",ASD,"));
    assert!(ok(&allot(&db, &["import", "children", &changed])).contains("0 created, 1 updated, 1 unchanged"));
}

async fn a_bad_file_names_every_bad_row_and_changes_nothing(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    ok(&allot(&db, &["areas", "add", "E06000001", "Test Council"]));
    let bad = write(
        dir.path(),
        "bad.csv",
        "reference,legal_given_names,legal_family_name,date_of_birth,sex,nhs_number\n\
         WV-1,Amara,Okafor,2014-09-23,female,\n\
         WV-2,Ben,Smith,2014-09-31,boy,943 476 5918\n\
         WV-3,Cara,Lee,2015-01-01,female,\n\
         WV-4,,Patel,1990-01-01,male,\n",
    );
    let out = allot(&db, &["import", "children", &bad]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    for expected in [
        "bad.csv:3: date_of_birth: enter a real date",
        "bad.csv:3: sex: sex must be one of: female, male, unknown",
        "bad.csv:3: nhs_number: this is not a valid NHS number",
        "bad.csv:5: legal_given_names: enter the legal given names",
        "bad.csv:5: date_of_birth: Allot is for children and young people aged 0 to 25",
        "was not imported: 5 problems to correct. Nothing was changed.",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    let export = ok(&allot(&db, &["export", "children"]));
    assert_eq!(export.lines().count(), 1, "only the header: the good rows were not imported either:\n{export}");
}

async fn export_with_protected_fields_round_trips_through_import(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    ok(&allot(&db, &["areas", "add", "E06000001", "Test Council"]));
    ok(&allot(&db, &["import", "children", &write(dir.path(), "c.csv", GOOD)]));
    let redacted = ok(&allot(&db, &["export", "children"]));
    assert!(!redacted.contains("Hidden Row") && !redacted.contains("BS2 0AB"), "{redacted}");
    let full_path = dir.path().join("full.csv").display().to_string();
    ok(&allot(&db, &["export", "children", "--include-protected", "--output", &full_path]));
    let full = std::fs::read_to_string(&full_path).unwrap();
    assert!(full.contains("\"Flat 2, 9 Hidden Row\""), "{full}");
    assert!(ok(&allot(&db, &["import", "children", &full_path])).contains("0 created, 0 updated, 2 unchanged"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&allot(&db, &["export", "children", "--format", "json"]))).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[1]["withheld"], serde_json::json!(["address", "postcode"]));
    // A redacted export cannot silently wipe the protected address.
    let redacted_path = write(dir.path(), "redacted.csv", &redacted);
    let out = allot(&db, &["import", "children", &redacted_path]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr)
            .contains("redacted.csv:3: address_protected: a protected address needs an address or postcode")
    );
}

async fn migrate_and_verify_report_plainly(db: TestDatabase) {
    assert!(ok(&allot(&db, &["migrate"])).contains("Applied 0001_foundation, 0002_ras"));
    assert!(ok(&allot(&db, &["migrate"])).contains("already up to date"));
    assert!(ok(&allot(&db, &["verify"])).contains("no problems found"));
    let typo = Command::new(env!("CARGO_BIN_EXE_allot"))
        .args(["verify", "--database-url", "sqllite://./typo.db"])
        .output()
        .unwrap();
    assert!(!typo.status.success());
    assert!(text(&typo.stderr).contains("unrecognised database URL scheme 'sqllite'"));
    assert!(!Path::new("./typo.db").exists() && !Path::new("typo.db").exists());
}

async fn the_demo_area_is_the_same_for_the_same_seed(db: TestDatabase) {
    let first = ok(&allot(&db, &["demo", "--children", "400", "--seed", "7", "--no-serve"]));
    assert!(first.contains("400 children"), "{first}");
    let export_one = ok(&allot(&db, &["export", "children", "--include-protected"]));
    // Refreshing replaces the area rather than adding to it.
    ok(&allot(&db, &["demo", "--children", "400", "--seed", "7", "--no-serve"]));
    let export_two = ok(&allot(&db, &["export", "children", "--include-protected"]));
    // The demo children have completed questionnaires: what-if modelling
    // runs over them straight from the database.
    let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/example-children.toml");
    let json: serde_json::Value = serde_json::from_str(&ok(&allot(
        &db,
        &["ras", "simulate", "--from", policy, "--to", policy, "--on", "2026-11-22", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(json["children"], 400);
    assert_eq!(json["total"]["same"], 400, "the same policy changes nothing");
    assert_eq!(json["total"]["old_protected_pence"], json["total"]["new_protected_pence"]);
    assert!(
        json["total"]["old_protected_pence"].as_i64().unwrap() > 400 * 100_000,
        "a believable average of over £1,000 a child: {json}"
    );
    assert_eq!(export_one.lines().count(), 401);
    assert_eq!(export_one, export_two);
    ok(&allot(&db, &["demo", "--children", "400", "--seed", "8", "--no-serve"]));
    assert_ne!(export_one, ok(&allot(&db, &["export", "children", "--include-protected"])));
    assert!(ok(&allot(&db, &["verify"])).contains("no problems found"));
}

async fn serve_answers_on_the_address_it_prints(db: TestDatabase) {
    ok(&allot(&db, &["areas", "add", "E06000001", "Test Council"]));
    /// Stops the server even when an assertion fails.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_allot"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("ALLOT_DATABASE_URL", url(&db))
            .env("ALLOT_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let address = first.split("http://").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let ready = reqwest::get(format!("http://{address}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let list = reqwest::get(format!("http://{address}/api/v1/children")).await.unwrap();
    assert_eq!(list.status(), 401, "children's records need a sign-in");
    let problem: serde_json::Value = list.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/sign-in-needed");
}

async fn delegation_policies_are_checked_and_published_as_versions(db: TestDatabase) {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/example-delegation.toml");
    let checked = ok(&allot(&db, &["delegation", "check", example]));
    assert!(checked.contains("Team manager: plans with up to £5,000.00 a year of council money"), "{checked}");
    assert!(checked.contains("NHS budget lead: any health-stream money"), "{checked}");
    let dir = tempfile::tempdir().unwrap();
    let broken =
        write(dir.path(), "broken.toml", "[[limit]]\nrole = \"provider_staff\"\n[nhs]\nrole = \"nhs_budget_lead\"\n");
    let out = allot(&db, &["delegation", "publish", &broken]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("broken.toml:1"), "{}", text(&out.stderr));
    // The demo publishes version 1; publishing again makes version 2.
    ok(&allot(&db, &["demo", "--children", "60", "--seed", "3", "--no-serve"]));
    let published = ok(&allot(&db, &["delegation", "publish", example]));
    assert!(published.contains("version 2"), "{published}");
}

async fn a_payment_run_writes_a_bacs_file_and_a_journal_and_pays_nothing_twice(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let broken = write(dir.path(), "finance.toml", "[originator]\nservice_user_number = \"12\"\n");
    let out = allot(&db, &["finance", "check", &broken]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("finance.toml:1"), "{}", text(&out.stderr));
    // The demo prepares today's run for its agreed plan.
    ok(&allot(&db, &["demo", "--children", "60", "--seed", "3", "--no-serve"]));
    let runs = ok(&allot(&db, &["payments", "list"]));
    assert!(runs.starts_with("run 1 for ") && runs.contains("Prepared, waiting for release"), "{runs}");
    // Ten weeks on, two or three four-weekly instalments more are due.
    let later = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(70)).unwrap().to_string();
    let folder = dir.path().join("run");
    let args = ["payments", "run", "--date", later.as_str(), "--out", folder.to_str().unwrap()];
    let prepared = ok(&allot(&db, &args));
    assert!(prepared.contains("Prepared payment run 2"), "{prepared}");
    let bacs = std::fs::read_to_string(folder.join(format!("bacs-{later}-run-2.txt"))).unwrap();
    let lines: Vec<&str> = bacs.lines().collect();
    assert!(lines[0].starts_with("UHL1") && lines.last().unwrap().starts_with("UTL1"));
    assert!(lines.iter().all(|l| l.len() == if l.starts_with('U') { 80 } else { 100 }), "{bacs}");
    assert_eq!(&lines[1][0..14], "20000055779911", "the family's confirmed bank details");
    let journal = std::fs::read_to_string(folder.join(format!("journal-{later}-run-2.csv"))).unwrap();
    assert!(journal.starts_with("run,processing_day,transfer_id,"));
    let again = ok(&allot(&db, &args));
    assert!(again.contains("Nothing new is due"), "{again}");
    assert!(ok(&allot(&db, &["verify"])).contains("no problems"));
}

async fn a_statement_is_imported_whole_or_not_at_all_and_once(db: TestDatabase) {
    ok(&allot(&db, &["demo", "--children", "60", "--seed", "3", "--no-serve"]));
    let dir = tempfile::tempdir().unwrap();
    let header = "account,date,amount,description,merchant,transaction_id\n";
    let broken = write(
        dir.path(),
        "broken.csv",
        &format!(
            "{header}WV-0000005,2026-11-02,-14.50,PA wages item-1,A personal assistant,TX-1\n\
             WV-9999999,2026-11-02,-1.00,x,y,TX-2\nWV-0000005,2026-11-31,ten pounds,x,y,TX-3\n\
             WV-8888888,2026-11-02,-1.00,x,y,\n"
        ),
    );
    let out = allot(&db, &["import", "statement", &broken, "--format", "generic"]);
    assert!(!out.status.success());
    let errors = text(&out.stderr);
    for expected in [
        "broken.csv:3: account: no child in this area has the reference WV-9999999",
        "broken.csv:4: date: enter a date like 2026-11-23",
        "broken.csv:4: amount: enter an amount like -12.50",
        // A line with a problem of its own has its reference checked too.
        "broken.csv:5: account: no child in this area has the reference WV-8888888",
        "broken.csv:5: transaction_id: the transaction id is empty",
        "5 problems to correct. Nothing was changed.",
    ] {
        assert!(errors.contains(expected), "{expected} in {errors}");
    }
    let card = write(dir.path(), "card.csv", "Card Holder Reference,Transaction Date,Credit\n");
    let out = allot(&db, &["import", "statement", &card, "--format", "prepaid_card"]);
    assert!(text(&out.stderr).contains("card.csv:1: Debit: this column is missing"), "{}", text(&out.stderr));

    let good = write(
        dir.path(),
        "statement.csv",
        &format!(
            "{header}WV-0000005,2026-11-02,-14.50,PA wages item-1,A personal assistant,TX-1\n\
             WV-0000005,2026-11-03,-20.00,Cinema,Odeon,TX-2\n"
        ),
    );
    let first = ok(&allot(&db, &["import", "statement", &good, "--format", "generic"]));
    assert!(
        first.contains("2 lines; 2 new, 0 seen before (skipped); 1 put against plan items, 1 left for a person"),
        "{first}"
    );
    let again = ok(&allot(&db, &["import", "statement", &good, "--format", "generic"]));
    assert!(again.contains("2 lines; 0 new, 2 seen before (skipped)"), "{again}");
    assert!(ok(&allot(&db, &["verify"])).contains("no problems"));
}

//! `allot ras …` on small files whose results were worked out by hand.

use std::path::Path;
use std::process::{Command, Output};

const POLICY: &str = r#"
[policy]
id = "small"
version = "1"
title = "Small test policy"
effective_from = "2026-04-01"

[[stream]]
id = "social_care"
name = "Social care"
agency = "council"
eligibility_min_points = 10
contingency_percent = "5"
max_reduction_percent = "10"

  [[stream.band]]
  name = "Some support"
  min_points = 10
  max_points = 19
  amount = "10.00"

  [[stream.band]]
  name = "Lots of support"
  min_points = 20
  amount = "20.00"

[[question]]
id = "care"
domain = "Being healthy"
text = "How much help does your child need?"
optional = false

  [[question.option]]
  id = "none"
  label = "No more than other children"
  points = {}

  [[question.option]]
  id = "some"
  label = "Some help"
  points = { social_care = 10 }

  [[question.option]]
  id = "lots"
  label = "Help all the time"
  points = { social_care = 20 }

[[question]]
id = "sibling"
domain = "The family's situation"
text = "Is a brother or sister also disabled?"
optional = true

  [[question.option]]
  id = "yes"
  label = "Yes"
  points = { social_care = 5 }
"#;

const ANSWERS: &str =
    "child_id,date_of_birth,care,sibling\nC1,2015-01-01,some,\nC2,2021-11-22,lots,yes\nC3,2022-06-01,none,\n";
const CURRENT: &str = "child_id,stream_id,annual_amount\nC2,social_care,30.00\nC3,social_care,20\n";

fn allot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_allot")).args(args).env("ALLOT_LOG", "warn").output().expect("run allot")
}

fn files(dir: &Path) -> (String, String, String) {
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        path.display().to_string()
    };
    (write("policy.toml", POLICY), write("answers.csv", ANSWERS), write("current.csv", CURRENT))
}

#[test]
fn evaluate_gives_the_amounts_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (policy, answers, current) = files(dir.path());
    let out = allot(&[
        "ras",
        "evaluate",
        "--policy",
        &policy,
        "--answers",
        &answers,
        "--current",
        &current,
        "--on",
        "2026-11-22",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // C1: 10 points, £10 × 105% = £10.50, rounded half-up to £11.
    // C2: 25 points, £20 × 105% = £21; now £30, at most 10% less: £27.
    // C3: not eligible; now £20, protected at £18.
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "child_id,stream_id,eligible,points,band,base_amount,age_factor,indicative_amount,current_amount,protected_amount\n\
         C1,social_care,true,10,Some support,10.00,1,11.00,,11.00\n\
         C2,social_care,true,25,Lots of support,20.00,1,21.00,30.00,27.00\n\
         C3,social_care,false,0,,,,0.00,20.00,18.00\n"
    );
    let explained = allot(&[
        "ras",
        "evaluate",
        "--policy",
        &policy,
        "--answers",
        &answers,
        "--current",
        &current,
        "--on",
        "2026-11-22",
        "--explain",
        "C2",
    ]);
    let text = String::from_utf8(explained.stdout).unwrap();
    assert!(
        text.contains("25 points is in the band \"Lots of support\" (20 points or more), which gives £20.00 a year."),
        "{text}"
    );
    assert!(text.contains("it will not go below £27.00: your amount is £27.00."), "{text}");
}

#[test]
fn simulate_counts_who_gains_and_loses() {
    let dir = tempfile::tempdir().unwrap();
    let (policy, answers, current) = files(dir.path());
    let raised = dir.path().join("raised.toml");
    std::fs::write(
        &raised,
        POLICY.replace("version = \"1\"", "version = \"2\"").replace("amount = \"10.00\"", "amount = \"12.00\""),
    )
    .unwrap();
    let out = allot(&[
        "ras",
        "simulate",
        "--from",
        &policy,
        "--to",
        raised.to_str().unwrap(),
        "--answers",
        &answers,
        "--current",
        &current,
        "--on",
        "2026-11-22",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Only C1 changes: £12 × 105% = £12.60 → £13, up from £11.
    assert_eq!(json["total"]["old_protected_pence"], 5600);
    assert_eq!(json["total"]["new_protected_pence"], 5800);
    let counts = |s: &serde_json::Value| [s["gain"].as_u64(), s["lose"].as_u64(), s["same"].as_u64()];
    assert_eq!(counts(&json["total"]), [Some(1), Some(0), Some(2)]);
    assert_eq!(json["streams"][0][0], "social_care");
    assert_eq!(counts(&json["streams"][0][1]), [Some(1), Some(0), Some(2)]);
    assert_eq!(json["largest"][0]["child_id"], "C1");
    assert_eq!(json["largest"][0]["change_pence"], 200);
    assert_eq!(json["histogram"][4]["children"], 1, "one child up by less than £1,000");
    let table = allot(&[
        "ras",
        "simulate",
        "--from",
        &policy,
        "--to",
        raised.to_str().unwrap(),
        "--answers",
        &answers,
        "--on",
        "2026-11-22",
    ]);
    assert!(String::from_utf8(table.stdout).unwrap().contains("All streams"));
}

#[test]
fn bad_answers_are_all_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (policy, _, _) = files(dir.path());
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "child_id,date_of_birth,care,sibling\nC1,2015-02-30,some,\nC2,2021-11-22,loads,\nC3,2022-06-01,,yes\nC1,2015-01-01,some,\n").unwrap();
    let output = dir.path().join("results.csv");
    let out = allot(&[
        "ras",
        "evaluate",
        "--policy",
        &policy,
        "--answers",
        bad.to_str().unwrap(),
        "--on",
        "2026-11-22",
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    for expected in [
        "bad.csv:2: date_of_birth: enter a real date",
        "bad.csv:3: care: \"loads\" is not an option (the options are none, some, lots)",
        "bad.csv:4: care: child C3 has no answer, and this question must be answered",
        "bad.csv:5: child_id: C1 appears more than once",
        "4 problems to correct; nothing was used from it",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in\n{err}");
    }
    assert!(!output.exists(), "no results file is written");
}

#[test]
fn check_names_policy_problems_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(
        &path,
        POLICY.replace("min_points = 20", "min_points = 22").replace("social_care = 20", "transport = 20"),
    )
    .unwrap();
    let out = allot(&["ras", "check", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let band_line = POLICY.lines().position(|l| l.contains("name = \"Lots of support\"")).unwrap();
    assert!(
        err.contains(&format!(
            "broken.toml:{band_line}: stream \"social_care\" band \"Lots of support\": min_points is 22"
        )),
        "{err}"
    );
    assert!(err.contains("gives points to \"transport\", which is not a stream of this policy"), "{err}");
    let ok = allot(&["ras", "check", concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/example-children.toml")]);
    assert!(ok.status.success());
    assert!(String::from_utf8(ok.stdout).unwrap().contains("18 questions (2 optional)"));
}

#[test]
fn calibrate_writes_a_policy_fitted_to_costs() {
    let dir = tempfile::tempdir().unwrap();
    let (policy, answers, _) = files(dir.path());
    // C1 (lower band) costs £105, C2 (upper band) £42: pooled, both bands get
    // (£100 + £40) / 2 = £70 once the 5% contingency is taken out.
    let costs = dir.path().join("costs.csv");
    std::fs::write(&costs, "child_id,stream_id,annual_amount\nC1,social_care,105.00\nC2,social_care,42.00\n").unwrap();
    let proposed = dir.path().join("proposed.toml");
    let out = allot(&[
        "ras",
        "calibrate",
        "--policy",
        &policy,
        "--answers",
        &answers,
        "--costs",
        costs.to_str().unwrap(),
        "--on",
        "2026-11-22",
        "--output",
        proposed.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("Stream social_care: 2 children with a cost"), "{report}");
    let text = std::fs::read_to_string(&proposed).unwrap();
    assert_eq!(text.matches("amount = \"70.00\"").count(), 2, "{text}");
    assert!(allot(&["ras", "check", proposed.to_str().unwrap()]).status.success());
}

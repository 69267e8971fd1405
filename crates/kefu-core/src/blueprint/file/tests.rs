use super::*;
use crate::blueprint::tests::{sample, step};

/// The (line, code) of every error, and each message's naming of what was wrong.
fn errs(src: &str) -> Vec<(usize, &'static str)> {
    match parse(src) {
        Ok(_) => vec![],
        Err(e) => {
            for x in &e {
                assert!(!x.message.is_empty() && !x.message_zh.is_empty(), "{x:?}");
                assert_eq!(x.to_string(), format!("line {}: {}", x.line, x.message));
            }
            e.into_iter().map(|e| (e.line, e.code)).collect()
        }
    }
}

fn messages(src: &str) -> Vec<String> {
    parse(src).unwrap_err().into_iter().map(|e| e.to_string()).collect()
}

const GOOD: &str = r#"slug = "s"
name = "S"

[[step]]
id = "a"
title = "A"
lane = "customer_actions"
order = 1
next = ["b"]

[[step]]
id = "b"
title = "B"
lane = "onstage"
order = 2
"#;

#[test]
fn the_examples_are_canonical_and_valid() {
    for ex in [EXAMPLE_REPAIR, EXAMPLE_INSTALLATION] {
        let bp = parse(ex).unwrap_or_else(|e| panic!("{e:?}"));
        bp.check().unwrap();
        assert_eq!(write(&bp), ex, "the example file is written canonically");
        assert_eq!(write(&parse(&write(&bp)).unwrap()), write(&bp));
        assert!(bp.steps.iter().any(|s| s.touchpoint));
        assert!(bp.steps.iter().any(|s| s.failure_point));
        assert!(bp.steps.iter().all(|s| s.title_zh.is_some()));
        assert!(bp.name_zh.is_some());
        for lane in Lane::ALL {
            assert!(bp.steps.iter().any(|s| s.lane == lane), "{lane} in {}", bp.slug);
        }
    }
    let repair = parse(EXAMPLE_REPAIR).unwrap();
    assert_eq!(repair.slug, "after-sale-repair");
    let ids: Vec<&str> = repair.steps.iter().map(|s| s.id.as_str()).collect();
    for id in [
        "report",
        "dispatch",
        "arrive",
        "diagnose",
        "repair",
        "test-run",
        "pay",
        "follow-up",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    assert_eq!(parse(EXAMPLE_INSTALLATION).unwrap().slug, "installation");
}

#[test]
fn the_round_trip_keeps_everything_but_the_step_order() {
    let mut bp = sample();
    bp.name = "A \"quoted\" \\ name with <script>&'".into();
    bp.steps[0].title = "Tab\tnew\nline \u{7f} \u{1} 中文 \u{1F600}".into();
    bp.steps[0].order = -3;
    bp.steps[1].checklist.push("\"\"\"".into());
    bp.steps[2].failure_point = true;
    bp.steps.push(step("pe", Lane::PhysicalEvidence, 100));
    let text = write(&bp);
    assert!(text.contains("中文"), "Chinese is kept as UTF-8");
    assert!(!text.contains("\\u4E2D"));
    let back = parse_unchecked(&text);
    let mut want = bp.steps.clone();
    want.sort_by(|a, b| (a.lane, a.order, &a.id).cmp(&(b.lane, b.order, &b.id)));
    assert_eq!(back.steps, want);
    assert_eq!(
        (back.slug.as_str(), back.name.as_str()),
        (bp.slug.as_str(), bp.name.as_str())
    );
    assert_eq!(back.name_zh, bp.name_zh);
    assert_eq!(write(&back), text);
}

/// The blueprint the file holds, for texts [`parse`] refuses only for the rules (control
/// characters): checks the writer's escaping, not the rules.
fn parse_unchecked(text: &str) -> Blueprint {
    let (root, errors) = DeTable::parse_recoverable(text);
    assert!(errors.is_empty(), "{errors:?}");
    let mut r = Reader {
        line_starts: vec![0],
        errors: vec![],
        skip: BTreeSet::new(),
    };
    let (bp, _) = r.blueprint(root.get_ref());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    bp
}

#[test]
fn the_writer_leaves_out_what_is_empty() {
    let mut bp = sample();
    bp.name_zh = None;
    let text = write(&bp);
    assert!(
        text.starts_with("slug = \"sample\"\nname = \"Sample\"\n\n[[step]]\nid = \"a\"\n"),
        "{text}"
    );
    assert!(!text.contains("name_zh"));
    assert_eq!(text.matches("[[step]]").count(), 3);
    assert_eq!(text.matches("touchpoint = true").count(), 1);
    assert_eq!(text.matches("failure_point").count(), 1);
    assert_eq!(text.matches("checklist").count(), 1);
    assert_eq!(text.matches("next").count(), 2);
    assert!(!text.contains("false"));
    assert!(text.contains(
        "[[step]]\nid = \"b\"\ntitle = \"Step b\"\ntitle_zh = \"接待\"\nlane = \"onstage\"\norder = 2\nfailure_point = true\nstandard_minutes = 5\nchecklist = [\n    \"Smile\",\n    \"核对地址\",\n]\ndimension = \"responsiveness\"\nnext = [\"c\"]\n"
    ), "{text}");
    assert_eq!(parse(&text).unwrap().steps.len(), 3);
}

#[test]
fn a_good_file_reads() {
    let bp = parse(GOOD).unwrap();
    assert_eq!(bp.steps.len(), 2);
    assert_eq!(bp.steps[0].next, ["b"]);
    assert_eq!(bp.steps[1].lane, Lane::Onstage);
    assert_eq!(bp.name_zh, None);
    // A byte-order mark, CRLF line ends, other integer spellings, inline tables.
    let crlf = format!(
        "\u{feff}{}",
        GOOD.replace('\n', "\r\n").replace("order = 2", "order = 0x10")
    );
    let bp2 = parse(&crlf).unwrap();
    assert_eq!(bp2.steps[1].order, 16);
    let inline =
        "slug = \"s\"\nname = \"S\"\nstep = [{ id = \"a\", title = \"A\", lane = \"support\", order = -1_000 }]\n";
    assert_eq!(parse(inline).unwrap().steps[0].order, -1000);
}

#[test]
fn syntax_errors_name_their_line() {
    assert_eq!(errs("slug = \"s\"\nname = \"S\n"), [(2, "toml_syntax")]);
    assert_eq!(errs("slug = \"s\"\nname = \n"), [(2, "toml_syntax")]);
    let dup = GOOD.replace("title = \"B\"", "title = \"B\"\ntitle = \"C\"");
    assert_eq!(errs(&dup), [(14, "toml_syntax")]);
    assert!(messages(&dup)[0].contains("duplicate key"), "{:?}", messages(&dup));
    let two = format!("{GOOD}[[step]\nx = = 1\n");
    let e = errs(&two);
    assert!(
        e.iter().all(|e| e.1 == "toml_syntax") && e.iter().any(|e| e.0 == 17),
        "{e:?}"
    );
    assert!(parse("\u{0}").is_err());
}

#[test]
fn a_file_over_the_limit_is_refused_at_line_1() {
    let big = format!("{GOOD}#{}\n", "x".repeat(MAX_FILE_BYTES));
    let e = parse(&big).unwrap_err();
    assert_eq!((e.len(), e[0].line, e[0].code), (1, 1, "file_too_large"));
    assert!(e[0].message.contains("256 KiB"), "{}", e[0].message);
    let at_limit = format!("{GOOD}#{}\n", "x".repeat(MAX_FILE_BYTES - GOOD.len() - 2));
    assert_eq!(at_limit.len(), MAX_FILE_BYTES);
    assert!(parse(&at_limit).is_ok());
}

#[test]
fn unknown_keys_are_named() {
    let src = GOOD.replace("name = \"S\"", "name = \"S\"\ncolour = \"red\"\n[meta]\nx = 1");
    assert_eq!(errs(&src), [(3, "unknown_key"), (4, "unknown_key")]);
    let m = messages(&src);
    assert!(m[0].contains("\"colour\"") && m[1].contains("\"meta\""), "{m:?}");
    let src = GOOD.replace("order = 2", "order = 2\nowner = \"x\"");
    assert_eq!(errs(&src), [(16, "unknown_key")]);
    assert!(messages(&src)[0].contains("\"owner\""));
    let src = format!("{GOOD}[step.extra]\nx = 1\n");
    assert_eq!(errs(&src), [(16, "unknown_key")]);
}

#[test]
fn wrong_types_are_reported_once() {
    let cases = [
        ("slug = \"s\"", "slug = 5", 1),
        ("name = \"S\"", "name = [\"S\"]", 2),
        ("title = \"A\"", "title = 1", 6),
        ("order = 1", "order = 1.5", 8),
        ("order = 1", "order = \"1\"", 8),
        ("next = [\"b\"]", "next = \"b\"", 9),
        ("next = [\"b\"]", "next = [\"b\", 3]", 9),
        ("lane = \"customer_actions\"", "lane = true", 7),
        ("order = 2", "order = 2\ntouchpoint = \"yes\"", 16),
        ("order = 2", "order = 2\nfailure_point = 1", 16),
        ("order = 2", "order = 2\nstandard_minutes = \"5\"", 16),
        ("order = 2", "order = 2\nchecklist = \"x\"", 16),
        ("order = 2", "order = 2\nchecklist = [\n  \"x\",\n  2,\n]", 18),
        ("order = 2", "order = 2\ndimension = 1", 16),
        ("order = 2", "order = 2\ntitle_zh = 1979-05-27", 16),
        ("name = \"S\"", "name = \"S\"\nname_zh = {}", 3),
    ];
    for (from, to, line) in cases {
        let src = GOOD.replacen(from, to, 1);
        assert_eq!(errs(&src), [(line, "wrong_type")], "{to}");
    }
    let src = GOOD.replace("[[step]]\nid = \"b\"", "[step]\nid = \"b\"").replace(
        "[[step]]\nid = \"a\"\ntitle = \"A\"\nlane = \"customer_actions\"\norder = 1\nnext = [\"b\"]\n",
        "",
    );
    assert_eq!(errs(&src), [(5, "wrong_type")], "[step] is one table, not a list");
    let src = "slug = \"s\"\nname = \"S\"\nstep = [1]\n";
    assert_eq!(errs(src), [(3, "wrong_type"), (3, "required")]);
}

#[test]
fn lanes_are_checked() {
    let src = GOOD.replace("lane = \"onstage\"", "lane = \"front\"");
    assert_eq!(errs(&src), [(14, "unknown_lane")]);
    assert!(messages(&src)[0].contains("\"front\""));
    let src = GOOD.replace("lane = \"onstage\"\n", "");
    assert_eq!(errs(&src), [(11, "required")]);
    assert!(messages(&src)[0].contains("no lane"), "{:?}", messages(&src));
}

#[test]
fn missing_keys_name_the_step_header() {
    let src = GOOD
        .replace("id = \"b\"\ntitle = \"B\"\n", "")
        .replace("next = [\"b\"]\n", "");
    assert_eq!(errs(&src), [(10, "required"), (10, "required")]);
    let src = GOOD.replace("order = 1\n", "");
    assert_eq!(errs(&src), [(4, "required")]);
    let src = GOOD.replace("slug = \"s\"\n", "");
    assert_eq!(errs(&src), [(1, "required")]);
    assert_eq!(errs("slug = \"s\"\nname = \"S\"\n"), [(1, "required")]);
    assert!(messages("slug = \"s\"\nname = \"S\"\n")[0].contains("at least one step"));
    assert_eq!(errs(""), [(1, "required"), (1, "required"), (1, "required")]);
}

#[test]
fn duplicate_ids_name_the_second() {
    let src = GOOD.replace("id = \"b\"", "id = \"a\"");
    // b is gone, so a's arrow dangles too.
    assert_eq!(errs(&src), [(9, "unknown_next"), (12, "duplicate")]);
}

#[test]
fn dangling_arrows_name_their_line() {
    let src = GOOD.replace("next = [\"b\"]", "next = [\"b\", \"zz\"]");
    assert_eq!(errs(&src), [(9, "unknown_next")]);
    assert!(messages(&src)[0].contains("\"zz\""));
    let src = GOOD.replace("next = [\"b\"]", "next = [\n  \"b\",\n  \"a\",\n  \"b\",\n  \"q\",\n]");
    assert_eq!(errs(&src), [(11, "self_loop"), (12, "duplicate"), (13, "unknown_next")]);
}

#[test]
fn every_rule_names_its_line() {
    let cases = [
        ("slug = \"s\"", "slug = \"Bad Slug\"", 1, "invalid_slug"),
        ("name = \"S\"", "name = \"\"", 2, "required"),
        ("name = \"S\"", "name = \"S\"\nname_zh = \" \"", 3, "required"),
        ("title = \"B\"", "title = \"\"", 13, "required"),
        ("title = \"B\"", "title = \"B\\nC\"", 13, "control_chars"),
        ("title = \"B\"", "title = \"B\"\ntitle_zh = \"\"", 14, "required"),
        ("order = 2", "order = 2\ndimension = \"speed\"", 16, "unknown_dimension"),
        ("order = 2", "order = 2\nstandard_minutes = 0", 16, "out_of_range"),
        ("order = 2", "order = 2\nstandard_minutes = -5", 16, "out_of_range"),
        ("order = 2", "order = 2\nstandard_minutes = 525601", 16, "out_of_range"),
        (
            "order = 2",
            "order = 2\nstandard_minutes = 99999999999",
            16,
            "out_of_range",
        ),
        ("order = 2", "order = 2\nchecklist = [\"ok\", \"\"]", 16, "required"),
        (
            "order = 2",
            "order = 2\nchecklist = [\n\"ok\",\n\n\"\",\n]",
            19,
            "required",
        ),
    ];
    for (from, to, line, code) in cases {
        let src = GOOD.replacen(from, to, 1);
        assert_eq!(errs(&src), [(line, code)], "{to}");
    }
    let src = GOOD
        .replace("next = [\"b\"]\n", "")
        .replace("id = \"b\"", "id = \"b b\"");
    assert_eq!(errs(&src), [(11, "invalid_step_id")]);
    let long = format!("[{}]", vec!["\"x\""; 51].join(", "));
    let src = GOOD.replace("order = 2", &format!("order = 2\nchecklist = {long}"));
    assert_eq!(errs(&src), [(16, "too_many")]);
    let src = GOOD.replace("title = \"A\"", &format!("title = \"{}\"", "长".repeat(201)));
    assert_eq!(errs(&src), [(6, "too_long")]);
}

#[test]
fn too_many_steps_names_the_first_one_over() {
    let mut src = String::from("slug = \"s\"\nname = \"S\"\n");
    for i in 0..=STEPS_MAX {
        src.push_str(&format!(
            "[[step]]\nid = \"s{i}\"\ntitle = \"T\"\nlane = \"support\"\norder = {i}\n"
        ));
    }
    assert_eq!(errs(&src), [(3 + 5 * STEPS_MAX, "too_many")]);
}

#[test]
fn every_error_is_collected_in_line_order() {
    let src = r#"slug = "Bad"
name = "S"
colour = 1

[[step]]
id = "a"
title = "A"
lane = "nowhere"
order = 1
next = ["ghost"]
dimension = "speed"

[[step]]
id = "a"
title = 7
lane = "onstage"
order = 2
wat = 1
"#;
    assert_eq!(
        errs(src),
        [
            (1, "invalid_slug"),
            (3, "unknown_key"),
            (8, "unknown_lane"),
            (10, "unknown_next"),
            (11, "unknown_dimension"),
            (14, "duplicate"),
            (15, "wrong_type"),
            (18, "unknown_key"),
        ]
    );
    let e = parse(src).unwrap_err();
    assert!(e[2].message_zh.contains("未知的泳道"), "{:?}", e[2]);
    assert_eq!(e[2].text(Language::ZhCn), e[2].message_zh);
    assert_eq!(e[2].text(Language::En), e[2].message);
}

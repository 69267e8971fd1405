//! `Surveys`: the story of a survey, from its items in the bank through links, partial and final
//! answers and imported ones to its statistics, their rebuild, and a campaign's runs.

use super::*;
use kefu_core::customer::CustomerKind;

const DAY: i64 = 86_400_000;

/// The statistics the story keeps: an accumulator that is just the count of answers folded.
fn counted(old: Option<&str>, by: usize) -> Result<(String, i64), String> {
    let n = old.map_or(Ok(0), |a| a.parse::<i64>().map_err(|e| e.to_string()))? + by as i64;
    Ok((n.to_string(), n))
}

pub(super) fn link(survey_id: i64, token_hash: &str, customer_id: Option<i64>, expires_at: Millis) -> NewSurveyLink {
    NewSurveyLink {
        survey_id,
        token_hash: token_hash.into(),
        customer_id,
        contact_id: None,
        ticket_id: None,
        language: "zh-CN".into(),
        expires_at,
        now: T0,
        campaign_id: None,
        user_id: None,
    }
}

fn answer(link_id: i64, comment: &str, now: Millis) -> ResponseWrite {
    ResponseWrite {
        link_id,
        answers: r#"{"q1": 6, "q2": 7}"#.into(),
        comment: comment.into(),
        segment: r#"{"tier": "A"}"#.into(),
        now,
    }
}

/// Counts the answers a rebuild is fed, per (segment, period) the story uses.
struct Recount(i64);
impl StatsBuilder for Recount {
    fn add(&mut self, _r: &SurveyResponse) -> Result<(), String> {
        self.0 += 1;
        Ok(())
    }
    fn finish(&mut self) -> Result<Vec<StatsRow>, String> {
        Ok(vec![StatsRow {
            segment: "all".into(),
            period: "2026-01".into(),
            accumulator: Some(self.0.to_string()),
            n: self.0,
        }])
    }
}

/// A manager adds a dimension and two items to the bank and asks them in a survey; customers get
/// links, save a partial answer, submit final ones (singly and in a batch) that fold into the
/// statistics once each; answered, opted-out and expired links take nothing; answers imported
/// from a file merge in, and a rebuild recounts them all.
pub async fn survey_story_links_answers_and_statistics(s: DynStore) {
    let dimension = s
        .add_survey_dimension(NewDimension {
            code: "conformance".into(),
            name_zh: "一致性".into(),
            name_en: "Conformance".into(),
            description_zh: String::new(),
            description_en: String::new(),
            now: T0,
        })
        .await
        .unwrap();
    assert!(s.survey_dimensions().await.unwrap().contains(&dimension));
    let item = |code: &str| NewBankItem {
        code: code.into(),
        dimension: "conformance".into(),
        expectation_zh: format!("{code} 期望"),
        expectation_en: format!("{code} expected"),
        perception_zh: format!("{code} 感知"),
        perception_en: format!("{code} perceived"),
        now: T0,
    };
    let q1 = s.add_bank_item(item("conf.q1")).await.unwrap();
    let q2 = s.add_bank_item(item("conf.q2")).await.unwrap();
    assert_eq!((q1.dimension.as_str(), q1.code.as_str()), ("conformance", "conf.q1"));
    assert!(matches!(
        s.add_bank_item(item("conf.q1")).await,
        Err(StoreError::Conflict { .. })
    ));
    let unknown = NewBankItem {
        dimension: "nowhere".into(),
        ..item("conf.q3")
    };
    assert!(matches!(s.add_bank_item(unknown).await, Err(StoreError::Refused(_))));
    let bank = s.bank_items().await.unwrap();
    assert!(bank.contains(&q1) && bank.contains(&q2));

    let survey = s
        .create_survey(NewSurvey {
            slug: Some("conformance".into()),
            kind: kefu_core::SurveyKind::Servperf,
            title: "售后服务满意度".into(),
            language: "zh-CN".into(),
            weights: None,
            importance: false,
            overall: true,
            comment: true,
            competitor: None,
            status: "open".into(),
            created_by: None,
            items: vec![q2.id, q1.id],
            now: T0,
        })
        .await
        .unwrap();
    assert_eq!(s.get_survey(survey.id).await.unwrap(), survey);
    assert_eq!(s.survey_by_slug("conformance").await.unwrap().id, survey.id);
    let asked: Vec<String> = s
        .survey_items(survey.id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.code)
        .collect();
    assert_eq!(
        asked,
        vec!["conf.q2".to_owned(), "conf.q1".to_owned()],
        "in the order asked"
    );

    let shop = add_customer(&s, "门店", CustomerKind::End, None).await;
    let week = T0 + 7 * DAY;
    let links = s
        .create_survey_links(&[
            link(survey.id, "hash-1", Some(shop.id), week),
            link(survey.id, "hash-2", None, week),
            link(survey.id, "hash-3", None, week),
            link(survey.id, "hash-4", None, T0 + DAY),
        ])
        .await
        .unwrap();
    let (l1, l2, l3, l4) = (links[0].clone(), links[1].clone(), links[2].clone(), links[3].clone());
    assert_eq!(s.survey_link_by_token("hash-1").await.unwrap(), l1);
    assert_eq!(s.get_survey_link(l2.id).await.unwrap(), l2);
    assert!(matches!(
        s.survey_link_by_token("nobody").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.recently_surveyed(T0).await.unwrap(), vec![shop.id]);

    // A partial answer is kept, replaced, and becomes final once.
    let partial = s.save_partial_response(answer(l1.id, "", T0 + 1)).await.unwrap();
    assert!(partial.partial);
    let again = s.save_partial_response(answer(l1.id, "还在填", T0 + 2)).await.unwrap();
    assert_eq!((again.id, again.comment.as_str()), (partial.id, "还在填"));
    assert_eq!(s.survey_response_of(l1.id).await.unwrap(), Some(again));
    assert_eq!(s.survey_response_of(l2.id).await.unwrap(), None);
    let keys = vec![
        ("all".to_owned(), "2026-01".to_owned()),
        ("tier:A".to_owned(), "2026-01".to_owned()),
    ];
    let fold_one = |old: Option<&str>| counted(old, 1);
    let first = s
        .submit_final_response(answer(l1.id, "师傅很专业", T0 + 3), &keys, &fold_one)
        .await
        .unwrap();
    assert!(!first.partial);
    assert_eq!(s.get_survey_link(l1.id).await.unwrap().answered_at, Some(T0 + 3));
    let twice = s
        .submit_final_response(answer(l1.id, "", T0 + 4), &keys, &fold_one)
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict { .. })), "{twice:?}");
    let late = s.save_partial_response(answer(l1.id, "", T0 + 4)).await;
    assert!(matches!(late, Err(StoreError::Conflict { .. })), "{late:?}");

    // A batch: each answer has its own outcome; those taken fold in together.
    let opted = s.opt_out_survey_link(l3.id, T0 + 5).await.unwrap();
    assert_eq!(opted.opted_out_at, Some(T0 + 5));
    assert_eq!(
        s.opt_out_survey_link(l3.id, T0 + 6).await.unwrap().opted_out_at,
        Some(T0 + 5)
    );
    let batch = vec![
        FinalAnswer {
            write: answer(l2.id, "", T0 + 10),
            keys: vec![keys[0].clone()],
        },
        FinalAnswer {
            write: answer(l1.id, "", T0 + 10),
            keys: keys.clone(),
        },
        FinalAnswer {
            write: answer(l3.id, "", T0 + 10),
            keys: keys.clone(),
        },
        FinalAnswer {
            write: answer(l4.id, "", T0 + 2 * DAY),
            keys: keys.clone(),
        },
    ];
    let fold_many = |_: i64, _: &str, _: &str, old: Option<&str>, answers: &[usize]| counted(old, answers.len());
    let outcomes = s.submit_final_responses(&batch, &fold_many).await.unwrap();
    assert_eq!(outcomes.len(), 4);
    assert!(
        outcomes[0]
            .as_ref()
            .is_ok_and(|r| r.link_id == Some(l2.id) && !r.partial)
    );
    for (n, outcome) in outcomes.iter().enumerate().skip(1) {
        assert!(
            matches!(outcome, Err(StoreError::Conflict { .. })),
            "answer {n}: {outcome:?}"
        );
    }
    let row = |segment: &str, n: i64| StatsRow {
        segment: segment.into(),
        period: "2026-01".into(),
        accumulator: Some(n.to_string()),
        n,
    };
    assert_eq!(
        s.survey_stats(survey.id, "all", None, None).await.unwrap(),
        vec![row("all", 2)]
    );
    assert_eq!(
        s.survey_stats(survey.id, "tier:A", None, None).await.unwrap(),
        vec![row("tier:A", 1)]
    );
    // Several segments in one read: each segment's rows, by segment, unknown ones absent.
    let segments = ["tier:A".to_owned(), "all".to_owned(), "tier:Z".to_owned()];
    assert_eq!(
        s.survey_stats_each(survey.id, &segments, None, None).await.unwrap(),
        vec![row("all", 2), row("tier:A", 1)]
    );
    assert!(
        (s.survey_stats_each(survey.id, &segments, Some("2026-02"), None)
            .await
            .unwrap())
        .is_empty()
    );
    assert!(
        s.survey_stats_each(survey.id, &[], None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.survey_stats(survey.id, "all", Some("2026-02"), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.survey_stats(survey.id, "all", None, Some("2026-01"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.survey_segments(survey.id).await.unwrap(),
        vec!["all".to_owned(), "tier:A".to_owned()]
    );
    let finals = s.final_responses(survey.id).await.unwrap();
    assert_eq!(
        finals.iter().map(|r| r.link_id).collect::<Vec<_>>(),
        vec![Some(l1.id), Some(l2.id)]
    );
    assert_eq!(
        s.survey_comments(survey.id, 10).await.unwrap(),
        vec![("师傅很专业".to_owned(), T0 + 3)]
    );
    assert_eq!(s.commented_answers(survey.id, 10).await.unwrap().len(), 1);
    let listed = s.list_surveys().await.unwrap();
    assert!(listed.contains(&(survey.clone(), 2)), "{listed:?}");
    let answered = s.surveys_answered().await.unwrap();
    assert!(answered.contains(&(survey.clone(), true)), "{answered:?}");

    // Answers from a file merge into the statistics; a respondent comes once.
    let imported = ImportedResponse {
        respondent: "R-001".into(),
        answers: r#"{"q1": 5, "q2": 5}"#.into(),
        comment: String::new(),
        segment: "{}".into(),
        at: T0 + 20,
    };
    let merge = |_: &str, _: &str, old: Option<&str>| counted(old, 1);
    let n = s
        .import_survey_responses(survey.id, std::slice::from_ref(&imported), &keys[..1], &merge, T0 + 20)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(s.survey_respondents(survey.id).await.unwrap(), vec!["R-001".to_owned()]);
    assert_eq!(
        s.survey_stats(survey.id, "all", None, None).await.unwrap(),
        vec![row("all", 3)]
    );
    let twice = s
        .import_survey_responses(survey.id, &[imported], &keys[..1], &merge, T0 + 21)
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict { .. })), "{twice:?}");
    assert_eq!(
        s.survey_stats(survey.id, "all", None, None).await.unwrap(),
        vec![row("all", 3)]
    );

    // A rebuild reads every final answer and replaces the survey's statistics.
    let mut recount = Recount(0);
    assert_eq!(
        s.rebuild_survey_stats(survey.id, &mut recount, T0 + 30).await.unwrap(),
        3
    );
    assert_eq!(
        s.survey_stats(survey.id, "all", None, None).await.unwrap(),
        vec![row("all", 3)]
    );
    assert!(
        s.survey_stats(survey.id, "tier:A", None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.survey_segments(survey.id).await.unwrap(), vec!["all".to_owned()]);
}

/// A campaign samples the customer frame: each run counts up and makes its links, which list with
/// whom they are for; opting out is remembered for later frames.
pub async fn survey_story_campaign_runs(s: DynStore) {
    let survey = add_nps_survey(&s).await;
    assert_eq!(survey.slug, format!("survey-{}", survey.id));
    // Not answered yet.
    assert!(s.surveys_answered().await.unwrap().contains(&(survey.clone(), false)));
    let a = add_customer(&s, "甲店", CustomerKind::End, None).await;
    let b = add_customer(&s, "乙店", CustomerKind::End, None).await;
    let frame: Vec<i64> = s
        .campaign_frame()
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.customer_id)
        .collect();
    assert_eq!(frame, vec![a.id, b.id]);
    let campaign = s
        .create_campaign(NewCampaign {
            survey_id: survey.id,
            name: "一月回访".into(),
            frame: "{}".into(),
            sample_size: Some(2),
            margin: None,
            response_rate: 0.5,
            seed: 7,
            fatigue_days: 30,
            expires_in_days: 14,
            recurrence: "monthly".into(),
            invite_by_email: false,
            created_by: None,
            now: T0,
        })
        .await
        .unwrap();
    assert_eq!((campaign.runs, campaign.status.as_str()), (0, "active"));
    assert_eq!(s.get_campaign(campaign.id).await.unwrap(), campaign);
    assert_eq!(s.list_campaigns(Some(survey.id)).await.unwrap(), vec![campaign.clone()]);
    assert!(s.list_campaigns(Some(survey.id + 1000)).await.unwrap().is_empty());
    let run_link = |customer: i64, hash: &str| NewSurveyLink {
        campaign_id: Some(campaign.id),
        ..link(survey.id, hash, Some(customer), T0 + 14 * DAY)
    };
    let (run, links) = s
        .record_campaign_run(campaign.id, &[run_link(a.id, "c-1"), run_link(b.id, "c-2")], T0 + 1)
        .await
        .unwrap();
    assert_eq!((run, links.len()), (1, 2));
    assert!(
        links
            .iter()
            .all(|l| l.campaign_id == Some(campaign.id) && l.run == Some(1))
    );
    let (second, _) = s
        .record_campaign_run(campaign.id, &[run_link(a.id, "c-3")], T0 + DAY)
        .await
        .unwrap();
    assert_eq!(second, 2);
    let ran = s.get_campaign(campaign.id).await.unwrap();
    assert_eq!((ran.runs, ran.last_run_at), (2, Some(T0 + DAY)));
    let first_run = s.campaign_links(campaign.id, Some(1)).await.unwrap();
    let listed: Vec<(Option<String>, Option<String>)> = first_run
        .iter()
        .map(|l| (l.token.clone(), l.customer_name.clone()))
        .collect();
    assert_eq!(
        listed,
        vec![(None, Some("甲店".into())), (None, Some("乙店".into()))],
        "no plain token is kept"
    );
    // A re-issue changes the hash of an open link: the old one no longer finds it.
    let reissued = s
        .reissue_survey_links(&[(first_run[0].link.id, "c-1-new".into())])
        .await
        .unwrap();
    assert_eq!(reissued, 1);
    assert!(matches!(s.survey_link_by_token("c-1").await, Err(StoreError::NotFound)));
    assert_eq!(
        s.survey_link_by_token("c-1-new").await.unwrap().id,
        first_run[0].link.id
    );
    assert_eq!(s.campaign_links(campaign.id, None).await.unwrap().len(), 3);
    let missing = s.record_campaign_run(campaign.id + 1000, &[], T0).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    let paused = s.set_campaign_status(campaign.id, "paused", T0 + 2).await.unwrap();
    assert_eq!(paused.status, "paused");
    let mut recent = s.recently_surveyed(T0).await.unwrap();
    recent.sort_unstable();
    assert_eq!(recent, vec![a.id, b.id]);
    assert!(s.opted_out_customers().await.unwrap().is_empty());
    s.opt_out_survey_link(links[1].id, T0 + 3).await.unwrap();
    assert_eq!(s.opted_out_customers().await.unwrap(), vec![b.id]);
}

//! Each kind's primary survey (docs/surveys.md#primary-surveys), on both databases: by default the
//! newest of the kind with answers; a manager's pick moves the dashboard's headline, an agent's
//! rating and the gap page's default to it, audited; unpicked, the default returns. A survey
//! kind without a headline cannot be picked, and agents may not pick.

mod common;

use kefu_app::dashboard::Period;
use kefu_app::surveys::SurveyInput;
use kefu_app::{Actor, App, AppError};
use kefu_core::Role;
use kefu_core::survey::SurveyKind;

#[tokio::test]
async fn primary_survey_on_sqlite() {
    common::on_sqlite(2, |app| async move { primary_survey(app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_survey_on_postgres() {
    common::on_postgres(4, |app| async move { primary_survey(app).await }).await;
}

async fn survey(app: &App, kind: &str, slug: &str) -> i64 {
    let input = SurveyInput {
        slug: Some(slug.into()),
        kind: kind.into(),
        title: slug.into(),
        ..Default::default()
    };
    app.create_survey(&Actor::Cli, input).await.unwrap().survey.id
}

/// The survey the dashboard's CSAT headline reads, if any.
async fn headline_csat(app: &App) -> Option<i64> {
    let period = app.default_period().await;
    let d = app.manager_dashboard(&Actor::Cli, period, "all").await.unwrap();
    (d.quality.iter())
        .map(|h| &h.report.view.survey)
        .find(|s| s.kind == SurveyKind::Csat)
        .map(|s| s.id)
}

async fn primary_survey(app: App) {
    let manager = common::actor(&app, Role::Manager).await;
    let agent = common::actor(&app, Role::Agent).await;
    let customer = common::end_customer(&app, "王芳").await;
    let older = survey(&app, "csat", "csat-spring").await;
    let newer = survey(&app, "csat", "csat-autumn").await;
    let custom = survey(&app, "custom", "custom-items").await;
    assert_eq!(app.primary_survey(SurveyKind::Csat).await.unwrap(), None);
    assert_eq!(headline_csat(&app).await, None);

    // Only the older one has answers: it is primary. Once the newer has some, the newer is.
    common::answer_by_link(&app, older, customer.id, None, 5).await;
    assert_eq!(headline_csat(&app).await, Some(older));
    assert_eq!(app.primary_state(&manager, older).await.unwrap(), (true, false));
    common::answer_by_link(&app, newer, customer.id, None, 2).await;
    assert_eq!(headline_csat(&app).await, Some(newer));
    assert_eq!(app.primary_state(&manager, older).await.unwrap(), (false, false));

    // The manager picks the older one: the headline and the default reads follow, audited.
    app.set_primary_survey(&manager, older, true).await.unwrap();
    assert_eq!(headline_csat(&app).await, Some(older));
    assert_eq!(
        app.primary_survey(SurveyKind::Csat).await.unwrap().map(|s| s.id),
        Some(older)
    );
    assert_eq!(app.primary_state(&manager, older).await.unwrap(), (true, true));
    assert_eq!(app.primary_state(&manager, newer).await.unwrap(), (false, false));
    let period = Period::parse("2000-01-01", "2100-12-31").unwrap();
    let csat = app.manager_dashboard(&Actor::Cli, period, "all").await.unwrap();
    let h = (csat.quality.iter())
        .find(|h| h.report.view.survey.kind == SurveyKind::Csat)
        .unwrap();
    assert_eq!(h.report.n_responses, 1, "the older survey's one answer");
    let audit = app.audit_log(&Actor::Cli, i64::MAX, 50).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "survey.primary.set" && a.target == format!("survey:{older}")),
        "{audit:?}"
    );

    // Unpicking the newer one (not picked) changes nothing; unpicking the older one brings the
    // default back.
    app.set_primary_survey(&manager, newer, false).await.unwrap();
    assert_eq!(headline_csat(&app).await, Some(older));
    app.set_primary_survey(&manager, older, false).await.unwrap();
    assert_eq!(headline_csat(&app).await, Some(newer));

    // Refused, changing nothing: a kind without a headline, an agent, a survey that does not exist.
    match app.set_primary_survey(&manager, custom, true).await {
        Err(AppError::Invalid(i)) => assert_eq!(i.errors[0].field, "survey"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        app.set_primary_survey(&agent, older, true).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app.set_primary_survey(&manager, 999_999, true).await,
        Err(AppError::NotFound)
    ));
    assert_eq!(headline_csat(&app).await, Some(newer));
}

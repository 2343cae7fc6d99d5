//! Tests of the charts as a reader and a browser see them: well-formed SVG, the words a reader
//! needs, marks present exactly when the data calls for them, and bounded size.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::*;

fn at(month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2023, month, day)
        .and_then(|date| date.and_hms_opt(hour, minute, 0))
        .expect("valid test time")
}

/// Parses `svg` as XML, failing the test with the reason when it is not well-formed.
fn parse(svg: &str) -> roxmltree::Document<'_> {
    match roxmltree::Document::parse(svg) {
        Ok(document) => document,
        Err(error) => panic!(
            "not well-formed SVG: {error}\n{}",
            &svg[..svg.len().min(2000)]
        ),
    }
}

/// The text of every `<text>` element, trimmed.
fn texts(svg: &str) -> Vec<String> {
    parse(svg)
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .map(|node| {
            node.descendants()
                .filter(|child| child.is_text())
                .filter_map(|child| child.text())
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .collect()
}

fn shows(svg: &str, needle: &str) -> bool {
    texts(svg).iter().any(|text| text.contains(needle))
}

fn assert_shows(svg: &str, needles: &[&str]) {
    let texts = texts(svg);
    for needle in needles {
        assert!(
            texts.iter().any(|text| text.contains(needle)),
            "{needle:?} not among the texts {texts:?}"
        );
    }
}

fn sample_weeks() -> Vec<WeekBar> {
    let week = |label: &str, consumed: u64, consumed_max: u64, exact: bool| WeekBar {
        label: label.to_owned(),
        consumed,
        consumed_max,
        exact,
        days: 7,
    };
    vec![
        week("2023-W41", 12_384, 12_384, true),
        week("2023-W42", 16_402, 17_401, false),
        week("2023-W43", 16_578, 16_578, true),
        week("2023-W44", 7_000, 7_999, false),
    ]
}

fn exact_weeks() -> Vec<WeekBar> {
    sample_weeks()
        .into_iter()
        .map(|week| WeekBar {
            consumed_max: week.consumed,
            exact: true,
            ..week
        })
        .collect()
}

fn sample_months() -> Vec<MonthBar> {
    vec![
        MonthBar {
            label: "2023-04".to_owned(),
            estimate: 15_779,
            min: 15_779,
            max: 15_779,
        },
        MonthBar {
            label: "2023-10".to_owned(),
            estimate: 50_689,
            min: 50_364,
            max: 52_363,
        },
        MonthBar {
            label: "2023-11".to_owned(),
            estimate: 1_675,
            min: 1_000,
            max: 2_999,
        },
    ]
}

fn sample_rates() -> Vec<RatePoint> {
    (0..24 * 14)
        .map(|hour| {
            let total = 700 + (hour % 24) * 10;
            let rejected = if (100..106).contains(&hour) {
                120
            } else {
                20 + hour % 7
            };
            RatePoint {
                at: at(10, 9, 0, 0) + Duration::hours(hour as i64),
                rejected,
                total,
            }
        })
        .collect()
}

fn sample_spikes() -> Vec<TimeSpan> {
    vec![TimeSpan {
        start: at(10, 9, 0, 0) + Duration::hours(100),
        end: at(10, 9, 0, 0) + Duration::hours(106),
        label: "spike 15% rejected".to_owned(),
    }]
}

fn sample_cumulative() -> Vec<CumulativePoint> {
    let mut points = Vec::new();
    for (period, (start, total)) in [(at(10, 9, 0, 0), 12_384), (at(10, 16, 0, 0), 9_000)]
        .into_iter()
        .enumerate()
    {
        for step in 0..=(total / 1000) {
            points.push(CumulativePoint {
                at: start + Duration::hours(step as i64 * 12),
                consumed: (step * 1000).min(total),
                period,
                after_restart: false,
            });
        }
    }
    points
}

fn sample_heatmap() -> [[u64; 24]; 7] {
    let mut counts = [[0u64; 24]; 7];
    for (day, hours) in counts.iter_mut().enumerate() {
        for (hour, count) in hours.iter_mut().enumerate() {
            if day < 5 && (7..18).contains(&hour) {
                *count = 400 + (hour as u64 * 37 + day as u64 * 11) % 300;
            } else if day < 5 {
                *count = 20;
            }
        }
    }
    counts[2][10] = 12_851;
    counts
}

fn sample_users() -> Vec<UserBar> {
    vec![
        UserBar {
            user: "CRM_SYNC".to_owned(),
            successful: 41_230,
            unsuccessful: 2_851,
        },
        UserBar {
            user: "HR_IMPORT".to_owned(),
            successful: 12_851,
            unsuccessful: 40,
        },
        UserBar {
            user: "monitoring".to_owned(),
            successful: 3_020,
            unsuccessful: 0,
        },
    ]
}

fn sample_minutes(count: usize) -> Vec<MinuteLoad> {
    (0..count)
        .map(|i| {
            let calls = if i % 997 == 13 {
                31
            } else {
                (i as u64 * 7) % 25
            };
            MinuteLoad {
                minute: at(10, 9, 0, 0) + Duration::minutes(i as i64),
                calls,
                users_at_or_over: u64::from(calls >= 30),
            }
        })
        .collect()
}

#[test]
fn weekly_shows_title_axes_separators_and_lower_bounds() {
    let svg = weekly_transactions(&sample_weeks(), None);
    assert_shows(
        &svg,
        &[
            "REST API transactions per week",
            "transactions per week",
            "ISO week",
            "2023-W42",
            "12,384",
            "≥ 16,402",
            "lower bound (≥)",
            "at most",
        ],
    );
}

#[test]
fn partial_weeks_are_hatched_with_their_days() {
    let orange_hatches = |svg: &str| {
        parse(svg)
            .descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some("#E69F00"))
            .count()
    };
    let whole = weekly_transactions(&exact_weeks(), Some((18_000, "quota 18,000 / week")));
    assert_eq!(orange_hatches(&whole), 0);
    assert!(!shows(&whole, "part of a week"));
    let mut weeks = exact_weeks();
    weeks[0].days = 6;
    weeks[3].days = 1;
    let svg = weekly_transactions(&weeks, Some((18_000, "quota 18,000 / week")));
    assert_eq!(
        orange_hatches(&svg),
        3,
        "the two partial weeks and the legend swatch"
    );
    assert_shows(
        &svg,
        &[
            "2023-W41, 6 days",
            "2023-W44, 1 day",
            "part of a week (days covered under it)",
        ],
    );
}

#[test]
fn the_quota_is_named_once_in_the_legend_not_over_the_bars() {
    let label = "quota 18,000 / week";
    let svg = weekly_transactions(&sample_weeks(), Some((18_000, label)));
    let named = texts(&svg).iter().filter(|t| t.contains("quota")).count();
    assert_eq!(named, 1, "{:?}", texts(&svg));
}

#[test]
fn months_without_data_keep_their_place() {
    let svg = monthly_transactions(&sample_months(), None);
    let shown = texts(&svg);
    for month in ["2023-05", "2023-06", "2023-07", "2023-08", "2023-09"] {
        assert!(shown.iter().any(|t| t == month), "{month} in {shown:?}");
    }
    assert_eq!(shown.iter().filter(|t| *t == "no data").count(), 5);
    let april = shown.iter().position(|t| t == "2023-04").unwrap();
    let may = shown.iter().position(|t| t == "2023-05").unwrap();
    let october = shown.iter().position(|t| t == "2023-10").unwrap();
    assert!(april < may && may < october, "{shown:?}");
}

#[test]
fn weekly_marks_lower_bounds_only_when_a_week_is_not_exact() {
    let svg = weekly_transactions(&exact_weeks(), None);
    assert!(!shows(&svg, "lower bound"));
    assert!(!shows(&svg, "≥"));
    assert_shows(&svg, &["16,578"]);
}

#[test]
fn quota_line_label_appears_only_when_given() {
    let label = "quota 60,000 / week";
    assert!(shows(
        &weekly_transactions(&sample_weeks(), Some((60_000, label))),
        label
    ));
    assert!(!shows(&weekly_transactions(&sample_weeks(), None), "quota"));
    let monthly_label = "quota 250,000 / month";
    assert!(shows(
        &monthly_transactions(&sample_months(), Some((250_000, monthly_label))),
        monthly_label
    ));
    assert!(!shows(
        &monthly_transactions(&sample_months(), None),
        "quota"
    ));
}

#[test]
fn monthly_shows_estimates_and_ranges() {
    let svg = monthly_transactions(&sample_months(), None);
    assert_shows(
        &svg,
        &[
            "REST API transactions per month",
            "transactions per month",
            "month",
            "50,689",
            "min–max",
        ],
    );
}

#[test]
fn rejection_trend_shows_rate_and_spike_band() {
    let svg = rejection_trend(&sample_rates(), &sample_spikes());
    assert_shows(
        &svg,
        &[
            "Rejected calls as a share of all calls",
            "rejected %",
            "server local time",
            "spike",
        ],
    );
    let band = parse(&svg)
        .descendants()
        .filter(|node| node.has_tag_name("rect"))
        .filter(|node| node.attribute("fill") == Some("#D55E00"))
        .filter(|node| node.attribute("opacity").is_some_and(|o| o != "1"))
        .count();
    assert!(band >= 2, "a translucent vermillion band and its swatch");

    let tooltip = parse(&svg)
        .descendants()
        .filter(|node| node.has_tag_name("title"))
        .filter_map(|node| node.text())
        .any(|text| text == "spike 15% rejected");
    assert!(
        tooltip,
        "a band too narrow for its label carries it as a tooltip"
    );

    let wide = vec![TimeSpan {
        end: at(10, 17, 4, 0),
        ..sample_spikes()[0].clone()
    }];
    assert!(shows(
        &rejection_trend(&sample_rates(), &wide),
        "spike 15% rejected"
    ));

    let calm = rejection_trend(&sample_rates(), &[]);
    assert!(!shows(&calm, "spike"));
}

#[test]
fn cumulative_consumption_shows_periods_and_resets() {
    let svg = cumulative_consumption(&sample_cumulative());
    assert_shows(
        &svg,
        &[
            "Cumulative transactions within each counting period",
            "transactions consumed in the period",
            "server local time",
            "weekly reset (exact total)",
            "10,000",
        ],
    );
    assert!(!shows(&svg, "restart"));
    let single = sample_cumulative()
        .into_iter()
        .filter(|point| point.period == 0)
        .collect::<Vec<_>>();
    assert!(!shows(&cumulative_consumption(&single), "reset"));
}

#[test]
fn a_restart_is_marked_unlike_a_reset() {
    // Three periods: the second after a reset, the third after a restart.
    let mut points = sample_cumulative();
    points.extend(
        sample_cumulative()
            .into_iter()
            .filter(|p| p.period == 1)
            .map(|p| CumulativePoint {
                at: p.at + Duration::days(7),
                period: 2,
                after_restart: true,
                ..p
            }),
    );
    let svg = cumulative_consumption(&points);
    assert_shows(
        &svg,
        &["weekly reset (exact total)", "restart (counters lost)"],
    );
    let markers = |colour: &str| {
        parse(&svg)
            .descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(colour))
            .count()
    };
    // Dashes are drawn as many short lines: each kind has its own colour.
    assert!(markers("#D55E00") > 0, "a vermillion restart marker");
    assert!(markers("#000000") > 0, "a black reset marker");
    let only_resets = cumulative_consumption(&sample_cumulative());
    assert!(!parse(&only_resets)
        .descendants()
        .any(|n| n.attribute("stroke") == Some("#D55E00")));
}

#[test]
fn heatmap_has_seven_by_twenty_four_cells_with_means() {
    // Four Tuesdays and three of every other weekday, as in 2023-10-03 to 2023-10-24.
    let occurrences = [3, 4, 3, 3, 3, 3, 3];
    let svg = weekday_hour_heatmap(&sample_heatmap(), &occurrences, "2023-W41 to 2023-W43");
    let document = parse(&svg);
    let cells: Vec<_> = document
        .descendants()
        .filter(|node| node.has_tag_name("rect") && node.attribute("class") == Some("cell"))
        .collect();
    assert_eq!(cells.len(), 7 * 24);
    let tooltip = |index: usize| {
        cells[index]
            .children()
            .find(|node| node.has_tag_name("title"))
            .and_then(|node| node.text())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        tooltip(2 * 24 + 10),
        "Wednesday 10:00–10:59: 4,284 calls on average (12,851 over 3 Wednesdays)"
    );
    assert_shows(
        &svg,
        &[
            "Calls by weekday and hour, mean per weekday — 2023-W41 to 2023-W43",
            "hour of day (server local time)",
            "weekday",
            "Mon",
            "Sun",
            "mean calls",
            "per weekday",
            "4,284",
            "no calls",
        ],
    );
    let desc = document
        .descendants()
        .find(|node| node.has_tag_name("desc"))
        .and_then(|node| node.text())
        .unwrap_or_default();
    assert!(
        desc.contains("4 Tuesdays") && desc.contains("3 Mondays"),
        "{desc}"
    );
}

#[test]
fn heatmap_scales_by_weekday_occurrences() {
    // The same total on a Monday (3 in the span) and a Tuesday (4): the Tuesday's mean is
    // lower, so its cell is lighter, and the busiest cell is the Monday's.
    let mut counts = [[0u64; 24]; 7];
    counts[0][9] = 1200;
    counts[1][9] = 1200;
    let svg = weekday_hour_heatmap(&counts, &[3, 4, 3, 3, 3, 3, 3], "");
    let document = parse(&svg);
    let fill = |index: usize| {
        document
            .descendants()
            .filter(|node| node.has_tag_name("rect") && node.attribute("class") == Some("cell"))
            .nth(index)
            .and_then(|node| node.attribute("fill"))
            .unwrap()
            .to_string()
    };
    assert_ne!(fill(9), fill(24 + 9));
    assert_shows(&svg, &["400", "300"]);
    assert!(!shows(&svg, "1,200"), "the scale shows means, not totals");
}

#[test]
fn top_users_shows_names_and_both_kinds() {
    let svg = top_users(&sample_users());
    assert_shows(
        &svg,
        &[
            "Top users: successful and unsuccessful calls",
            "CRM_SYNC",
            "HR_IMPORT",
            "successful",
            "unsuccessful",
            "calls",
            "44,081 (2,851 unsuccessful)",
        ],
    );
}

#[test]
fn hostile_user_name_is_escaped_not_executed() {
    let hostile = r#"<script>alert(1)</script> & "x""#;
    let users = vec![UserBar {
        user: hostile.to_owned(),
        successful: 5,
        unsuccessful: 1,
    }];
    let svg = top_users(&users);
    let document = parse(&svg);
    assert!(!document
        .descendants()
        .any(|node| node.tag_name().name().eq_ignore_ascii_case("script")));
    assert!(!svg.contains("<script"));
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp;"));
    assert!(!svg.contains("&amp;lt;"), "escaped once, not twice");
    assert!(texts(&svg)
        .iter()
        .any(|text| text.starts_with("<script>alert(1)</script> &")));

    // The name above is cut before its quote; a short one keeps it.
    let quoted = vec![UserBar {
        user: r#"a"b'c<d>&e"#.to_owned(),
        ..users[0].clone()
    }];
    let svg = top_users(&quoted);
    assert!(svg.contains("a&quot;b&apos;c&lt;d&gt;&amp;e"));
    assert!(shows(&svg, r#"a"b'c<d>&e"#));
}

#[test]
fn labels_from_logs_with_control_characters_stay_well_formed() {
    let users = vec![UserBar {
        user: "bad\u{0}user\u{1b}[31m\u{202E}".to_owned(),
        successful: 1,
        unsuccessful: 0,
    }];
    parse(&top_users(&users));
    let spikes = vec![TimeSpan {
        label: "<b>&\u{7}</b>".to_owned(),
        ..sample_spikes()[0].clone()
    }];
    parse(&rejection_trend(&sample_rates(), &spikes));
    let weeks = vec![WeekBar {
        label: "W\u{0}<1>".to_owned(),
        ..sample_weeks()[0].clone()
    }];
    parse(&weekly_transactions(&weeks, Some((1, "a\u{8}&<b>"))));
    parse(&weekday_hour_heatmap(
        &sample_heatmap(),
        &[1; 7],
        "x\u{0}<y>&",
    ));
}

#[test]
fn long_user_names_are_cut_with_an_ellipsis() {
    let users = vec![UserBar {
        user: "integration-account-with-a-really-long-name-from-ldap".to_owned(),
        successful: 10,
        unsuccessful: 0,
    }];
    let svg = top_users(&users);
    assert!(texts(&svg)
        .iter()
        .any(|text| text.starts_with("integration-account") && text.ends_with('…')));
    assert!(!shows(&svg, "from-ldap"));
}

#[test]
fn minute_load_shows_limit_and_minutes_over_it() {
    let svg = minute_load(&sample_minutes(600), 30);
    assert_shows(
        &svg,
        &[
            "Busiest user's calls per minute against the per-user rate limit",
            "calls per minute of the busiest user",
            "server local time",
            "limit 30/min per user",
            "a user at or over the limit (1 user-minute)",
        ],
    );
    let over = parse(&svg)
        .descendants()
        .filter(|node| node.has_tag_name("circle") && node.attribute("fill") == Some("#D55E00"))
        .count();
    assert_eq!(
        over, 2,
        "the one minute over the limit and its legend swatch"
    );
    let calm = minute_load(&sample_minutes(10), 30);
    assert!(!shows(&calm, "at or over"));
}

#[test]
fn long_series_are_thinned_to_a_bounded_size() {
    let minutes = sample_minutes(100_000);
    let svg = minute_load(&minutes, 30);
    parse(&svg);
    assert!(svg.len() < 400_000, "{} bytes for 100k minutes", svg.len());
    assert!(shows(
        &svg,
        "a user at or over the limit (101 user-minutes)"
    ));

    let rates: Vec<RatePoint> = (0..100_000)
        .map(|i| RatePoint {
            at: at(1, 1, 0, 0) + Duration::minutes(i),
            rejected: (i % 13) as u64,
            total: 100,
        })
        .collect();
    let svg = rejection_trend(&rates, &[]);
    parse(&svg);
    assert!(svg.len() < 400_000, "{} bytes for 100k rates", svg.len());

    let points: Vec<CumulativePoint> = (0..100_000)
        .map(|i| CumulativePoint {
            at: at(1, 1, 0, 0) + Duration::minutes(i),
            consumed: (i % 10_080) as u64,
            period: (i / 10_080) as usize,
            after_restart: i / 10_080 == 3,
        })
        .collect();
    let svg = cumulative_consumption(&points);
    parse(&svg);
    assert!(svg.len() < 400_000, "{} bytes for 100k counters", svg.len());
}

#[test]
fn empty_input_gives_the_title_and_no_data() {
    let cases = [
        (
            weekly_transactions(&[], None),
            "REST API transactions per week",
        ),
        (
            monthly_transactions(&[], Some((5, "quota"))),
            "REST API transactions per month",
        ),
        (
            rejection_trend(&[], &sample_spikes()),
            "Rejected calls as a share of all calls",
        ),
        (
            cumulative_consumption(&[]),
            "Cumulative transactions within each counting period",
        ),
        (
            weekday_hour_heatmap(&[[0; 24]; 7], &[1; 7], ""),
            "Calls by weekday and hour",
        ),
        (
            top_users(&[]),
            "Top users: successful and unsuccessful calls",
        ),
        (
            minute_load(&[], 30),
            "Busiest user's calls per minute against the per-user rate limit",
        ),
    ];
    for (svg, title) in cases {
        assert_shows(&svg, &[title, "no data"]);
    }
    let no_calls = vec![RatePoint {
        at: at(10, 9, 0, 0),
        rejected: 0,
        total: 0,
    }];
    assert_shows(&rejection_trend(&no_calls, &[]), &["no data"]);
}

#[test]
fn single_points_and_extreme_values_do_not_break_charts() {
    let huge = u64::MAX;
    let week = WeekBar {
        label: "2023-W15".to_owned(),
        consumed: huge,
        consumed_max: huge,
        exact: false,
        days: 7,
    };
    assert_shows(&weekly_transactions(&[week], Some((huge, "quota"))), &["≥"]);
    let month = MonthBar {
        label: "2023-04".to_owned(),
        estimate: huge / 2,
        min: huge,
        max: 0,
    };
    parse(&monthly_transactions(&[month], None));
    let point = RatePoint {
        at: at(10, 9, 0, 0),
        rejected: huge,
        total: 1,
    };
    parse(&rejection_trend(&[point], &[]));
    let counter = CumulativePoint {
        at: at(10, 9, 0, 0),
        consumed: huge,
        period: usize::MAX,
        after_restart: true,
    };
    parse(&cumulative_consumption(&[counter]));
    let mut counts = [[0u64; 24]; 7];
    counts[6][23] = huge;
    counts[0][0] = 1;
    parse(&weekday_hour_heatmap(&counts, &[1; 7], ""));
    let user = UserBar {
        user: String::new(),
        successful: huge,
        unsuccessful: huge,
    };
    assert_shows(&top_users(&[user]), &["(no user)"]);
    let minute = MinuteLoad {
        minute: at(10, 9, 0, 0),
        calls: huge,
        users_at_or_over: huge,
    };
    parse(&minute_load(std::slice::from_ref(&minute), 0));
    parse(&minute_load(&[minute], huge));
}

#[test]
fn many_users_are_capped_and_the_title_says_so() {
    let users: Vec<UserBar> = (0..57)
        .map(|i| UserBar {
            user: format!("user{i:02}"),
            successful: 1_000 - i * 10,
            unsuccessful: i,
        })
        .collect();
    let svg = top_users(&users);
    assert_shows(&svg, &["(first 40 of 57)", "user00", "user39"]);
    assert!(!shows(&svg, "user40"));
}

/// Writes every chart on sample data to `$ESMLOG_CHART_DIR` for a look by eye
/// (`rsvg-convert chart.svg -o chart.png`).
#[test]
#[ignore = "writes files; run by hand to review the charts"]
fn render_samples_for_review() {
    let Ok(directory) = std::env::var("ESMLOG_CHART_DIR") else {
        return;
    };
    let write = |name: &str, svg: String| {
        std::fs::write(format!("{directory}/{name}.svg"), svg).expect("writable review directory");
    };
    write(
        "weekly",
        weekly_transactions(&sample_weeks(), Some((18_000, "quota 18,000 / week"))),
    );
    write(
        "monthly",
        monthly_transactions(&sample_months(), Some((60_000, "quota 60,000 / month"))),
    );
    write(
        "rejections",
        rejection_trend(&sample_rates(), &sample_spikes()),
    );
    write("cumulative", cumulative_consumption(&sample_cumulative()));
    write(
        "heatmap",
        weekday_hour_heatmap(&sample_heatmap(), &[1; 7], "2023-W41 to 2023-W43"),
    );
    let mut users = sample_users();
    users.push(UserBar {
        user: r#"<script>alert(1)</script> & "x""#.to_owned(),
        successful: 900,
        unsuccessful: 450,
    });
    write("users", top_users(&users));
    write("minutes", minute_load(&sample_minutes(600), 30));
    write("minutes_100k", minute_load(&sample_minutes(100_000), 30));
    write("empty", weekly_transactions(&[], None));
    let many_weeks: Vec<WeekBar> = (1..=60)
        .map(|i| WeekBar {
            label: format!("{}-W{:02}", 2023 + i / 53, (i - 1) % 52 + 1),
            consumed: 40_000 + (i * 7_919) % 25_000,
            consumed_max: 40_999 + (i * 7_919) % 25_000,
            exact: i % 9 != 0,
            days: 7,
        })
        .collect();
    write(
        "weekly_many",
        weekly_transactions(&many_weeks, Some((60_000, "quota 60,000 / week"))),
    );
    let day: Vec<RatePoint> = sample_rates().into_iter().skip(96).take(12).collect();
    let wide = vec![TimeSpan {
        start: at(10, 13, 4, 0),
        end: at(10, 13, 9, 0),
        label: "spike: 15% rejected, mostly 429".to_owned(),
    }];
    write("rejections_day", rejection_trend(&day, &wide));
    let mut busy = sample_heatmap();
    busy[2][10] = 700;
    write("heatmap_even", weekday_hour_heatmap(&busy, &[1; 7], ""));
}

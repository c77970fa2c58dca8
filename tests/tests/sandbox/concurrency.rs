//! Many creates at once through one client: none lost, none doubled.

use std::collections::HashSet;

use tokio::task::JoinSet;

use crate::target::{Target, ticket, unique};

const CREATES: i64 = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_creates_make_a_thousand_distinct_tickets() {
    let target = Target::new().await;
    let client = target.client();
    let team = unique("team");
    let mut tasks = JoinSet::new();
    for n in 0..CREATES {
        let (client, body) = (client.clone(), ticket(&team).title(format!("ticket {n}")));
        tasks.spawn(async move {
            let created = client.create_ticket().body(body).send().await;
            created.map(|r| r.into_inner().data)
        });
    }
    let mut ids = HashSet::new();
    let mut numbers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let created = joined.expect("the task finishes").expect("created");
        assert!(
            ids.insert(created.id.expect("an id")),
            "an id was given twice"
        );
        numbers.push(created.ticket_id.expect("a ticketId"));
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=CREATES).collect::<Vec<_>>());

    let stored = target.tickets(&team).await;
    assert_eq!(stored.len(), ids.len());
    let stored_ids: HashSet<_> = stored.into_iter().filter_map(|t| t.id).collect();
    assert_eq!(stored_ids, ids);
}

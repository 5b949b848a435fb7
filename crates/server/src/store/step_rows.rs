//! The steps a visit takes when one of its jobs is done, as statements: each only from where it
//! starts and at the sequence the job was made for, and the event a step tells of written only
//! if the step was taken.

use super::event_rows::{EVENT_COLUMNS, EventRow, event_values};
use super::sql::{Statement, values};
use crate::domain::ChatId;

/// A step a visit takes when one of its jobs is done.
#[derive(Debug, Clone)]
pub enum VisitStep {
    /// Its links are made, in this meeting.
    Ready(ChatId),
    Started,
    Ended,
    /// Nobody came: only if no link of its meeting was opened and nobody joined it; its
    /// event (`visit.no_show`) written only then.
    NoShow(EventRow),
}

/// The statement that takes a visit one `step`, only from where that step starts and only at
/// the sequence the job was made for.
pub(super) fn visit_step(visit: &str, sequence: i64, step: &VisitStep, at: i64) -> Statement {
    match step {
        VisitStep::Ready(chat_id) => Statement::new(
            "UPDATE visits SET state = CASE WHEN state = 'scheduled' THEN 'ready' ELSE state END, \
             chat_id = $1, ready_at = COALESCE(ready_at, $2), updated_at = $2 \
             WHERE id = $3 AND sequence = $4 AND state NOT IN ('ended', 'cancelled', 'no_show')",
            values![chat_id.as_str(), at, visit, sequence],
        ),
        VisitStep::Started => Statement::new(
            "UPDATE visits SET state = 'in_progress', started_at = $1, updated_at = $1 \
             WHERE id = $2 AND sequence = $3 AND state IN ('scheduled', 'ready')",
            values![at, visit, sequence],
        ),
        VisitStep::Ended => Statement::new(
            "UPDATE visits SET state = 'ended', ended_at = $1, updated_at = $1 \
             WHERE id = $2 AND sequence = $3 AND state NOT IN ('ended', 'cancelled', 'no_show')",
            values![at, visit, sequence],
        ),
        // From `ended` too: a visit shorter than the grace ends before anyone can be late.
        VisitStep::NoShow(_) => Statement::new(
            "UPDATE visits SET state = 'no_show', no_show_at = $1, updated_at = $1 \
             WHERE id = $2 AND sequence = $3 \
             AND state IN ('scheduled', 'ready', 'in_progress', 'ended') \
             AND NOT EXISTS (SELECT 1 FROM link_opens o WHERE o.tenant_id = visits.tenant_id \
                 AND o.chat_id = visits.chat_id AND o.outcome = 'opened') \
             AND NOT EXISTS (SELECT 1 FROM presence p WHERE p.tenant_id = visits.tenant_id \
                 AND p.chat_id = visits.chat_id)",
            values![at, visit, sequence],
        ),
    }
}

/// The event of a step, when it has one: written only if the step took the visit (in the
/// same transaction, after it).
pub(super) fn visit_step_event(visit: &str, step: &VisitStep, at: i64) -> Option<Statement> {
    let VisitStep::NoShow(event) = step else {
        return None;
    };
    let mut params = event_values(event);
    params.extend(values![visit, at]);
    Some(Statement::new(
        format!(
            "INSERT INTO events ({}) SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS \
             (SELECT 1 FROM visits WHERE id = $7 AND state = 'no_show' AND no_show_at = $8)",
            EVENT_COLUMNS
        ),
        params,
    ))
}

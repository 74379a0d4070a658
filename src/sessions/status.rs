//! Session status and the transitions the session actor may make (API.md §4 lifecycle).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Created,
    Initializing,
    QrReady,
    Authenticating,
    Ready,
    Disconnected,
    Failed,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 7] = [
        Self::Created,
        Self::Initializing,
        Self::QrReady,
        Self::Authenticating,
        Self::Ready,
        Self::Disconnected,
        Self::Failed,
    ];

    /// Statuses in which an engine is (or should be) running.
    pub const LIVE: [SessionStatus; 4] = [
        Self::Initializing,
        Self::QrReady,
        Self::Authenticating,
        Self::Ready,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Initializing => "initializing",
            Self::QrReady => "qr_ready",
            Self::Authenticating => "authenticating",
            Self::Ready => "ready",
            Self::Disconnected => "disconnected",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Every status with its count among `rows` (`(status, count)` as the store groups them),
    /// 0 where a status has no row.
    pub fn count_each(rows: &[(String, i64)]) -> [(SessionStatus, i64); 7] {
        Self::ALL.map(|st| {
            let n = rows
                .iter()
                .filter(|(s, _)| s == st.as_str())
                .map(|(_, n)| n)
                .sum();
            (st, n)
        })
    }

    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }

    /// Whether the lifecycle allows going from `self` to `to`. Stop and logout (to `disconnected`)
    /// and terminal failure are allowed from anywhere; a start only from a resting status.
    pub fn can_become(self, to: SessionStatus) -> bool {
        use SessionStatus::*;
        matches!(
            (self, to),
            (_, Disconnected | Failed)
                | (Created | Disconnected | Failed, Initializing)
                | (Initializing | QrReady, QrReady | Authenticating)
                | (Initializing | Authenticating, Ready)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::SessionStatus::*;
    use super::*;

    #[test]
    fn lifecycle_of_a_link() {
        let path = [
            Created,
            Initializing,
            QrReady,
            QrReady,
            Authenticating,
            Ready,
            Disconnected,
            Initializing,
            Ready,
        ];
        for pair in path.windows(2) {
            assert!(
                pair[0].can_become(pair[1]),
                "{:?} -> {:?}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn refused_transitions() {
        assert!(
            !Ready.can_become(Initializing),
            "a ready session is already started"
        );
        assert!(!Created.can_become(Ready));
        assert!(!Ready.can_become(QrReady));
        assert!(!Failed.can_become(Ready));
    }

    #[test]
    fn names_round_trip() {
        for st in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(st.as_str()), Some(st));
        }
    }
}

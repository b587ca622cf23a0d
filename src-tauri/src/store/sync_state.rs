//! What the store remembers about syncing: the server, the device token, the two cursors, and
//! the communities assigned to this device; and eviction of a community no longer assigned.

use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use buqi_schema::record::EntityKind;

use super::{table, Result, Store};

/// This device's enrollment and sync position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    /// The server's base URL, `https://buqi.example.gov.cn`.
    pub server: String,
    /// The device token, sent as `Authorization: Bearer …`.
    pub token: String,
    /// The last of this device's changes (its log's `seq`) the server has acknowledged.
    pub pushed_seq: i64,
    /// The server's sequence cursor: everything up to it has been pulled.
    pub pulled_seq: i64,
    /// The communities assigned to this device at the last pull.
    pub assigned: Vec<Uuid>,
}

impl Store {
    /// The device's enrollment, if it has enrolled.
    pub fn sync_state(&self) -> Result<Option<SyncState>> {
        let row: Option<(String, String, i64, i64, String)> = self
            .conn
            .query_row(
                "SELECT server, token, pushed_seq, pulled_seq, assigned FROM sync_state",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        Ok(row.map(
            |(server, token, pushed_seq, pulled_seq, assigned)| SyncState {
                server,
                token,
                pushed_seq,
                pulled_seq,
                assigned: serde_json::from_str(&assigned).unwrap_or_default(),
            },
        ))
    }

    /// Keeps a new enrollment. Enrolling again (with another server, or a new token) starts
    /// pulling from the beginning; what this device made is pushed again, which the server
    /// recognises as duplicates.
    pub fn save_enrollment(&mut self, server: &str, token: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_state (singleton, server, token) VALUES (1, ?1, ?2)
             ON CONFLICT (singleton) DO UPDATE SET server = excluded.server, token = excluded.token,
                 pushed_seq = 0, pulled_seq = 0, assigned = '[]'",
            params![server, token],
        )?;
        Ok(())
    }

    /// Everything up to the server's cursor `seq` has been applied here.
    pub fn save_pulled(&mut self, seq: i64) -> Result<()> {
        self.conn
            .execute("UPDATE sync_state SET pulled_seq = ?1", [seq])?;
        Ok(())
    }

    /// The communities assigned now.
    pub fn save_assigned(&mut self, assigned: &[Uuid]) -> Result<()> {
        let json = serde_json::to_string(assigned).expect("ids always serialise");
        self.conn
            .execute("UPDATE sync_state SET assigned = ?1", [json])?;
        Ok(())
    }

    /// Every community on the device, deleted ones too.
    pub fn community_ids(&self) -> Result<Vec<Uuid>> {
        let mut stmt = self.conn.prepare("SELECT id FROM community ORDER BY id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect())
    }

    /// How many of this device's changes wait to be pushed (held ones included).
    pub fn unpushed(&self, pushed_seq: i64) -> Result<usize> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM change WHERE device = ?1 AND seq > ?2
               AND seq NOT IN (SELECT seq FROM pushed_change)",
            params![self.device.to_string(), pushed_seq],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// This device's changes waiting to be pushed, oldest first, at most `limit`, of the
    /// communities in `assigned` only: the server refuses a whole batch for one change of a
    /// community not assigned to the device, so those are held back until it is.
    pub fn changes_to_push(
        &self,
        pushed_seq: i64,
        assigned: &[Uuid],
        limit: usize,
    ) -> Result<Vec<super::LoggedChange>> {
        let assigned = serde_json::to_string(assigned).expect("ids always serialise");
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq FROM change WHERE device = ?1 AND seq > ?2
               AND seq NOT IN (SELECT seq FROM pushed_change)
               AND community IN (SELECT value FROM json_each(?3))
             ORDER BY seq LIMIT ?4",
        )?;
        let seqs: Vec<i64> = stmt
            .query_map(
                params![self.device.to_string(), pushed_seq, assigned, limit as i64],
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            // One change at a time through the log's own reader.
            out.extend(self.changes_after(seq - 1, 1)?);
        }
        Ok(out)
    }

    /// The server acknowledged these changes; moves the push cursor over every change now
    /// acknowledged without a gap, and returns it.
    pub fn save_pushed_changes(&mut self, seqs: &[i64]) -> Result<i64> {
        let tx = self.conn.transaction()?;
        for seq in seqs {
            tx.execute(
                "INSERT INTO pushed_change (seq) VALUES (?1) ON CONFLICT DO NOTHING",
                [seq],
            )?;
        }
        let cursor: i64 = tx.query_row("SELECT pushed_seq FROM sync_state", [], |r| r.get(0))?;
        let first_waiting: Option<i64> = tx.query_row(
            "SELECT min(seq) FROM change WHERE device = ?1 AND seq > ?2
               AND seq NOT IN (SELECT seq FROM pushed_change)",
            params![self.device.to_string(), cursor],
            |r| r.get(0),
        )?;
        let last_acked: Option<i64> =
            tx.query_row("SELECT max(seq) FROM pushed_change", [], |r| r.get(0))?;
        let moved = match (first_waiting, last_acked) {
            (Some(waiting), _) => (waiting - 1).max(cursor),
            (None, Some(acked)) => acked.max(cursor),
            (None, None) => cursor,
        };
        tx.execute("UPDATE sync_state SET pushed_seq = ?1", [moved])?;
        tx.execute("DELETE FROM pushed_change WHERE seq <= ?1", [moved])?;
        tx.commit()?;
        Ok(moved)
    }

    /// Removes a community that is no longer assigned to this device from it: its records and
    /// their changes, which the server holds. This is not a delete (nothing is logged, nothing
    /// reaches the server), and it is refused — returning `false`, leaving everything — while
    /// any change this device made to the community has not been acknowledged by the server.
    pub fn evict(&mut self, community: Uuid, pushed_seq: i64) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let waiting: i64 = tx.query_row(
            "SELECT count(*) FROM change WHERE community = ?1 AND device = ?2 AND seq > ?3
               AND seq NOT IN (SELECT seq FROM pushed_change)",
            params![community.to_string(), self.device.to_string(), pushed_seq],
            |r| r.get(0),
        )?;
        if waiting > 0 {
            return Ok(false);
        }
        let id = community.to_string();
        for kind in EntityKind::ALL
            .into_iter()
            .filter(|k| *k != EntityKind::Community)
        {
            tx.execute(
                &format!("DELETE FROM {} WHERE community = ?1", table(kind)),
                [&id],
            )?;
        }
        tx.execute("DELETE FROM community WHERE id = ?1", [&id])?;
        tx.execute("DELETE FROM change WHERE community = ?1", [&id])?;
        tx.commit()?;
        Ok(true)
    }

    /// The photos (their addresses) of this device's live photo records whose display copy the
    /// server `server` has not acknowledged yet, in address order.
    pub fn photos_not_uploaded(&self, server: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT sha256 FROM photo
             WHERE deleted = 0 AND typeof(sha256) = 'text'
               AND sha256 NOT IN (SELECT sha256 FROM photo_uploaded
                                  WHERE server = ?1 AND variant = 'display')
             ORDER BY sha256",
        )?;
        let shas = stmt
            .query_map([server], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(shas)
    }

    /// The server `server` has acknowledged the display copy of the photo `sha256` as stored.
    pub fn save_photo_uploaded(&mut self, server: &str, sha256: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO photo_uploaded (server, sha256, variant, at)
             VALUES (?1, ?2, 'display', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
             ON CONFLICT DO NOTHING",
            params![server, sha256],
        )?;
        Ok(())
    }

    /// Whether the server `server` has acknowledged the display copy of the photo `sha256`. A
    /// photo's files may leave the device only when this is true.
    pub fn photo_uploaded(&self, server: &str, sha256: &str) -> Result<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM photo_uploaded WHERE server = ?1 AND sha256 = ?2 AND variant = 'display'",
            params![server, sha256],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }
}

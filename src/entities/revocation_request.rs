use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revocation_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub version: i32,
    pub certificate_id: i64,
    pub subscriber_id: i64,
    /// `key_compromised`, `owner_dismissed` or `data_changed`.
    pub reason: String,
    /// `draft`, `sent` or `revoked`.
    pub state: crate::subscribers::certificates::RequestState,
    pub scan_key: Option<String>,
    pub scan_sha256: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor_user_id: Option<i32>,
    pub actor_login: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// JSON summary of the object before the change.
    pub before: Option<String>,
    /// JSON summary of the object after the change.
    pub after: Option<String>,
    /// The hash of the row before this one (`migrations::chain::GENESIS` for the first).
    pub prev_hash: Option<String>,
    /// The hash of this row's fields and `prev_hash`.
    pub hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

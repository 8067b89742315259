use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub subscriber_id: i64,
    pub product_account_id: Option<i64>,
    #[sea_orm(unique)]
    pub serial: String,
    pub owner_name: String,
    pub owner_snils: String,
    pub owner_position: Option<String>,
    /// `qualified` or `qualified_cryptopro`.
    pub kind: String,
    /// `active` or `revoked`.
    pub state: String,
    pub valid_from: Date,
    pub valid_to: Date,
    pub container: String,
    pub provider: String,
    pub application_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// The X.509 file (DER) the authority handed out, once asked for.
    pub der: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

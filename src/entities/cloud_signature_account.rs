use sea_orm::entity::prelude::*;

use crate::subscribers::cloud_signature::AccountState;

/// A cloud-signature account on the signature service, one per certificate (§17).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cloud_signature_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub version: i32,
    pub subscriber_id: i64,
    pub certificate_id: i64,
    pub application_id: Option<i64>,
    pub owner_name: String,
    /// The mobile phone the SMS codes go to.
    pub phone: String,
    pub state: AccountState,
    /// The signature service's account id.
    pub service_account: String,
    /// How many QR codes were made (the current one is the last).
    pub qr_generation: i32,
    /// What the current QR code holds.
    pub qr_payload: String,
    pub qr_pending: bool,
    pub password_pending: bool,
    pub activation_sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

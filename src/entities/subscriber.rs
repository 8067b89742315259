use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscribers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub version: i32,
    pub partner_id: i32,
    pub region_code: String,
    pub legal_form: String,
    pub inn: String,
    pub kpp: Option<String>,
    pub ogrn: Option<String>,
    pub full_name: String,
    pub short_name: String,
    pub search_key: String,
    pub pfr_number: Option<String>,
    pub fss_number: Option<String>,
    pub legal_address: String,
    pub actual_address: String,
    pub phone: String,
    pub email: String,
    pub note: Option<String>,
    /// Has at least one live (not revoked) licence.
    pub connected: bool,
    /// §4: after a paid licence was revoked, only paid connections are allowed.
    pub paid_basis_only: bool,
    pub created_at: DateTimeUtc,
    pub fax: Option<String>,
    /// Generated from the card; regenerated whenever an address is saved (§11.2).
    pub registration_file: Option<String>,
    pub registration_file_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

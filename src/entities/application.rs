use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Optimistic lock: every transition increments it.
    pub version: i32,
    /// Stored as the state's code.
    pub state: crate::applications::state::State,
    pub partner_id: Option<i32>,
    /// The partner's sales center, or the region's while unclaimed: kept by the database
    /// (triggers, migration `m20261202_170000`); never written by the code.
    pub sales_center_id: Option<i32>,
    pub region_code: String,
    pub request_type: String,
    pub legal_form: String,
    pub category: String,
    pub paperless_renewal: bool,
    pub inn: String,
    pub kpp: Option<String>,
    pub ogrn: Option<String>,
    pub full_name: String,
    pub short_name: String,
    /// Lower-cased short and full names, for search.
    pub search_key: String,
    pub pfr_number: Option<String>,
    pub fss_number: Option<String>,
    pub phone: String,
    pub mobile_phone: Option<String>,
    pub email: String,
    pub legal_address: String,
    pub actual_address: String,
    pub configuration: String,
    pub format_version: String,
    pub certificate_requested: bool,
    pub cryptopro_licence: bool,
    /// «Подключить ЛК»: the ЛК Базовый extension is asked for.
    pub connect_lk: bool,
    pub its_login: Option<String>,
    pub its_email: Option<String>,
    pub authorized_representative_inn: Option<String>,
    pub product_guid: Option<String>,
    /// JSON: the certificate owner.
    pub owner: String,
    /// JSON: the directions.
    pub directions: String,
    /// JSON: the requisite checks.
    pub checks: String,
    pub checks_passed: bool,
    pub received_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub state_changed_at: DateTimeUtc,
    pub registration_number: Option<String>,
    pub identification_center_id: Option<i32>,
    pub delegated_at: Option<DateTimeUtc>,
    pub distributed_at: Option<DateTimeUtc>,
    pub reject_reason: Option<String>,
    pub processing_option: Option<String>,
    pub processing_params: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

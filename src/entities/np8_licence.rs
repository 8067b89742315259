use sea_orm::entity::prelude::*;

/// A licence for 1С:Налогоплательщик 8 issued for an organisation (§15).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "np8_licences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partner_id: i32,
    pub sales_center_id: i32,
    pub inn: String,
    /// Empty for a sole trader.
    pub kpp: String,
    /// The subscriber's short name when the organisation is one of the partner's
    /// subscribers, else empty.
    pub name: String,
    pub basis: crate::np8::Basis,
    /// The ITS PROF contract a free licence was issued by.
    pub its_registration_number: Option<String>,
    /// «Рег. номер лицензии».
    pub number: String,
    /// «Пин-код»: kept until it is shown the second time, then erased.
    pub pin: Option<String>,
    pub pin_shown_again_at: Option<DateTimeUtc>,
    pub issued_at: DateTimeUtc,
    pub issued_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

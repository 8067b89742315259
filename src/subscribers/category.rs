//! The organisation's category (Категория, manual l.1286), as an application states it
//! and a product account keeps it.

crate::code_enum! {
    /// The organisation's category (Категория, manual l.1286): a fixed list, not free text.
    #[derive(utoipa::ToSchema)]
    pub enum Category {
        Taxpayer = "taxpayer",
        Budget = "budget",
        AuthorizedRepresentative = "authorized_representative",
    }
}

impl Category {
    pub fn title_ru(self) -> &'static str {
        match self {
            Category::Taxpayer => "Налогоплательщик",
            Category::Budget => "Бюджетная организация",
            Category::AuthorizedRepresentative => "Уполномоченный представитель",
        }
    }

    /// The title of a stored code (older rows may hold anything).
    pub fn title_of(code: &str) -> &str {
        let known: Option<&'static str> = Category::ALL
            .into_iter()
            .find(|c| c.as_str() == code)
            .map(Category::title_ru);
        known.unwrap_or(code)
    }
}

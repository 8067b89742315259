//! «Финансы — Сверка 1С-Отчетность»: the partner's month, the sales center's list of its
//! partners for a period, and their forms. Every action goes through `service`.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use sea_orm::EntityTrait;
use serde::Deserialize;

use super::builder::Totals;
use super::service::{self, LineEdit};
use super::state::ReconciliationEvent;
use super::views;
use crate::AppState;
use crate::auth::{Csrf, CurrentUser, Role, Scope};
use crate::error::{AppError, AppResult};
use crate::extract::{Path, Query};
use crate::web::{Subject, after_action};

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/finance", get(finance))
        .route("/finance/approve-all", post(approve_all))
        .route("/finance/{file}", get(export_period))
        .route("/finance/{code}/{period}/invoice", post(issue_invoice))
        .route("/finance/{code}/{period}", get(page))
        .route("/finance/{code}/{period}/approve", post(approve))
        .route("/finance/{code}/{period}/return", post(give_back))
        .route(
            "/finance/{code}/{period}/lines/{line}",
            get(edit_page).post(edit),
        )
        .route(
            "/finance/{code}/{period}/lines/{line}/revoke",
            post(
                |st: State<AppState>,
                 path: Path<(String, String, i64)>,
                 Csrf(user, mut f): Csrf<EditForm>| async move {
                    f.revoke = Some("1".to_owned());
                    edit(st, path, Csrf(user, f)).await
                },
            ),
        )
        .route("/finance/{code}/{period}/{file}", get(export))
}

#[derive(Deserialize, Default)]
struct PeriodQuery {
    #[serde(default)]
    period: Option<String>,
    /// The form's month (1–12) and year, instead of `period`.
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    year: Option<String>,
    /// The sales center's filter (`views::FILTERS`).
    #[serde(default)]
    state: Option<String>,
}

impl PeriodQuery {
    /// `yyyy-mm` from `period`, or from the form's month and year.
    fn text(&self) -> Option<String> {
        if let (Some(m), Some(y)) = (&self.month, &self.year) {
            let m: u32 = m.trim().parse().unwrap_or(0);
            return Some(format!("{}-{m:02}", y.trim()));
        }
        self.period.clone().filter(|p| !p.trim().is_empty())
    }
}

fn href(code: &str, p: &str) -> String {
    format!("/finance/{code}/{p}")
}

/// «Финансы»: a partner opens its month; a sales center or the operator the list.
async fn finance(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let period = match q.text() {
        Some(p) => service::period(&p)?,
        None => service::default_period(&st, &user).await?,
    };
    match user.scope {
        Scope::Partner { partner_id, .. } => {
            let partner = crate::entities::partner::Entity::find_by_id(partner_id)
                .one(&st.db)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(Redirect::to(&href(&partner.code, &period.to_string())).into_response())
        }
        Scope::SalesCenter { .. } | Scope::Operator => {
            let filter = q
                .state
                .as_deref()
                .filter(|f| views::FILTERS.iter().any(|(code, _)| code == f))
                .unwrap_or("");
            let rows: Vec<_> = service::list(&st, &user, &period.to_string())
                .await?
                .into_iter()
                .filter(|r| views::passes(r, filter))
                .collect();
            let totals = Totals::sum(rows.iter().map(|r| &r.totals));
            let invoices = service::invoices(&st, &user, None, Some(&period.to_string())).await?;
            Ok(views::list(&user, period, (&rows, filter), &totals, &invoices).into_response())
        }
        _ => Err(AppError::Forbidden),
    }
}

#[derive(Deserialize, Default)]
struct TabQuery {
    #[serde(default)]
    tab: Option<String>,
}

async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((code, period)): Path<(String, String)>,
    Query(q): Query<TabQuery>,
) -> AppResult<Markup> {
    let d = service::document(&st, &user, &code, &period).await?;
    let invoices = service::invoices(&st, &user, Some(&code), None).await?;
    Ok(views::document(
        &user,
        &d,
        views::Tab::parse(q.tab.as_deref()),
        &invoices,
    ))
}

/// «Получить счёт».
async fn issue_invoice(
    State(st): State<AppState>,
    Path((code, period)): Path<(String, String)>,
    Csrf(user, _): Csrf<VersionForm>,
) -> AppResult<Response> {
    let r = service::issue_invoice(&st, &user, &code, &period)
        .await
        .map(|i| {
            format!(
                "Счёт № {} от {} на сумму {} выставлен.",
                i.number,
                crate::web::components::date_ru(i.issued_on),
                i.amount.ru()
            )
        });
    after_action(
        &st,
        &user,
        &href(&code, &period),
        Subject::Reconciliation,
        r,
    )
    .await
}

/// «Экспортировать все данные» (`export.csv`, `export.xlsx`) and «… по УП»
/// (`export-up.csv`, `export-up.xlsx`) of a period, every partner in the caller's scope.
async fn export_period(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(file): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let (stem, format) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
    if !matches!(format, "csv" | "xlsx") || !matches!(stem, "export" | "export-up") {
        return Err(AppError::NotFound);
    }
    let text = q
        .text()
        .ok_or_else(|| AppError::invalid("period", "укажите месяц"))?;
    let p = service::period(&text)?;
    let months = service::months(&st, &user, &p.to_string()).await?;
    let sheet = if stem == "export" {
        views::all_sheet(p, &months)
    } else {
        let rows: Vec<(&str, &super::up::UpLine)> = months
            .iter()
            .flat_map(|(r, m)| m.up.iter().map(move |l| (r.partner_code.as_str(), l)))
            .collect();
        views::up_sheet(format!("УП {p}"), &rows)
    };
    crate::export::respond(&sheet, format, &format!("sverka-{p}-{stem}"))
}

#[derive(Deserialize)]
struct VersionForm {
    version: Option<i32>,
}

async fn approve(
    State(st): State<AppState>,
    Path((code, period)): Path<(String, String)>,
    Csrf(user, f): Csrf<VersionForm>,
) -> AppResult<Response> {
    let event = match user.role {
        Role::SalesCenter => ReconciliationEvent::Approve,
        _ => ReconciliationEvent::ApproveByPartner,
    };
    let r = service::fire(&st, &user, &code, &period, event, None, f.version)
        .await
        .map(|d| format!("Сверка одобрена: {}.", d.state.title_ru()));
    after_action(
        &st,
        &user,
        &href(&code, &period),
        Subject::Reconciliation,
        r,
    )
    .await
}

#[derive(Deserialize)]
struct ReturnForm {
    #[serde(default)]
    comment: String,
    version: Option<i32>,
}

async fn give_back(
    State(st): State<AppState>,
    Path((code, period)): Path<(String, String)>,
    Csrf(user, f): Csrf<ReturnForm>,
) -> AppResult<Response> {
    let r = service::fire(
        &st,
        &user,
        &code,
        &period,
        ReconciliationEvent::Return,
        Some(&f.comment),
        f.version,
    )
    .await
    .map(|_| "Сверка возвращена партнеру с комментарием.".to_owned());
    after_action(
        &st,
        &user,
        &href(&code, &period),
        Subject::Reconciliation,
        r,
    )
    .await
}

#[derive(Deserialize, Default)]
struct EditQuery {
    #[serde(default)]
    tariff_code: String,
    #[serde(default)]
    special_offer_number: String,
    #[serde(default)]
    its_login: String,
}

/// «Изменить»: the line, and with a proposed tariff or number, its price after the edit.
async fn edit_page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((code, period, line)): Path<(String, String, i64)>,
    Query(q): Query<EditQuery>,
) -> AppResult<Markup> {
    let proposed = [&q.tariff_code, &q.special_offer_number, &q.its_login]
        .iter()
        .any(|v| !v.trim().is_empty())
        .then(|| LineEdit {
            tariff_code: Some(q.tariff_code.clone()),
            special_offer_number: Some(q.special_offer_number.clone()),
            its_login: Some(q.its_login.clone()),
            ..LineEdit::default()
        });
    let preview =
        service::preview_edit(&st, &user, &code, &period, line, proposed.as_ref()).await?;
    Ok(views::edit_page(
        &user,
        &preview,
        views::Proposed {
            tariff_code: q.tariff_code.trim(),
            number: q.special_offer_number.trim(),
            its_login: q.its_login.trim(),
        },
    ))
}

#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    its_login: String,
    #[serde(default)]
    tariff_code: String,
    #[serde(default)]
    special_offer_number: String,
    #[serde(default)]
    revoke: Option<String>,
    #[serde(default)]
    reason: String,
    version: Option<i32>,
}

async fn edit(
    State(st): State<AppState>,
    Path((code, period, line)): Path<(String, String, i64)>,
    Csrf(user, f): Csrf<EditForm>,
) -> AppResult<Response> {
    let nonempty = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let e = LineEdit {
        tariff_code: nonempty(f.tariff_code),
        special_offer_number: nonempty(f.special_offer_number),
        its_login: nonempty(f.its_login),
        revoke: f.revoke.is_some(),
        reason: nonempty(f.reason),
    };
    let revoke = e.revoke;
    // A refused edit returns to its page with what was proposed.
    let retry = format!(
        "{}/lines/{line}?{}",
        href(&code, &period),
        serde_urlencoded::to_string([
            ("tariff_code", e.tariff_code.clone().unwrap_or_default()),
            (
                "special_offer_number",
                e.special_offer_number.clone().unwrap_or_default()
            ),
        ])
        .unwrap_or_default()
    );
    let r = service::edit_line(&st, &user, &code, &period, line, &e, f.version)
        .await
        .map(|_| {
            if revoke {
                "Лицензия отозвана.".to_owned()
            } else {
                "Строка пересчитана; изменение попадет в карточку абонента после одобрения сверки."
                    .to_owned()
            }
        });
    let back = match &r {
        Ok(_) => href(&code, &period),
        Err(_) => retry,
    };
    after_action(&st, &user, &back, Subject::Reconciliation, r).await
}

async fn approve_all(
    State(st): State<AppState>,
    Query(q): Query<PeriodQuery>,
    Csrf(user, _f): Csrf<VersionForm>,
) -> AppResult<Response> {
    let period = q.period.unwrap_or_default();
    let back = format!("/finance?period={period}");
    let r = service::approve_all(&st, &user, &period)
        .await
        .map(|(approved, skipped)| {
            if skipped > 0 {
                format!(
                    "Одобрено сверок: {approved}; изменились за это время и не одобрены: {skipped}."
                )
            } else {
                format!("Одобрено сверок: {approved}.")
            }
        });
    after_action(&st, &user, &back, Subject::Reconciliation, r).await
}

async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((code, period, file)): Path<(String, String, String)>,
) -> AppResult<Response> {
    export_file(&st, &user, &code, &period, &file).await
}

/// `export.csv` or `export.xlsx` of a reconciliation (the page's and the API's).
///
/// # Errors
/// `NotFound` for another file name or outside the scope.
pub async fn export_file(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    period: &str,
    file: &str,
) -> AppResult<Response> {
    // The invoice's printable documents; the API's `invoice` issues it on first call.
    if file == "invoice" || file.ends_with(".pdf") {
        let (pdf, name) = if file == "invoice" {
            service::printable(st, user, code, period, "invoice.pdf", true).await?
        } else {
            service::printable(st, user, code, period, file, false).await?
        };
        return Ok(crate::web::files::download(pdf, "application/pdf", &name));
    }
    let (stem, format) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
    if !matches!(format, "csv" | "xlsx") {
        return Err(AppError::NotFound);
    }
    let d = service::document(st, user, code, period).await?;
    let name = format!("sverka-{}-{}", d.partner_code, d.period);
    match stem {
        "export" => crate::export::respond(&views::sheet(&d), format, &name),
        "up" => {
            let rows: Vec<(&str, &super::up::UpLine)> = d
                .up_transactions
                .iter()
                .map(|l| (d.partner_code.as_str(), l))
                .collect();
            let title = format!("УП {} {}", d.partner_code, d.period);
            crate::export::respond(
                &views::up_sheet(title, &rows),
                format,
                &format!("{name}-up"),
            )
        }
        _ => {
            let id: i64 = stem
                .strip_prefix("up-")
                .and_then(|id| id.parse().ok())
                .ok_or(AppError::NotFound)?;
            let line = d
                .up_transactions
                .iter()
                .find(|l| l.representative_id == id)
                .ok_or(AppError::NotFound)?;
            crate::export::respond(
                &views::up_detail_sheet(line),
                format,
                &format!("{name}-up-{}", line.inn),
            )
        }
    }
}

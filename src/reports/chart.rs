//! Charts drawn on the server as SVG: grouped bars or lines over categories (months,
//! quarters, regions), with a value axis, the values' labels and a legend — readable
//! without JavaScript and printable. The same series go into the XLSX as a native chart.

use std::fmt::Write as _;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Bars,
    Lines,
}

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    /// One value per category; `None` where there is nothing to show (a percentage of
    /// nothing due).
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub title: String,
    pub kind: Kind,
    /// The unit after each value: "" or "%".
    pub unit: &'static str,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

/// Colours that stay apart in print and for the colour-blind (Okabe–Ito).
const PALETTE: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];

const WIDTH: f64 = 860.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 78.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" axis maximum and step: 1, 2 or 5 × 10ⁿ, five steps or so.
fn axis(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 0.25);
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

/// [`axis`] for counts: whole steps (a count of 2 is not drawn against 0,5 and 1,5).
fn counts_axis(max: f64) -> (f64, f64) {
    let (top, step) = axis(max.max(1.0));
    if step < 1.0 {
        (max.ceil().max(1.0), 1.0)
    } else {
        (top, step)
    }
}

/// A value as Russian print writes it: `12`, `12,5`, `0,25`.
fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').replace('.', ",")
    }
}

impl Chart {
    /// The chart as an inline `<svg>` element.
    pub fn svg(&self) -> String {
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(0f64, |a, b| a.max(*b));
        let (top, step) = if self.unit.is_empty() {
            counts_axis(max)
        } else {
            axis(max)
        };
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let y = |v: f64| TOP + plot_h - v / top * plot_h;
        let n = self.categories.len().max(1) as f64;
        let band = plot_w / n;
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">"#,
            escape(&self.title)
        );
        let _ = write!(
            s,
            r##"<text x="{LEFT}" y="20" font-size="14" font-weight="bold" fill="#222">{}</text>"##,
            escape(&self.title)
        );
        // Grid and value axis.
        let mut v = 0.0;
        while v <= top + step / 2.0 {
            let yy = y(v);
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{}{}</text>"##,
                WIDTH - RIGHT,
                LEFT - 6.0,
                yy + 4.0,
                number(v),
                self.unit
            );
            v += step;
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#888"/>"##,
            y(0.0),
            WIDTH - RIGHT,
            y(0.0)
        );
        // Category labels, turned when they would not fit side by side.
        let turn = self
            .categories
            .iter()
            .any(|c| c.chars().count() as f64 * 7.0 > band);
        for (i, c) in self.categories.iter().enumerate() {
            let x = LEFT + band * (i as f64 + 0.5);
            let yy = y(0.0) + 16.0;
            if turn {
                let _ = write!(
                    s,
                    r##"<text x="{x:.1}" y="{yy:.1}" text-anchor="end" transform="rotate(-30 {x:.1} {yy:.1})" fill="#333">{}</text>"##,
                    escape(c)
                );
            } else {
                let _ = write!(
                    s,
                    r##"<text x="{x:.1}" y="{yy:.1}" text-anchor="middle" fill="#333">{}</text>"##,
                    escape(c)
                );
            }
        }
        let k = self.series.len().max(1) as f64;
        for (si, series) in self.series.iter().enumerate() {
            let colour = PALETTE[si % PALETTE.len()];
            match self.kind {
                Kind::Bars => {
                    let inner = band * 0.8;
                    let w = inner / k;
                    for (i, value) in series.values.iter().enumerate() {
                        let Some(value) = value else { continue };
                        let x = LEFT + band * i as f64 + band * 0.1 + w * si as f64;
                        let yy = y(*value);
                        let _ = write!(
                            s,
                            r#"<rect x="{x:.1}" y="{yy:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{}: {}{}</title></rect>"#,
                            (w - 2.0).max(1.0),
                            (y(0.0) - yy).max(0.0),
                            escape(&series.name),
                            number(*value),
                            self.unit
                        );
                        if w >= 18.0 {
                            let _ = write!(
                                s,
                                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#222">{}</text>"##,
                                x + (w - 2.0) / 2.0,
                                yy - 3.0,
                                number(*value)
                            );
                        }
                    }
                }
                Kind::Lines => {
                    let points: Vec<(f64, f64, f64)> = series
                        .values
                        .iter()
                        .enumerate()
                        .filter_map(|(i, v)| v.map(|v| (LEFT + band * (i as f64 + 0.5), y(v), v)))
                        .collect();
                    let path: Vec<String> = points
                        .iter()
                        .map(|(x, yy, _)| format!("{x:.1},{yy:.1}"))
                        .collect();
                    let _ = write!(
                        s,
                        r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"/>"#,
                        path.join(" ")
                    );
                    for (x, yy, v) in points {
                        let _ = write!(
                            s,
                            r#"<circle cx="{x:.1}" cy="{yy:.1}" r="3.5" fill="{colour}"><title>{}: {}{}</title></circle>"#,
                            escape(&series.name),
                            number(v),
                            self.unit
                        );
                    }
                }
            }
        }
        // Legend, top right.
        let mut x = WIDTH - RIGHT;
        for (si, series) in self.series.iter().enumerate().rev() {
            let w = series.name.chars().count() as f64 * 7.5 + 34.0;
            x -= w;
            let _ = write!(
                s,
                r##"<rect x="{x:.1}" y="10" width="12" height="12" fill="{}"/><text x="{:.1}" y="20" fill="#222">{}</text>"##,
                PALETTE[si % PALETTE.len()],
                x + 16.0,
                escape(&series.name)
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round() {
        assert_eq!(axis(47.0), (50.0, 10.0));
        assert_eq!(axis(100.0), (100.0, 20.0));
        assert_eq!(axis(3.0), (3.0, 1.0));
        assert_eq!(axis(0.0), (1.0, 0.25));
        assert_eq!(counts_axis(2.0), (2.0, 1.0));
        assert_eq!(counts_axis(0.0), (1.0, 1.0));
        assert_eq!(counts_axis(47.0), (50.0, 10.0));
        assert_eq!(number(0.25), "0,25");
        assert_eq!(number(12.5), "12,5");
        assert_eq!(number(40.0), "40");
    }

    #[test]
    fn the_svg_holds_the_russian_labels_escaped() {
        let c = Chart {
            title: "Отвал <по месяцам>".into(),
            kind: Kind::Lines,
            unit: "%",
            categories: vec!["март 2025".into(), "апрель 2025".into()],
            series: vec![Series {
                name: "Платные".into(),
                values: vec![Some(50.0), None],
            }],
        };
        let svg = c.svg();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Отвал &lt;по месяцам&gt;"));
        assert!(svg.contains("март 2025"));
        assert!(svg.contains("Платные: 50%"));
        assert_eq!(
            svg.matches("<circle").count(),
            1,
            "no point for a month of nothing due"
        );
    }
}

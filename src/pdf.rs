//! Printable documents (invoices, acts): a small flow layout on A4 — paragraphs that
//! wrap, tables whose cells wrap and whose header repeats on a new page — rendered to
//! PDF by krilla with DejaVu Sans embedded (subset), so Cyrillic, «№» and «₽» print the
//! same on every machine, whatever fonts it has.
//!
//! Layout first, rendering after: the layout is a list of pages of drawing operations,
//! measured with the font's own advance widths (skrifa), so a test can look at what
//! would be drawn and the renderer stays a dumb loop.

use std::sync::{Arc, LazyLock};

use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

static REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;
pub const MARGIN: f32 = 42.0;

/// The width `text` takes at `size` points.
pub fn width(text: &str, size: f32, bold: bool) -> f32 {
    let Ok(font) = skrifa::FontRef::new(if bold { BOLD } else { REGULAR }) else {
        return 0.0;
    };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .map(|c| {
            charmap
                .map(c)
                .and_then(|g| metrics.advance_width(g))
                .unwrap_or(size * 0.5)
        })
        .sum()
}

/// `text` broken into lines no wider than `max` (words kept whole unless one alone is
/// wider; then it is cut by characters).
pub fn wrap(text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, size, bold) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than the line alone: cut it.
            for c in word.chars() {
                if !line.is_empty() && width(&format!("{line}{c}"), size, bold) > max {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        }
        lines.push(line);
    }
    lines
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// One drawing operation; `y` is the baseline measured from the page's top.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
}

/// A table column: its title, width in points and alignment.
pub struct Column<'a> {
    pub title: &'a str,
    pub width: f32,
    pub align: Align,
}

/// The pages being laid out, top to bottom.
pub struct Layout {
    pub pages: Vec<Vec<Op>>,
    /// The next line's top.
    y: f32,
    title: String,
}

impl Layout {
    pub fn new(title: &str) -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: MARGIN,
            title: title.to_owned(),
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page when `height` more does not fit.
    fn room(&mut self, height: f32) -> bool {
        if self.y + height > PAGE_HEIGHT - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
            return true;
        }
        false
    }

    pub fn space(&mut self, dy: f32) {
        self.y += dy;
    }

    pub fn text_at(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let y = self.y + size;
        self.ops().push(Op::Text {
            x,
            y,
            size,
            bold,
            text: text.to_owned(),
        });
    }

    /// A paragraph across the page's width, wrapped.
    pub fn paragraph(&mut self, text: &str, size: f32, bold: bool) {
        self.block(
            MARGIN,
            PAGE_WIDTH - 2.0 * MARGIN,
            text,
            size,
            bold,
            Align::Left,
        );
    }

    /// A paragraph in a box from `x`, `max` wide.
    pub fn block(&mut self, x: f32, max: f32, text: &str, size: f32, bold: bool, align: Align) {
        let leading = size * 1.3;
        for line in wrap(text, size, bold, max) {
            self.room(leading);
            let w = width(&line, size, bold);
            let at = match align {
                Align::Left => x,
                Align::Right => x + max - w,
                Align::Center => x + (max - w) / 2.0,
            };
            self.text_at(at, size, bold, &line);
            self.y += leading;
        }
    }

    pub fn rule(&mut self, width: f32) {
        let y = self.y;
        self.ops().push(Op::Line {
            x1: MARGIN,
            y1: y,
            x2: PAGE_WIDTH - MARGIN,
            y2: y,
            width,
        });
    }

    /// A table with borders; cells wrap, the header repeats on every page it spans.
    pub fn table(&mut self, columns: &[Column<'_>], rows: &[Vec<String>], size: f32) {
        let pad = 3.0;
        let leading = size * 1.25;
        let header: Vec<String> = columns.iter().map(|c| c.title.to_owned()).collect();
        let cell_lines = |row: &[String], bold: bool| -> Vec<Vec<String>> {
            columns
                .iter()
                .zip(row)
                .map(|(c, text)| wrap(text, size, bold, c.width - 2.0 * pad))
                .collect()
        };
        let height = |lines: &[Vec<String>]| {
            lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * leading + 2.0 * pad
        };
        let head = cell_lines(&header, true);
        let head_height = height(&head);
        self.room(head_height + leading * 2.0);
        self.table_row(columns, &head, head_height, size, true);
        for row in rows {
            let lines = cell_lines(row, false);
            let h = height(&lines);
            if self.room(h) {
                self.table_row(columns, &head, head_height, size, true);
            }
            self.table_row(columns, &lines, h, size, false);
        }
    }

    fn table_row(
        &mut self,
        columns: &[Column<'_>],
        lines: &[Vec<String>],
        height: f32,
        size: f32,
        bold: bool,
    ) {
        let pad = 3.0;
        let leading = size * 1.25;
        let top = self.y;
        let mut x = MARGIN;
        let total: f32 = columns.iter().map(|c| c.width).sum();
        let mut ops = vec![
            Op::Line {
                x1: MARGIN,
                y1: top,
                x2: MARGIN + total,
                y2: top,
                width: 0.5,
            },
            Op::Line {
                x1: MARGIN,
                y1: top + height,
                x2: MARGIN + total,
                y2: top + height,
                width: 0.5,
            },
        ];
        for (c, cell) in columns.iter().zip(lines) {
            ops.push(Op::Line {
                x1: x,
                y1: top,
                x2: x,
                y2: top + height,
                width: 0.5,
            });
            for (i, line) in cell.iter().enumerate() {
                let w = width(line, size, bold);
                let inner = c.width - 2.0 * pad;
                let at = match (c.align, bold) {
                    (_, true) | (Align::Center, _) => x + pad + (inner - w) / 2.0,
                    (Align::Left, false) => x + pad,
                    (Align::Right, false) => x + pad + inner - w,
                };
                ops.push(Op::Text {
                    x: at,
                    y: top + pad + size + i as f32 * leading,
                    size,
                    bold,
                    text: line.clone(),
                });
            }
            x += c.width;
        }
        ops.push(Op::Line {
            x1: x,
            y1: top,
            x2: x,
            y2: top + height,
            width: 0.5,
        });
        self.ops().extend(ops);
        self.y = top + height;
    }

    /// The PDF: every page, the fonts embedded (subset).
    ///
    /// # Errors
    /// krilla refused the document.
    pub fn render(&self) -> anyhow::Result<Vec<u8>> {
        static FONTS: LazyLock<Option<(Font, Font)>> = LazyLock::new(|| {
            Some((
                Font::new(Arc::new(REGULAR.to_vec()).into(), 0)?,
                Font::new(Arc::new(BOLD.to_vec()).into(), 0)?,
            ))
        });
        let (regular, bold) = FONTS
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the embedded font did not load"))?;
        let mut document = Document::new();
        document.set_metadata(
            Metadata::new()
                .title(self.title.clone())
                .language("ru".to_owned())
                .creator("registrar".to_owned()),
        );
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| anyhow::anyhow!("page size"))?;
        for ops in &self.pages {
            let mut page = document.start_page_with(settings.clone());
            let mut surface = page.surface();
            for op in ops {
                match op {
                    Op::Text {
                        x,
                        y,
                        size,
                        bold: b,
                        text,
                    } => {
                        surface.set_stroke(None);
                        surface.set_fill(Some(Fill::default()));
                        let font = if *b { bold.clone() } else { regular.clone() };
                        surface.draw_text(
                            Point::from_xy(*x, *y),
                            font,
                            *size,
                            text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                    Op::Line {
                        x1,
                        y1,
                        x2,
                        y2,
                        width,
                    } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(*x1, *y1);
                        pb.line_to(*x2, *y2);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                width: *width,
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        document.finish().map_err(|e| anyhow::anyhow!("pdf: {e:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_and_wrapped_to_the_width() {
        let w = width("Счёт на оплату", 10.0, false);
        assert!(w > 50.0 && w < 100.0, "{w}");
        assert!(width("Счёт", 10.0, true) > width("Счёт", 10.0, false));
        let lines = wrap(
            "Платная лицензия (годовое обслуживание) для абонента с очень длинным наименованием",
            9.0,
            false,
            120.0,
        );
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|l| width(l, 9.0, false) <= 120.0));
        // A word wider than the box alone is cut, not lost.
        let cut = wrap(
            "40702810722240000789407028107222400007894070281072224",
            9.0,
            false,
            60.0,
        );
        assert_eq!(
            cut.concat(),
            "40702810722240000789407028107222400007894070281072224"
        );
    }

    /// A long table spans pages and repeats its header on each; the PDF is one.
    #[test]
    fn a_long_table_repeats_its_header_on_every_page() {
        let mut l = Layout::new("Проба");
        let columns = [
            Column {
                title: "№",
                width: 30.0,
                align: Align::Right,
            },
            Column {
                title: "Наименование",
                width: 300.0,
                align: Align::Left,
            },
        ];
        let rows: Vec<Vec<String>> = (1..=120)
            .map(|i| vec![i.to_string(), format!("Строка {i}")])
            .collect();
        l.table(&columns, &rows, 9.0);
        assert!(l.pages.len() >= 3, "{}", l.pages.len());
        for page in &l.pages {
            assert!(page.iter().any(
                |op| matches!(op, Op::Text { text, bold: true, .. } if text == "Наименование")
            ));
        }
        let pdf = l.render().unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}

//! Uploaded files: what is accepted (size, sniffed type, archives that are not bombs),
//! the names they are shown under, and their storage under the documents folder as
//! content-addressed keys.
//!
//! Rows and files are kept consistent by the callers' order: the file is written (under
//! a key derived from its checksum, atomically) before the row that names it commits;
//! when the transaction fails, [`discard_unless_referenced`] removes the file unless a
//! committed row names the same key (the same content uploaded concurrently).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{AppError, AppResult};

/// The largest file a person may upload (documentation and the form say 10 МБ).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// The body limit of upload routes. Larger than [`MAX_FILE_BYTES`] on purpose: a file
/// over the limit is read to the end and refused with a message the person sees, rather
/// than cut off mid-upload, which browsers show as «connection reset». Beyond this the
/// connection is cut.
pub const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Scan formats: PDF, JPEG, PNG, TIFF.
pub const SCANS: &[&str] = &["application/pdf", "image/jpeg", "image/png", "image/tiff"];

/// Scans, or a ZIP of them.
pub const SCANS_OR_ZIP: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "application/zip",
];

/// An archive may unpack to at most this much…
const ZIP_MAX_UNPACKED: u64 = 100 * 1024 * 1024;
/// …in at most this many entries…
const ZIP_MAX_ENTRIES: usize = 1000;
/// …none compressed more than this ratio (scans compress 1.1–3×; bombs 1000×).
const ZIP_MAX_RATIO: u64 = 100;

/// The content type, recognised by the file's first bytes (not by its name).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [b'%', b'P', b'D', b'F', b'-', ..] => Some("application/pdf"),
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("image/png"),
        [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => Some("image/tiff"),
        [b'P', b'K', 0x03, 0x04, ..] => Some("application/zip"),
        _ => None,
    }
}

/// The extension files of a type are stored and downloaded with.
pub fn extension(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/tiff" => "tif",
        "application/zip" => "zip",
        _ => "bin",
    }
}

fn type_names(allowed: &[&str]) -> String {
    let names: Vec<&str> = allowed
        .iter()
        .map(|t| match *t {
            "application/pdf" => "PDF",
            "image/jpeg" => "JPEG",
            "image/png" => "PNG",
            "image/tiff" => "TIFF",
            "application/zip" => "ZIP",
            other => other,
        })
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} или {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// Checks an upload and answers its content type.
///
/// # Errors
/// `Invalid` naming `field`: empty, over 10 МБ, a type not in `allowed`, or an archive
/// that is damaged, nested or would unpack to far more than it weighs.
pub fn check(field: &str, bytes: &[u8], allowed: &[&str]) -> AppResult<&'static str> {
    if bytes.is_empty() {
        return Err(AppError::invalid(field, "файл пустой"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::invalid(field, too_big_message()));
    }
    let content_type = sniff(bytes)
        .filter(|t| allowed.contains(t))
        .ok_or_else(|| {
            AppError::invalid(field, format!("допустимы файлы {}", type_names(allowed)))
        })?;
    if content_type == "application/zip" {
        check_archive(bytes).map_err(|m| AppError::invalid(field, m))?;
    }
    Ok(content_type)
}

pub fn too_big_message() -> String {
    format!(
        "файл больше {} МБ — уменьшите его (например, сканируйте в 200–300 dpi) и загрузите снова",
        MAX_FILE_BYTES / 1024 / 1024
    )
}

/// Refuses archives that are damaged, hold other archives, or would unpack to far more
/// than they weigh (a 200 KB «zip bomb» declaring 200 MB). Nothing is unpacked: only the
/// central directory is read.
fn check_archive(bytes: &[u8]) -> Result<(), String> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| "архив повреждён или не является ZIP".to_owned())?;
    let mut archive = archive;
    if archive.len() > ZIP_MAX_ENTRIES {
        return Err(format!("в архиве больше {ZIP_MAX_ENTRIES} файлов"));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|_| "архив повреждён".to_owned())?;
        let name = entry.name().to_lowercase();
        if [".zip", ".rar", ".7z", ".gz", ".tar", ".bz2", ".xz"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            return Err("архив внутри архива не принимается: загрузите файлы по отдельности или одним архивом".to_owned());
        }
        let (size, packed) = (entry.size(), entry.compressed_size().max(1));
        if size > 1024 * 1024 && size / packed > ZIP_MAX_RATIO {
            return Err(
                "архив распаковывается в слишком большой объём: похоже на «zip-бомбу»".to_owned(),
            );
        }
        total = total.saturating_add(size);
    }
    if total > ZIP_MAX_UNPACKED {
        return Err(format!(
            "архив распаковывается больше чем в {} МБ",
            ZIP_MAX_UNPACKED / 1024 / 1024
        ));
    }
    Ok(())
}

/// Unicode "format" characters (category Cf) and other invisible ones that can make a
/// name read differently than it is — the right-to-left override turns `fdp.exe` into
/// `exe.pdf` on screen.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// Removes what must never appear in a download name (invisible and bidi characters,
/// path separators and characters Windows refuses), keeping Cyrillic and the rest.
pub fn safe_display_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !invisible(*c) && !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned.chars().take(150).collect()
    }
}

/// The name a stored upload is shown and downloaded under: [`safe_display_name`], with
/// the extension of the type the content really has (`паспорт.exe` holding a PDF is
/// stored as `паспорт.pdf`).
pub fn file_name_for(name: &str, content_type: &str) -> String {
    let clean = safe_display_name(name);
    let ext = extension(content_type);
    let (stem, current) = match clean.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() && e.len() <= 5 => (s, e.to_lowercase()),
        _ => (clean.as_str(), String::new()),
    };
    let same = current == ext
        || (ext == "jpg" && current == "jpeg")
        || (ext == "tif" && current == "tiff");
    if same {
        clean.clone()
    } else {
        format!("{stem}.{ext}")
    }
}

pub fn path_of(root: &Path, key: &str) -> PathBuf {
    root.join(key)
}

/// Writes `bytes` under `key` atomically (a temporary file in the same folder, synced,
/// then renamed), so a reader never sees half a file.
///
/// # Errors
/// I/O errors.
pub async fn put(root: &Path, key: &str, bytes: &[u8]) -> AppResult<()> {
    let target = path_of(root, key);
    let data = bytes.to_vec();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let dir = target
            .parent()
            .ok_or_else(|| std::io::Error::other("a storage key names a folder"))?;
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(&data)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&target).map_err(|e| e.error)?;
        Ok(())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(anyhow::Error::new(e).context(format!("writing {key}"))))
}

/// # Errors
/// I/O errors (a missing file is internal: a row names it).
pub async fn read(root: &Path, key: &str) -> AppResult<Vec<u8>> {
    tokio::fs::read(path_of(root, key))
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context(format!("reading {key}"))))
}

/// Removes a file no row names any more. A failure is logged: an orphaned file is
/// wasted space, not an error for the person who caused it.
pub async fn remove(root: &Path, key: &str) {
    if let Err(e) = tokio::fs::remove_file(path_of(root, key)).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(key, error = %e, "could not remove a stored file");
    }
}

/// After a failed transaction: removes the file written for it unless `referenced`
/// says a committed row names the same key.
pub async fn discard_unless_referenced(root: &Path, key: &str, referenced: bool) {
    if !referenced {
        remove(root, key).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            z.start_file(*name, opts).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    #[test]
    fn names_lose_invisible_characters_and_get_their_real_extension() {
        assert_eq!(
            file_name_for("паспорт 😀 \u{202e}fdp.exe", "application/pdf"),
            "паспорт 😀 fdp.pdf"
        );
        assert_eq!(
            file_name_for("C:\\scans\\паспорт.PDF", "application/pdf"),
            "паспорт.PDF"
        );
        assert_eq!(file_name_for("фото.jpeg", "image/jpeg"), "фото.jpeg");
        assert_eq!(file_name_for("скан", "image/png"), "скан.png");
        assert_eq!(
            file_name_for("../../etc/passwd", "application/pdf"),
            "passwd.pdf"
        );
        assert_eq!(file_name_for("...", "application/pdf"), "document.pdf");
        assert_eq!(safe_display_name("a\u{200b}b\u{feff}c"), "abc");
    }

    #[test]
    fn archives_that_would_unpack_to_far_more_are_refused() {
        let scans = zip_of(&[("a.pdf", b"%PDF-1.4 scan".to_vec())]);
        assert_eq!(
            check("file", &scans, SCANS_OR_ZIP).unwrap(),
            "application/zip"
        );
        let bomb = zip_of(&[("zeros.bin", vec![0u8; 20 * 1024 * 1024])]);
        assert!(bomb.len() < 100 * 1024, "{}", bomb.len());
        let e = check("file", &bomb, SCANS_OR_ZIP).unwrap_err();
        assert!(format!("{:?}", e).contains("zip-бомб"), "{e:?}");
        let nested = zip_of(&[("inner.zip", scans.clone())]);
        assert!(check("file", &nested, SCANS_OR_ZIP).is_err());
        assert!(check("file", b"PK\x03\x04garbage", SCANS_OR_ZIP).is_err());
    }

    #[test]
    fn type_and_size_are_checked_by_content() {
        assert!(check("file", b"", SCANS).is_err());
        assert!(check("file", b"MZ\x90\x00", SCANS).is_err());
        assert!(check("file", &[0x89, b'P', b'N', b'G'], SCANS).is_err());
        let big = [b"%PDF-".as_slice(), &vec![b' '; MAX_FILE_BYTES]].concat();
        assert!(check("file", &big, SCANS).is_err());
        assert_eq!(
            check("file", b"%PDF-1.7", SCANS).unwrap(),
            "application/pdf"
        );
    }
}

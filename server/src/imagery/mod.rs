//! Imagery at the national-standard limits (R2): a plate patch of at most 120×60 px and 3 KB,
//! an overview of at most 25 KB. Larger images are downgraded — re-scaled and re-compressed
//! until they comply — never stored over the limit and never refused only for their size.

pub mod store;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, GenericImageView, ImageFormat, ImageReader, Limits};
use shared::ImageKind;
use std::io::Cursor;

pub const PATCH_MAX_WIDTH: u32 = 120;
pub const PATCH_MAX_HEIGHT: u32 = 60;
pub const PATCH_MAX_BYTES: usize = 3 * 1024;
pub const OVERVIEW_MAX_BYTES: usize = 25 * 1024;
/// Largest image accepted before downgrading, in bytes and pixels a side.
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;
const MAX_INPUT_SIDE: u32 = 8192;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("image is not base64")]
    NotBase64,
    #[error("image is larger than {} MiB", MAX_INPUT_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("image is not a JPEG or PNG")]
    UnknownFormat,
    #[error("image could not be decoded: {0}")]
    Corrupt(String),
    #[error("image could not be brought within the limits")]
    CannotComply,
}

/// An image ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conformed {
    pub bytes: Vec<u8>,
    pub format: StoredFormat,
    /// Whether it had to be downgraded.
    pub downgraded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredFormat {
    Jpeg,
    Png,
}

impl StoredFormat {
    pub fn extension(self) -> &'static str {
        match self {
            StoredFormat::Jpeg => "jpg",
            StoredFormat::Png => "png",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            StoredFormat::Jpeg => "image/jpeg",
            StoredFormat::Png => "image/png",
        }
    }

    pub fn from_extension(ext: &str) -> Option<StoredFormat> {
        match ext {
            "jpg" => Some(StoredFormat::Jpeg),
            "png" => Some(StoredFormat::Png),
            _ => None,
        }
    }
}

/// Checks `data` is a whole JPEG or PNG and brings it within the limits for `kind`.
pub fn conform(kind: ImageKind, data: &[u8]) -> Result<Conformed, ImageError> {
    let (decoded, format) = decode_checked(data)?;
    let (w, h) = decoded.dimensions();
    let complies = match kind {
        ImageKind::Plate => w <= PATCH_MAX_WIDTH && h <= PATCH_MAX_HEIGHT && data.len() <= PATCH_MAX_BYTES,
        ImageKind::Overview => data.len() <= OVERVIEW_MAX_BYTES,
    };
    if complies {
        return Ok(Conformed { bytes: data.to_vec(), format, downgraded: false });
    }
    downgrade(kind, decoded).map(|bytes| Conformed { bytes, format: StoredFormat::Jpeg, downgraded: true })
}

/// Decodes a whole JPEG or PNG, with the checks and limits `conform` applies.
pub fn decode(data: &[u8]) -> Result<DynamicImage, ImageError> {
    decode_checked(data).map(|(image, _)| image)
}

/// Cuts the box from `left`, `top` to `right`, `bottom` (pixels, the right and bottom edges
/// excluded) out of `image`, clipped to the image, as a PNG: a plate patch an engine located in
/// its overview, to be brought within the limits by `conform` like any other (R2). Nothing when
/// the box holds no pixel of the image.
pub fn cut(image: &DynamicImage, left: f64, top: f64, right: f64, bottom: f64) -> Option<Vec<u8>> {
    let (w, h) = image.dimensions();
    // NaN becomes 0; the casts saturate.
    let clip = |v: f64, max: u32| (v.max(0.0).round() as u64).min(u64::from(max)) as u32;
    let (x0, y0, x1, y1) = (clip(left, w), clip(top, h), clip(right, w), clip(bottom, h));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let patch = image.crop_imm(x0, y0, x1 - x0, y1 - y0);
    let mut out = Cursor::new(Vec::new());
    patch.write_to(&mut out, ImageFormat::Png).ok()?;
    Some(out.into_inner())
}

/// The image and its format, once it has been checked whole and within the input limits.
fn decode_checked(data: &[u8]) -> Result<(DynamicImage, StoredFormat), ImageError> {
    if data.len() > MAX_INPUT_BYTES {
        return Err(ImageError::TooLarge);
    }
    let format = match image::guess_format(data) {
        Ok(ImageFormat::Jpeg) => StoredFormat::Jpeg,
        Ok(ImageFormat::Png) => StoredFormat::Png,
        _ => return Err(ImageError::UnknownFormat),
    };
    if format == StoredFormat::Jpeg && !has_end_of_image(data) {
        // Decoders fill in what is missing; evidence must not be padded out silently.
        return Err(ImageError::Corrupt("the JPEG is truncated (no end-of-image marker)".into()));
    }
    let mut reader = ImageReader::new(Cursor::new(data));
    reader.set_format(match format {
        StoredFormat::Jpeg => ImageFormat::Jpeg,
        StoredFormat::Png => ImageFormat::Png,
    });
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    reader.limits(limits);
    // Decoding the whole image is what finds truncated or corrupt data.
    let decoded = reader.decode().map_err(|e| ImageError::Corrupt(e.to_string()))?;
    Ok((decoded, format))
}

/// Whether a JPEG ends with its end-of-image marker (some cameras pad with zero bytes after it).
fn has_end_of_image(data: &[u8]) -> bool {
    let end = data.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    data[..end].ends_with(&[0xFF, 0xD9])
}

/// Re-scales (a patch to fit 120×60) and re-compresses as JPEG at falling quality, shrinking
/// further while the result is still too large.
fn downgrade(kind: ImageKind, image: DynamicImage) -> Result<Vec<u8>, ImageError> {
    let max_bytes = match kind {
        ImageKind::Plate => PATCH_MAX_BYTES,
        ImageKind::Overview => OVERVIEW_MAX_BYTES,
    };
    // JPEG has no alpha; grey stays grey (smaller), everything else becomes RGB.
    let mut current = match image {
        DynamicImage::ImageLuma8(_) => image,
        DynamicImage::ImageLumaA8(_) | DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA16(_) => {
            DynamicImage::ImageLuma8(image.to_luma8())
        }
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };
    if kind == ImageKind::Plate {
        let (w, h) = current.dimensions();
        if w > PATCH_MAX_WIDTH || h > PATCH_MAX_HEIGHT {
            current = current.thumbnail(PATCH_MAX_WIDTH, PATCH_MAX_HEIGHT);
        }
    } else {
        // An overview beyond 1280 px wide cannot reach 25 KB at a useful quality anyway.
        let (w, h) = current.dimensions();
        if w > 1280 {
            current = current.thumbnail(1280, h);
        }
    }
    for _ in 0..8 {
        let mut at_lowest = usize::MAX;
        for quality in [85u8, 70, 55, 40, 30] {
            let out = encode_jpeg(&current, quality, max_bytes)?;
            if out.len() <= max_bytes {
                return Ok(out);
            }
            at_lowest = out.len();
        }
        // Still too large at the lowest quality: shrink by what the overshoot suggests (bytes
        // go roughly with area), a little more to be sure of progress.
        let (w, h) = current.dimensions();
        let factor = ((max_bytes as f64 / at_lowest as f64).sqrt() * 0.9).clamp(0.3, 0.9);
        let (nw, nh) = (((w as f64) * factor) as u32, ((h as f64) * factor) as u32);
        if nw < 8 || nh < 8 {
            break;
        }
        current = current.thumbnail(nw, nh);
    }
    Err(ImageError::CannotComply)
}

fn encode_jpeg(image: &DynamicImage, quality: u8, expected: usize) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::with_capacity(expected);
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// Decodes base64 (standard alphabet, padding optional) into bytes.
pub fn from_base64(text: &str) -> Result<Vec<u8>, ImageError> {
    use base64::Engine;
    // Roughly a quarter bigger than the bytes it carries.
    if text.len() > MAX_INPUT_BYTES / 3 * 4 + 4 {
        return Err(ImageError::TooLarge);
    }
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text.trim()))
        .map_err(|_| ImageError::NotBase64)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb};

    /// A noisy image (noise does not compress) of `w`×`h`, encoded as `format`.
    pub fn noisy(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
        let mut seed = 0x2545_f491_u32;
        let img = ImageBuffer::from_fn(w, h, |_, _| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
        });
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img).write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn dims(bytes: &[u8]) -> (u32, u32) {
        image::load_from_memory(bytes).unwrap().dimensions()
    }

    #[test]
    fn a_compliant_patch_is_kept_byte_for_byte() {
        let small = {
            let img = ImageBuffer::from_pixel(100, 50, Rgb([250u8, 210, 0]));
            let mut out = Cursor::new(Vec::new());
            DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Png).unwrap();
            out.into_inner()
        };
        assert!(small.len() <= PATCH_MAX_BYTES);
        let kept = conform(ImageKind::Plate, &small).unwrap();
        assert_eq!((kept.bytes, kept.format, kept.downgraded), (small, StoredFormat::Png, false));
    }

    #[test]
    fn an_oversize_patch_is_scaled_and_compressed_within_120_by_60_and_3_kb() {
        for (w, h) in [(121, 60), (120, 61), (640, 160), (90, 50)] {
            let big = noisy(w, h, ImageFormat::Png);
            let out = conform(ImageKind::Plate, &big).unwrap();
            assert!(out.downgraded);
            assert!(out.bytes.len() <= PATCH_MAX_BYTES, "{w}x{h}: {} bytes", out.bytes.len());
            let (ow, oh) = dims(&out.bytes);
            assert!(ow <= PATCH_MAX_WIDTH && oh <= PATCH_MAX_HEIGHT, "{w}x{h} -> {ow}x{oh}");
        }
    }

    #[test]
    fn an_overview_at_the_limit_is_kept_and_over_it_is_downgraded() {
        let big = noisy(800, 600, ImageFormat::Jpeg);
        assert!(big.len() > OVERVIEW_MAX_BYTES);
        let out = conform(ImageKind::Overview, &big).unwrap();
        assert!(out.downgraded && out.bytes.len() <= OVERVIEW_MAX_BYTES, "{} bytes", out.bytes.len());
        let again = conform(ImageKind::Overview, &out.bytes).unwrap();
        assert!(!again.downgraded, "a compliant overview is stored as it is");
    }

    #[test]
    fn a_box_is_cut_from_its_image_clipped_to_it() {
        let image = image::load_from_memory(&noisy(200, 100, ImageFormat::Png)).unwrap();
        let patch = cut(&image, 20.0, 30.0, 120.0, 55.0).unwrap();
        assert_eq!(dims(&patch), (100, 25));
        assert_eq!(dims(&cut(&image, -10.0, 90.0, 500.0, 400.0).unwrap()), (200, 10), "clipped to the image");
        for (l, t, r, b) in [
            (50.0, 10.0, 50.0, 20.0),
            (60.0, 10.0, 40.0, 20.0),
            (300.0, 0.0, 400.0, 10.0),
            (f64::NAN, 0.0, f64::NAN, 9.0),
        ] {
            assert_eq!(cut(&image, l, t, r, b), None, "{l} {t} {r} {b}");
        }
        let conformed = conform(ImageKind::Plate, &cut(&image, 0.0, 0.0, 200.0, 100.0).unwrap()).unwrap();
        let (w, h) = dims(&conformed.bytes);
        assert!(w <= PATCH_MAX_WIDTH && h <= PATCH_MAX_HEIGHT && conformed.bytes.len() <= PATCH_MAX_BYTES);
        assert!(decode(b"not an image").is_err());
    }

    #[test]
    fn corrupt_and_foreign_images_are_refused_by_name() {
        let jpeg = noisy(64, 32, ImageFormat::Jpeg);
        let truncated = &jpeg[..jpeg.len() / 2];
        assert_eq!(
            conform(ImageKind::Plate, truncated),
            Err(ImageError::Corrupt("the JPEG is truncated (no end-of-image marker)".into()))
        );
        let mut padded = jpeg.clone();
        padded.extend([0, 0, 0]);
        assert!(conform(ImageKind::Plate, &padded).is_ok(), "zero padding after the marker is harmless");
        let mut png = noisy(64, 32, ImageFormat::Png);
        png.truncate(png.len() - 40);
        assert!(matches!(conform(ImageKind::Plate, &png), Err(ImageError::Corrupt(_))));
        assert_eq!(conform(ImageKind::Plate, b"GIF89a......"), Err(ImageError::UnknownFormat));
        assert_eq!(from_base64("not base64!!"), Err(ImageError::NotBase64));
    }
}

#[cfg(test)]
mod fuzzed {
    use super::tests::noisy;
    use super::*;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static JPEG: LazyLock<Vec<u8>> = LazyLock::new(|| noisy(64, 32, ImageFormat::Jpeg));
    static PNG: LazyLock<Vec<u8>> = LazyLock::new(|| noisy(64, 32, ImageFormat::Png));

    /// Whatever the bytes, an image is refused with a reason or comes out within its kind's
    /// limits (R2) — never a panic.
    fn holds(kind: ImageKind, data: &[u8]) -> Result<(), TestCaseError> {
        match conform(kind, data) {
            Ok(out) => {
                let (w, h) = image::load_from_memory(&out.bytes).expect("what is kept decodes").dimensions();
                match kind {
                    ImageKind::Plate => prop_assert!(
                        w <= PATCH_MAX_WIDTH && h <= PATCH_MAX_HEIGHT && out.bytes.len() <= PATCH_MAX_BYTES
                    ),
                    ImageKind::Overview => prop_assert!(out.bytes.len() <= OVERVIEW_MAX_BYTES),
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        Ok(())
    }

    fn kind() -> impl Strategy<Value = ImageKind> {
        prop_oneof![Just(ImageKind::Plate), Just(ImageKind::Overview)]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_are_refused_or_conformed(kind in kind(), data in proptest::collection::vec(any::<u8>(), 0..600)) {
            holds(kind, &data)?;
        }

        #[test]
        fn a_mutated_image_is_refused_or_conformed(kind in kind(), png in any::<bool>(),
                                                   edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
                                                   keep in any::<prop::sample::Index>()) {
            let mut data = if png { PNG.clone() } else { JPEG.clone() };
            for (at, byte) in edits {
                let i = at.index(data.len());
                data[i] = byte;
            }
            let keep = keep.index(data.len()) + 1;
            if keep < data.len() / 2 {
                data.truncate(keep);
            }
            holds(kind, &data)?;
        }

        #[test]
        fn any_text_is_base64_or_refused(text in "\\PC{0,64}|[A-Za-z0-9+/=]{0,64}") {
            if let Err(e) = from_base64(&text) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}

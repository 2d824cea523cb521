//! Simulated imagery: a plate patch showing the plate, and an overview of the vehicle with its
//! plate, both JPEG.

use super::font;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).expect("encoding to memory succeeds");
    out
}

fn plate_colours(rear: bool) -> Rgb<u8> {
    if rear {
        Rgb([247, 209, 23])
    } else {
        Rgb([240, 240, 236])
    }
}

/// A plate patch, 120×30: dark characters on a yellow (rear) or white (front) plate.
pub fn patch(plate: &str, rear: bool) -> Vec<u8> {
    let (w, h) = (120, 30);
    let mut img = RgbImage::from_pixel(w, h, plate_colours(rear));
    let scale = if font::width(plate, 3) + 8 <= w { 3 } else { 2 };
    let x0 = (w - font::width(plate, scale).min(w)) / 2;
    let y0 = (h - 7 * scale) / 2;
    font::draw(plate, x0, y0, scale, |x, y| {
        if x < w && y < h {
            img.put_pixel(x, y, Rgb([20, 20, 20]));
        }
    });
    jpeg(&img, 60)
}

/// An overview, `w`×`h`: road, the vehicle body in its colour, its plate, and a caption line.
pub fn overview(plate: &str, colour: Rgb<u8>, caption: &str, w: u32, h: u32) -> Vec<u8> {
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let lane_mark = (x / 24) % 2 == 0 && (h / 2..h / 2 + 3).contains(&y);
        if lane_mark {
            Rgb([230, 230, 230])
        } else {
            let shade = 70 + ((x * 7 + y * 3) % 9) as u8;
            Rgb([shade, shade, shade + 6])
        }
    });
    let (bx, by, bw, bh) = (w / 5, h / 4, w * 3 / 5, h / 2);
    for y in by..by + bh {
        for x in bx..bx + bw {
            img.put_pixel(x, y, colour);
        }
    }
    let scale = (w / 160).max(1);
    let pw = font::width(plate, scale) + 6 * scale;
    let (px, py) = (bx + (bw - pw.min(bw)) / 2, by + bh - 12 * scale);
    for y in py..py + 10 * scale {
        for x in px..(px + pw).min(w) {
            img.put_pixel(x, y, plate_colours(true));
        }
    }
    let mut dot = |x: u32, y: u32, c: Rgb<u8>| {
        if x < w && y < h {
            img.put_pixel(x, y, c);
        }
    };
    font::draw(plate, px + 3 * scale, py + 3 * scale / 2, scale, |x, y| dot(x, y, Rgb([15, 15, 15])));
    font::draw(caption, 4, 4, 1, |x, y| dot(x, y, Rgb([255, 255, 255])));
    jpeg(&img, 70)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imagery::{OVERVIEW_MAX_BYTES, PATCH_MAX_BYTES};

    #[test]
    fn simulated_images_are_whole_jpegs_and_mostly_within_the_limits() {
        let p = patch("AB12CDE", true);
        assert!(p.len() <= PATCH_MAX_BYTES, "{}", p.len());
        assert_eq!(image::load_from_memory(&p).unwrap().width(), 120);
        let o = overview("AB12CDE", Rgb([20, 60, 160]), "CCZ-0001 2026-03-02 09:00:00", 320, 200);
        assert!(o.len() <= OVERVIEW_MAX_BYTES, "{}", o.len());
        let big = overview("AB12CDE", Rgb([20, 60, 160]), "CCZ-0001", 1280, 800);
        assert!(big.len() > OVERVIEW_MAX_BYTES, "large overviews exercise the downgrade: {}", big.len());
    }
}

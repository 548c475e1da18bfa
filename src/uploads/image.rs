//! The four image types an upload may be, known by their first bytes, and
//! their width and height read from the header alone: no image is decoded.

/// An image type uploads accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageType {
    Png,
    Jpeg,
    Webp,
    Gif,
}

/// The longest start of a file kept to find the width and height in (a JPEG's
/// size comes after its metadata segments, which may be long).
pub(crate) const HEADER_BYTES: usize = 256 * 1024;

/// Bytes enough to tell the four types apart.
pub(crate) const SIGNATURE_BYTES: usize = 12;

impl ImageType {
    pub(crate) const ALL: [ImageType; 4] = [
        ImageType::Png,
        ImageType::Jpeg,
        ImageType::Webp,
        ImageType::Gif,
    ];

    /// The type a `Content-Type` names (parameters and case ignored).
    pub(crate) fn from_content_type(value: &str) -> Option<ImageType> {
        let essence = value.split(';').next()?.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|t| t.content_type() == essence || (essence == "image/jpg" && *t == Self::Jpeg))
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Webp => "image/webp",
            ImageType::Gif => "image/gif",
        }
    }

    pub(crate) fn extension(self) -> &'static str {
        match self {
            ImageType::Png => "png",
            ImageType::Jpeg => "jpg",
            ImageType::Webp => "webp",
            ImageType::Gif => "gif",
        }
    }

    /// The type's name in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ImageType::Png => "PNG",
            ImageType::Jpeg => "JPEG",
            ImageType::Webp => "WebP",
            ImageType::Gif => "GIF",
        }
    }

    /// The type whose signature `start` (at least [`SIGNATURE_BYTES`], or the
    /// whole file) begins with.
    pub(crate) fn sniff(start: &[u8]) -> Option<ImageType> {
        if start.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageType::Png)
        } else if start.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(ImageType::Jpeg)
        } else if start.starts_with(b"GIF87a") || start.starts_with(b"GIF89a") {
            Some(ImageType::Gif)
        } else if start.len() >= 12 && &start[..4] == b"RIFF" && &start[8..12] == b"WEBP" {
            Some(ImageType::Webp)
        } else {
            None
        }
    }

    /// Width and height from the header at the start of the file, if they are
    /// there and not zero.
    pub(crate) fn dimensions(self, start: &[u8]) -> Option<(u32, u32)> {
        let size = match self {
            ImageType::Png => png(start),
            ImageType::Jpeg => jpeg(start),
            ImageType::Webp => webp(start),
            ImageType::Gif => gif(start),
        }?;
        (size.0 > 0 && size.1 > 0).then_some(size)
    }
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

/// The IHDR chunk comes first: its width and height are big-endian u32s.
fn png(b: &[u8]) -> Option<(u32, u32)> {
    if b.get(12..16)? != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

/// The logical screen's width and height, little-endian u16s.
fn gif(b: &[u8]) -> Option<(u32, u32)> {
    Some((le16(b, 6)?, le16(b, 8)?))
}

/// The first chunk says which of the three formats it is.
fn webp(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        // lossy: a key frame's start code, then 14-bit width and height
        b"VP8 " => {
            if b.get(23..26)? != [0x9d, 0x01, 0x2a] {
                return None;
            }
            Some((le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff))
        }
        // lossless: a signature byte, then 14-bit width - 1 and height - 1
        b"VP8L" => {
            if *b.get(20)? != 0x2f {
                return None;
            }
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        // extended: the canvas, 24-bit width - 1 and height - 1
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// Walks the segments to the first start-of-frame: its height and width.
fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        // a marker: 0xff (any number of them), then its code
        while *b.get(at)? == 0xff && *b.get(at + 1)? == 0xff {
            at += 1;
        }
        if *b.get(at)? != 0xff {
            return None;
        }
        let code = *b.get(at + 1)?;
        at += 2;
        match code {
            // standalone markers carry no length
            0x01 | 0xd0..=0xd7 => continue,
            // the start of the scan or the end of the image before any frame
            0xd9 | 0xda => return None,
            // SOF0-SOF15 but DHT, JPG and DAC: length, precision, height, width
            0xc0..=0xcf if !matches!(code, 0xc4 | 0xc8 | 0xcc) => {
                return Some((be16(b, at + 5)?, be16(b, at + 3)?));
            }
            _ => at += usize::try_from(be16(b, at)?).ok()?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn each_type_is_known_by_its_signature_alone() {
        assert_eq!(ImageType::sniff(&png_header(1, 1)), Some(ImageType::Png));
        assert_eq!(
            ImageType::sniff(&[0xff, 0xd8, 0xff, 0xe0]),
            Some(ImageType::Jpeg)
        );
        assert_eq!(ImageType::sniff(b"GIF89a\x01\0"), Some(ImageType::Gif));
        assert_eq!(
            ImageType::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageType::Webp)
        );
        for not_an_image in [&b"hello, world"[..], b"RIFF\0\0\0\0WAVE", b"", b"\x89PN"] {
            assert_eq!(ImageType::sniff(not_an_image), None);
        }
    }

    #[test]
    fn content_types_name_the_four_types_only() {
        assert_eq!(
            ImageType::from_content_type("image/PNG; charset=x"),
            Some(ImageType::Png)
        );
        assert_eq!(
            ImageType::from_content_type("image/jpg"),
            Some(ImageType::Jpeg)
        );
        for other in ["image/svg+xml", "text/html", "", "image/png2"] {
            assert_eq!(ImageType::from_content_type(other), None, "{other}");
        }
    }

    #[test]
    fn sizes_come_from_the_headers() {
        assert_eq!(
            ImageType::Png.dimensions(&png_header(640, 480)),
            Some((640, 480))
        );
        assert_eq!(ImageType::Png.dimensions(&png_header(0, 480)), None);
        assert_eq!(
            ImageType::Gif.dimensions(b"GIF89a\x80\x02\xe0\x01"),
            Some((640, 480))
        );
        // a JPEG with an APP0 segment before its baseline frame
        let jpeg = [
            0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01,
            0xe0, 0x02, 0x80,
        ];
        assert_eq!(ImageType::Jpeg.dimensions(&jpeg), Some((640, 480)));
        // a DHT segment is not a frame
        let dht_first = [
            0xff, 0xd8, 0xff, 0xc4, 0x00, 0x03, 0x00, 0xff, 0xc2, 0x00, 0x11, 0x08, 0x00, 0x10,
            0x00, 0x20,
        ];
        assert_eq!(ImageType::Jpeg.dimensions(&dht_first), Some((32, 16)));
        assert_eq!(ImageType::Jpeg.dimensions(&jpeg[..12]), None);
        let mut lossy = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
        lossy.extend_from_slice(&[0x80, 0x02, 0xe0, 0x01]);
        assert_eq!(ImageType::Webp.dimensions(&lossy), Some((640, 480)));
        let mut lossless = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        let bits: u32 = 639 | (479 << 14);
        lossless.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(ImageType::Webp.dimensions(&lossless), Some((640, 480)));
        let mut extended = b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0".to_vec();
        extended.extend_from_slice(&[0x7f, 0x02, 0x00, 0xdf, 0x01, 0x00]);
        assert_eq!(ImageType::Webp.dimensions(&extended), Some((640, 480)));
    }

    #[test]
    fn no_prefix_of_a_header_panics() {
        let mut all = png_header(3, 4);
        all.extend_from_slice(&[0xff; 40]);
        for t in ImageType::ALL {
            for n in 0..all.len() {
                let _ = t.dimensions(&all[..n]);
            }
            let _ = t.dimensions(&[0xff; 64]);
        }
    }
}

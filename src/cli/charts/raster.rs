//! PNG output: the SVG charts rasterized with resvg, so PNG and SVG are the same drawing.
//!
//! Rasterizing needs a font. The system's fonts are searched (fontconfig is not needed); on
//! Debian, `fonts-dejavu-core` provides DejaVu Sans, which is preferred so that images look
//! the same on every machine that has it.

use anyhow::{Context, anyhow};
use resvg::{tiny_skia, usvg};

/// Families tried in order for the SVG's generic `sans-serif`.
const PREFERRED: [&str; 4] = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans"];

/// PNGs are drawn at twice the SVG's size, sharp enough for slides and print.
pub const SCALE: f32 = 2.0;

pub struct Rasterizer {
    options: usvg::Options<'static>,
}

impl Rasterizer {
    /// Loads the system fonts; fails with advice when there is none, since a PNG without text
    /// would be unreadable.
    pub fn new() -> anyhow::Result<Rasterizer> {
        let mut options = usvg::Options::default();
        let db = options.fontdb_mut();
        db.load_system_fonts();
        if db.is_empty() {
            return Err(anyhow!(
                "no fonts found to draw PNG text; install one (on Debian: \
                 `apt-get install fonts-dejavu-core`) or use `--format svg`"
            ));
        }
        let family = PREFERRED
            .iter()
            .find(|f| {
                db.faces()
                    .any(|face| face.families.iter().any(|(n, _)| n == *f))
            })
            .map(|f| f.to_string())
            .or_else(|| {
                db.faces()
                    .next()
                    .and_then(|f| f.families.first().map(|(n, _)| n.clone()))
            });
        if let Some(f) = family {
            db.set_sans_serif_family(f);
        }
        Ok(Rasterizer { options })
    }

    pub fn png(&self, svg: &str) -> anyhow::Result<Vec<u8>> {
        let tree = usvg::Tree::from_str(svg, &self.options).context("cannot read chart SVG")?;
        let size = tree.size().to_int_size();
        let (w, h) = (
            (size.width() as f32 * SCALE).round() as u32,
            (size.height() as f32 * SCALE).round() as u32,
        );
        let mut pixmap =
            tiny_skia::Pixmap::new(w, h).ok_or_else(|| anyhow!("chart has no area"))?;
        pixmap.fill(tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            tiny_skia::Transform::from_scale(SCALE, SCALE),
            &mut pixmap.as_mut(),
        );
        pixmap.encode_png().context("cannot encode PNG")
    }
}

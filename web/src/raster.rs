//! A small software rasteriser for the large-cluster graph: discs, rings, arcs, squares
//! and lines with anti-aliased edges, written into a pixel buffer that the page puts on
//! its canvas in one call. A canvas's own path drawing, rasterised by the browser
//! without a GPU (headless, or a machine without one), costs about 10 ms per thousand
//! small circles and as much per three thousand squares; filling these pixels here
//! costs about a millisecond (`scripts/bench-page.sh`, docs/PERFORMANCE.md).
//!
//! Plain Rust, no browser: tested natively.

/// A colour, red, green, blue (opaque).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// A `#rrggbb` or `#rgb` colour, as the stylesheet writes them.
    pub fn parse(text: &str) -> Option<Rgb> {
        let hex = text.trim().strip_prefix('#')?;
        let digit = |i: usize, len: usize| u8::from_str_radix(hex.get(i..i + len)?, 16).ok();
        match hex.len() {
            6 => Some(Rgb(digit(0, 2)?, digit(2, 2)?, digit(4, 2)?)),
            3 => Some(Rgb(digit(0, 1)? * 17, digit(1, 1)? * 17, digit(2, 1)? * 17)),
            _ => None,
        }
    }
}

/// A dash pattern along a stroke: `on` units drawn, `off` units skipped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dash {
    pub on: f64,
    pub off: f64,
}

impl Dash {
    fn shows(dash: Option<Dash>, along: f64) -> bool {
        dash.is_none_or(|d| along.rem_euclid(d.on + d.off) < d.on)
    }
}

/// How a ring is stroked: its width, colour and dashes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    pub width: f64,
    pub colour: Rgb,
    pub dash: Option<Dash>,
}

/// An opaque RGBA image, `width` by `height`, row by row.
#[derive(Clone, Debug, Default)]
pub struct Raster {
    width: usize,
    height: usize,
    /// Four bytes a pixel: red, green, blue, alpha (always 255).
    pixels: Vec<u8>,
}

impl Raster {
    /// Resizes (keeping the allocation when it fits) and fills with `background`.
    pub fn reset(&mut self, width: usize, height: usize, background: Rgb) {
        self.width = width;
        self.height = height;
        self.pixels.resize(width * height * 4, 0);
        let Rgb(r, g, b) = background;
        for pixel in self.pixels.chunks_exact_mut(4) {
            pixel.copy_from_slice(&[r, g, b, 255]);
        }
    }

    /// Becomes a copy of `other`, keeping its own allocation when it fits.
    pub fn copy_from(&mut self, other: &Raster) {
        self.width = other.width;
        self.height = other.height;
        self.pixels.clear();
        self.pixels.extend_from_slice(&other.pixels);
    }

    /// The pixels where this picture differs from `base` (of the same size), with their
    /// colour here: what was painted over `base`, to be put over another picture later
    /// ([`Raster::overlay`]).
    pub fn painted_over(&self, base: &Raster) -> Vec<(usize, [u8; 4])> {
        self.pixels
            .chunks_exact(4)
            .zip(base.pixels.chunks_exact(4))
            .enumerate()
            .filter(|(_, (here, there))| here != there)
            .map(|(i, (here, _))| (i, [here[0], here[1], here[2], here[3]]))
            .collect()
    }

    /// Puts `painted` ([`Raster::painted_over`]) over this picture.
    pub fn overlay(&mut self, painted: &[(usize, [u8; 4])]) {
        for &(i, rgba) in painted {
            if let Some(pixel) = self.pixels.get_mut(i * 4..i * 4 + 4) {
                pixel.copy_from_slice(&rgba);
            }
        }
    }

    /// The pixels, for the canvas's `ImageData`.
    pub fn bytes(&self) -> &[u8] {
        &self.pixels
    }

    /// The colour at (`x`, `y`).
    #[cfg(test)]
    pub fn at(&self, x: usize, y: usize) -> Rgb {
        let i = (y * self.width + x) * 4;
        Rgb(self.pixels[i], self.pixels[i + 1], self.pixels[i + 2])
    }

    /// Blends `colour` over pixel (`x`, `y`) with `coverage` (0..=1).
    fn blend(&mut self, x: i64, y: i64, colour: Rgb, coverage: f64) {
        if coverage <= 0.0 || x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return;
        }
        let a = coverage.min(1.0);
        let i = (y as usize * self.width + x as usize) * 4;
        for (channel, value) in [colour.0, colour.1, colour.2].into_iter().enumerate() {
            let old = f64::from(self.pixels[i + channel]);
            self.pixels[i + channel] = (old + (f64::from(value) - old) * a).round() as u8;
        }
    }

    /// Calls `shade(px, py, dx, dy)` for every pixel of the square around (`cx`, `cy`)
    /// reaching `reach`, with the offset of the pixel's centre from (`cx`, `cy`).
    fn around(
        &mut self,
        cx: f64,
        cy: f64,
        reach: f64,
        mut shade: impl FnMut(&mut Self, i64, i64, f64, f64),
    ) {
        let (x0, x1) = ((cx - reach).floor() as i64, (cx + reach).ceil() as i64);
        let (y0, y1) = ((cy - reach).floor() as i64, (cy + reach).ceil() as i64);
        for py in y0.max(0)..=y1.min(self.height as i64 - 1) {
            for px in x0.max(0)..=x1.min(self.width as i64 - 1) {
                let (dx, dy) = (px as f64 + 0.5 - cx, py as f64 + 0.5 - cy);
                shade(self, px, py, dx, dy);
            }
        }
    }

    /// A filled disc, its edge anti-aliased.
    pub fn disc(&mut self, cx: f64, cy: f64, r: f64, colour: Rgb) {
        self.around(cx, cy, r + 1.0, |raster, px, py, dx, dy| {
            let d = (dx * dx + dy * dy).sqrt();
            raster.blend(px, py, colour, r + 0.5 - d);
        });
    }

    /// A circle of radius `r` stroked (dashes measured along the circle), only over
    /// `sweep`: the fraction of the turn drawn, clockwise from the top.
    pub fn ring(&mut self, cx: f64, cy: f64, r: f64, stroke: Stroke, sweep: f64) {
        let Stroke {
            width,
            colour,
            dash,
        } = stroke;
        let half = width / 2.0;
        self.around(cx, cy, r + half + 1.0, |raster, px, py, dx, dy| {
            let d = (dx * dx + dy * dy).sqrt();
            let coverage = half + 0.5 - (d - r).abs();
            if coverage <= 0.0 {
                return;
            }
            // Clockwise from the top, as a fraction of the turn.
            let turn = (dx.atan2(-dy) / std::f64::consts::TAU).rem_euclid(1.0);
            if sweep < 1.0 && turn > sweep {
                return;
            }
            if Dash::shows(dash, turn * std::f64::consts::TAU * r) {
                raster.blend(px, py, colour, coverage);
            }
        });
    }

    /// A filled square centred on (`cx`, `cy`), `half` from centre to side, at
    /// `opacity`.
    pub fn square(&mut self, cx: f64, cy: f64, half: f64, colour: Rgb, opacity: f64) {
        self.around(cx, cy, half + 1.0, |raster, px, py, dx, dy| {
            let coverage = (half + 0.5 - dx.abs()).min(half + 0.5 - dy.abs()).min(1.0);
            raster.blend(px, py, colour, coverage * opacity);
        });
    }

    /// A straight line `width` wide from `from` to `to`, optionally dashed.
    pub fn line(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        width: f64,
        colour: Rgb,
        dash: Option<Dash>,
    ) {
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let length = (dx * dx + dy * dy).sqrt();
        if length < 0.5 {
            return;
        }
        let (ux, uy) = (dx / length, dy / length);
        let half = width / 2.0;
        // Walk the line in half-pixel steps, shading the pixels across it.
        let steps = (length * 2.0).ceil() as usize;
        let mut last = (i64::MIN, i64::MIN);
        for step in 0..=steps {
            let along = length * step as f64 / steps as f64;
            if !Dash::shows(dash, along) {
                continue;
            }
            let (x, y) = (from.0 + ux * along, from.1 + uy * along);
            let here = (x.floor() as i64, y.floor() as i64);
            if here == last {
                continue;
            }
            last = here;
            for offset in [-1_i64, 0, 1] {
                // Across the line: the axis it moves least along.
                let (px, py) = if ux.abs() > uy.abs() {
                    (here.0, here.1 + offset)
                } else {
                    (here.0 + offset, here.1)
                };
                let (cx, cy) = (px as f64 + 0.5 - x, py as f64 + 0.5 - y);
                let distance = (cx * -uy + cy * ux).abs();
                self.blend(px, py, colour, (half + 0.5 - distance).min(1.0) * 0.9);
            }
        }
    }

    /// A filled triangle.
    pub fn triangle(&mut self, a: (f64, f64), b: (f64, f64), c: (f64, f64), colour: Rgb) {
        let edge = |p: (f64, f64), q: (f64, f64), x: f64, y: f64| {
            (q.0 - p.0) * (y - p.1) - (q.1 - p.1) * (x - p.0)
        };
        let (x0, x1) = (a.0.min(b.0).min(c.0).floor(), a.0.max(b.0).max(c.0).ceil());
        let (y0, y1) = (a.1.min(b.1).min(c.1).floor(), a.1.max(b.1).max(c.1).ceil());
        for py in y0 as i64..=y1 as i64 {
            for px in x0 as i64..=x1 as i64 {
                let (x, y) = (px as f64 + 0.5, py as f64 + 0.5);
                let sides = [edge(a, b, x, y), edge(b, c, x, y), edge(c, a, x, y)];
                if sides.iter().all(|&s| s >= 0.0) || sides.iter().all(|&s| s <= 0.0) {
                    self.blend(px, py, colour, 1.0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Rgb = Rgb(255, 255, 255);
    const GREEN: Rgb = Rgb(46, 157, 91);

    fn stroke(dash: Option<Dash>) -> Stroke {
        Stroke {
            width: 2.0,
            colour: GREEN,
            dash,
        }
    }

    fn canvas() -> Raster {
        let mut raster = Raster::default();
        raster.reset(40, 30, WHITE);
        raster
    }

    #[test]
    fn colours_read_as_the_stylesheet_writes_them() {
        assert_eq!(Rgb::parse("#2e9d5b"), Some(GREEN));
        assert_eq!(Rgb::parse(" #fff "), Some(WHITE));
        assert_eq!(Rgb::parse("rgb(1, 2, 3)"), None);
        assert_eq!(Rgb::parse("#12345"), None);
        assert_eq!(Rgb::parse("#gg0000"), None);
    }

    #[test]
    fn a_disc_fills_its_inside_and_nothing_beyond_its_edge() {
        let mut raster = canvas();
        raster.disc(10.0, 10.0, 4.0, GREEN);
        assert_eq!(raster.at(10, 10), GREEN);
        assert_eq!(raster.at(7, 10), GREEN);
        assert_eq!(raster.at(15, 10), WHITE);
        assert_eq!(raster.at(10, 15), WHITE);
        let edge = raster.at(13, 10);
        assert!(
            edge != GREEN && edge != WHITE,
            "the edge is blended: {edge:?}"
        );
        assert_eq!(raster.bytes().len(), 40 * 30 * 4);
        assert!(raster.bytes().chunks(4).all(|p| p[3] == 255), "opaque");
    }

    #[test]
    fn a_ring_is_hollow_and_an_arc_covers_only_its_sweep() {
        let mut raster = canvas();
        raster.ring(20.0, 15.0, 8.0, stroke(None), 1.0);
        assert_eq!(raster.at(20, 15), WHITE, "hollow");
        assert_eq!(raster.at(20, 7), GREEN, "top");
        assert_eq!(raster.at(20, 22), GREEN, "bottom");
        let mut arc = canvas();
        // A quarter, clockwise from the top: the upper right only.
        arc.ring(20.0, 15.0, 8.0, stroke(None), 0.25);
        assert_eq!(arc.at(25, 9), GREEN, "upper right");
        assert_eq!(arc.at(14, 9), WHITE, "upper left");
        assert_eq!(arc.at(20, 22), WHITE, "bottom");
    }

    #[test]
    fn a_dashed_ring_leaves_gaps() {
        let mut raster = canvas();
        let dashed = stroke(Some(Dash { on: 3.0, off: 3.0 }));
        raster.ring(20.0, 15.0, 10.0, dashed, 1.0);
        let on_circle: Vec<Rgb> = (0..360)
            .map(|deg| {
                let a = f64::from(deg).to_radians();
                let (x, y) = (20.0 + 10.0 * a.sin(), 15.0 - 10.0 * a.cos());
                raster.at(x as usize, y as usize)
            })
            .collect();
        assert!(on_circle.contains(&WHITE) && on_circle.contains(&GREEN));
    }

    #[test]
    fn squares_blend_by_their_opacity() {
        let mut raster = canvas();
        raster.square(5.0, 5.0, 2.0, GREEN, 1.0);
        raster.square(15.0, 5.0, 2.0, GREEN, 0.25);
        assert_eq!(raster.at(5, 5), GREEN);
        let faded = raster.at(15, 5);
        assert!(faded.0 > 200 && faded.1 > 200, "mostly white: {faded:?}");
        assert_eq!(raster.at(9, 5), WHITE);
    }

    #[test]
    fn lines_join_their_ends_and_dashes_break_them() {
        let mut raster = canvas();
        raster.line((2.0, 3.5), (37.0, 3.5), 1.5, GREEN, None);
        assert!((3..37).all(|x| raster.at(x, 3) != WHITE), "solid");
        assert_eq!(raster.at(20, 10), WHITE);
        raster.line(
            (2.0, 20.5),
            (37.0, 20.5),
            1.5,
            GREEN,
            Some(Dash { on: 4.0, off: 4.0 }),
        );
        let row: Vec<Rgb> = (3..37).map(|x| raster.at(x, 20)).collect();
        assert!(
            row.contains(&WHITE) && row.iter().any(|&p| p != WHITE),
            "dashed"
        );
    }

    #[test]
    fn a_triangle_fills_between_its_corners() {
        let mut raster = canvas();
        raster.triangle((5.0, 5.0), (25.0, 5.0), (5.0, 25.0), GREEN);
        assert_eq!(raster.at(7, 7), GREEN);
        assert_eq!(raster.at(22, 22), WHITE);
    }

    #[test]
    fn a_copy_is_the_same_picture_and_paints_on_its_own() {
        let mut background = canvas();
        background.disc(10.0, 10.0, 4.0, Rgb(200, 0, 0));
        let mut frame = Raster::default();
        frame.copy_from(&background);
        assert_eq!(frame.bytes(), background.bytes());
        frame.square(5.0, 5.0, 2.0, Rgb(0, 0, 200), 1.0);
        assert_eq!(frame.at(5, 5), Rgb(0, 0, 200));
        assert_ne!(
            background.at(5, 5),
            Rgb(0, 0, 200),
            "the background is left as it was"
        );
    }

    #[test]
    fn what_was_painted_over_a_picture_goes_over_another_as_painted() {
        let base = canvas();
        let mut with_disc = Raster::default();
        with_disc.copy_from(&base);
        with_disc.disc(10.0, 10.0, 4.0, Rgb(200, 0, 0));
        let disc = with_disc.painted_over(&base);
        assert!(disc.len() > 40 && disc.len() < 100, "{} pixels", disc.len());
        // A square painted first, then the disc over it: the disc's inside wins.
        let mut frame = Raster::default();
        frame.copy_from(&base);
        frame.square(10.0, 10.0, 3.0, Rgb(0, 0, 200), 1.0);
        frame.square(30.0, 20.0, 3.0, Rgb(0, 0, 200), 1.0);
        frame.overlay(&disc);
        assert_eq!(frame.at(10, 10), Rgb(200, 0, 0));
        assert_eq!(
            frame.at(30, 20),
            Rgb(0, 0, 200),
            "elsewhere the square stays"
        );
    }

    #[test]
    fn drawing_off_the_edge_is_clipped() {
        let mut raster = canvas();
        raster.disc(-3.0, -3.0, 5.0, GREEN);
        raster.line((-10.0, -10.0), (100.0, 100.0), 2.0, GREEN, None);
        raster.triangle((-5.0, -5.0), (80.0, 0.0), (0.0, 80.0), GREEN);
        assert_eq!(raster.at(0, 0), GREEN);
    }
}

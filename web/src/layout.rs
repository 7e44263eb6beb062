//! Where things go on the drawing: plain geometry, no Yew.

/// A point in the SVG's coordinate space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// The drawing is a square `VIEW_SIZE` wide; nodes sit on a circle in it.
pub const VIEW_SIZE: f64 = 600.0;
/// Radius of a node's disc in a small cluster.
pub const NODE_RADIUS: f64 = 34.0;
/// The smallest disc drawn, in a cluster of hundreds.
const MIN_NODE_RADIUS: f64 = 3.0;
const RING_RADIUS: f64 = 220.0;

/// Radius of each disc when `count` share the circle: full size while they fit, then
/// smaller so neighbours do not overlap.
pub fn node_radius(count: usize) -> f64 {
    let spacing = std::f64::consts::TAU * RING_RADIUS / count.max(1) as f64;
    (spacing * 0.4).clamp(MIN_NODE_RADIUS, NODE_RADIUS)
}

/// Position of node `index` of `count`, clockwise from the top.
pub fn node_position(index: usize, count: usize) -> Point {
    let centre = VIEW_SIZE / 2.0;
    if count <= 1 {
        return Point {
            x: centre,
            y: centre,
        };
    }
    let angle = std::f64::consts::TAU * index as f64 / count as f64 - std::f64::consts::FRAC_PI_2;
    Point {
        x: centre + RING_RADIUS * angle.cos(),
        y: centre + RING_RADIUS * angle.sin(),
    }
}

/// Where a message is after covering `progress` (0..=1) of its way, travelling between
/// the rims of the two discs (of `radius`) rather than their centres.
pub fn message_position(from: Point, to: Point, progress: f64, radius: f64) -> Point {
    let (dx, dy) = (to.x - from.x, to.y - from.y);
    let length = (dx * dx + dy * dy).sqrt();
    if length <= 2.0 * radius {
        return from;
    }
    let (ux, uy) = (dx / length, dy / length);
    let start = Point {
        x: from.x + ux * radius,
        y: from.y + uy * radius,
    };
    let travel = (length - 2.0 * radius) * progress.clamp(0.0, 1.0);
    Point {
        x: start.x + ux * travel,
        y: start.y + uy * travel,
    }
}

/// How far along a message is at `now`, from its send and arrival times.
pub fn progress(sent_at: u64, arrives_at: u64, now: u64) -> f64 {
    if arrives_at <= sent_at {
        return 1.0;
    }
    (now.saturating_sub(sent_at) as f64 / (arrives_at - sent_at) as f64).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Point, b: Point) -> bool {
        (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9
    }

    #[test]
    fn nodes_sit_on_a_circle_starting_at_the_top() {
        let top = node_position(0, 4);
        assert!(close(top, Point { x: 300.0, y: 80.0 }));
        let right = node_position(1, 4);
        assert!(close(right, Point { x: 520.0, y: 300.0 }));
        assert!(close(node_position(0, 1), Point { x: 300.0, y: 300.0 }));
    }

    #[test]
    fn messages_travel_rim_to_rim() {
        let a = Point { x: 0.0, y: 0.0 };
        let b = Point { x: 200.0, y: 0.0 };
        assert!(close(
            message_position(a, b, 0.0, NODE_RADIUS),
            Point {
                x: NODE_RADIUS,
                y: 0.0
            }
        ));
        assert!(close(
            message_position(a, b, 1.0, NODE_RADIUS),
            Point {
                x: 200.0 - NODE_RADIUS,
                y: 0.0
            }
        ));
        assert!(close(
            message_position(a, b, 7.0, NODE_RADIUS),
            message_position(a, b, 1.0, NODE_RADIUS)
        ));
    }

    #[test]
    fn discs_shrink_so_neighbours_never_overlap() {
        assert_eq!(node_radius(5), NODE_RADIUS);
        for count in [20, 50, 200, 1000] {
            let r = node_radius(count);
            let gap = {
                let (p, q) = (node_position(0, count), node_position(1, count));
                ((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt()
            };
            assert!(
                r < NODE_RADIUS && (2.0 * r < gap || r == 3.0),
                "{count}: {r} {gap}"
            );
        }
    }

    #[test]
    fn progress_is_clamped() {
        assert_eq!(progress(100, 200, 150), 0.5);
        assert_eq!(progress(100, 200, 50), 0.0);
        assert_eq!(progress(100, 200, 500), 1.0);
        assert_eq!(progress(100, 100, 100), 1.0);
    }
}

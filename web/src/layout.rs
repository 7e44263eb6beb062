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
/// The smallest disc drawn, in a cluster of ten thousand.
const MIN_NODE_RADIUS: f64 = 1.2;
/// The outer ring's radius.
const RING_RADIUS: f64 = 220.0;
/// Up to this many nodes share one ring; more fill rings inside it, this far apart (up
/// to 1,000 nodes on five rings), or closer for more, down to the innermost radius.
const PER_RING: usize = 200;
const RING_GAP: f64 = 30.0;
const INNER_RADIUS: f64 = 40.0;

/// The rings `count` nodes sit on: each ring's radius and how many nodes it holds,
/// outermost first. Each ring holds a share in proportion to its length, so that
/// neighbours are as far apart on every ring.
fn rings(count: usize) -> Vec<(f64, usize)> {
    let rings = count.div_ceil(PER_RING).max(1);
    let gap = if rings > 1 {
        RING_GAP.min((RING_RADIUS - INNER_RADIUS) / (rings - 1) as f64)
    } else {
        RING_GAP
    };
    let radii: Vec<f64> = (0..rings).map(|i| RING_RADIUS - gap * i as f64).collect();
    let total: f64 = radii.iter().sum();
    let mut placed = 0;
    radii
        .iter()
        .enumerate()
        .map(|(i, &radius)| {
            let held = if i + 1 == rings {
                count - placed
            } else {
                ((count as f64 * radius / total).round() as usize).min(count - placed)
            };
            placed += held;
            (radius, held)
        })
        .collect()
}

/// How far apart the nearest nodes of `count` sit: along a ring, or from one ring to
/// the next.
pub fn spacing(count: usize) -> f64 {
    let placed = rings(count);
    let along = placed
        .iter()
        .filter(|(_, held)| *held > 0)
        .map(|&(radius, held)| std::f64::consts::TAU * radius / held as f64)
        .fold(f64::INFINITY, f64::min);
    let across = match placed.as_slice() {
        [outer, next, ..] => outer.0 - next.0,
        _ => f64::INFINITY,
    };
    along.min(across)
}

/// Radius of each disc when `count` share the rings: full size while they fit, then
/// smaller so neighbours do not overlap.
pub fn node_radius(count: usize) -> f64 {
    let spacing = rings(count)
        .iter()
        .filter(|(_, held)| *held > 0)
        .map(|&(radius, held)| std::f64::consts::TAU * radius / held as f64)
        .fold(f64::INFINITY, f64::min);
    (spacing * 0.4).clamp(MIN_NODE_RADIUS, NODE_RADIUS)
}

/// Position of node `index` of `count`: on a circle clockwise from the top, and beyond
/// `PER_RING` nodes on concentric rings, the first nodes on the outer one.
pub fn node_position(index: usize, count: usize) -> Point {
    positions(count).get(index).copied().unwrap_or(Point {
        x: VIEW_SIZE / 2.0,
        y: VIEW_SIZE / 2.0,
    })
}

thread_local! {
    /// The last layout computed: every caller in a frame asks about the same count.
    static LAST_LAYOUT: std::cell::RefCell<(usize, std::rc::Rc<[Point]>)> =
        std::cell::RefCell::new((0, std::rc::Rc::from(Vec::new())));
}

/// Every node's position in a cluster of `count`.
fn positions(count: usize) -> std::rc::Rc<[Point]> {
    LAST_LAYOUT.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != count || last.1.len() != count {
            *last = (count, layout(count).into());
        }
        std::rc::Rc::clone(&last.1)
    })
}

fn layout(count: usize) -> Vec<Point> {
    let centre = VIEW_SIZE / 2.0;
    if count <= 1 {
        return vec![
            Point {
                x: centre,
                y: centre,
            };
            count
        ];
    }
    rings(count)
        .into_iter()
        .flat_map(|(radius, held)| {
            (0..held).map(move |i| {
                let angle =
                    std::f64::consts::TAU * i as f64 / held as f64 - std::f64::consts::FRAC_PI_2;
                Point {
                    x: centre + radius * angle.cos(),
                    y: centre + radius * angle.sin(),
                }
            })
        })
        .collect()
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
    fn discs_shrink_and_large_clusters_take_rings_so_no_two_discs_overlap() {
        assert_eq!(node_radius(5), NODE_RADIUS);
        for count in [20, 50, 200, 201, 450, 1000, 3000] {
            let r = node_radius(count);
            let at: Vec<Point> = (0..count).map(|i| node_position(i, count)).collect();
            let nearest = (0..count)
                .flat_map(|i| (i + 1..count).map(move |j| (i, j)))
                .map(|(i, j)| ((at[i].x - at[j].x).powi(2) + (at[i].y - at[j].y).powi(2)).sqrt())
                .fold(f64::INFINITY, f64::min);
            assert!(
                r < NODE_RADIUS && 2.0 * r < nearest,
                "{count}: radius {r}, nearest {nearest}"
            );
            let held: usize = rings(count).iter().map(|(_, held)| held).sum();
            assert_eq!(held, count, "every node has a place");
        }
        assert_eq!(rings(200).len(), 1);
        assert_eq!(rings(1000).len(), 5);
        // Ten thousand on 50 rings: compared by ring, not pair by pair.
        let (placed, radius) = (rings(10_000), node_radius(10_000));
        assert_eq!(placed.len(), 50);
        assert_eq!(placed.iter().map(|(_, held)| held).sum::<usize>(), 10_000);
        let gap = placed[0].0 - placed[1].0;
        let along = placed
            .iter()
            .map(|&(r, held)| std::f64::consts::TAU * r / held as f64)
            .fold(f64::INFINITY, f64::min);
        assert!(
            2.0 * radius < gap.min(along),
            "radius {radius}, gap {gap}, along {along}"
        );
        assert!(
            close(node_position(0, 1000), Point { x: 300.0, y: 80.0 }),
            "the first node at the top"
        );
    }

    #[test]
    fn progress_is_clamped() {
        assert_eq!(progress(100, 200, 150), 0.5);
        assert_eq!(progress(100, 200, 50), 0.0);
        assert_eq!(progress(100, 200, 500), 1.0);
        assert_eq!(progress(100, 100, 100), 1.0);
    }
}

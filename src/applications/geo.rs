//! Placing an actual address on the map and ranking identification centers by distance
//! (§6). Addresses are matched against a fixture of localities; distance is haversine.

/// Great-circle distance in kilometres.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// A named place with coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
}

fn normalise(s: &str) -> String {
    s.to_lowercase().replace('ё', "е")
}

/// The locality an address names: the longest locality name that appears in the address
/// as a whole word (so "Королев" is not found inside "Королевская улица").
pub fn locate<'a>(address: &str, places: &'a [Place]) -> Option<&'a Place> {
    let addr = normalise(address);
    let is_word_char = |c: char| c.is_alphanumeric() || c == '-';
    places
        .iter()
        .filter(|p| {
            let name = normalise(&p.name);
            addr.match_indices(&name).any(|(i, m)| {
                let before = addr[..i].chars().next_back();
                let after = addr[i + m.len()..].chars().next();
                !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
            })
        })
        .max_by_key(|p| p.name.chars().count())
}

/// Ranks `centers` (id, coordinates) by distance from `from`; without a location the
/// order is kept and no distance is given.
pub fn rank<T: Clone>(
    from: Option<(f64, f64)>,
    centers: &[(T, f64, f64)],
) -> Vec<(T, Option<f64>)> {
    let mut ranked: Vec<(T, Option<f64>)> = centers
        .iter()
        .map(|(c, lat, lon)| {
            (
                c.clone(),
                from.map(|(flat, flon)| haversine_km(flat, flon, *lat, *lon)),
            )
        })
        .collect();
    if from.is_some() {
        ranked.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(name: &str, lat: f64, lon: f64) -> Place {
        Place {
            name: name.into(),
            latitude: lat,
            longitude: lon,
        }
    }

    #[test]
    fn kaluga_to_obninsk_is_about_70_km() {
        let d = haversine_km(54.5138, 36.2612, 55.0968, 36.6101);
        assert!((d - 69.0).abs() < 3.0, "{d}");
        assert!(haversine_km(55.0, 37.0, 55.0, 37.0).abs() < 1e-9);
    }

    #[test]
    fn the_locality_is_found_as_a_whole_word() {
        let places = [
            place("Королёв", 55.92, 37.82),
            place("Калуга", 54.51, 36.26),
            place("Жуков", 55.03, 36.74),
        ];
        assert_eq!(
            locate(
                "248001, Калужская область, г. Калуга, ул. Кирова, д. 1",
                &places
            )
            .unwrap()
            .name,
            "Калуга"
        );
        assert_eq!(
            locate("г. Королев, ул. Ленина", &places).unwrap().name,
            "Королёв"
        );
        assert!(locate("г. Москва, Королевская ул.", &places).is_none());
        assert!(locate("г. Жуковский", &places).is_none());
    }

    #[test]
    fn centers_are_ranked_nearest_first() {
        let centers = [("far", 55.0968, 36.6101), ("near", 54.5138, 36.2612)];
        let ranked = rank(Some((54.52, 36.27)), &centers);
        assert_eq!(ranked[0].0, "near");
        assert!(ranked[0].1.unwrap() < ranked[1].1.unwrap());
        let unranked = rank::<&str>(None, &centers);
        assert_eq!(unranked[0], ("far", None));
    }
}

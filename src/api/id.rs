//! Ids travel as strings: they are 64-bit, more than a JavaScript number holds exactly. A request
//! may send an id as a string or as a number.

use serde::{Deserialize, Deserializer, Serializer};

pub fn ser<S: Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

pub fn ser_opt<S: Serializer>(id: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => s.collect_str(id),
        None => s.serialize_none(),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Either {
    Number(i64),
    Text(String),
}

fn read<E: serde::de::Error>(v: Either) -> Result<i64, E> {
    match v {
        Either::Number(n) => Ok(n),
        Either::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| E::custom("an id is a string of digits")),
    }
}

pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    read(Either::deserialize(d)?)
}

pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<Either>::deserialize(d)?.map(read).transpose()
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct T {
        #[serde(serialize_with = "super::ser", deserialize_with = "super::de")]
        id: i64,
        #[serde(
            default,
            serialize_with = "super::ser_opt",
            deserialize_with = "super::de_opt"
        )]
        other: Option<i64>,
    }

    #[test]
    fn ids_go_out_as_strings_and_come_in_either_way() {
        let t = T {
            id: 254_418_472_021_549_056,
            other: None,
        };
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"id":"254418472021549056","other":null}"#
        );
        let a: T = serde_json::from_str(r#"{"id":"254418472021549056","other":7}"#).unwrap();
        assert_eq!((a.id, a.other), (254_418_472_021_549_056, Some(7)));
        let b: T = serde_json::from_str(r#"{"id":12}"#).unwrap();
        assert_eq!((b.id, b.other), (12, None));
        assert!(serde_json::from_str::<T>(r#"{"id":"x1"}"#).is_err());
    }
}

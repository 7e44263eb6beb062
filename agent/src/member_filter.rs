//! Which members a list keeps: the query of `GET /api/members`, which `gossip members
//! --status --name --tag` sends. As in `serf members`, a name and a tag's value are
//! regular expressions that must match the whole text: `--tag role=web` keeps `web` and
//! not `webhooks`, `--tag 'role=web.*'` keeps both, `--name 'n[12]'` keeps n1 and n2.
//! Statuses are names (a typo is refused, not matched against nothing); given more than
//! once, a member in any of them is kept. Every other test given must hold.

use gossip_api::MemberInfo;
use gossip_core::MemberState;
use regex_lite::{Regex, RegexBuilder};

/// A member list's filter; the default keeps every member.
#[derive(Debug, Default)]
pub struct MemberFilter {
    statuses: Vec<MemberState>,
    name: Option<Regex>,
    tags: Vec<(String, Regex)>,
}

impl MemberFilter {
    /// Reads `status=STATE`, `name=REGEX` and `tag=KEY=REGEX` pairs, each but `name`
    /// repeatable; the error names the pair that could not be read and why.
    pub fn from_query(pairs: Vec<(String, String)>) -> Result<MemberFilter, String> {
        let mut filter = MemberFilter::default();
        for (parameter, value) in pairs {
            match parameter.as_str() {
                "status" => filter.statuses.push(status_named(&value)?),
                "name" if filter.name.is_some() => {
                    return Err(format!(
                        "name={value}: one name pattern at most (join several with |)"
                    ));
                }
                "name" => {
                    filter.name =
                        Some(whole_match(&value).map_err(|why| format!("name={value}: {why}"))?);
                }
                "tag" => {
                    let (key, pattern) = value
                        .split_once('=')
                        .ok_or_else(|| format!("tag={value}: a tag filter is KEY=REGEX"))?;
                    let pattern =
                        whole_match(pattern).map_err(|why| format!("tag={value}: {why}"))?;
                    filter.tags.push((key.to_owned(), pattern));
                }
                _ => {
                    return Err(format!(
                        "no parameter {parameter:?}: the member list takes status, name and tag"
                    ));
                }
            }
        }
        Ok(filter)
    }

    /// Whether `member` passes every test given.
    pub fn keeps(&self, member: &MemberInfo) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&member.status))
            && self
                .name
                .as_ref()
                .is_none_or(|name| name.is_match(member.name.as_str()))
            && self.tags.iter().all(|(key, pattern)| {
                member
                    .tags
                    .get(key)
                    .is_some_and(|value| pattern.is_match(value))
            })
    }
}

/// The state a status names, or what the names are.
pub fn status_named(name: &str) -> Result<MemberState, String> {
    MemberState::ALL
        .into_iter()
        .find(|state| state.as_str() == name)
        .ok_or_else(|| format!("status={name}: a status is alive, suspect, dead or left"))
}

/// A regular expression that matches only the whole of a text, as Serf anchors its
/// filters; the error is the pattern's fault, said in one line. A pattern is held to a
/// compiled size of 1 MiB (a tenth of the library's default), since anyone who can
/// list the members can send one.
pub fn whole_match(pattern: &str) -> Result<Regex, String> {
    const SIZE_LIMIT: usize = 1 << 20;
    let build = |pattern: &str| RegexBuilder::new(pattern).size_limit(SIZE_LIMIT).build();
    // The pattern alone first: `a)|(?:b` is no pattern, though wrapped it would read
    // as one that matches any name starting with `a`.
    build(pattern)
        .and_then(|_| build(&format!("^(?:{pattern})$")))
        .map_err(|error| {
            let why = error.to_string();
            let why = why.lines().last().unwrap_or("").trim();
            format!("not a usable regular expression ({why})")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::NodeId;

    fn member(name: &str, status: MemberState, tags: &[(&str, &str)]) -> MemberInfo {
        MemberInfo {
            name: NodeId::new(name).unwrap(),
            addr: "127.0.0.1:9001".parse().unwrap(),
            status,
            incarnation: 0,
            local_health: None,
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn filter(query: &[(&str, &str)]) -> Result<MemberFilter, String> {
        MemberFilter::from_query(
            query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn kept(query: &[(&str, &str)], members: &[MemberInfo]) -> Vec<String> {
        let filter = filter(query).unwrap();
        members
            .iter()
            .filter(|m| filter.keeps(m))
            .map(|m| m.name.to_string())
            .collect()
    }

    #[test]
    fn tag_values_and_names_match_as_whole_regular_expressions() {
        let members = [
            member("n1", MemberState::Alive, &[("role", "web")]),
            member("n2", MemberState::Alive, &[("role", "webhooks")]),
            member("n12", MemberState::Dead, &[("role", "db"), ("dc", "a")]),
            member("n3", MemberState::Alive, &[]),
        ];
        assert_eq!(kept(&[], &members), ["n1", "n2", "n12", "n3"]);
        assert_eq!(kept(&[("tag", "role=web")], &members), ["n1"]);
        assert_eq!(kept(&[("tag", "role=web.*")], &members), ["n1", "n2"]);
        assert_eq!(kept(&[("tag", "role=web|db")], &members), ["n1", "n12"]);
        assert_eq!(kept(&[("tag", "role=")], &members), Vec::<String>::new());
        assert_eq!(kept(&[("tag", "role=.*")], &members), ["n1", "n2", "n12"]);
        assert_eq!(
            kept(&[("tag", "role=.*"), ("tag", "dc=a")], &members),
            ["n12"]
        );
        assert_eq!(kept(&[("name", "n1")], &members), ["n1"]);
        assert_eq!(kept(&[("name", "n1.*")], &members), ["n1", "n12"]);
        assert_eq!(kept(&[("name", "n[23]")], &members), ["n2", "n3"]);
    }

    #[test]
    fn statuses_given_twice_keep_either() {
        let members = [
            member("n1", MemberState::Alive, &[]),
            member("n2", MemberState::Suspect, &[]),
            member("n3", MemberState::Dead, &[]),
        ];
        assert_eq!(kept(&[("status", "suspect")], &members), ["n2"]);
        assert_eq!(
            kept(&[("status", "alive"), ("status", "dead")], &members),
            ["n1", "n3"]
        );
        assert_eq!(
            kept(&[("status", "alive"), ("name", "n[23]")], &members),
            Vec::<String>::new()
        );
    }

    #[test]
    fn what_cannot_be_read_is_refused_saying_which_part() {
        let error = |query: &[(&str, &str)]| filter(query).unwrap_err();
        assert!(error(&[("tag", "role=web(")]).starts_with("tag=role=web(: not a usable regular"));
        assert!(!error(&[("tag", "role=web(")]).contains('\n'));
        assert_eq!(
            error(&[("tag", "role")]),
            "tag=role: a tag filter is KEY=REGEX"
        );
        assert!(error(&[("name", "[")]).starts_with("name=[: not a usable regular expression"));
        assert!(error(&[("name", "(a{1000}){1000}")]).contains("not a usable regular expression"));
        assert!(
            error(&[("name", "a)|(?:b")]).contains("not a usable regular expression"),
            "no group closed that the anchors opened"
        );
        assert!(error(&[("name", "a"), ("name", "b")]).contains("one name pattern"));
        assert_eq!(
            error(&[("status", "alve")]),
            "status=alve: a status is alive, suspect, dead or left"
        );
        assert!(error(&[("role", "web")]).starts_with("no parameter \"role\""));
    }
}

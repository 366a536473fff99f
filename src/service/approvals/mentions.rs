//! Finding the members a comment @mentions: `@Full Name`, `@email`, or `@First` when exactly
//! one member has that first name. Case does not matter.

use crate::model::UserId;
use crate::repo::approvals::Person;

/// The ids of the mentioned people, each once, in the order first mentioned.
pub fn find(text: &str, people: &[Person]) -> Vec<UserId> {
    let mut found: Vec<UserId> = Vec::new();
    let lower = text.to_lowercase();
    for (at, _) in lower.match_indices('@') {
        let before = lower[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_') {
            continue; // the @ inside an email address, not a mention
        }
        let rest = &lower[at + 1..];
        if let Some(person) = mentioned(rest, people) {
            if !found.contains(&person.id) {
                found.push(person.id.clone());
            }
        }
    }
    found
}

fn ends_word(rest: &str, len: usize) -> bool {
    rest[len..]
        .chars()
        .next()
        .is_none_or(|c| !(c.is_alphanumeric() || c == '@' || c == '_'))
}

fn mentioned<'a>(rest: &str, people: &'a [Person]) -> Option<&'a Person> {
    let starts = |candidate: &str| {
        !candidate.is_empty() && rest.starts_with(candidate) && ends_word(rest, candidate.len())
    };
    // The longest full name or email wins, so "@Ann Lee" is not taken for "@Ann".
    let best = people
        .iter()
        .flat_map(|p| {
            [p.email.to_lowercase(), p.name.trim().to_lowercase()]
                .into_iter()
                .filter(|c| starts(c))
                .map(move |c| (c.len(), p))
        })
        .max_by_key(|(len, _)| *len);
    if let Some((_, person)) = best {
        return Some(person);
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '\'')
        .collect();
    if word.is_empty() {
        return None;
    }
    let mut by_first = people.iter().filter(|p| {
        p.name
            .split_whitespace()
            .next()
            .is_some_and(|f| f.to_lowercase() == word)
    });
    match (by_first.next(), by_first.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn person(name: &str, email: &str) -> Person {
        Person {
            id: UserId::new(),
            name: name.into(),
            email: email.into(),
            role: Role::Editor,
        }
    }

    #[test]
    fn full_names_emails_and_unique_first_names_match() {
        let people = vec![
            person("Ann Lee", "ann@example.com"),
            person("Bob Stone", "bob@example.com"),
            person("Bob Marsh", "marsh@example.com"),
        ];
        let ids = |t: &str| find(t, &people);
        assert_eq!(ids("thanks @ann lee!"), vec![people[0].id.clone()]);
        assert_eq!(ids("cc @ANN"), vec![people[0].id.clone()]);
        assert_eq!(ids("ping @marsh@example.com."), vec![people[2].id.clone()]);
        assert!(ids("@bob is ambiguous").is_empty());
        assert!(ids("mail ann@example.com").is_empty());
        assert_eq!(ids("@Ann and @ann again").len(), 1);
    }
}

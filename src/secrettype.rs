//! The `type` a fan-out Secret may declare, and the keys the API server
//! demands of each: a `kubernetes.io/tls` Secret without `tls.key` is
//! refused at apply, so the input is checked for it up front.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretType {
    #[default]
    Opaque,
    BasicAuth,
    Tls,
    SshAuth,
    DockerConfigJson,
}

/// What a type asks of the Secret's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequiredKeys {
    None,
    /// Every one of these.
    All(&'static [&'static str]),
    /// At least one of these.
    Any(&'static [&'static str]),
}

impl SecretType {
    pub const ALL: [SecretType; 5] = [Self::Opaque, Self::BasicAuth, Self::Tls, Self::SshAuth, Self::DockerConfigJson];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opaque => "Opaque",
            Self::BasicAuth => "kubernetes.io/basic-auth",
            Self::Tls => "kubernetes.io/tls",
            Self::SshAuth => "kubernetes.io/ssh-auth",
            Self::DockerConfigJson => "kubernetes.io/dockerconfigjson",
        }
    }

    /// As the API server validates Secrets of each type.
    pub fn required_keys(self) -> RequiredKeys {
        match self {
            Self::Opaque => RequiredKeys::None,
            Self::BasicAuth => RequiredKeys::Any(&["username", "password"]),
            Self::Tls => RequiredKeys::All(&["tls.crt", "tls.key"]),
            Self::SshAuth => RequiredKeys::All(&["ssh-privatekey"]),
            Self::DockerConfigJson => RequiredKeys::All(&[".dockerconfigjson"]),
        }
    }

    /// The key whose value the API server parses as JSON.
    pub fn json_key(self) -> Option<&'static str> {
        (self == Self::DockerConfigJson).then_some(".dockerconfigjson")
    }
}

impl RequiredKeys {
    /// The required keys that `has` lacks; for [`RequiredKeys::Any`], all
    /// of them when it has none.
    pub fn unmet(self, has: impl Fn(&str) -> bool) -> Vec<&'static str> {
        match self {
            Self::None => Vec::new(),
            Self::All(keys) => keys.iter().copied().filter(|key| !has(key)).collect(),
            Self::Any(keys) if keys.iter().any(|key| has(key)) => Vec::new(),
            Self::Any(keys) => keys.to_vec(),
        }
    }

    /// How the requirement reads in a message: `tls.crt and tls.key`,
    /// `username or password`.
    pub fn describe(self, keys: &[&str]) -> String {
        let joiner = if matches!(self, Self::Any(_)) { " or " } else { " and " };
        keys.join(joiner)
    }
}

impl fmt::Display for SecretType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in SecretType::ALL {
            assert_eq!(SecretType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SecretType::parse("kubernetes.io/service-account-token"), None);
    }

    #[test]
    fn unmet_keys_follow_each_rule() {
        let has = |keys: &'static [&'static str]| move |key: &str| keys.contains(&key);
        assert_eq!(SecretType::Tls.required_keys().unmet(has(&["tls.crt"])), ["tls.key"]);
        assert!(SecretType::Tls.required_keys().unmet(has(&["tls.crt", "tls.key"])).is_empty());
        assert!(SecretType::BasicAuth.required_keys().unmet(has(&["password"])).is_empty());
        assert_eq!(SecretType::BasicAuth.required_keys().unmet(has(&[])), ["username", "password"]);
        assert!(SecretType::Opaque.required_keys().unmet(has(&[])).is_empty());
        assert_eq!(SecretType::BasicAuth.required_keys().describe(&["username", "password"]), "username or password");
    }
}

//! Keeping stored secrets when a resource is replaced by a copy without them.
//!
//! `tctl get user/joe > joe.yaml; tctl create -f joe.yaml` must not wipe Joe's
//! password: the YAML printed without `--with-secrets` has no secrets, so a
//! replacement that carries none keeps the stored ones. A replacement that carries its
//! own secrets (the output of `--with-secrets`) replaces them.

use teleport_core::resource::Resource;

/// Copies into `new` the secrets of `stored` that `new` leaves empty.
pub(super) fn carry_over(stored: &Resource, new: &mut Resource) {
    match (stored, new) {
        (Resource::User(old), Resource::User(new)) if new.spec.local_auth.is_none() => {
            new.spec.local_auth.clone_from(&old.spec.local_auth);
        }
        (Resource::Github(old), Resource::Github(new)) if new.spec.client_secret.is_empty() => {
            new.spec.client_secret = old.spec.client_secret.clone();
        }
        (Resource::Oidc(old), Resource::Oidc(new)) if new.spec.client_secret.is_empty() => {
            new.spec.client_secret = old.spec.client_secret.clone();
        }
        (Resource::Saml(old), Resource::Saml(new)) => {
            let pairs = [
                (&old.spec.signing_key_pair, &mut new.spec.signing_key_pair),
                (
                    &old.spec.assertion_key_pair,
                    &mut new.spec.assertion_key_pair,
                ),
            ];
            for (old, new) in pairs {
                if let (Some(old), Some(new)) = (old, new) {
                    if new.private_key.is_empty() && new.cert == old.cert {
                        new.private_key = old.private_key.clone();
                    }
                }
            }
        }
        (Resource::TrustedCluster(old), Resource::TrustedCluster(new))
            if new.spec.token.is_empty() =>
        {
            new.spec.token = old.spec.token.clone();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teleport_core::resource::read_resources;

    #[test]
    fn a_copy_without_secrets_keeps_the_stored_ones_and_one_with_secrets_replaces_them() {
        let stored = read_resources(
            "kind: github\nversion: v3\nmetadata: {name: gh}\nspec:\n  client_id: id\n  client_secret: old\n  redirect_url: https://x/cb\n",
            "stored",
        )
        .unwrap()
        .remove(0);
        let mut without = stored.without_secrets();
        carry_over(&stored, &mut without);
        assert_eq!(without, stored);

        let mut replaced = read_resources(
            "kind: github\nversion: v3\nmetadata: {name: gh}\nspec:\n  client_id: id\n  client_secret: new\n  redirect_url: https://x/cb\n",
            "new",
        )
        .unwrap()
        .remove(0);
        let expected = replaced.clone();
        carry_over(&stored, &mut replaced);
        assert_eq!(replaced, expected);
    }
}

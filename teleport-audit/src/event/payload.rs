//! [`EventPayload`]: every event type this build knows, its name in `event`, the code
//! each calls for, and the passthrough for types it does not know.
//!
//! The list of types is written once, in the `event_payloads!` table below, which makes
//! the enum, [`EventPayload::event_type`], [`EventPayload::EVENT_TYPES`] and the
//! name-to-type dispatch of deserialization from that one table, so they cannot drift
//! apart. [`EventPayload::code`] is written by hand because some codes depend on the
//! event's content.

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::admin::{JoinTokenCreate, ResourceChange, UserChange, UserPasswordChange};
use super::exec::{ClientDisconnect, Exec, PortForward, Scp, ScpAction, Subsystem, X11Forward};
use super::login::{AuthAttempt, CertificateCreate, InstanceJoin, UserLogin};
use super::session::{
    Print, Resize, SessionData, SessionEnd, SessionJoin, SessionLeave, SessionReject, SessionStart,
    SessionUpload,
};

/// What [`EventPayload::event_type`] says for an [`EventPayload::Unknown`] event, as
/// Teleport names events it cannot read.
pub const UNKNOWN_EVENT_TYPE: &str = "unknown";

macro_rules! event_payloads {
    ($( $(#[doc = $doc:literal])* $name:literal => $variant:ident($ty:ty), )*) => {
        /// The type of an audit event and the fields of that type; `event` in JSON.
        ///
        /// Reading an event whose `event` this build does not know gives
        /// [`EventPayload::Unknown`], which keeps its fields and writes them back
        /// unchanged, so logs written by newer versions pass through. Reading an event of
        /// a known type with a missing or mistyped field is an error that names the type
        /// and the field.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "event")]
        #[non_exhaustive]
        pub enum EventPayload {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $name)]
                $variant($ty),
            )*
            /// An event of a type this build does not know, kept as it was read.
            #[serde(untagged)]
            Unknown(UnknownEvent),
        }

        impl EventPayload {
            /// Every event type this build knows, as written in `event`.
            pub const EVENT_TYPES: &'static [&'static str] = &[$($name),*];

            /// The event's type as written in `event`, or [`UNKNOWN_EVENT_TYPE`] for an
            /// [`EventPayload::Unknown`] event (whose own name
            /// [`EventPayload::event_name`] gives).
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(EventPayload::$variant(_) => $name,)*
                    EventPayload::Unknown(_) => UNKNOWN_EVENT_TYPE,
                }
            }

            /// Reads the fields of an event of type `event`; gives `object` back when
            /// the type is not one this build knows.
            fn from_object(
                event: &str,
                object: Map<String, Value>,
            ) -> Result<Result<Self, serde_json::Error>, Map<String, Value>> {
                match event {
                    $($name => Ok(<$ty>::deserialize(object).map(EventPayload::$variant)),)*
                    _ => Err(object),
                }
            }
        }
    };
}

event_payloads! {
    /// `session.start` (T2000I).
    "session.start" => SessionStart(SessionStart),
    /// `session.join` (T2001I).
    "session.join" => SessionJoin(SessionJoin),
    /// `resize` (T2002I).
    "resize" => Resize(Resize),
    /// `session.leave` (T2003I).
    "session.leave" => SessionLeave(SessionLeave),
    /// `session.end` (T2004I).
    "session.end" => SessionEnd(SessionEnd),
    /// `session.upload` (T2005I).
    "session.upload" => SessionUpload(SessionUpload),
    /// `session.data` (T2006I).
    "session.data" => SessionData(SessionData),
    /// `session.rejected` (T1006W).
    "session.rejected" => SessionReject(SessionReject),
    /// `print` (no code): a line of a session recording.
    "print" => Print(Print),
    /// `exec` (T3002I, T3002E on failure).
    "exec" => Exec(Exec),
    /// `scp` (T3004I download, T3005I upload; T3004E/T3005E on failure).
    "scp" => Scp(Scp),
    /// `subsystem` (T3001I, T3001E on failure).
    "subsystem" => Subsystem(Subsystem),
    /// `port` (T3003I, T3003E on failure).
    "port" => PortForward(PortForward),
    /// `x11-forward` (T3008I, T3008W on failure).
    "x11-forward" => X11Forward(X11Forward),
    /// `client.disconnect` (T3006I).
    "client.disconnect" => ClientDisconnect(ClientDisconnect),
    /// `auth` (T3007W).
    "auth" => AuthAttempt(AuthAttempt),
    /// `user.login` (T1000I/T1000W local, T1001I/T1001W SSO).
    "user.login" => UserLogin(UserLogin),
    /// `cert.create` (TC000I).
    "cert.create" => CertificateCreate(CertificateCreate),
    /// `instance.join` (TJ002I, TJ002E on failure).
    "instance.join" => InstanceJoin(InstanceJoin),
    /// `user.create` (T1002I).
    "user.create" => UserCreate(UserChange),
    /// `user.update` (T1003I).
    "user.update" => UserUpdate(UserChange),
    /// `user.delete` (T1004I): `name` is the deleted user.
    "user.delete" => UserDelete(ResourceChange),
    /// `user.password_change` (T1005I).
    "user.password_change" => UserPasswordChange(UserPasswordChange),
    /// `reset_password_token.create` (T6000I): a reset or invite token for the user in
    /// `name`, valid for `ttl`, as made by `tctl users add` and `tctl users reset`.
    "reset_password_token.create" => ResetPasswordTokenCreate(ResourceChange),
    /// `role.created` (T9000I): a role was created or replaced.
    "role.created" => RoleCreated(ResourceChange),
    /// `role.deleted` (T9001I).
    "role.deleted" => RoleDeleted(ResourceChange),
    /// `join_token.create` (TJT00I).
    "join_token.create" => JoinTokenCreate(JoinTokenCreate),
    /// `join_token.delete` (TJT01I, a code of ours: Teleport has no such event):
    /// `name` is the masked token.
    "join_token.delete" => JoinTokenDelete(ResourceChange),
    /// `trusted_cluster.create` (T7000I).
    "trusted_cluster.create" => TrustedClusterCreate(ResourceChange),
    /// `trusted_cluster.delete` (T7001I).
    "trusted_cluster.delete" => TrustedClusterDelete(ResourceChange),
    /// `trusted_cluster_token.create` (T7002I).
    "trusted_cluster_token.create" => TrustedClusterTokenCreate(ResourceChange),
    /// `github.created` (T8000I): a GitHub connector was created or replaced.
    "github.created" => GithubConnectorCreated(ResourceChange),
    /// `github.deleted` (T8001I).
    "github.deleted" => GithubConnectorDeleted(ResourceChange),
    /// `oidc.created` (T8100I): an OIDC connector was created or replaced.
    "oidc.created" => OidcConnectorCreated(ResourceChange),
    /// `oidc.deleted` (T8101I).
    "oidc.deleted" => OidcConnectorDeleted(ResourceChange),
    /// `saml.created` (T8200I): a SAML connector was created or replaced.
    "saml.created" => SamlConnectorCreated(ResourceChange),
    /// `saml.deleted` (T8201I).
    "saml.deleted" => SamlConnectorDeleted(ResourceChange),
}

impl EventPayload {
    /// The event code this payload calls for, as Teleport assigns it: where Teleport
    /// gives one type several codes (success or failure, scp direction, local or SSO
    /// login) the content decides. Empty for `print`, which has no code, and for
    /// [`EventPayload::Unknown`], whose code is whatever was read.
    pub fn code(&self) -> &'static str {
        use EventPayload as P;
        match self {
            P::SessionStart(_) => "T2000I",
            P::SessionJoin(_) => "T2001I",
            P::Resize(_) => "T2002I",
            P::SessionLeave(_) => "T2003I",
            P::SessionEnd(_) => "T2004I",
            P::SessionUpload(_) => "T2005I",
            P::SessionData(_) => "T2006I",
            P::SessionReject(_) => "T1006W",
            P::Print(_) => "",
            P::Exec(exec) => pick(!exec.command.failed(), "T3002I", "T3002E"),
            P::Scp(scp) => match scp.action {
                ScpAction::Download => pick(!scp.command.failed(), "T3004I", "T3004E"),
                ScpAction::Upload => pick(!scp.command.failed(), "T3005I", "T3005E"),
            },
            P::Subsystem(sub) => pick(sub.exit_error.is_empty(), "T3001I", "T3001E"),
            P::PortForward(port) => pick(port.status.success, "T3003I", "T3003E"),
            P::X11Forward(x11) => pick(x11.status.success, "T3008I", "T3008W"),
            P::ClientDisconnect(_) => "T3006I",
            P::AuthAttempt(_) => "T3007W",
            P::UserLogin(login) if login.is_sso() => pick(login.status.success, "T1001I", "T1001W"),
            P::UserLogin(login) => pick(login.status.success, "T1000I", "T1000W"),
            P::CertificateCreate(_) => "TC000I",
            P::InstanceJoin(join) => pick(join.status.success, "TJ002I", "TJ002E"),
            P::UserCreate(_) => "T1002I",
            P::UserUpdate(_) => "T1003I",
            P::UserDelete(_) => "T1004I",
            P::UserPasswordChange(_) => "T1005I",
            P::ResetPasswordTokenCreate(_) => "T6000I",
            P::RoleCreated(_) => "T9000I",
            P::RoleDeleted(_) => "T9001I",
            P::JoinTokenCreate(_) => "TJT00I",
            P::JoinTokenDelete(_) => "TJT01I",
            P::TrustedClusterCreate(_) => "T7000I",
            P::TrustedClusterDelete(_) => "T7001I",
            P::TrustedClusterTokenCreate(_) => "T7002I",
            P::GithubConnectorCreated(_) => "T8000I",
            P::GithubConnectorDeleted(_) => "T8001I",
            P::OidcConnectorCreated(_) => "T8100I",
            P::OidcConnectorDeleted(_) => "T8101I",
            P::SamlConnectorCreated(_) => "T8200I",
            P::SamlConnectorDeleted(_) => "T8201I",
            P::Unknown(_) => "",
        }
    }

    /// The event's type as written in `event`, for unknown types too.
    pub fn event_name(&self) -> &str {
        match self {
            EventPayload::Unknown(unknown) => &unknown.event,
            known => known.event_type(),
        }
    }
}

fn pick(ok: bool, ok_code: &'static str, failed_code: &'static str) -> &'static str {
    if ok {
        ok_code
    } else {
        failed_code
    }
}

impl<'de> Deserialize<'de> for EventPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut object = Map::<String, Value>::deserialize(deserializer)?;
        let event = match object.remove("event") {
            Some(Value::String(event)) => event,
            Some(other) => {
                return Err(D::Error::custom(format_args!(
                    "`event` must be a string, not {other}"
                )))
            }
            None => return Err(D::Error::missing_field("event")),
        };
        match EventPayload::from_object(&event, object) {
            Ok(known) => known
                .map_err(|err| D::Error::custom(format_args!("invalid `{event}` event: {err}"))),
            Err(fields) => Ok(EventPayload::Unknown(UnknownEvent { event, fields })),
        }
    }
}

/// An event of a type this build does not know, such as one written by a newer version:
/// its type and its fields other than the common ones, kept to be written back as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownEvent {
    /// The event's type as written (`event`).
    pub event: String,
    /// Its fields other than `event` and the [common ones](super::CommonFields), as
    /// read. Keys that are common fields or `event` would be written twice: leave them
    /// out.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

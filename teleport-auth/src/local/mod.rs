//! Local users: passwords, second factors and lockout (being written).

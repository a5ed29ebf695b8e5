//! Cluster-state storage: the [`Backend`] trait and its implementations.

//! Role-based access control (being written).

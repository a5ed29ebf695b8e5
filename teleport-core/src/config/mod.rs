//! teleport.yaml (filled in by the configuration work).

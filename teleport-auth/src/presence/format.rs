//! The `tctl nodes ls` table.

use teleport_core::resource::Server;

use teleport_core::table::Table;

/// What the Address column shows for a node reached through a reverse tunnel, as
/// Teleport prints it.
const TUNNEL_ADDRESS: &str = "⟵ Tunnel";

/// The `tctl nodes ls` table of the manual:
///
/// ```text
/// Node Name Node ID                              Address       Labels
/// --------- -------                              -------       ------
/// dijkstra  c9s93fd9-3333-91d3-9999-c9s93fd98f43 10.0.0.6:3022 distro=debian
/// turing    d52527f9-b260-41d0-bb5a-e23b0cfe0f8f 10.0.0.5:3022 distro=ubuntu,env=prod
/// ```
///
/// Node Name is the host name and Node ID the node's UUID (its resource name). Labels
/// are the static labels and the command labels' last results together, `name=value`
/// sorted by name and joined by `,` (the manual's older example prints `distro:ubuntu`;
/// Teleport since 4.0 prints `distro=ubuntu`, the form `tsh ls` filters take). Rows are
/// sorted by host name, then UUID. A tunnel node's address reads `⟵ Tunnel`.
pub fn format_nodes_table(nodes: &[Server]) -> String {
    let mut sorted: Vec<&Server> = nodes.iter().collect();
    sorted.sort_by(|a, b| (&a.spec.hostname, a.name()).cmp(&(&b.spec.hostname, b.name())));
    let mut table = Table::new(["Node Name", "Node ID", "Address", "Labels"]);
    for node in sorted {
        let address = if node.spec.use_tunnel {
            TUNNEL_ADDRESS.to_string()
        } else {
            node.spec.addr.clone()
        };
        let labels: Vec<String> = node
            .all_labels()
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        table.add_row([
            node.spec.hostname.clone(),
            node.name().to_string(),
            address,
            labels.join(","),
        ]);
    }
    table.render()
}

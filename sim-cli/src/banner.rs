//! The start-up banner: where the simulator listens (an address a client can reach),
//! where its accounts and leads came from, what the state file promises, and a
//! crmConfig to paste.

use leadim_simulator::state_file::{Durability, Loaded, StateFile};
use leadim_simulator::{DefaultAccount, Simulator};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// An address a client can connect to: a listener on every interface (`0.0.0.0`,
/// `::`) is reached on loopback from this machine.
fn reachable(local: SocketAddr) -> SocketAddr {
    match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, local.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, local.port()).into(),
        _ => local,
    }
}

/// This machine's address on its network, for clients on other machines: the source
/// address of the route outward. Connecting a UDP socket sends nothing.
fn machine_address(local: SocketAddr) -> Option<IpAddr> {
    let (bind, outward): (SocketAddr, SocketAddr) = match local.ip() {
        IpAddr::V4(_) => (
            (Ipv4Addr::UNSPECIFIED, 0).into(),
            (Ipv4Addr::new(192, 0, 2, 1), 9).into(),
        ),
        IpAddr::V6(_) => (
            (Ipv6Addr::UNSPECIFIED, 0).into(),
            (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), 9).into(),
        ),
    };
    let socket = std::net::UdpSocket::bind(bind).ok()?;
    socket.connect(outward).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// Where the simulator listens, what it holds and where from, and a crmConfig to
/// paste.
pub(crate) fn print_banner(
    simulator: &Simulator,
    local: SocketAddr,
    state: Option<&(StateFile, Loaded)>,
) {
    let base = format!("http://{}", reachable(local));
    println!("leadim-sim listening on {base}");
    if local.ip().is_unspecified() {
        match machine_address(local) {
            Some(ip) => println!(
                "  on every interface ({local}); from other machines: http://{}",
                SocketAddr::new(ip, local.port())
            ),
            None => println!("  on every interface ({local})"),
        }
    }
    print_origin(simulator, state);
    println!("  dashboard: {base}/__admin/ui   (accounts, leads, the live journal, faults)");
    println!("  journal:  {base}/__admin/requests   health: {base}/__admin/health");
    if let Some(DefaultAccount {
        aid,
        lm_form,
        lm_key,
        token,
    }) = simulator.store().default_account()
    {
        let config = PasteConfig {
            lm_form: lm_form.to_string(),
            lm_key: &lm_key,
            token: &token,
            get_customer_details_url: format!("{base}/apiproxy/{aid}/api/leads_get.ashx"),
            name_field: leadim_simulator::fields::NAME,
            only_display_data: false,
        };
        println!("crmConfig for account {aid} (paste into Texter):");
        println!(
            "{}",
            serde_json::to_string_pretty(&config).expect("the crmConfig prints")
        );
        println!("update URL: {base}/apiproxy/{aid}/api/lead_update.ashx");
        println!("submit URL (stands for https://api.lead.im/v2/submit): {base}/v2/submit");
    }
}

/// The crmConfig the banner prints, in the order of Texter's documentation (a
/// struct: a JSON object value would print its keys sorted).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PasteConfig<'a> {
    #[serde(rename = "lm_form")]
    lm_form: String,
    #[serde(rename = "lm_key")]
    lm_key: &'a str,
    token: &'a str,
    get_customer_details_url: String,
    name_field: &'a str,
    only_display_data: bool,
}

/// Where the accounts and leads came from: the fixtures, or the state file, with
/// what the state file promises.
fn print_origin(simulator: &Simulator, state: Option<&(StateFile, Loaded)>) {
    let store = simulator.store();
    let counts = store.counts();
    let (accounts, leads) = (counts.accounts, counts.leads);
    let matching = store.phone_match();
    let Some((file, loaded)) = state else {
        println!(
            "  fixtures: {} ({accounts} accounts, {leads} leads); phone match: {matching}",
            store.origin()
        );
        return;
    };
    let path = file.path().display();
    if loaded.snapshot || loaded.replayed > 0 {
        println!(
            "  state:    {path} ({accounts} accounts, {leads} leads: loaded, {} logged changes replayed); phone match: {matching}",
            loaded.replayed
        );
        println!(
            "  fixtures: {} (what POST /__admin/reset goes back to)",
            store.origin()
        );
    } else {
        println!(
            "  fixtures: {} ({accounts} accounts, {leads} leads); phone match: {matching}",
            store.origin()
        );
        println!("  state:    {path}, new: it starts from the fixtures");
    }
    if let Some(torn) = &loaded.torn {
        println!(
            "  state:    dropped a torn last record ({} line {}, {} bytes): a crash cut it while it was written, so it was never acknowledged",
            torn.file.display(),
            torn.line,
            torn.bytes
        );
    }
    let promise = match file.durability() {
        Durability::Process => {
            "a crash of the process loses nothing acknowledged (a power loss may: see --fsync)"
        }
        Durability::PowerLoss => {
            "with --fsync, neither a crash nor a power loss loses anything acknowledged"
        }
    };
    println!("  state:    every change is logged before it is answered; {promise}");
}

//! The dashboard in a real browser: headless Chromium driven through WebDriver
//! (chromedriver). One browser session serves every check, one check at a time; each
//! check starts a simulator of its own. Without Chromium every check fails, saying
//! how to install it.
//!
//! `LEADIM_SCREENSHOTS=docs cargo test -p leadim-simulator --test browser` also
//! writes a screenshot of each view into `docs/` (the README shows them).

mod common;
#[path = "browser/driver.rs"]
mod driver;

use common::{AID, RW, client, lookup_response, submit};
use driver::Browser;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use leadim_simulator::{AccountConfig, Simulator, SimulatorHandle};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// A check: what it does with the browser.
type Check = fn(Client) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// The browser, started by the first check that runs, and the runtime it lives on.
struct Shared {
    runtime: tokio::runtime::Runtime,
    browser: OnceCell<Result<Browser, String>>,
}

impl Shared {
    fn run(&self, check: Check) -> Result<(), Failed> {
        self.runtime.block_on(async {
            let browser = self.browser.get_or_init(Browser::start).await;
            match browser {
                Ok(browser) => {
                    check(browser.client.clone()).await;
                    Ok(())
                }
                Err(why) => Err(why.as_str().into()),
            }
        })
    }
}

fn main() {
    let mut args = Arguments::from_args();
    // One browser session: the checks take turns.
    args.test_threads = Some(1);
    let shared = Arc::new(Shared {
        runtime: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime"),
        browser: OnceCell::new(),
    });
    let checks: [(&str, Check); 4] = [
        ("a_hebrew_submit_appears_in_the_open_journal", |b| {
            Box::pin(a_hebrew_submit_appears_in_the_open_journal(b))
        }),
        ("the_leads_table_reads_right_to_left", |b| {
            Box::pin(the_leads_table_reads_right_to_left(b))
        }),
        ("a_fault_added_and_cleared_in_the_page_is_obeyed", |b| {
            Box::pin(a_fault_added_and_cleared_in_the_page_is_obeyed(b))
        }),
        (
            "with_an_admin_token_the_page_refuses_until_it_is_given",
            |b| Box::pin(with_an_admin_token_the_page_refuses_until_it_is_given(b)),
        ),
    ];
    let trials = checks
        .into_iter()
        .map(|(name, check)| {
            let shared = shared.clone();
            Trial::test(name, move || shared.run(check))
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if let Ok(shared) = Arc::try_unwrap(shared)
        && let Some(Ok(browser)) = shared.browser.into_inner()
    {
        shared.runtime.block_on(browser.stop());
    }
    conclusion.exit();
}

/// Where screenshots go, when asked for.
fn screenshots() -> Option<PathBuf> {
    std::env::var_os("LEADIM_SCREENSHOTS").map(PathBuf::from)
}

/// Saves what the browser shows as `docs/dashboard-{name}.png`, when asked to.
async fn screenshot(b: &Client, name: &str) {
    if let Some(dir) = screenshots() {
        let png = b.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("dashboard-{name}.png")), png).expect("screenshot written");
    }
}

async fn find(b: &Client, css: &str) -> fantoccini::elements::Element {
    b.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
}

async fn run_js(b: &Client, script: &str) -> Value {
    b.execute(script, vec![]).await.expect("the script runs")
}

/// The page fits its width: nothing but the tables' own scroll boxes is wider, as
/// at 200 % zoom of a 1100-pixel window.
async fn assert_reflows(b: &Client, view: &str) {
    let wider = run_js(
        b,
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
    )
    .await;
    assert_eq!(wider, json!(0), "{view} is wider than a 550-pixel window");
}

fn ui(sim: &SimulatorHandle, path: &str) -> String {
    format!("{}/__admin/ui{path}", sim.base_url())
}

/// Sends, while the journal is open: two lookups of `account` (one with a wrong
/// token), then a Hebrew submit with a key the form does not know and a value that
/// looks like HTML.
async fn send_requests(account: &AccountConfig) {
    let http = client();
    let lookup_url = &account.get_customer_details_url;
    lookup_response(&http, lookup_url, &account.token, "0521234567").await;
    let wrong = "U-0000000000000000.0000000000000000";
    lookup_response(&http, lookup_url, wrong, "0521234567").await;
    let fields = [
        ("name", "דנה כהן"),
        ("phone", "052-123-4567"),
        ("fld_city", "<b>חיפה</b>"),
        ("fld_pet", "חתול"),
    ];
    let answer = submit(&http, account, &fields).await;
    assert_eq!(answer["status"], "success", "{answer}");
}

async fn a_hebrew_submit_appears_in_the_open_journal(b: Client) {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    b.goto(&ui(&sim, "/journal")).await.unwrap();
    find(&b, "#journal").await;
    run_js(&b, "window.notReloaded = true; return null").await;
    send_requests(&account).await;
    let row = b
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(
            "//ol[@id='journal']/li[.//span[@class='endpoint' and .='submit']]",
        ))
        .await
        .expect("the submit's row appears without a reload");
    let rows = run_js(
        &b,
        "return document.querySelectorAll('#journal li.entry').length",
    )
    .await;
    assert_eq!(rows, json!(3));
    let head = row.find(Locator::Css("summary")).await.unwrap();
    let line = head.text().await.unwrap();
    assert!(
        line.contains("submit") && line.contains(&account.aid.to_string()),
        "{line}"
    );
    let kept = run_js(&b, "return window.notReloaded === true").await;
    assert_eq!(kept, json!(true), "the page was not reloaded");
    screenshot(&b, "journal").await;
    // Opened from the keyboard: the newest row's summary takes the focus, then Enter.
    run_js(
        &b,
        "document.querySelector('#journal li.entry summary').focus(); return null",
    )
    .await;
    head.send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    let name = row
        .find(Locator::XPath(
            ".//table[contains(@class,'params')]//td[.='דנה כהן']",
        ))
        .await
        .expect("the decoded Hebrew name in the open row");
    assert!(name.is_displayed().await.unwrap());
    let bold = run_js(&b, "return document.querySelectorAll('#journal b').length").await;
    assert_eq!(
        bold,
        json!(0),
        "a value that looks like HTML is shown as text"
    );
    let diagnostic = row.find(Locator::Css("li.diagnostic")).await.unwrap();
    let said = diagnostic.text().await.unwrap();
    assert!(said.contains("fld_pet is not a field"), "{said}");
    if let Some(dir) = screenshots() {
        // Tall enough for the whole open row.
        b.set_window_size(1100, 1500).await.unwrap();
        let png = row.screenshot().await.expect("a screenshot of the row");
        std::fs::write(dir.join("dashboard-journal-row.png"), png).expect("screenshot written");
    }
    b.set_window_size(550, 800).await.unwrap();
    assert_reflows(&b, "the journal").await;
    b.set_window_size(1100, 800).await.unwrap();
}

async fn the_leads_table_reads_right_to_left(b: Client) {
    let sim = Simulator::start().await.unwrap();
    b.goto(&format!("{}/", sim.base_url())).await.unwrap();
    find(&b, "#config-default").await;
    screenshot(&b, "index").await;
    find(&b, "button.copy").await.click().await.unwrap();
    b.wait()
        .for_element(Locator::XPath(
            "//span[@class='copied' and normalize-space(.)!='']",
        ))
        .await
        .expect("the copy button says what it did");
    b.goto(&ui(&sim, "")).await.unwrap();
    find(&b, &format!("#account-{AID}")).await;
    screenshot(&b, "accounts").await;
    b.goto(&ui(&sim, &format!("/accounts/{AID}")))
        .await
        .unwrap();
    find(&b, "table#leads").await;
    let direction = run_js(
        &b,
        "return getComputedStyle(document.getElementById('leads')).direction",
    )
    .await;
    assert_eq!(direction, json!("rtl"));
    let heads = find(&b, "table#leads thead").await.text().await.unwrap();
    assert!(heads.contains("שם") && heads.contains("טלפון"), "{heads}");
    screenshot(&b, "leads").await;
    b.set_window_size(550, 800).await.unwrap();
    for view in ["", "/journal", "/faults", &format!("/accounts/{AID}")] {
        b.goto(&ui(&sim, view)).await.unwrap();
        find(&b, "main h1").await;
        assert_reflows(&b, view).await;
    }
    b.set_window_size(1100, 800).await.unwrap();
    let newest = find(&b, "table#leads tbody tr a").await;
    let lid = newest.text().await.unwrap();
    newest.click().await.unwrap();
    let url = b.current_url().await.unwrap();
    assert_eq!(url.path(), format!("/a/{AID}/leads/{lid}"));
}

async fn a_fault_added_and_cleared_in_the_page_is_obeyed(b: Client) {
    let sim = Simulator::start().await.unwrap();
    let url = format!("{}/apiproxy/{AID}/api/leads_get.ashx", sim.base_url());
    let lookup = || async {
        lookup_response(&client(), &url, RW, "0521234567")
            .await
            .status()
    };
    b.goto(&ui(&sim, "/faults")).await.unwrap();
    let form = b.form(Locator::Css("#add-fault")).await.unwrap();
    find(&b, "#fault-endpoint")
        .await
        .select_by_value("lookup")
        .await
        .unwrap();
    form.set_by_name("account", &AID.to_string()).await.unwrap();
    form.set_by_name("status", "503").await.unwrap();
    find(&b, "#add-fault-button").await.click().await.unwrap();
    let faults = find(&b, "table#faults").await.text().await.unwrap();
    assert!(
        faults.contains("lookup") && faults.contains("503"),
        "{faults}"
    );
    assert_eq!(lookup().await, 503, "the fault added in the page strikes");
    b.refresh().await.unwrap();
    let counted = find(&b, "table#faults tbody").await.text().await.unwrap();
    assert!(counted.contains("1 1"), "matched 1, struck 1: {counted}");
    screenshot(&b, "faults").await;
    find(&b, "#clear-faults").await.click().await.unwrap();
    find(&b, "#no-faults").await;
    assert_eq!(
        lookup().await,
        200,
        "cleared in the page, the fault is gone"
    );
    assert!(sim.faults().is_empty());
}

async fn with_an_admin_token_the_page_refuses_until_it_is_given(b: Client) {
    const TOKEN: &str = "dash-2026-ce1f";
    let sim = Simulator::builder()
        .admin_token(Some(TOKEN.into()))
        .start()
        .await
        .unwrap();
    b.goto(&format!("{}/", sim.base_url())).await.unwrap();
    find(&b, "main h1").await;
    let index = b.source().await.unwrap();
    assert!(
        !index.contains(RW) && !index.contains("lm_key"),
        "the index shows no secret"
    );
    b.goto(&ui(&sim, "")).await.unwrap();
    let token = find(&b, "input#token").await;
    let refused = b.source().await.unwrap();
    assert!(
        !refused.contains(RW),
        "no account shows before the token is given"
    );
    screenshot(&b, "login").await;
    token.send_keys("not-the-token").await.unwrap();
    find(&b, "form.login button").await.click().await.unwrap();
    let problem = find(&b, ".problem").await.text().await.unwrap();
    assert!(
        problem.contains("not this simulator's admin token"),
        "{problem}"
    );
    find(&b, "input#token")
        .await
        .send_keys(TOKEN)
        .await
        .unwrap();
    find(&b, "form.login button").await.click().await.unwrap();
    find(&b, &format!("#account-{AID}")).await;
    assert!(
        b.source().await.unwrap().contains(RW),
        "the accounts show once the token is given"
    );
    let url = b.current_url().await.unwrap();
    assert!(!url.as_str().contains(TOKEN), "no token in a URL: {url}");
    assert_eq!(
        run_js(&b, "return document.cookie").await,
        json!(""),
        "the cookie is HttpOnly"
    );
    find(&b, "form.create button").await.click().await.unwrap();
    let created = find(&b, ".notice").await.text().await.unwrap();
    assert!(created.contains("was created"), "{created}");
    assert_eq!(
        sim.store().counts().accounts,
        4,
        "the page's button created an account"
    );
    find(&b, "form.logout button").await.click().await.unwrap();
    // Logged out once the browser is back on the index page.
    let index = format!("{}/", sim.base_url()).parse().unwrap();
    b.wait().for_url(&index).await.unwrap();
    b.goto(&ui(&sim, "/journal")).await.unwrap();
    find(&b, "input#token").await;
}
